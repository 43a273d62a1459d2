/**
 * Chen, Rong, Guo, Han, Sun, Xu, Huang, "Smoothing Matters: Momentum Transformer for Domain
 * Adaptive Semantic Segmentation" (arXiv 2203.07988): the method as small functions.
 *
 *   1. train a segmenter (a local ViT) on labelled source images;
 *   2. self-training rounds on the unlabelled target: at the start of each round a labeller gives
 *      hard pseudo-labels ŷ = argmax f(x_t) for every target image; during the round the student
 *      minimises CE(source labels) + λ CE(ŷ) (+ an adversarial alignment term);
 *   3. the momentum network (the paper's low-pass filter): a teacher θ' ← m θ' + (1 − m) θ after
 *      every student step. It is the labeller and the model evaluated; "student self-training"
 *      is the same loop with the student as its own labeller (m = 0);
 *   4. dynamic discrepancy measurement (DDM): per-pixel weights for the adversarial alignment from
 *      the prediction entropy H (normalised by log K) and an auxiliary pixel-level domain
 *      discriminator's source probability d:  s = H − d, min-max normalised per batch:
 *      w_source = norm(s), w_target = norm(−s). A main discriminator D learns source (0) vs
 *      target (1) on the student's source features and the teacher's target features, weighted by
 *      w; the student learns to make D call its source features "target" (weighted by w_source),
 *      so the source features move towards the smooth momentum features of the target.
 * Metrics: per-class IoU from the confusion matrix over a test set, mIoU, and the flip rate of
 * pseudo-labels between consecutive checkpoints (the fraction of pixels whose label changed).
 */
import * as pg from '../../autograd/index.js';
import type { Tensor, Generator } from '../../autograd/index.js';
import { Module } from '../../nn/module.js';
import { Linear } from '../../nn/layers.js';
import { AdamW } from '../../nn/optim.js';
import { binaryCrossEntropyWithLogits, crossEntropy } from '../../nn/losses.js';
import { ema } from '../../nn/utils.js';
import { permutation } from '../../nn/data/draw.js';
import { breathe } from '../common/event-loop.js';
import type { SegModel } from './models.js';

export * from './data.js';
export * from './models.js';

// ------------------------------------------------------------------------------ the momentum network

/**
 * The momentum (EMA) teacher: a copy of the student with gradients switched off. Update it with
 * updateTeacher after each student step; nothing computed from it is ever differentiated.
 */
export function makeTeacher<M extends Module>(student: M): M {
  const t = student.clone();
  t.requiresGrad_(false);
  t.eval();
  return t;
}

/** θ' ← decay · θ' + (1 − decay) · θ (pg.nn.ema under noGrad): decay 0 copies, decay 1 freezes. */
export function updateTeacher(teacher: Module, student: Module, decay: number): void {
  ema.update(teacher, student, decay);
}

// ------------------------------------------------------------------------------ predictions and metrics

/** Hard labels argmax_k f(x) [N, S, S] int32 for images [N, 3, S, S], in chunks, without gradients. */
export function predictLabels(model: SegModel, x: Tensor, chunk = 64): Tensor {
  return pg.tidy(() =>
    pg.noGrad(() => {
      const parts: Tensor[] = [];
      for (let i = 0; i < x.shape[0]; i += chunk) parts.push(model.forward(x.narrow(0, i, Math.min(chunk, x.shape[0] - i))).argmax(-1).int());
      return parts.length === 1 ? parts[0]! : pg.cat(parts, 0);
    }),
  );
}

/** Confusion counts conf[k * K + j] = #pixels with label k predicted as j (labels outside [0, K) are skipped). */
export function confusionMatrix(pred: ArrayLike<number>, label: ArrayLike<number>, K: number): Float64Array {
  if (pred.length !== label.length) throw new Error(`confusionMatrix: ${pred.length} predictions for ${label.length} labels`);
  const conf = new Float64Array(K * K);
  for (let i = 0; i < pred.length; i++) {
    const k = label[i]!, j = pred[i]!;
    if (k >= 0 && k < K && j >= 0 && j < K) conf[k * K + j]!++;
  }
  return conf;
}

/** Per-class IoU = TP / (TP + FP + FN); NaN for a class absent from both labels and predictions. */
export function classIoU(conf: Float64Array, K: number): number[] {
  return Array.from({ length: K }, (_, k) => {
    let fp = 0, fn = 0;
    for (let j = 0; j < K; j++) if (j !== k) (fn += conf[k * K + j]!, fp += conf[j * K + k]!);
    const tp = conf[k * K + k]!;
    const union = tp + fp + fn;
    return union > 0 ? tp / union : NaN;
  });
}

