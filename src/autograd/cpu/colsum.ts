// Sums over the leading dims of a row-major tensor, read in place.
//
// A reduction arrives at the CPU backend as a view with the kept dims first and the reduced dims
// last. When the tensor is row-major and the reduced dims were its leading ones (a bias gradient:
// the sum of [batch, features] over the batch), that view is a transposed [rows, n] matrix, and the
// generic path first gathers it into a fresh contiguous copy. columnSum instead adds the rows of
// the original layout into the outputs, reading memory in order and allocating nothing beyond a
// scratch of 4 x rows doubles.

/**
 * True when `shape`/`strides` (kept dims first, then the reduced ones, `rows` kept and `n` reduced
 * elements) address element (r, i) at offset i * rows + r: a row-major tensor whose reduced dims
 * lead. Dims of size 1 may have any stride.
 */
export function isLeadingReduction(shape: readonly number[], strides: readonly number[], rows: number, n: number): boolean {
  if (!(rows > 1 && n > 0)) return false;
  let keptRank = 0, size = 1;
  while (keptRank < shape.length && size < rows) size *= shape[keptRank++]; // the kept dims multiply to rows
  if (size !== rows) return false;
  // Innermost kept dim has stride 1; the reduced dims continue after all kept elements.
  let want = 1;
  for (let d = keptRank - 1; d >= 0; d--) {
    if (shape[d] !== 1 && strides[d] !== want) return false;
    want *= shape[d];
  }
  for (let d = shape.length - 1; d >= keptRank; d--) {
    if (shape[d] !== 1 && strides[d] !== want) return false;
    want *= shape[d];
  }
  return want === rows * n;
}

let scratch = new Float64Array(0);

/**
 * y[r] = sum_i x[off + i * rows + r] for r < rows, i < n, with the summation order of REDUCE.sum's
 * row loop (four accumulators taking i mod 4 up to the last full group of four, the remainder into
 * the first, result (s0 + s1) + (s2 + s3)), so the result bits equal the generic path's.
 */
export function columnSum(x: ArrayLike<number>, off: number, n: number, rows: number, y: { [i: number]: number }): void {
  if (scratch.length < 4 * rows) scratch = new Float64Array(4 * rows);
  const s = scratch;
  s.fill(0, 0, 4 * rows);
  const r1 = rows, r2 = 2 * rows, r3 = 3 * rows;
  let i = 0;
  for (; i + 3 < n; i += 4) {
    const b = off + i * rows;
    for (let r = 0; r < rows; r++) {
      s[r] += x[b + r];
      s[r1 + r] += x[b + r1 + r];
      s[r2 + r] += x[b + r2 + r];
      s[r3 + r] += x[b + r3 + r];
    }
  }
  for (; i < n; i++) {
    const b = off + i * rows;
    for (let r = 0; r < rows; r++) s[r] += x[b + r];
  }
  for (let r = 0; r < rows; r++) y[r] = (s[r] + s[r1 + r]) + (s[r2 + r] + s[r3 + r]);
}
