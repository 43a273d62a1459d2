/**
 * Aggregation across seeds (browser-safe):
 *  - tables: a numeric cell that differs between seeds becomes "mean ± s.e." (standard error of
 *    the mean, n−1 in the variance); cells equal in every seed are kept as they are;
 *  - line series: the mean curve, with a band from the per-seed minimum to the maximum;
 *  - bar series: the mean bar, with ±1 s.e. error bars; heatmaps: the elementwise mean (categorical
 *    heatmaps: the first seed's);
 *    scatter: the points of all seeds pooled; simplex: every seed's path;
 *  - checks (claims, sanity, findings): evaluated per seed; a check passes only when it passes for
 *    every seed. An experiment that wants a check about the seeds together (e.g. on the mean)
 *    implements `aggregate(runs)`, which the runner calls once, in the main thread.
 */
import { compare, errorText } from './checks.js';
import { formatNumber } from './svg.js';
import {
  CHECK_KINDS,
  type BarData,
  type CheckKind,
  type Checks,
  type ClaimCheck,
  type ClaimSpec,
  type Comparison,
  type DeviceName,
  type Experiment,
  type Mode,
  type Result,
  type ScatterData,
  type SeedRun,
  type Series,
  type SimplexData,
  type Table,
} from './types.js';
import type { LineSeries } from './svg.js';

export function mean(xs: number[]): number {
  return xs.reduce((a, b) => a + b, 0) / xs.length;
}

/** Standard error of the mean (sample std with n−1, over √n); 0 for a single value. */
export function stdErr(xs: number[]): number {
  const n = xs.length;
  if (n < 2) return 0;
  const m = mean(xs);
  const v = xs.reduce((a, b) => a + (b - m) ** 2, 0) / (n - 1);
  return Math.sqrt(v / n);
}

/** "0.9731 ± 0.0042" */
export function formatMeanErr(xs: number[]): string {
  return `${formatNumber(mean(xs))} ± ${formatNumber(stdErr(xs), 2)}`;
}

export interface SeedClaimValue {
  seed: number;
  value: number;
  pass: boolean;
  detail?: string;
}

export interface AggregatedClaim {
  name: string;
  description?: string;
  comparison: Comparison;
  threshold: number | [number, number];
  /** 'seed': checked per seed (value is the mean); 'aggregate': from Experiment.aggregate; 'missing': declared, never checked. */
  kind: 'seed' | 'aggregate' | 'missing';
  value: number;
  values: SeedClaimValue[];
  pass: boolean;
  detail?: string;
}

export interface AggregateResult {
  tables: Table[];
  series: Series[];
  /** The paper's claims: each must pass (in every seed, or across seeds for 'aggregate' ones). */
  claims: AggregatedClaim[];
  /** Sanity checks: must pass as well, but are not reproduced claims. */
  sanity: AggregatedClaim[];
  /** Findings: paper claims measured and not reproduced; `pass` says whether the paper's claim held here. */
  findings: AggregatedClaim[];
  notes: string[];
}

const sameArray = (a: readonly unknown[], b: readonly unknown[]): boolean => a.length === b.length && a.every((v, i) => Object.is(v, b[i]) || v === b[i]);

function appendCaption(s: Series, extra: string): string {
  return s.caption ? `${s.caption} (${extra})` : extra;
}

function aggregateTables(runs: { seed: number; result: Result }[]): Table[] {
  if (runs.length === 1) return runs[0]!.result.tables;
  const out: Table[] = [];
  const names: string[] = [];
  for (const r of runs) for (const t of r.result.tables) if (!names.includes(t.name)) names.push(t.name);
  for (const name of names) {
    const per = runs.map((r) => ({ seed: r.seed, t: r.result.tables.find((t) => t.name === name) }));
    const first = per[0]!.t;
    const aligned =
      first !== undefined &&
      per.every((p) => p.t !== undefined && sameArray(p.t.columns, first.columns) && p.t.rows.length === first.rows.length);
    if (!aligned) {
      // Different shapes: show each seed's table side by side rather than guess an alignment.
      for (const p of per) if (p.t) out.push({ ...p.t, name: `${name} (seed ${p.seed})` });
      continue;
    }
    const rows = first!.rows.map((row, i) =>
      row.map((_, j) => {
        const cells = per.map((p) => p.t!.rows[i]![j]!);
        if (cells.every((c) => c === cells[0] || (typeof c === 'number' && Object.is(c, cells[0])))) return cells[0]!;
        if (cells.every((c) => typeof c === 'number')) return formatMeanErr(cells as number[]);
        return [...new Set(cells.map(String))].join(' / ');
      }),
    );
    out.push({ name: `${name} (mean ± s.e. over ${runs.length} seeds)`, columns: first!.columns, rows });
  }
  return out;
}

