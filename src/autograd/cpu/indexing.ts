// The CPU's indexing kernels: gather, scatterAdd (sequential in index order: deterministic) and a
// stable argsort.
import type { Kernel } from '../backend.js';
import type { TypedArray } from '../dtype.js';
import { sizeOf } from '../shape.js';
import { contiguousData, forEachRow } from './strided.js';

function outOfRange(op: string, v: number, n: number, dim: number): Error {
  return new Error(`${op}: index ${v} is out of range for dim ${dim} of size ${n}`);
}

export const gather: Kernel<{ dim: number }> = ([x, index], out, { dim }) => {
  const xd = x.storage.data as TypedArray, id = index.storage.data as Int32Array, y = out.storage.data as TypedArray;
  const n = x.shape[dim], xsd = x.strides[dim];
  // x's strides with the gathered dim zeroed: the index supplies that coordinate.
  const xs = x.strides.map((s, i) => (i === dim ? 0 : s));
  forEachRow(index.shape, [index.strides, xs], [index.offset, x.offset], (o, len, s, row) => {
    let ii = o[0], xi = o[1];
    for (let k = 0; k < len; k++, ii += s[0], xi += s[1]) {
      const v = id[ii];
      if (v < 0 || v >= n) throw outOfRange('gather', v, n, dim);
      y[row * len + k] = xd[xi + v * xsd];
    }
  });
};

export const scatterAdd: Kernel<{ dim: number }> = ([x, index, src], out, { dim }) => {
  const y = out.storage.data as TypedArray;
  const { data, offset } = contiguousData(x);
  y.set(data.subarray(offset, offset + y.length));
  const id = index.storage.data as Int32Array, sd = src.storage.data as TypedArray;
  const n = out.shape[dim], ysd = out.strides[dim];
  const ys = out.strides.map((s, i) => (i === dim ? 0 : s));
  // Sequential in index order: deterministic.
  forEachRow(index.shape, [index.strides, src.strides, ys], [index.offset, src.offset, 0], (o, len, s) => {
    let ii = o[0], si = o[1], yi = o[2];
    for (let k = 0; k < len; k++, ii += s[0], si += s[1], yi += s[2]) {
      const v = id[ii];
      if (v < 0 || v >= n) throw outOfRange('scatterAdd', v, n, dim);
      y[yi + v * ysd] += sd[si];
    }
  });
};

export const argsort: Kernel<{ dim: number; descending: boolean }> = ([x], out, { dim, descending }) => {
  const { data: xd, offset } = contiguousData(x);
  const y = out.storage.data as Int32Array;
  const n = x.shape[dim], inner = sizeOf(x.shape.slice(dim + 1)), outer = sizeOf(x.shape.slice(0, dim));
  const idx = new Array<number>(n);
  const vals = new Float64Array(n);
  // NaN sorts as the largest value; ties keep index order (a stable sort).
  const key = (v: number) => (v !== v ? Infinity : v);
  for (let o = 0; o < outer; o++)
    for (let j = 0; j < inner; j++) {
      const base = o * n * inner + j;
      for (let k = 0; k < n; k++) { idx[k] = k; vals[k] = xd[offset + base + k * inner]; }
      idx.sort((p, q) => {
        const a = key(vals[p]), b = key(vals[q]);
        const c = a === b ? (vals[p] !== vals[p] ? 1 : 0) - (vals[q] !== vals[q] ? 1 : 0) : a < b ? -1 : 1;
        return (descending ? -c : c) || p - q;
      });
      for (let k = 0; k < n; k++) y[base + k * inner] = idx[k];
    }
};
