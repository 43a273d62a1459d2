// The fused softmax and logSoftmax kernel (src/autograd/wasm/softmax.ts, Backend.softmaxRows) must
// give the bits of their composites (max, sub, exp, sum, div; x - logsumexp(x); ops/nn.ts) in both
// precisions, forward and backward: against the composite on the same backend (run on a strided copy of the input, which
// the kernel leaves to the composite) and, in 'reference', against the pure-JS backend. Rows of
// every length class (groups of 16 and 4, tails), special values and extremes (host-call lanes of
// exp), rank 3, pg.compile, threads (test/autograd/cpu-threads.test.ts), and second derivatives.
import { afterEach, describe, expect, it, vi } from 'vitest';
import * as pg from '../../src/index.js';
import { compiledKernels } from '../../src/autograd/wasm/runtime.js';
import { compare } from '../helpers/optable.js';
import { collectGarbage } from '../helpers/gc.js';

/** The same values in a strided layout (last two dims swapped in memory): softmax then runs the composite. */
const strided = (x: pg.Tensor) => x.transpose(-1, -2).contiguous().transpose(-1, -2);

type Op = 'softmax' | 'logSoftmax';
const OPS: Op[] = ['softmax', 'logSoftmax'];

/** op(x) over the last dim and d(sum(op(x) * w))/dx, on x as given (the kernel) or strided (the composite). */
function run(op: Op, x: pg.Tensor, w: pg.Tensor, viaComposite: boolean): { y: ArrayLike<number>; dx: ArrayLike<number> } {
  return pg.tidy(() => {
    const y = (viaComposite ? strided(x) : x)[op](-1).dataSync();
    const dx = pg.grad((v: pg.Tensor) => (viaComposite ? strided(v) : v)[op](-1).mul(w).sum())(x).dataSync();
    return { y, dx };
  });
}

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

  it('is what softmax and logSoftmax over the last dim of float32 rows run, with and without autograd', () => {
    const backend = pg.randn([1]).storage.backend as unknown as { softmaxRows(...a: unknown[]): boolean };
    const spy = vi.spyOn(backend, 'softmaxRows');
    try {
      for (const op of OPS) {
        spy.mockClear();
        pg.tidy(() => pg.randn([3, 8])[op](-1));
        pg.tidy(() => pg.randn([3, 8]).requiresGrad_(true)[op](-1).sum().backward());
        expect(spy).toHaveBeenCalledTimes(2);
        expect(spy.mock.results.map((r) => r.value)).toEqual([true, true]);
        pg.tidy(() => strided(pg.randn([3, 8]))[op](-1)); // strided: the composite
        expect(spy.mock.results[2].value).toBe(false);
      }
    } finally { spy.mockRestore(); }
    expect(compiledKernels().some((k) => k.key === 'softmax:ref')).toBe(true);
    expect(compiledKernels().some((k) => k.key === 'logSoftmax:ref')).toBe(true);
  });

  for (const op of OPS) {
    for (const mode of ['reference', 'fast'] as const) {
      it(`${op}, ${mode}: the composite's bits, forward and gradient, every row-length class, special values`, () => {
        pg.setCpuPrecision(mode);
        for (const n of lengths) {
          const normal = pg.randn([9, n], { generator: new pg.Generator(100 + n) });
          for (const x of [hard(23, n, n), normal]) {
            const w = pg.randn(x.shape, { generator: new pg.Generator(200 + n) });
            const fused = run(op, x, w, false), comp = run(op, x, w, true);
            expectSameBits(`n=${n} forward`, fused.y, comp.y);
            expectSameBits(`n=${n} gradient`, fused.dx, comp.dx);
            if (mode === 'reference') {
              const js = run(op, x.to('js'), w.to('js'), false);
              expectSameBits(`n=${n} forward vs js`, fused.y, js.y);
              expectSameBits(`n=${n} gradient vs js`, fused.dx, js.dx);
            }
          }
        }
      });
    }

    it(`${op}: rank 3, inside pg.compile, x used elsewhere too, and the layouts it leaves to the composite`, () => {
      const g = new pg.Generator(7);
      const x = pg.randn([4, 6, 10], { generator: g }), w = pg.randn([4, 6, 10], { generator: g });
      const fused = run(op, x, w, false), comp = run(op, x, w, true);
      expectSameBits('rank 3', fused.y, comp.y);
      expectSameBits('rank 3 gradient', fused.dx, comp.dx);
      const inCompile = pg.compile(() => x.mul(2)[op](-1).dataSync())();
      expectSameBits('compile', inCompile, pg.tidy(() => strided(x.mul(2))[op](-1).dataSync()));
      // x's gradient has more terms than this op's: they are added in the composite's order
      const mixed = (t: pg.Tensor, u: pg.Tensor) => pg.tidy(() => pg.grad((v: pg.Tensor) => v.square().mul(0.37).sum().add(v[op](-1).mul(u).sum()).add(v.sin().sum()))(t).dataSync());
      expectSameBits('x used elsewhere', mixed(x, w), mixed(x.to('js'), w.to('js')));
      // another dim and float64: the composite (against the pure-JS backend's composite)
      expectSameBits('dim 1', pg.tidy(() => x[op](1).dataSync()), pg.tidy(() => x.to('js')[op](1).dataSync()));
      const d = x.to('float64');
      expect(Array.from(pg.tidy(() => d[op](-1).dataSync()))).toEqual(Array.from(pg.tidy(() => d.to('js')[op](-1).dataSync())));
    });

    it(`${op}: second derivatives (create_graph) match the composite`, () => {
      const g = new pg.Generator(9);
      const x = pg.randn([5, 12], { generator: g }), w = pg.randn([5, 12], { generator: g }), v = pg.randn([5, 12], { generator: g });
      const hvp = (viaComposite: boolean) => pg.tidy(() => {
        const f = (t: pg.Tensor) => (viaComposite ? strided(t) : t)[op](-1).mul(w).sum();
        return pg.grad((t: pg.Tensor) => pg.grad(f)(t).mul(v).sum())(x).dataSync();
      });
      const got = hvp(false), want = hvp(true);
      const m = compare(got, want, true, { rel: 1e-6 });
      if (m.failure) throw new Error(m.failure);
      expect(Array.from(got).some((z) => z !== 0)).toBe(true);
    });

    it(`${op}: frees what the node kept, after backward and when a graph is dropped without one`, async () => {
      pg.zeros([1]).dispose(); // memory() lists a device's bytes once it has held any (run alone, this test is the first)
      await collectGarbage();
      const before = pg.memory();
      const x = pg.randn([6, 40]).requiresGrad_(true);
      x[op](-1).square().sum().backward();
      x.grad!.dispose();
      x.zeroGrad_();
      for (let i = 0; i < 5; i++) x[op](-1).sum(); // nodes that never see backward
      x.dispose();
      await collectGarbage();
      expect(pg.memory()).toEqual(before);
    });
  }
});
