// Neural-network primitives. unfold/fold (im2col and its adjoint) are the kernels; softmax,
// conv2d, pooling and dropout are compositions of primitives.
import { Tensor } from '../tensor.js';
import type { OpDef } from '../opdef.js';
import { normal } from '../opdef.js';
import { convOutputSize, fmt, normDim } from '../shape.js';
import { noGrad } from '../engine.js';
import { runOp, scoped } from './core.js';
import { bernoulli, type RandOpts } from './creation.js';

export const softmax = scoped(function softmax(x: Tensor, dim = -1): Tensor {
  const d = normDim('softmax', dim, x.rank);
  const m = noGrad(() => {
    const mx = x.max(d, true);
    return mx.maskedFill(mx.eq(-Infinity), 0);
  });
  const e = x.sub(m).exp();
  return e.div(e.sum(d, true));
});

export const logSoftmax = scoped(function logSoftmax(x: Tensor, dim = -1): Tensor {
  const d = normDim('logSoftmax', dim, x.rank);
  return x.sub(x.logsumexp(d, true));
});

type Pair = number | [number, number];
const pair = (v: Pair): [number, number] => (typeof v === 'number' ? [v, v] : v);

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
export const unfold = scoped(function unfold(x: Tensor, kernelSize: Pair, opts: ConvOpts = {}): Tensor {
  if (x.rank !== 4) throw new Error(`unfold: expected input [N, C, H, W], got ${fmt(x.shape)}`);
  const k = pair(kernelSize), stride = pair(opts.stride ?? 1), padding = pair(opts.padding ?? 0), dilation = pair(opts.dilation ?? 1);
  const [, C, H, W] = x.shape;
  const outH = convOutputSize(H, k[0], stride[0], padding[0], dilation[0]);
  const outW = convOutputSize(W, k[1], stride[1], padding[1], dilation[1]);
  if (outH <= 0 || outW <= 0)
    throw new Error(`unfold: kernel ${fmt(k)} (dilation ${fmt(dilation)}) does not fit input ${fmt(x.shape)} with padding ${fmt(padding)}`);
  if (x.dtype !== 'float32' && x.dtype !== 'float64') throw new Error(`unfold: expected a float tensor, got ${x.dtype}`);
  return unfoldWith(x, { C, H, W, k, stride, padding, dilation, outH, outW });
});

/** torch.nn.functional.fold: sums columns [N, C*kh*kw, L] into [N, C, H, W] (the adjoint of unfold). */
export const fold = scoped(function fold(cols: Tensor, outputSize: Pair, kernelSize: Pair, opts: ConvOpts = {}): Tensor {
  const k = pair(kernelSize), stride = pair(opts.stride ?? 1), padding = pair(opts.padding ?? 0), dilation = pair(opts.dilation ?? 1);
  const [H, W] = pair(outputSize);
  const outH = convOutputSize(H, k[0], stride[0], padding[0], dilation[0]);
  const outW = convOutputSize(W, k[1], stride[1], padding[1], dilation[1]);
  if (cols.rank !== 3 || cols.shape[1] % (k[0] * k[1]) !== 0 || cols.shape[2] !== outH * outW)
    throw new Error(`fold: expected columns [N, C*${k[0] * k[1]}, ${outH * outW}] for output ${fmt([H, W])}, got ${fmt(cols.shape)}`);
  if (cols.dtype !== 'float32' && cols.dtype !== 'float64') throw new Error(`fold: expected a float tensor, got ${cols.dtype}`);
  return foldWith(cols, { C: cols.shape[1] / (k[0] * k[1]), H, W, k, stride, padding, dilation, outH, outW });
});

