// docs/engine.md stays true: every link lands on the line it names, every quoted snippet is in the
// file it names, the stub backend of exercise 2 is the file the tests run, and both exercises work.
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import * as pg from '../../src/index.js';
import type { KernelMap } from '../../src/index.js';
import { cpuKernels } from '../../src/autograd/cpu/kernels.js';
import { UNARY_WGSL } from '../../src/autograd/webgpu/kernels/index.js';
import { cases, conformCase, gradcheckCase } from '../helpers/optable.js';
import { stubBackend } from './exercises/stub-backend.js';

const doc = readFileSync('docs/engine.md', 'utf8');
const read = (p: string) => readFileSync(p, 'utf8');

describe('docs/engine.md', () => {
  it('every link to a line lands on a line that contains its label', () => {
    const links = [...doc.matchAll(/\[`([^`]+)`\]\(\.\.\/([^)#]+)#L(\d+)\)/g)];
    expect(links.length).toBeGreaterThan(25);
    const wrong: string[] = [];
    for (const [, label, path, line] of links) {
      const lines = read(path).split('\n');
      if (!(lines[Number(line) - 1] ?? '').includes(label))
        wrong.push(`${path}#L${line} should contain \`${label}\` (it is on line ${lines.findIndex((l) => l.includes(label)) + 1})`);
    }
    expect(wrong).toEqual([]);
  });

  it('quoted snippets are in the files they name, and exercise 2 is the file the tests run', () => {
    const blocks = [...doc.matchAll(/<!-- (in|file) (\S+) -->\n```ts\n([\s\S]*?)```/g)];
    expect(blocks.length).toBe(6);
    for (const [, kind, path, code] of blocks) {
      if (kind === 'file') expect(code, path).toBe(read(path));
      else expect(read(path), `${path} should contain:\n${code}`).toContain(code);
    }
  });
});

describe('exercise 1: softsign, added end to end', () => {
  it('is an entry with a CPU kernel, a WGSL expression and a method', () => {
    expect(pg.OPS.softsign.name).toBe('softsign');
    expect(typeof cpuKernels.softsign).toBe('function');
    expect(UNARY_WGSL.softsign).toContain('pg_div');
    expect(pg.tensor([-3, 0, 1]).softsign().toArraySync()).toEqual([-0.75, 0, 0.5]);
  });

  it('leaving out its CPU kernel does not compile', () => {
    const { softsign: _left, ...rest } = cpuKernels;
    // @ts-expect-error Property 'softsign' is missing ... but required in type 'KernelMap'
    const incomplete: KernelMap = rest;
    expect('softsign' in incomplete).toBe(false);
  });

  it('the tests found it on their own: float64 gradient checks of its examples', () => {
    const mine = cases().filter((c) => c.op.name === 'softsign');
    expect(mine.map((c) => c.name)).toEqual(['softsign #0', 'softsign #1 (strided)', 'softsign #2 (dense)', 'softsign (special values)']);
    for (const c of mine) if (!c.special && c.example.grad !== false) gradcheckCase(c);
  });
});

describe('exercise 2: a backend stub that runs part of the table', () => {
  it('passes the conformance cases of the ops it covers, and names what it lacks', async () => {
    pg.registerBackend(stubBackend);
    try {
      const x = pg.randn([3, 4], { generator: new pg.Generator(1) }).to('stub');
      const s = x.sigmoid().sum(1);
      expect(s.device).toBe('stub');
      expect(pg.testing.allclose(s.dataSync(), x.to('cpu').sigmoid().sum(1).dataSync(), { rtol: 1e-6 })).toBe(true);
      const covered = cases().filter((c) => c.op.name in stubBackend.kernels);
      expect(new Set(covered.map((c) => c.op.name)).size).toBe(17);
      for (const c of covered) await conformCase(c, 'stub');
      expect(() => x.log()).toThrow("log: the 'stub' backend has no kernel for this op");
    } finally {
      pg.unregisterBackend('stub');
    }
  });

  it('is a file of its own, as a backend folder would be', () => {
    expect(read(resolve('test/docs/exercises/stub-backend.ts'))).toContain('export const stubBackend: Backend');
  });
});
