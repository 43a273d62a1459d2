// Small statistics on plain number arrays, shared by the paper reproductions: means and standard
// errors, correlations, bootstrap confidence intervals, and distances between distributions.
import * as pg from '../autograd/index.js';

type Nums = ArrayLike<number>;

function check(xs: Nums, who: string, min = 1): void {
  if (xs.length < min) throw new Error(`${who}: need at least ${min} value${min === 1 ? '' : 's'}, got ${xs.length}`);
}

export function sum(xs: Nums): number {
  // Neumaier's compensated sum: accurate even for long arrays of mixed magnitudes.
  let s = 0, c = 0;
  for (let i = 0; i < xs.length; i++) {
    const v = xs[i];
    const t = s + v;
    c += Math.abs(s) >= Math.abs(v) ? s - t + v : v - t + s;
    s = t;
  }
  return s + c;
}

export function mean(xs: Nums): number {
  check(xs, 'mean');
  return sum(xs) / xs.length;
}

/** Sample variance (ddof = 1 by default, as numpy's var(ddof=1) / torch.var). */
export function variance(xs: Nums, ddof = 1): number {
  check(xs, 'variance', ddof + 1);
  const m = mean(xs);
  let s = 0;
  for (let i = 0; i < xs.length; i++) s += (xs[i] - m) ** 2;
  return s / (xs.length - ddof);
}

export function std(xs: Nums, ddof = 1): number {
  return Math.sqrt(variance(xs, ddof));
}

/** Standard error of the mean: sample std (ddof 1) / sqrt(n). */
export function stdErr(xs: Nums): number {
  check(xs, 'stdErr', 2);
  return std(xs, 1) / Math.sqrt(xs.length);
}

/** Quantile q in [0, 1] with linear interpolation between order statistics (numpy's default). */
export function quantile(xs: Nums, q: number): number {
  check(xs, 'quantile');
  if (!(q >= 0 && q <= 1)) throw new Error(`quantile: q must be in [0, 1], got ${q}`);
  const s = Float64Array.from(xs).sort();
  const pos = q * (s.length - 1);
  const lo = Math.floor(pos), hi = Math.ceil(pos);
  return s[lo] + (s[hi] - s[lo]) * (pos - lo);
}

export function median(xs: Nums): number {
  return quantile(xs, 0.5);
}

/** Pearson's correlation coefficient (NaN when either input is constant). */
export function pearson(a: Nums, b: Nums): number {
  if (a.length !== b.length) throw new Error(`pearson: lengths differ (${a.length} vs ${b.length})`);
  check(a, 'pearson', 2);
  const ma = mean(a), mb = mean(b);
  let sab = 0, saa = 0, sbb = 0;
  for (let i = 0; i < a.length; i++) {
    const da = a[i] - ma, db = b[i] - mb;
    sab += da * db;
    saa += da * da;
    sbb += db * db;
  }
  if (saa === 0 || sbb === 0) return NaN;
  return Math.max(-1, Math.min(1, sab / Math.sqrt(saa * sbb)));
}

/** Ranks 1..n, ties sharing their average rank (as scipy.stats.rankdata). */
export function ranks(xs: Nums): Float64Array {
  const n = xs.length;
  for (let i = 0; i < n; i++) if (Number.isNaN(xs[i])) throw new Error(`ranks: NaN at ${i}`);
  const idx = Array.from({ length: n }, (_, i) => i).sort((i, j) => xs[i] - xs[j] || i - j);
  const r = new Float64Array(n);
  for (let i = 0; i < n; ) {
    let j = i;
    while (j + 1 < n && xs[idx[j + 1]] === xs[idx[i]]) j++;
    const avg = (i + j) / 2 + 1;
    for (let k = i; k <= j; k++) r[idx[k]] = avg;
    i = j + 1;
  }
  return r;
}

/** Spearman's rank correlation: Pearson's r of the (tie-averaged) ranks. */
export function spearman(a: Nums, b: Nums): number {
  if (a.length !== b.length) throw new Error(`spearman: lengths differ (${a.length} vs ${b.length})`);
  return pearson(ranks(a), ranks(b));
}

export interface BootstrapOptions {
  /** Statistic of a resample (default: the mean). */
  stat?: (xs: Float64Array) => number;
  /** Number of resamples (default 1000). */
  iters?: number;
  /** 1 - confidence level (default 0.05: a 95% interval). */
  alpha?: number;
  generator?: pg.Generator;
}

/**
 * Percentile bootstrap confidence interval: resample the values with replacement `iters` times
 * (indices from pg.randint with the generator), compute the statistic of each resample, and take its
 * alpha/2 and 1 - alpha/2 quantiles. `estimate` is the statistic of the original values.
 */
export function bootstrapCI(values: Nums, opts: BootstrapOptions = {}): { estimate: number; lo: number; hi: number; samples: Float64Array } {
  check(values, 'bootstrapCI');
  const stat = opts.stat ?? ((xs: Float64Array) => mean(xs));
  const iters = opts.iters ?? 1000;
  const alpha = opts.alpha ?? 0.05;
  if (!Number.isInteger(iters) || iters < 1) throw new Error(`bootstrapCI: iters must be a positive integer, got ${iters}`);
  if (!(alpha > 0 && alpha < 1)) throw new Error(`bootstrapCI: alpha must be in (0, 1), got ${alpha}`);
  const g = opts.generator ?? pg.defaultGenerator();
  const n = values.length;
  const v = Float64Array.from(values);
  const samples = new Float64Array(iters);
  const buf = new Float64Array(n);
  // Draw the indices in chunks of about a million.
  const chunk = Math.max(1, Math.floor((1 << 20) / n));
  for (let start = 0; start < iters; start += chunk) {
    const m = Math.min(chunk, iters - start);
    const t = pg.randint(0, n, [m, n], { generator: g, device: 'cpu' });
    const idx = t.dataSync() as Int32Array;
    t.dispose();
    for (let r = 0; r < m; r++) {
      for (let i = 0; i < n; i++) buf[i] = v[idx[r * n + i]];
      samples[start + r] = stat(buf);
    }
  }
  return { estimate: stat(Float64Array.from(v)), lo: quantile(samples, alpha / 2), hi: quantile(samples, 1 - alpha / 2), samples };
}

function checkDists(p: Nums, q: Nums, who: string): void {
  if (p.length !== q.length) throw new Error(`${who}: lengths differ (${p.length} vs ${q.length})`);
  for (let i = 0; i < p.length; i++)
    if (!(p[i] >= 0) || !(q[i] >= 0)) throw new Error(`${who}: probabilities must be non-negative (index ${i}: ${p[i]}, ${q[i]})`);
}

/** Total variation distance 1/2 sum |p_i - q_i| (inputs taken as given, not renormalised). */
export function totalVariation(p: Nums, q: Nums): number {
  checkDists(p, q, 'totalVariation');
  let s = 0;
  for (let i = 0; i < p.length; i++) s += Math.abs(p[i] - q[i]);
  return s / 2;
}

/** KL(p || q) = sum p_i log(p_i / q_i) in nats, with 0 log 0 = 0; Infinity where q_i = 0 < p_i. */
export function klDivergence(p: Nums, q: Nums): number {
  checkDists(p, q, 'klDivergence');
  let s = 0;
  for (let i = 0; i < p.length; i++) {
    if (p[i] === 0) continue;
    if (q[i] === 0) return Infinity;
    s += p[i] * Math.log(p[i] / q[i]);
  }
  return s;
}
