/**
 * Dense matrix multiply on typed arrays: single-threaded, pure JS, deterministic.
 *
 * How it is made fast under V8 (all choices were measured on Node 20 / x64):
 *  - Operands are read through arbitrary (row, col) strides, so A^T, B^T and
 *    sub-views cost nothing extra: each block of A and B is first *packed*
 *    into contiguous scratch in exactly the order the micro-kernel reads it.
 *    Packing turns strided/transposed access into one cheap copy per element
 *    (instead of one per use) and converts float32 to double once.
 *  - The scratch is a plain JS array of doubles (PACKED_DOUBLE_ELEMENTS), not
 *    a Float64Array: V8 compiles its loads to ~3 instructions versus ~6 for a
 *    typed array (no base+external pointer recomputation, no 64-bit index
 *    sign extension), which measured ~10% faster end to end.
 *  - The micro-kernel keeps an MR x NR = 4x4 tile of C in 16 local doubles and
 *    per k step does 8 loads for 32 flops. 4x8, 8x4, 8x8, 2x8, 3x4 and 6x4
 *    were also tried: V8 only allocates 15 xmm registers, so bigger tiles just
 *    trade loads for spills (~3 instructions per flop for all of them) and
 *    4x4 came out fastest or tied. Unrolling k made it slower (more spills).
 *  - Blocking: K is split into KC = 256 panels, which bounds scratch for any
 *    K and keeps a packed B sliver (KC*NR doubles = 8 KiB) in L1 across the
 *    whole A block. M and N are split into MC x NC = 256 x 256 blocks whose
 *    partial sums live in a float64 accumulator, so every output, float32 or
 *    float64, is rounded exactly once. Large MC/NC matter because each B
 *    block is re-packed once per M block and each A block once per N block.
 *  - Fixed summation order (k ascending within a panel, panels added in
 *    order) => bit-identical results on every call.
 *  - Tiny problems and matrix-vector shapes skip packing (direct loops).
 *
 *  - Where WebAssembly SIMD is available, the micro-kernel loop over a packed
 *    panel runs as an f64x2 wasm function instead (cpu/wasm-matmul.ts): same
 *    sums in the same order, so the same bits, ~5x the JS kernel's speed
 *    (V8 keeps its 8 vector accumulators in registers). Packing and the final
 *    rounding stay in JS; the packed blocks then live in the wasm memory.
 *
 * Scratch buffers are module-level, allocated once and grown on demand.
 * `out` must not alias `a` or `b`, and every addressed element must be in
 * range (an out-of-range read would also degrade the scratch array's
 * element kind and with it all later calls).
 */

import { createWasmPanel, type WasmPanel } from './wasm-matmul.js';

export type FloatArray = Float32Array | Float64Array;

/** Micro-tile rows (of A / C). packA's unrolled paths assume 4. */
const MR = 4;
/** Micro-tile columns (of B / C). packB is packA of B^T, so NR must equal MR. */
const NR = MR;
/** K panel length. */
const KC = 256;
/** M block (multiple of MR). */
const MC = 256;
/** N block (multiple of NR). */
const NC = 256;
/** Rows/columns per chunk when packing across the source's long stride. */
const KB = 16;
/** Below this many multiply-adds, packing costs more than it saves. */
const SMALL = 4096;

// Packed A block at [0, bBase), packed B block at [bBase, ...). One array
// for both so the micro-kernel's loop checks a single map.
let pack: number[] = [];
// MC x NC float64 accumulator for the current C block.
let accum = new Float64Array(0);
// Row/column accumulator for the direct path.
let vecTmp = new Float64Array(0);

// The wasm kernel (null: the JS micro-kernel) and a float64 view of its memory.
let wasm: WasmPanel | null | undefined;
let wasmF64: Float64Array = new Float64Array(0);

/** The wasm kernel with at least `doubles` of memory, or null where WebAssembly SIMD is unavailable. */
function wasmScratch(doubles: number): WasmPanel | null {
  if (wasm === undefined) wasm = useWasm ? createWasmPanel() : null;
  if (!wasm) return null;
  const need = doubles * 8;
  if (wasm.memory.buffer.byteLength < need) wasm.memory.grow(Math.ceil((need - wasm.memory.buffer.byteLength) / 65536));
  if (wasmF64.buffer !== wasm.memory.buffer) wasmF64 = new Float64Array(wasm.memory.buffer);
  return wasm;
}

