// Neural-network primitives. unfold/fold (im2col and its adjoint) are the kernels; softmax,
// conv2d, pooling and dropout are compositions of primitives.
import { Tensor } from '../tensor.js';
import type { OpDef } from '../opdef.js';
import { normal } from '../opdef.js';
import type { Device } from '../backend.js';
import type { DType } from '../dtype.js';
import { convOutputSize, fmt, normDim } from '../shape.js';
import { customOp, isGradEnabled, noGrad, record, type GradRule } from '../engine.js';
import { empty, runOp, scoped } from './core.js';
import { getBackend } from '../devices.js';
import { owned, realize } from '../memory.js';
import { arange, bernoulli, full, randn, tensor, zeros, type RandOpts } from './creation.js';
import { cat } from './shape.js';
import { expParts } from './reduce.js';
import { op, tensor as aTensor, indexTensor, dim, size, sizes, count, bool, number, generator, pair, opt, nullable, options } from '../args.js';

/** A constant tensor from host data on `device`. */
function tensorOf(data: Int32Array | Float64Array, device: Device, dtype?: DType): Tensor {
  return tensor(data, { dtype: dtype ?? (data instanceof Int32Array ? 'int32' : 'float64'), device });
}

export const softmax = op('softmax', { x: aTensor, dim: opt(dim) }, scoped(function softmax(x: Tensor, dim = -1): Tensor {
  const d = normDim('softmax', dim, x.rank);
  if (d === x.rank - 1) {
    const y = fusedSoftmax(x);
    if (y) return y;
  }
  const { e, s } = expParts(x, d);
  return e.div(s);
}));

/**
 * softmax (log: logSoftmax) over the last dim by the backend's fused kernel (Backend.softmaxRows:
 * per row the max, exp, sum and division, one pass over memory instead of five kernels or more),
 * where the backend has one; else null. The kernel gives the composite's bits
 * (test/wasm/softmax.test.ts). Under autograd it also writes e and s, which the node keeps for its
 * gradient rule.
 */
function fusedSoftmax(x: Tensor, log = false): Tensor | null {
  const backend = getBackend(x.device);
  if (!backend.softmaxRows) return null;
  const recording = isGradEnabled() && x.requiresGrad;
  realize(x.storage);
  const out = empty(x.shape, x.dtype, x.device);
  const sumShape = [...x.shape.slice(0, -1), 1];
  // Without a gradient, e is out itself (divided in place) and s is scratch.
  const [e, s] = recording
    ? owned(() => [empty(x.shape, x.dtype, x.device), empty(sumShape, x.dtype, x.device)])
    : [out, empty(sumShape, x.dtype, x.device)];
  if (!backend.softmaxRows(x, out, e, s, log)) {
    for (const t of new Set([out, e, s])) t.dispose();
    return null;
  }
  if (!recording) {
    s.dispose();
    return out;
  }
  // logSoftmax's x twice: its composite gives x two gradient terms, which backward adds in turn
  return log
    ? record('logSoftmax', logSoftmaxGrad, [x, x], out, { e, s }, [e, s])
    : record('softmax', softmaxGrad, [x], out, { e, s }, [e, s]);
}

/**
 * The composite's gradient, op for op in the order backward runs the composite's nodes (div, sum,
 * exp, sub), so that the fused softmax and the composite give the same gradient bits: div's rule
 * gives g / s to e and -sum(g y / s) to s, sum's spreads that over the row, the two meet at e
 * (added), exp's multiplies by e, sub's passes it on. Under create_graph, e and s are recomputed by
 * the composite (the same values) so that they are functions of x in the new graph.
 */
const softmaxGrad: GradRule<{ e: Tensor; s: Tensor }> = (g, { inputs: [x], out: y, attrs }) => {
  const { e, s } = isGradEnabled() ? expParts(x, x.rank - 1) : attrs;
  const toE = g.div(s);
  const toS = g.mul(y).div(s).neg().sum(-1, true);
  return [toE.add(toS.expand(x.shape)).mul(e)];
};

