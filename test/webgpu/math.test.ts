// Dense sweeps of the WGSL float32 math library (src/autograd/webgpu/math.ts) against the CPU
// backend (src/autograd/math.ts, within 1 ulp of the exact values): 2^18 points per range, largest ulp distance asserted (and printed).
import { afterAll, describe, expect, it } from 'vitest';
import * as pg from '../../src/index.js';
import { ulpDistance } from '../helpers/optable.js';
import { setupWebGPU } from './setup.js';

const gpu = await setupWebGPU();
const N = 1 << 18;

/** N float32 points spread evenly over [lo, hi] (or log-evenly over [lo, hi] for 'log'). */
function grid(lo: number, hi: number, log = false): Float32Array {
  const x = new Float32Array(N);
  for (let i = 0; i < N; i++) {
    const r = (i + 0.5) / N;
    x[i] = log ? Math.exp(Math.log(lo) + r * (Math.log(hi) - Math.log(lo))) : lo + r * (hi - lo);
  }
  return x;
}

// [op, points, ulp bound]. The functions themselves: 2 ulp (measured 1, or 2 for log1p and for
// sin/cos at large arguments); sqrt and reciprocal are correctly rounded (0); the compositions
// sigmoid, softplus, silu round a few more times (measured 2, 2, 3). Measured values are printed.
const SWEEPS: [string, Float32Array, number][] = [
  ['exp', grid(-103, 88.7), 2], ['exp', grid(-4, 4), 2],
  ['log', grid(1e-38, 3e38, true), 2], ['log', grid(0.999, 1.001), 2],
  ['log1p', grid(-0.99, 5), 2], ['log1p', grid(1e-6, 1e30, true), 2],
  ['expm1', grid(-20, 88), 2], ['expm1', grid(-0.5, 0.5), 2],
  ['sin', grid(-12000, 12000), 2], ['sin', grid(-4, 4), 2], ['cos', grid(-12000, 12000), 2], ['cos', grid(-4, 4), 2],
  ['tanh', grid(-10, 10), 2], ['tanh', grid(-0.6, 0.6), 2],
  ['sqrt', grid(1e-38, 3e38, true), 0], ['rsqrt', grid(1e-30, 1e30, true), 2], ['reciprocal', grid(1e-37, 1e37, true), 0],
  ['erf', grid(-5, 5), 1], ['erf', grid(1e-30, 1, true), 1],
  ['sigmoid', grid(-30, 30), 3], ['softplus', grid(-30, 30), 3], ['silu', grid(-30, 30), 4],
];

const measured: string[] = [];

describe.skipIf(!gpu.ok)('WebGPU float32 math library', { timeout: 120_000 }, () => {
  for (const [op, x, bound] of SWEEPS) {
    it(`${op} on [${x[0].toPrecision(3)}, ${x[N - 1].toPrecision(3)}] within ${bound} ulp`, async () => {
      const c = ((pg.tensor(x) as any)[op]() as pg.Tensor).dataSync();
      const w = await ((pg.tensor(x, { device: 'webgpu' }) as any)[op]() as pg.Tensor).data();
      let worst = 0, at = 0;
      for (let i = 0; i < N; i++) {
        if (Number.isNaN(c[i]) && Number.isNaN(w[i])) continue;
        if (Math.abs(c[i]) < 1.2e-38) continue; // subnormal results: a GPU may flush them to zero
        const d = ulpDistance(w[i], c[i]);
        if (d > worst) { worst = d; at = i; }
      }
      measured.push(`${op.padEnd(10)} [${x[0].toPrecision(3)}, ${x[N - 1].toPrecision(3)}]: ${worst} ulp`);
      expect(worst, `${op}(${x[at]}): webgpu ${w[at]} vs cpu ${c[at]}`).toBeLessThanOrEqual(bound);
    });
  }
  afterAll(() => console.log(`WebGPU math library vs CPU (${N} points per range):\n  ${measured.join('\n  ')}`));
});