let useWasm = true;
/** Turns the wasm kernel off (false) or back on; for tests comparing the two kernels. Returns whether wasm is in use. */
export function setMatmulWasm(on: boolean): boolean {
  useWasm = on;
  wasm = undefined;
  return on && wasmScratch(0) !== null;
}

function ensureScratch(packLen: number, accLen: number): void {
  if (pack.length < packLen) {
    // Built with push of a non-integer so the array is PACKED_DOUBLE from
    // the start (new Array(n) would be HOLEY and need hole checks on loads).
    const p: number[] = [];
    for (let i = 0; i < packLen; i++) p.push(0.5);
    pack = p;
  }
  if (accum.length < accLen) accum = new Float64Array(accLen);
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
  if (!usesPackedPath(M, N, K)) {
    // Packing costs O(MK + KN) copies; when M or N is 1 that is as much work
    // as the product itself, so stream the operands directly.
    directMatmul(a, aOff, aRowStride, aColStride, b, bOff, bRowStride, bColStride, out, outOff, M, N, K);
    return;
  }
  packedMatmul(a, aOff, aRowStride, aColStride, b, bOff, bRowStride, bColStride, out, outOff, N, M, N, K);
}

/**
 * True when matmulKernel takes the packed path for this shape. Only packed products may be split
 * into row or column blocks (cpu/threads.ts): every output's sum is then formed in the same order
 * (KC panels ascending, k ascending inside a panel) whatever block it lands in, so the bits do
 * not depend on the split.
 */
export function usesPackedPath(M: number, N: number, K: number): boolean {
  return M > 1 && N > 1 && K > 0 && M * N * K >= SMALL;
}

/**
 * The packed, blocked product behind matmulKernel, for an output block whose rows are `ldo`
 * elements apart (ldo = N for a whole contiguous output). Requires M, N, K >= 1.
 */
export function packedMatmul(
  a: FloatArray, aOff: number, aRowStride: number, aColStride: number,
  b: FloatArray, bOff: number, bRowStride: number, bColStride: number,
  out: FloatArray, outOff: number, ldo: number, M: number, N: number, K: number,
): void {
  const mcMax = Math.min(MC, roundUp(M, MR));
  const ncMax = Math.min(NC, roundUp(N, NR));
  const kcMax = Math.min(KC, K);
  const bBase = mcMax * kcMax;
  const accBase = bBase + kcMax * ncMax;
  const w = wasmScratch(accBase + mcMax * ncMax);
  if (w) {
    packedMatmulWasm(w, a, aOff, aRowStride, aColStride, b, bOff, bRowStride, bColStride, out, outOff, ldo, M, N, K, bBase, accBase);
    return;
  }
  ensureScratch(bBase + kcMax * ncMax, mcMax * ncMax);
  const pk = pack;
  const acc = accum;

  for (let i0 = 0; i0 < M; i0 += MC) {
    const mc = Math.min(MC, M - i0);
    const mcPad = roundUp(mc, MR);
    for (let j0 = 0; j0 < N; j0 += NC) {
      const nc = Math.min(NC, N - j0);
      const ncPad = roundUp(nc, NR);
      // acc holds this block with row stride ncPad; padded rows/columns get
      // junk (products with the zero padding) and are never copied out.
      // (Zeroing here and always adding, rather than a "first panel" flag in
      // the micro-kernel, avoids a V8 deopt loop on the never-seen branch.)
      acc.fill(0, 0, mcPad * ncPad);
      for (let p0 = 0; p0 < K; p0 += KC) {
        const kc = Math.min(KC, K - p0);
        packA(a, aOff + i0 * aRowStride + p0 * aColStride, aRowStride, aColStride, mc, kc, pk, 0);
        packB(b, bOff + p0 * bRowStride + j0 * bColStride, bRowStride, bColStride, kc, nc, pk, bBase);
        // jr outer / ir inner: one B sliver stays in L1 while A slivers
        // stream from L2.
        for (let jr = 0; jr < ncPad; jr += NR) {
          const ib = bBase + jr * kc;
          for (let ir = 0; ir < mcPad; ir += MR) {
            micro4x4(pk, ir * kc, ib, kc, acc, ir * ncPad + jr, ncPad);
          }
        }
      }
      // Write the finished block: a single rounding for float32 outputs.
      let o = outOff + i0 * ldo + j0;
      let s = 0;
      for (let i = 0; i < mc; i++) {
        for (let j = 0; j < nc; j++) out[o + j] = acc[s + j];
        o += ldo;
        s += ncPad;
      }
    }
  }
}