/** Mean of the per-class IoUs that are defined (NaN if none is). */
export function meanIoU(ious: readonly number[]): number {
  const d = ious.filter((v) => !Number.isNaN(v));
  return d.length ? d.reduce((a, b) => a + b, 0) / d.length : NaN;
}

/** Fraction of positions where two label maps differ. */
export function flipRate(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`flipRate: label maps of ${a.length} and ${b.length} pixels`);
  let d = 0;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) d++;
  return a.length ? d / a.length : 0;
}

export interface Evaluation {
  miou: number;
  iou: number[];
  pixelAcc: number;
}

/** mIoU, per-class IoU and pixel accuracy of model on labelled images. */
export async function evaluate(model: SegModel, x: Tensor, labels: Int32Array, K: number): Promise<Evaluation> {
  const p = predictLabels(model, x);
  const pred = (await p.data()) as Int32Array;
  p.dispose();
  const conf = confusionMatrix(pred, labels, K);
  const iou = classIoU(conf, K);
  let tp = 0;
  for (let k = 0; k < K; k++) tp += conf[k * K + k]!;
  return { miou: meanIoU(iou), iou, pixelAcc: tp / labels.length };
}

// ------------------------------------------------------------------------------ dynamic discrepancy

/** Per-pixel entropy of softmax(logits / T) over the last (class) dim, divided by log K: in [0, 1]. */
export const normalizedEntropy = pg.scoped(function normalizedEntropy(logits: Tensor, temperature = 1): Tensor {
  const K = logits.shape[logits.rank - 1];
  const logp = logits.div(temperature).logSoftmax(-1);
  return logp.exp().mul(logp).sum(-1).neg().div(Math.log(K));
});

/**
 * (x − min) / (max − min) over the whole tensor (one batch), so the weights span [0, 1]. A constant
 * x has no spread to normalise: every weight is then 1 (the unweighted loss).
 */
export const minMaxNormalize = pg.scoped(function minMaxNormalize(x: Tensor): Tensor {
  const lo = x.min(), hi = x.max();
  const span = hi.sub(lo);
  return pg.where(span.gt(0), x.sub(lo).div(pg.maximum(span, 1e-30)), pg.onesLike(x));
});

/**
 * The DDM weights of one batch: s = H − d (H: normalised prediction entropy, d: the auxiliary
 * discriminator's probability that the pixel is from the source), then w = norm(s) for source
 * pixels (uncertain, target-looking source pixels matter most) and norm(−s) for target pixels
 * (confident, source-looking target pixels matter most). No gradient flows through the weights.
 */
export function discrepancyWeights(entropy: Tensor, pSource: Tensor, domain: 'source' | 'target'): Tensor {
  return pg.tidy(() =>
    pg.noGrad(() => {
      const s = entropy.sub(pSource);
      return minMaxNormalize(domain === 'source' ? s : s.neg());
    }),
  );
}

/** Average-pools a per-pixel map [N, S, S] to the patch grid [N, S/p, S/p]. */
export function poolToGrid(m: Tensor, patch: number): Tensor {
  const [N, S] = m.shape;
  const h = S / patch;
  return m.reshape([N, h, patch, h, patch]).mean([2, 4]);
}

/** A pixel-level (here: patch-level) domain discriminator: an MLP on each feature vector -> one logit. */
export class PixelDiscriminator extends Module {
  fc1: Linear;
  fc2: Linear;
  constructor(dim: number, hidden: number, opts: { generator?: Generator } = {}) {
    super();
    this.fc1 = new Linear(dim, hidden, { generator: opts.generator });
    this.fc2 = new Linear(hidden, 1, { generator: opts.generator });
  }
  /** Features [N, h, w, D] -> logits [N, h, w] of "this location is from the target domain". */
  forward(f: Tensor): Tensor {
    const y = this.fc2.forward(this.fc1.forward(f).relu());
    return y.reshape(y.shape.slice(0, -1));
  }
}

// ------------------------------------------------------------------------------ training

export interface OptimConfig {
  /** Images per domain per step. */
  batch: number;
  lr: number;
  weightDecay: number;
}

/** Batches of indices into n items: a fresh permutation of the generator per pass. */
export class IndexSampler {
  private perm: Int32Array = new Int32Array(0);
  private at = 0;
  constructor(private readonly n: number, private readonly g: Generator) {}
  next(batch: number): Int32Array {
    const out = new Int32Array(batch);
    for (let i = 0; i < batch; i++) {
      if (this.at === this.perm.length) (this.perm = permutation(this.n, this.g), (this.at = 0));
      out[i] = this.perm[this.at++]!;
    }
    return out;
  }
}

