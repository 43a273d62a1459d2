/**
 * Distribution shift between level generators, measured without RL: how well a logistic regression
 * on level features (generators.ts levelFeatures) tells generated levels from held-out G* levels.
 * AUC 0.5: indistinguishable; 1: perfectly separable.
 */
import type { Rng } from '../../nn/rl/rng.js';

/** Area under the ROC curve of scores for positives vs negatives (Mann–Whitney, ties count ½). */
export function auc(positive: ArrayLike<number>, negative: ArrayLike<number>): number {
  const all = [...Array.from(positive, (v) => [v, 1] as const), ...Array.from(negative, (v) => [v, 0] as const)].sort((a, b) => a[0] - b[0]);
  let rankSum = 0;
  for (let i = 0; i < all.length; ) {
    let j = i;
    while (j < all.length && all[j]![0] === all[i]![0]) j++;
    const midRank = (i + 1 + j) / 2; // ranks i+1 .. j share their mean
    for (let k = i; k < j; k++) if (all[k]![1] === 1) rankSum += midRank;
    i = j;
  }
  const np = positive.length, nn = negative.length;
  if (!np || !nn) throw new Error('auc: need positives and negatives');
  return (rankSum - (np * (np + 1)) / 2) / (np * nn);
}

/** Solves A x = b (A symmetric positive definite, n×n row-major) by Cholesky. */
function solveSpd(A: Float64Array, b: Float64Array, n: number): Float64Array {
  const L = new Float64Array(n * n);
  for (let i = 0; i < n; i++)
    for (let j = 0; j <= i; j++) {
      let s = A[i * n + j]!;
      for (let k = 0; k < j; k++) s -= L[i * n + k]! * L[j * n + k]!;
      if (i === j) {
        if (!(s > 0)) throw new Error('solveSpd: matrix is not positive definite');
        L[i * n + i] = Math.sqrt(s);
      } else L[i * n + j] = s / L[j * n + j]!;
    }
  const y = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let s = b[i]!;
    for (let k = 0; k < i; k++) s -= L[i * n + k]! * y[k]!;
    y[i] = s / L[i * n + i]!;
  }
  const x = new Float64Array(n);
  for (let i = n - 1; i >= 0; i--) {
    let s = y[i]!;
    for (let k = i + 1; k < n; k++) s -= L[k * n + i]! * x[k]!;
    x[i] = s / L[i * n + i]!;
  }
  return x;
}

/**
 * L2-regularised logistic regression (penalty λ·‖w‖², intercept unpenalised) by Newton's method on
 * standardised features; returns a scoring function (the logit) for raw feature vectors.
 */
export function fitLogistic(x: number[][], y: number[], lambda = 1e-2, iters = 25): (f: number[]) => number {
  const n = x.length, d = x[0]!.length, p = d + 1;
  const mu = new Float64Array(d), sd = new Float64Array(d);
  for (const r of x) for (let j = 0; j < d; j++) mu[j] += r[j]! / n;
  for (const r of x) for (let j = 0; j < d; j++) sd[j] += (r[j]! - mu[j]!) ** 2 / n;
  for (let j = 0; j < d; j++) sd[j] = Math.sqrt(sd[j]!) || 1;
  const z = x.map((r) => [1, ...r.map((v, j) => (v - mu[j]!) / sd[j]!)]);
  const w = new Float64Array(p);
  for (let it = 0; it < iters; it++) {
    const g = new Float64Array(p), H = new Float64Array(p * p);
    for (let i = 0; i < n; i++) {
      const zi = z[i]!;
      let s = 0;
      for (let j = 0; j < p; j++) s += w[j]! * zi[j]!;
      const q = 1 / (1 + Math.exp(-s));
      const r = q - y[i]!, h = q * (1 - q);
      for (let j = 0; j < p; j++) {
        g[j] += r * zi[j]!;
        for (let k = 0; k <= j; k++) H[j * p + k] += h * zi[j]! * zi[k]!;
      }
    }
    for (let j = 1; j < p; j++) (g[j] += 2 * lambda * n * w[j]!), (H[j * p + j] += 2 * lambda * n);
    H[0] += 1e-9 * n;
    for (let j = 0; j < p; j++) for (let k = 0; k < j; k++) H[k * p + j] = H[j * p + k]!;
    const step = solveSpd(H, g, p);
    let change = 0;
    for (let j = 0; j < p; j++) (w[j] -= step[j]!), (change = Math.max(change, Math.abs(step[j]!)));
    if (change < 1e-9) break;
  }
  return (f: number[]) => {
    let s = w[0]!;
    for (let j = 0; j < d; j++) s += (w[j + 1]! * (f[j]! - mu[j]!)) / sd[j]!;
    return s;
  };
}

/**
 * Real-vs-generated AUC with 2-fold cross-validation: each set is split in two at random (seeded),
 * the classifier trained on one half of both and scored on the other, and the two AUCs averaged.
 */
export function shiftAUC(real: number[][], generated: number[][], rng: Rng): number {
  const split = (rows: number[][]) => {
    const perm = rng.permutation(rows.length);
    const h = rows.length >> 1;
    return [Array.from(perm.subarray(0, h), (i) => rows[i]!), Array.from(perm.subarray(h), (i) => rows[i]!)] as const;
  };
  const [ra, rb] = split(real), [ga, gb] = split(generated);
  let total = 0;
  for (const [trR, trG, teR, teG] of [[ra, ga, rb, gb], [rb, gb, ra, ga]] as const) {
    const score = fitLogistic([...trR, ...trG], [...trR.map(() => 0), ...trG.map(() => 1)]);
    total += auc(teG.map(score), teR.map(score));
  }
  return total / 2;
}
