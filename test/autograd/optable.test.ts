// The op table's own tests, all derived from the entries (src/autograd/ops/*.ts, `check`): every
// example is gradient-checked in float64 and traced to make sure it runs its op; composites are
// run in place of the kernels and compared under each op's tolerance; and every backend folder must
// have a conformance suite. A new op or backend is covered (or fails here) without a case list.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, readdirSync } from 'node:fs';
import * as pg from '../../src/index.js';
import type { Kernel, KernelMap } from '../../src/index.js';
import { cpuKernels } from '../../src/autograd/cpu/kernels.js';
import { CONFORMANCE_SUITES, cases, conformCase, cpuDerivedBackend, gradcheckCase, inputsOf, runCase } from '../helpers/optable.js';

const all = cases();

describe('the op table', () => {
  it('names each entry by its key, and every entry has examples', () => {
    for (const [key, op] of Object.entries(pg.OPS)) {
      expect(op.name).toBe(key);
      expect(op.check.examples.length, key).toBeGreaterThan(0);
    }
  });

  it('every example runs its op (traced through a CPU-derived backend)', () => {
    const seen = new Set<string>();
    const traced: Record<string, Kernel> = {};
    for (const [name, k] of Object.entries(cpuKernels) as [string, Kernel][])
      traced[name] = (inputs, out, attrs) => { seen.add(name); k(inputs, out, attrs); };
    pg.registerBackend(cpuDerivedBackend('trace', traced));
    try {
      for (const c of all) {
        seen.clear();
        runCase(c, inputsOf(c, 'float32'), 'trace');
        expect(seen.has(c.op.name), `${c.name} did not run '${c.op.name}' (ran ${[...seen].join(', ')})`).toBe(true);
      }
    } finally {
      pg.unregisterBackend('trace');
    }
  });

  it('every backend folder of src/autograd has a conformance suite over the table', () => {
    const folders = readdirSync('src/autograd', { withFileTypes: true })
      .filter((d) => d.isDirectory() && existsSync(`src/autograd/${d.name}/backend.ts`))
      .map((d) => d.name);
    expect(folders.sort()).toEqual(Object.keys(CONFORMANCE_SUITES).sort());
  });

  it('the CPU backend has a kernel for every entry, and nothing else', () => {
    expect(Object.keys(cpuKernels).sort()).toEqual(Object.keys(pg.OPS).sort());
    // A map without one of them does not compile:
    const { erf: _erf, ...rest } = cpuKernels;
    // @ts-expect-error Property 'erf' is missing
    const incomplete: KernelMap = rest;
    expect(Object.keys(incomplete)).not.toContain('erf');
  });

  it('every op with a gradient rule is gradient-checked by at least one example', () => {
    const checked = new Set(all.filter((c) => !c.special && c.example.grad !== false).map((c) => c.op.name));
    for (const op of pg.OP_LIST) if (op.grad) expect(checked.has(op.name), op.name).toBe(true);
  });
});

describe('float64 gradient checks of every example', () => {
  for (const c of all) {
    if (c.special || c.example.grad === false) continue;
    it(c.name, () => {
      gradcheckCase(c);
    });
  }
});

describe('composites: a backend running each op that has one as its composite of primitives', () => {
  const withComposite = pg.OP_LIST.filter((op) => op.composite);
  const measured: string[] = [];
  beforeAll(() => {
    const kernels: Record<string, Kernel | typeof pg.COMPOSITE> = { ...cpuKernels };
    for (const op of withComposite) kernels[op.name] = pg.COMPOSITE;
    pg.registerBackend(cpuDerivedBackend('composites', kernels, { precision: ['fast'] }));
  });
  afterAll(() => {
    pg.unregisterBackend('composites');
    console.log(`composites vs kernels (worst per op):\n  ${measured.join('\n  ')}`);
  });
  it('covers the ops that declare one', () => {
    expect(withComposite.map((op) => op.name).sort()).toEqual(['gelu', 'neg', 'reciprocal', 'rsqrt', 'sigmoid', 'silu', 'softplus', 'softsign', 'square']);
  });
  for (const op of withComposite) {
    it(`${op.name} agrees with its kernel within ${JSON.stringify(op.check.tol ?? 'exact')}`, async () => {
      let worst = 0;
      for (const c of all.filter((k) => k.op === op)) worst = Math.max(worst, await conformCase(c, 'composites'));
      measured.push(`${op.name.padEnd(10)} ${worst}`);
    });
  }
  it('records the op with its own gradient rule (the graph is the same on every backend)', () => {
    const x = pg.randn([5], { generator: new pg.Generator(3) }).to('composites').requiresGrad_();
    const y = x.sigmoid();
    expect(y.gradFn).toBe('sigmoid');
    y.sum().backward();
    const s = y.detach().to('cpu');
    expect(pg.testing.allclose(x.grad!.to('cpu'), s.mul(s.neg().add(1)), { rtol: 1e-6 })).toBe(true);
  });
});
