// nn.GPT on WebGPU: forward matches the CPU, and generate() samples on the device, the CPU's tokens.
import { beforeAll, describe, expect, it } from 'vitest';
import * as pg from '../../src/index.js';
import { setupWebGPU, type GpuSetup } from './setup.js';

let gpu: GpuSetup;
beforeAll(async () => { gpu = await setupWebGPU(); });

describe('GPT on WebGPU', () => {
  it('matches the CPU forward pass and samples on the device', async () => {
    if (!gpu.ok) return;
    const cfg = { vocabSize: 6, dModel: 16, nHeads: 2, nLayers: 1, maxLen: 8 };
    const cpuModel = new pg.nn.GPT({ ...cfg, generator: new pg.Generator(1) });
    pg.setDefaultDevice('webgpu');
    let gpuModel: pg.nn.GPT;
    try {
      gpuModel = new pg.nn.GPT({ ...cfg, generator: new pg.Generator(1) });
    } finally {
      pg.setDefaultDevice('cpu');
    }
    const ids = pg.tensor([[1, 2, 3], [4, 5, 0]], { dtype: 'int32' });
    const a = cpuModel.forward(ids).dataSync();
    const b = await gpuModel.forward(ids.to('webgpu')).data();
    let worst = 0;
    for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]));
    expect(worst).toBeLessThan(1e-4);
    // Ban token 0: it must never be sampled.
    const ban = (_: number, logits: pg.Tensor) => logits.add(pg.tensor([-1e9, 0, 0, 0, 0, 0]).to('webgpu'));
    const out = gpuModel.generate(ids.to('webgpu'), { maxNewTokens: 4, generator: new pg.Generator(3), logitsProcessor: ban });
    expect(out.device).toBe('webgpu');
    expect(out.shape).toEqual([2, 7]);
    const toks = Array.from(await out.slice(1, 3).contiguous().data());
    expect(toks.every((t) => t >= 1 && t < 6)).toBe(true);
    // Same generator words on both devices: the same tokens as generating on the CPU.
    const banCpu = (_: number, logits: pg.Tensor) => logits.add(pg.tensor([-1e9, 0, 0, 0, 0, 0]));
    const onCpu = cpuModel.generate(ids, { maxNewTokens: 4, generator: new pg.Generator(3), logitsProcessor: banCpu });
    expect(await out.toArray()).toEqual(onCpu.toArraySync());
  });
});
