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

// ------------------------------------------------------------------ Student's t and Welch's test

// Lanczos approximation of Γ with g = 7 and 9 coefficients (the published table; relative error
// below 1e-15 for x > 0). Used through logGamma only.
const LANCZOS_G = 7;
const LANCZOS = [
  0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059,
  12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7,
];

/** ln Γ(x) for x > 0 (Lanczos, with the reflection formula below 1/2). */
export function logGamma(x: number): number {
  if (!(x > 0)) throw new RangeError(`logGamma: x must be > 0, got ${x}`);
  if (x < 0.5) return Math.log(Math.PI / Math.sin(Math.PI * x)) - logGamma(1 - x);
  const z = x - 1;
  let s = LANCZOS[0]!;
  for (let k = 1; k < LANCZOS.length; k++) s += LANCZOS[k]! / (z + k);
  const t = z + LANCZOS_G + 0.5;
  return 0.5 * Math.log(2 * Math.PI) + (z + 0.5) * Math.log(t) - t + Math.log(s);
}

/** Continued fraction of the incomplete beta function (modified Lentz), valid for x < (a + 1)/(a + b + 2). */
function betaContinuedFraction(x: number, a: number, b: number): number {
  const TINY = 1e-300, EPS = 1e-16;
  let c = 1;
  let d = 1 - ((a + b) * x) / (a + 1);
  if (Math.abs(d) < TINY) d = TINY;
  d = 1 / d;
  let h = d;
  for (let m = 1; m <= 10000; m++) {
    // Even step: d_{2m} = m(b − m)x / ((a + 2m − 1)(a + 2m)); odd step: −(a + m)(a + b + m)x / ((a + 2m)(a + 2m + 1)).
    for (const num of [(m * (b - m) * x) / ((a + 2 * m - 1) * (a + 2 * m)), (-(a + m) * (a + b + m) * x) / ((a + 2 * m) * (a + 2 * m + 1))]) {
      d = 1 + num * d;
      if (Math.abs(d) < TINY) d = TINY;
      c = 1 + num / c;
      if (Math.abs(c) < TINY) c = TINY;
      d = 1 / d;
      h *= d * c;
    }
    if (Math.abs(d * c - 1) < EPS) return h;
  }
  throw new Error(`betaInc: continued fraction did not converge (x ${x}, a ${a}, b ${b})`);
}

/** The regularised incomplete beta function I_x(a, b) for x in [0, 1], a, b > 0. */
export function betaInc(x: number, a: number, b: number): number {
  if (!(a > 0 && b > 0)) throw new RangeError(`betaInc: a and b must be > 0, got ${a}, ${b}`);
  if (!(x >= 0 && x <= 1)) throw new RangeError(`betaInc: x must be in [0, 1], got ${x}`);
  if (x === 0 || x === 1) return x;
  const front = Math.exp(logGamma(a + b) - logGamma(a) - logGamma(b) + a * Math.log(x) + b * Math.log1p(-x));
  // The continued fraction converges fast below the mean of the Beta(a, b); use the symmetry above it.
  if (x < (a + 1) / (a + b + 2)) return (front * betaContinuedFraction(x, a, b)) / a;
  return 1 - (front * betaContinuedFraction(1 - x, b, a)) / b;
}

/** P(T > |t|) for Student's t with df degrees of freedom, without the cancellation of 1 − cdf. */
function studentTAbsTail(t: number, df: number): number {
  if (!Number.isFinite(t)) return 0;
  return 0.5 * betaInc(df / (df + t * t), df / 2, 0.5);
}

/** P(T ≤ t) for Student's t distribution with df > 0 degrees of freedom (df may be fractional). */
export function studentTCdf(t: number, df: number): number {
  if (!(df > 0)) throw new RangeError(`studentTCdf: df must be > 0, got ${df}`);
  if (Number.isNaN(t)) return NaN;
  const tail = studentTAbsTail(t, df);
  return t > 0 ? 1 - tail : tail;
}

export type Alternative = 'two-sided' | 'greater' | 'less';

export interface WelchResult {
  /** mean(a) − mean(b). */
  diff: number;
  /** Its standard error sqrt(var(a)/n_a + var(b)/n_b) (sample variances, ddof 1). */
  se: number;
  t: number;
  /** Welch–Satterthwaite degrees of freedom. */
  df: number;
  /** p-value for the alternative: 'greater' is mean(a) > mean(b). */
  p: number;
}

/**
 * Welch's two-sample t-test (unequal variances), as scipy.stats.ttest_ind(a, b, equal_var=False,
 * alternative=...). Needs at least 2 values per sample. When both samples are constant, t is ±∞
 * with p 0 or 1 if the means differ, and t, df and p are NaN if they are equal.
 */
export function welchTTest(a: Nums, b: Nums, alternative: Alternative = 'two-sided'): WelchResult {
  check(a, 'welchTTest (first sample)', 2);
  check(b, 'welchTTest (second sample)', 2);
  const na = a.length, nb = b.length;
  const va = variance(a) / na, vb = variance(b) / nb;
  const diff = mean(a) - mean(b);
  const se = Math.sqrt(va + vb);
  let t: number, df: number;
  if (se === 0) {
    t = diff === 0 ? NaN : diff > 0 ? Infinity : -Infinity;
    df = NaN;
  } else {
    t = diff / se;
    df = (va + vb) ** 2 / ((va * va) / (na - 1) + (vb * vb) / (nb - 1));
  }
  // Each p from the tail beyond |t| (no 1 − cdf cancellation for small p).
  const tail = Number.isNaN(t) ? NaN : studentTAbsTail(t, df);
  const upper = t > 0 ? tail : 1 - tail; // P(T > t)
  const p = alternative === 'greater' ? upper : alternative === 'less' ? 1 - upper : 2 * tail;
  return { diff, se, t, df, p };
}
