/**
 * Tables over seeds (browser-safe). Each seed's run returns the same tables; the report shows one
 * table per name:
 *  - a table with a `seed` column lists one row per seed already: the seeds' rows are stacked;
 *  - otherwise the seeds' rows are matched (by position, or by their text cells when the order
 *    differs) and each cell becomes
 *      - the value itself when it is the same in every seed,
 *      - "mean ± s.e." for a numeric column (the per-seed values are kept in `stats`),
 *      - "a (seeds 0, 2) · b (seed 1)" for text and for a categorical column: seed ids, method
 *        names, a selected hyperparameter … are never averaged;
 *  - tables whose rows cannot be matched are shown once per seed.
 * Categorical columns: those the table lists in `categorical`, and those whose name is `seed`,
 * `run` or says the value was picked (`best …`, `selected …`, `chosen …`). A cell that is text in
 * some seed (a name, a "-" placeholder) is never averaged either.
 */
import { formatNumber } from './svg.js';
import type { Result, Table } from './types.js';

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

/** A numeric cell aggregated over seeds: its mean, standard error and the value of each seed. */
export interface CellStats {
  mean: number;
  stdErr: number;
  /** One value per seed, in the order of the table's `seeds`. */
  values: number[];
}

/** A table of the aggregate report: the shown cells, plus the per-seed numbers behind them. */
export interface AggregatedTable extends Table {
  /** The seeds the table was built from (absent for a single seed's table). */
  seeds?: number[];
  /** stats[row][col]: set where numbers differing between seeds were averaged, null elsewhere. */
  stats?: (CellStats | null)[][];
}

/** Column names that are categorical by default: seed ids, run ids, and values that were picked. */
export const DEFAULT_CATEGORICAL = /^(seeds?|run|run seed)$|^(best|selected|chosen)\b|\b(seed|seeds)$/i;

/** Which columns of `t` are never averaged, even where they hold numbers (see the module comment). */
export function categoricalColumns(t: Table): boolean[] {
  const declared = new Set(t.categorical ?? []);
  return t.columns.map((c) => declared.has(c) || DEFAULT_CATEGORICAL.test(c.trim()));
}

const seedColumn = (t: Table): number => t.columns.findIndex((c) => /^seed$/i.test(c.trim()));

const sameArray = (a: readonly unknown[], b: readonly unknown[]): boolean => a.length === b.length && a.every((v, i) => Object.is(v, b[i]) || v === b[i]);

const seedList = (seeds: number[]): string => `seed${seeds.length > 1 ? 's' : ''} ${seeds.join(', ')}`;

/** "a (seeds 0, 2) · b (seed 1)": a categorical cell that differs between seeds. */
function categoricalCell(cells: (string | number)[], seeds: number[]): string {
  const groups = new Map<string, number[]>();
  cells.forEach((c, k) => {
    const key = typeof c === 'number' ? formatNumber(c) : String(c);
    groups.set(key, [...(groups.get(key) ?? []), seeds[k]!]);
  });
  return [...groups].map(([v, s]) => `${v} (${seedList(s)})`).join(' · ');
}

/**
 * The seeds' rows in a common order: by position when the rows' names agree row by row, else by
 * name when each name occurs once in every seed; null when neither works. A row's name is its
 * leading text cells (e.g. the method in the first column), leaving out columns declared or
 * named categorical; text further right is a result and may differ between seeds.
 */
function matchRows(per: Table[]): (string | number)[][][] | null {
  const first = per[0]!;
  if (!per.every((t) => sameArray(t.columns, first.columns) && t.rows.length === first.rows.length)) return null;
  const declared = new Set(first.categorical ?? []);
  let nKey = 0;
  while (nKey < first.columns.length && first.rows.every((r) => typeof r[nKey] === 'string')) nKey++;
  const keyCol = first.columns.map((c, j) => j < nKey && !declared.has(c) && !DEFAULT_CATEGORICAL.test(c.trim()));
  const rowKey = (row: (string | number)[]): string => JSON.stringify(row.filter((_, j) => keyCol[j]));
  if (first.rows.every((row, i) => per.every((t) => rowKey(t.rows[i]!) === rowKey(row)))) return per.map((t) => t.rows);
  const keys = first.rows.map(rowKey);
  if (new Set(keys).size !== keys.length) return null;
  const out: (string | number)[][][] = [];
  for (const t of per) {
    const byKey = new Map(t.rows.map((r) => [rowKey(r), r]));
    if (byKey.size !== keys.length || !keys.every((k) => byKey.has(k))) return null;
    out.push(keys.map((k) => byKey.get(k)!));
  }
  return out;
}

/** One table name over the seeds that have it. */
function aggregateTable(name: string, per: { seed: number; t: Table }[], nRuns: number): AggregatedTable[] {
  const first = per[0]!.t;
  const seeds = per.map((p) => p.seed);
  const missing = nRuns > per.length ? `; missing in ${nRuns - per.length} seed(s)` : '';
  const sc = seedColumn(first);
  if (sc >= 0 && per.every((p) => sameArray(p.t.columns, first.columns))) {
    // One row per seed already: stack them. A `run seed` column says which run gave a row when
    // the rows' own seed ids are not the run's (e.g. sub-seeds drawn inside each run).
    const own = per.every((p) => p.t.rows.every((r) => r[sc] === p.seed));
    const rows = per.flatMap((p) => p.t.rows.map((r) => (own ? [...r] : [p.seed, ...r])));
    const t: AggregatedTable = { name: `${name} (rows of ${seedList(seeds)}${missing})`, columns: own ? [...first.columns] : ['run seed', ...first.columns], rows, seeds };
    if (first.categorical) t.categorical = own ? [...first.categorical] : ['run seed', ...first.categorical];
    return [t];
  }
  const rowsPer = matchRows(per.map((p) => p.t));
  if (!rowsPer) return per.map((p) => ({ ...p.t, name: `${name} (seed ${p.seed})` }));
  const cat = categoricalColumns(first);
  let averaged = false;
  const stats: (CellStats | null)[][] = [];
  const rows = rowsPer[0]!.map((row, i) => {
    const statRow: (CellStats | null)[] = [];
    const out = row.map((_, j) => {
      const cells = rowsPer.map((rs) => rs[i]![j]!);
      statRow.push(null);
      if (cells.every((c) => c === cells[0] || Object.is(c, cells[0]))) return cells[0]!;
      if (cat[j] || !cells.every((c) => typeof c === 'number')) return categoricalCell(cells, seeds);
      const xs = cells as number[];
      averaged = true;
      statRow[j] = { mean: mean(xs), stdErr: stdErr(xs), values: xs };
      return formatMeanErr(xs);
    });
    stats.push(statRow);
    return out;
  });
  const what = averaged ? `mean ± s.e. over ${per.length} seeds` : `${per.length} seeds`;
  const t: AggregatedTable = { name: `${name} (${what}${missing})`, columns: [...first.columns], rows, seeds, stats };
  if (first.categorical) t.categorical = [...first.categorical];
  return [t];
}

/** Every table name of the runs, in order of first appearance (see the module comment). */
export function aggregateTables(runs: { seed: number; result: Result }[]): AggregatedTable[] {
  if (runs.length === 1) return runs[0]!.result.tables;
  const names: string[] = [];
  for (const r of runs) for (const t of r.result.tables) if (!names.includes(t.name)) names.push(t.name);
  return names.flatMap((name) => {
    const per = runs.flatMap((r) => {
      const t = r.result.tables.find((x) => x.name === name);
      return t ? [{ seed: r.seed, t }] : [];
    });
    return aggregateTable(name, per, runs.length);
  });
}