export const logSoftmax = op('logSoftmax', { x: aTensor, dim: opt(dim) }, scoped(function logSoftmax(x: Tensor, dim = -1): Tensor {
  const d = normDim('logSoftmax', dim, x.rank);
  if (d === x.rank - 1) {
    const y = fusedSoftmax(x, true);
    if (y) return y;
  }
  return x.sub(x.logsumexp(d, true));
}));

/**
 * The gradient of x - logsumexp(x), the composite's backward op for op: the outer sub gives g to x
 * and -sum(g) to logsumexp, whose add passes it on, log's rule divides it by s, sum's spreads it
 * over the row, exp's multiplies by e, and the inner sub passes that to x. The node's inputs are
 * [x, x], so the two terms reach x in the composite's order. Under create_graph, e and s are
 * recomputed by the composite.
 */
const logSoftmaxGrad: GradRule<{ e: Tensor; s: Tensor }> = (g, { inputs: [x], attrs }) => {
  const { e, s } = isGradEnabled() ? expParts(x, x.rank - 1, true) : attrs;
  const toSum = g.neg().sum(-1, true).div(s);
  return [g, toSum.expand(x.shape).mul(e)];
};

type Pair = number | [number, number];
const pairOf = (v: Pair): [number, number] => (typeof v === 'number' ? [v, v] : v);
/** The options of convolutions and pooling. */
const CONV = { stride: opt(pair(count)), padding: opt(pair(size)), dilation: opt(pair(count)) };
const RAND_TRAIN = { generator: opt(generator), training: opt(bool) };

export interface UnfoldAttrs {
  C: number; H: number; W: number;
  k: [number, number]; stride: [number, number]; padding: [number, number]; dilation: [number, number];
  outH: number; outW: number;
}

/** im2col: [N, C, H, W] -> [N, C*kh*kw, outH*outW] (zero padding). */
export const UNFOLD = {
  kind: 'kernel', name: 'unfold',
  grad: (dy, { attrs }) => [foldWith(dy, attrs)],
  check: { tol: { rel: 1e-5 }, examples: [
    { note: 'stride, padding, dilation', inputs: [normal([2, 3, 9, 8])], call: (x) => unfold(x, [3, 2], { stride: [2, 1], padding: 1, dilation: [1, 2] }), grad: false },
    { note: 'small', inputs: [normal([1, 2, 3, 3])], call: (x) => unfold(x, 2, { stride: 1 }).square() },
    { note: 'conv2d with bias, groups', inputs: [normal([2, 2, 5, 5]), normal([3, 2, 3, 3]), normal([3]), normal([1, 4, 5, 4]), normal([4, 2, 3, 3])],
      call: (x, w, b, x2, w2) => [conv2d(x, w, b, { stride: 2, padding: 1 }), conv2d(x2, w2, null, { dilation: 2, padding: 2, groups: 2 })] },
    { note: 'pooling', inputs: [normal([1, 2, 4, 4]), normal([1, 1, 5, 5])], call: (x, y) => [maxPool2d(x, 2), maxPool2d(y, 3, { stride: 2, padding: 1 }), avgPool2d(x, 2, { stride: 1 })] },
  ] },
} satisfies OpDef<UnfoldAttrs>;

/** col2im: the adjoint of unfold, summing overlapping patches back into [N, C, H, W]. */
export const FOLD = {
  kind: 'kernel', name: 'fold',
  grad: (dy, { attrs }) => [unfoldWith(dy, attrs)],
  check: { tol: { rel: 1e-5 }, examples: [
    { note: 'padding, overlapping patches', inputs: [normal([2, 8, 30])], call: (c) => fold(c, [5, 4], 2, { padding: 1 }) },
    { note: 'stride and dilation', inputs: [normal([1, 12, 12])], call: (c) => fold(c, [7, 6], [2, 3], { stride: [2, 1], dilation: [2, 1] }) },
  ] },
} satisfies OpDef<UnfoldAttrs>;

function unfoldWith(x: Tensor, a: UnfoldAttrs): Tensor {
  return runOp(UNFOLD, [x.contiguous()], [x.shape[0], a.C * a.k[0] * a.k[1], a.outH * a.outW], x.dtype, a);
}

