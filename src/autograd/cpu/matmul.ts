// TEMPORARY naive kernel (placeholder until the packed kernel lands).
type F = Float32Array | Float64Array;
export function matmulKernel(a: F, aOff: number, ars: number, acs: number, b: F, bOff: number, brs: number, bcs: number, out: F, outOff: number, M: number, N: number, K: number): void {
  for (let i = 0; i < M; i++) for (let j = 0; j < N; j++) {
    let s = 0;
    for (let k = 0; k < K; k++) s += a[aOff + i * ars + k * acs] * b[bOff + k * brs + j * bcs];
    out[outOff + i * N + j] = s;
  }
}
