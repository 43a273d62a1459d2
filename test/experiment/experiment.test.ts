// The experiment layer: claim checks, the in-process runner, the progress display, and the real
// CLI end to end (bundled, with worker threads). Aggregation: aggregate.test.ts; the CLI's flags,
// files and failures: cli.test.ts; figures: svg.test.ts.
import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import {
  check,
  compare,
  fileSafe,
  fromJson,
  runExperiments,
  validateResult,
  type ExperimentReport,
  type Result,
  type RunnerEvent,
  type Series,
} from '../../src/experiment/node.js';
import { bar, createProgress, estimateRemaining, formatDuration } from '../../src/experiment/node.js';
import { experiments } from '../../src/papers/registry.js';
import * as pg from '../../src/autograd/index.js';
import { byClass, checkSvg, parseXml } from '../helpers/xml.js';
import { fake, fakeResult, passing, Sink, tmp } from './fakes.js';

// ---------------------------------------------------------------------------
// Claims
// ---------------------------------------------------------------------------

describe('claim checks', () => {
  it('check() computes pass from value, comparison and threshold', () => {
    expect(check('a', 1, '<', 2).pass).toBe(true);
    expect(check('a', 2, '<', 2).pass).toBe(false);
    expect(check('a', 2, '<=', 2).pass).toBe(true);
    expect(check('a', 2, '>', 2).pass).toBe(false);
    expect(check('a', 2, '>=', 2).pass).toBe(true);
    expect(check('a', 0.5, 'in', [0, 1]).pass).toBe(true);
    expect(check('a', 1, 'in', [0, 1]).pass).toBe(true);
    expect(check('a', 1.01, 'in', [0, 1]).pass).toBe(false);
    expect(check('a', 3, '>=', 1, 'why').detail).toBe('why');
    // NaN never passes, whatever the comparison.
    for (const c of ['<', '<=', '>', '>='] as const) expect(compare(NaN, c, 0)).toBe(false);
    expect(compare(NaN, 'in', [-Infinity, Infinity])).toBe(false);
    expect(() => check('a', 1, 'in', 3)).toThrow(/\[lo, hi\]/);
    expect(() => check('a', 1, '<', [0, 1])).toThrow(/number threshold/);
  });

  it('validateResult recomputes a hand-set pass and rejects malformed results', () => {
    const r = validateResult({ tables: [], series: [], claims: [{ name: 'x', value: 0.1, comparison: '>=', threshold: 0.9, pass: true }] }, 'w');
    expect(r.claims[0]!.pass).toBe(false);
    expect(() => validateResult({ tables: [{ name: 't', columns: ['a', 'b'], rows: [[1]] }], series: [], claims: [] }, 'w')).toThrow(/row 0 has 1 cells for 2 columns/);
    const s: Series = { name: 'a b', kind: 'bar', title: '', data: { categories: [], groups: [] } };
    expect(() => validateResult({ tables: [], series: [s, { ...s, name: 'a/b' }], claims: [] }, 'w')).toThrow(/share the figure id/);
    expect(() => validateResult({ tables: [], series: [], claims: [check('c', 1, '<', 2), check('c', 1, '<', 2)] }, 'w')).toThrow(/checked twice/);
    expect(() => validateResult({ tables: [] } as unknown as Result, 'w')).toThrow(/tables, series and claims/);
    expect(fileSafe('loss curve/α')).toBe('loss-curve');
  });
});

// ---------------------------------------------------------------------------
// The runner (in-process)
// ---------------------------------------------------------------------------

describe('runExperiments (in-process)', () => {
  it('runs every (experiment, seed), forwards progress, isolates a throwing experiment', async () => {
    const events: RunnerEvent[] = [];
    const boom = fake('boom', {
      run: ({ seed }) => {
        if (seed === 1) throw new Error('boom at seed 1');
        return fakeResult(seed);
      },
    });
    const reports = await runExperiments({ experiments: [boom, fake('ok')], mode: 'quick', device: 'cpu', seeds: [0, 1], onEvent: (e) => events.push(e) });
    expect(reports.map((r) => r.name)).toEqual(['boom', 'ok']);
    expect(reports[0]!.errors).toHaveLength(1);
    expect(reports[0]!.errors[0]).toMatch(/seed 1: Error: boom at seed 1/);
    expect(reports[0]!.pass).toBe(false);
    expect(reports[1]!.errors).toHaveLength(0);
    expect(reports[1]!.runs.map((r) => r.seed)).toEqual([0, 1]);
    expect(events.filter((e) => e.type === 'start')).toHaveLength(4);
    expect(events.filter((e) => e.type === 'report')).toHaveLength(2);
    const prog = events.find((e) => e.type === 'progress' && e.experiment === 'ok');
    expect(prog).toMatchObject({ fraction: 0.5, message: 'half' });
  });

  it('passes seed, seeds, mode and device to run()', async () => {
    const seen: unknown[] = [];
    const spy = passing('spy');
    const inner = spy.run;
    spy.run = (o) => {
      seen.push({ seed: o.seed, seeds: o.seeds, mode: o.mode, device: o.device });
      return inner(o);
    };
    await runExperiments({ experiments: [spy], mode: 'full', device: 'cpu', seeds: [3, 7] });
    expect(seen).toEqual([
      { seed: 3, seeds: [3, 7], mode: 'full', device: 'cpu' },
      { seed: 7, seeds: [3, 7], mode: 'full', device: 'cpu' },
    ]);
  });

  it('rejects bad names and an empty seed list', async () => {
    await expect(runExperiments({ experiments: [fake('a b')], mode: 'quick', device: 'cpu', seeds: [0] })).rejects.toThrow(/letters, digits/);
    await expect(runExperiments({ experiments: [fake('a')], mode: 'quick', device: 'cpu', seeds: [] })).rejects.toThrow(/no seeds/);
  });
});

