// One list of op cases, run on the CPU and on WebGPU and compared. Each case builds its inputs
// from seeded CPU draws moved to the device under test, so both runs see the same numbers.
import * as pg from '../../src/index.js';
import type { Device } from '../../src/index.js';

/**
 * How closely WebGPU must match the CPU:
 * - 'exact': the same bits (NaN matches NaN);
 * - {ulp}: within that many float32 ulps (of the CPU value, at least ulp(tiny) near zero);
 * - {rel}: |gpu - cpu| <= rel * max|cpu| over the output (reductions and matmul sum in another order).
 */
export type Tol = 'exact' | { ulp: number; tiny?: number } | { rel: number };

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

const SPECIAL = [0, -0, 1, -1, 0.5, -2.5, 3.75, 1e-3, -1e-3, 1e30, -1e30, Infinity, -Infinity, NaN, 65504, 1 / 3];

const unaryExact = ['neg', 'abs', 'relu', 'square', 'reciprocal', 'sqrt'] as const;
// Measured on lavapipe with the backend's own float32 math library (kernels use no WGSL exp/log/...).
const unaryUlp: [string, number, (d: Dev) => pg.Tensor][] = [
  ['exp', 2, (d) => d.randn([40, 25], 4)],
  ['log', 2, (d) => d.rand([40, 25], 1e-3, 50)],
  ['log1p', 2, (d) => d.rand([40, 25], -0.9, 5)],
  ['expm1', 2, (d) => d.randn([40, 25], 2)],
  ['sin', 2, (d) => d.randn([40, 25], 5)],
  ['cos', 2, (d) => d.randn([40, 25], 5)],
  ['tanh', 2, (d) => d.randn([40, 25], 3)],
  ['rsqrt', 2, (d) => d.rand([40, 25], 1e-3, 100)],
  ['sigmoid', 3, (d) => d.randn([40, 25], 5)],
  ['silu', 4, (d) => d.randn([40, 25], 5)],
  ['softplus', 3, (d) => d.randn([40, 25], 5)],
  ['erf', 1, (d) => d.randn([40, 25], 2)],
];

