// The WebGPU backend's machinery: readback, batching, the buffer pool over a training loop, and
// errors (bad indices, allocations past the device's limits, float64, synchronous reads).
import { describe, expect, it } from 'vitest';
import * as pg from '../../src/index.js';
import { webgpuBackend } from '../../src/autograd/webgpu/index.js';
import { setupWebGPU } from './setup.js';
import { collectGarbage } from '../helpers/gc.js';

const gpu = await setupWebGPU();

const W = { device: 'webgpu' as const };

describe.skipIf(!gpu.ok)('WebGPU backend', { timeout: 120_000 }, () => {
  it('moves tensors between devices; reads views, empty and bool tensors', async () => {
    const c = pg.arange(12).reshape(3, 4);
    const w = c.to('webgpu');
    expect(w.device).toBe('webgpu');
    expect(await w.T.toArray()).toEqual(c.T.toArraySync());
    expect(await w.slice(1, 1, 4, 2).flip(0).toArray()).toEqual(c.slice(1, 1, 4, 2).flip(0).toArraySync());
    const back = await pg.toDevice(w.float().div(2), 'cpu');
    expect(back.device).toBe('cpu');
    expect(back.toArraySync()).toEqual(c.float().div(2).toArraySync());
    expect(Array.from(await pg.zeros([0, 3], W).data())).toEqual([]);
    expect(await pg.tensor([true, false, true], W).toArray()).toEqual([true, false, true]);
    expect(await pg.tensor(5, W).item()).toBe(5);
  });

  it('is asynchronous only, refuses float64 and mixed devices', () => {
    const w = pg.ones([2], W);
    expect(() => w.dataSync()).toThrow(/use await t.data\(\)/);
    expect(() => w.itemSync()).toThrow();
    expect(() => pg.tensor([1, 2], { dtype: 'float64', device: 'webgpu' })).toThrow(/float64 is CPU-only/);
    expect(() => pg.ones([2], { dtype: 'float64' }).to('webgpu')).toThrow(/float64 is CPU-only/);
    expect(() => w.add(pg.ones([2]))).toThrow(/different devices/);
    expect(() => w.to('cpu')).toThrow(/toDevice/);
  });

  it('batches many dispatches into few submits and reads back once', async () => {
    const b = webgpuBackend()!;
    let x = pg.zeros([64], W);
    await x.data();
    const before = b.stats();
    for (let i = 0; i < 1000; i++) {
      const y = x.add(1);
      x.dispose();
      x = y;
    }
    const mid = b.stats();
    expect(mid.dispatches - before.dispatches).toBeGreaterThanOrEqual(1000);
    // Nothing is read back (or waited for) until asked; the queue submits every 512 dispatches.
    expect(mid.submits - before.submits).toBeLessThanOrEqual(2);
    expect(Array.from(await x.data())).toEqual(new Array(64).fill(1000));
    expect(b.stats().submits - before.submits).toBeLessThanOrEqual(3);
    pg.flush();
  });

  it('keeps memory and the buffer pool flat over 500 training steps of an MLP', async () => {
    const b = webgpuBackend()!;
    const g = new pg.Generator(5);
    const x = pg.randn([16, 4], { generator: g, ...W });
    const y = pg.randint(0, 3, [16], { generator: g, ...W });
    const params = [pg.randn([4, 16], { generator: g, std: 0.5, ...W }), pg.zeros([16], W), pg.randn([16, 3], { generator: g, std: 0.5, ...W }), pg.zeros([3], W)];
    params.forEach((p) => p.requiresGrad_());
    const step = () => pg.tidy(() => {
      const logits = x.matmul(params[0]).add(params[1]).relu().matmul(params[2]).add(params[3]);
      const loss = logits.logSoftmax(-1).gather(1, y.unsqueeze(1)).neg().mean();
      loss.backward();
      pg.noGrad(() => params.forEach((p) => p.assign_(p.sub(p.grad!.mul(0.1)))));
      pg.zeroGrad(params);
      return loss;
    });
    const first = step();
    const l0 = await first.item();
    first.dispose();
    for (let i = 0; i < 20; i++) step().dispose();
    await params[0].data();
    await collectGarbage(); // tensors earlier tests dropped without dispose() must not be freed mid-count
    const mem0 = pg.memory(), pool0 = b.stats().pool;
    let last = step();
    for (let i = 0; i < 478; i++) {
      last.dispose();
      last = step();
    }
    const l1 = await last.item();
    last.dispose();
    const mem1 = pg.memory(), pool1 = b.stats().pool;
    expect(l1).toBeLessThan(l0);
    expect(mem1).toEqual(mem0);
    expect(pool1.buffers).toBe(pool0.buffers);
    expect(pool1.bytes).toBe(pool0.bytes);
    expect(pool1.misses).toBe(pool0.misses);
  });

  it('moves a module from WebGPU to the CPU with await toDevice (to() says to)', async () => {
    const model = new pg.nn.MLP([4, 8, 3], { generator: new pg.Generator(2) });
    const x = pg.randn([5, 4], { generator: new pg.Generator(3) });
    const want = model.forward(x).dataSync();
    model.to('webgpu');
    expect(model.parameters().every((p) => p.device === 'webgpu')).toBe(true);
    const onGpu = await model.forward(x.to('webgpu')).data();
    expect(() => model.to('cpu')).toThrow(/use await model.toDevice\('cpu'\)/);
    expect(model.parameters().every((p) => p.device === 'webgpu')).toBe(true); // untouched
    expect(await model.toDevice('cpu')).toBe(model);
    expect(model.parameters().every((p) => p.device === 'cpu' && p.requiresGrad)).toBe(true);
    const back = model.forward(x).dataSync();
    for (let i = 0; i < want.length; i++) {
      expect(back[i]).toBe(want[i]); // the values made the round trip unchanged
      expect(Math.abs(onGpu[i] - want[i])).toBeLessThan(1e-5);
    }
  });

  it('reports a bad index at the next readback, as a WebGPUError naming the op', async () => {
    const x = pg.arange(4, W).float();
    const bad = x.gather(0, pg.tensor([1, 9, 2], { dtype: 'int32', ...W }));
    await expect(bad.data()).rejects.toThrow(/gather: index 9 is out of range for dim 0 of size 4/);
    await expect(bad.data()).resolves.toBeDefined(); // the status clears once reported
    const s = x.scatterAdd(0, pg.tensor([0, -1], { dtype: 'int32', ...W }), pg.ones([2], W));
    const err = await s.data().then(() => null, (e) => e);
    expect(err).toBeInstanceOf(pg.WebGPUError);
    expect(err.kind).toBe('index');
    expect(Array.from(await x.mul(2).data())).toEqual([0, 2, 4, 6]);
  });

  it('throws WebGPUError for allocations past the device limits, and recovers', async () => {
    const limit = gpu.limits.maxStorageBufferBindingSize;
    const big = pg.ones([1], W).expand([Math.floor(limit / 4) + 64]);
    expect(() => big.contiguous()).toThrow(pg.WebGPUError);
    expect(() => big.contiguous()).toThrow(/out-of-memory/);
    expect(await pg.ones([3], W).sum().item()).toBe(3);
  });

  it('compiles each pipeline once (shapes travel as parameters)', async () => {
    const b = webgpuBackend()!;
    const f = (n: number) => pg.randn([n, n + 1], W).exp().sum(1).mean();
    await f(3).data();
    const compiled = b.stats().pipelines;
    for (const n of [5, 17, 40]) await f(n).data();
    expect(b.stats().pipelines).toBe(compiled);
  });
});
