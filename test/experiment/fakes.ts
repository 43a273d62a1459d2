// Fake experiments with known values, an output sink and temporary folders, shared by the tests
// of the experiment layer.
import { afterAll } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { check, validateResult, type Experiment, type Result, type SeedRun } from '../../src/experiment/node.js';

/** Seed s gives: accuracy 0.9 + 0.01·s, a curve y = [s, s+1, s+2], bars [s, 2s], heatmap [[s, 1], [2, 3]]. */
export function fakeResult(seed: number): Result {
  return {
    tables: [
      { name: 'metrics', columns: ['model', 'width', 'accuracy'], rows: [['mlp', 32, 0.9 + 0.01 * seed], ['linear', 2, 0.5]] },
      { name: 'ragged', columns: ['i'], rows: Array.from({ length: seed + 1 }, (_, i) => [i]) },
    ],
    series: [
      { name: 'curve', kind: 'line', title: 'Curve', xLabel: 'step', yLabel: 'y', data: { series: [{ name: 'a', x: [0, 1, 2], y: [seed, seed + 1, seed + 2] }] } },
      { name: 'bars', kind: 'bar', title: 'Bars', yLabel: 'v', data: { categories: ['p', 'q'], groups: [{ name: 'g', values: [seed, 2 * seed] }] } },
      { name: 'heat', kind: 'heatmap', title: 'Heat', data: { values: [[seed, 1], [2, 3]] } },
      { name: 'points', kind: 'scatter', title: 'Points', xLabel: 'x', yLabel: 'y', data: { series: [{ name: 's', x: [seed], y: [seed] }] } },
      { name: 'path', kind: 'simplex', title: 'Path', data: { paths: [{ name: 'p', points: [[1, 0, 0], [0.2, 0.3, 0.5]] }] } },
    ],
    claims: [check('acc', 0.9 + 0.01 * seed, '>=', 0.9), check('seed-small', seed, '<', 2, 'fails for seed 2')],
    notes: ['same in every seed', `seed-specific ${seed}`],
  };
}

export function fake(name: string, over: Partial<Experiment> = {}): Experiment {
  return {
    name,
    paper: { title: `Fake ${name}`, authors: 'Tester', venue: 'Nowhere 2024', arxiv: '0000.00000' },
    claims: [
      { name: 'acc', description: 'accuracy ≥ 0.9' },
      { name: 'seed-small', description: 'seed < 2' },
    ],
    run: ({ seed, onProgress }) => {
      onProgress(0.5, 'half');
      onProgress(1, 'done');
      return fakeResult(seed);
    },
    ...over,
  };
}

/** A passing experiment (one claim that holds for every seed) with every figure kind. */
export function passing(name: string, over: Partial<Experiment> = {}): Experiment {
  return fake(name, {
    claims: [{ name: 'acc', description: 'accuracy ≥ 0.9' }],
    run: ({ seed, onProgress }) => {
      onProgress(0.5, 'half');
      const r = fakeResult(seed);
      r.claims = r.claims.filter((c) => c.name === 'acc');
      return r;
    },
    ...over,
  });
}

export const ctx = { mode: 'quick' as const, device: 'cpu' as const, seeds: [0, 1, 2] };
export const runsOf = (seeds: number[], result = fakeResult): SeedRun[] => seeds.map((seed) => ({ seed, seconds: 0.1, result: validateResult(result(seed), 't') }));

export class Sink {
  text = '';
  isTTY = false;
  write(s: string): boolean {
    this.text += s;
    return true;
  }
}

const tmpDirs: string[] = [];
/** A fresh folder under the system's temporary folder, removed after the test file. */
export function tmp(): string {
  const d = mkdtempSync(join(tmpdir(), 'papergrad-exp-'));
  tmpDirs.push(d);
  return d;
}
afterAll(() => {
  for (const d of tmpDirs) rmSync(d, { recursive: true, force: true });
});