function foldWith(cols: Tensor, a: UnfoldAttrs): Tensor {
  return runOp(FOLD, [cols.contiguous()], [cols.shape[0], a.C, a.H, a.W], cols.dtype, a);
}

export interface ConvOpts {
  stride?: Pair;
  padding?: Pair;
  dilation?: Pair;
}

/** torch.nn.functional.unfold: sliding local blocks of [N, C, H, W] as columns. */
export const unfold = op('unfold', { x: aTensor, kernelSize: pair(count), opts: options(CONV) }, scoped(function unfold(x: Tensor, kernelSize: Pair, opts: ConvOpts = {}): Tensor {
  if (x.rank !== 4) throw new Error(`unfold: expected input [N, C, H, W], got ${fmt(x.shape)}`);
  const k = pairOf(kernelSize), stride = pairOf(opts.stride ?? 1), padding = pairOf(opts.padding ?? 0), dilation = pairOf(opts.dilation ?? 1);
  const [, C, H, W] = x.shape;
  const outH = convOutputSize(H, k[0], stride[0], padding[0], dilation[0]);
  const outW = convOutputSize(W, k[1], stride[1], padding[1], dilation[1]);
  if (outH <= 0 || outW <= 0)
    throw new Error(`unfold: kernel ${fmt(k)} (dilation ${fmt(dilation)}) does not fit input ${fmt(x.shape)} with padding ${fmt(padding)}`);
  if (x.dtype !== 'float32' && x.dtype !== 'float64') throw new Error(`unfold: expected a float tensor, got ${x.dtype}`);
  return unfoldWith(x, { C, H, W, k, stride, padding, dilation, outH, outW });
}), { example: () => [randn([1, 2, 4, 4]), 2] });

/** torch.nn.functional.fold: sums columns [N, C*kh*kw, L] into [N, C, H, W] (the adjoint of unfold). */
export const fold = op('fold', { cols: aTensor, outputSize: pair(count), kernelSize: pair(count), opts: options(CONV) }, scoped(function fold(cols: Tensor, outputSize: Pair, kernelSize: Pair, opts: ConvOpts = {}): Tensor {
  const k = pairOf(kernelSize), stride = pairOf(opts.stride ?? 1), padding = pairOf(opts.padding ?? 0), dilation = pairOf(opts.dilation ?? 1);
  const [H, W] = pairOf(outputSize);
  const outH = convOutputSize(H, k[0], stride[0], padding[0], dilation[0]);
  const outW = convOutputSize(W, k[1], stride[1], padding[1], dilation[1]);
  if (cols.rank !== 3 || cols.shape[1] % (k[0] * k[1]) !== 0 || cols.shape[2] !== outH * outW)
    throw new Error(`fold: expected columns [N, C*${k[0] * k[1]}, ${outH * outW}] for output ${fmt([H, W])}, got ${fmt(cols.shape)}`);
  if (cols.dtype !== 'float32' && cols.dtype !== 'float64') throw new Error(`fold: expected a float tensor, got ${cols.dtype}`);
  return foldWith(cols, { C: cols.shape[1] / (k[0] * k[1]), H, W, k, stride, padding, dilation, outH, outW });
}), { example: () => [randn([1, 8, 9]), 4, 2] });

