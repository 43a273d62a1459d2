// Strided iteration for the CPU kernels: the op bodies run over whole rows (the innermost,
// collapsed dimension); this walks the outer dims with an odometer and calls back once per row.
import { collapseDims, sizeOf } from '../shape.js';

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
