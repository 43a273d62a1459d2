// WebGPU cases beyond the op table's own examples (which test/webgpu/conformance.test.ts runs for
// every entry): composite ops, and the shapes at which the WebGPU kernels change strategy (tiled
// matmul, split-K, tree and two-pass reductions, the bitonic sort). Each case builds its inputs
// from seeded CPU draws moved to the device under test, so both runs see the same numbers.
import * as pg from '../../src/index.js';
import type { Device, Tol } from '../../src/index.js';

export interface Case {
  name: string;
  tol: Tol;
  run: (d: Dev) => pg.Tensor | pg.Tensor[];
}

/** Inputs for one device: seeded draws made on the CPU, then moved to `device`. */
export class Dev {
  private g = new pg.Generator(1234);
  constructor(readonly device: Device) {}
  private put(t: pg.Tensor): pg.Tensor {
    return t.to(this.device);
  }
  randn(shape: number[], scale = 1): pg.Tensor {
    return this.put(pg.randn(shape, { generator: this.g }).mul(scale));
  }
  rand(shape: number[], low = 0, high = 1): pg.Tensor {
    return this.put(pg.rand(shape, { generator: this.g, low, high }));
  }
  randint(low: number, high: number, shape: number[]): pg.Tensor {
    return this.put(pg.randint(low, high, shape, { generator: this.g }));
  }
  t(data: unknown, opts: { dtype?: pg.DType; shape?: number[] } = {}): pg.Tensor {
    return pg.tensor(data as never, { ...opts, device: this.device });
  }
}

