// Aggregation over seeds: tables (numbers as mean ± s.e. with the per-seed values kept,
// categorical columns never averaged) and figures (every seed drawn), and the checks.
import { describe, expect, it } from 'vitest';
import {
  aggregateRuns,
  check,
  formatTable,
  mean,
  renderSeries,
  stdErr,
  type Result,
  type SeedRun,
  type Series,
  type Table,
  validateResult,
} from '../../src/experiment/node.js';
import { all, byClass, checkSvg, textContent } from '../helpers/xml.js';
import { ctx, fake, fakeResult, runsOf } from './fakes.js';

describe('aggregation across seeds', () => {
  const agg = aggregateRuns(fake('f'), runsOf([0, 1, 2]), ctx);

  it('mean and standard error', () => {
    expect(mean([1, 2, 3])).toBe(2);
    expect(stdErr([1, 2, 3])).toBeCloseTo(1 / Math.sqrt(3), 12); // std 1, n 3
    expect(stdErr([5])).toBe(0);
  });

  it('tables: equal cells kept, differing numbers as mean ± s.e. with the per-seed values, misaligned tables per seed', () => {
    const t = agg.tables.find((x) => x.name.startsWith('metrics'))!;
    expect(t.name).toBe('metrics (mean ± s.e. over 3 seeds)');
    expect(t.columns).toEqual(['model', 'width', 'accuracy']);
    expect(t.rows[0]![0]).toBe('mlp');
    expect(t.rows[0]![1]).toBe(32); // identical in every seed: stays a number
    expect(t.rows[0]![2]).toBe('0.91 ± 0.0058'); // mean of .90 .91 .92; s.e. 0.01/√3
    expect(t.rows[1]).toEqual(['linear', 2, 0.5]);
    expect(agg.tables.filter((x) => x.name.startsWith('ragged')).map((x) => x.name)).toEqual(['ragged (seed 0)', 'ragged (seed 1)', 'ragged (seed 2)']);
    expect(formatTable(t)).toContain('0.91 ± 0.0058');
    expect(t.seeds).toEqual([0, 1, 2]);
    expect(t.stats![0]![2]!.values).toEqual([0.9, 0.91, 0.92]);
    expect(t.stats![0]![2]!.mean).toBeCloseTo(0.91, 12);
    expect(t.stats![0]![2]!.stdErr).toBeCloseTo(0.01 / Math.sqrt(3), 12);
    expect(t.stats![0]![1]).toBeNull(); // equal in every seed: nothing averaged
  });

  it('line series: mean with a min–max band, said in the legend', () => {
    const s = agg.series.find((x) => x.name === 'curve')!;
    expect(s.kind).toBe('line');
    if (s.kind !== 'line') return;
    const l = s.data.series[0]!;
    expect(l.x).toEqual([0, 1, 2]);
    expect(l.y).toEqual([1, 2, 3]);
    expect(l.lower).toEqual([0, 1, 2]);
    expect(l.upper).toEqual([2, 3, 4]);
    expect(s.data.legendNote).toBe('line: mean of 3 seeds; band: min–max');
    expect(s.caption).toMatch(/mean of 3 seeds; band: min–max; seeds 0, 1, 2/);
    const svg = checkSvg(renderSeries(s));
    const legend = byClass(svg, 'g', 'legend-entry');
    expect(legend).toHaveLength(2); // the curve (with a band swatch) and the note
    expect(legend[0]!.children.map((c) => c.name)).toEqual(['rect', 'line', 'text']);
    expect(textContent(legend[1]!)).toBe('line: mean of 3 seeds; band: min–max');
  });

  it('bar, heatmap, scatter and simplex series show every seed', () => {
    const b = agg.series.find((x) => x.name === 'bars')!;
    if (b.kind !== 'bar') throw new Error('kind');
    expect(b.data.groups[0]!.values).toEqual([1, 2]);
    expect(b.data.groups[0]!.errors![0]).toBeCloseTo(1 / Math.sqrt(3), 12);
    expect(b.data.groups[0]!.errors![1]).toBeCloseTo(2 / Math.sqrt(3), 12);
    expect(b.data.groups[0]!.points).toEqual([[0, 1, 2], [0, 2, 4]]);
    expect(byClass(checkSvg(renderSeries(b)), 'circle', 'seed-point')).toHaveLength(6); // 2 bars × 3 seeds
    const h = agg.series.find((x) => x.name === 'heat')!;
    if (h.kind !== 'heatmap') throw new Error('kind');
    expect(h.data.values).toEqual([[1, 1], [2, 3]]);
    expect(h.caption).toMatch(/elementwise mean of 3 seeds \(0, 1, 2\); largest standard error of a cell 0\.58/);
    // Scatter: one series per seed, never pooled; colour per series, marker shape per seed.
    const sc = agg.series.find((x) => x.name === 'points')!;
    if (sc.kind !== 'scatter') throw new Error('kind');
    expect(sc.data.series.map((q) => [q.name, q.x, q.marker])).toEqual([
      ['s (seed 0)', [0], 0],
      ['s (seed 1)', [1], 1],
      ['s (seed 2)', [2], 2],
    ]);
    expect(new Set(sc.data.series.map((q) => q.color)).size).toBe(1);
    expect(sc.data.legend!.map((e) => e.name)).toEqual(['s, seed 0', 's, seed 1', 's, seed 2']);
    // Simplex: every seed's path, one legend entry for the name.
    const sp = agg.series.find((x) => x.name === 'path')!;
    if (sp.kind !== 'simplex') throw new Error('kind');
    expect(sp.data.paths.map((p) => [p.name, p.faint])).toEqual([['p', true], ['p', true], ['p', true]]);
    const simplexSvg = checkSvg(renderSeries(sp));
    expect(byClass(simplexSvg, 'path', 'line')).toHaveLength(3);
    expect(byClass(simplexSvg, 'g', 'legend-entry').map(textContent)).toEqual(['p', 'one path per seed (3 seeds)']);
    for (const s of agg.series) {
      checkSvg(renderSeries(s));
      expect(s.caption ?? '').not.toMatch(/first seed|only/);
    }
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
// Categorical columns and rows
// ---------------------------------------------------------------------------

const withTable = (t: (seed: number) => Table) => (seed: number): Result => ({ tables: [t(seed)], series: [], claims: [] });
const tableOf = (t: (seed: number) => Table, seeds = [0, 1, 2]): Table => aggregateRuns(fake('t', { claims: [] }), runsOf(seeds, withTable(t)), ctx).tables[0]!;

describe('categorical table columns are never averaged', () => {
  it('a column the table declares categorical lists its values with their seeds', () => {
    const t = tableOf((s) => ({ name: 'sweep', columns: ['method', 'lr', 'acc'], categorical: ['lr'], rows: [['sgd', [0.1, 0.1, 0.3][s]!, 0.8 + s / 100]] }));
    expect(t.rows[0]).toEqual(['sgd', '0.1 (seeds 0, 1) · 0.3 (seed 2)', '0.81 ± 0.0058']);
  });

  it('by default: columns named best …, selected …, run; and text columns', () => {
    const t = tableOf((s) => ({ name: 'probe', columns: ['best τ', 'selected lr', 'run', 'verdict', 'gain'], rows: [[s * 10, 2 ** -s, s, s ? 'yes' : 'no', s]] }));
    expect(t.rows[0]).toEqual([
      '0 (seed 0) · 10 (seed 1) · 20 (seed 2)',
      '1 (seed 0) · 0.5 (seed 1) · 0.25 (seed 2)',
      '0 (seed 0) · 1 (seed 1) · 2 (seed 2)',
      'no (seed 0) · yes (seeds 1, 2)',
      '1 ± 0.58',
    ]);
  });

  it('a text placeholder in one row does not stop the numbers of the other rows being averaged', () => {
    const t = tableOf((s) => ({ name: 'gens', columns: ['generation', 'fit KL'], rows: [[0, '-'], [1, 0.1 * (s + 1)]] }));
    expect(t.rows).toEqual([[0, '-'], [1, '0.2 ± 0.058']]);
  });

  it('a table with a seed column stacks the seeds\' rows instead of averaging them', () => {
    const own = tableOf((s) => ({ name: 'per seed', columns: ['seed', 'acc'], rows: [[s, 0.5 + s]] }));
    expect(own.name).toBe('per seed (rows of seeds 0, 1, 2)');
    expect(own.rows).toEqual([[0, 0.5], [1, 1.5], [2, 2.5]]);
    // Rows whose seed ids are sub-seeds of each run get the run's seed in front.
    const sub = tableOf((s) => ({ name: 'inner', columns: ['seed', 'acc'], rows: [[0, s], [1, -s]] }), [4, 5]);
    expect(sub.columns).toEqual(['run seed', 'seed', 'acc']);
    expect(sub.rows).toEqual([[4, 0, 4], [4, 1, -4], [5, 0, 5], [5, 1, -5]]);
  });

  it('rows are matched by their names when the seeds order them differently; unmatched tables stay per seed', () => {
    const t = tableOf((s) => ({ name: 'methods', columns: ['method', 'acc'], rows: s === 1 ? [['b', 2], ['a', 1]] : [['a', 1 + s], ['b', 2 + s]] }));
    expect(t.rows).toEqual([['a', '1.667 ± 0.67'], ['b', '2.667 ± 0.67']]);
    const bad = aggregateRuns(fake('t', { claims: [] }), runsOf([0, 1], withTable((s) => ({ name: 'm', columns: ['method', 'acc'], rows: [[s ? 'x' : 'y', 1]] }))), ctx).tables;
    expect(bad.map((x) => x.name)).toEqual(['m (seed 0)', 'm (seed 1)']);
  });
});

// ---------------------------------------------------------------------------
// Figures that cannot be averaged point by point
// ---------------------------------------------------------------------------

const withSeries = (s: (seed: number) => Series) => (seed: number): Result => ({ tables: [], series: [s(seed)], claims: [] });
const seriesOf = (s: (seed: number) => Series, seeds = [0, 1, 2]): Series[] => aggregateRuns(fake('f', { claims: [] }), runsOf(seeds, withSeries(s)), ctx).series;

describe('figures over seeds that differ in shape', () => {
  it('line: curves with different x values are drawn one faint line per seed, one legend entry per name', () => {
    const [s] = seriesOf((seed) => ({ name: 'c', kind: 'line', title: 'C', data: { series: [{ name: 'loss', x: Array.from({ length: seed + 2 }, (_, i) => i), y: Array.from({ length: seed + 2 }, (_, i) => i * seed) }, { name: 'acc', x: [0, 1], y: [seed, seed] }] } }));
    if (s!.kind !== 'line') throw new Error('kind');
    expect(s!.data.series.map((l) => [l.name, !!l.faint, l.x.length])).toEqual([
      ['loss', true, 2],
      ['loss', true, 3],
      ['loss', true, 4],
      ['acc', false, 2],
    ]);
    expect(new Set(s!.data.series.filter((l) => l.name === 'loss').map((l) => l.color)).size).toBe(1);
    const svg = checkSvg(renderSeries(s!));
    expect(byClass(svg, 'g', 'legend-entry').map(textContent)).toEqual([
      'loss',
      'acc',
      'line: mean of 3 seeds; band: min–max; thin lines: one per seed (x values differ)',
    ]);
  });

  it('bar: categories that differ between seeds are united, each bar the mean of the seeds that have it', () => {
    const [b] = seriesOf((seed) => ({ name: 'b', kind: 'bar', title: 'B', data: { categories: seed === 2 ? ['p', 'r'] : ['p', 'q'], groups: [{ name: 'g', values: [seed, 10 + seed] }] } }));
    if (b!.kind !== 'bar') throw new Error('kind');
    expect(b!.data.categories).toEqual(['p', 'q', 'r']);
    expect(b!.data.groups[0]!.points).toEqual([[0, 1, 2], [10, 11], [12]]);
    expect(b!.data.groups[0]!.values).toEqual([1, 10.5, 12]);
    expect(b!.caption).toMatch(/some bars have fewer seeds/);
  });

  it('heatmap: matrices of different shapes give one figure per seed', () => {
    const hs = seriesOf((seed) => ({ name: 'h', kind: 'heatmap', title: 'H', data: { values: Array.from({ length: seed + 1 }, () => [seed]) } }));
    expect(hs.map((h) => [h.name, h.title])).toEqual([
      ['h-seed-0', 'H (seed 0)'],
      ['h-seed-1', 'H (seed 1)'],
      ['h-seed-2', 'H (seed 2)'],
    ]);
  });

  it('categorical heatmaps (label maps) are never averaged: one figure per seed, each with its legend', () => {
    const hs = seriesOf((seed) => ({ name: 'labels', kind: 'heatmap', title: 'L', data: { values: [[seed, 1]], categories: { names: ['a', 'b', 'c'] } } }), [2, 0]);
    expect(hs.map((h) => h.name)).toEqual(['labels-seed-2', 'labels-seed-0']);
    expect(hs.map((h) => (h.kind === 'heatmap' ? h.data.values : null))).toEqual([[[2, 1]], [[0, 1]]]);
    expect(hs[0]!.caption).toMatch(/categorical maps are not averaged/);
    for (const h of hs) expect(byClass(checkSvg(renderSeries(h)), 'g', 'legend').length).toBe(1);
  });

  it('scatter with several series: colours for the series, shapes for the seeds in the legend', () => {
    const [s] = seriesOf((seed) => ({ name: 's', kind: 'scatter', title: 'S', data: { series: [{ name: 'u', x: [seed], y: [1] }, { name: 'v', x: [seed], y: [2] }] } }), [3, 4]);
    if (s!.kind !== 'scatter') throw new Error('kind');
    expect(s!.data.legend!.map((e) => [e.name, e.marker])).toEqual([['u', 0], ['v', 0], ['seed 3', 0], ['seed 4', 1]]);
    expect(s!.data.series.map((q) => [q.name, q.marker])).toEqual([['u (seed 3)', 0], ['v (seed 3)', 0], ['u (seed 4)', 1], ['v (seed 4)', 1]]);
  });

  it('simplex: a marker that moves between seeds is labelled with its seed; one that does not is drawn once', () => {
    const [s] = seriesOf((seed) => ({ name: 'p', kind: 'simplex', title: 'P', data: { paths: [], markers: [{ label: 'start', point: [1, 0, 0] }, { label: 'p*', point: [seed, 1, 1] }] } }), [0, 1]);
    if (s!.kind !== 'simplex') throw new Error('kind');
    expect(s!.data.markers!.map((m) => m.label)).toEqual(['start', 'p* (seed 0)', 'p* (seed 1)']);
  });
});

describe("'svg' figures (a paper's own drawing)", () => {
  const drawing = (seed: number): Extract<Series, { kind: 'svg' }> => ({
    name: 'episode',
    kind: 'svg',
    title: 'Episode',
    data: { svg: `<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><text>seed ${seed}</text></svg>` },
  });
  it('validateResult accepts a standalone SVG document and rejects anything else', () => {
    expect(validateResult({ tables: [], series: [drawing(0)], claims: [] }, 'w').series.length).toBe(1);
    for (const svg of ['<div></div>', '<svg><script>alert(1)</script></svg>', '<svg>'])
      expect(() => validateResult({ tables: [], series: [{ ...drawing(0), data: { svg } }], claims: [] }, 'w')).toThrow(/standalone <svg>/);
  });
  it('over seeds: one figure per seed (never averaged); the report inlines each as is', () => {
    const runs: SeedRun[] = [3, 4].map((seed) => ({ seed, seconds: 0.1, result: { tables: [], series: [drawing(seed)], claims: [] } }));
    const agg = aggregateRuns({ claims: [] }, runs, { ...ctx, seeds: [3, 4] });
    expect(agg.series.map((s) => s.name)).toEqual(['episode-seed-3', 'episode-seed-4']);
    expect(agg.series[0]!.caption).toMatch(/seed 3 of 2: a paper's own drawing is not averaged/);
    expect(renderSeries(agg.series[1]!)).toBe(drawing(4).data.svg);
  });
});
