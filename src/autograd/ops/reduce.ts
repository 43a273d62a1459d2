// Reductions. The driver permutes the reduced dims to the end (a free view) so every kernel
// reduces contiguous rows; CPU rows use four accumulators in a fixed order (deterministic).
import { Tensor, type Dims } from '../tensor.js';
import type { KernelDef, ReduceDef } from '../opdef.js';
import type { View } from '../backend.js';
import type { DType, TypedArray } from '../dtype.js';
import { fmt, normDim, normDims, shapesEqual, sizeOf } from '../shape.js';
import { cpuBackend } from '../cpu/backend.js';
import { runOp, scoped } from './core.js';
import { cast, where } from './elementwise.js';
import { expand, flip, reshape } from './shape.js';
import { noGrad } from '../engine.js';

export const REDUCE = {
  sum: { kind: 'reduce', name: 'sum', wgsl: { init: '0.0', step: 'acc + v' },
    cpu: (x, off, n) => {
      let s0 = 0, s1 = 0, s2 = 0, s3 = 0, i = 0;
      for (; i + 3 < n; i += 4) { s0 += x[off + i]; s1 += x[off + i + 1]; s2 += x[off + i + 2]; s3 += x[off + i + 3]; }
      for (; i < n; i++) s0 += x[off + i];
      return (s0 + s1) + (s2 + s3);
    },
    grad: (dy, { inputs: [x], attrs }) => [expand(reshape(dy, attrs.keepShape), x.shape)] },
  prod: { kind: 'reduce', name: 'prod', wgsl: { init: '1.0', step: 'acc * v' },
    cpu: (x, off, n) => { let p = 1; for (let i = 0; i < n; i++) p *= x[off + i]; return p; },
    // d prod / d x_i = prod / x_i (undefined where x_i = 0, as documented).
    grad: (dy, { inputs: [x], out, attrs }) => [reshape(dy, attrs.keepShape).mul(reshape(out, attrs.keepShape)).div(x)] },
  max: { kind: 'reduce', name: 'max', wgsl: { init: '-inf', step: 'select(acc, v, v > acc || pg_isnan(v))' },
    cpu: (x, off, n) => { let m = -Infinity; for (let i = 0; i < n; i++) { const v = x[off + i]; if (v > m || v !== v) m = v; } return m; },
    grad: extremumGrad },
  min: { kind: 'reduce', name: 'min', wgsl: { init: 'inf', step: 'select(acc, v, v < acc || pg_isnan(v))' },
    cpu: (x, off, n) => { let m = Infinity; for (let i = 0; i < n; i++) { const v = x[off + i]; if (v < m || v !== v) m = v; } return m; },
    grad: extremumGrad },
  // First index of the maximum (NaN counts as the maximum, as in PyTorch).
  argmax: { kind: 'reduce', name: 'argmax', wgsl: { init: '-inf', step: 'v > acc || pg_isnan(v)', index: true },
    cpu: (x, off, n) => {
      let m = x[off], k = 0;
      if (m !== m) return 0;
      for (let i = 1; i < n; i++) { const v = x[off + i]; if (v > m || v !== v) { m = v; k = i; if (v !== v) break; } }
      return k;
    } },
  argmin: { kind: 'reduce', name: 'argmin', wgsl: { init: 'inf', step: 'v < acc || pg_isnan(v)', index: true },
    cpu: (x, off, n) => {
      let m = x[off], k = 0;
      if (m !== m) return 0;
      for (let i = 1; i < n; i++) { const v = x[off + i]; if (v < m || v !== v) { m = v; k = i; if (v !== v) break; } }
      return k;
    } },
} satisfies Record<string, ReduceDef>;

/** Gradient of max/min over dims: split evenly among the tied extrema (like torch.amax). */
function extremumGrad(dy: Tensor, { inputs: [x], out, attrs }: { inputs: Tensor[]; out: Tensor; attrs: ReduceAttrs }) {
  const mask = noGrad(() => cast(x.eq(reshape(out, attrs.keepShape)), x.dtype));
  const count = noGrad(() => mask.sum(attrs.dims, true));
  return [mask.div(count).mul(reshape(dy, attrs.keepShape))];
}

interface ReduceAttrs {
  n: number;
  dims: number[];
  keepShape: number[];
}

function reduce(def: ReduceDef<ReduceAttrs>, x: Tensor, dim: Dims | undefined, keepdim: boolean, outDtype?: DType): Tensor {
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
    return runOp(def, [xp], outShape, dtype, { n, dims, keepShape }, [x]);
  } finally {
    xp.dispose();
  }
}

