/**
 * Ren, Guo, Sutherland, "Better supervisory signals by observing learning paths" (ICLR 2022,
 * arXiv 2203.02485): the method as small functions.
 *
 * Learning path of sample n: its predicted distribution p_t(x_n) after every epoch t. With noisy
 * labels the path of a flipped sample first heads for the true posterior p*(x_n) (the network
 * learns the easy, shared pattern) and then turns towards its wrong one-hot label (memorisation):
 * a zig-zag. Filter-KD low-pass filters the path during the teacher's training, per sample, only
 * when the sample is in the current minibatch:
 *
 *   q̄_n ← (1 − α)·q̄_n + α·softmax(z_n / τ)      (q̄_n := softmax(z_n / τ) at the first visit)
 *
 * and a student (same initialisation) is then trained on the table with the temperature-scaled KL
 *
 *   L = τ² · KL(q̄_n ‖ softmax(z_s(x_n) / τ)).
 *
 * Baselines from the same initialisation and the same noisy labels: one-hot training
 * (cross-entropy on ỹ), KD from the converged teacher and from the early-stopped teacher (ESKD).
 */
import * as pg from '../../autograd/index.js';
import type { Tensor } from '../../autograd/index.js';
import { DataLoader } from '../../nn/data/index.js';
import { MLP } from '../../nn/layers.js';
import type { Module } from '../../nn/module.js';
import { crossEntropy, klDiv } from '../../nn/losses.js';
import { Adam } from '../../nn/optim.js';
import { breathe } from '../common/event-loop.js';
import { argmaxAccuracy } from '../common/metrics.js';

export interface FilterKDConfig {
  data: {
    numClasses: number;
    dim: number;
    /** Distance between class means (class std 1). */
    separation: number;
    nTrain: number;
    nVal: number;
    nTest: number;
    /** Symmetric label-noise rate on train and validation labels. */
    noise: number;
  };
  hidden: number[];
  /** Teacher and every student: Adam, same epochs / batch / lr. */
  train: { epochs: number; batch: number; lr: number };
  /** Filter-KD: EMA weight α of the table and the temperature τ of the table and of the KD losses. */
  alpha: number;
  temperature: number;
}

export const CONFIG: FilterKDConfig = {
  data: { numClasses: 3, dim: 10, separation: 3, nTrain: 512, nVal: 256, nTest: 2048, noise: 0.3 },
  hidden: [64, 64],
  train: { epochs: 80, batch: 128, lr: 1e-3 },
  alpha: 0.02,
  temperature: 1,
};

/** An MLP classifier dim → hidden… → K (ReLU). */
export function makeModel(cfg: FilterKDConfig, g: pg.Generator): MLP {
  return new MLP([cfg.data.dim, ...cfg.hidden, cfg.data.numClasses], { generator: g });
}

/** softmax(z / τ). */
export function temperedSoftmax(logits: Tensor, temperature: number): Tensor {
  return (temperature === 1 ? logits : logits.div(temperature)).softmax(-1);
}

/**
 * One Filter-KD table update for the samples of a minibatch: rows `index` of `table` move to
 * (1 − α)·q̄ + α·p, and rows never visited before (`first`, bool [B]) are set to p. Returns the
 * new table (the indices of one batch are distinct).
 */
export function filterUpdate(table: Tensor, index: Tensor, probs: Tensor, alpha: number, first?: Tensor): Tensor {
  return pg.tidy(() => {
    const K = table.shape[1]!;
    const old = table.indexSelect(0, index);
    let a: Tensor | number = alpha;
    if (first) a = first.unsqueeze(1).cast(table.dtype).mul(1 - alpha).add(alpha); // 1 at a first visit, α otherwise
    const delta = probs.cast(table.dtype).sub(old).mul(a);
    return table.scatterAdd(0, index.unsqueeze(1).expand([index.shape[0]!, K]), delta);
  });
}

/** The per-sample table q̄ [n, K] with its visited mask (host side). */
export class FilterTable {
  table: Tensor;
  private readonly seen: Uint8Array;
  constructor(readonly n: number, readonly numClasses: number, readonly alpha: number) {
    this.table = pg.keep(pg.full([n, numClasses], 1 / numClasses));
    this.seen = new Uint8Array(n);
  }
  /** Updates the rows of `index` (int32 [B]) with the batch's probabilities [B, K]. */
  async update(index: Tensor, probs: Tensor): Promise<void> {
    const idx = await index.data();
    const firstHost = new Uint8Array(idx.length);
    let any = false;
    idx.forEach((i, k) => {
      if (!this.seen[i]) {
        firstHost[k] = 1;
        this.seen[i] = 1;
        any = true;
      }
    });
    const first = any ? pg.tensor(firstHost, { dtype: 'bool', shape: [idx.length], device: index.device }) : undefined;
    const next = pg.keep(filterUpdate(this.table, index, probs, this.alpha, first));
    first?.dispose();
    this.table.dispose();
    this.table = next;
  }
  dispose(): void {
    this.table.dispose();
  }
}

