// The fused softmax kernel (src/autograd/wasm/softmax.ts, Backend.softmaxRows) must give the bits
// of the softmax composite (max, sub, exp, sum, div; ops/nn.ts) in both precision modes: against
// the composite on the same backend (what runs under autograd) and, in 'reference', against the
// pure-JS backend. Rows of every length class (groups of 16 and 4, tails), special values and
// extremes (host-call lanes of exp), and layouts the kernel leaves to the composite.
import { afterEach, describe, expect, it, vi } from 'vitest';
import * as pg from '../../src/index.js';
import { compiledKernels } from '../../src/autograd/wasm/runtime.js';
import { compare } from '../helpers/optable.js';

/** The composite's result on x's device: softmax of an input that records a gradient (the fused kernel serves only unrecorded calls). */
const composite = (x: pg.Tensor, dim = -1) => pg.tidy(() => x.detach().requiresGrad_(true).softmax(dim).detach().dataSync());
const fused = (x: pg.Tensor, dim = -1) => pg.tidy(() => x.softmax(dim).dataSync());

function expectSameBits(name: string, got: ArrayLike<number>, want: ArrayLike<number>): void {
  const m = compare(got, want, true, 'exact');
  if (m.failure) throw new Error(`${name}: ${m.failure}`);
}

/** Rows of n values with special and extreme entries mixed in. */
function hard(rows: number, n: number, seed: number): pg.Tensor {
  const g = new pg.Generator(seed);
  const v = pg.randn([rows, n], { generator: g }).mul(30).dataSync() as Float32Array;
  const specials = [Infinity, -Infinity, NaN, 0, -0, 88, -88, 1e-30, -1e30, 104, -150];
  for (let r = 0; r < rows; r++) {
    if (r % 5 === 1) v[r * n + (r % n)] = specials[r % specials.length];
    if (r % 7 === 2) v.fill(-Infinity, r * n, (r + 1) * n); // a row of -inf: max 0, then 0/0
    if (r % 11 === 3) v.fill(r % 2 ? 0 : -0, r * n, (r + 1) * n);
  }
  return pg.tensor(v, { dtype: 'float32' }).reshape([rows, n]);
}

afterEach(() => pg.setCpuPrecision('reference'));

describe('fused softmax kernel', () => {
  const lengths = [1, 2, 3, 4, 5, 7, 15, 16, 17, 31, 33, 64, 100, 1000];

  it('is what an unrecorded softmax of float32 rows runs', () => {
    const backend = pg.randn([1]).storage.backend as { softmaxRows(x: unknown, out: unknown): boolean };
    const spy = vi.spyOn(backend, 'softmaxRows');
    try {
      pg.tidy(() => pg.randn([3, 8]).softmax(-1));
      expect(spy).toHaveBeenCalledTimes(1);
      expect(spy.mock.results[0].value).toBe(true);
      pg.tidy(() => pg.randn([3, 8]).requiresGrad_(true).softmax(-1));
      expect(spy).toHaveBeenCalledTimes(1);
    } finally { spy.mockRestore(); }
  });

  for (const mode of ['reference', 'fast'] as const) {
    it(`${mode}: the composite's bits, every row-length class, special values`, () => {
      pg.setCpuPrecision(mode);
      for (const n of lengths) {
        for (const x of [hard(23, n, n), pg.randn([9, n], { generator: new pg.Generator(100 + n) })]) {
          expectSameBits(`n=${n}`, fused(x), composite(x));
          if (mode === 'reference') expectSameBits(`n=${n} vs js`, fused(x), composite(x.to('js')));
        }
      }
    });
  }

  it('runs as the fused kernel on unrecorded calls (rank 3 too), and gives the composite where it does not apply', () => {
    const g = new pg.Generator(7);
    const x = pg.randn([4, 6, 10], { generator: g });
    expectSameBits('rank 3', fused(x), composite(x));
    expect(compiledKernels().some((k) => k.key === 'softmax:ref')).toBe(true);
    // not the last dim, not contiguous, float64: the composite (same values as it by definition)
    expectSameBits('dim 1', fused(x, 1), composite(x, 1));
    const t = x.transpose(1, 2);
    expectSameBits('transposed', fused(t), composite(t));
    const d = x.to('float64');
    expect(Array.from(fused(d))).toEqual(Array.from(composite(d)));
    // inside pg.compile, on a deferred input
    const inCompile = pg.compile(() => x.mul(2).softmax(-1).dataSync())();
    expectSameBits('compile', inCompile, composite(x.mul(2)));
  });

  it('under autograd the composite runs and backward works', () => {
    const x = pg.randn([3, 5], { generator: new pg.Generator(8) }).requiresGrad_(true);
    const y = x.softmax(-1);
    y.mul(pg.arange(5).float()).sum().backward();
    expect(x.grad).not.toBeNull();
    // softmax rows sum to 1: the gradient of a constant shift is 0 along each row
    const rowSums = x.grad!.sum(-1).dataSync() as Float32Array;
    for (const s of rowSums) expect(Math.abs(s)).toBeLessThan(1e-6);
  });
});