function take(t: Tensor, idx: Int32Array): Tensor {
  return t.indexSelect(0, pg.tensor(idx, { dtype: 'int32', device: t.device }));
}

/** Per-pixel cross-entropy of logits [N, S, S, K] against labels [N, S, S] (−1 = ignored). */
export function segmentationLoss(logits: Tensor, labels: Tensor): Tensor {
  const K = logits.shape[logits.rank - 1];
  return crossEntropy(logits.reshape([-1, K]), labels.reshape([-1]), { ignoreIndex: -1 });
}

/**
 * The pseudo-label cross-entropy: summed over the confident pixels (label ≥ 0) and divided by all
 * pixels, so a batch counts in proportion to how much of it the labeller is sure about (as
 * DAFormer's quality weight), and a batch with no confident pixel contributes 0, not 0/0.
 */
export function pseudoLabelLoss(logits: Tensor, labels: Tensor): Tensor {
  const K = logits.shape[logits.rank - 1];
  return crossEntropy(logits.reshape([-1, K]), labels.reshape([-1]), { ignoreIndex: -1, reduction: 'sum' }).div(labels.size);
}

/** Supervised training on the source: `steps` AdamW steps of the per-pixel cross-entropy. */
export async function trainSource(model: SegModel, x: Tensor, y: Tensor, steps: number, o: OptimConfig, g: Generator,
  onStep?: (step: number) => void | Promise<void>): Promise<void> {
  const opt = new AdamW(model.parameters(), { lr: o.lr, weightDecay: o.weightDecay });
  const sampler = new IndexSampler(x.shape[0], g);
  model.train();
  for (let s = 1; s <= steps; s++) {
    const idx = sampler.next(o.batch);
    pg.tidy(() => {
      segmentationLoss(model.forward(take(x, idx)), take(y, idx)).backward();
      opt.step();
      opt.zeroGrad();
    });
    await onStep?.(s);
    await breathe();
  }
  opt.dispose();
}

export type Labeller = 'teacher' | 'student';
export type Alignment = 'none' | 'plain' | 'weighted';

export interface SelfTrainConfig extends OptimConfig {
  rounds: number;
  /** Student steps per round; the pseudo-labels are refreshed at the start of each round. */
  roundSteps: number;
  /** Evaluate on the test set every this many rounds (and after the last). */
  evalEvery: number;
  /** Who gives the pseudo-labels and is evaluated: the momentum teacher or the student itself. */
  labeller: Labeller;
  /** EMA decay of the teacher per student step. */
  decay: number;
  /** Weight λ of the pseudo-label cross-entropy. */
  pseudoWeight: number;
  /** Pixels whose labeller confidence (max softmax probability) is below this are ignored. */
  threshold: number;
  /** Pseudo-labels: refreshed for all target images at the start of each round, or per batch at every step. */
  labelEvery: 'round' | 'step';
  /** Perturbation of the student's inputs (both domains): pixel noise and a per-image colour offset (normalised units). */
  augment: { noise: number; jitter: number };
  /** Adversarial alignment: none, unweighted, or weighted by the DDM weights. */
  alignment: Alignment;
  /** Weight of the student's adversarial loss, and the discriminators' learning rate and width. */
  advWeight: number;
  lrD: number;
  discHidden: number;
}

export interface Checkpoint {
  step: number;
  /** Labels argmax f(x) of the probe images from the student and from the teacher. */
  studentLabels: Int32Array;
  teacherLabels: Int32Array;
  /** The evaluated model's (teacher's, or the student's for student self-training) test scores; null between evaluations. */
  eval: Evaluation | null;
}

export interface SelfTrainData {
  /** Labelled source images and labels. */
  xs: Tensor;
  ys: Tensor;
  /** Unlabelled target training images. */
  xt: Tensor;
  /** Target images whose pseudo-labels every checkpoint records (flip rates, figures). */
  xProbe: Tensor;
  /** Labelled target test images (host labels). */
  xTest: Tensor;
  yTest: Int32Array;
  numClasses: number;
}

/**
 * Pseudo-labels from a labeller: argmax f(x), with −1 (ignored) where the labeller's confidence
 * max_k softmax(f(x))_k is below `threshold`. Without gradients.
 */