// ---------------------------------------------------------------------------
// Progress display
// ---------------------------------------------------------------------------

describe('progress', () => {
  it('formats durations, ETAs and bars', () => {
    expect(formatDuration(4.4)).toBe('4s');
    expect(formatDuration(65)).toBe('1m05s');
    expect(formatDuration(3725)).toBe('1h02m');
    expect(estimateRemaining(10, 0.25)).toBe(30);
    expect(estimateRemaining(10, 0)).toBeUndefined();
    expect(bar(0.5, 4)).toBe('██░░');
  });

  it('plain mode: a line per 10% step, start and end lines', () => {
    let t = 0;
    const s = new Sink();
    const p = createProgress(s, { tty: false, now: () => t });
    p.start('j', 'exp seed=0');
    for (let i = 1; i <= 100; i++) {
      t += 100;
      p.update('j', i / 100, `step ${i}`);
    }
    p.end('j', 'ok');
    const lines = s.text.trim().split('\n');
    expect(lines[0]).toBe('[exp seed=0] started');
    expect(lines[1]).toBe('[exp seed=0] 10% step 10');
    expect(lines).toHaveLength(12);
    expect(lines[11]).toBe('[exp seed=0] done in 10s');
  });

  it('TTY mode: bars with ETA redrawn in place, logs above them', () => {
    let t = 0;
    const s = new Sink();
    const p = createProgress(s, { tty: true, now: () => t, redrawMs: 0, total: 2 });
    p.start('a', 'exp seed=0');
    p.start('b', 'exp seed=1');
    t = 2000;
    p.update('a', 0.5, 'halfway');
    expect(s.text).toContain('[exp seed=0] ██████████░░░░░░░░░░  50% 2s eta 2s  halfway');
    expect(s.text).toContain('jobs: 0/2 done, 2 running');
    expect(s.text).toContain('\x1b[3F\x1b[J'); // moved up over the 3 drawn lines and cleared them
    p.log('a report');
    p.end('a', 'ok');
    p.end('b', 'failed');
    p.close();
    expect(s.text).toContain('a report\n');
    expect(s.text).toContain('[exp seed=1] FAILED in 2s');
  });
});

// ---------------------------------------------------------------------------
// End to end: the real CLI, bundled, with worker threads
// ---------------------------------------------------------------------------

describe('end to end', () => {
  it('the registry holds the example', () => {
    expect(experiments.map((e) => e.name)).toContain('example');
  });

  it('the example passes in-process and leaves no live tensors behind', async () => {
    const before = pg.memory();
    const [r] = await runExperiments({ experiments: experiments.filter((e) => e.name === 'example'), mode: 'quick', device: 'cpu', seeds: [0] });
    expect(r!.errors).toEqual([]);
    expect(r!.aggregate.claims.map((c) => [c.name, c.pass])).toEqual([
      ['mlp-accuracy', true],
      ['linear-near-chance', true],
      ['mlp-beats-linear', true],
    ]);
    expect(r!.aggregate.series.map((s) => [s.name, s.kind])).toEqual([
      ['loss', 'line'],
      ['accuracy', 'bar'],
      ['decision', 'heatmap'],
      ['data', 'scatter'],
    ]);
    const after = pg.memory();
    expect(after.tensors).toBe(before.tensors);
    expect(after.storages).toBe(before.storages);
  }, 30_000);

  it('node scripts/run-ts.mjs scripts/reproduce.ts --paper example --seeds 2 (worker threads)', () => {
    const dir = tmp();
    const root = resolve(import.meta.dirname, '../..');
    const res = spawnSync(process.execPath, ['scripts/run-ts.mjs', 'scripts/reproduce.ts', '--paper', 'example', '--seeds', '2', '--out', dir], {
      cwd: root,
      encoding: 'utf8',
      timeout: 55_000,
    });
    const log = `${res.stdout}\n${res.stderr}`;
    expect(res.status, log).toBe(0);
    expect(res.stdout).toMatch(/2 job\(s\), [12] worker thread\(s\)/);
    expect(res.stdout).toMatch(/\[example seed=1\] \d+% /);
    expect(res.stdout).toMatch(/✓ mlp-accuracy/);
    expect(readdirSync(join(dir, 'example')).sort()).toEqual(['accuracy.svg', 'data.svg', 'decision.svg', 'loss.svg', 'results.json', 'seeds']);
    expect(readdirSync(join(dir, 'example', 'seeds')).sort()).toEqual(['0.json', '1.json']);
    expect(readdirSync(dir).sort()).toEqual(['example', 'index.html']); // no .partial left behind
    const r = fromJson<ExperimentReport>(readFileSync(join(dir, 'example', 'results.json'), 'utf8'));
    expect(r.pass).toBe(true);
    expect(r.runs.map((x) => [x.seed, x.error])).toEqual([
      [0, undefined],
      [1, undefined],
    ]);
    // Different seeds, different data: the per-seed accuracies are not all identical copies.
    const lin = r.aggregate.claims.find((c) => c.name === 'linear-near-chance')!;
    expect(lin.values).toHaveLength(2);
    expect(lin.values[0]!.value).not.toBe(lin.values[1]!.value);
    const loss = checkSvg(readFileSync(join(dir, 'example', 'loss.svg'), 'utf8'));
    expect(byClass(loss, 'path', 'band')).toHaveLength(2);
    parseXml(readFileSync(join(dir, 'index.html'), 'utf8'), { allowDoctype: true });
  }, 60_000);
});
