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

describe('reductions over strided layouts: wasm = pure JS, bit for bit', () => {
  // Values with ties, signed zeros and a NaN, so the sum's order and max/min's tie rules show.
  const values = (n: number, seed: number) => Array.from({ length: n }, (_, i) => {
    const v = ((i * 7919 + seed * 104729) % 97) / 8 - 6;
    return i % 41 === 5 ? -0 : i % 53 === 11 ? 0 : v * (1 + i / 1e4);
  });
  // [shape, layout name, view]: views whose kept dims merge into one, and views where they do not
  // (the outer kept dims are then walked one block at a time).
  const layouts: [number[], string, (t: pg.Tensor) => pg.Tensor][] = [
    [[4, 6, 10], 'contiguous', (t) => t],
    [[4, 6, 10], 'permuted', (t) => t.permute(2, 0, 1)],
    [[4, 6, 10], 'transposed inner', (t) => t.transpose(1, 2)],
    [[4, 6, 10], 'sliced', (t) => t.slice(1, 1, 5)],
    [[4, 6, 10], 'stepped', (t) => t.slice(2, 0, 10, 3)],
    [[3, 5, 4, 6], 'sliced', (t) => t.slice(1, 1, 4)],
    [[3, 5, 4, 6], 'sliced and permuted', (t) => t.slice(3, 0, 5).permute(0, 2, 1, 3)],
  ];
  const subsets = (rank: number) => Array.from({ length: (1 << rank) - 1 }, (_, m) => [...Array(rank).keys()].filter((d) => ((m + 1) >> d) & 1));
  for (const dtype of ['float32', 'float64'] as const) {
    for (const [shape, name, view] of layouts) {
      it(`${dtype}, ${name} [${shape}]: sum, max, min, mean over every set of dims`, () => {
        const data = values(shape.reduce((a, b) => a * b), dtype === 'float32' ? 1 : 2);
        for (const nan of [false, true]) {
          if (nan) data[37] = NaN;
          const on = (d: string) => view(pg.tensor(data, { dtype, device: d }).reshape(shape));
          const x = on('cpu'), y = on('js');
          for (const dims of subsets(shape.length)) {
            for (const op of ['sum', 'max', 'min', 'mean'] as const) {
              for (const keepdim of [false, true]) {
                const a = (x as any)[op](dims, keepdim) as pg.Tensor, b = (y as any)[op](dims, keepdim) as pg.Tensor;
                expect(a.shape).toEqual(b.shape);
                const m = compare(a.dataSync(), b.dataSync(), dtype === 'float32', 'exact');
                if (m.failure) throw new Error(`${op} over ${dims} (keepdim ${keepdim}, NaN ${nan}): ${m.failure}`);
              }
            }
          }
        }
      });
    }
  }
});

it('every emitted module is under 4 KiB (what a browser main thread may compile synchronously)', () => {
  const ks = compiledKernels();
  expect(ks.length).toBeGreaterThan(0);
  for (const k of ks) expect(k.bytes, k.key).toBeLessThan(4096);
});
