/**
 * Dense matrix multiply on typed arrays (single-threaded, pure JS).
 *
 * Design (measured on V8 / Node 20, see comments inline):
 *  - Operands are read through arbitrary (row, col) strides, so A^T, B^T and
 *    sub-views cost nothing extra: every block of A and B is first *packed*
 *    into a contiguous Float64Array in exactly the order the micro-kernel
 *    consumes it. Packing makes the inner loop a pure unit-stride stream,
 *    turns strided/transposed access into one cheap copy, and converts
 *    float32 to double once instead of MR*NR times per k step (Float64 packs
 *    measured faster than Float32 packs: no cvtss2sd per load).
 *  - The micro-kernel computes an MR x NR tile of C with all MR*NR partial
 *    sums held in local doubles (registers / spill slots). Per k step it does
 *    MR+NR loads for 2*MR*NR flops; bounds/map checks on typed-array loads are
 *    the main overhead in V8, so a larger tile amortizes them.
 *  - Blocking: K is split into KC-long panels (bounds the pack buffers for any
 *    K and keeps a B sliver KC*NR doubles in L1 while the A block stays in
 *    L2); M and N into MC x NC blocks whose partial sums live in a float64
 *    accumulator, so a float32 output is rounded exactly once.
 *  - Summation order for each C[i,j] is fixed (k ascending inside each KC
 *    panel, panels added in order) and independent of timing => results are
 *    deterministic (bit-identical across calls).
 *  - Tiny problems skip packing and use a direct loop.
 *
 * Scratch buffers are module-level, allocated once and grown on demand.
 * `out` must not alias `a` or `b`.
 */

export type FloatArray = Float32Array | Float64Array;

/** Micro-tile shape (rows of A x columns of B per register block). */
const MR = 4;
const NR = 8;
/** K panel length. */
const KC = 256;
/** M block (multiple of MR): the packed A block is MC*KC doubles (~128 KiB, L2). */
const MC = 64;
/** N block (multiple of NR): the packed B block is KC*NC doubles (L2). */
const NC = 256;
/** Below this many multiply-adds the packing overhead is not worth it. */
const SMALL = 4096;

// Shared scratch: packed A block at [0, MC*KC), packed B block after it.
// One array for both so the micro-kernel's loop checks a single typed array.
let pack = new Float64Array(0);
// MC x NC float64 accumulator for the current C block (row stride NC).
let accum = new Float64Array(0);
// Per-row accumulator for the direct (unpacked) path.
let rowTmp = new Float64Array(0);


/**
 * 4x8 register-blocked micro-kernel over one KC panel: acc tile (+)= packedA sliver * packedB sliver.
 * `(x + c) | 0` index arithmetic lets V8 drop the int32 overflow check on every load.
 */
function micro4x8(pk: Float64Array, ia: number, ib: number, kc: number, acc: Float64Array, ci: number, ldc: number, first: boolean): void {
  let c00 = 0, c01 = 0, c02 = 0, c03 = 0, c04 = 0, c05 = 0, c06 = 0, c07 = 0;
  let c10 = 0, c11 = 0, c12 = 0, c13 = 0, c14 = 0, c15 = 0, c16 = 0, c17 = 0;
  let c20 = 0, c21 = 0, c22 = 0, c23 = 0, c24 = 0, c25 = 0, c26 = 0, c27 = 0;
  let c30 = 0, c31 = 0, c32 = 0, c33 = 0, c34 = 0, c35 = 0, c36 = 0, c37 = 0;
  for (let p = 0; p < kc; p++) {
    const a0 = pk[(ia + 0) | 0]; const a1 = pk[(ia + 1) | 0]; const a2 = pk[(ia + 2) | 0]; const a3 = pk[(ia + 3) | 0];
    const b0 = pk[(ib + 0) | 0]; const b1 = pk[(ib + 1) | 0]; const b2 = pk[(ib + 2) | 0]; const b3 = pk[(ib + 3) | 0]; const b4 = pk[(ib + 4) | 0]; const b5 = pk[(ib + 5) | 0]; const b6 = pk[(ib + 6) | 0]; const b7 = pk[(ib + 7) | 0];
    c00 += a0 * b0; c01 += a0 * b1; c02 += a0 * b2; c03 += a0 * b3; c04 += a0 * b4; c05 += a0 * b5; c06 += a0 * b6; c07 += a0 * b7;
    c10 += a1 * b0; c11 += a1 * b1; c12 += a1 * b2; c13 += a1 * b3; c14 += a1 * b4; c15 += a1 * b5; c16 += a1 * b6; c17 += a1 * b7;
    c20 += a2 * b0; c21 += a2 * b1; c22 += a2 * b2; c23 += a2 * b3; c24 += a2 * b4; c25 += a2 * b5; c26 += a2 * b6; c27 += a2 * b7;
    c30 += a3 * b0; c31 += a3 * b1; c32 += a3 * b2; c33 += a3 * b3; c34 += a3 * b4; c35 += a3 * b5; c36 += a3 * b6; c37 += a3 * b7;
    ia = (ia + 4) | 0;
    ib = (ib + 8) | 0;
  }
  if (first) {
    acc[ci + 0] = c00; acc[ci + 1] = c01; acc[ci + 2] = c02; acc[ci + 3] = c03; acc[ci + 4] = c04; acc[ci + 5] = c05; acc[ci + 6] = c06; acc[ci + 7] = c07; ci += ldc;
    acc[ci + 0] = c10; acc[ci + 1] = c11; acc[ci + 2] = c12; acc[ci + 3] = c13; acc[ci + 4] = c14; acc[ci + 5] = c15; acc[ci + 6] = c16; acc[ci + 7] = c17; ci += ldc;
    acc[ci + 0] = c20; acc[ci + 1] = c21; acc[ci + 2] = c22; acc[ci + 3] = c23; acc[ci + 4] = c24; acc[ci + 5] = c25; acc[ci + 6] = c26; acc[ci + 7] = c27; ci += ldc;
    acc[ci + 0] = c30; acc[ci + 1] = c31; acc[ci + 2] = c32; acc[ci + 3] = c33; acc[ci + 4] = c34; acc[ci + 5] = c35; acc[ci + 6] = c36; acc[ci + 7] = c37;
  } else {
    acc[ci + 0] += c00; acc[ci + 1] += c01; acc[ci + 2] += c02; acc[ci + 3] += c03; acc[ci + 4] += c04; acc[ci + 5] += c05; acc[ci + 6] += c06; acc[ci + 7] += c07; ci += ldc;
    acc[ci + 0] += c10; acc[ci + 1] += c11; acc[ci + 2] += c12; acc[ci + 3] += c13; acc[ci + 4] += c14; acc[ci + 5] += c15; acc[ci + 6] += c16; acc[ci + 7] += c17; ci += ldc;
    acc[ci + 0] += c20; acc[ci + 1] += c21; acc[ci + 2] += c22; acc[ci + 3] += c23; acc[ci + 4] += c24; acc[ci + 5] += c25; acc[ci + 6] += c26; acc[ci + 7] += c27; ci += ldc;
    acc[ci + 0] += c30; acc[ci + 1] += c31; acc[ci + 2] += c32; acc[ci + 3] += c33; acc[ci + 4] += c34; acc[ci + 5] += c35; acc[ci + 6] += c36; acc[ci + 7] += c37;
  }
}


