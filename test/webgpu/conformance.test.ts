// The conformance suite: every case of cases.ts on the CPU and on WebGPU, compared under its
// stated tolerance. Prints the largest error measured per tolerance class at the end.
import { afterAll, describe, expect, it } from 'vitest';
import * as pg from '../../src/index.js';
import { CASES, Dev } from './cases.js';
import { compare } from './compare.js';
import { setupWebGPU } from './setup.js';

const gpu = await setupWebGPU();
const measured: string[] = [];

describe.skipIf(!gpu.ok)('WebGPU conformance with the CPU', { timeout: 60_000 }, () => {
  for (const c of CASES) {
    it(c.name, async () => {
      const list = (x: pg.Tensor | pg.Tensor[]) => (Array.isArray(x) ? x : [x]);
      const cpu = pg.noGrad(() => list(c.run(new Dev('cpu'))));
      const web = pg.noGrad(() => list(c.run(new Dev('webgpu'))));
      expect(web.length).toBe(cpu.length);
      let worst = 0;
      for (let k = 0; k < cpu.length; k++) {
        expect(web[k].device).toBe('webgpu');
        expect(web[k].shape).toEqual(cpu[k].shape);
        expect(web[k].dtype).toBe(cpu[k].dtype);
        const m = compare(await web[k].data(), await cpu[k].data(), cpu[k].dtype === 'float32', c.tol);
        if (m.failure) throw new Error(`${c.name} [output ${k}]: ${m.failure}`);
        worst = Math.max(worst, m.worst);
      }
      if (c.tol !== 'exact') measured.push(`${c.name.padEnd(44)} ${'ulp' in c.tol ? `${worst} ulp (bound ${c.tol.ulp})` : `rel ${worst.toExponential(2)} (bound ${c.tol.rel})`}`);
    });
  }
  afterAll(() => {
    if (measured.length) console.log(`WebGPU vs CPU, largest errors measured:\n  ${measured.join('\n  ')}`);
  });
});
