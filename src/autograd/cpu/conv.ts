/**
 * im2col / col2im for 2-D convolution on typed arrays (one image at a time).
 *
 * Convolution is lowered to a matmul: weights (F x C*kH*kW) times the column
 * matrix (C*kH*kW x outH*outW). Row r = (c*kH + ki)*kW + kj of the column
 * matrix holds, for every output pixel (oh, ow), the input value
 * x[c, oh*strideH - padH + ki*dilH, ow*strideW - padW + kj*dilW] (0 outside
 * the image). col2im is the exact adjoint and is used for the input gradient.
 *
 * For a fixed (row, oh) the valid ow form one contiguous interval, computed
 * up front, so the inner loops have no per-element bounds tests.
 */

import { convOutputSize } from '../shape.js';

export type FloatArray = Float32Array | Float64Array;
export { convOutputSize };

/** First ow with ow*stride + shift >= 0. */
function firstValid(shift: number, stride: number): number {
  // `| 0` keeps these (and the indices derived from them) in int32 registers.
  return shift >= 0 ? 0 : Math.ceil(-shift / stride) | 0;
}

/** One past the last ow with ow*stride + shift <= size - 1, clamped to [lo, outSize]. */
function endValid(shift: number, stride: number, size: number, outSize: number, lo: number): number {
  const lim = size - 1 - shift;
  if (lim < 0) return lo;
  const e = (Math.floor(lim / stride) | 0) + 1;
  return e < lo ? lo : e > outSize ? outSize : e;
}

/**
 * Write the (C*kH*kW) x (outH*outW) row-major column matrix of image
 * x[xOff .. xOff + C*H*W) (CHW layout) into cols[colsOff ..]. Padding reads as 0.
 */
export function im2col(
  x: FloatArray, xOff: number, C: number, H: number, W: number,
  kH: number, kW: number, strideH: number, strideW: number,
  padH: number, padW: number, dilH: number, dilW: number,
  outH: number, outW: number, cols: FloatArray, colsOff: number,
): void {
  let d = colsOff;
  for (let c = 0; c < C; c++) {
    const xc = xOff + c * H * W;
    for (let ki = 0; ki < kH; ki++) {
      const rowShift = ki * dilH - padH;
      for (let kj = 0; kj < kW; kj++) {
        const colShift = kj * dilW - padW;
        const lo = Math.min(firstValid(colShift, strideW), outW);
        const hi = endValid(colShift, strideW, W, outW, lo);
        for (let oh = 0; oh < outH; oh++) {
          const ih = oh * strideH + rowShift;
          if (ih < 0 || ih >= H) {
            cols.fill(0, d, d + outW);
            d += outW;
            continue;
          }
          let ow = 0;
          for (; ow < lo; ow++) cols[d++] = 0;
          let s = xc + ih * W + lo * strideW + colShift;
          for (; ow < hi; ow++) {
            cols[d++] = x[s];
            s += strideW;
          }
          for (; ow < outW; ow++) cols[d++] = 0;
        }
      }
    }
  }
}

/**
 * Adjoint of im2col: dx[xOff-layout image] += scatter of cols. Every column
 * entry is added to the input pixel it was read from (entries that came from
 * padding are dropped). Overlapping windows accumulate in a fixed order.
 */
export function col2im(
  cols: FloatArray, colsOff: number, C: number, H: number, W: number,
  kH: number, kW: number, strideH: number, strideW: number,
  padH: number, padW: number, dilH: number, dilW: number,
  outH: number, outW: number, dx: FloatArray, dxOff: number,
): void {
  let sRow = colsOff;
  for (let c = 0; c < C; c++) {
    const xc = dxOff + c * H * W;
    for (let ki = 0; ki < kH; ki++) {
      const rowShift = ki * dilH - padH;
      for (let kj = 0; kj < kW; kj++) {
        const colShift = kj * dilW - padW;
        const lo = Math.min(firstValid(colShift, strideW), outW);
        const hi = endValid(colShift, strideW, W, outW, lo);
        for (let oh = 0; oh < outH; oh++) {
          const ih = oh * strideH + rowShift;
          if (ih >= 0 && ih < H) {
            let t = xc + ih * W + lo * strideW + colShift;
            let s = sRow + lo;
            const end = sRow + hi;
            for (; s < end; s++) {
              dx[t] += cols[s];
              t += strideW;
            }
          }
          sRow += outW;
        }
      }
    }
  }
}
