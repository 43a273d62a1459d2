/**
 * Experiments: the interface every paper reproduction implements, the claim checks, and the
 * runner that executes (experiment, seed) jobs (in worker threads or in-process), aggregates the
 * seeds and writes results.json, one SVG per figure and the HTML report.
 *
 * An experiment's `run` returns plain data (tables, figure series, claim checks), never
 * tensors, so a result can cross a worker boundary and be written as JSON.
 *
 * Aggregation across seeds (see aggregateRuns):
 *  - tables: a numeric cell that differs between seeds becomes "mean ± s.e." (standard error of
 *    the mean, n−1 in the variance); cells equal in every seed are kept as they are;
 *  - line series: the mean curve, with a band from the per-seed minimum to the maximum;
 *  - bar series: the mean bar, with ±1 s.e. error bars; heatmaps: the elementwise mean;
 *    scatter: the points of all seeds pooled; simplex: every seed's path;
 *  - claims: evaluated per seed; a claim passes only when it passes for every seed. An
 *    experiment that wants a claim about the seeds together (e.g. on the mean) implements
 *    `aggregate(runs)`, which the runner calls once, in the main thread, with every seed's result.
 */
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';
import { availableParallelism } from 'node:os';
import { mkdirSync, readdirSync, readFileSync, renameSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import * as pg from '../autograd/index.js';
import {
  barChart,
  formatNumber,
  heatmap,
  htmlReport,
  linePlot,
  scatterPlot,
  simplexPlot,
  type BarChartOptions,
  type HeatmapOptions,
  type LineSeries,
  type ReportClaim,
  type ReportSection,
  type ScatterPlotOptions,
  type SimplexPlotOptions,
} from './svg.js';

// ---------------------------------------------------------------------------
// The interface
// ---------------------------------------------------------------------------

export interface PaperInfo {
  title: string;
  authors: string;
  venue?: string;
  arxiv?: string;
}

/** A claim the experiment sets out to reproduce; its checks (ClaimCheck) carry the same name. */
export interface ClaimSpec {
  name: string;
  description: string;
}

export type Mode = 'quick' | 'full';
export type DeviceName = 'cpu' | 'webgpu';

export interface RunOptions {
  /** The seed of this job: seed every generator from it. */
  seed: number;
  /** All seeds of this invocation (jobs for the other seeds run independently). */
  seeds: number[];
  mode: Mode;
  /** The runner has already made this the default device. */
  device: DeviceName;
  /** Report progress: fraction in [0, 1] of this job, and an optional short status. */
  onProgress(fraction: number, message?: string): void;
}

export interface Table {
  name: string;
  columns: string[];
  rows: (string | number)[][];
}

interface SeriesBase {
  /** Figure id: unique within the experiment; the file name of its SVG (out/<paper>/<name>.svg). */
  name: string;
  title: string;
  xLabel?: string;
  yLabel?: string;
  /** Shown under the figure in the HTML report (the runner appends what aggregation did). */
  caption?: string;
}

type Sized = { width?: number; height?: number };
export type LineData = { series: LineSeries[]; logX?: boolean; logY?: boolean } & Sized;
export type BarData = Pick<BarChartOptions, 'categories' | 'groups'> & Sized;
export type HeatmapData = Omit<HeatmapOptions, 'title' | 'xLabel' | 'yLabel'>;
export type ScatterData = Pick<ScatterPlotOptions, 'series' | 'logX' | 'logY' | 'radius'> & Sized;
export type SimplexData = Omit<SimplexPlotOptions, 'title'>;

export type Series =
  | (SeriesBase & { kind: 'line'; data: LineData })
  | (SeriesBase & { kind: 'bar'; data: BarData })
  | (SeriesBase & { kind: 'heatmap'; data: HeatmapData })
  | (SeriesBase & { kind: 'scatter'; data: ScatterData })
  | (SeriesBase & { kind: 'simplex'; data: SimplexData });

export type Comparison = '<' | '<=' | '>' | '>=' | 'in';

export interface ClaimCheck {
  name: string;
  value: number;
  /** A number, or for 'in' an inclusive range [lo, hi]. */
  threshold: number | [number, number];
  comparison: Comparison;
  pass: boolean;
  detail?: string;
}

export interface Result {
  tables: Table[];
  series: Series[];
  claims: ClaimCheck[];
  notes?: string[];
}

export interface SeedRun {
  seed: number;
  seconds: number;
  result?: Result;
  error?: string;
}

export interface Experiment {
  /** Short id: letters, digits, '-' and '_' (it names the output folder and the --paper flag). */
  name: string;
  paper: PaperInfo;
  claims: ClaimSpec[];
  /** One or two sentences shown at the top of the report section. */
  summary?: string;
  run(options: RunOptions): Promise<Result> | Result;
  /** Optional claims about all seeds together, e.g. on the mean; called once after every seed ran. */
  aggregate?(runs: { seed: number; result: Result }[], options: { mode: Mode; device: DeviceName; seeds: number[] }): ClaimCheck[];
}

/** Whether `value comparison threshold` holds. NaN never passes. */
export function compare(value: number, comparison: Comparison, threshold: number | [number, number]): boolean {
  if (typeof value !== 'number' || Number.isNaN(value)) return false;
  if (comparison === 'in') {
    if (!Array.isArray(threshold) || threshold.length !== 2) throw new Error(`check: 'in' needs a [lo, hi] threshold, got ${JSON.stringify(threshold)}`);
    return value >= threshold[0] && value <= threshold[1];
  }
  if (typeof threshold !== 'number') throw new Error(`check: '${comparison}' needs a number threshold, got ${JSON.stringify(threshold)}`);
  switch (comparison) {
    case '<':
      return value < threshold;
    case '<=':
      return value <= threshold;
    case '>':
      return value > threshold;
    case '>=':
      return value >= threshold;
    default:
      throw new Error(`check: unknown comparison ${JSON.stringify(comparison)}`);
  }
}

/**
 * A claim check whose `pass` is computed here: check('mlp test acc', acc, '>=', 0.95).
 * For 'in' the threshold is an inclusive range: check('ratio', r, 'in', [0.9, 1.1]).
 */
export function check(name: string, value: number, comparison: Comparison, threshold: number | [number, number], detail?: string): ClaimCheck {
  const c: ClaimCheck = { name, value, threshold, comparison, pass: compare(value, comparison, threshold) };
  if (detail !== undefined) c.detail = detail;
  return c;
}

const SYMBOL: Record<Comparison, string> = { '<': '<', '<=': '≤', '>': '>', '>=': '≥', in: '∈' };

/** "≥ 0.95" or "∈ [0.9, 1.1]". */
export function formatThreshold(comparison: Comparison, threshold: number | [number, number]): string {
  if (comparison === 'in' && Array.isArray(threshold)) return `∈ [${fmtNum(threshold[0])}, ${fmtNum(threshold[1])}]`;
  return `${SYMBOL[comparison] ?? comparison} ${fmtNum(threshold as number)}`;
}

function fmtNum(v: unknown): string {
  return typeof v === 'number' ? formatNumber(v) : String(v);
}

const NAME_RE = /^[A-Za-z0-9][A-Za-z0-9_-]*$/;

/** A figure id or table name made safe as a file name. */
export function fileSafe(name: string): string {
  const s = name.replace(/[^A-Za-z0-9._-]+/g, '-').replace(/^[-.]+|-+$/g, '');
  return s || 'figure';
}

/**
 * Checks the shape of a result (the runner calls it on every seed's result) and recomputes
 * each claim's pass from its value, so a hand-set pass cannot survive. Throws on malformed data.
 */
export function validateResult(r: Result, where: string): Result {
  const fail = (m: string): never => {
    throw new Error(`${where}: ${m}`);
  };
  if (!r || typeof r !== 'object') fail('run() must return a Result object');
  if (!Array.isArray(r.tables) || !Array.isArray(r.series) || !Array.isArray(r.claims)) fail('Result needs tables, series and claims arrays');
  for (const t of r.tables) {
    if (!Array.isArray(t.columns) || !Array.isArray(t.rows)) fail(`table ${JSON.stringify(t.name)} needs columns and rows`);
    t.rows.forEach((row, i) => {
      if (!Array.isArray(row) || row.length !== t.columns.length)
        fail(`table ${JSON.stringify(t.name)} row ${i} has ${Array.isArray(row) ? row.length : 'no'} cells for ${t.columns.length} columns`);
    });
  }
  const ids = new Set<string>();
  for (const s of r.series) {
    if (!['line', 'bar', 'heatmap', 'scatter', 'simplex'].includes(s.kind)) fail(`series ${JSON.stringify(s.name)} has unknown kind ${JSON.stringify(s.kind)}`);
    const id = fileSafe(s.name);
    if (ids.has(id)) fail(`two series share the figure id ${JSON.stringify(id)}`);
    ids.add(id);
    if (!s.data || typeof s.data !== 'object') fail(`series ${JSON.stringify(s.name)} has no data`);
  }
  const claims = r.claims.map((c) => {
    if (typeof c.name !== 'string' || !c.name) fail('a claim check has no name');
    const pass = compare(c.value, c.comparison, c.threshold);
    return { ...c, pass };
  });
  const names = new Set<string>();
  for (const c of claims) {
    if (names.has(c.name)) fail(`claim ${JSON.stringify(c.name)} is checked twice`);
    names.add(c.name);
  }
  return { ...r, claims };
}

// ---------------------------------------------------------------------------
// Aggregation across seeds
// ---------------------------------------------------------------------------

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
  claims: AggregatedClaim[];
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

/**
 * Aggregates the seeds of one experiment. `runs` holds every seed, including those that threw
 * (they count as failing every claim). Claims declared in experiment.claims but never checked
 * are reported as failing ('missing').
 */
export function aggregateRuns(exp: Pick<Experiment, 'claims' | 'aggregate'>, runs: SeedRun[], ctx: { mode: Mode; device: DeviceName; seeds: number[] }): AggregateResult {
  const ok = runs.filter((r): r is SeedRun & { result: Result } => r.result !== undefined && r.error === undefined);
  const notes: string[] = [];
  const seen = new Set<string>();
  for (const r of ok) for (const note of r.result.notes ?? []) {
    const text = ok.length > 1 && !ok.every((o) => (o.result.notes ?? []).includes(note)) ? `seed ${r.seed}: ${note}` : note;
    if (!seen.has(text)) (seen.add(text), notes.push(text));
  }
  const failed = runs.filter((r) => r.error !== undefined);
  if (failed.length) notes.push(`${failed.length} of ${runs.length} seeds threw: ${failed.map((r) => `seed ${r.seed}`).join(', ')}`);

  const claims: AggregatedClaim[] = [];
  const desc = (name: string): string | undefined => exp.claims.find((c) => c.name === name)?.description;
  const claimNames: string[] = [];
  for (const r of ok) for (const c of r.result.claims) if (!claimNames.includes(c.name)) claimNames.push(c.name);
  for (const name of claimNames) {
    const values: SeedClaimValue[] = [];
    let proto: ClaimCheck | undefined;
    for (const r of runs) {
      const c = r.result?.claims.find((x) => x.name === name);
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
    claims.push(agg);
  }
  if (exp.aggregate && ok.length > 0) {
    let extra: ClaimCheck[];
    try {
      extra = exp.aggregate(ok.map((r) => ({ seed: r.seed, result: r.result })), ctx);
    } catch (e) {
      notes.push(`aggregate() threw: ${errorText(e)}`);
      extra = [{ name: 'aggregate()', value: NaN, comparison: '>=', threshold: 0, pass: false, detail: errorText(e) }];
    }
    for (const c of extra) {
      const pass = compare(c.value, c.comparison, c.threshold) && failed.length === 0;
      const agg: AggregatedClaim = { name: c.name, comparison: c.comparison, threshold: c.threshold, kind: 'aggregate', value: c.value, values: [], pass };
      const d = desc(c.name);
      if (d !== undefined) agg.description = d;
      if (c.detail !== undefined) agg.detail = c.detail;
      if (failed.length) agg.detail = `${agg.detail ? agg.detail + '; ' : ''}not every seed ran`;
      claims.push(agg);
    }
  }
  for (const spec of exp.claims) {
    if (claims.some((c) => c.name === spec.name)) continue;
    claims.push({
      name: spec.name,
      description: spec.description,
      comparison: '>=',
      threshold: NaN,
      kind: 'missing',
      value: NaN,
      values: [],
      pass: false,
      detail: ok.length ? 'declared in claims but never checked' : 'no seed completed',
    });
  }
  return { tables: ok.length ? aggregateTables(ok) : [], series: ok.length ? aggregateSeries(ok) : [], claims, notes };
}

// ---------------------------------------------------------------------------
// Reports: text, results.json, SVG files and the HTML page
// ---------------------------------------------------------------------------

export const RESULTS_SCHEMA = 'papergrad.results/1';

export interface ExperimentReport {
  schema: typeof RESULTS_SCHEMA;
  name: string;
  paper: PaperInfo;
  summary?: string;
  claimSpecs: ClaimSpec[];
  mode: Mode;
  device: DeviceName;
  seeds: number[];
  /** Wall-clock seconds from the first job's start to the last job's end. */
  seconds: number;
  finishedAt: string;
  pass: boolean;
  errors: string[];
  aggregate: AggregateResult;
  runs: SeedRun[];
}

export function makeReport(exp: Experiment, runs: SeedRun[], ctx: { mode: Mode; device: DeviceName; seeds: number[]; seconds: number }): ExperimentReport {
  const aggregate = aggregateRuns(exp, runs, ctx);
  const errors = runs.filter((r) => r.error !== undefined).map((r) => `seed ${r.seed}: ${r.error}`);
  const report: ExperimentReport = {
    schema: RESULTS_SCHEMA,
    name: exp.name,
    paper: exp.paper,
    claimSpecs: exp.claims,
    mode: ctx.mode,
    device: ctx.device,
    seeds: ctx.seeds,
    seconds: ctx.seconds,
    finishedAt: new Date().toISOString(),
    pass: errors.length === 0 && aggregate.claims.every((c) => c.pass),
    errors,
    aggregate,
    runs,
  };
  if (exp.summary !== undefined) report.summary = exp.summary;
  return report;
}

/** The SVG of one series (via svg.ts). */
export function renderSeries(s: Series): string {
  switch (s.kind) {
    case 'line':
      return linePlot({ ...s.data, title: s.title, xLabel: s.xLabel ?? '', yLabel: s.yLabel ?? '' });
    case 'bar': {
      const o: BarChartOptions = { ...s.data, title: s.title, yLabel: s.yLabel ?? '' };
      if (s.xLabel !== undefined) o.xLabel = s.xLabel;
      return barChart(o);
    }
    case 'heatmap': {
      const o: HeatmapOptions = { ...s.data, title: s.title };
      if (s.xLabel !== undefined) o.xLabel = s.xLabel;
      if (s.yLabel !== undefined) o.yLabel = s.yLabel;
      return heatmap(o);
    }
    case 'scatter':
      return scatterPlot({ ...s.data, title: s.title, xLabel: s.xLabel ?? '', yLabel: s.yLabel ?? '' });
    case 'simplex':
      return simplexPlot({ ...s.data, title: s.title });
    default:
      throw new Error(`renderSeries: unknown kind ${JSON.stringify((s as { kind: unknown }).kind)}`);
  }
}

/** A table as aligned monospace text: numbers right-aligned, text left-aligned. */
export function formatTable(t: Table): string {
  const cells = [t.columns, ...t.rows.map((r) => r.map((c) => (typeof c === 'number' ? formatNumber(c) : String(c))))];
  const numeric = t.columns.map((_, j) => t.rows.length > 0 && t.rows.every((r) => typeof r[j] === 'number' || /^-?[\d.]+(e-?\d+)? ± /.test(String(r[j]))));
  const widths = t.columns.map((_, j) => Math.max(...cells.map((r) => [...(r[j] ?? '')].length)));
  const pad = (s: string, j: number): string => {
    const fill = ' '.repeat(Math.max(0, widths[j]! - [...s].length));
    return numeric[j] ? fill + s : s + fill;
  };
  const lines = cells.map((r) => r.map((c, j) => pad(c, j)).join('  ').trimEnd());
  lines.splice(1, 0, widths.map((w) => '-'.repeat(w)).join('  '));
  return [`${t.name}`, ...lines.map((l) => `  ${l}`)].join('\n');
}

/** "0.98" or "0.98 (seeds: 0.97, 0.99)" */
export function claimValueText(c: AggregatedClaim): string {
  if (c.kind === 'missing') return 'not checked';
  const v = fmtNum(c.value);
  if (c.values.length <= 1) return c.values.length === 1 && Number.isNaN(c.values[0]!.value) ? 'n/a' : v;
  return `${Number.isNaN(c.value) ? 'n/a' : `mean ${v}`} (seeds: ${c.values.map((s) => (Number.isNaN(s.value) ? 'n/a' : fmtNum(s.value))).join(', ')})`;
}

export function claimThresholdText(c: AggregatedClaim): string {
  return c.kind === 'missing' ? '-' : formatThreshold(c.comparison, c.threshold);
}

export function formatClaims(claims: AggregatedClaim[]): string {
  if (!claims.length) return 'claims: none';
  const lines = ['claims'];
  for (const c of claims) {
    let line = `  ${c.pass ? '✓' : '✗'} ${c.name}: ${claimValueText(c)} ${c.kind === 'missing' ? '' : `(need ${claimThresholdText(c)})`}`.trimEnd();
    if (c.kind === 'aggregate') line += ' [across seeds]';
    const failingSeeds = c.values.length > 1 ? c.values.filter((v) => !v.pass).map((v) => v.seed) : [];
    if (failingSeeds.length) line += ` fails for seed${failingSeeds.length > 1 ? 's' : ''} ${failingSeeds.join(', ')}`;
    if (c.detail) line += ` — ${c.detail}`;
    lines.push(line);
  }
  return lines.join('\n');
}

export function formatReport(r: ExperimentReport): string {
  const head = `== ${r.name}: ${r.paper.title} (${r.mode}, ${r.device}, seed${r.seeds.length > 1 ? 's' : ''} ${r.seeds.join(',')}; ${r.seconds.toFixed(1)} s)`;
  const parts = [head];
  // First lines only: the full stack was printed when the job ended and is in results.json.
  for (const e of r.errors) parts.push(`ERROR in ${r.name} ${e.split('\n')[0]}`);
  for (const t of r.aggregate.tables) parts.push(formatTable(t));
  parts.push(formatClaims(r.aggregate.claims));
  if (r.aggregate.notes.length) parts.push(r.aggregate.notes.map((n) => `note: ${n}`).join('\n'));
  return parts.join('\n\n');
}

/** JSON with non-finite numbers written as the strings "NaN", "Infinity", "-Infinity". */
export function toJson(x: unknown): string {
  return JSON.stringify(x, (_k, v: unknown) => (typeof v === 'number' && !Number.isFinite(v) ? String(v) : v), 2) + '\n';
}

/** Inverse of toJson: the strings "NaN", "Infinity", "-Infinity" become numbers again. */
export function fromJson<T = unknown>(text: string): T {
  return JSON.parse(text, (_k, v: unknown) => (v === 'NaN' ? NaN : v === 'Infinity' ? Infinity : v === '-Infinity' ? -Infinity : v)) as T;
}

function writeAtomic(path: string, text: string): void {
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, text);
  renameSync(tmp, path);
}

/** Writes <outDir>/<name>/results.json and one SVG per series; returns the paths written. */
export function writeExperimentFiles(r: ExperimentReport, outDir: string): string[] {
  const dir = join(outDir, r.name);
  mkdirSync(dir, { recursive: true });
  const written: string[] = [];
  const p = join(dir, 'results.json');
  writeAtomic(p, toJson(r));
  written.push(p);
  for (const s of r.aggregate.series) {
    const f = join(dir, `${fileSafe(s.name)}.svg`);
    writeAtomic(f, renderSeries(s) + '\n');
    written.push(f);
  }
  return written;
}

function paperLine(p: PaperInfo): string {
  const bits = [p.authors];
  if (p.venue) bits.push(p.venue);
  if (p.arxiv) bits.push(`arXiv:${p.arxiv.replace(/^arxiv:/i, '')}`);
  return bits.join(' · ');
}

export function reportSection(r: ExperimentReport): ReportSection {
  const text: string[] = [`${r.paper.title} — ${paperLine(r.paper)}`];
  if (r.summary) text.push(r.summary);
  text.push(
    `Run: ${r.mode} mode on ${r.device}, seed${r.seeds.length > 1 ? 's' : ''} ${r.seeds.join(', ')}, ${r.seconds.toFixed(1)} s, finished ${r.finishedAt}.`,
  );
  if (r.claimSpecs.length) text.push(`Claims: ${r.claimSpecs.map((c) => `${c.name}: ${c.description}`).join(' | ')}`);
  for (const e of r.errors) text.push(`ERROR ${e}`);
  for (const n of r.aggregate.notes) text.push(`Note: ${n}`);
  const claims: ReportClaim[] = r.aggregate.claims.map((c) => ({
    name: c.kind === 'aggregate' ? `${c.name} (across seeds)` : c.name,
    value: claimValueText(c) + (c.detail ? ` — ${c.detail}` : ''),
    threshold: claimThresholdText(c),
    pass: c.pass,
  }));
  if (r.errors.length) claims.push({ name: 'every seed ran without error', value: `${r.errors.length} error(s)`, threshold: '0 errors', pass: false });
  return {
    heading: `${r.name}${r.pass ? '' : ' (FAILED)'}`,
    text: text.join('\n\n'),
    tables: r.aggregate.tables.map((t) => ({ caption: t.name, columns: t.columns, rows: t.rows })),
    figures: r.aggregate.series.map((s) => ({ caption: `${s.caption ? `${s.caption.replace(/\.?$/, '.')} ` : ''}File: ${r.name}/${fileSafe(s.name)}.svg`, svg: renderSeries(s) })),
    claims,
  };
}

/** Reads every <outDir>/<name>/results.json of the current schema (unreadable ones are skipped). */
export function readReports(outDir: string): ExperimentReport[] {
  if (!existsSync(outDir)) return [];
  const out: ExperimentReport[] = [];
  for (const d of readdirSync(outDir, { withFileTypes: true })) {
    if (!d.isDirectory()) continue;
    const p = join(outDir, d.name, 'results.json');
    if (!existsSync(p)) continue;
    try {
      const r = fromJson<ExperimentReport>(readFileSync(p, 'utf8'));
      if (r && r.schema === RESULTS_SCHEMA && r.name === d.name) out.push(r);
    } catch {
      // A results.json from elsewhere or half-written: not ours to report.
    }
  }
  return out;
}

/**
 * Writes <outDir>/index.html with every experiment that has a results.json in outDir (so runs of
 * different --paper subsets accumulate), in `order` first, then alphabetically.
 */
export function writeIndex(outDir: string, order: string[] = []): string {
  const reports = readReports(outDir).sort((a, b) => {
    const ia = order.indexOf(a.name);
    const ib = order.indexOf(b.name);
    if (ia !== ib) return (ia < 0 ? Infinity : ia) - (ib < 0 ? Infinity : ib) || a.name.localeCompare(b.name);
    return a.name.localeCompare(b.name);
  });
  const html = htmlReport({ title: 'papergrad: paper reproductions', sections: reports.map(reportSection) });
  mkdirSync(outDir, { recursive: true });
  const p = join(outDir, 'index.html');
  writeAtomic(p, html);
  return p;
}

// ---------------------------------------------------------------------------
// Running jobs
// ---------------------------------------------------------------------------

export function errorText(e: unknown): string {
  if (e instanceof Error) return e.stack && e.stack.includes(e.message) ? e.stack : `${e.name}: ${e.message}`;
  return String(e);
}

/**
 * Makes `device` the default device. For 'webgpu' it first calls pg.initWebGPU, with the GPU of
 * `navigator.gpu` or, in Node without one, of the `webgpu` package (Dawn); it throws with the
 * reason when no adapter opens.
 */
export async function prepareDevice(device: DeviceName): Promise<void> {
  if (device === 'webgpu') {
    const init = (pg as unknown as Record<string, unknown>)['initWebGPU'] as ((gpu?: unknown) => Promise<{ ok: boolean; reason?: string }>) | undefined;
    if (typeof init !== 'function') throw new Error("device 'webgpu': this build of papergrad has no WebGPU backend (pg.initWebGPU is missing)");
    let gpu: unknown;
    if (!(globalThis as { navigator?: { gpu?: unknown } }).navigator?.gpu) {
      try {
        const spec = 'webgpu'; // optional dependency, resolved at run time
        const mod = (await import(spec)) as { create(flags: string[]): unknown; globals: object };
        Object.assign(globalThis, mod.globals);
        gpu = mod.create([]);
      } catch (e) {
        throw new Error(`device 'webgpu': the 'webgpu' package did not load: ${e instanceof Error ? e.message : String(e)}`);
      }
    }
    const res = await init(gpu);
    if (!res || res.ok !== true) throw new Error(`device 'webgpu' is unavailable: ${res?.reason ?? 'initWebGPU failed'}`);
  }
  pg.setDefaultDevice(device);
}

export interface JobInfo {
  experiment: string;
  seed: number;
  seeds: number[];
  mode: Mode;
  device: DeviceName;
}

/** Runs one job in this thread: device setup, run(), validation. Never throws: errors go into the SeedRun. */
export async function runJob(exp: Experiment, job: JobInfo, onProgress: (fraction: number, message?: string) => void): Promise<SeedRun> {
  const t0 = performance.now();
  const prev = pg.getDefaultDevice();
  try {
    await prepareDevice(job.device);
    const raw = await exp.run({ seed: job.seed, seeds: job.seeds, mode: job.mode, device: job.device, onProgress });
    const result = validateResult(raw, `${exp.name} seed=${job.seed}`);
    return { seed: job.seed, seconds: (performance.now() - t0) / 1000, result };
  } catch (e) {
    return { seed: job.seed, seconds: (performance.now() - t0) / 1000, error: errorText(e) };
  } finally {
    try {
      pg.setDefaultDevice(prev);
    } catch {
      // the previous device is always registered; nothing to restore otherwise
    }
  }
}

const WORKER_KEY = 'papergradExperimentJob';

type WorkerMsg = { type: 'progress'; fraction: number; message?: string } | { type: 'done'; run: SeedRun };

/** True in a worker thread started by the runner (the entry script then calls workerMain). */
export function isExperimentWorker(): boolean {
  return !isMainThread && workerData !== null && typeof workerData === 'object' && WORKER_KEY in (workerData as object);
}

/**
 * The worker side: finds the job's experiment in `registry`, runs it and posts progress and the
 * result back. The entry script (the same bundle as the main thread) calls this when
 * isExperimentWorker() is true.
 */
export async function workerMain(registry: readonly Experiment[]): Promise<void> {
  const job = (workerData as Record<string, JobInfo>)[WORKER_KEY]!;
  const port = parentPort!;
  const exp = registry.find((e) => e.name === job.experiment);
  let last = 0;
  let lastMsg: string | undefined;
  const post = (m: WorkerMsg): void => port.postMessage(m);
  if (!exp) {
    post({ type: 'done', run: { seed: job.seed, seconds: 0, error: `no experiment named ${JSON.stringify(job.experiment)} in the worker's registry` } });
    return;
  }
  const run = await runJob(exp, job, (fraction, message) => {
    const now = performance.now();
    // At most ~20 messages a second, but never drop a change of message text for long.
    if (now - last < 50 && message === lastMsg && fraction < 1) return;
    last = now;
    lastMsg = message;
    const m: WorkerMsg = { type: 'progress', fraction };
    if (message !== undefined) m.message = message;
    post(m);
  });
  post({ type: 'done', run });
}

export type RunnerEvent =
  | { type: 'start'; experiment: string; seed: number }
  | { type: 'progress'; experiment: string; seed: number; fraction: number; message?: string }
  | { type: 'end'; experiment: string; seed: number; run: SeedRun }
  | { type: 'report'; report: ExperimentReport };

export interface RunnerOptions {
  experiments: readonly Experiment[];
  mode: Mode;
  device: DeviceName;
  seeds: number[];
  /**
   * The script a worker thread loads: a bundle whose top level calls workerMain(registry) when
   * isExperimentWorker(). Without it the jobs run one after another in this thread.
   */
  workerScript?: URL | string;
  /**
   * Jobs at once in worker mode; default os.availableParallelism() on the CPU and 1 on WebGPU
   * (jobs would only queue on the one GPU), capped by the job count.
   */
  concurrency?: number;
  onEvent?(e: RunnerEvent): void;
}

function runInWorker(script: URL | string, job: JobInfo, onProgress: (fraction: number, message?: string) => void): Promise<SeedRun> {
  const t0 = performance.now();
  return new Promise((resolve) => {
    let settled = false;
    // Source maps on, so stack traces from a bundle name the .ts files and lines.
    const execArgv = [...process.execArgv.filter((a) => a !== '--enable-source-maps'), '--enable-source-maps'];
    const worker = new Worker(script, { workerData: { [WORKER_KEY]: job }, execArgv });
    const finish = (run: SeedRun): void => {
      if (settled) return;
      settled = true;
      resolve(run);
      void worker.terminate();
    };
    const fail = (why: string): void => finish({ seed: job.seed, seconds: (performance.now() - t0) / 1000, error: why });
    worker.on('message', (m: WorkerMsg) => {
      if (m.type === 'progress') onProgress(m.fraction, m.message);
      else if (m.type === 'done') finish(m.run);
    });
    worker.on('error', (e) => fail(`the worker thread crashed: ${errorText(e)}`));
    worker.on('exit', (code) => fail(`the worker thread exited (code ${code}) without a result`));
  });
}

/**
 * Runs every (experiment, seed) job and returns one report per experiment, in the given order.
 * A report is also emitted (event 'report') as soon as the last seed of its experiment ends.
 */
export async function runExperiments(opts: RunnerOptions): Promise<ExperimentReport[]> {
  for (const e of opts.experiments) if (!NAME_RE.test(e.name)) throw new Error(`experiment name ${JSON.stringify(e.name)}: use letters, digits, '-' and '_'`);
  if (!opts.seeds.length) throw new Error('runExperiments: no seeds');
  const emit = (e: RunnerEvent): void => opts.onEvent?.(e);
  const jobs: JobInfo[] = [];
  for (const e of opts.experiments)
    for (const seed of opts.seeds) jobs.push({ experiment: e.name, seed, seeds: opts.seeds, mode: opts.mode, device: opts.device });
  const runs = new Map<string, SeedRun[]>();
  const started = new Map<string, number>();
  const reports = new Map<string, ExperimentReport>();

  const doJob = async (job: JobInfo): Promise<void> => {
    const exp = opts.experiments.find((e) => e.name === job.experiment)!;
    if (!started.has(exp.name)) started.set(exp.name, performance.now());
    emit({ type: 'start', experiment: job.experiment, seed: job.seed });
    const onProgress = (fraction: number, message?: string): void => {
      const ev: RunnerEvent = { type: 'progress', experiment: job.experiment, seed: job.seed, fraction: Math.min(1, Math.max(0, fraction)) };
      if (message !== undefined) ev.message = message;
      emit(ev);
    };
    const run = opts.workerScript ? await runInWorker(opts.workerScript, job, onProgress) : await runJob(exp, job, onProgress);
    emit({ type: 'end', experiment: job.experiment, seed: job.seed, run });
    const list = runs.get(exp.name) ?? [];
    list.push(run);
    runs.set(exp.name, list);
    if (list.length === opts.seeds.length) {
      list.sort((a, b) => opts.seeds.indexOf(a.seed) - opts.seeds.indexOf(b.seed));
      const seconds = (performance.now() - started.get(exp.name)!) / 1000;
      const report = makeReport(exp, list, { mode: opts.mode, device: opts.device, seeds: opts.seeds, seconds });
      reports.set(exp.name, report);
      emit({ type: 'report', report });
    }
  };

  if (!opts.workerScript) {
    for (const job of jobs) await doJob(job);
  } else {
    const width = Math.max(1, Math.min(jobs.length, opts.concurrency ?? (opts.device === 'webgpu' ? 1 : availableParallelism())));
    let next = 0;
    const lane = async (): Promise<void> => {
      while (next < jobs.length) await doJob(jobs[next++]!);
    };
    await Promise.all(Array.from({ length: width }, lane));
  }
  return opts.experiments.map((e) => reports.get(e.name)!);
}