export const CASES: Case[] = [
  // ---------------------------------------------------------------- elementwise, exact
  ...unaryExact.map((op): Case => ({ name: `${op} (special values)`, tol: 'exact', run: (d) => (d.t(SPECIAL) as any)[op]() })),
  ...unaryExact.map((op): Case => ({ name: `${op} randn`, tol: 'exact', run: (d) => (d.randn([33, 17], 3) as any)[op]() })),
  ...(['neg', 'abs', 'relu', 'square', 'sign'] as const).map((op): Case => ({ name: `${op} int32`, tol: 'exact', run: (d) => (d.randint(-50, 50, [7, 9]) as any)[op]() })),
  { name: 'sign float', tol: 'exact', run: (d) => d.t([0, 2, -3, Infinity, -Infinity, 1e-20]).sign() },
  ...(['add', 'sub', 'mul', 'div'] as const).map((op): Case => ({ name: `${op} broadcast [4,1,5] x [3,5]`, tol: 'exact', run: (d) => (d.randn([4, 1, 5], 10) as any)[op](d.randn([3, 5], 0.1)) })),
  ...(['add', 'sub', 'mul', 'div'] as const).map((op): Case => ({ name: `${op} special`, tol: 'exact', run: (d) => (d.t(SPECIAL).reshape(16, 1) as any)[op](d.t(SPECIAL)) })),
  ...(['add', 'sub', 'mul', 'maximum', 'minimum'] as const).map((op): Case => ({ name: `${op} int32`, tol: 'exact', run: (d) => (d.randint(-1000, 1000, [6, 8]) as any)[op](d.randint(-1000, 1000, [8])) })),
  { name: 'div int32 -> float32', tol: 'exact', run: (d) => d.randint(-100, 100, [5, 6]).div(d.randint(1, 9, [6])) },
  { name: 'scalar ops', tol: 'exact', run: (d) => d.randn([3, 4]).mul(2.5).add(1).sub(-3).div(7) },
  ...(['maximum', 'minimum'] as const).map((op): Case => ({ name: `${op} with NaN and ties`, tol: 'exact', run: (d) => (d.t([1, NaN, 2, NaN, 0, -0, 3]) as any)[op](d.t([NaN, 1, 2, NaN, -0, 0, -3])) })),
  ...(['eq', 'ne', 'lt', 'le', 'gt', 'ge'] as const).map((op): Case => ({ name: `${op}`, tol: 'exact', run: (d) => (d.t([1, 2, NaN, 3, -0, Infinity]) as any)[op](d.t([[1], [NaN], [0]])) })),
  { name: 'comparisons int32 and bool', tol: 'exact', run: (d) => [d.randint(0, 3, [10]).eq(d.randint(0, 3, [10])), d.t([true, false]).ne(d.t([[true], [false]]))] },
  { name: 'logical ops', tol: 'exact', run: (d) => { const a = d.t([true, false, true, false]), b = d.t([true, true, false, false]); return [a.logicalAnd(b), a.logicalOr(b), a.logicalNot(), d.t([0, 1.5, NaN]).logicalNot()]; } },
  { name: 'where broadcast', tol: 'exact', run: (d) => pg.where(d.randn([4, 1]).gt(0), d.randn([1, 5]), d.randn([4, 5])) },
  { name: 'where int32 / scalar', tol: 'exact', run: (d) => pg.where(d.t([true, false, true]), d.randint(0, 9, [3]), 7) },
  { name: 'clamp / maskedFill', tol: 'exact', run: (d) => [d.randn([5, 5], 3).clamp(-1, 1), d.randn([5, 5]).maskedFill(d.randn([5, 5]).lt(0), -Infinity)] },
  { name: 'pow integer exponents', tol: 'exact', run: (d) => [d.randn([20], 3).pow(2), d.randn([20], 3).pow(1), d.randn([20], 3).pow(0)] },
  { name: 'casts', tol: 'exact', run: (d) => { const x = d.randn([30], 40); return [x.int(), x.int().float(), x.bool(), x.gt(0).float(), x.gt(0).int(), d.randint(-3, 3, [9]).bool()]; } },
  // ---------------------------------------------------------------- strided inputs
  { name: 'transpose input', tol: 'exact', run: (d) => d.randn([6, 9]).transpose().mul(d.randn([9, 6])) },
  { name: 'slice with step, flip', tol: 'exact', run: (d) => [d.randn([10, 12]).slice(1, 1, 11, 3).add(1), d.randn([4, 5, 6]).flip([0, 2]).neg()] },
  { name: 'expand / permute / contiguous', tol: 'exact', run: (d) => [d.randn([3, 1, 4]).expand(3, 5, 4).contiguous(), d.randn([2, 3, 4, 5]).permute(3, 1, 0, 2).contiguous()] },
  { name: 'rank 6 broadcast', tol: 'exact', run: (d) => d.randn([2, 1, 3, 1, 2, 3]).add(d.randn([3, 1, 4, 2, 1])) },
  // ---------------------------------------------------------------- transcendental, ulp bounds
  ...unaryUlp.map(([op, ulp, make]): Case => ({ name: `${op}`, tol: { ulp }, run: (d) => (make(d) as any)[op]() })),
  // gelu: float32 rounding of the argument 2z = 2c(x + 0.044715 x^3) costs about |2z| ulp (measured 15 here); below x = -5 the
  // CPU's own double formula (1 + tanh z) underflows to 0 while the true value is ~1e-16: `tiny` covers that.
  { name: 'gelu tanh', tol: { ulp: 32, tiny: 1e-12 }, run: (d) => d.randn([40, 25], 2).gelu({ approximate: 'tanh' }) },
  // exact gelu = (x/2)(1 + erf(x/√2)): erf within 1 ulp, then 1 + erf cancels for x < 0 (below x = -5.4 float32
  // erf is -1 and the result 0 on both backends); `tiny` covers the cancellation near there.
  { name: 'gelu (erf)', tol: { ulp: 8, tiny: 1e-6 }, run: (d) => d.randn([40, 25], 2).gelu() },
  { name: 'erf special values', tol: 'exact', run: (d) => d.t([0, -0, Infinity, -Infinity, NaN, 4, -4, 3.92, 100]).erf() },
  { name: 'pow real exponents', tol: { ulp: 16 }, run: (d) => d.rand([20, 20], 0.1, 10).pow(d.rand([20], -3, 3)) },
  { name: 'pow negative base, integer exponent', tol: { ulp: 8 }, run: (d) => d.rand([4, 5], -4, -0.25).pow(d.t([-3, -2, 3, 4, 5])) },
  { name: 'transcendentals at extremes', tol: { ulp: 2 }, run: (d) => { const x = d.t([0, -0, 1e-30, -1e-30, 88, -88, 100, -100, 1e-6, 20, -20, Infinity, -Infinity, NaN]); return [x.exp(), x.tanh(), x.sigmoid(), x.softplus(), x.expm1()]; } },
  { name: 'log at extremes', tol: { ulp: 2 }, run: (d) => { const x = d.t([0, -0, 1e-30, 1, 2, 1e30, 3e38, Infinity, -1, NaN, 1.0000001, 0.9999999]); return [x.log(), x.log1p(), x.sqrt(), x.rsqrt()]; } },
  { name: 'sin/cos large arguments', tol: { ulp: 2 }, run: (d) => { const x = d.rand([200], -1000, 1000); return [x.sin(), x.cos()]; } },
  // ---------------------------------------------------------------- reductions
  ...(['sum', 'mean', 'max', 'min', 'prod'] as const).map((op): Case => ({
    name: `${op} over dims`, tol: { rel: 1e-5 }, run: (d) => { const x = d.rand([5, 6, 7], 0.5, 1.5); return [(x as any)[op](), (x as any)[op](1), (x as any)[op](-1, true), (x as any)[op]([0, 2]), (x as any)[op]([-1, -3], true)]; },
  })),
  { name: 'sum long rows (tree) and columns', tol: { rel: 1e-5 }, run: (d) => { const x = d.randn([13, 3000]); return [x.sum(1), x.sum(0), x.transpose().sum(0), x.sum()]; } },
  { name: 'long rows in two passes', tol: { rel: 1e-5 }, run: (d) => { const x = d.rand([3, 70000], -1, 2); return [x.sum(1), x.sum(), x.max(1), x.min(), x.prod(1).gt(-1), x.mean()]; } },
  { name: 'max/min/argmax/argmin exact', tol: 'exact', run: (d) => { const x = d.randn([9, 300]); return [x.max(1), x.min(0), x.argmax(1), x.argmin(0), x.argmax(), x.transpose().argmax(-1, true)]; } },
  { name: 'argmax ties and NaN', tol: 'exact', run: (d) => { const x = d.t([[1, 3, 3, 0], [NaN, 1, NaN, 5], [2, 2, 2, 2], [-Infinity, -Infinity, -Infinity, -Infinity]]); return [x.argmax(1), x.argmin(1), x.max(1), x.min(1)]; } },
  { name: 'argmax ties in a long row (tree)', tol: 'exact', run: (d) => { const x = d.randint(0, 4, [5, 2000]).float(); const y = d.t(new Float32Array(700).fill(1)).maskedFill(d.t(Array.from({ length: 700 }, (_, i) => i === 400 || i === 650)), NaN); return [x.argmax(1), x.argmin(1), y.argmax(), y.argmin(), y.max()]; } },
  { name: 'int32 and bool reductions', tol: 'exact', run: (d) => { const x = d.randint(-100, 100, [8, 50]); return [x.sum(1), x.max(0), x.min(), x.argmax(1), x.gt(0).sum(1), x.gt(0).max(1), x.prod(1).abs().lt(0)]; } },
  { name: 'var / std / logsumexp', tol: { rel: 1e-5 }, run: (d) => { const x = d.randn([7, 40], 3); return [x.var(1), x.std(0), x.logsumexp(1), x.logsumexp()]; } },
  { name: 'softmax / logSoftmax', tol: { rel: 1e-5 }, run: (d) => { const x = d.randn([6, 33], 4); return [x.softmax(-1), x.logSoftmax(0)]; } },
  { name: 'reduce strided input', tol: { rel: 1e-5 }, run: (d) => { const x = d.randn([8, 6, 10]).permute(2, 0, 1).slice(0, 1, 9, 2); return [x.sum([0, 2]), x.max(1), x.mean(-1, true)]; } },
  { name: 'sum of empty dim', tol: 'exact', run: (d) => d.randn([3, 0]).sum(1) },
  { name: 'cumsum', tol: { rel: 1e-5 }, run: (d) => { const x = d.randn([5, 20, 3]); return [x.cumsum(1), x.cumsum(-1), x.transpose(0, 1).cumsum(0)]; } },
  { name: 'cumsum int32 / bool', tol: 'exact', run: (d) => [d.randint(-9, 9, [4, 30]).cumsum(1), d.randn([30]).gt(0).cumsum(0)] },
  // ---------------------------------------------------------------- matmul
  { name: 'matmul 2-D odd sizes', tol: { rel: 1e-5 }, run: (d) => d.randn([37, 29]).matmul(d.randn([29, 41])) },
  { name: 'matmul multiples of 4 (vec4 loads)', tol: { rel: 1e-5 }, run: (d) => d.randn([64, 48]).matmul(d.randn([48, 80])) },
  { name: 'matmul transposed operands', tol: { rel: 1e-5 }, run: (d) => [d.randn([48, 64]).transpose().matmul(d.randn([48, 32])), d.randn([20, 36]).matmul(d.randn([28, 36]).transpose()), d.randn([36, 20]).T.matmul(d.randn([28, 36]).T)] },
  { name: 'matmul batched + broadcast', tol: { rel: 1e-5 }, run: (d) => [d.randn([2, 1, 5, 6]).matmul(d.randn([3, 6, 4])), d.randn([4, 9, 12]).matmul(d.randn([12, 7]))] },
  { name: 'matmul vectors', tol: { rel: 1e-5 }, run: (d) => [d.randn([30]).matmul(d.randn([30, 20])), d.randn([20, 30]).matmul(d.randn([30])), d.randn([30]).matmul(d.randn([30])), d.randn([3, 20, 30]).matmul(d.randn([30]))] },
  { name: 'matmul long K (dot path)', tol: { rel: 1e-5 }, run: (d) => [d.randn([3, 1000]).matmul(d.randn([1000, 5])), d.randn([2000]).matmul(d.randn([2000, 4]))] },
  { name: 'matmul split-K (few tiles, long K)', tol: { rel: 1e-5 }, run: (d) => [d.randn([40, 1024]).matmul(d.randn([1024, 48])), d.randn([2, 30, 600]).matmul(d.randn([600, 20])), d.randn([1000, 36]).T.matmul(d.randn([1000, 70]))] },
  { name: 'matmul 6x520x8 @ 8x520 (128x128 tiles)', tol: { rel: 1e-5 }, run: (d) => d.randn([6, 520, 8]).matmul(d.randn([8, 520])) },
  { name: 'matmul int inputs, empty K', tol: { rel: 1e-6 }, run: (d) => [d.randint(-5, 5, [6, 7]).matmul(d.randint(-5, 5, [7, 3])), d.randn([4, 0]).matmul(d.randn([0, 3]))] },
  // ---------------------------------------------------------------- shape kernels
  { name: 'reshape non-contiguous', tol: 'exact', run: (d) => d.randn([4, 6]).transpose().reshape(3, 8) },
  { name: 'cat / stack / split', tol: 'exact', run: (d) => { const a = d.randn([2, 3]), b = d.randn([2, 5]); return [pg.cat([a, b], 1), pg.cat([a, a.neg()], -2), pg.stack([a, a, a], 1), pg.cat([a.int(), b], 1), ...pg.cat([a, b], 1).split([4, 4], 1).map((t) => t.contiguous())]; } },
  { name: 'cat bool / int', tol: 'exact', run: (d) => pg.cat([d.t([true, false]), d.t([false])]) },
  { name: 'pad / repeat', tol: 'exact', run: (d) => { const x = d.randn([2, 3, 4]); return [x.pad([1, 2]), x.pad([0, 1, 2, 0], -1.5), x.repeat(2, 1, 3), d.randint(0, 5, [3]).pad([2, 2], 9)]; } },
  // ---------------------------------------------------------------- indexing
  { name: 'gather / indexSelect / embedding', tol: 'exact', run: (d) => { const x = d.randn([6, 7]); return [x.gather(1, d.randint(0, 7, [6, 3])), x.gather(0, d.randint(0, 6, [4, 7])), x.indexSelect(0, d.t([5, 0, 0, 2], { dtype: 'int32' })), pg.embedding(d.randint(0, 6, [2, 3]), x)]; } },
  { name: 'gather strided input and index', tol: 'exact', run: (d) => d.randn([7, 6]).transpose().gather(1, d.randint(0, 7, [3, 6]).transpose()) },
  { name: 'scatterAdd with duplicates', tol: 'exact', run: (d) => { const x = d.randn([5, 4]); return [x.scatterAdd(0, d.randint(0, 5, [9, 4]), d.randn([9, 4])), x.scatterAdd(1, d.randint(0, 4, [3, 6]), d.randn([5, 6]))]; } },
  { name: 'scatterAdd int32', tol: 'exact', run: (d) => d.randint(0, 9, [6]).scatterAdd(0, d.randint(0, 6, [20]), d.randint(-5, 5, [20])) },
  { name: 'oneHot', tol: 'exact', run: (d) => pg.oneHot(d.randint(0, 5, [7]), 5) },
  { name: 'argsort / sort / topk', tol: 'exact', run: (d) => { const x = d.randint(0, 6, [4, 25]).float(); return [pg.argsort(x, -1), pg.argsort(x, 0, true), x.sort(1, true).values, x.topk(3).indices, x.topk(3, 0, false).values]; } },
  { name: 'argsort long rows (bitonic network): ties, NaN, strided, descending, int32, bool', tol: 'exact', run: (d) => {
    const x = d.randint(0, 50, [3, 1000]).float();
    const withNan = pg.where(d.randint(0, 20, [700]).eq(0), NaN, d.randn([700]));
    const tall = d.randn([600, 3]); // sorted along dim 0: a strided row
    return [pg.argsort(x, -1), pg.argsort(x, -1, true), x.topk(5).indices, x.sort(1).values, pg.argsort(withNan), pg.argsort(withNan, 0, true),
      pg.argsort(tall, 0), pg.argsort(tall.transpose(), 1, true), pg.argsort(d.randint(-9, 9, [2, 513]), 1), pg.argsort(d.randint(0, 9, [300]).gt(4), 0)];
  } },
  { name: 'argsort NaN / -0 / strided', tol: 'exact', run: (d) => { const x = d.t([3, NaN, -0, 0, -Infinity, NaN, 1]); return [pg.argsort(x), pg.argsort(x, 0, true), pg.argsort(d.randn([6, 5]).transpose(), 1)]; } },
  // ---------------------------------------------------------------- conv
  { name: 'unfold / conv2d', tol: { rel: 1e-5 }, run: (d) => { const x = d.randn([2, 3, 9, 8]); return [pg.unfold(x, [3, 2], { stride: [2, 1], padding: 1, dilation: [1, 2] }), pg.conv2d(x, d.randn([4, 3, 3, 3]), d.randn([4]), { padding: 1 }), pg.conv2d(x, d.randn([6, 1, 2, 2]), null, { groups: 3, stride: 2 })]; } },
  { name: 'pooling', tol: 'exact', run: (d) => { const x = d.randn([2, 3, 8, 8]); return [pg.maxPool2d(x, 2), pg.maxPool2d(x, 3, { stride: 2, padding: 1 })]; } },
  { name: 'avgPool2d', tol: { rel: 1e-6 }, run: (d) => pg.avgPool2d(d.randn([2, 3, 8, 8]), 2) },
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
