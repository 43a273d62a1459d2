// The TransDA experiment on WebGPU (tiny settings): every step runs on the device, and the
// numbers track the CPU's (same data, same initialisation, same batches; float32 kernels differ
// in summation order, so training drifts apart slowly rather than matching bit for bit).
import { beforeAll, describe, expect, it } from 'vitest';
import * as pg from '../../src/index.js';
import { SETTINGS, runSeed, seedResult, type Settings } from '../../src/papers/transda/experiment.js';
import { validateResult } from '../../src/experiment/index.js';
import { setupWebGPU, type GpuSetup } from './setup.js';

let gpu: GpuSetup;
beforeAll(async () => { gpu = await setupWebGPU(); });

const tiny: Settings = {
  ...SETTINGS.quick,
  data: { size: 16, nSource: 8, nTargetTrain: 4, nTargetTest: 4 },
  probe: 2,
  vit: { ...SETTINGS.quick.vit, dim: 8 },
  conv: { ...SETTINGS.quick.conv, stem: 4, dim: 8, depth: 1 },
  source: { ...SETTINGS.quick.source, steps: 3, batch: 4 },
  selfTrain: { ...SETTINGS.quick.selfTrain, batch: 2, rounds: 1, roundSteps: 2 },
  figure: { images: 1, columns: 2 },
};

describe('transda on WebGPU', () => {
  it('runs a tiny seed on the device, close to the CPU run', async () => {
    if (!gpu.ok) return;
    const onCpu = await runSeed(tiny, 0, () => {});
    pg.setDefaultDevice('webgpu');
    let onGpu: Awaited<ReturnType<typeof runSeed>>;
    try {
      onGpu = await runSeed(tiny, 0, () => {});
    } finally {
      pg.setDefaultDevice('cpu');
    }
    validateResult(seedResult(onGpu, tiny, true), 'transda (webgpu)');
    expect(onGpu.runs.map((r) => r.key)).toEqual(onCpu.runs.map((r) => r.key));
    expect(onGpu.teacherGradFree).toBe(true);
    for (const [i, r] of onGpu.runs.entries()) {
      // A handful of steps from the same start: mIoU within a few points of the CPU's.
      expect(Math.abs(r.final.miou - onCpu.runs[i]!.final.miou), r.key).toBeLessThan(0.05);
    }
  }, 300_000);
});
