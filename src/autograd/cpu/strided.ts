// Strided iteration for the CPU kernels: the op bodies run over whole rows (the innermost,
// collapsed dimension); this walks the outer dims with an odometer and calls back once per row.
import type { View } from '../backend.js';
import { arrayFor, type TypedArray } from '../dtype.js';
import { broadcastStrides, collapseDims, contiguousStrides, isContiguous, sizeOf } from '../shape.js';

/**
 * Calls fn(offsets, rowLength, innerStrides) for every row of `shape`, where offsets[k] is the
 * start of the row in operand k (given its strides and base offset). The output is assumed
 * contiguous by callers, so its row offset is row * rowLength.
 */
export function forEachRow(
  shape: readonly number[],
  strides: (readonly number[])[],
  bases: number[],
  fn: (offs: Int32Array | number[], n: number, inner: number[], row: number) => void,
): void {
  if (sizeOf(shape) === 0) return;
  const c = collapseDims(shape, strides);
  const rank = c.shape.length;
  const n = c.shape[rank - 1];
  const inner = c.strides.map((s) => s[rank - 1]);
  const k = strides.length;
  const offs = bases.slice();
  const idx = new Array<number>(rank - 1).fill(0);
  const rows = sizeOf(c.shape) / n;
  for (let row = 0; row < rows; row++) {
    fn(offs, n, inner, row);
    // Advance the odometer over the outer dims.
    for (let d = rank - 2; d >= 0; d--) {
      if (++idx[d] < c.shape[d]) {
        for (let j = 0; j < k; j++) offs[j] += c.strides[j][d];
        break;
      }
      idx[d] = 0;
      for (let j = 0; j < k; j++) offs[j] -= c.strides[j][d] * (c.shape[d] - 1);
    }
  }
}

/** Copies a strided view into a contiguous array (at outOff). */
export function copyStrided(v: View, out: TypedArray, outOff = 0): void {
  const src = v.storage.data as TypedArray;
  forEachRow(v.shape, [v.strides], [v.offset], (o, n, s, row) => {
    let xi = o[0];
    const xs = s[0];
    const base = outOff + row * n;
    for (let i = 0; i < n; i++, xi += xs) out[base + i] = src[xi];
  });
}

/**
 * A copy of the view's elements in a fresh contiguous array (readSync of the typed-array backends):
 * slice() of a contiguous range gives an unshared buffer, so the result outlives the tensor and a
 * wasm heap that grows.
 */
export function readView(v: View): TypedArray {
  const src = v.storage.data as TypedArray;
  if (!src) throw new Error('read: storage was released');
  const n = sizeOf(v.shape);
  if (isContiguous(v.shape, v.strides)) return src.slice(v.offset, v.offset + n);
  const out = arrayFor(v.dtype, n);
  copyStrided(v, out);
  return out;
}

/** The view's elements as a contiguous array: its own storage when already contiguous, else a copy. */
export function contiguousData(v: View): { data: TypedArray; offset: number } {
  if (isContiguous(v.shape, v.strides)) return { data: v.storage.data as TypedArray, offset: v.offset };
  const out = arrayFor(v.dtype, sizeOf(v.shape));
  copyStrided(v, out);
  return { data: out, offset: 0 };
}

/** Copies view x into y, whose element x[i...] lives at yOff + sum(i_d * yStrides[d]). */
export function copyInto(x: View, y: TypedArray, yStrides: readonly number[], yOff: number): void {
  const xd = x.storage.data as TypedArray;
  forEachRow(x.shape, [x.strides, yStrides], [x.offset, yOff], (o, n, s) => {
    let xi = o[0], yi = o[1];
    const xs = s[0], ys = s[1];
    for (let i = 0; i < n; i++, xi += xs, yi += ys) y[yi] = xd[xi];
  });
}

/**
 * The batch of a matmul [..., M, K] @ [..., K, N] with output batch dims `batch`: calls
 * fn(i, aOffset, bOffset) for each output matrix i (row-major over `batch`), with the element
 * offsets of its operand matrices (broadcast batch dims repeat the same matrix).
 */
export function forEachMatmulBatch(a: View, b: View, batch: readonly number[], fn: (i: number, aOff: number, bOff: number) => void): void {
  const sa = broadcastStrides(a.shape.slice(0, -2), a.strides.slice(0, -2), batch);
  const sb = broadcastStrides(b.shape.slice(0, -2), b.strides.slice(0, -2), batch);
  const bstr = contiguousStrides(batch);
  const nb = sizeOf(batch);
  for (let i = 0; i < nb; i++) {
    let ao = a.offset, bo = b.offset, rem = i;
    for (let d = 0; d < batch.length; d++) {
      const k = Math.floor(rem / bstr[d]!);
      rem -= k * bstr[d]!;
      ao += k * sa[d]!;
      bo += k * sb[d]!;
    }
    fn(i, ao, bo);
  }
}
