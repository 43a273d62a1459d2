// Reductions. The driver permutes the reduced dims to the end (a free view) so every kernel
// reduces contiguous rows of `n` elements (attrs.n); the CPU's rows use four accumulators in a
// fixed order (deterministic).
import { Tensor, type Dims } from '../tensor.js';
import type { Example, OpDef } from '../opdef.js';
import { bools, ints, normal, uniform, values } from '../opdef.js';
import type { DType } from '../dtype.js';
import { fmt, normDim, normDims, sizeOf } from '../shape.js';
import { runOp, scoped } from './core.js';
import { noGrad } from '../engine.js';
import { op, tensor, dim, dims, bool, opt, options, nonNegative } from '../args.js';

export { sumTo } from './core.js';

export interface ReduceAttrs {
  n: number;
  dims: number[];
  keepShape: number[];
}

/** Over everything, one dim, a kept dim, two dims, and a transposed input; plus a long row. */
function reduceExamples(f: (x: Tensor, dim?: Dims, keepdim?: boolean) => Tensor, lo = 0.5, hi = 1.5): Example[] {
  return [
    { note: 'over dims', inputs: [uniform([2, 3, 4], lo, hi)], call: (x) => [f(x), f(x, 1), f(x, -1, true), f(x, [0, 2]), f(x, [-1, -3], true)] },
    { note: 'transposed input', inputs: [uniform([3, 4], lo, hi)], call: (x) => f(x.transpose(0, 1), 0) },
    { note: 'long rows', inputs: [uniform([3, 700], lo, hi)], call: (x) => [f(x, 1), f(x, 0)], grad: false },
  ];
}

/** Ties, NaN, infinities and int32 rows for max/min/argmax/argmin. */
const extremeExample: Example = {
  note: 'ties, NaN, -inf, int32',
  inputs: [values([1, 3, 3, 0, NaN, 1, NaN, 5, 2, 2, 2, 2, -Infinity, -Infinity, -Infinity, -Infinity], 'float', [4, 4]), ints([8, 50], -100, 100)],
  call: (x, i) => [argmax(x, 1), argmin(x, 1), max(x, 1), min(x, 1), max(i, 0), min(i), argmax(i, 1), argmin(i, 0)],
  grad: false,
};

export const REDUCE = {
  sum: { kind: 'reduce', name: 'sum',
    grad: (dy, { inputs: [x], attrs }) => [dy.reshape(attrs.keepShape).expand(x.shape)],
    check: { tol: { rel: 1e-5 }, examples: [...reduceExamples((x, d, k) => sum(x, d, k), -1, 1),
      { note: 'int32, bool and an empty dim', inputs: [ints([8, 50], -100, 100), bools([8, 50]), normal([3, 0])], call: (i, b, e) => [sum(i, 1), sum(b, 1), sum(e, 1)], grad: false }] } },
  prod: { kind: 'reduce', name: 'prod',
    // d prod / d x_i = prod / x_i (undefined where x_i = 0, as documented).
    grad: (dy, { inputs: [x], out, attrs }) => [dy.reshape(attrs.keepShape).mul(out.reshape(attrs.keepShape)).div(x)],
    check: { tol: { rel: 1e-5 }, examples: reduceExamples((x, d, k) => prod(x, d, k), 0.9, 1.1) } },
  max: { kind: 'reduce', name: 'max', grad: extremumGrad,
    check: { examples: [...reduceExamples((x, d, k) => max(x, d, k), -1, 1), extremeExample] } },
  min: { kind: 'reduce', name: 'min', grad: extremumGrad,
    check: { examples: [...reduceExamples((x, d, k) => min(x, d, k), -1, 1), extremeExample] } },
  // First index of the maximum (NaN counts as the maximum, as in PyTorch).
  argmax: { kind: 'reduce', name: 'argmax',
    check: { examples: [{ inputs: [normal([9, 300])], call: (x) => [argmax(x, 1), argmax(x, 0), argmax(x), argmax(x.transpose(), -1, true)] }, extremeExample] } },
  argmin: { kind: 'reduce', name: 'argmin',
    check: { examples: [{ inputs: [normal([9, 300])], call: (x) => [argmin(x, 1), argmin(x, 0), argmin(x), argmin(x.transpose(), -1, true)] }, extremeExample] } },
} satisfies Record<string, OpDef<ReduceAttrs>>;