/**
 * packedMatmul with the blocks in the wasm memory (packed A at 0, packed B at bBase, the
 * accumulator at accBase, in doubles) and the wasm kernel over each panel: the loop structure
 * and summation order of the JS path above.
 */
function packedMatmulWasm(
  w: WasmPanel,
  a: FloatArray, aOff: number, aRowStride: number, aColStride: number,
  b: FloatArray, bOff: number, bRowStride: number, bColStride: number,
  out: FloatArray, outOff: number, ldo: number, M: number, N: number, K: number, bBase: number, accBase: number,
): void {
  const f = wasmF64;
  for (let i0 = 0; i0 < M; i0 += MC) {
    const mc = Math.min(MC, M - i0);
    const mcPad = roundUp(mc, MR);
    for (let j0 = 0; j0 < N; j0 += NC) {
      const nc = Math.min(NC, N - j0);
      const ncPad = roundUp(nc, NR);
      f.fill(0, accBase, accBase + mcPad * ncPad);
      for (let p0 = 0; p0 < K; p0 += KC) {
        const kc = Math.min(KC, K - p0);
        packA(a, aOff + i0 * aRowStride + p0 * aColStride, aRowStride, aColStride, mc, kc, f, 0);
        packB(b, bOff + p0 * bRowStride + j0 * bColStride, bRowStride, bColStride, kc, nc, f, bBase);
        w.panel(0, bBase * 8, kc, accBase * 8, mcPad, ncPad);
      }
      let o = outOff + i0 * ldo + j0;
      let s = accBase;
      for (let i = 0; i < mc; i++) {
        for (let j = 0; j < nc; j++) out[o + j] = f[s + j];
        o += ldo;
        s += ncPad;
      }
    }
  }
}

function roundUp(x: number, m: number): number {
  return Math.ceil(x / m) * m;
}

/**
 * 4x4 register-blocked micro-kernel over one K panel:
 * acc tile += (packed A sliver, kc x 4) * (packed B sliver, kc x 4).
 * `(x + c) | 0` index arithmetic lets V8 drop the int32 overflow check on
 * every load; the source order of loads and multiply-adds does not matter
 * (V8 reschedules them), only the number of live values does.
 */
function micro4x4(pk: number[], ia: number, ib: number, kc: number, acc: Float64Array, ci: number, ldc: number): void {
  let c00 = 0, c01 = 0, c02 = 0, c03 = 0;
  let c10 = 0, c11 = 0, c12 = 0, c13 = 0;
  let c20 = 0, c21 = 0, c22 = 0, c23 = 0;
  let c30 = 0, c31 = 0, c32 = 0, c33 = 0;
  for (let p = 0; p < kc; p++) {
    const a0 = pk[ia | 0], a1 = pk[(ia + 1) | 0], a2 = pk[(ia + 2) | 0], a3 = pk[(ia + 3) | 0];
    const b0 = pk[ib | 0], b1 = pk[(ib + 1) | 0], b2 = pk[(ib + 2) | 0], b3 = pk[(ib + 3) | 0];
    c00 += a0 * b0; c01 += a0 * b1; c02 += a0 * b2; c03 += a0 * b3;
    c10 += a1 * b0; c11 += a1 * b1; c12 += a1 * b2; c13 += a1 * b3;
    c20 += a2 * b0; c21 += a2 * b1; c22 += a2 * b2; c23 += a2 * b3;
    c30 += a3 * b0; c31 += a3 * b1; c32 += a3 * b2; c33 += a3 * b3;
    ia = (ia + 4) | 0;
    ib = (ib + 4) | 0;
  }
  acc[ci] += c00; acc[ci + 1] += c01; acc[ci + 2] += c02; acc[ci + 3] += c03;
  ci += ldc;
  acc[ci] += c10; acc[ci + 1] += c11; acc[ci + 2] += c12; acc[ci + 3] += c13;
  ci += ldc;
  acc[ci] += c20; acc[ci + 1] += c21; acc[ci + 2] += c22; acc[ci + 3] += c23;
  ci += ldc;
  acc[ci] += c30; acc[ci + 1] += c31; acc[ci + 2] += c32; acc[ci + 3] += c33;
}

/**
 * Pack an mc x kc block of A (element (i,k) at a[src + i*rs + k*cs]) into
 * pk[dst..] as ceil(mc/MR) slivers: sliver s holds, for k = 0..kc-1, the MR
 * values A[s*MR + r, k] contiguously. Rows past mc are zero-filled.
 */
