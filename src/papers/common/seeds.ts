/**
 * Checks about several seeds (or several repetitions inside one run) together: the mean with its
 * 95% confidence interval (Student t), and a check whose value is the side of that interval that
 * must clear the threshold. An Experiment's aggregate(runs) uses these for claims that hold on
 * average but not on every single seed, so a reader sees the mean, the interval and every value.
 *
 * Generic helper (not specific to one paper): papers/common.
 */
import { check, type ClaimCheck, type Result } from '../../experiment/index.js';
import { mean, std } from '../../nn/stats.js';

/** t_{0.975, df}: the two-sided 95% critical value of Student's t (table to df 30, expansion beyond). */
export function tCritical95(df: number): number {
  if (!(df >= 1) || !Number.isInteger(df)) throw new Error(`tCritical95: df must be a positive integer, got ${df}`);
  const table = [
    12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.16, 2.145, 2.131,
    2.12, 2.11, 2.101, 2.093, 2.086, 2.08, 2.074, 2.069, 2.064, 2.06, 2.056, 2.052, 2.048, 2.045, 2.042,
  ];
  if (df <= table.length) return table[df - 1]!;
  // Cornish–Fisher expansion of the t quantile around the normal one (error < 1e-4 for df > 30).
  const z = 1.959964;
  return z + (z ** 3 + z) / (4 * df) + (5 * z ** 5 + 16 * z ** 3 + 3 * z) / (96 * df ** 2);
}

export interface MeanInterval {
  n: number;
  mean: number;
  /** The two-sided 95% t interval of the mean ([NaN, NaN] for a single value). */
  lo: number;
  hi: number;
}

export function meanInterval(xs: readonly number[]): MeanInterval {
  const n = xs.length;
  if (n === 0) throw new Error('meanInterval: no values');
  const m = mean(xs);
  if (n === 1) return { n, mean: m, lo: NaN, hi: NaN };
  const half = (tCritical95(n - 1) * std(xs)) / Math.sqrt(n);
  return { n, mean: m, lo: m - half, hi: m + half };
}

const fmt = (v: number): string => (Number.isFinite(v) ? Number(v.toPrecision(3)).toString() : String(v));

/**
 * A check on the mean of `values` with its 95% interval: for '>=' / '>' the value checked is the
 * interval's lower end, for '<=' / '<' its upper end, so the check passes only when the whole
 * interval clears the threshold. With a single value there is no interval: the value itself is
 * checked (and the detail says so).
 */
export function checkOnMean(
  name: string,
  values: readonly { label: string | number; value: number }[],
  comparison: '>=' | '>' | '<=' | '<',
  threshold: number,
  what: string,
): ClaimCheck {
  const iv = meanInterval(values.map((v) => v.value));
  const bound = iv.n < 2 ? iv.mean : comparison === '>=' || comparison === '>' ? iv.lo : iv.hi;
  const side = comparison === '>=' || comparison === '>' ? 'lower' : 'upper';
  const detail =
    `${side} end of the 95% interval of the mean of ${what} over ${iv.n} values: mean ${fmt(iv.mean)}, interval [${fmt(iv.lo)}, ${fmt(iv.hi)}]` +
    (iv.n < 2 ? ' (one value: no interval, the value itself is checked)' : '') +
    `; values ${values.map((v) => `${v.label}: ${fmt(v.value)}`).join(', ')}`;
  return check(name, bound, comparison, threshold, detail);
}

/** The value of the check named `name` in each run (claims, sanity checks or findings), in run order. */
export function valuesOf(runs: readonly { seed: number; result: Result }[], name: string): { label: number; value: number }[] {
  return runs.flatMap((r) => {
    const c = [...r.result.claims, ...(r.result.sanity ?? []), ...(r.result.findings ?? [])].find((x) => x.name === name);
    return c ? [{ label: r.seed, value: c.value }] : [];
  });
}