/**
 * out[outOff + i*N + j] = sum_k A[i,k] * B[k,j] for 0 <= i < M, 0 <= j < N, where
 * A[i,k] = a[aOff + i*aRowStride + k*aColStride] and
 * B[k,j] = b[bOff + k*bRowStride + j*bColStride].
 * `out` is contiguous row-major M x N and is overwritten (zeros when K = 0).
 */
export function matmulKernel(
  a: FloatArray, aOff: number, aRowStride: number, aColStride: number,
  b: FloatArray, bOff: number, bRowStride: number, bColStride: number,
  out: FloatArray, outOff: number, M: number, N: number, K: number,
): void {
  if (M <= 0 || N <= 0) return;
  if (K <= 0) {
    out.fill(0, outOff, outOff + M * N);
    return;
  }
  if (M * N * K < SMALL || M === 1 || N === 1) {
    // Packing costs O(MK + KN) copies; when M or N is 1 that is as much work
    // as the product itself, so stream the operands directly.
    directMatmul(a, aOff, aRowStride, aColStride, b, bOff, bRowStride, bColStride, out, outOff, M, N, K);
    return;
  }

  const mcMax = Math.min(MC, roundUp(M, MR));
  const ncMax = Math.min(NC, roundUp(N, NR));
  const kcMax = Math.min(KC, K);
  const bBase = mcMax * kcMax;
  const need = bBase + kcMax * ncMax;
  if (pack.length < need) pack = new Float64Array(need);
  if (accum.length < mcMax * ncMax) accum = new Float64Array(mcMax * ncMax);
  const pk = pack;
  const acc = accum;

  for (let i0 = 0; i0 < M; i0 += MC) {
    const mc = Math.min(MC, M - i0);
    const mcPad = roundUp(mc, MR);
    for (let j0 = 0; j0 < N; j0 += NC) {
      const nc = Math.min(NC, N - j0);
      const ncPad = roundUp(nc, NR);
      // acc has row stride ncPad for this block; padded rows/cols hold junk
      // that is never copied out.
      for (let p0 = 0; p0 < K; p0 += KC) {
        const kc = Math.min(KC, K - p0);
        packA(a, aOff + i0 * aRowStride + p0 * aColStride, aRowStride, aColStride, mc, kc, pk, 0);
        packB(b, bOff + p0 * bRowStride + j0 * bColStride, bRowStride, bColStride, kc, nc, pk, bBase);
        const first = p0 === 0;
        // jr outer / ir inner: the B sliver (kc x NR) stays hot in L1 while
        // the A slivers stream from L2.
        for (let jr = 0; jr < ncPad; jr += NR) {
          const ib = bBase + jr * kc;
          for (let ir = 0; ir < mcPad; ir += MR) {
            micro4x8(pk, ir * kc, ib, kc, acc, ir * ncPad + jr, ncPad, first);
          }
        }
      }
      // Write the finished block (single rounding for float32 outputs).
      let o = outOff + i0 * N + j0;
      let s = 0;
      for (let i = 0; i < mc; i++) {
        for (let j = 0; j < nc; j++) out[o + j] = acc[s + j];
        o += N;
        s += ncPad;
      }
    }
  }
}