/** Gradient of max/min over dims: split evenly among the tied extrema (like torch.amax). */
function extremumGrad(dy: Tensor, { inputs: [x], out, attrs }: { inputs: Tensor[]; out: Tensor; attrs: ReduceAttrs }) {
  const mask = noGrad(() => x.eq(out.reshape(attrs.keepShape)).cast(x.dtype));
  const count = noGrad(() => mask.sum(attrs.dims, true));
  return [mask.div(count).mul(dy.reshape(attrs.keepShape))];
}

function reduce(def: OpDef<ReduceAttrs>, x: Tensor, dim: Dims | undefined, keepdim: boolean, outDtype?: DType): Tensor {
  x.assertAlive(def.name);
  const dims = normDims(def.name, dim, x.rank);
  const keepShape = x.shape.map((d, i) => (dims.includes(i) ? 1 : d));
  const outShape = keepdim ? keepShape : x.shape.filter((_, i) => !dims.includes(i));
  const n = sizeOf(dims.map((d) => x.shape[d]));
  if (n === 0 && (def.name === 'max' || def.name === 'min' || def.name.startsWith('arg')))
    throw new Error(`${def.name}: cannot reduce over an empty dimension of ${fmt(x.shape)}`);
  const kept = x.shape.map((_, i) => i).filter((i) => !dims.includes(i));
  const order = [...kept, ...dims];
  // A raw (unrecorded) view with the reduced dims last; the graph records x itself.
  const xp = new Tensor(x.storage, order.map((i) => x.shape[i]), order.map((i) => x.strides[i]), x.offset);
  // Bool rows are summed as 0/1 into an int32 result.
  const dtype = outDtype ?? (x.dtype === 'bool' ? 'int32' : x.dtype);
  try {
    return runOp(def, [xp], outShape, dtype, { n, dims, keepShape }, { gradInputs: [x] });
  } finally {
    xp.dispose();
  }
}

export const sum = op('sum', { x: tensor, dim: opt(dims), keepdim: opt(bool) }, function sum(x: Tensor, dim?: Dims, keepdim = false): Tensor {
  return reduce(REDUCE.sum, x, dim, keepdim);
});
export const prod = op('prod', { x: tensor, dim: opt(dims), keepdim: opt(bool) }, function prod(x: Tensor, dim?: Dims, keepdim = false): Tensor {
  return reduce(REDUCE.prod, x, dim, keepdim);
});
export const max = op('max', { x: tensor, dim: opt(dims), keepdim: opt(bool) }, function max(x: Tensor, dim?: Dims, keepdim = false): Tensor {
  return reduce(REDUCE.max, x, dim, keepdim, x.dtype);
});
export const min = op('min', { x: tensor, dim: opt(dims), keepdim: opt(bool) }, function min(x: Tensor, dim?: Dims, keepdim = false): Tensor {
  return reduce(REDUCE.min, x, dim, keepdim, x.dtype);
});
export const argmax = op('argmax', { x: tensor, dim: opt(dim), keepdim: opt(bool) }, function argmax(x: Tensor, dim?: number, keepdim = false): Tensor {
  if (dim === undefined) return reduce(REDUCE.argmax, x.reshape([-1]), 0, false, 'int32');
  return reduce(REDUCE.argmax, x, normDim('argmax', dim, x.rank), keepdim, 'int32');
});
export const argmin = op('argmin', { x: tensor, dim: opt(dim), keepdim: opt(bool) }, function argmin(x: Tensor, dim?: number, keepdim = false): Tensor {
  if (dim === undefined) return reduce(REDUCE.argmin, x.reshape([-1]), 0, false, 'int32');
  return reduce(REDUCE.argmin, x, normDim('argmin', dim, x.rank), keepdim, 'int32');
});