export function pseudoLabels(model: SegModel, x: Tensor, threshold: number, chunk = 64): Tensor {
  return pg.tidy(() =>
    pg.noGrad(() => {
      const parts: Tensor[] = [];
      for (let i = 0; i < x.shape[0]; i += chunk) {
        const p = model.forward(x.narrow(0, i, Math.min(chunk, x.shape[0] - i))).softmax(-1);
        const lab = p.argmax(-1).int();
        parts.push(threshold > 0 ? pg.where(p.max(-1).lt(threshold), -1, lab).int() : lab);
      }
      return parts.length === 1 ? parts[0]! : pg.cat(parts, 0);
    }),
  );
}

/** x + noise·N(0, 1) per pixel + jitter·N(0, 1) per image and channel (x: [N, 3, S, S]). */
export function perturb(x: Tensor, a: { noise: number; jitter: number }, g: Generator): Tensor {
  if (!a.noise && !a.jitter) return x;
  const [N, C] = x.shape;
  let y = x;
  if (a.noise) y = y.add(pg.randn(x.shape, { generator: g, device: x.device }).mul(a.noise));
  if (a.jitter) y = y.add(pg.randn([N, C, 1, 1], { generator: g, device: x.device }).mul(a.jitter));
  return y;
}

export interface SelfTrainResult {
  checkpoints: Checkpoint[];
  /** The evaluated model (the teacher, or the student for student self-training); the caller disposes it. */
  model: SegModel;
  /** After training: no teacher parameter requires or holds a gradient. */
  teacherGradFree: boolean;
  /** Smallest and largest DDM weight seen at the first step of every round (weighted alignment only). */
  weightRange: [number, number] | null;
}

/**
 * Self-training from `init` (a source-trained model, left untouched): `rounds` rounds of
 * `roundSteps` steps. Checkpoints are taken before the first round and after every round; each
 * holds both networks' labels of all target training images and the evaluated model's test
 * scores. Returns the checkpoints and the evaluated model (the caller disposes it).
 */
