// The wasm heap (src/autograd/wasm/heap.ts): growth never leaves a stale view (unshared memory:
// views re-made; shared: old views stay valid), freed blocks are reused by size class, merged
// before the memory grows, and the backend's storages follow tidy/dispose like any other.
import { describe, expect, it } from 'vitest';
import * as pg from '../../src/index.js';
import type { Backend } from '../../src/index.js';
import { Heap } from '../../src/autograd/wasm/heap.js';
import { heap } from '../../src/autograd/wasm/runtime.js';

const owner = {} as Backend;

describe('wasm heap', () => {
  for (const shared of [false, true]) {
    it(`${shared ? 'shared' : 'unshared'} memory: data written before growth reads the same after`, () => {
      const h = new Heap({ shared, initialPages: 1 });
      expect(h.shared).toBe(shared);
      const a = h.alloc(owner, 'float32', 1000), b = h.alloc(owner, 'float64', 300), c = h.alloc(owner, 'bool', 77);
      (a.data as Float32Array).forEach((_, i, x) => (x[i] = i * 0.5));
      (b.data as Float64Array).fill(-2.25);
      (c.data as Uint8Array).fill(1);
      const big = h.alloc(owner, 'float32', 4 << 20); // 16 MiB: grows the 64 KiB memory
      expect(h.stats().memoryBytes).toBeGreaterThan(16 << 20);
      expect((a.data as Float32Array).length).toBe(1000);
      expect((a.data as Float32Array)[999]).toBe(499.5);
      expect((b.data as Float64Array)[299]).toBe(-2.25);
      expect((c.data as Uint8Array).reduce((s, v) => s + v, 0)).toBe(77);
      if (!shared) expect((a.data as Float32Array).buffer).toBe(h.buffer); // re-made on growth
      for (const s of [a, b, c, big]) h.release(s);
      expect(h.stats().usedBytes).toBe(0);
    });
  }

  it('a block of 2 GiB or more is as large as asked and overlaps nothing (size classes past 2^31 bytes)', () => {
    const h = new Heap({ shared: false, initialPages: 1 });
    const small = h.alloc(owner, 'float32', 100);
    const big = h.alloc(owner, 'float32', 640 * 2 ** 20); // 2.5 GiB: address space only, never touched
    const after = h.alloc(owner, 'float64', 10);
    expect(big.bytes).toBeGreaterThanOrEqual(2.5 * 2 ** 30);
    expect((big.data as Float32Array).length).toBe(640 * 2 ** 20);
    expect(big.ptr).toBeGreaterThanOrEqual(small.ptr + small.bytes);
    expect(after.ptr >= big.ptr + big.bytes || after.ptr + after.bytes <= big.ptr).toBe(true);
    for (const s of [small, big, after]) h.release(s);
    expect(h.stats().usedBytes).toBe(0);
  });

  it('reuses a freed block of the same class, and merges free blocks before growing', () => {
    const h = new Heap({ shared: false, initialPages: 1 });
    const a = h.alloc(owner, 'float32', 5000);
    const pa = a.ptr;
    h.release(a);
    const b = h.alloc(owner, 'float32', 4900); // same size class (20000 vs 19600 bytes)
    expect(b.ptr).toBe(pa);
    const c = h.alloc(owner, 'float32', 3000), d = h.alloc(owner, 'float32', 3000);
    for (const s of [b, c, d]) h.release(s);
    // Nothing fits 40000 bytes among the freed blocks as they are, but merged they are one block
    // at the bottom of the heap: it is taken instead of growing.
    const top = h.stats().top;
    const e = h.alloc(owner, 'float32', 10000);
    expect(e.ptr).toBe(pa);
    expect(h.stats().top).toBeLessThanOrEqual(top + 40960);
    h.release(e);
  });

  it("the backend's storages follow tidy and dispose; the heap's live bytes come back", () => {
    const used = heap().stats().usedBytes;
    const count = () => { const m = pg.memory(); return { tensors: m.tensors, storages: m.storages, bytes: m.bytes.cpu ?? 0 }; };
    const before = count();
    pg.tidy(() => {
      const x = pg.randn([300, 200]);
      x.matmul(x.transpose()).relu().sum();
    });
    const kept = pg.tidy(() => pg.keep(pg.ones([1000]).mul(2)));
    expect(count().tensors).toBe(before.tensors + 1);
    kept.dispose();
    expect(count()).toEqual(before);
    // Matmul scratch stays allocated for the next product; everything else is back.
    expect(heap().stats().usedBytes - used).toBeLessThan(3 << 20);
  });

  it('a tensor past the 4 GiB limit is refused with what is alive and how to free it, and nothing leaks', () => {
    const before = pg.memory();
    let msg = '';
    const one = pg.ones([1]);
    try {
      pg.tidy(() => one.expand([2 ** 30 + 2 ** 20]).mul(2)); // 4100 MiB of float32: refused before anything is allocated
    } catch (e) {
      msg = (e as Error).message;
      // the stack's first line carries the relabelled message once ("mul: ...", not "mul: mul: ...")
      expect((e as Error).stack!.split('\n')[0]).toBe(`Error: ${msg}`);
    }
    expect(msg).toMatch(/^mul: out of memory: \d+ MiB needed, WebAssembly's limit is 4096 MiB; live tensors hold \d+ MiB\./);
    expect(msg).toMatch(/between tasks.*pg\.tidy\(\(\) => \.\.\.\).*pg\.noGrad/);
    one.dispose();
    expect(pg.memory()).toEqual(before);
  });
});
