// Gaussian-mixture classification data with a known Bayes posterior.
import * as pg from '../../autograd/index.js';
import { genOf, normals, uniforms, sampleIndex, type Generator } from './draw.js';

type Tensor = pg.Tensor;

export interface GaussianMixtureOptions {
  numClasses: number;
  dim: number;
  n: number;
  /** Distance between every pair of class means (exact when numClasses <= dim; see below). Default 3. */
  separation?: number;
  /** Isotropic standard deviation of each class. Default 1. */
  std?: number;
  /** Class prior probabilities (normalised; default uniform). */
  priors?: number[];
  generator?: Generator;
  /** float32 (default) or float64 for x and the posterior. */
  dtype?: 'float32' | 'float64';
}

export interface GaussianMixture {
  /** Features [n, dim]. */
  x: Tensor;
  /** Labels [n] int32, drawn from the priors. */
  y: Tensor;
  /** Class means [numClasses, dim] (float64 rows). */
  means: number[][];
  priors: number[];
  std: number;
  separation: number;
  /**
   * The exact Bayes posterior p*(y = k | x) = softmax_k(log pi_k - |x - mu_k|^2 / (2 std^2)) for the
   * rows of x: [m, numClasses], computed in float64 and returned in x's dtype.
   */
  truePosterior(x: Tensor): Tensor;
  /** Pairwise Bayes error of classes i and j with equal priors: Phi(-|mu_i - mu_j| / (2 std)). */
  pairwiseBayesError(i: number, j: number): number;
}

/**
 * Samples y ~ Categorical(priors), x = mu_y + std * N(0, I_dim): a Gaussian mixture whose overlap is
 * set by separation / std (two classes at distance d overlap with Bayes error Phi(-d / (2 std))).
 * Means: with numClasses <= dim, a random orthonormal set scaled by separation / sqrt(2), so every
 * pair is exactly `separation` apart; otherwise i.i.d. N(0, separation^2 / (2 dim) I) vectors,
 * whose pairwise distances are `separation` on average (concentrating as dim grows).
 */