/** 2-D convolution (cross-correlation, as PyTorch): x [N, C, H, W], weight [O, C/groups, kh, kw]. */
export const conv2d = op('conv2d', { x: aTensor, weight: aTensor, bias: nullable(aTensor), opts: options({ ...CONV, groups: opt(count) }) }, scoped(function conv2d(x: Tensor, weight: Tensor, bias?: Tensor | null, opts: ConvOpts & { groups?: number } = {}): Tensor {
  if (x.rank !== 4 || weight.rank !== 4)
    throw new Error(`conv2d: expected input [N, C, H, W] and weight [O, C/groups, kh, kw], got ${fmt(x.shape)} and ${fmt(weight.shape)}`);
  const groups = opts.groups ?? 1;
  const [N, C, H, W] = x.shape;
  const [O, Cg, kh, kw] = weight.shape;
  if (C % groups || O % groups || Cg !== C / groups)
    throw new Error(`conv2d: input ${fmt(x.shape)} and weight ${fmt(weight.shape)} do not match with groups=${groups} (need C/groups = ${C / groups} = weight.shape[1])`);
  const cols = unfold(x, [kh, kw], { stride: opts.stride, padding: opts.padding, dilation: opts.dilation }); // [N, C*kh*kw, L]
  const L = cols.shape[2];
  const outH = convOutputSize(H, kh, pairOf(opts.stride ?? 1)[0], pairOf(opts.padding ?? 0)[0], pairOf(opts.dilation ?? 1)[0]);
  // Channels are the slowest index of a column, so groups split the column dim evenly.
  const colsG = cols.reshape([N, groups, Cg * kh * kw, L]);
  const wG = weight.reshape([groups, O / groups, Cg * kh * kw]);
  let y = wG.matmul(colsG).reshape([N, O, outH, L / outH]); // [G, O/G, CK] @ [N, G, CK, L] -> [N, G, O/G, L]
  if (bias) {
    if (bias.rank !== 1 || bias.shape[0] !== O) throw new Error(`conv2d: bias must be [${O}], got ${fmt(bias.shape)}`);
    y = y.add(bias.reshape([1, O, 1, 1]));
  }
  return y;
}), { example: () => [randn([1, 2, 5, 5]), randn([3, 2, 3, 3])] });

export interface MaxPoolOpts extends ConvOpts {
  /** Round the output size up (PyTorch's ceil_mode): a last, partial window where one starts inside the input or its left padding. */
  ceilMode?: boolean;
  /** Also return the argmax of each window as a flat index into its input plane (h * W + w): {values, indices}. */
  returnIndices?: boolean;
}

export interface AvgPoolOpts {
  stride?: Pair;
  padding?: Pair;
  ceilMode?: boolean;
  /** Count padded zeros in each window's average (default true, as PyTorch); false: only the input's elements. */
  countIncludePad?: boolean;
  /** Divide every window sum by this instead. */
  divisorOverride?: number | null;
}

interface Pool1d { k: number; s: number; p: number; d: number; out: number; extra: number }

/** One spatial dim of a pooling window: output size (PyTorch's rule) and the extra right padding ceilMode needs. */
function poolDim(op: string, size: number, k: number, s: number, p: number, d: number, ceil: boolean): Pool1d {
  for (const [name, v, min] of [['kernelSize', k, 1], ['stride', s, 1], ['dilation', d, 1], ['padding', p, 0]] as const)
    if (!Number.isInteger(v) || v < min) throw new Error(`${op}: ${name} must be an integer >= ${min}, got ${v}`);
  const span = d * (k - 1) + 1;
  if (2 * p > k) throw new Error(`${op}: padding ${p} must be at most half the kernel size ${k} (as PyTorch)`);
  const num = size + 2 * p - span;
  let out = (ceil ? Math.ceil(num / s) : Math.floor(num / s)) + 1;
  // A window must start inside the input or its left padding.
  if (ceil && (out - 1) * s >= size + p) out--;
  if (out <= 0) throw new Error(`${op}: kernel span ${span} does not fit input size ${size} with padding ${p}`);
  return { k, s, p, d, out, extra: Math.max(0, (out - 1) * s + span - (size + 2 * p)) };
}

function poolGeometry(op: string, x: Tensor, kernelSize: Pair, opts: { stride?: Pair; padding?: Pair; dilation?: Pair; ceilMode?: boolean }): [Pool1d, Pool1d] {
  if (x.rank !== 4) throw new Error(`${op}: expected input [N, C, H, W], got ${fmt(x.shape)}`);
  if (x.dtype !== 'float32' && x.dtype !== 'float64') throw new Error(`${op}: expected a float tensor, got ${x.dtype}`);
  const k = pairOf(kernelSize), stride = pairOf(opts.stride ?? k), padding = pairOf(opts.padding ?? 0), dilation = pairOf(opts.dilation ?? 1);
  return [0, 1].map((i) => poolDim(op, x.shape[2 + i], k[i], stride[i], padding[i], dilation[i], opts.ceilMode ?? false)) as [Pool1d, Pool1d];
}