function aggregateLine(name: string, per: Series[], n: number): Series {
  const base = per[0] as Extract<Series, { kind: 'line' }>;
  const lines: LineSeries[] = [];
  const lineNames: string[] = [];
  for (const s of per) for (const l of (s as typeof base).data.series) if (!lineNames.includes(l.name)) lineNames.push(l.name);
  let fallback = false;
  for (const ln of lineNames) {
    const ls = per.map((s) => (s as typeof base).data.series.find((l) => l.name === ln)).filter((l): l is LineSeries => !!l);
    const x = ls[0]!.x;
    if (ls.length !== per.length || !ls.every((l) => sameArray(l.x, x) && l.y.length === l.x.length)) {
      fallback = true;
      ls.forEach((l, i) => lines.push({ ...l, name: `${l.name} (run ${i + 1})` }));
      continue;
    }
    const y = x.map((_, i) => mean(ls.map((l) => l.y[i]!)));
    const lower = x.map((_, i) => Math.min(...ls.map((l) => l.lower?.[i] ?? l.y[i]!)));
    const upper = x.map((_, i) => Math.max(...ls.map((l) => l.upper?.[i] ?? l.y[i]!)));
    const line: LineSeries = { name: ln, x: [...x], y, lower, upper };
    if (ls[0]!.color) line.color = ls[0]!.color;
    lines.push(line);
  }
  const what = fallback ? `mean over ${n} seeds where the x values agree, each seed's curve otherwise` : `mean over ${n} seeds; band: min–max across seeds`;
  return { ...base, name, data: { ...base.data, series: lines }, caption: appendCaption(base, what) };
}

function aggregateBar(name: string, per: Series[], n: number): Series {
  const base = per[0] as Extract<Series, { kind: 'bar' }>;
  const all = per as (typeof base)[];
  const aligned = all.every(
    (s) => sameArray(s.data.categories, base.data.categories) && sameArray(s.data.groups.map((g) => g.name), base.data.groups.map((g) => g.name)),
  );
  if (!aligned) return { ...base, name, caption: appendCaption(base, `first seed only: the seeds' categories differ`) };
  const groups = base.data.groups.map((g, gi) => {
    const vals = base.data.categories.map((_, ci) => all.map((s) => s.data.groups[gi]!.values[ci] ?? NaN));
    const out: BarData['groups'][number] = { name: g.name, values: vals.map(mean), errors: vals.map(stdErr) };
    if (g.color) out.color = g.color;
    return out;
  });
  return { ...base, name, data: { ...base.data, groups }, caption: appendCaption(base, `mean over ${n} seeds; error bars: ±1 s.e.`) };
}

function aggregateHeatmap(name: string, per: Series[], n: number): Series {
  const base = per[0] as Extract<Series, { kind: 'heatmap' }>;
  // Categories (e.g. class labels) have no mean: show the first seed's map.
  if (base.data.categories) return { ...base, name, caption: appendCaption(base, `first seed only: categorical maps are not averaged`) };
  const all = per as (typeof base)[];
  const shape = base.data.values.map((r) => r.length);
  if (!all.every((s) => sameArray(s.data.values.map((r) => r.length), shape)))
    return { ...base, name, caption: appendCaption(base, `first seed only: the seeds' shapes differ`) };
  const values = base.data.values.map((row, i) => row.map((_, j) => mean(all.map((s) => s.data.values[i]![j]!))));
  return { ...base, name, data: { ...base.data, values }, caption: appendCaption(base, `elementwise mean over ${n} seeds`) };
}

