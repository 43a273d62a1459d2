// The CPU backend's kernel map: one kernel per op-table entry. `satisfies KernelMap` makes a
// missing or misspelt entry a compile-time error.
import type { Kernel } from '../backend.js';
import type { KernelMap } from '../ops/table.js';
import type { UnfoldAttrs } from '../ops/nn.js';
import type { FloatArray, TypedArray } from '../dtype.js';
import { BINARY_LOOPS, UNARY_LOOPS, where } from './elementwise.js';
import { REDUCE_ROWS, cumsum } from './reduce.js';
import { argsort, gather, scatterAdd } from './indexing.js';
import { copyInto, forEachMatmulBatch } from './strided.js';
import { matmulCpu } from './threads.js';
import { col2im, im2col } from './conv.js';

/** [..., M, K] @ [..., K, N]: one strided product per output batch index. */
const matmul: Kernel<{ batch: number[] }> = ([a, b], out, { batch }) => {
  const M = a.shape[a.shape.length - 2], K = a.shape[a.shape.length - 1], N = b.shape[b.shape.length - 1];
  const ra = a.shape.length, rb = b.shape.length;
  const y = out.storage.data as FloatArray;
  forEachMatmulBatch(a, b, batch, (i, ao, bo) =>
    matmulCpu(a.storage.data, ao, a.strides[ra - 2], a.strides[ra - 1], b.storage.data, bo, b.strides[rb - 2], b.strides[rb - 1], y, i * M * N, M, N, K),
  );
};

/** im2col per image (the op makes x contiguous). */
const unfold: Kernel<UnfoldAttrs> = ([x], out, a) => {
  const N = x.shape[0], img = a.C * a.H * a.W, cols = a.C * a.k[0] * a.k[1] * a.outH * a.outW;
  for (let n = 0; n < N; n++)
    im2col(x.storage.data as FloatArray, x.offset + n * img, a.C, a.H, a.W, a.k[0], a.k[1], a.stride[0], a.stride[1],
      a.padding[0], a.padding[1], a.dilation[0], a.dilation[1], a.outH, a.outW, out.storage.data as FloatArray, n * cols);
};

/** col2im per image: sums overlapping patches. */
const fold: Kernel<UnfoldAttrs> = ([cols], out, a) => {
  const y = out.storage.data as FloatArray;
  y.fill(0);
  const N = out.shape[0], img = a.C * a.H * a.W, len = a.C * a.k[0] * a.k[1] * a.outH * a.outW;
  for (let n = 0; n < N; n++)
    col2im(cols.storage.data as FloatArray, cols.offset + n * len, a.C, a.H, a.W, a.k[0], a.k[1], a.stride[0], a.stride[1],
      a.padding[0], a.padding[1], a.dilation[0], a.dilation[1], a.outH, a.outW, y, n * img);
};

/** x placed into a `value`-filled output at starts + i * steps. */
const place: Kernel<{ starts: number[]; steps: number[]; value: number }> = ([x], out, { starts, steps, value }) => {
  const y = out.storage.data as TypedArray;
  y.fill(value);
  const st = out.strides.map((s, d) => s * steps[d]);
  const off = starts.reduce((acc, s0, d) => acc + s0 * out.strides[d], 0);
  copyInto(x, y, st, off);
};

const cat: Kernel<{ dim: number }> = (xs, out, { dim }) => {
  const y = out.storage.data as TypedArray;
  let at = 0;
  for (const x of xs) {
    copyInto(x, y, out.strides, at * out.strides[dim]);
    at += x.shape[dim];
  }
};

const fill: Kernel<{ value: number }> = (_, out, { value }) => {
  (out.storage.data as TypedArray).fill(value);
};

export const cpuKernels = {
  ...UNARY_LOOPS, ...BINARY_LOOPS, where, ...REDUCE_ROWS, cumsum,
  matmul, place, cat, gather, scatterAdd, argsort, unfold, fold, fill,
} satisfies KernelMap;

/**
 * The ops whose CPU results may differ in the last bit between JavaScript engines, by dtype: their
 * kernels call Math.exp, Math.pow & co., which ECMA-262 leaves "implementation-approximated".
 * Every other result (all other ops; float32 transcendentals come from ../math.ts) is the same bits
 * in every engine: test/autograd/quickjs.test.ts runs the table in QuickJS and compares with V8.
 */
export const ENGINE_DEPENDENT: Readonly<Record<'float32' | 'float64', readonly string[]>> = {
  float32: ['pow'],
  float64: ['exp', 'log', 'log1p', 'expm1', 'sin', 'cos', 'tanh', 'sigmoid', 'erf', 'gelu', 'silu', 'softplus', 'pow'],
};
