/**
 * Figures over seeds (browser-safe). Every seed is drawn; nothing is shown for the first seed only
 * and no series mixes the data of different seeds without saying so:
 *  - line: the mean curve with a band from the per-seed minimum to the maximum; where the seeds'
 *    x values differ, one faint line per seed (one legend entry per curve name);
 *  - bar: the mean bar, ±1 s.e. whiskers, and one dot per seed;
 *  - heatmap: the elementwise mean (the caption gives the largest standard error of a cell);
 *    categorical heatmaps (label maps): one figure per seed;
 *    matrices of different shapes or labels: one figure per seed;
 *  - scatter: every seed's points, colour per series and marker shape per seed;
 *  - simplex: every seed's path, faint, one legend entry per path name; markers that differ
 *    between seeds are labelled with their seed;
 *  - svg (a paper's own drawing): one figure per seed.
 */
import { mean, stdErr } from './aggregate-tables.js';
import { formatNumber, PALETTE, type BarGroup, type LineSeries, type ScatterSeries } from './svg.js';
import type { Result, ScatterData, Series, SimplexData } from './types.js';

type Per<K extends Series['kind']> = { seed: number; s: Extract<Series, { kind: K }> }[];

const sameArray = (a: readonly unknown[] | undefined, b: readonly unknown[] | undefined): boolean =>
  a === b || (!!a && !!b && a.length === b.length && a.every((v, i) => Object.is(v, b[i]) || v === b[i]));

const colorAt = (i: number): string => PALETTE[i % PALETTE.length]!;

function withCaption<S extends Series>(s: S, extra: string): S {
  return { ...s, caption: s.caption ? `${s.caption} (${extra})` : extra };
}

function union<T>(lists: T[][]): T[] {
  const out: T[] = [];
  for (const l of lists) for (const x of l) if (!out.includes(x)) out.push(x);
  return out;
}

function aggregateLine(per: Per<'line'>): Series {
  const n = per.length;
  const names = union(per.map((p) => p.s.data.series.map((l) => l.name)));
  const lines: LineSeries[] = [];
  let banded = false;
  let faint = false;
  names.forEach((name, li) => {
    const ls = per.flatMap((p) => p.s.data.series.filter((l) => l.name === name).slice(0, 1));
    const color = ls[0]!.color ?? colorAt(li);
    const x = ls[0]!.x;
    if (ls.length !== n || !ls.every((l) => sameArray(l.x, x) && l.y.length === l.x.length)) {
      // The seeds' curves cannot be averaged point by point: draw each one.
      faint = true;
      for (const l of ls) lines.push({ name, x: [...l.x], y: [...l.y], color, faint: true });
      return;
    }
    banded = true;
    const y = x.map((_, i) => mean(ls.map((l) => l.y[i]!)));
    const lower = x.map((_, i) => Math.min(...ls.map((l) => l.lower?.[i] ?? l.y[i]!)));
    const upper = x.map((_, i) => Math.max(...ls.map((l) => l.upper?.[i] ?? l.y[i]!)));
    lines.push({ name, x: [...x], y, lower, upper, color });
  });
  const notes: string[] = [];
  if (banded) notes.push(`line: mean of ${n} seeds; band: min–max`);
  if (faint) notes.push(`thin lines: one per seed (x values differ)`);
  const base = per[0]!.s;
  return withCaption({ ...base, data: { ...base.data, series: lines, legendNote: notes.join('; ') } }, `${notes.join('; ')}; seeds ${per.map((p) => p.seed).join(', ')}`);
}

function aggregateBar(per: Per<'bar'>): Series {
  const n = per.length;
  const categories = union(per.map((p) => p.s.data.categories));
  const names = union(per.map((p) => p.s.data.groups.map((g) => g.name)));
  let incomplete = false;
  const groups = names.map((name, gi): BarGroup => {
    const points = categories.map((c) =>
      per.flatMap((p) => {
        const g = p.s.data.groups.find((x) => x.name === name);
        const v = g?.values[p.s.data.categories.indexOf(c)];
        return v !== undefined && Number.isFinite(v) ? [v] : [];
      }),
    );
    if (points.some((vs) => vs.length !== n)) incomplete = true;
    const color = per.map((p) => p.s.data.groups.find((x) => x.name === name)?.color).find((c) => c !== undefined) ?? colorAt(gi);
    return { name, color, values: points.map((vs) => (vs.length ? mean(vs) : NaN)), errors: points.map(stdErr), points };
  });
  const note = `bars: mean of ${n} seeds; whiskers: ±1 s.e.; dots: one per seed`;
  const base = per[0]!.s;
  const extra = incomplete ? `${note}; some bars have fewer seeds (not every seed has every category)` : note;
  return withCaption({ ...base, data: { ...base.data, categories, groups, legendNote: note } }, `${extra}; seeds ${per.map((p) => p.seed).join(', ')}`);
}

/** Each seed's figure on its own, named `<id>-seed-<seed>`, when the seeds cannot be combined. */
function perSeed(id: string, per: { seed: number; s: Series }[], why: string): Series[] {
  return per.map((p) => withCaption({ ...p.s, name: `${id}-seed-${p.seed}`, title: `${p.s.title} (seed ${p.seed})` }, `seed ${p.seed} of ${per.length}: ${why}`));
}