/** The windows as columns [N, C, kh*kw, outH*outW], the input padded with padValue (explicitly, so max pooling sees -inf). */
function poolCols(x: Tensor, [h, w]: [Pool1d, Pool1d], padValue: number): Tensor {
  const xp = h.p || w.p || h.extra || w.extra ? x.pad([w.p, w.p + w.extra, h.p, h.p + h.extra], padValue) : x;
  const cols = unfold(xp, [h.k, w.k], { stride: [h.s, w.s], dilation: [h.d, w.d] });
  return cols.reshape([x.shape[0], x.shape[1], h.k * w.k, h.out * w.out]);
}

/**
 * For window slot j and output position l, the flat input index (row * W + col) of that element; a
 * padded slot names the window's first input element (what PyTorch reports when nothing beats -inf).
 */
function windowIndexTable([h, w]: [Pool1d, Pool1d], H: number, W: number): Int32Array {
  const K = h.k * w.k, L = h.out * w.out;
  const t = new Int32Array(K * L);
  for (let oh = 0; oh < h.out; oh++)
    for (let ow = 0; ow < w.out; ow++) {
      const l = oh * w.out + ow, r0 = oh * h.s - h.p, c0 = ow * w.s - w.p;
      let first = -1;
      for (let j = 0; j < K; j++) {
        const r = r0 + Math.floor(j / w.k) * h.d, c = c0 + (j % w.k) * w.d;
        const inside = r >= 0 && r < H && c >= 0 && c < W;
        if (inside && first < 0) first = r * W + c;
        t[j * L + l] = inside ? r * W + c : -1;
      }
      for (let j = 0; j < K; j++) if (t[j * L + l] < 0) t[j * L + l] = first;
    }
  return t;
}

/**
 * Max pooling over [N, C, H, W] (torch.nn.functional.max_pool2d). The gradient goes to each
 * window's first maximum (NaN counts as the maximum), as PyTorch's.
 */
export function maxPool2d(x: Tensor, kernelSize: Pair, opts?: MaxPoolOpts & { returnIndices?: false }): Tensor;
export function maxPool2d(x: Tensor, kernelSize: Pair, opts: MaxPoolOpts & { returnIndices: true }): { values: Tensor; indices: Tensor };
export function maxPool2d(x: Tensor, kernelSize: Pair, opts: MaxPoolOpts): Tensor | { values: Tensor; indices: Tensor };
export function maxPool2d(x: Tensor, kernelSize: Pair, opts: MaxPoolOpts = {}): Tensor | { values: Tensor; indices: Tensor } {
  return maxPoolImpl(x, kernelSize, opts);
}

const maxPoolImpl = op('maxPool2d', { x: aTensor, kernelSize: pair(count), opts: options({ ...CONV, ceilMode: opt(bool), returnIndices: opt(bool) }) }, scoped(function maxPool2d(x: Tensor, kernelSize: Pair, opts: MaxPoolOpts): Tensor | { values: Tensor; indices: Tensor } {
  const geo = poolGeometry('maxPool2d', x, kernelSize, opts);
  const [N, C, H, W] = x.shape, [h, w] = geo;
  const cols = poolCols(x, geo, -Infinity);
  const arg = cols.argmax(2, true); // [N, C, 1, L]
  const values = cols.gather(2, arg).reshape([N, C, h.out, w.out]);
  if (!opts.returnIndices) return values;
  const L = h.out * w.out;
  const table = tensorOf(windowIndexTable(geo, H, W), x.device);
  const slot = arg.mul(L).add(arange(L, { device: x.device, dtype: 'int32' })); // j * L + l
  const indices = table.gather(0, slot.reshape([-1])).reshape([N, C, h.out, w.out]);
  return { values, indices };
}), { example: () => [randn([1, 2, 4, 4]), 2] });

/**
 * Average pooling over [N, C, H, W] (torch.nn.functional.avg_pool2d). Each window's divisor is, as in
 * PyTorch, its size clipped to the padded input (countIncludePad, the default) or to the input
 * itself, or divisorOverride.
 */