export const CASES: Case[] = [
  // ---------------------------------------------------------------- composites and views
  { name: 'clamp / maskedFill', tol: 'exact', run: (d) => [d.randn([5, 5], 3).clamp(-1, 1), d.randn([5, 5]).maskedFill(d.randn([5, 5]).lt(0), -Infinity)] },
  { name: 'slice with step, flip', tol: 'exact', run: (d) => [d.randn([10, 12]).slice(1, 1, 11, 3).add(1), d.randn([4, 5, 6]).flip([0, 2]).neg()] },
  { name: 'expand / permute / contiguous', tol: 'exact', run: (d) => [d.randn([3, 1, 4]).expand(3, 5, 4).contiguous(), d.randn([2, 3, 4, 5]).permute(3, 1, 0, 2).contiguous()] },
  { name: 'rank 6 broadcast', tol: 'exact', run: (d) => d.randn([2, 1, 3, 1, 2, 3]).add(d.randn([3, 1, 4, 2, 1])) },
  { name: 'reshape non-contiguous, split, repeat', tol: 'exact', run: (d) => { const x = d.randn([4, 6]); return [x.transpose().reshape(3, 8), ...x.split([2, 4], 1).map((t) => t.contiguous()), d.randn([2, 3]).repeat(2, 1, 3)]; } },
  { name: 'oneHot', tol: 'exact', run: (d) => pg.oneHot(d.randint(0, 5, [7]), 5) },
  // ---------------------------------------------------------------- transcendentals at chosen points
  { name: 'transcendentals at extremes', tol: { ulp: 2 }, run: (d) => { const x = d.t([0, -0, 1e-30, -1e-30, 88, -88, 100, -100, 1e-6, 20, -20, Infinity, -Infinity, NaN]); return [x.exp(), x.tanh(), x.sigmoid(), x.softplus(), x.expm1(), x.erf()]; } },
  // exact gelu = (x/2)(1 + erf(x/√2)), a composite: erf within 1 ulp, then 1 + erf cancels for x < 0 (below x = -5.4
  // float32 erf is -1 and the result 0 on both backends); `tiny` covers the cancellation near there.
  { name: 'gelu (erf)', tol: { ulp: 8, tiny: 1e-6 }, run: (d) => d.randn([40, 25], 2).gelu() },
  { name: 'erf special values', tol: 'exact', run: (d) => d.t([0, -0, Infinity, -Infinity, NaN, 4, -4, 3.92, 100]).erf() },
  { name: 'log at extremes', tol: { ulp: 2 }, run: (d) => { const x = d.t([0, -0, 1e-30, 1, 2, 1e30, 3e38, Infinity, -1, NaN, 1.0000001, 0.9999999]); return [x.log(), x.log1p(), x.sqrt(), x.rsqrt()]; } },
  // ---------------------------------------------------------------- reductions: strategies
  { name: 'mean over dims', tol: { rel: 1e-5 }, run: (d) => { const x = d.rand([5, 6, 7], 0.5, 1.5); return [x.mean(), x.mean(1), x.mean(-1, true), x.mean([0, 2])]; } },
  { name: 'sum long rows (tree) and columns', tol: { rel: 1e-5 }, run: (d) => { const x = d.randn([13, 3000]); return [x.sum(1), x.sum(0), x.transpose().sum(0), x.sum()]; } },
  { name: 'long rows in two passes', tol: { rel: 1e-5 }, run: (d) => { const x = d.rand([3, 70000], -1, 2); return [x.sum(1), x.sum(), x.max(1), x.min(), x.prod(1).gt(-1), x.mean()]; } },
  { name: 'argmax ties in a long row (tree)', tol: 'exact', run: (d) => { const x = d.randint(0, 4, [5, 2000]).float(); const y = d.t(new Float32Array(700).fill(1)).maskedFill(d.t(Array.from({ length: 700 }, (_, i) => i === 400 || i === 650)), NaN); return [x.argmax(1), x.argmin(1), y.argmax(), y.argmin(), y.max()]; } },
  { name: 'int32 and bool reductions', tol: 'exact', run: (d) => { const x = d.randint(-100, 100, [8, 50]); return [x.sum(1), x.max(0), x.min(), x.argmax(1), x.gt(0).sum(1), x.gt(0).max(1), x.prod(1).abs().lt(0)]; } },
  { name: 'var / std / logsumexp', tol: { rel: 1e-5 }, run: (d) => { const x = d.randn([7, 40], 3); return [x.var(1), x.std(0), x.logsumexp(1), x.logsumexp()]; } },
  { name: 'softmax / logSoftmax', tol: { rel: 1e-5 }, run: (d) => { const x = d.randn([6, 33], 4); return [x.softmax(-1), x.logSoftmax(0)]; } },
  { name: 'reduce strided input', tol: { rel: 1e-5 }, run: (d) => { const x = d.randn([8, 6, 10]).permute(2, 0, 1).slice(0, 1, 9, 2); return [x.sum([0, 2]), x.max(1), x.mean(-1, true)]; } },
  // ---------------------------------------------------------------- matmul: tiles and paths
  { name: 'matmul multiples of 4 (vec4 loads)', tol: { rel: 1e-5 }, run: (d) => d.randn([64, 48]).matmul(d.randn([48, 80])) },
  { name: 'matmul transposed operands', tol: { rel: 1e-5 }, run: (d) => [d.randn([48, 64]).transpose().matmul(d.randn([48, 32])), d.randn([20, 36]).matmul(d.randn([28, 36]).transpose()), d.randn([36, 20]).T.matmul(d.randn([28, 36]).T)] },
  { name: 'matmul batched + broadcast', tol: { rel: 1e-5 }, run: (d) => [d.randn([2, 1, 5, 6]).matmul(d.randn([3, 6, 4])), d.randn([4, 9, 12]).matmul(d.randn([12, 7]))] },
  { name: 'matmul vectors', tol: { rel: 1e-5 }, run: (d) => [d.randn([30]).matmul(d.randn([30, 20])), d.randn([20, 30]).matmul(d.randn([30])), d.randn([30]).matmul(d.randn([30])), d.randn([3, 20, 30]).matmul(d.randn([30]))] },
  { name: 'matmul long K (dot path)', tol: { rel: 1e-5 }, run: (d) => [d.randn([3, 1000]).matmul(d.randn([1000, 5])), d.randn([2000]).matmul(d.randn([2000, 4]))] },
  { name: 'matmul split-K (few tiles, long K)', tol: { rel: 1e-5 }, run: (d) => [d.randn([40, 1024]).matmul(d.randn([1024, 48])), d.randn([2, 30, 600]).matmul(d.randn([600, 20])), d.randn([1000, 36]).T.matmul(d.randn([1000, 70]))] },
  { name: 'matmul 6x520x8 @ 8x520 (128x128 tiles)', tol: { rel: 1e-5 }, run: (d) => d.randn([6, 520, 8]).matmul(d.randn([8, 520])) },
  // ---------------------------------------------------------------- sorting: the bitonic network
  { name: 'argsort long rows (bitonic network): ties, NaN, strided, descending, int32, bool', tol: 'exact', run: (d) => {
    const x = d.randint(0, 50, [3, 1000]).float();
    const withNan = pg.where(d.randint(0, 20, [700]).eq(0), NaN, d.randn([700]));
    const tall = d.randn([600, 3]); // sorted along dim 0: a strided row
    return [pg.argsort(x, -1), pg.argsort(x, -1, true), x.topk(5).indices, x.sort(1).values, pg.argsort(withNan), pg.argsort(withNan, 0, true),
      pg.argsort(tall, 0), pg.argsort(tall.transpose(), 1, true), pg.argsort(d.randint(-9, 9, [2, 513]), 1), pg.argsort(d.randint(0, 9, [300]).gt(4), 0)];
  } },
  // ---------------------------------------------------------------- pooling (composites of unfold)
  { name: 'pooling ceilMode, returnIndices, countIncludePad false', tol: { rel: 1e-6 }, run: (d) => {
    const x = d.randn([2, 3, 8, 9]);
    const r = pg.maxPool2d(x, 3, { stride: 2, padding: 1, ceilMode: true, returnIndices: true });
    return [r.values, r.indices, pg.avgPool2d(x, 3, { stride: 2, padding: 1, ceilMode: true, countIncludePad: false })];
  } },
  { name: 'maxUnpool2d (repeated indices)', tol: 'exact', run: (d) => {
    const r = pg.maxPool2d(d.randn([2, 2, 6, 6]).mul(2).int().float(), 3, { stride: 1, padding: 1, returnIndices: true });
    return pg.maxUnpool2d(r.values, r.indices, 3, { stride: 1, padding: 1 });
  } },
];
