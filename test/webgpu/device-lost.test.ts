// Device loss (its own file: it destroys the device of this worker process). Reads in flight and
// later operations fail with a WebGPUError instead of hanging, and initWebGPU opens a new device.
import { describe, expect, it } from 'vitest';
import * as pg from '../../src/index.js';
import { webgpuBackend } from '../../src/autograd/webgpu/index.js';
import { setupWebGPU } from './setup.js';

const gpu = await setupWebGPU();

function within<T>(p: Promise<T>, ms: number): Promise<T> {
  return Promise.race([p, new Promise<T>((_, reject) => setTimeout(() => reject(new Error(`still pending after ${ms} ms`)), ms))]);
}

describe.skipIf(!gpu.ok)('WebGPU device loss', { timeout: 60_000 }, () => {
  it('surfaces as WebGPUError, then a new device can be opened', async () => {
    const x = pg.randn([256], { device: 'webgpu' });
    const y = x.exp().sum();
    const inFlight = y.data().then(() => 'resolved', (e) => e);
    const backend = webgpuBackend()!;
    backend.gpu.destroy();
    await within(backend.gpu.lost, 10_000);
    const r = await within(inFlight, 10_000);
    // The read either finished before the loss or failed with a WebGPUError: it never hangs.
    if (r !== 'resolved') expect(r).toBeInstanceOf(pg.WebGPUError);
    const e = await within((async () => x.mul(2).data())().then(() => null, (err) => err), 10_000);
    expect(e).toBeInstanceOf(pg.WebGPUError);
    expect((e as pg.WebGPUError).kind).toBe('device-lost');
    expect(() => x.add(1)).toThrow(pg.WebGPUError);
    // CPU keeps working; a new device takes over.
    expect(pg.ones([2]).sum().itemSync()).toBe(2);
    const { create } = await import('webgpu');
    const res = await pg.initWebGPU(create([]));
    expect(res.ok).toBe(true);
    expect(await pg.ones([3], { device: 'webgpu' }).sum().item()).toBe(3);
  });
});
