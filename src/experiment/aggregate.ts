/**
 * Aggregation across seeds (browser-safe):
 *  - tables (aggregate-tables.ts): numbers that differ between seeds become "mean ± s.e." with the
 *    per-seed values kept; categorical columns (seed ids, names, selected settings) never averaged;
 *  - figures (aggregate-series.ts): every seed drawn (mean and band, bars with a dot per seed,
 *    a marker shape per seed, one path per seed);
 *  - checks (claims, sanity, findings): evaluated per seed; a check passes only when it passes for
 *    every seed. An experiment that wants a check about the seeds together (e.g. on the mean)
 *    implements `aggregate(runs)`, which the runner calls once, in the main thread.
 */
import { aggregateSeries } from './aggregate-series.js';
import { aggregateTables, mean, type AggregatedTable } from './aggregate-tables.js';
import { compare, errorText } from './checks.js';
import {
  CHECK_KINDS,
  type CheckKind,
  type Checks,
  type ClaimCheck,
  type ClaimSpec,
  type Comparison,
  type DeviceName,
  type Experiment,
  type Mode,
  type Result,
  type SeedRun,
  type Series,
} from './types.js';

export { mean, stdErr, formatMeanErr } from './aggregate-tables.js';

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
  /** Tables over seeds: shown cells, with the per-seed numbers behind averaged cells in `stats`. */
  tables: AggregatedTable[];
  series: Series[];
  /** The paper's claims: each must pass (in every seed, or across seeds for 'aggregate' ones). */
  claims: AggregatedClaim[];
  /** Sanity checks: must pass as well, but are not reproduced claims. */
  sanity: AggregatedClaim[];
  /** Findings: paper claims measured and not reproduced; `pass` says whether the paper's claim held here. */
  findings: AggregatedClaim[];
  notes: string[];
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
