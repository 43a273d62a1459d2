/**
 * Reports (browser-safe): an experiment's report object (what results.json holds), its text for
 * the terminal, the SVG of each figure and its section of the HTML report.
 */
import type { AggregatedClaim, AggregateResult } from './aggregate.js';
import { aggregateRuns } from './aggregate.js';
import { fileSafe, fmtNum, formatThreshold } from './checks.js';
import {
  barChart,
  formatNumber,
  heatmap,
  linePlot,
  scatterPlot,
  simplexPlot,
  type BarChartOptions,
  type HeatmapOptions,
  type ReportClaim,
  type ReportSection,
} from './svg.js';
import type { CheckKind, ClaimSpec, DeviceName, Experiment, Mode, PaperInfo, SeedRun, Series, Table } from './types.js';

export const RESULTS_SCHEMA = 'papergrad.results/2';

export interface ExperimentReport {
  schema: typeof RESULTS_SCHEMA;
  name: string;
  paper: PaperInfo;
  summary?: string;
  claimSpecs: ClaimSpec[];
  sanitySpecs: ClaimSpec[];
  findingSpecs: ClaimSpec[];
  mode: Mode;
  device: DeviceName;
  seeds: number[];
  /** Wall-clock seconds from the first job's start to the last job's end (in this invocation). */
  seconds: number;
  /** Seeds whose results came from an earlier invocation (--resume) rather than from this one. */
  resumedSeeds?: number[];
  finishedAt: string;
  pass: boolean;
  errors: string[];
  aggregate: AggregateResult;
  runs: SeedRun[];
}

