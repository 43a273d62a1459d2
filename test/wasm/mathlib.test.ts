// The wasm backend's elementwise kernels against the pure-JS ones, bit for bit, on dense sweeps:
// every float32 unary op over random bit patterns (all exponents, NaNs, infinities, subnormals),
// uniform draws in the ranges where the math library changes path, and the paths' boundaries;
// binary ops over broadcast and strided operands; float64 arithmetic. NaN matches any NaN.
import { describe, expect, it } from 'vitest';
import * as pg from '../../src/index.js';
import { compiledKernels } from '../../src/autograd/wasm/runtime.js';

/** Float32 inputs: random bit patterns, uniform ranges, boundaries of the main paths. */
function sweep(seed: number): Float32Array {
  const g = new pg.Generator(seed);
  const bits = new Int32Array(20000);
  let u = seed * 2654435761 >>> 0 || 1;
  for (let i = 0; i < bits.length; i++) { u ^= u << 13; u ^= u >>> 17; u ^= u << 5; bits[i] = u | 0; } // xorshift32
  const parts: number[][] = [Array.from(new Float32Array(bits.buffer))];
  for (const [lo, hi] of [[-1, 1], [-10, 10], [-100, 100], [-800, 800], [-2e6, 2e6], [0, 1e-30], [-1, -0.2], [0.3, 0.5]])
    parts.push(Array.from(pg.rand([5000], { generator: g, low: lo, high: hi }).dataSync()));
  const edges = [0, -0, Infinity, -Infinity, NaN, 700, -700, 699.99, -699.99, 709.8, -745.2, 40, -40, 9.1, 3.92, -3.92, 1, -1,
    1048576, -1048576, 1048575.9, 2 ** 20 + 1, 1e-45, -1e-45, 1.17e-38, 3.4e38, -3.4e38, 0.41421356, -0.29289322, 24, -24, 25, -25, 88, -88];
  parts.push(edges);
  return Float32Array.from(parts.flat());
}

function expectSameBits(op: string, got: ArrayLike<number>, want: ArrayLike<number>, input?: ArrayLike<number>): void {
  expect(got.length).toBe(want.length);
  for (let i = 0; i < want.length; i++) {
    const g = got[i], w = want[i];
    if (g !== g && w !== w) continue;
    if (!Object.is(g, w)) throw new Error(`${op}: element ${i}${input ? ` (x = ${input[i]})` : ''}: wasm ${g}, js ${w}`);
  }
}

const UNARY = ['neg', 'exp', 'log', 'log1p', 'expm1', 'sqrt', 'rsqrt', 'abs', 'sign', 'sin', 'cos', 'tanh', 'sigmoid', 'erf', 'relu',
  'gelu', 'silu', 'softplus', 'softsign', 'square', 'reciprocal'] as const;

describe('float32 unary ops: wasm = pure JS on dense sweeps', () => {
  const x = sweep(1);
  const xc = pg.tensor(x), xj = pg.tensor(x, { device: 'js' });
  for (const op of UNARY) {
    it(op, () => {
      const call = (t: pg.Tensor) => (op === 'gelu' ? pg.gelu(t, { approximate: 'tanh' }) : (t as unknown as Record<string, () => pg.Tensor>)[op]());
      const got = pg.tidy(() => call(xc).dataSync()), want = pg.tidy(() => call(xj).dataSync());
      expectSameBits(op, got, want, x);
      // Strided and with a tail of 1-3 elements.
      const gs = pg.tidy(() => call(xc.slice(0, 1, 1003, 3)).dataSync()), ws = pg.tidy(() => call(xj.slice(0, 1, 1003, 3)).dataSync());
      expectSameBits(`${op} (strided)`, gs, ws);
    });
  }
  it('ran them as wasm kernels (not the JS fallback)', () => {
    const keys = compiledKernels().map((k) => k.key);
    for (const op of UNARY) expect(keys.some((k) => k.startsWith(`ew ${op}:float32($0)`)), op).toBe(true);
    // and each under 4 KiB (what a browser main thread compiles synchronously), even a math op
    // after a long fused chain
    const x = pg.randn([9, 7], { generator: new pg.Generator(11) });
    pg.compile(() => { let y = x; for (let i = 0; i < 11; i++) y = y.mul(1.01).add(0.1); return y.sin().dataSync(); })();
    for (const k of compiledKernels()) expect(k.bytes, k.key).toBeLessThan(4096);
  });
});

