/**
 * The lpNTK experiment's training protocol and small statistics: plain minibatch SGD on the MLP of
 * index.ts (the paper's setting: no momentum, no weight decay), per-row correctness, float64
 * checkpoints for the exact computations, and the detection statistics (precision / recall,
 * ROC AUC, cluster purity). The experiment (experiment.ts) composes these into the paper's steps.
 */
import * as pg from '../../autograd/index.js';
import type { Tensor } from '../../autograd/index.js';
import { breathe } from '../common/event-loop.js';
import { argmaxAccuracy } from '../common/metrics.js';
import { permutation } from '../common/random.js';
import { crossEntropy, mlpForward } from './index.js';

export interface LabelledSet {
  x: Tensor;
  y: Tensor;
}

export function indexTensor(ids: ArrayLike<number>, device: pg.Device): Tensor {
  return pg.tensor(Int32Array.from(ids as ArrayLike<number>), { shape: [ids.length], dtype: 'int32', device });
}

/** One in-place SGD step of size lr on the mean cross-entropy of the rows `idx`. */
export function sgdUpdate(params: Tensor[], data: LabelledSet, idx: Tensor, lr: number): void {
  pg.tidy(() => {
    const xb = data.x.indexSelect(0, idx);
    const yb = data.y.indexSelect(0, idx);
    // pg.grad under noGrad: plain first-order gradients, no graph kept (see README, "core notes").
    const grads = pg.noGrad(() => pg.grad((...w: Tensor[]) => crossEntropy(mlpForward(w, xb), yb), params.map((_, i) => i))(...params) as Tensor[]);
    pg.noGrad(() => params.forEach((p, i) => p.assign_(p.sub(grads[i]!.mul(lr)))));
  });
}

/** Per-row correctness of the model's argmax (host 0/1 array). */
export async function correctness(params: Tensor[], data: LabelledSet): Promise<Uint8Array> {
  const t = pg.tidy(() => pg.noGrad(() => mlpForward(params, data.x).argmax(1).eq(data.y)));
  const a = Uint8Array.from(await t.data(), (v) => (v ? 1 : 0));
  t.dispose();
  return a;
}

export function accuracy(params: Tensor[], data: LabelledSet): Promise<number> {
  return argmaxAccuracy(() => mlpForward(params, data.x), data.y);
}

/**
 * Plain minibatch SGD (no momentum, no weight decay) for `steps` steps over reshuffled epochs of
 * the rows `rows` (all rows by default); onStep runs after each step (counted from 1), onEpoch
 * after each completed pass.
 */
export async function trainSGD(
  params: Tensor[],
  data: LabelledSet,
  opts: {
    steps: number;
    batch: number;
    lr: number;
    rows?: number[];
    onEpoch?: (epoch: number) => Promise<void> | void;
    onStep?: (step: number) => Promise<void> | void;
  },
  g: pg.Generator,
): Promise<void> {
  const rows = opts.rows ?? Array.from({ length: data.x.shape[0]! }, (_, i) => i);
  const perEpoch = Math.floor(rows.length / opts.batch);
  if (perEpoch < 1) throw new Error(`trainSGD: ${rows.length} rows is less than one batch of ${opts.batch}`);
  let step = 0;
  let epoch = 0;
  while (step < opts.steps) {
    const perm = permutation(rows.length, g);
    for (let b = 0; b < perEpoch && step < opts.steps; b++, step++) {
      const ids = Array.from(perm.subarray(b * opts.batch, (b + 1) * opts.batch), (k) => rows[k]!);
      const idx = indexTensor(ids, data.x.device);
      sgdUpdate(params, data, idx, opts.lr);
      idx.dispose();
      if (opts.onStep) await opts.onStep(step + 1);
    }
    epoch++;
    if (opts.onEpoch) await opts.onEpoch(epoch);
    await breathe();
  }
}

/** Parameters of an MLP with these widths, drawn on the CPU from g (the same numbers on every device), then moved. */
export function initParams(widths: number[], g: pg.Generator, device: pg.Device): Tensor[] {
  const o = { generator: g, device: 'cpu' as pg.Device };
  const cpu: Tensor[] = [];
  for (let l = 0; l + 1 < widths.length; l++) cpu.push(pg.randn([widths[l]!, widths[l + 1]!], o), pg.randn([widths[l + 1]!], o));
  const moved = cpu.map((t) => (device === 'cpu' ? t : pg.tidy(() => t.to(device))));
  if (device !== 'cpu') disposeAll(cpu);
  return moved;
}

/** Float64 CPU copies of (possibly device) parameters, for the exact computations. */
export async function snapshot(params: Tensor[]): Promise<Tensor[]> {
  const out: Tensor[] = [];
  for (const p of params) {
    const c = await pg.toDevice(p.detach(), 'cpu');
    out.push(pg.tidy(() => c.to('float64').contiguous()));
    if (c !== p) c.dispose();
  }
  return out;
}

export function cloneParams(ps: Tensor[]): Tensor[] {
  return ps.map((p) => pg.tidy(() => p.detach().clone()));
}

export function disposeAll(ts: Iterable<Tensor>): void {
  for (const t of ts) t.dispose();
}

// ---------------------------------------------------------------- detection statistics

export function prf(pred: boolean[], truth: boolean[]): { precision: number; recall: number; f1: number; predicted: number; positives: number } {
  let tp = 0, fp = 0, fn = 0;
  pred.forEach((p, i) => {
    if (p && truth[i]) tp++;
    else if (p) fp++;
    else if (truth[i]) fn++;
  });
  const precision = tp + fp > 0 ? tp / (tp + fp) : 0;
  const recall = tp + fn > 0 ? tp / (tp + fn) : 0;
  const f1 = precision + recall > 0 ? (2 * precision * recall) / (precision + recall) : 0;
  return { precision, recall, f1, predicted: tp + fp, positives: tp + fn };
}

/** ROC AUC of `score` for the positives (ties count one half). */
export function rocAuc(score: number[], positive: boolean[]): number {
  const idx = score.map((_, i) => i).sort((a, b) => score[a]! - score[b]!);
  const rank = new Float64Array(score.length);
  for (let a = 0; a < idx.length; ) {
    let b = a;
    while (b + 1 < idx.length && score[idx[b + 1]!] === score[idx[a]!]) b++;
    for (let c = a; c <= b; c++) rank[idx[c]!] = (a + b) / 2 + 1;
    a = b + 1;
  }
  let pos = 0;
  let sum = 0;
  positive.forEach((p, i) => {
    if (p) {
      pos++;
      sum += rank[i]!;
    }
  });
  const neg = positive.length - pos;
  return pos > 0 && neg > 0 ? (sum - (pos * (pos + 1)) / 2) / (pos * neg) : NaN;
}

/** Purity of a cluster against group labels: the largest share of one planted group (non-duplicates are each their own group). */
export function purity(members: number[], groupId: ArrayLike<number>): number {
  const count = new Map<number, number>();
  for (const i of members) {
    const gid = groupId[i]! >= 0 ? groupId[i]! : -1 - i;
    count.set(gid, (count.get(gid) ?? 0) + 1);
  }
  return Math.max(...count.values()) / members.length;
}