function countOf(x: Tensor, dim?: Dims): number {
  return sizeOf(normDims('mean', dim, x.rank).map((d) => x.shape[d]));
}

export const mean = op('mean', { x: tensor, dim: opt(dims), keepdim: opt(bool) }, scoped(function mean(x: Tensor, dim?: Dims, keepdim = false): Tensor {
  const s = sum(x.dtype === 'int32' || x.dtype === 'bool' ? x.cast('float32') : x, dim, keepdim);
  return s.div(countOf(x, dim));
}));

/** Variance with Bessel's correction by default (correction = 1), as torch.var. */
export const variance = op('variance', { x: tensor, dim: opt(dims), opts: options({ keepdim: opt(bool), correction: opt(nonNegative) }) }, scoped(function variance(x: Tensor, dim?: Dims, opts: { keepdim?: boolean; correction?: number } = {}): Tensor {
  const n = countOf(x, dim);
  const d = x.sub(mean(x, dim, true));
  return sum(d.square(), dim, opts.keepdim ?? false).div(Math.max(n - (opts.correction ?? 1), 0));
}));

export const std = op('std', { x: tensor, dim: opt(dims), opts: options({ keepdim: opt(bool), correction: opt(nonNegative) }) }, scoped(function std(x: Tensor, dim?: Dims, opts: { keepdim?: boolean; correction?: number } = {}): Tensor {
  return variance(x, dim, opts).sqrt();
}));

/** log(sum(exp(x))) computed stably by shifting by the (detached) maximum. */
export const logsumexp = op('logsumexp', { x: tensor, dim: opt(dims), keepdim: opt(bool) }, scoped(function logsumexp(x: Tensor, dim?: Dims, keepdim = false): Tensor {
  const { m, s: sumExp } = expParts(x, dim, true);
  const s = sumExp.log().add(m);
  return keepdim ? s : s.reshape(x.shape.filter((_, i) => !normDims('logsumexp', dim, x.rank).includes(i)));
}));

/**
 * The shared parts of logsumexp and softmax's composite (ops/nn.ts, also its fused kernel's
 * gradient rules) over `dim`: the max m (no gradient), e = exp(x - m) and s = the sum of e. A max of
 * -inf (with `infinities`, as logsumexp: of ±inf) is taken as 0, so such rows give NaN or ±inf, not
 * an error.
 */
export function expParts(x: Tensor, dim: Dims | undefined, infinities = false): { m: Tensor; e: Tensor; s: Tensor } {
  const m = noGrad(() => {
    const mx = max(x, dim, true);
    return mx.maskedFill(infinities ? mx.eq(-Infinity).logicalOr(mx.eq(Infinity)) : mx.eq(-Infinity), 0);
  });
  const e = x.sub(m).exp();
  return { m, e, s: sum(e, dim, true) };
}

// ---------------------------------------------------------------- cumsum
export const CUMSUM = {
  kind: 'kernel', name: 'cumsum',
  grad: (dy, { attrs: { dim } }) => [cumsum(dy.flip(dim), dim).flip(dim)],
  check: { tol: { rel: 1e-5 }, examples: [
    { inputs: [normal([5, 20, 3])], call: (x) => [cumsum(x, 1), cumsum(x, -1), cumsum(x.transpose(0, 1), 0)] },
    { note: 'int32 and bool', inputs: [ints([4, 30], -9, 9), bools([30])], call: (i, b) => [cumsum(i, 1), cumsum(b, 0)], grad: false },
  ] },
} satisfies OpDef<{ dim: number }>;

export const cumsum = op('cumsum', { x: tensor, dim }, function cumsum(x: Tensor, dim: number): Tensor {
  const d = normDim('cumsum', dim, x.rank);
  const xs = x.dtype === 'bool' ? x.cast('int32') : x;
  return runOp(CUMSUM, [xs], x.shape, xs.dtype, { dim: d });
});