export function sum(x: Tensor, dim?: Dims, keepdim = false): Tensor {
  return reduce(REDUCE.sum, x, dim, keepdim);
}
export function prod(x: Tensor, dim?: Dims, keepdim = false): Tensor {
  return reduce(REDUCE.prod, x, dim, keepdim);
}
export function max(x: Tensor, dim?: Dims, keepdim = false): Tensor {
  return reduce(REDUCE.max, x, dim, keepdim, x.dtype);
}
export function min(x: Tensor, dim?: Dims, keepdim = false): Tensor {
  return reduce(REDUCE.min, x, dim, keepdim, x.dtype);
}
export function argmax(x: Tensor, dim?: number, keepdim = false): Tensor {
  if (dim === undefined) return reduce(REDUCE.argmax, reshape(x, [-1]), 0, false, 'int32');
  return reduce(REDUCE.argmax, x, normDim('argmax', dim, x.rank), keepdim, 'int32');
}
export function argmin(x: Tensor, dim?: number, keepdim = false): Tensor {
  if (dim === undefined) return reduce(REDUCE.argmin, reshape(x, [-1]), 0, false, 'int32');
  return reduce(REDUCE.argmin, x, normDim('argmin', dim, x.rank), keepdim, 'int32');
}

function countOf(x: Tensor, dim?: Dims): number {
  return sizeOf(normDims('mean', dim, x.rank).map((d) => x.shape[d]));
}

export const mean = scoped(function mean(x: Tensor, dim?: Dims, keepdim = false): Tensor {
  const s = sum(x.dtype === 'int32' || x.dtype === 'bool' ? cast(x, 'float32') : x, dim, keepdim);
  return s.div(countOf(x, dim));
});

/** Variance with Bessel's correction by default (correction = 1), as torch.var. */
export const variance = scoped(function variance(x: Tensor, dim?: Dims, opts: { keepdim?: boolean; correction?: number } = {}): Tensor {
  const n = countOf(x, dim);
  const d = x.sub(mean(x, dim, true));
  return sum(d.square(), dim, opts.keepdim ?? false).div(Math.max(n - (opts.correction ?? 1), 0));
});

export const std = scoped(function std(x: Tensor, dim?: Dims, opts: { keepdim?: boolean; correction?: number } = {}): Tensor {
  return variance(x, dim, opts).sqrt();
});

/** log(sum(exp(x))) computed stably by shifting by the (detached) maximum. */
export const logsumexp = scoped(function logsumexp(x: Tensor, dim?: Dims, keepdim = false): Tensor {
  const m = noGrad(() => {
    const mx = max(x, dim, true);
    return where(mx.eq(-Infinity).logicalOr(mx.eq(Infinity)), 0, mx);
  });
  const s = sum(x.sub(m).exp(), dim, true).log().add(m);
  return keepdim ? s : reshape(s, x.shape.filter((_, i) => !normDims('logsumexp', dim, x.rank).includes(i)));
});

/** Sums a broadcast gradient back down to `shape` (the adjoint of broadcasting). */
export function sumTo(g: Tensor, shape: readonly number[]): Tensor {
  if (shapesEqual(g.shape, shape)) return g;
  const lead = g.rank - shape.length;
  const dims: number[] = [];
  for (let i = 0; i < g.rank; i++) if (i < lead || (shape[i - lead] === 1 && g.shape[i] !== 1)) dims.push(i);
  const s = dims.length ? sum(g, dims, true) : g;
  return reshape(s, shape);
}

// ---------------------------------------------------------------- cumsum
export const CUMSUM: KernelDef<{ dim: number }> = {
  kind: 'kernel', name: 'cumsum',
  cpu: ([x]: View[], out: View, { dim }) => {
    const xd = cpuBackend.readSync(x);
    const y = out.storage.data as TypedArray;
    const n = x.shape[dim];
    const inner = sizeOf(x.shape.slice(dim + 1));
    const outer = sizeOf(x.shape.slice(0, dim));
    for (let o = 0; o < outer; o++)
      for (let j = 0; j < inner; j++) {
        let acc = 0;
        for (let k = 0, idx = o * n * inner + j; k < n; k++, idx += inner) y[idx] = acc += xd[idx];
      }
  },
  grad: (dy, { attrs: { dim } }) => [flip(cumsum(flip(dy, dim), dim), dim)],
};

export function cumsum(x: Tensor, dim: number): Tensor {
  const d = normDim('cumsum', dim, x.rank);
  const xs = x.dtype === 'bool' ? cast(x, 'int32') : x;
  return runOp(CUMSUM, [xs], x.shape, xs.dtype, { dim: d });
}

