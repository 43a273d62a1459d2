/**
 * A float64 eigen-solver for real symmetric matrices: the cyclic Jacobi method (Golub & Van Loan,
 * "Matrix Computations", §8.5). Each rotation zeroes one off-diagonal pair; sweeps repeat until the
 * off-diagonal Frobenius norm is below `tol` times the matrix's Frobenius norm. The eigenvalues come
 * out accurate to a few ulps of ‖A‖ (Jacobi is backward stable), which is what a "≥ −ε·λmax" PSD
 * check needs. O(n³) per sweep, typically 6–10 sweeps: fine up to a few hundred rows.
 *
 * Generic helper (not specific to one paper): papers/common.
 */

export interface SymEigOptions {
  /** Stop when off(A) ≤ tol·‖A‖_F (default 1e-14). */
  tol?: number;
  /** Hard cap on sweeps (default 50). */
  maxSweeps?: number;
  /** Also accumulate the eigenvectors (default false). */
  vectors?: boolean;
}

export interface SymEig {
  /** Eigenvalues, ascending. */
  values: Float64Array;
  /** Column j (vectors[i*n + j], i = 0..n-1) is the eigenvector of values[j]; only with {vectors: true}. */
  vectors?: Float64Array;
  sweeps: number;
  /** off(A)/‖A‖_F when the iteration stopped. */
  offRatio: number;
}

/**
 * Eigen-decomposition of the symmetric n×n matrix `a` (row-major; only the values are read, the
 * input is not modified). Throws if `a` is not symmetric to 1e-12 relative (use a symmetrised copy
 * when asymmetry is expected).
 */
export function symmetricEigen(a: ArrayLike<number>, n: number, opts: SymEigOptions = {}): SymEig {
  if (a.length !== n * n) throw new Error(`symmetricEigen: expected ${n * n} entries for ${n}×${n}, got ${a.length}`);
  const tol = opts.tol ?? 1e-14;
  const maxSweeps = opts.maxSweeps ?? 50;
  const A = Float64Array.from(a);
  let fro2 = 0;
  let asym = 0;
  for (let i = 0; i < n; i++)
    for (let j = 0; j < n; j++) {
      const v = A[i * n + j];
      if (!Number.isFinite(v)) throw new Error(`symmetricEigen: non-finite entry at (${i}, ${j})`);
      fro2 += v * v;
      if (j > i) asym = Math.max(asym, Math.abs(v - A[j * n + i]));
    }
  const fro = Math.sqrt(fro2);
  if (asym > 1e-12 * Math.max(fro, Number.MIN_VALUE)) throw new Error(`symmetricEigen: matrix is not symmetric (max |a_ij − a_ji| = ${asym})`);
  // Work on the exact symmetric part.
  for (let i = 0; i < n; i++)
    for (let j = i + 1; j < n; j++) {
      const v = 0.5 * (A[i * n + j] + A[j * n + i]);
      A[i * n + j] = v;
      A[j * n + i] = v;
    }
  const V = opts.vectors ? new Float64Array(n * n) : undefined;
  if (V) for (let i = 0; i < n; i++) V[i * n + i] = 1;

  const offNorm = (): number => {
    let s = 0;
    for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) s += A[i * n + j] * A[i * n + j];
    return Math.sqrt(2 * s);
  };

  let sweeps = 0;
  let off = offNorm();
  while (off > tol * fro && sweeps < maxSweeps) {
    sweeps++;
    for (let p = 0; p < n - 1; p++) {
      for (let q = p + 1; q < n; q++) {
        const apq = A[p * n + q];
        if (apq === 0) continue;
        const app = A[p * n + p];
        const aqq = A[q * n + q];
        // The rotation (c, s) with t = tan θ the smaller root of t² + 2τt − 1 = 0.
        const tau = (aqq - app) / (2 * apq);
        const t = (tau >= 0 ? 1 : -1) / (Math.abs(tau) + Math.sqrt(1 + tau * tau));
        const c = 1 / Math.sqrt(1 + t * t);
        const s = t * c;
        // A ← Jᵀ A J touches rows and columns p and q only. By symmetry, update rows p and q
        // (contiguous) and mirror them into the columns; the 2×2 block has a closed form.
        const rp = p * n;
        const rq = q * n;
        for (let k = 0; k < n; k++) {
          if (k === p || k === q) continue;
          const apk = A[rp + k];
          const aqk = A[rq + k];
          const np = c * apk - s * aqk;
          const nq = s * apk + c * aqk;
          A[rp + k] = np;
          A[rq + k] = nq;
          A[k * n + p] = np;
          A[k * n + q] = nq;
        }
        A[rp + p] = app - t * apq;
        A[rq + q] = aqq + t * apq;
        A[rp + q] = 0;
        A[rq + p] = 0;
        if (V) {
          for (let k = 0; k < n; k++) {
            const vkp = V[k * n + p];
            const vkq = V[k * n + q];
            V[k * n + p] = c * vkp - s * vkq;
            V[k * n + q] = s * vkp + c * vkq;
          }
        }
      }
    }
    off = offNorm();
  }
  const order = Array.from({ length: n }, (_, i) => i).sort((i, j) => A[i * n + i] - A[j * n + j]);
  const values = Float64Array.from(order, (i) => A[i * n + i]);
  const out: SymEig = { values, sweeps, offRatio: fro > 0 ? off / fro : 0 };
  if (V) {
    const W = new Float64Array(n * n);
    for (let j = 0; j < n; j++) for (let i = 0; i < n; i++) W[i * n + j] = V[i * n + order[j]!]!;
    out.vectors = W;
  }
  return out;
}
