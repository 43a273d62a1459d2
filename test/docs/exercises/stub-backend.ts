// Exercise 2 of docs/engine.md: a backend stub that runs part of the op table. Its memory is a
// plain array of numbers per storage (no typed arrays), so each store rounds to the dtype itself.
import type { Backend, DType, Kernel, KernelMap, Storage, TypedArray, View } from '../../../src/index.js';
import { COMPOSITE } from '../../../src/index.js';
import { arrayFor } from '../../../src/autograd/dtype.js';
import { broadcastStrides, sizeOf } from '../../../src/autograd/shape.js';

/** What a typed array of `dtype` would hold after storing v. */
function round(dtype: DType, v: number): number {
  if (dtype === 'float32') return Math.fround(v);
  if (dtype === 'int32') return v | 0;
  if (dtype === 'bool') return v ? 1 : 0;
  return v;
}

/** The storage indices of a view's elements in row-major order (strides may be 0: broadcast). */
function indices(shape: readonly number[], strides: readonly number[], offset: number): number[] {
  const out: number[] = [];
  const walk = (d: number, at: number) => {
    if (d === shape.length) out.push(at);
    else for (let i = 0; i < shape[d]; i++) walk(d + 1, at + i * strides[d]);
  };
  walk(0, offset);
  return out;
}

/** An elementwise kernel: f of the inputs' elements, broadcast to the output's shape. */
function map(f: (...xs: number[]) => number): Kernel {
  return (inputs, out) => {
    const at = inputs.map((v) => indices(out.shape, broadcastStrides(v.shape, v.strides, out.shape), v.offset));
    const y = out.storage.data as number[];
    for (let i = 0; i < y.length; i++) y[i] = round(out.dtype, f(...inputs.map((v, k) => v.storage.data[at[k][i]])));
  };
}

/** Row sums: the op hands over a view whose last dims (attrs.n elements) are the reduced ones. */
const sum: Kernel<{ n: number }> = ([x], out, { n }) => {
  const at = indices(x.shape, x.strides, x.offset);
  const y = out.storage.data as number[];
  for (let r = 0; r < y.length; r++) {
    let s = 0;
    for (let k = 0; k < n; k++) s += x.storage.data[at[r * n + k]];
    y[r] = round(out.dtype, s);
  }
};

/** Kernels for a few ops, composites for a few more; the rest are missing (a stub, hence Partial). */
const kernels: Partial<KernelMap> = {
  neg: map((x) => -x),
  abs: map(Math.abs),
  exp: map(Math.exp),
  add: map((a, b) => a + b),
  sub: map((a, b) => a - b),
  mul: map((a, b) => a * b),
  div: map((a, b) => a / b),
  where: map((c, a, b) => (c ? a : b)),
  copy: map((x) => x), // casts: round() converts
  toBool: map((x) => (x !== 0 ? 1 : 0)),
  fill: (_, out, { value }) => (out.storage.data as number[]).fill(round(out.dtype, value)),
  sum,
  square: COMPOSITE, // x * x
  reciprocal: COMPOSITE, // 1 / x
  sigmoid: COMPOSITE, // 1 / (1 + exp(-x))
  silu: COMPOSITE, // x * sigmoid(x)
  softsign: COMPOSITE, // x / (1 + |x|)
};

export const stubBackend: Backend = {
  device: 'stub',
  caps: {
    dtypes: ['float32', 'float64', 'int32', 'bool'],
    randomStreams: false, // random tensors are drawn on the CPU and uploaded
    threads: 'none',
    precision: ['fast'], // Math.exp and sequential sums: close to the CPU's results, not its bits
  },
  kernels,
  alloc: (dtype: DType, size: number): Storage => ({ backend: stubBackend, dtype, size, data: new Array<number>(size).fill(0), refs: 0 }),
  upload: (dtype: DType, data: TypedArray): Storage => ({ backend: stubBackend, dtype, size: data.length, data: Array.from(data, (v) => round(dtype, v)), refs: 0 }),
  release: (s: Storage) => { s.data = null; },
  readSync: (v: View): TypedArray => {
    const out = arrayFor(v.dtype, sizeOf(v.shape));
    indices(v.shape, v.strides, v.offset).forEach((at, i) => (out[i] = v.storage.data[at]));
    return out;
  },
  read: async (v: View) => stubBackend.readSync!(v),
};
