// The WebGPU conformance suite: every example of every op-table entry (test/helpers/optable.ts),
// then the extra cases of cases.ts, on the CPU and on WebGPU, compared under the op's declared
// tolerance. Prints the largest error measured per op at the end.
import { afterAll, describe, expect, it } from 'vitest';
import * as pg from '../../src/index.js';
import { CASES, Dev } from './cases.js';
import { cases, compare, conformCase } from '../helpers/optable.js';
import { setupWebGPU } from './setup.js';

const gpu = await setupWebGPU();
const measured = new Map<string, number>();
const note = (name: string, worst: number) => measured.set(name, Math.max(measured.get(name) ?? 0, worst));

describe.skipIf(!gpu.ok)('WebGPU conformance with the CPU: the op table', { timeout: 60_000 }, () => {
  for (const c of cases()) {
    it(c.name, async () => {
      const worst = await conformCase(c, 'webgpu');
      if ((c.op.check.tol ?? 'exact') !== 'exact') note(c.op.name, worst);
    });
  }
});

describe.skipIf(!gpu.ok)('WebGPU conformance with the CPU: composites and kernel strategies', { timeout: 60_000 }, () => {
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
      if (c.tol !== 'exact') note(c.name, worst);
    });
  }
});

afterAll(() => {
  if (measured.size) console.log(`WebGPU vs CPU, largest errors measured (ulp, or relative):\n  ${[...measured].map(([k, v]) => `${k.padEnd(44)} ${v}`).join('\n  ')}`);
});
