import { afterAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import {
  aggregateRuns,
  check,
  compare,
  fileSafe,
  formatTable,
  fromJson,
  mean,
  renderSeries,
  runExperiments,
  stdErr,
  toJson,
  validateResult,
  writeIndex,
  RESULTS_SCHEMA,
  type Experiment,
  type ExperimentReport,
  type Result,
  type RunnerEvent,
  type SeedRun,
  type Series,
} from '../../src/experiment/node.js';
import { bar, createProgress, estimateRemaining, formatDuration } from '../../src/experiment/node.js';
import { main, parseArgs } from '../../scripts/reproduce.js';
import { experiments } from '../../src/papers/registry.js';
import * as pg from '../../src/autograd/index.js';

// ---------------------------------------------------------------------------
// The strict XML well-formedness checker of test/nn/svg.test.ts (copied: that file exports nothing).
// ---------------------------------------------------------------------------

import { all, byClass, checkSvg, parseXml, type XmlElement } from '../helpers/xml.js';


// ---------------------------------------------------------------------------
// Fake experiments with known values
// ---------------------------------------------------------------------------

/** Seed s gives: accuracy 0.9 + 0.01·s, a curve y = [s, s+1, s+2], bars [s, 2s], heatmap [[s]]. */
function fakeResult(seed: number): Result {
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
    claims: [
      check('acc', 0.9 + 0.01 * seed, '>=', 0.9),
      check('seed-small', seed, '<', 2, 'fails for seed 2'),
    ],
    notes: ['same in every seed', `seed-specific ${seed}`],
  };
}