/** Temperature-scaled distillation loss τ² · KL(q ‖ softmax(z / τ)), averaged over the batch. */
export function distillLoss(logits: Tensor, target: Tensor, temperature: number): Tensor {
  const logq = (temperature === 1 ? logits : logits.div(temperature)).logSoftmax(-1);
  return klDiv(logq, target, { reduction: 'batchmean' }).mul(temperature * temperature);
}

/** A training target: hard (noisy) labels, or one distribution per training sample. */
export type Target = { kind: 'hard'; y: Tensor } | { kind: 'soft'; q: Tensor };

export interface TrainHooks {
  /** After every minibatch step, with the batch's logits (before the step) and dataset indices. */
  onBatch?(logits: Tensor, index: Tensor): Promise<void> | void;
  /** After every epoch e = 1..epochs. */
  onEpoch?(epoch: number): Promise<void> | void;
}

/**
 * Trains `model` with Adam for cfg.train.epochs on x with the target: cross-entropy for hard
 * labels, the temperature-scaled KL for soft targets. `g` shuffles the batches.
 */
export async function trainModel(model: Module, x: Tensor, target: Target, cfg: FilterKDConfig, g: pg.Generator, hooks: TrainHooks = {}): Promise<void> {
  const params = model.parameters();
  const opt = new Adam(params, { lr: cfg.train.lr });
  const t = target.kind === 'hard' ? target.y : target.q;
  const loader = new DataLoader({ dataset: { x, t }, batchSize: cfg.train.batch, shuffle: true, generator: g });
  for (let e = 1; e <= cfg.train.epochs; e++) {
    for (const b of loader) {
      const logits = pg.tidy(() => {
        const z = model.forward(b.x);
        const loss = target.kind === 'hard' ? crossEntropy(z, b.t) : distillLoss(z, b.t, cfg.temperature);
        loss.backward();
        opt.step();
        pg.zeroGrad(params);
        return z.detach();
      });
      await hooks.onBatch?.(logits, b.index);
      logits.dispose();
      b.dispose();
    }
    await hooks.onEpoch?.(e);
    await breathe();
  }
}

/** Predicted distributions softmax(model(x)) [n, K] (no gradient). */
export function predict(model: Module, x: Tensor, temperature = 1): Tensor {
  return pg.tidy(() => pg.noGrad(() => temperedSoftmax(model.forward(x), temperature)));
}

export function accuracy(model: Module, x: Tensor, y: Tensor): Promise<number> {
  return argmaxAccuracy(() => model.forward(x), y);
}

// ------------------------------------------------------------------ path statistics (host side)

/** Row-wise Euclidean distances ‖a_n − b_n‖ of two [n, K] row-major arrays. */
export function rowDistances(a: ArrayLike<number>, b: ArrayLike<number>, K: number): Float64Array {
  const n = a.length / K;
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let s = 0;
    for (let k = 0; k < K; k++) s += (a[i * K + k]! - b[i * K + k]!) ** 2;
    out[i] = Math.sqrt(s);
  }
  return out;
}

/** ‖e_y − p‖ per row, for labels y and distributions p [n, K]. */
export function oneHotDistances(y: ArrayLike<number>, p: ArrayLike<number>, K: number): Float64Array {
  const out = new Float64Array(y.length);
  for (let i = 0; i < y.length; i++) {
    let s = 0;
    for (let k = 0; k < K; k++) s += ((k === y[i] ? 1 : 0) - p[i * K + k]!) ** 2;
    out[i] = Math.sqrt(s);
  }
  return out;
}

/**
 * Mean step length of a path per sample: path[t] holds [n, K] distributions at times t = 0..T;
 * returns mean_n mean_t ‖path[t+1]_n − path[t]_n‖ over t ≥ from.
 */
export function meanStep(path: ArrayLike<number>[], K: number, from = 0): number {
  let s = 0, c = 0;
  for (let t = from; t + 1 < path.length; t++) {
    const d = rowDistances(path[t + 1]!, path[t]!, K);
    for (const v of d) s += v;
    c += d.length;
  }
  return s / c;
}

/**
 * Zig-zag test of one distance curve d_0..d_T (distance to p* along a learning path): it first
 * falls by at least `delta` to its minimum, then rises by at least `delta` from it.
 */
export function isZigZag(d: ArrayLike<number>, delta: number): boolean {
  let m = 0;
  for (let t = 1; t < d.length; t++) if (d[t]! < d[m]!) m = t;
  return d[0]! - d[m]! >= delta && d[d.length - 1]! - d[m]! >= delta;
}