function aggregateHeatmap(id: string, per: Per<'heatmap'>): Series[] {
  const base = per[0]!.s;
  // Categories (e.g. class labels) have no mean: every seed's map is drawn.
  if (base.data.categories) return perSeed(id, per, 'categorical maps are not averaged');
  const shape = base.data.values.map((r) => r.length);
  const same = per.every(
    (p) => sameArray(p.s.data.values.map((r) => r.length), shape) && sameArray(p.s.data.xLabels, base.data.xLabels) && sameArray(p.s.data.yLabels, base.data.yLabels),
  );
  if (!same) return perSeed(id, per, `the seeds' matrices differ in shape or labels`);
  let worst = 0;
  const values = base.data.values.map((row, i) =>
    row.map((_, j) => {
      const xs = per.map((p) => p.s.data.values[i]![j]!);
      const se = stdErr(xs);
      if (se > worst) worst = se;
      return mean(xs);
    }),
  );
  const what = `elementwise mean of ${per.length} seeds (${per.map((p) => p.seed).join(', ')}); largest standard error of a cell ${formatNumber(worst, 2)}`;
  return [withCaption({ ...base, data: { ...base.data, values } }, what)];
}

function aggregateScatter(per: Per<'scatter'>): Series {
  const names = union(per.map((p) => p.s.data.series.map((q) => q.name)));
  const colors = names.map((name, i) => per.map((p) => p.s.data.series.find((q) => q.name === name)?.color).find((c) => c !== undefined) ?? colorAt(i));
  const series: ScatterSeries[] = [];
  per.forEach((p, k) => {
    for (const q of p.s.data.series) {
      const i = names.indexOf(q.name);
      series.push({ name: `${q.name} (seed ${p.seed})`, x: [...q.x], y: [...q.y], color: colors[i]!, marker: k });
    }
  });
  // Colour tells the series apart, the marker shape the seed.
  const legend: NonNullable<ScatterData['legend']> =
    names.length === 1
      ? per.map((p, k) => ({ name: `${names[0]}, seed ${p.seed}`, color: colors[0]!, marker: k }))
      : [...names.map((name, i) => ({ name, color: colors[i]!, marker: 0 })), ...per.map((p, k) => ({ name: `seed ${p.seed}`, color: '#555555', marker: k }))];
  const note = `marker shape: seed${per.length > 8 ? ' (shapes repeat after 8 seeds)' : ''}`;
  const base = per[0]!.s;
  return withCaption({ ...base, data: { ...base.data, series, legend, legendNote: note } }, `the points of ${per.length} seeds, one marker shape per seed`);
}

function aggregateSimplex(per: Per<'simplex'>): Series {
  const names = union(per.map((p) => p.s.data.paths.map((q) => q.name)));
  const colors = names.map((name, i) => per.map((p) => p.s.data.paths.find((q) => q.name === name)?.color).find((c) => c !== undefined) ?? colorAt(i));
  const paths: SimplexData['paths'] = [];
  for (const p of per) for (const q of p.s.data.paths) paths.push({ name: q.name, points: q.points, color: colors[names.indexOf(q.name)]!, faint: true });
  // A marker that is the same in every seed is drawn once; otherwise each seed's, labelled with it.
  const markers: NonNullable<SimplexData['markers']> = [];
  const labels = union(per.map((p) => (p.s.data.markers ?? []).map((m) => m.label)));
  for (const label of labels) {
    const ms = per.flatMap((p) => (p.s.data.markers ?? []).filter((m) => m.label === label).map((m) => ({ seed: p.seed, m })));
    const same = ms.length === per.length && ms.every((x) => x.m.point.every((v, i) => Math.abs(v - ms[0]!.m.point[i]!) <= 1e-9));
    if (same) markers.push(ms[0]!.m);
    else for (const x of ms) markers.push({ ...x.m, label: `${label} (seed ${x.seed})` });
  }
  const base = per[0]!.s;
  const note = `one path per seed (${per.length} seeds)`;
  return withCaption({ ...base, data: { ...base.data, paths, markers, legendNote: note } }, `${note}: ${per.map((p) => p.seed).join(', ')}`);
}

/** Every figure id of the runs, in order of first appearance (see the module comment). */
export function aggregateSeries(runs: { seed: number; result: Result }[]): Series[] {
  if (runs.length === 1) return runs[0]!.result.series;
  const ids = union(runs.map((r) => r.result.series.map((s) => s.name)));
  return ids.flatMap((id): Series[] => {
    const per = runs.flatMap((r) => r.result.series.filter((s) => s.name === id).map((s) => ({ seed: r.seed, s })));
    if (per.length === 1) return [withCaption(per[0]!.s, `seed ${per[0]!.seed} only: the other seeds draw no figure ${JSON.stringify(id)}`)];
    const kind = per[0]!.s.kind;
    if (!per.every((p) => p.s.kind === kind)) return perSeed(id, per, 'the seeds disagree on the kind of figure');
    const missing = per.length < runs.length ? ` (${runs.length - per.length} seed(s) draw no such figure)` : '';
    const tag = (s: Series): Series => (missing ? withCaption(s, missing.trim().slice(1, -1)) : s);
    switch (kind) {
      case 'line':
        return [tag(aggregateLine(per as Per<'line'>))];
      case 'bar':
        return [tag(aggregateBar(per as Per<'bar'>))];
      case 'heatmap':
        return aggregateHeatmap(id, per as Per<'heatmap'>).map(tag);
      case 'scatter':
        return [tag(aggregateScatter(per as Per<'scatter'>))];
      case 'simplex':
        return [tag(aggregateSimplex(per as Per<'simplex'>))];
      case 'svg':
        return perSeed(id, per, "a paper's own drawing is not averaged");
    }
  });
}