function fake(name: string, over: Partial<Experiment> = {}): Experiment {
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

/** A passing experiment (two claims that hold for every seed) with every figure kind. */
function passing(name: string): Experiment {
  return fake(name, {
    claims: [{ name: 'acc', description: 'accuracy ≥ 0.9' }],
    run: ({ seed, onProgress }) => {
      onProgress(0.5, 'half');
      const r = fakeResult(seed);
      r.claims = r.claims.filter((c) => c.name === 'acc');
      return r;
    },
  });
}

const ctx = { mode: 'quick' as const, device: 'cpu' as const, seeds: [0, 1, 2] };
const runsOf = (seeds: number[]): SeedRun[] => seeds.map((seed) => ({ seed, seconds: 0.1, result: validateResult(fakeResult(seed), 't') }));

class Sink {
  text = '';
  isTTY = false;
  write(s: string): boolean {
    this.text += s;
    return true;
  }
}

const tmpDirs: string[] = [];
function tmp(): string {
  const d = mkdtempSync(join(tmpdir(), 'papergrad-exp-'));
  tmpDirs.push(d);
  return d;
}
afterAll(() => {
  for (const d of tmpDirs) rmSync(d, { recursive: true, force: true });
});

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
// Aggregation
// ---------------------------------------------------------------------------

describe('aggregation across seeds', () => {
  const agg = aggregateRuns(fake('f'), runsOf([0, 1, 2]), ctx);

  it('mean and standard error', () => {
    expect(mean([1, 2, 3])).toBe(2);
    expect(stdErr([1, 2, 3])).toBeCloseTo(1 / Math.sqrt(3), 12); // std 1, n 3
    expect(stdErr([5])).toBe(0);
  });

  it('tables: equal cells kept, differing numbers as mean ± s.e., misaligned tables per seed', () => {
    const t = agg.tables.find((x) => x.name.startsWith('metrics'))!;
    expect(t.name).toBe('metrics (mean ± s.e. over 3 seeds)');
    expect(t.columns).toEqual(['model', 'width', 'accuracy']);
    expect(t.rows[0]![0]).toBe('mlp');
    expect(t.rows[0]![1]).toBe(32); // identical in every seed: stays a number
    expect(t.rows[0]![2]).toBe('0.91 ± 0.0058'); // mean of .90 .91 .92; s.e. 0.01/√3
    expect(t.rows[1]).toEqual(['linear', 2, 0.5]);
    expect(agg.tables.filter((x) => x.name.startsWith('ragged')).map((x) => x.name)).toEqual(['ragged (seed 0)', 'ragged (seed 1)', 'ragged (seed 2)']);
    expect(formatTable(t)).toContain('0.91 ± 0.0058');
  });

  it('line series: mean with a min–max band', () => {
    const s = agg.series.find((x) => x.name === 'curve')!;
    expect(s.kind).toBe('line');
    if (s.kind !== 'line') return;
    const l = s.data.series[0]!;
    expect(l.x).toEqual([0, 1, 2]);
    expect(l.y).toEqual([1, 2, 3]);
    expect(l.lower).toEqual([0, 1, 2]);
    expect(l.upper).toEqual([2, 3, 4]);
    expect(s.caption).toMatch(/mean over 3 seeds; band: min–max/);
  });

  it('bar, heatmap, scatter and simplex series', () => {
    const b = agg.series.find((x) => x.name === 'bars')!;
    if (b.kind !== 'bar') throw new Error('kind');
    expect(b.data.groups[0]!.values).toEqual([1, 2]);
    expect(b.data.groups[0]!.errors![0]).toBeCloseTo(1 / Math.sqrt(3), 12);
    expect(b.data.groups[0]!.errors![1]).toBeCloseTo(2 / Math.sqrt(3), 12);
    const h = agg.series.find((x) => x.name === 'heat')!;
    if (h.kind !== 'heatmap') throw new Error('kind');
    expect(h.data.values).toEqual([[1, 1], [2, 3]]);
    const sc = agg.series.find((x) => x.name === 'points')!;
    if (sc.kind !== 'scatter') throw new Error('kind');
    expect(sc.data.series[0]!.x).toEqual([0, 1, 2]);
    const sp = agg.series.find((x) => x.name === 'path')!;
    if (sp.kind !== 'simplex') throw new Error('kind');
    expect(sp.data.paths.map((p) => p.name)).toEqual(['p (seed 0)', 'p (seed 1)', 'p (seed 2)']);
    for (const s of agg.series) checkSvg(renderSeries(s));
  });

  it('categorical heatmaps (label maps) are not averaged: the first seed is shown', () => {
    const run = (seed: number): SeedRun => ({
      seed, seconds: 0,
      result: { tables: [], claims: [], series: [{ name: 'labels', kind: 'heatmap', title: 'L', data: { values: [[seed, 1]], categories: { names: ['a', 'b', 'c'] } } }] },
    });
    const got = aggregateRuns({ claims: [] }, [run(2), run(0)], { mode: 'quick', device: 'cpu', seeds: [2, 0] });
    const h = got.series[0]!;
    if (h.kind !== 'heatmap') throw new Error('kind');
    expect(h.data.values).toEqual([[2, 1]]);
    expect(h.caption).toMatch(/first seed only/);
  });

  it('claims are evaluated per seed: one failing seed fails the claim', () => {
    const acc = agg.claims.find((c) => c.name === 'acc')!;
    expect(acc.pass).toBe(true);
    expect(acc.kind).toBe('seed');
    expect(acc.value).toBeCloseTo(0.91, 12);
    expect(acc.values.map((v) => v.seed)).toEqual([0, 1, 2]);
    expect(acc.description).toBe('accuracy ≥ 0.9');
    const small = agg.claims.find((c) => c.name === 'seed-small')!;
    expect(small.pass).toBe(false);
    expect(small.values.map((v) => v.pass)).toEqual([true, true, false]);
    // Notes: common ones once, seed-specific ones labelled.
    expect(agg.notes).toContain('same in every seed');
    expect(agg.notes).toContain('seed 2: seed-specific 2');
  });

  it('a single seed passes through unchanged', () => {
    const one = aggregateRuns(fake('f'), runsOf([1]), { ...ctx, seeds: [1] });
    expect(one.tables).toEqual(fakeResult(1).tables);
    expect(one.series).toEqual(fakeResult(1).series);
    expect(one.claims.every((c) => c.pass)).toBe(true);
  });

  it('declared but unchecked claims fail; a seed that threw fails every claim', () => {
    const exp = fake('f', { claims: [{ name: 'acc', description: '' }, { name: 'never', description: 'not checked' }] });
    const runs: SeedRun[] = [...runsOf([0]), { seed: 1, seconds: 0, error: 'Error: boom' }];
    const a = aggregateRuns(exp, runs, { ...ctx, seeds: [0, 1] });
    const never = a.claims.find((c) => c.name === 'never')!;
    expect(never.kind).toBe('missing');
    expect(never.pass).toBe(false);
    const acc = a.claims.find((c) => c.name === 'acc')!;
    expect(acc.pass).toBe(false);
    expect(acc.values[1]!.detail).toBe('the run threw');
    expect(a.notes.join(' ')).toMatch(/1 of 2 seeds threw/);
  });

  it('Experiment.aggregate adds claims about all seeds together', () => {
    const exp = fake('f', {
      aggregate: (runs) => {
        const accs = runs.map((r) => r.result.claims.find((c) => c.name === 'acc')!.value);
        return [check('mean-acc', mean(accs), '>=', 0.915, `${runs.length} seeds`)];
      },
    });
    const a = aggregateRuns(exp, runsOf([0, 1, 2]), ctx);
    const m = a.claims.find((c) => c.name === 'mean-acc')!;
    expect(m.kind).toBe('aggregate');
    expect(m.value).toBeCloseTo(0.91, 12);
    expect(m.pass).toBe(false);
    expect(m.detail).toBe('3 seeds');
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
// The CLI
// ---------------------------------------------------------------------------

describe('reproduce CLI', () => {
  it('parses its flags', () => {
    expect(parseArgs([])).toMatchObject({ papers: [], mode: 'quick', seeds: [0], device: 'cpu', out: 'out', list: false });
    expect(parseArgs(['--full']).seeds).toEqual([0, 1, 2]);
    expect(parseArgs(['--paper', 'a,b', '--paper=c', '--seeds', '4', '--device', 'webgpu', '--out', 'x', '--jobs', '2'])).toMatchObject({
      papers: ['a', 'b', 'c'],
      seeds: [0, 1, 2, 3],
      device: 'webgpu',
      out: 'x',
      jobs: 2,
    });
    expect(parseArgs(['--seeds', '3,7']).seeds).toEqual([3, 7]);
    expect(parseArgs(['--seed', '5']).seeds).toEqual([5]);
    for (const bad of [['--seeds', '0'], ['--seeds', 'x'], ['--device', 'tpu'], ['--bogus'], ['--paper'], ['--seeds', '1,1']]) {
      expect(() => parseArgs(bad), bad.join(' ')).toThrow();
    }
  });

  it('usage errors and --list', async () => {
    const out = new Sink();
    const err = new Sink();
    expect(await main(['--paper', 'nope'], { registry: [fake('f')], stdout: out, stderr: err })).toBe(2);
    expect(err.text).toMatch(/unknown experiment nope; registered: f/);
    expect(await main(['--list'], { registry: [fake('f')], stdout: out, stderr: err })).toBe(0);
    expect(out.text).toMatch(/f {2}Fake f \(Tester, Nowhere 2024, arXiv:0000\.00000\)/);
    expect(out.text).toMatch(/- seed-small: seed < 2/);
  });

  it('passing run: exit 0, results.json, well-formed SVGs and index.html', async () => {
    const dir = tmp();
    const out = new Sink();
    const code = await main(['--seeds', '2', '--out', dir], { registry: [passing('good')], stdout: out, stderr: out });
    expect(code, out.text).toBe(0);
    // Plain (non-TTY) progress lines and the printed report.
    expect(out.text).toMatch(/\[good seed=0\] 50% half/);
    expect(out.text).toMatch(/✓ acc: mean 0\.905 \(seeds: 0\.9, 0\.91\) \(need ≥ 0\.9\)/);
    expect(out.text).toMatch(/metrics \(mean ± s\.e\. over 2 seeds\)/);
    expect(out.text).toMatch(/✓ 1\/1 experiment\(s\) passed, 1\/1 claim checks pass/);

    const files = readdirSync(join(dir, 'good')).sort();
    expect(files).toEqual(['bars.svg', 'curve.svg', 'heat.svg', 'path.svg', 'points.svg', 'results.json']);
    const r = fromJson<ExperimentReport>(readFileSync(join(dir, 'good', 'results.json'), 'utf8'));
    expect(r.schema).toBe(RESULTS_SCHEMA);
    expect(r).toMatchObject({ name: 'good', mode: 'quick', device: 'cpu', seeds: [0, 1], pass: true, errors: [] });
    expect(r.paper.title).toBe('Fake good');
    expect(r.runs.map((x) => x.seed)).toEqual([0, 1]);
    expect(r.runs[1]!.result!.claims[0]!.value).toBeCloseTo(0.91, 12);
    expect(r.aggregate.claims[0]).toMatchObject({ name: 'acc', kind: 'seed', pass: true, comparison: '>=', threshold: 0.9 });
    expect(r.aggregate.series.map((s) => s.name)).toEqual(['curve', 'bars', 'heat', 'points', 'path']);
    expect(typeof r.seconds).toBe('number');

    const line = checkSvg(readFileSync(join(dir, 'good', 'curve.svg'), 'utf8'));
    expect(byClass(line, 'path', 'band')).toHaveLength(1); // the seeds' min–max band
    expect(byClass(line, 'path', 'line')).toHaveLength(1);
    const bars = checkSvg(readFileSync(join(dir, 'good', 'bars.svg'), 'utf8'));
    expect(byClass(bars, 'rect', 'bar')).toHaveLength(2);
    expect(byClass(bars, 'path', 'error').length).toBeGreaterThan(0);
    expect(byClass(checkSvg(readFileSync(join(dir, 'good', 'heat.svg'), 'utf8')), 'rect', 'cell')).toHaveLength(4);
    checkSvg(readFileSync(join(dir, 'good', 'points.svg'), 'utf8'));
    checkSvg(readFileSync(join(dir, 'good', 'path.svg'), 'utf8'));

    const html = readFileSync(join(dir, 'index.html'), 'utf8');
    const page = parseXml(html, { allowDoctype: true });
    expect(page.name).toBe('html');
    expect(all(page, (e) => e.name === 'h2').map((e) => e.text)).toEqual(['good']);
    expect(all(page, (e) => e.name === 'svg')).toHaveLength(5);
    expect(html).toContain('1 of 1 claims pass');
  });

  it('a failing claim gives exit 1 and the report marks it', async () => {
    const dir = tmp();
    const out = new Sink();
    const code = await main(['--seeds', '3', '--out', dir], { registry: [fake('bad')], stdout: out, stderr: out });
    expect(code).toBe(1);
    expect(out.text).toMatch(/✗ seed-small: mean 1 \(seeds: 0, 1, 2\) \(need < 2\) fails for seed 2/);
    expect(out.text).toMatch(/✗ 0\/1 experiment\(s\) passed, 1\/2 claim checks pass/);
    const r = fromJson<ExperimentReport>(readFileSync(join(dir, 'bad', 'results.json'), 'utf8'));
    expect(r.pass).toBe(false);
    const html = readFileSync(join(dir, 'index.html'), 'utf8');
    expect(html).toContain('1 of 2 claims pass');
    expect(html).toContain('bad (FAILED)');
  });

  it('a throwing experiment is reported by name, the others still run, exit 1', async () => {
    const dir = tmp();
    const out = new Sink();
    const thrower = fake('thrower', {
      run: () => {
        throw new Error('deliberate failure');
      },
    });
    const code = await main(['--out', dir], { registry: [thrower, passing('after')], stdout: out, stderr: out });
    expect(code).toBe(1);
    expect(out.text).toMatch(/ERROR: experiment thrower \(seed 0\) threw:\nError: deliberate failure/);
    expect(existsSync(join(dir, 'after', 'results.json'))).toBe(true);
    expect(existsSync(join(dir, 'thrower', 'results.json'))).toBe(true);
    const html = readFileSync(join(dir, 'index.html'), 'utf8');
    parseXml(html, { allowDoctype: true });
    expect(html).toContain('thrower (FAILED)');
    expect(html).toContain('deliberate failure');
  });

  it('index.html collects every results.json in the output folder, registry order first', async () => {
    const dir = tmp();
    const sink = new Sink();
    await main(['--out', dir], { registry: [passing('zeta')], stdout: sink, stderr: sink });
    await main(['--out', dir], { registry: [passing('alpha')], stdout: sink, stderr: sink });
    writeFileSync(join(dir, 'junk.json'), '{}');
    writeIndex(dir, ['zeta']);
    const page = parseXml(readFileSync(join(dir, 'index.html'), 'utf8'), { allowDoctype: true });
    expect(all(page, (e) => e.name === 'h2').map((e) => e.text)).toEqual(['zeta', 'alpha']);
  });

  it('JSON keeps non-finite numbers', () => {
    const back = fromJson<{ a: number[] }>(toJson({ a: [NaN, Infinity, -Infinity, 1] }));
    expect(back.a).toEqual([NaN, Infinity, -Infinity, 1]);
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
    expect(readdirSync(join(dir, 'example')).sort()).toEqual(['accuracy.svg', 'data.svg', 'decision.svg', 'loss.svg', 'results.json']);
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
