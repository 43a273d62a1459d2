// Comparing a WebGPU result with the CPU's under a stated tolerance (see Tol in cases.ts).
import type { Tol } from './cases.js';

const f = new Float32Array(1);
const u = new Int32Array(f.buffer);

/** Position of a float32 on the ordered line of all float32 values (so ulp distance = difference). */
function ordinal(x: number): number {
  f[0] = x;
  const i = u[0];
  return i < 0 ? -(i & 0x7fffffff) : i;
}

export function ulpDistance(a: number, b: number): number {
  return Math.abs(ordinal(a) - ordinal(b));
}

export interface Measure {
  /** Largest error seen: ulps for {ulp}, relative for {rel}, mismatches for 'exact'. */
  worst: number;
  failure: string | null;
}

export function compare(gpu: ArrayLike<number>, cpu: ArrayLike<number>, float: boolean, tol: Tol): Measure {
  if (gpu.length !== cpu.length) return { worst: Infinity, failure: `lengths differ: ${gpu.length} vs ${cpu.length}` };
  let worst = 0;
  let scale = 1e-30;
  for (let i = 0; i < cpu.length; i++) if (Number.isFinite(cpu[i])) scale = Math.max(scale, Math.abs(cpu[i]));
  for (let i = 0; i < cpu.length; i++) {
    const g = gpu[i], c = cpu[i];
    if (Number.isNaN(g) && Number.isNaN(c)) continue;
    const fail = (why: string) => ({ worst: Infinity, failure: `element ${i}: webgpu ${g} vs cpu ${c} (${why})` });
    if (tol === 'exact' || !float || !Number.isFinite(c) || !Number.isFinite(g)) {
      if (float ? ordinal(g) !== ordinal(c) : g !== c) return fail(tol === 'exact' ? 'not bit-identical' : 'non-finite values must match');
      continue;
    }
    if ('ulp' in tol) {
      let d = ulpDistance(g, c);
      if (tol.tiny !== undefined && Math.abs(g - c) <= tol.tiny) d = 0;
      worst = Math.max(worst, d);
      if (d > tol.ulp) return fail(`${d} ulp > ${tol.ulp}`);
    } else {
      const r = Math.abs(g - c) / scale;
      worst = Math.max(worst, r);
      if (r > tol.rel) return fail(`relative error ${r.toExponential(2)} > ${tol.rel}`);
    }
  }
  return { worst, failure: null };
}
