// Experiments that exist only in the sweep tests' registries (never in src/papers/registry.ts):
// one that takes a while without using the CPU, one that always throws, and one that throws on
// its first try only (it leaves a mark in $PAPERGRAD_TEST_MARKS).
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { check, type Experiment, type Result } from '../../../src/experiment/index.js';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** A small result that depends on the seed only. */
function resultFor(seed: number): Result {
  return {
    tables: [{ name: 'values', columns: ['seed', 'square'], rows: [[seed, seed * seed]] }],
    series: [{ name: 'curve', kind: 'line', title: 'A curve', xLabel: 'x', yLabel: 'y', data: { series: [{ name: 'seed', x: [0, 1, 2], y: [seed, seed + 0.5, seed / 3] }] } }],
    claims: [check('ran', 1, '>=', 1, 'the job ran to its end')],
  };
}

const paper = { title: 'Test-only experiment', authors: 'packages/sweep tests' };
const ran = [{ name: 'ran', description: 'the job ran to its end' }];

/** Sleeps SLOW_MS (default 2 s) in small steps, reporting progress. */
export const slow: Experiment = {
  name: 'slow',
  paper,
  claims: ran,
  async run({ seed, onProgress }) {
    const ms = Number(process.env['PAPERGRAD_TEST_SLOW_MS'] ?? 2000);
    for (let t = 0; t < ms; t += 100) {
      onProgress(t / ms, `t=${t} ms`);
      await sleep(100);
    }
    return resultFor(seed);
  },
};

export const fails: Experiment = {
  name: 'fails',
  paper,
  claims: ran,
  run({ seed }) {
    throw new Error(`deliberate failure (seed ${seed})`);
  },
};

export const flaky: Experiment = {
  name: 'flaky',
  paper,
  claims: ran,
  run({ seed }) {
    const mark = join(process.env['PAPERGRAD_TEST_MARKS'] ?? '.', `flaky-${seed}`);
    if (!existsSync(mark)) {
      writeFileSync(mark, 'tried once\n');
      throw new Error(`flaky: the first try of seed ${seed} fails`);
    }
    return resultFor(seed);
  },
};

/** Registered on the enqueuing side only: workers do not know it. */
export const onlyHere: Experiment = { name: 'only-here', paper, claims: ran, run: ({ seed }) => resultFor(seed) };

export const testExperiments: Experiment[] = [slow, fails, flaky];