/** 2-D convolution (cross-correlation, as PyTorch): x [N, C, H, W], weight [O, C/groups, kh, kw]. */
export const conv2d = scoped(function conv2d(x: Tensor, weight: Tensor, bias?: Tensor | null, opts: ConvOpts & { groups?: number } = {}): Tensor {
  if (x.rank !== 4 || weight.rank !== 4)
    throw new Error(`conv2d: expected input [N, C, H, W] and weight [O, C/groups, kh, kw], got ${fmt(x.shape)} and ${fmt(weight.shape)}`);
  const groups = opts.groups ?? 1;
  const [N, C, H, W] = x.shape;
  const [O, Cg, kh, kw] = weight.shape;
  if (C % groups || O % groups || Cg !== C / groups)
    throw new Error(`conv2d: input ${fmt(x.shape)} and weight ${fmt(weight.shape)} do not match with groups=${groups} (need C/groups = ${C / groups} = weight.shape[1])`);
  const cols = unfold(x, [kh, kw], opts); // [N, C*kh*kw, L]
  const L = cols.shape[2];
  const outH = convOutputSize(H, kh, pair(opts.stride ?? 1)[0], pair(opts.padding ?? 0)[0], pair(opts.dilation ?? 1)[0]);
  // Channels are the slowest index of a column, so groups split the column dim evenly.
  const colsG = cols.reshape([N, groups, Cg * kh * kw, L]);
  const wG = weight.reshape([groups, O / groups, Cg * kh * kw]);
  let y = wG.matmul(colsG).reshape([N, O, outH, L / outH]); // [G, O/G, CK] @ [N, G, CK, L] -> [N, G, O/G, L]
  if (bias) {
    if (bias.rank !== 1 || bias.shape[0] !== O) throw new Error(`conv2d: bias must be [${O}], got ${fmt(bias.shape)}`);
    y = y.add(bias.reshape([1, O, 1, 1]));
  }
  return y;
});

function poolCols(x: Tensor, kernelSize: Pair, opts: ConvOpts, padValue: number): { cols: Tensor; outH: number; outW: number } {
  if (x.rank !== 4) throw new Error(`pool2d: expected input [N, C, H, W], got ${fmt(x.shape)}`);
  const k = pair(kernelSize);
  const stride = pair(opts.stride ?? k);
  const padding = pair(opts.padding ?? 0);
  const [N, C] = x.shape;
  // Pad explicitly so max pooling sees -inf (not im2col's zeros) outside the image.
  const xp = padding[0] || padding[1] ? x.pad([padding[1], padding[1], padding[0], padding[0]], padValue) : x;
  const cols = unfold(xp, k, { stride, dilation: opts.dilation });
  const outH = convOutputSize(xp.shape[2], k[0], stride[0], 0, pair(opts.dilation ?? 1)[0]);
  const outW = cols.shape[2] / outH;
  return { cols: cols.reshape([N, C, k[0] * k[1], cols.shape[2]]), outH, outW };
}

export const maxPool2d = scoped(function maxPool2d(x: Tensor, kernelSize: Pair, opts: ConvOpts = {}): Tensor {
  const { cols, outH, outW } = poolCols(x, kernelSize, opts, -Infinity);
  return cols.max(2).reshape([x.shape[0], x.shape[1], outH, outW]);
});

/** Average pooling; padded zeros count in the average (PyTorch's count_include_pad=True). */
export const avgPool2d = scoped(function avgPool2d(x: Tensor, kernelSize: Pair, opts: ConvOpts = {}): Tensor {
  const { cols, outH, outW } = poolCols(x, kernelSize, opts, 0);
  return cols.mean(2).reshape([x.shape[0], x.shape[1], outH, outW]);
});

/** Inverted dropout: zeroes each element with probability p and scales the rest by 1/(1-p). */
export const dropout = scoped(function dropout(x: Tensor, p = 0.5, opts: RandOpts & { training?: boolean } = {}): Tensor {
  if (!(p >= 0 && p < 1)) throw new Error(`dropout: p must be in [0, 1), got ${p}`);
  if (opts.training === false || p === 0) return x;
  const mask = bernoulli(1 - p, x.shape, { generator: opts.generator, device: x.device, dtype: x.dtype });
  return x.mul(mask).div(1 - p);
});
