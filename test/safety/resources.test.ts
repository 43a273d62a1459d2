// Safety, class "resource hygiene": the GC safety net reclaims CPU memory inside a synchronous loop
// without tidy or dispose, and memory() stays finite and exact after ops that fail.
import { describe, expect, it } from 'vitest';
import * as pg from '../../src/index.js';
import { collectGarbage } from '../helpers/gc.js';
import { heap } from '../../src/autograd/wasm/runtime.js';

const gc = (globalThis as { gc?: () => void }).gc!;
const arrayBufferMB = () => process.memoryUsage().arrayBuffers / 1e6;

describe('GC safety net in a synchronous loop', () => {
  it('tensors dropped without dispose free their typed arrays as the GC runs, before the loop yields', async () => {
    await collectGarbage();
    // The pure-JS kernels ('js'), whose storages are typed arrays of their own. (The 'cpu' device's
    // WebAssembly heap is not counted in arrayBuffers, and gives blocks back only when the loop yields: below.)
    const x = pg.ones([1 << 18], { device: 'js' }); // 1 MB
    const start = arrayBufferMB();
    let peak = 0;
    for (let i = 0; i < 300; i++) {
      x.mul(2).add(1); // two 1 MB results, dropped
      if (i % 25 === 24) {
        gc();
        peak = Math.max(peak, arrayBufferMB() - start);
      }
    }
    // Without the safety net reaching into the loop this would be ~600 MB (every result kept until the loop ends).
    expect(peak).toBeLessThan(120);
    // The counts catch up once the loop yields and the finalizers run.
    await collectGarbage();
    expect(pg.memory().tensors).toBeLessThan(5);
    x.dispose();
  });
});

describe('GC safety net on the WebAssembly heap', () => {
  it('blocks of tensors dropped without dispose go back to the heap once the finalizers run', async () => {
    if (pg.cpuInfo().kernels !== 'wasm') return; // the pure-JS kernels: the test above
    await collectGarbage();
    const x = pg.ones([1 << 16]); // 256 KB
    const used = heap().stats().usedBytes;
    for (let i = 0; i < 50; i++) x.mul(2).add(1); // 100 blocks of 256 KB, dropped
    expect(heap().stats().usedBytes).toBeGreaterThan(used);
    await collectGarbage();
    // A heap block is not a typed array the GC frees by itself: the safety net must call release().
    expect(heap().stats().usedBytes).toBe(used);
    x.dispose();
  });
});

describe('GC safety net and the autograd graph', () => {
  // A node's saved tensors join the net as one group, through the node (memory.ts armGroup).
  for (const device of ['cpu', 'js'] as const) {
    it(`graphs dropped without backward give back what they saved (${device})`, async () => {
      await collectGarbage();
      const before = pg.memory();
      const w = pg.randn([256, 256], { device }).requiresGrad_(true);
      const used = device === 'cpu' && pg.cpuInfo().kernels === 'wasm' ? heap().stats().usedBytes : 0;
      for (let i = 0; i < 20; i++) w.mul(2).tanh().sum(); // three nodes each, never backward, dropped
      await collectGarbage();
      expect(pg.memory().tensors).toBe(before.tensors + 1);
      if (used) expect(heap().stats().usedBytes).toBe(used);
      // and a graph that does run backward frees its saved tensors there, once
      w.mul(2).tanh().sum().backward();
      w.grad!.dispose();
      w.zeroGrad_();
      w.dispose();
      await collectGarbage();
      expect(pg.memory()).toEqual(before);
    });
  }
});

describe('memory() after errors', () => {
  it('stays finite and returns to where it was after failing calls', async () => {
    await collectGarbage();
    const before = pg.memory();
    const a = pg.ones([2, 3]);
    const fails: (() => unknown)[] = [
      () => pg.zeros([NaN]),
      () => pg.zeros([-1]),
      () => pg.ones([Infinity]),
      () => pg.zeros([1.5]),
      () => a.reshape([4, -1]),
      () => a.matmul(pg.ones([2, 2])),
      () => a.add(pg.ones([4])),
      () => a.sum(5),
      () => pg.tensor([[1, 2], [3]]),
      () => a.gather(1, pg.tensor([[7]], { dtype: 'int32' })),
    ];
    for (const f of fails) {
      expect(f).toThrow();
      const m = pg.memory();
      for (const v of [m.tensors, m.storages, ...Object.values(m.bytes)]) expect(Number.isFinite(v) && v >= 0).toBe(true);
    }
    a.dispose();
    await collectGarbage();
    const after = pg.memory();
    expect(after.tensors).toBe(before.tensors);
    expect(after.bytes.cpu ?? 0).toBe(before.bytes.cpu ?? 0);
  });
});