export async function selfTrain(init: SegModel, d: SelfTrainData, c: SelfTrainConfig, g: Generator,
  onRound?: (round: number, cp: Checkpoint) => void | Promise<void>): Promise<SelfTrainResult> {
  const student = init.clone();
  student.requiresGrad_(true);
  student.train();
  const teacher = makeTeacher(student);
  const opt = new AdamW(student.parameters(), { lr: c.lr, weightDecay: c.weightDecay });
  const adv = c.alignment !== 'none';
  const D = adv ? new PixelDiscriminator(student.featureDim, c.discHidden, { generator: g }) : null;
  const Dis = c.alignment === 'weighted' ? new PixelDiscriminator(student.featureDim, c.discHidden, { generator: g }) : null;
  const optD = adv ? new AdamW([...D!.parameters(), ...(Dis ? Dis.parameters() : [])], { lr: c.lrD, weightDecay: 0, betas: [0.9, 0.99] }) : null;
  const patch = student.patch;
  const srcSampler = new IndexSampler(d.xs.shape[0], g);
  const tgtSampler = new IndexSampler(d.xt.shape[0], g);
  const labeller = (): SegModel => (c.labeller === 'teacher' ? teacher : student);
  const checkpoints: Checkpoint[] = [];
  let pseudo: Tensor | null = null; // the round's pseudo-labels of every target image (labelEvery 'round')
  const checkpoint = async (step: number, round: number): Promise<Checkpoint> => {
    const sl = predictLabels(student, d.xProbe), tl = predictLabels(teacher, d.xProbe);
    const cp: Checkpoint = {
      step,
      studentLabels: (await sl.data()) as Int32Array,
      teacherLabels: (await tl.data()) as Int32Array,
      eval: round % c.evalEvery === 0 || round === c.rounds ? await evaluate(labeller(), d.xTest, d.yTest, d.numClasses) : null,
    };
    sl.dispose();
    tl.dispose();
    if (c.labelEvery === 'round') {
      pseudo?.dispose();
      pseudo = pg.keep(pseudoLabels(labeller(), d.xt, c.threshold));
    }
    checkpoints.push(cp);
    return cp;
  };
  const B = c.batch;
  // DDM weight extremes at the first step of each round, read back at the next checkpoint.
  const ranges: Tensor[] = [];
  let weightRange: [number, number] | null = null;
  const readRanges = async (): Promise<void> => {
    for (const t of ranges.splice(0)) {
      const [lo, hi] = Array.from(await t.data());
      t.dispose();
      weightRange = weightRange ? [Math.min(weightRange[0], lo!), Math.max(weightRange[1], hi!)] : [lo!, hi!];
    }
  };
  try {
    const cp0 = await checkpoint(0, 0); // (outside the optional call: onRound?.(…) would skip it)
    await onRound?.(0, cp0);
    let step = 0;
    for (let r = 1; r <= c.rounds; r++) {
      for (let s = 0; s < c.roundSteps; s++, step++) {
        const is = srcSampler.next(B), it = tgtSampler.next(B);
        pg.tidy(() => {
          const xs = take(d.xs, is), ys = take(d.ys, is), xt = take(d.xt, it);
          const yt = c.labelEvery === 'round' ? take(pseudo!, it) : pseudoLabels(labeller(), xt, c.threshold);
          // One forward of the student over both domains' (perturbed) images.
          const f = student.features(perturb(pg.cat([xs, xt], 0), c.augment, g));
          const logits = student.decode(f);
          const fs = f.narrow(0, 0, B);
          let loss = segmentationLoss(logits.narrow(0, 0, B), ys);
          if (c.pseudoWeight > 0) loss = loss.add(pseudoLabelLoss(logits.narrow(0, B, B), yt).mul(c.pseudoWeight));
          let ft: Tensor | null = null, ws: Tensor | null = null, wt: Tensor | null = null;
          if (adv) {
            // Target features for the alignment come from the momentum network (no gradient).
            ft = pg.noGrad(() => teacher.features(xt));
            if (Dis) {
              const ls = logits.narrow(0, 0, B).detach();
              const lt = pg.noGrad(() => teacher.decode(ft!));
              const ds = pg.noGrad(() => Dis.forward(fs.detach()).neg().sigmoid()); // P(source)
              const dt = pg.noGrad(() => Dis.forward(ft!).neg().sigmoid());
              ws = discrepancyWeights(poolToGrid(normalizedEntropy(ls), patch), ds, 'source');
              wt = discrepancyWeights(poolToGrid(normalizedEntropy(lt), patch), dt, 'target');
              if (s === 0) ranges.push(pg.keep(pg.stack([pg.minimum(ws.min(), wt.min()), pg.maximum(ws.max(), wt.max())])));
            }
            // The student wants D to call its source features "target" (label 1).
            const zs = D!.forward(fs);
            loss = loss.add(binaryCrossEntropyWithLogits(zs, pg.onesLike(zs), { weight: ws }).mul(c.advWeight));
          }
          loss.backward();
          opt.step();
          opt.zeroGrad();
          if (adv) {
            // Discriminators: source (0) vs target (1), D weighted by the DDM weights, Dis unweighted.
            const fsd = fs.detach();
            const zs = D!.forward(fsd), zt = D!.forward(ft!);
            let lD = binaryCrossEntropyWithLogits(zs, pg.zerosLike(zs), { weight: ws }).add(binaryCrossEntropyWithLogits(zt, pg.onesLike(zt), { weight: wt }));
            if (Dis) {
              const as = Dis.forward(fsd), at = Dis.forward(ft!);
              lD = lD.add(binaryCrossEntropyWithLogits(as, pg.zerosLike(as))).add(binaryCrossEntropyWithLogits(at, pg.onesLike(at)));
            }
            lD.mul(0.5).backward();
            optD!.step();
            optD!.zeroGrad();
          }
          // No gradient reached the teacher: it only moves by the EMA.
          updateTeacher(teacher, student, c.decay);
        });
        await breathe();
      }
      await readRanges();
      const cp = await checkpoint(step, r);
      await onRound?.(r, cp);
    }
    const teacherGradFree = teacher.parameters().every((p) => !p.requiresGrad && p.grad === null);
    const model = c.labeller === 'teacher' ? teacher : student;
    (model === teacher ? student : teacher).dispose();
    return { checkpoints, model, teacherGradFree, weightRange };
  } catch (e) {
    student.dispose();
    teacher.dispose();
    throw e;
  } finally {
    (pseudo as Tensor | null)?.dispose();
    for (const t of ranges) t.dispose();
    D?.dispose();
    Dis?.dispose();
    opt.dispose();
    optD?.dispose();
  }
}

/** Mean flip rate of a sequence of label maps (consecutive pairs from index `from` on). */
export function meanFlipRate(maps: ArrayLike<number>[], from = 1): number {
  const r: number[] = [];
  for (let i = Math.max(1, from); i < maps.length; i++) r.push(flipRate(maps[i - 1]!, maps[i]!));
  return r.length ? r.reduce((a, b) => a + b, 0) / r.length : NaN;
}
