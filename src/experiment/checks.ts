/**
 * Checks: comparing a measured value with a claim's threshold, and validating what run() returned.
 * Browser-safe.
 */
import { formatNumber } from './svg.js';
import { CHECK_KINDS, type ClaimCheck, type Comparison, type Result } from './types.js';

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

export function fmtNum(v: unknown): string {
  return typeof v === 'number' ? formatNumber(v) : String(v);
}

export const NAME_RE = /^[A-Za-z0-9][A-Za-z0-9_-]*$/;

/** A figure id or table name made safe as a file name. */
export function fileSafe(name: string): string {
  const s = name.replace(/[^A-Za-z0-9._-]+/g, '-').replace(/^[-.]+|-+$/g, '');
  return s || 'figure';
}

/**
 * Checks the shape of a result (the runner calls it on every seed's result) and recomputes
 * each check's pass from its value, so a hand-set pass cannot survive. Throws on malformed data.
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
    if (!['line', 'bar', 'heatmap', 'scatter', 'simplex', 'svg'].includes(s.kind)) fail(`series ${JSON.stringify(s.name)} has unknown kind ${JSON.stringify(s.kind)}`);
    if (s.kind === 'svg' && !(typeof s.data?.svg === 'string' && /^<svg[\s>]/.test(s.data.svg) && s.data.svg.trimEnd().endsWith('</svg>') && !/<script/i.test(s.data.svg)))
      fail(`series ${JSON.stringify(s.name)}: an 'svg' figure needs one standalone <svg>…</svg> document without scripts`);
    const id = fileSafe(s.name);
    if (ids.has(id)) fail(`two series share the figure id ${JSON.stringify(id)}`);
    ids.add(id);
    if (!s.data || typeof s.data !== 'object') fail(`series ${JSON.stringify(s.name)} has no data`);
  }
  // One name space over the three kinds: a name is a claim, a sanity check or a finding, never two.
  const names = new Set<string>();
  const out: Result = { ...r, claims: [] };
  for (const kind of CHECK_KINDS) {
    const list: unknown = r[kind];
    if (list === undefined && kind !== 'claims') continue;
    if (!Array.isArray(list)) return fail(`Result.${kind} must be an array of checks`);
    out[kind] = (list as ClaimCheck[]).map((c) => {
      if (!c || typeof c.name !== 'string' || !c.name) fail(`a check in Result.${kind} has no name`);
      if (names.has(c.name)) fail(`check ${JSON.stringify(c.name)} is checked twice (in ${kind})`);
      names.add(c.name);
      return { ...c, pass: compare(c.value, c.comparison, c.threshold) };
    });
  }
  return out;
}

/** An error's stack (or name and message) as text; anything else via String(). */
export function errorText(e: unknown): string {
  if (e instanceof Error) return e.stack && e.stack.includes(e.message) ? e.stack : `${e.name}: ${e.message}`;
  return String(e);
}