export function makeReport(
  exp: Experiment,
  runs: SeedRun[],
  ctx: { mode: Mode; device: DeviceName; seeds: number[]; seconds: number; resumedSeeds?: number[] },
): ExperimentReport {
  const aggregate = aggregateRuns(exp, runs, ctx);
  const errors = runs.filter((r) => r.error !== undefined).map((r) => `seed ${r.seed}: ${r.error}`);
  const report: ExperimentReport = {
    schema: RESULTS_SCHEMA,
    name: exp.name,
    paper: exp.paper,
    claimSpecs: exp.claims,
    sanitySpecs: exp.sanity ?? [],
    findingSpecs: exp.findings ?? [],
    mode: ctx.mode,
    device: ctx.device,
    seeds: ctx.seeds,
    seconds: ctx.seconds,
    finishedAt: new Date().toISOString(),
    // Claims and sanity checks decide; findings are reported, never fail the run.
    pass: errors.length === 0 && aggregate.claims.every((c) => c.pass) && aggregate.sanity.every((c) => c.pass),
    errors,
    aggregate,
    runs,
  };
  if (exp.summary !== undefined) report.summary = exp.summary;
  if (ctx.resumedSeeds?.length) report.resumedSeeds = ctx.resumedSeeds;
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
    case 'svg':
      return s.data.svg;
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

const CHECK_HEADINGS: Record<CheckKind, string> = {
  claims: 'claims',
  sanity: 'sanity checks',
  findings: 'findings (paper claims measured here and not reproduced; they do not fail the run)',
};

/** One list of checks as text; findings say "holds here" / "not reproduced" instead of ✓ / ✗. */
export function formatClaims(claims: AggregatedClaim[], kind: CheckKind = 'claims'): string {
  if (!claims.length) return `${CHECK_HEADINGS[kind].split(' (')[0]}: none`;
  const lines = [CHECK_HEADINGS[kind]];
  for (const c of claims) {
    const mark = kind === 'findings' ? '·' : c.pass ? '✓' : '✗';
    let line = `  ${mark} ${c.name}: ${claimValueText(c)} ${c.kind === 'missing' ? '' : `(${kind === 'findings' ? 'paper' : 'need'} ${claimThresholdText(c)})`}`.trimEnd();
    if (kind === 'findings' && c.kind !== 'missing') line += c.pass ? ' — holds here' : ' — not reproduced';
    if (c.kind === 'aggregate') line += ' [across seeds]';
    const failingSeeds = c.values.length > 1 ? c.values.filter((v) => !v.pass).map((v) => v.seed) : [];
    if (failingSeeds.length && kind !== 'findings') line += ` fails for seed${failingSeeds.length > 1 ? 's' : ''} ${failingSeeds.join(', ')}`;
    if (failingSeeds.length && kind === 'findings' && c.pass === false && failingSeeds.length < c.values.length)
      line += ` (holds in ${c.values.length - failingSeeds.length} of ${c.values.length} seeds)`;
    if (c.detail) line += ` — ${c.detail}`;
    lines.push(line);
  }
  return lines.join('\n');
}

export function formatReport(r: ExperimentReport): string {
  const resumed = r.resumedSeeds?.length ? `; seed${r.resumedSeeds.length > 1 ? 's' : ''} ${r.resumedSeeds.join(',')} from an earlier run` : '';
  const head = `== ${r.name}: ${r.paper.title} (${r.mode}, ${r.device}, seed${r.seeds.length > 1 ? 's' : ''} ${r.seeds.join(',')}; ${r.seconds.toFixed(1)} s${resumed})`;
  const parts = [head];
  // First lines only: the full stack was printed when the job ended and is in results.json.
  for (const e of r.errors) parts.push(`ERROR in ${r.name} ${e.split('\n')[0]}`);
  for (const t of r.aggregate.tables) parts.push(formatTable(t));
  parts.push(formatClaims(r.aggregate.claims, 'claims'));
  if (r.aggregate.sanity.length) parts.push(formatClaims(r.aggregate.sanity, 'sanity'));
  if (r.aggregate.findings.length) parts.push(formatClaims(r.aggregate.findings, 'findings'));
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
    `Run: ${r.mode} mode on ${r.device}, seed${r.seeds.length > 1 ? 's' : ''} ${r.seeds.join(', ')}, ${r.seconds.toFixed(1)} s, finished ${r.finishedAt}.` +
      (r.resumedSeeds?.length ? ` Seed${r.resumedSeeds.length > 1 ? 's' : ''} ${r.resumedSeeds.join(', ')} came from an earlier run in the same folder (--resume).` : ''),
  );
  if (r.claimSpecs.length) text.push(`Claims: ${r.claimSpecs.map((c) => `${c.name}: ${c.description}`).join(' | ')}`);
  if (r.findingSpecs.length) text.push(`Findings (the paper's claims that this reproduction measures and does not reproduce): ${r.findingSpecs.map((c) => `${c.name}: ${c.description}`).join(' | ')}`);
  for (const e of r.errors) text.push(`ERROR ${e}`);
  for (const n of r.aggregate.notes) text.push(`Note: ${n}`);
  const row = (c: AggregatedClaim): ReportClaim => ({
    name: c.kind === 'aggregate' ? `${c.name} (across seeds)` : c.name,
    value: claimValueText(c) + (c.detail ? ` — ${c.detail}` : ''),
    threshold: claimThresholdText(c),
    pass: c.pass,
  });
  const claims = r.aggregate.claims.map(row);
  if (r.errors.length) claims.push({ name: 'every seed ran without error', value: `${r.errors.length} error(s)`, threshold: '0 errors', pass: false });
  return {
    heading: `${r.name}${r.pass ? '' : ' (FAILED)'}`,
    id: r.name,
    pass: r.pass,
    text: text.join('\n\n'),
    tables: r.aggregate.tables.map((t) => ({ caption: t.name, columns: t.columns, rows: t.rows })),
    figures: r.aggregate.series.map((s) => ({ caption: `${s.caption ? `${s.caption.replace(/\.?$/, '.')} ` : ''}File: ${r.name}/${fileSafe(s.name)}.svg`, svg: renderSeries(s) })),
    claims,
    sanity: r.aggregate.sanity.map(row),
    findings: r.aggregate.findings.map(row),
  };
}

