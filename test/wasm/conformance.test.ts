// The wasm backend's conformance suite: every example of every op-table entry (test/helpers/optable.ts)
// and the composite cases of test/webgpu/cases.ts run on the 'cpu' device (the wasm backend, where
// WebAssembly compiles) and on the pure-JS reference ('js'), compared bit for bit; then the same in
// 'fast' precision under each op's declared tolerance, with fast results the same bits run to run.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as pg from '../../src/index.js';
import { WasmBackend } from '../../src/autograd/wasm/backend.js';
import { compiledKernels } from '../../src/autograd/wasm/runtime.js';
import { cases, compare, conformCase } from '../helpers/optable.js';
import { CASES, Dev } from '../webgpu/cases.js';

const list = (x: pg.Tensor | pg.Tensor[]) => (Array.isArray(x) ? x : [x]);

it("the 'cpu' device runs the wasm backend here (Node compiles WebAssembly SIMD)", () => {
  expect(pg.cpuInfo()).toEqual({ kernels: 'wasm', precision: 'reference' });
  expect(pg.getBackend('cpu')).toBeInstanceOf(WasmBackend);
  expect(pg.devices().slice(0, 2)).toEqual(['cpu', 'js']);
});

describe('wasm (reference precision) = pure JS, bit for bit: the op table', () => {
  for (const c of cases()) {
    it(c.name, async () => {
      expect(await conformCase(c, 'cpu', 'js')).toBe(0);
    });
  }
});

describe('wasm (reference precision) = pure JS, bit for bit: composites', () => {
  for (const c of CASES) {
    it(c.name, async () => {
      const js = pg.noGrad(() => list(c.run(new Dev('js'))));
      const wasm = pg.noGrad(() => list(c.run(new Dev('cpu'))));
      expect(wasm.length).toBe(js.length);
      for (let k = 0; k < js.length; k++) {
        expect(wasm[k].device).toBe('cpu');
        expect(wasm[k].shape).toEqual(js[k].shape);
        expect(wasm[k].dtype).toBe(js[k].dtype);
        const m = compare(wasm[k].dataSync(), js[k].dataSync(), js[k].dtype === 'float32', 'exact');
        if (m.failure) throw new Error(`${c.name} [output ${k}]: ${m.failure}`);
      }
    });
  }
});

describe("wasm in 'fast' precision: within each op's tolerance, the same bits run to run", () => {
  const measured = new Map<string, number>();
  beforeAll(() => pg.registerBackend(new WasmBackend('wasm-fast', 'fast')));
  afterAll(() => {
    pg.unregisterBackend('wasm-fast');
    console.log(`wasm fast vs pure JS, largest errors (ulp or relative):\n  ${[...measured].map(([k, v]) => `${k.padEnd(12)} ${v}`).join('\n  ')}`);
  });
  for (const c of cases()) {
    it(c.name, async () => {
      const worst = await conformCase(c, 'wasm-fast', 'js');
      measured.set(c.op.name, Math.max(measured.get(c.op.name) ?? 0, worst));
    });
  }
  it('a float32 product differs from the reference (float32 sums) and repeats its own bits', () => {
    const g = new pg.Generator(5);
    const a = pg.randn([300, 200], { generator: g }), b = pg.randn([200, 100], { generator: g });
    const ref = a.matmul(b).dataSync();
    const fa = a.to('wasm-fast'), fb = b.to('wasm-fast');
    const f1 = fa.matmul(fb).dataSync(), f2 = fa.matmul(fb).dataSync();
    expect(Buffer.from(f1.buffer).equals(Buffer.from(f2.buffer))).toBe(true);
    expect(Buffer.from(f1.buffer).equals(Buffer.from(ref.buffer))).toBe(false);
    expect(compare(f1, ref, true, { rel: 1e-5 }).failure).toBe(null);
  });
});

it('every emitted module is under 4 KiB (what a browser main thread may compile synchronously)', () => {
  const ks = compiledKernels();
  expect(ks.length).toBeGreaterThan(0);
  for (const k of ks) expect(k.bytes, k.key).toBeLessThan(4096);
});