describe('binary ops and where: broadcast, strided, scalar operands', () => {
  const g = new pg.Generator(2);
  const special = [0, -0, NaN, Infinity, -Infinity, 1, -1, 2.5];
  const mk = (shape: number[]) => pg.randn(shape, { generator: g });
  const a = pg.cat([mk([37, 19]), pg.tensor(special).expand(37, special.length)], 1); // [37, 27]
  const b = pg.cat([mk([37, 19]), pg.tensor(special.slice().reverse()).expand(37, special.length)], 1);
  const row = mk([27]), col = mk([37, 1]);
  const ops = ['add', 'sub', 'mul', 'div', 'maximum', 'minimum', 'eq', 'ne', 'lt', 'le', 'gt', 'ge'] as const;
  for (const dtype of ['float32', 'float64'] as const) {
    it(`${dtype}: every op over same shapes, rows, columns, a scalar, transposes`, () => {
      for (const op of ops) {
        const pairs = (d: pg.Device) => {
          const A = a.to(dtype).to(d), B = b.to(dtype).to(d), R = row.to(dtype).to(d), Cc = col.to(dtype).to(d);
          const f = (x: pg.Tensor, y: pg.Tensor | number) => (x as unknown as Record<string, (y: pg.Tensor | number) => pg.Tensor>)[op](y);
          return [f(A, B), f(A, R), f(R, A), f(A, Cc), f(A, 0.5), f(A.transpose(), B.transpose()), f(A.slice(1, 0, 27, 2), Cc)];
        };
        const got = pg.tidy(() => pairs('cpu').map((t) => t.dataSync())), want = pg.tidy(() => pairs('js').map((t) => t.dataSync()));
        got.forEach((x, i) => expectSameBits(`${dtype} ${op} #${i}`, x, want[i]));
      }
    });
    it(`${dtype}: where, logical ops, casts from bool`, () => {
      const run = (d: pg.Device) => pg.tidy(() => {
        const A = a.to(dtype).to(d), B = b.to(dtype).to(d), c = A.gt(B);
        return [pg.where(c, A, B), pg.where(c, A, 0), c.logicalNot(), c.logicalAnd(A.lt(0)), c.logicalOr(B.ne(B)), c.to(dtype), A.cast('bool'), pg.where(c.transpose(), B.transpose(), A.transpose())]
          .map((t) => t.dataSync());
      });
      const got = run('cpu'), want = run('js');
      got.forEach((x, i) => expectSameBits(`${dtype} #${i}`, x, want[i]));
    });
  }
  it('int32 -> float32 casts round to nearest even', () => {
    const i = pg.tensor(Int32Array.from([16777217, -16777217, 2 ** 31 - 1, -(2 ** 31), 3, 0, 16777219, 33554435]));
    expectSameBits('cast', i.to('float32').dataSync(), i.to('js').to('float32').dataSync());
  });
});

describe('reductions: wasm rows and columns = pure JS', () => {
  const g = new pg.Generator(3);
  it('sum, max, min over rows, columns, all, with zeros of both signs, NaN and infinities', () => {
    for (const dtype of ['float32', 'float64'] as const) {
      const base = pg.randn([33, 70], { generator: g, dtype });
      const z = pg.tensor([[0, -0, -0, 0, 0, -0, -1, -2, 0, -0, -0]], { dtype }).expand(5, 11);
      const zz = pg.tensor([[-0, -0, -3, 0], [-5, -0, 0, -0], [NaN, 1, 2, 3], [1, Infinity, -Infinity, 2]], { dtype });
      const run = (d: pg.Device) => pg.tidy(() => {
        const x = base.to(d), zd = z.to(d), q = zz.to(d);
        const outs: pg.Tensor[] = [];
        for (const op of ['sum', 'max', 'min'] as const) {
          const f = (t: pg.Tensor, dim?: number | number[], k?: boolean) => (t as unknown as Record<string, (d?: number | number[], k?: boolean) => pg.Tensor>)[op](dim, k);
          outs.push(f(x, 1), f(x, 0), f(x), f(x, -1, true), f(x.transpose(), 1), f(x.slice(1, 1, 70, 3), 1), f(zd, 1), f(zd, 0), f(q, 1), f(q, 0), f(x.slice(0, 0, 5), 0));
        }
        return outs.map((t) => t.dataSync());
      });
      const got = run('cpu'), want = run('js');
      got.forEach((x, i) => expectSameBits(`${dtype} #${i}`, x, want[i]));
    }
    const keys = compiledKernels().map((k) => k.key);
    for (const op of ['sum', 'max', 'min']) expect(keys).toContain(`reduce:${op}:float32`);
  });
});

describe('matmul: small and vector-shaped products (the unpacked path) and packed ones', () => {
  it('wasm = pure JS on vectors, thin and tiny shapes, transposed and strided operands, float32 and float64', () => {
    const g = new pg.Generator(12);
    const shapes: [number, number, number][] = [[1, 7, 5], [6, 1, 9], [1, 1, 13], [3, 4, 5], [15, 15, 15], [1, 300, 200], [200, 1, 300], [16, 16, 16], [70, 2, 3], [2, 70, 3], [4, 5, 0]];
    for (const dtype of ['float32', 'float64'] as const)
      for (const [M, N, K] of shapes)
        for (const tr of [0, 1, 2, 3]) {
          const run = (d: pg.Device) => pg.tidy(() => {
            const g2 = new pg.Generator(M * 100 + N * 10 + K + tr);
            const a0 = pg.randn(tr & 1 ? [K, M] : [M, K], { generator: g2, dtype }).to(d), b0 = pg.randn(tr & 2 ? [N, K] : [K, N], { generator: g2, dtype }).to(d);
            const a = tr & 1 ? a0.transpose() : a0, b = tr & 2 ? b0.transpose() : b0;
            return [a.matmul(b), a.matmul(b.slice(1, 0, N, 1)), pg.randn([3, M, K], { generator: g2, dtype }).to(d).matmul(b)].map((t) => t.dataSync());
          });
          const got = run('cpu'), want = run('js');
          got.forEach((x, i) => expectSameBits(`${dtype} ${M}x${K}@${K}x${N} t${tr} #${i}`, x, want[i]));
        }
    void g;
    expect(compiledKernels().map((k) => k.key)).toContain('matmul-direct:f32');
  });
});