function packA(a: FloatArray, src: number, rs: number, cs: number, mc: number, kc: number, pk: number[] | Float64Array, dst: number): void {
  const full = mc - (mc % MR);
  if (Math.abs(cs) <= Math.abs(rs)) {
    // Contiguous along k (row-major A): read MR rows in parallel, write the
    // sliver sequentially.
    for (let i = 0; i < full; i += MR) {
      let s = src + i * rs;
      let d = dst + i * kc;
      const r1 = rs, r2 = 2 * rs, r3 = 3 * rs;
      for (let k = 0; k < kc; k++) {
        pk[d] = a[s];
        pk[d + 1] = a[s + r1];
        pk[d + 2] = a[s + r2];
        pk[d + 3] = a[s + r3];
        s += cs;
        d += MR;
      }
    }
  } else {
    // Contiguous along i (A^T of a row-major tensor). Walking one sliver down
    // all of k would touch a new cache line per k at a large power-of-two
    // stride (L1 set conflicts), so go KB columns at a time: those KB source
    // lines stay in L1 while every sliver takes its MR values from them.
    for (let k0 = 0; k0 < kc; k0 += KB) {
      const k1 = Math.min(k0 + KB, kc);
      for (let i = 0; i < full; i += MR) {
        let s = src + i * rs + k0 * cs;
        let d = dst + i * kc + k0 * MR;
        const r1 = rs, r2 = 2 * rs, r3 = 3 * rs;
        for (let k = k0; k < k1; k++) {
          pk[d] = a[s];
          pk[d + 1] = a[s + r1];
          pk[d + 2] = a[s + r2];
          pk[d + 3] = a[s + r3];
          s += cs;
          d += MR;
        }
      }
    }
  }
  if (full < mc) {
    // Ragged last sliver: copy the valid rows, zero the rest.
    const mv = mc - full;
    let s = src + full * rs;
    let d = dst + full * kc;
    for (let k = 0; k < kc; k++) {
      let r = 0;
      for (; r < mv; r++) pk[d + r] = a[s + r * rs];
      for (; r < MR; r++) pk[d + r] = 0;
      s += cs;
      d += MR;
    }
  }
}

/**
 * Pack a kc x nc block of B (element (k,j) at b[src + k*rs + j*cs]) into
 * pk[dst..] as ceil(nc/NR) slivers: sliver t holds, for k = 0..kc-1, the NR
 * values B[k, t*NR + c] contiguously. Columns past nc are zero-filled.
 * That is packA of B^T (rows j, columns k: the strides swap), since NR = MR.
 */
function packB(b: FloatArray, src: number, rs: number, cs: number, kc: number, nc: number, pk: number[] | Float64Array, dst: number): void {
  packA(b, src, cs, rs, nc, kc, pk, dst);
}

/**
 * Unpacked path for tiny or vector-shaped products. Every output is summed in
 * a double starting from 0 with k ascending; the three loop nests below differ
 * only in which operand they stream contiguously, not in the result bits.
 */
function directMatmul(
  a: FloatArray, aOff: number, ars: number, acs: number,
  b: FloatArray, bOff: number, brs: number, bcs: number,
  out: FloatArray, outOff: number, M: number, N: number, K: number,
): void {
  if (N > 1 && Math.abs(bcs) < Math.abs(brs)) {
    // B rows are (near-)contiguous: accumulate a whole output row at once,
    // streaming B row by row instead of striding down its columns.
    if (vecTmp.length < N) vecTmp = new Float64Array(N);
    const t = vecTmp;
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
  if (M > 1 && Math.abs(ars) < Math.abs(acs)) {
    // A columns are (near-)contiguous (e.g. A^T v): accumulate a whole output
    // column at once, streaming A column by column.
    if (vecTmp.length < M) vecTmp = new Float64Array(M);
    const t = vecTmp;
    for (let j = 0; j < N; j++) {
      t.fill(0, 0, M);
      const bj = bOff + j * bcs;
      for (let k = 0; k < K; k++) {
        const bkj = b[bj + k * brs];
        let s = aOff + k * acs;
        for (let i = 0; i < M; i++) {
          t[i] += a[s] * bkj;
          s += ars;
        }
      }
      let o = outOff + j;
      for (let i = 0; i < M; i++) {
        out[o] = t[i];
        o += N;
      }
    }
    return;
  }
  // Dot products: A rows and B columns both walked along k.
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
