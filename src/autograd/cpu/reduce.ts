// The CPU's reductions. The op hands over a view whose last dims are the reduced ones (attrs.n
// elements per output), so every kernel reduces contiguous rows. Orders are fixed: deterministic.
import type { Kernel } from '../backend.js';
import type { TypedArray } from '../dtype.js';
import { sizeOf } from '../shape.js';
import { contiguousData } from './strided.js';

/** Reduction of the row x[off .. off+n) to one value. */
export type ReduceRow = (x: TypedArray, off: number, n: number) => number;

export function reduce(row: ReduceRow): Kernel<{ n: number }> {
  return ([x], out, { n }) => {
    const y = out.storage.data as TypedArray;
    const rows = sizeOf(out.shape);
    const { data, offset } = contiguousData(x);
    for (let r = 0; r < rows; r++) y[r] = row(data, offset + r * n, n);
  };
}

export const REDUCE_ROWS = {
  // Four accumulators, combined as (s0 + s1) + (s2 + s3): a fixed order.
  sum: reduce((x, off, n) => {
    let s0 = 0, s1 = 0, s2 = 0, s3 = 0, i = 0;
    for (; i + 3 < n; i += 4) { s0 += x[off + i]; s1 += x[off + i + 1]; s2 += x[off + i + 2]; s3 += x[off + i + 3]; }
    for (; i < n; i++) s0 += x[off + i];
    return (s0 + s1) + (s2 + s3);
  }),
  prod: reduce((x, off, n) => { let p = 1; for (let i = 0; i < n; i++) p *= x[off + i]; return p; }),
  max: reduce((x, off, n) => { let m = -Infinity; for (let i = 0; i < n; i++) { const v = x[off + i]; if (v > m || v !== v) m = v; } return m; }),
  min: reduce((x, off, n) => { let m = Infinity; for (let i = 0; i < n; i++) { const v = x[off + i]; if (v < m || v !== v) m = v; } return m; }),
  // First index of the extremum; NaN counts as it.
  argmax: reduce((x, off, n) => {
    let m = x[off], k = 0;
    if (m !== m) return 0;
    for (let i = 1; i < n; i++) { const v = x[off + i]; if (v > m || v !== v) { m = v; k = i; if (v !== v) break; } }
    return k;
  }),
  argmin: reduce((x, off, n) => {
    let m = x[off], k = 0;
    if (m !== m) return 0;
    for (let i = 1; i < n; i++) { const v = x[off + i]; if (v < m || v !== v) { m = v; k = i; if (v !== v) break; } }
    return k;
  }),
} satisfies Record<string, Kernel>;

/** Running sums along attrs.dim, in index order. */
export const cumsum: Kernel<{ dim: number }> = ([x], out, { dim }) => {
  const { data: xd, offset } = contiguousData(x);
  const y = out.storage.data as TypedArray;
  const n = x.shape[dim];
  const inner = sizeOf(x.shape.slice(dim + 1));
  const outer = sizeOf(x.shape.slice(0, dim));
  for (let o = 0; o < outer; o++)
    for (let j = 0; j < inner; j++) {
      let acc = 0;
      for (let k = 0, idx = o * n * inner + j; k < n; k++, idx += inner) y[idx] = acc += xd[offset + idx];
    }
};