function aggregateScatter(name: string, per: Series[], n: number): Series {
  const base = per[0] as Extract<Series, { kind: 'scatter' }>;
  const series: ScatterData['series'] = [];
  for (const s of per as (typeof base)[]) {
    for (const p of s.data.series) {
      const into = series.find((q) => q.name === p.name);
      if (into) {
        into.x = into.x.concat(p.x);
        into.y = into.y.concat(p.y);
      } else series.push({ ...p, x: [...p.x], y: [...p.y] });
    }
  }
  return { ...base, name, data: { ...base.data, series }, caption: appendCaption(base, `points of ${n} seeds pooled`) };
}

function aggregateSimplex(name: string, per: Series[], seeds: number[]): Series {
  const base = per[0] as Extract<Series, { kind: 'simplex' }>;
  const paths: SimplexData['paths'] = [];
  (per as (typeof base)[]).forEach((s, i) => {
    for (const p of s.data.paths) {
      const q = { ...p, name: `${p.name} (seed ${seeds[i]})` };
      delete q.color; // the palette tells the seeds apart
      paths.push(q);
    }
  });
  return { ...base, name, data: { ...base.data, paths }, caption: appendCaption(base, `one path per seed`) };
}

function aggregateSeries(runs: { seed: number; result: Result }[]): Series[] {
  if (runs.length === 1) return runs[0]!.result.series;
  const ids: string[] = [];
  for (const r of runs) for (const s of r.result.series) if (!ids.includes(s.name)) ids.push(s.name);
  return ids.map((id) => {
    const withIt = runs.filter((r) => r.result.series.some((s) => s.name === id));
    const per = withIt.map((r) => r.result.series.find((s) => s.name === id)!);
    const kind = per[0]!.kind;
    if (!per.every((s) => s.kind === kind)) {
      return { ...per[0]!, caption: appendCaption(per[0]!, `seed ${withIt[0]!.seed} only: the seeds disagree on the figure kind`) };
    }
    const n = per.length;
    switch (kind) {
      case 'line':
        return aggregateLine(id, per, n);
      case 'bar':
        return aggregateBar(id, per, n);
      case 'heatmap':
        return aggregateHeatmap(id, per, n);
      case 'scatter':
        return aggregateScatter(id, per, n);
      case 'simplex':
        return aggregateSimplex(id, per, withIt.map((r) => r.seed));
    }
  });
}

/** The checks of one kind, aggregated over seeds (see aggregateRuns). */
function aggregateChecks(
  kind: CheckKind,
  specs: readonly ClaimSpec[],
  runs: SeedRun[],
  extra: ClaimCheck[],
  failedRuns: number,
): AggregatedClaim[] {
  const out: AggregatedClaim[] = [];
  const desc = (name: string): string | undefined => specs.find((c) => c.name === name)?.description;
  const names: string[] = [];
  for (const r of runs) for (const c of r.result?.[kind] ?? []) if (!names.includes(c.name)) names.push(c.name);
  for (const name of names) {
    const values: SeedClaimValue[] = [];
    let proto: ClaimCheck | undefined;
    for (const r of runs) {
      const c = r.result?.[kind]?.find((x) => x.name === name);
      if (!c) {
        values.push({ seed: r.seed, value: NaN, pass: false, detail: r.error !== undefined ? 'the run threw' : 'not checked in this seed' });
        continue;
      }
      proto ??= c;
      const v: SeedClaimValue = { seed: r.seed, value: c.value, pass: compare(c.value, c.comparison, c.threshold) };
      if (c.detail !== undefined) v.detail = c.detail;
      values.push(v);
    }
    const finite = values.filter((v) => !Number.isNaN(v.value)).map((v) => v.value);
    const agg: AggregatedClaim = {
      name,
      comparison: proto!.comparison,
      threshold: proto!.threshold,
      kind: 'seed',
      value: finite.length === values.length ? mean(finite) : NaN,
      values,
      pass: values.every((v) => v.pass),
    };
    const d = desc(name);
    if (d !== undefined) agg.description = d;
    if (runs.length === 1 && values[0]!.detail !== undefined) agg.detail = values[0]!.detail;
    out.push(agg);
  }
  for (const c of extra) {
    const pass = compare(c.value, c.comparison, c.threshold) && failedRuns === 0;
    const agg: AggregatedClaim = { name: c.name, comparison: c.comparison, threshold: c.threshold, kind: 'aggregate', value: c.value, values: [], pass };
    const d = desc(c.name);
    if (d !== undefined) agg.description = d;
    if (c.detail !== undefined) agg.detail = c.detail;
    if (failedRuns) agg.detail = `${agg.detail ? agg.detail + '; ' : ''}not every seed ran`;
    out.push(agg);
  }
  const ok = runs.some((r) => r.result !== undefined && r.error === undefined);
  for (const spec of specs) {
    if (out.some((c) => c.name === spec.name)) continue;
    out.push({
      name: spec.name,
      description: spec.description,
      comparison: '>=',
      threshold: NaN,
      kind: 'missing',
      value: NaN,
      values: [],
      pass: false,
      detail: ok ? `declared in ${kind} but never checked` : 'no seed completed',
    });
  }
  return out;
}