export function gaussianMixture(opts: GaussianMixtureOptions): GaussianMixture {
  const { numClasses: K, dim: D, n } = opts;
  const separation = opts.separation ?? 3;
  const std = opts.std ?? 1;
  const dtype = opts.dtype ?? 'float32';
  if (!Number.isInteger(K) || K < 1) throw new Error(`gaussianMixture: numClasses must be a positive integer, got ${K}`);
  if (!Number.isInteger(D) || D < 1) throw new Error(`gaussianMixture: dim must be a positive integer, got ${D}`);
  if (!Number.isInteger(n) || n < 0) throw new Error(`gaussianMixture: n must be a non-negative integer, got ${n}`);
  if (!(separation >= 0)) throw new Error(`gaussianMixture: separation must be >= 0, got ${separation}`);
  if (!(std > 0)) throw new Error(`gaussianMixture: std must be > 0, got ${std}`);
  const rawPriors = opts.priors ?? new Array(K).fill(1);
  if (rawPriors.length !== K || rawPriors.some((p) => !(p >= 0)) || !(rawPriors.reduce((a, b) => a + b, 0) > 0))
    throw new Error(`gaussianMixture: priors must be ${K} non-negative numbers with a positive sum`);
  const ps = rawPriors.reduce((a, b) => a + b, 0);
  const priors = rawPriors.map((p) => p / ps);
  const g = genOf(opts.generator);

  // Means.
  const z = normals(K * D, g);
  const means: number[][] = [];
  if (K <= D) {
    // Gram-Schmidt (twice, for accuracy) on Gaussian vectors: a uniformly random orthonormal set.
    for (let k = 0; k < K; k++) {
      const v = Array.from(z.subarray(k * D, (k + 1) * D));
      for (let pass = 0; pass < 2; pass++)
        for (const u of means) {
          let dot = 0;
          for (let d = 0; d < D; d++) dot += v[d] * u[d];
          for (let d = 0; d < D; d++) v[d] -= dot * u[d];
        }
      const norm = Math.sqrt(v.reduce((a, b) => a + b * b, 0));
      means.push(v.map((e) => e / norm));
    }
    const s = separation / Math.SQRT2;
    for (const m of means) for (let d = 0; d < D; d++) m[d] *= s;
  } else {
    const s = separation / Math.sqrt(2 * D);
    for (let k = 0; k < K; k++) means.push(Array.from(z.subarray(k * D, (k + 1) * D), (e) => e * s));
  }

  // Labels and features.
  const u = uniforms(n, g);
  const y = new Int32Array(n);
  for (let i = 0; i < n; i++) y[i] = sampleIndex(priors, 0, K, u[i]);
  const noise = normals(n * D, g);
  const xs = dtype === 'float64' ? new Float64Array(n * D) : new Float32Array(n * D);
  for (let i = 0; i < n; i++) {
    const m = means[y[i]];
    for (let d = 0; d < D; d++) xs[i * D + d] = m[d] + std * noise[i * D + d];
  }

  const logPriors = priors.map((p) => Math.log(p));
  const truePosterior = (x: Tensor): Tensor => {
    if (x.rank !== 2 || x.shape[1] !== D) throw new Error(`truePosterior: expected x of shape [m, ${D}], got [${x.shape}]`);
    const data = x.dataSync();
    const m = x.shape[0];
    const out = new Float64Array(m * K);
    const logits = new Float64Array(K);
    for (let i = 0; i < m; i++) {
      let mx = -Infinity;
      for (let k = 0; k < K; k++) {
        let d2 = 0;
        const mu = means[k];
        for (let d = 0; d < D; d++) {
          const e = data[i * D + d] - mu[d];
          d2 += e * e;
        }
        logits[k] = logPriors[k] - d2 / (2 * std * std);
        if (logits[k] > mx) mx = logits[k];
      }
      let s = 0;
      for (let k = 0; k < K; k++) s += out[i * K + k] = Math.exp(logits[k] - mx);
      for (let k = 0; k < K; k++) out[i * K + k] /= s;
    }
    const outDtype = x.dtype === 'float64' ? 'float64' : 'float32';
    return pg.tensor(outDtype === 'float64' ? out : Float32Array.from(out), { shape: [m, K], device: x.device });
  };

  const pairwiseBayesError = (i: number, j: number): number => {
    let d2 = 0;
    for (let d = 0; d < D; d++) d2 += (means[i][d] - means[j][d]) ** 2;
    return normalCdf(-Math.sqrt(d2) / (2 * std));
  };

  return {
    x: pg.tensor(xs, { shape: [n, D] }),
    y: pg.tensor(y, { shape: [n] }),
    means,
    priors,
    std,
    separation,
    truePosterior,
    pairwiseBayesError,
  };
}

/** The standard normal CDF, Phi(x) = erfc(-x / sqrt 2) / 2. */
export function normalCdf(x: number): number {
  return 0.5 * erfc(-x / Math.SQRT2);
}

/** Complementary error function (relative error ~1e-12 or better): erf's Taylor series below 2, a continued fraction above. */
export function erfc(x: number): number {
  if (Number.isNaN(x)) return NaN;
  if (x < 0) return 2 - erfc(-x);
  if (x < 2) {
    // erf(x) = 2/sqrt(pi) * sum_n (-1)^n x^(2n+1) / (n! (2n+1))
    let term = x, sum = x;
    for (let k = 1; k < 200; k++) {
      term *= (-x * x) / k;
      const add = term / (2 * k + 1);
      sum += add;
      if (Math.abs(add) < 1e-17 * Math.abs(sum)) break;
    }
    return 1 - (2 / Math.sqrt(Math.PI)) * sum;
  }
  // erfc(x) = exp(-x^2)/sqrt(pi) * 1/(x + 1/2/(x + 1/(x + 3/2/(x + ...)))) (Lentz-free backward evaluation).
  let f = x;
  for (let k = 120; k >= 1; k--) f = x + k / 2 / f;
  return Math.exp(-x * x) / Math.sqrt(Math.PI) / f;
}