export const avgPool2d = op('avgPool2d', { x: aTensor, kernelSize: pair(count), opts: options({ stride: CONV.stride, padding: CONV.padding, ceilMode: opt(bool), countIncludePad: opt(bool), divisorOverride: nullable(count) }) }, scoped(function avgPool2d(x: Tensor, kernelSize: Pair, opts: AvgPoolOpts = {}): Tensor {
  if ('dilation' in opts) throw new Error('avgPool2d: has no dilation (as PyTorch)');
  const geo = poolGeometry('avgPool2d', x, kernelSize, opts);
  const [N, C, H, W] = x.shape, [h, w] = geo;
  const sums = poolCols(x, geo, 0).sum(2); // [N, C, L]
  const dv = opts.divisorOverride;
  if (dv !== undefined && dv !== null) {
    if (!(Number.isInteger(dv) && dv > 0)) throw new Error(`avgPool2d: divisorOverride must be a positive integer, got ${dv}`);
    return sums.div(dv).reshape([N, C, h.out, w.out]);
  }
  const include = opts.countIncludePad ?? true;
  // Window extent along one dim: [start, end) clipped to the padded input, then (for counting only the input) to the input.
  const counts = (g: Pool1d, size: number) => Array.from({ length: g.out }, (_, o) => {
    const start = o * g.s - g.p, end = Math.min(start + g.k, size + g.p);
    return include ? end - start : Math.min(end, size) - Math.max(start, 0);
  });
  const ch = counts(h, H), cw = counts(w, W);
  const div = ch.flatMap((a) => cw.map((b) => a * b));
  const uniform = div.every((v) => v === div[0]);
  const y = uniform ? sums.div(div[0]) : sums.div(tensorOf(Float64Array.from(div), x.device, x.dtype));
  return y.reshape([N, C, h.out, w.out]);
}), { example: () => [randn([1, 2, 4, 4]), 2] });

export interface MaxUnpoolOpts {
  stride?: Pair;
  padding?: Pair;
  /** Output size [H, W] (or [N, C, H, W]); default (in - 1) * stride - 2 * padding + kernelSize per dim. */
  outputSize?: number[];
}

/**
 * Writes x [N, C, L] to positions idx [N, C, L] of `plane` [N, C, P] zeros. Where indices repeat, the
 * last input stays (PyTorch writes them in order); the gradient of x is the output gradient at its
 * index, as PyTorch's.
 */
const scatterLast = customOp({
  name: 'maxUnpool2d',
  forward: (x, idx, plane) => {
    const [N, C, L] = idx.shape;
    const order = idx.argsort(2); // stable: equal indices stay in input order
    const sorted = idx.gather(2, order);
    const next = cat([sorted.slice(2, 1, L), full([N, C, 1], -1, { dtype: 'int32', device: x.device })], 2);
    const lastSorted = sorted.ne(next).cast(x.dtype); // 1 where the next sorted index differs
    const isLast = zeros(x.shape, { dtype: x.dtype, device: x.device }).scatterAdd(2, order, lastSorted); // undo the sort
    return plane.scatterAdd(2, idx, x.where(isLast.gt(0), 0));
  },
  backward: (dy, { inputs: [, idx] }) => [dy.gather(2, idx), null, null],
});

/**
 * The partial inverse of maxPool2d (torch.nn.functional.max_unpool2d): zeros of the output size with
 * x[n, c, i] placed at flat position indices[n, c, i] of each plane (the last of them where indices
 * repeat, as PyTorch on the CPU). Each input's gradient is the output's gradient at its index.
 */
