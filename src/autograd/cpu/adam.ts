// Adam's update in place on typed arrays (Backend.adamStep of the pure-JS backend): one pass instead
// of the optimizer's ~11 tensor ops, with their bits. Each op of the op path (nn/optim.ts, adamOps)
// rounds to the parameter's dtype, and so do its scalar operands (they enter as tensors of that
// dtype): the float32 loop rounds every step with Math.fround (a float32 sqrt is the rounded
// float64 sqrt of a float32 value, and a float32 sum the rounded float64 sum of two float32 values).
import type { AdamScalars, View } from '../backend.js';
import { isContiguous, sizeOf } from '../shape.js';

/** Whether v covers its whole storage, contiguous from element 0 (a fused update may write it in place). */
function wholeStorage(v: View): boolean {
  return v.offset === 0 && v.storage.size === sizeOf(v.shape) && isContiguous(v.shape, v.strides);
}

/** The views Backend.adamStep accepts: one float dtype; p, m, v whole storages; g contiguous. */
export function adamApplies(p: View, g: View, m: View, v: View): boolean {
  const d = p.dtype;
  if ((d !== 'float32' && d !== 'float64') || g.dtype !== d || m.dtype !== d || v.dtype !== d) return false;
  const n = sizeOf(p.shape);
  if (sizeOf(g.shape) !== n || sizeOf(m.shape) !== n || sizeOf(v.shape) !== n) return false;
  return wholeStorage(p) && wholeStorage(m) && wholeStorage(v) && isContiguous(g.shape, g.strides);
}

export function adamStepJs(p: View, g: View, m: View, v: View, c: AdamScalars): boolean {
  if (!adamApplies(p, g, m, v)) return false;
  const n = sizeOf(p.shape);
  if (p.dtype === 'float32') adamLoopF32(p.storage.data, g.storage.data, g.offset, m.storage.data, v.storage.data, n, c);
  else adamLoopF64(p.storage.data, g.storage.data, g.offset, m.storage.data, v.storage.data, n, c);
  return true;
}

function adamLoopF32(p: Float32Array, g: Float32Array, go: number, m: Float32Array, v: Float32Array, n: number, c: AdamScalars): void {
  const fr = Math.fround;
  const c1 = fr(c.c1), b2 = fr(c.b2), c2 = fr(c.c2), sb = fr(c.sqrtBc2), e = fr(c.eps), ns = fr(c.negStep);
  for (let i = 0; i < n; i++) {
    const gi = g[go + i]!, mi = m[i]!;
    const mn = fr(mi + fr(fr(gi - mi) * c1));
    const vn = fr(fr(v[i]! * b2) + fr(fr(gi * gi) * c2));
    m[i] = mn;
    v[i] = vn;
    p[i] = p[i]! + fr(fr(mn / fr(fr(fr(Math.sqrt(vn)) / sb) + e)) * ns);
  }
}

function adamLoopF64(p: Float64Array, g: Float64Array, go: number, m: Float64Array, v: Float64Array, n: number, c: AdamScalars): void {
  const { c1, b2, c2, sqrtBc2, eps, negStep } = c;
  for (let i = 0; i < n; i++) {
    const gi = g[go + i]!, mi = m[i]!;
    const mn = mi + (gi - mi) * c1;
    const vn = v[i]! * b2 + gi * gi * c2;
    m[i] = mn;
    v[i] = vn;
    p[i] = p[i]! + (mn / (Math.sqrt(vn) / sqrtBc2 + eps)) * negStep;
  }
}