function roundUp(x: number, m: number): number {
  return Math.ceil(x / m) * m;
}

/**
 * Pack an mc x kc block of A (element (i,k) at a[src + i*rs + k*cs]) into
 * pk[dst..] as ceil(mc/MR) slivers; sliver s holds, for k = 0..kc-1, the MR
 * values A[s*MR + r, k] contiguously. Rows past mc are zero-filled.
 */
function packA(a: FloatArray, src: number, rs: number, cs: number, mc: number, kc: number, pk: Float64Array, dst: number): void {
  for (let i = 0; i < mc; i += MR) {
    const mv = Math.min(MR, mc - i);
    const base = src + i * rs;
    if (Math.abs(cs) <= Math.abs(rs)) {
      // Row-major-ish A: walk each row along k (unit stride when cs = 1).
      for (let r = 0; r < mv; r++) {
        let s = base + r * rs;
        let d = dst + r;
        for (let k = 0; k < kc; k++) {
          pk[d] = a[s];
          s += cs;
          d += MR;
        }
      }
    } else {
      // Column-major-ish A (e.g. A^T of a row-major tensor): walk down columns.
      for (let k = 0; k < kc; k++) {
        const s = base + k * cs;
        const d = dst + k * MR;
        for (let r = 0; r < mv; r++) pk[d + r] = a[s + r * rs];
      }
    }
    if (mv < MR) {
      for (let k = 0; k < kc; k++) {
        const d = dst + k * MR;
        for (let r = mv; r < MR; r++) pk[d + r] = 0;
      }
    }
    dst += MR * kc;
  }
}

/**
 * Pack a kc x nc block of B (element (k,j) at b[src + k*rs + j*cs]) into
 * pk[dst..] as ceil(nc/NR) slivers; sliver t holds, for k = 0..kc-1, the NR
 * values B[k, t*NR + c] contiguously. Columns past nc are zero-filled.
 */
function packB(b: FloatArray, src: number, rs: number, cs: number, kc: number, nc: number, pk: Float64Array, dst: number): void {
  for (let j = 0; j < nc; j += NR) {
    const nv = Math.min(NR, nc - j);
    const base = src + j * cs;
    if (Math.abs(cs) <= Math.abs(rs)) {
      // Row-major B: each k row contributes nv consecutive values.
      for (let k = 0; k < kc; k++) {
        const s = base + k * rs;
        const d = dst + k * NR;
        for (let c = 0; c < nv; c++) pk[d + c] = b[s + c * cs];
      }
    } else {
      // Column-major B (e.g. B^T of a row-major tensor): walk each column along k.
      for (let c = 0; c < nv; c++) {
        let s = base + c * cs;
        let d = dst + c;
        for (let k = 0; k < kc; k++) {
          pk[d] = b[s];
          s += rs;
          d += NR;
        }
      }
    }
    if (nv < NR) {
      for (let k = 0; k < kc; k++) {
        const d = dst + k * NR;
        for (let c = nv; c < NR; c++) pk[d + c] = 0;
      }
    }
    dst += NR * kc;
  }
}

/**
 * Unpacked path for tiny or vector-shaped products. Each output is summed in
 * a double with k ascending (the same order either loop nest below uses).
 */
function directMatmul(
  a: FloatArray, aOff: number, ars: number, acs: number,
  b: FloatArray, bOff: number, brs: number, bcs: number,
  out: FloatArray, outOff: number, M: number, N: number, K: number,
): void {
  if (N > 1 && Math.abs(bcs) < Math.abs(brs)) {
    // B rows are (near-)contiguous: accumulate a whole output row at once,
    // streaming B row by row instead of striding down its columns.
    if (rowTmp.length < N) rowTmp = new Float64Array(N);
    const t = rowTmp;
    for (let i = 0; i < M; i++) {
      t.fill(0, 0, N);
      const ai = aOff + i * ars;
      for (let k = 0; k < K; k++) {
        const aik = a[ai + k * acs];
        let s = bOff + k * brs;
        for (let j = 0; j < N; j++) {
          t[j] += aik * b[s];
          s += bcs;
        }
      }
      const o = outOff + i * N;
      for (let j = 0; j < N; j++) out[o + j] = t[j];
    }
    return;
  }
  for (let i = 0; i < M; i++) {
    const ai = aOff + i * ars;
    const o = outOff + i * N;
    for (let j = 0; j < N; j++) {
      let s = 0;
      let ia = ai;
      let ib = bOff + j * bcs;
      for (let k = 0; k < K; k++) {
        s += a[ia] * b[ib];
        ia += acs;
        ib += brs;
      }
      out[o + j] = s;
    }
  }
}