/** Experiment.aggregate's answer as the three lists (a plain array is a list of claims). */
function aggregateExtras(exp: Pick<Experiment, 'aggregate'>, ok: { seed: number; result: Result }[], ctx: { mode: Mode; device: DeviceName; seeds: number[] }, notes: string[]): Checks {
  const none: Checks = { claims: [], sanity: [], findings: [] };
  if (!exp.aggregate || ok.length === 0) return none;
  try {
    const got = exp.aggregate(ok, ctx);
    if (Array.isArray(got)) return { ...none, claims: got };
    return { claims: got.claims ?? [], sanity: got.sanity ?? [], findings: got.findings ?? [] };
  } catch (e) {
    notes.push(`aggregate() threw: ${errorText(e)}`);
    return { ...none, claims: [{ name: 'aggregate()', value: NaN, comparison: '>=', threshold: 0, pass: false, detail: errorText(e) }] };
  }
}

/**
 * Aggregates the seeds of one experiment. `runs` holds every seed, including those that threw
 * (they count as failing every check). Checks declared in the experiment's claims / sanity /
 * findings but never checked are reported as failing ('missing').
 */
export function aggregateRuns(
  exp: Pick<Experiment, 'claims' | 'sanity' | 'findings' | 'aggregate'>,
  runs: SeedRun[],
  ctx: { mode: Mode; device: DeviceName; seeds: number[] },
): AggregateResult {
  const ok = runs.filter((r): r is SeedRun & { result: Result } => r.result !== undefined && r.error === undefined);
  const notes: string[] = [];
  const seen = new Set<string>();
  for (const r of ok) for (const note of r.result.notes ?? []) {
    const text = ok.length > 1 && !ok.every((o) => (o.result.notes ?? []).includes(note)) ? `seed ${r.seed}: ${note}` : note;
    if (!seen.has(text)) (seen.add(text), notes.push(text));
  }
  const failed = runs.filter((r) => r.error !== undefined);
  if (failed.length) notes.push(`${failed.length} of ${runs.length} seeds threw: ${failed.map((r) => `seed ${r.seed}`).join(', ')}`);
  const extra = aggregateExtras(exp, ok.map((r) => ({ seed: r.seed, result: r.result })), ctx, notes);
  const specs: { [K in CheckKind]: readonly ClaimSpec[] } = {
    claims: exp.claims,
    sanity: exp.sanity ?? [],
    findings: exp.findings ?? [],
  };
  const [claims, sanity, findings] = CHECK_KINDS.map((k) => aggregateChecks(k, specs[k], runs, extra[k], failed.length)) as [AggregatedClaim[], AggregatedClaim[], AggregatedClaim[]];
  return { tables: ok.length ? aggregateTables(ok) : [], series: ok.length ? aggregateSeries(ok) : [], claims, sanity, findings, notes };
}
