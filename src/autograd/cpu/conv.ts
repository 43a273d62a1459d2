// TEMPORARY naive im2col (placeholder until the real kernel lands).
type F = Float32Array | Float64Array;
export function convOutputSize(n: number, k: number, s: number, p: number, d: number): number {
  return Math.floor((n + 2 * p - d * (k - 1) - 1) / s) + 1;
}
export function im2col(x: F, xOff: number, C: number, H: number, W: number, kH: number, kW: number, sH: number, sW: number, pH: number, pW: number, dH: number, dW: number, oH: number, oW: number, cols: F, cOff: number): void {
  for (let c = 0; c < C; c++) for (let ki = 0; ki < kH; ki++) for (let kj = 0; kj < kW; kj++) {
    const row = (c * kH + ki) * kW + kj;
    for (let i = 0; i < oH; i++) for (let j = 0; j < oW; j++) {
      const h = i * sH - pH + ki * dH, w = j * sW - pW + kj * dW;
      cols[cOff + row * oH * oW + i * oW + j] = h >= 0 && h < H && w >= 0 && w < W ? x[xOff + (c * H + h) * W + w] : 0;
    }
  }
}
export function col2im(cols: F, cOff: number, C: number, H: number, W: number, kH: number, kW: number, sH: number, sW: number, pH: number, pW: number, dH: number, dW: number, oH: number, oW: number, x: F, xOff: number): void {
  for (let c = 0; c < C; c++) for (let ki = 0; ki < kH; ki++) for (let kj = 0; kj < kW; kj++) {
    const row = (c * kH + ki) * kW + kj;
    for (let i = 0; i < oH; i++) for (let j = 0; j < oW; j++) {
      const h = i * sH - pH + ki * dH, w = j * sW - pW + kj * dW;
      if (h >= 0 && h < H && w >= 0 && w < W) x[xOff + (c * H + h) * W + w] += cols[cOff + row * oH * oW + i * oW + j];
    }
  }
}