export const maxUnpool2d = op('maxUnpool2d', { x: aTensor, indices: indexTensor, kernelSize: pair(count), opts: options({ stride: CONV.stride, padding: CONV.padding, outputSize: opt(sizes) }) }, scoped(function maxUnpool2d(x: Tensor, indices: Tensor, kernelSize: Pair, opts: MaxUnpoolOpts = {}): Tensor {
  if (x.rank !== 4) throw new Error(`maxUnpool2d: expected input [N, C, H, W], got ${fmt(x.shape)}`);
  if (indices.dtype !== 'int32' || indices.shape.join() !== x.shape.join())
    throw new Error(`maxUnpool2d: indices must be int32 of the input's shape ${fmt(x.shape)}, got ${fmt(indices.shape)} ${indices.dtype}`);
  const k = pairOf(kernelSize), stride = pairOf(opts.stride ?? k), padding = pairOf(opts.padding ?? 0);
  const [N, C, H, W] = x.shape;
  let size = [(H - 1) * stride[0] - 2 * padding[0] + k[0], (W - 1) * stride[1] - 2 * padding[1] + k[1]];
  if (opts.outputSize) {
    const o = opts.outputSize.slice(-2);
    if (o.length !== 2 || !o.every((v) => Number.isInteger(v) && v > 0)) throw new Error(`maxUnpool2d: outputSize must end in [H, W], got ${fmt(opts.outputSize)}`);
    size = o;
  }
  const plane = zeros([N, C, size[0] * size[1]], { dtype: x.dtype, device: x.device });
  let out: Tensor;
  try {
    out = scatterLast(x.reshape([N, C, H * W]), indices.reshape([N, C, H * W]), plane);
  } catch (e) {
    throw new Error(`maxUnpool2d: ${(e as Error).message} (the output plane is ${size[0]}x${size[1]})`);
  }
  return out.reshape([N, C, size[0], size[1]]);
}), { example: () => { const r = maxPool2d(randn([1, 1, 4, 4]), 2, { returnIndices: true }); return [r.values, r.indices, 2]; } });

/** Inverted dropout: zeroes each element with probability p and scales the rest by 1/(1-p). */
export const dropout = op('dropout', { x: aTensor, p: opt(number), opts: options(RAND_TRAIN) }, scoped(function dropout(x: Tensor, p = 0.5, opts: RandOpts & { training?: boolean } = {}): Tensor {
  if (!(p >= 0 && p < 1)) throw new Error(`dropout: p must be in [0, 1), got ${p}`);
  if (opts.training === false || p === 0) return x;
  const mask = bernoulli(1 - p, x.shape, { generator: opts.generator, device: x.device, dtype: x.dtype });
  return x.mul(mask).div(1 - p);
}));

/** Zeroes whole channels (all `spatial` trailing dims at once) with probability p, scaling the rest by 1/(1-p). */
function channelDropout(op: string, x: Tensor, p: number, spatial: number, opts: RandOpts & { training?: boolean }): Tensor {
  if (!(p >= 0 && p < 1)) throw new Error(`${op}: p must be in [0, 1), got ${p}`);
  if (x.rank !== spatial + 1 && x.rank !== spatial + 2) {
    const dims = spatial === 1 ? ['L'] : ['H', 'W'];
    throw new Error(`${op}: expected input [N, C, ${dims.join(', ')}] or [C, ${dims.join(', ')}], got ${fmt(x.shape)}`);
  }
  if (opts.training === false || p === 0) return x;
  const shape = x.shape.map((d, i) => (i < x.rank - spatial ? d : 1));
  const mask = bernoulli(1 - p, shape, { generator: opts.generator, device: x.device, dtype: x.dtype });
  return x.mul(mask).div(1 - p);
}

/** Channel dropout (torch.nn.functional.dropout1d) of [N, C, L] (or an unbatched [C, L]). */
export const dropout1d = op('dropout1d', { x: aTensor, p: opt(number), opts: options(RAND_TRAIN) }, scoped(function dropout1d(x: Tensor, p = 0.5, opts: RandOpts & { training?: boolean } = {}): Tensor {
  return channelDropout('dropout1d', x, p, 1, opts);
}), { example: () => [randn([2, 3, 4])] });

/** Channel dropout (torch.nn.functional.dropout2d) of [N, C, H, W] (or an unbatched [C, H, W]). */
export const dropout2d = op('dropout2d', { x: aTensor, p: opt(number), opts: options(RAND_TRAIN) }, scoped(function dropout2d(x: Tensor, p = 0.5, opts: RandOpts & { training?: boolean } = {}): Tensor {
  return channelDropout('dropout2d', x, p, 2, opts);
}), { example: () => [randn([2, 3, 4, 4])] });
