/**
 * Ren, Guo, Bae, Sutherland, "How to prepare your task head for finetuning" (ICLR 2023,
 * arXiv 2302.05779): the method as small functions.
 *
 *   1. pretrain a backbone f(x) = z on a source task (with a source head);
 *   2. attach a new head g(z) = softmax(Vz + b) for the downstream task;
 *   3. head probing: train only the head for τ epochs (the backbone is frozen, bit for bit);
 *   4. "energy" at the start of finetuning: E = mean_n ‖e_{y_n} − p₀(x_n)‖₂ on the training data;
 *   5. finetune backbone and head together, then compare the validation features z with the
 *      pretrained ones z₀: ‖z − z₀‖, cos(z, z₀), zᵀz₀ and ‖z‖.
 *
 * The data: a latent Gaussian mixture h (source label = its component c), observed through a
 * fixed random nonlinear map x = tanh(hA); the downstream label merges the (permuted) source
 * classes, y = π(c) mod K_down, so it is a linear function of an ideal source representation.
 */
import * as pg from '../../autograd/index.js';
import type { Tensor } from '../../autograd/index.js';
import { DataLoader, gaussianMixture } from '../../nn/data/index.js';
import { Linear, MLP } from '../../nn/layers.js';
import type { Module } from '../../nn/module.js';
import { crossEntropy } from '../../nn/losses.js';
import { SGD } from '../../nn/optim.js';
import { onCpu } from '../common/device.js';
import { breathe } from '../common/event-loop.js';
import { argmaxAccuracy } from '../common/metrics.js';
import { permutation } from '../common/random.js';

export interface TaskConfig {
  /** Latent dimension and number of source classes (components of the latent mixture). */
  latentDim: number;
  sourceClasses: number;
  /** Distance between every pair of latent class means (latent std 1). */
  separation: number;
  /** Observed dimension (x = tanh(hA), A a fixed random [latentDim, inputDim] map). */
  inputDim: number;
  /** Downstream classes: y = π(c) mod downstreamClasses. */
  downstreamClasses: number;
  nSource: number;
  nTrain: number;
  nVal: number;
}

export interface OptConfig {
  epochs: number;
  batch: number;
  lr: number;
  momentum: number;
  /** Label smoothing ε of the cross-entropy (head probing variant; 0 = plain). */
  labelSmoothing?: number;
}

export interface HeadProbingConfig {
  task: TaskConfig;
  /** Backbone hidden sizes; the last one is the feature dimension (ReLU features). */
  hidden: number[];
  pretrain: OptConfig;
  /** Head probing (only the head): epochs is the largest τ. */
  probe: OptConfig;
  finetune: OptConfig;
  /** The head-probing lengths τ (epochs) of the sweep, ascending. */
  taus: number[];
}

/** Defaults (the experiment's quick / full settings override sizes). */
export const CONFIG: HeadProbingConfig = {
  task: { latentDim: 8, sourceClasses: 8, separation: 4, inputDim: 16, downstreamClasses: 4, nSource: 1024, nTrain: 256, nVal: 512 },
  hidden: [64, 64],
  pretrain: { epochs: 20, batch: 64, lr: 0.05, momentum: 0.9 },
  probe: { epochs: 512, batch: 128, lr: 0.05, momentum: 0.9 },
  finetune: { epochs: 20, batch: 64, lr: 0.05, momentum: 0.9 },
  taus: [0, 2, 8, 32, 128, 512],
};

export interface Split {
  x: Tensor; // [n, inputDim]
  y: Tensor; // [n] int32
}

export interface Tasks {
  source: Split;
  train: Split;
  val: Split;
  /** mergeMap[c] = downstream class of source class c. */
  mergeMap: number[];
  dispose(): void;
}

/**
 * Source and downstream data from one latent mixture: the source split is labelled with the
 * latent component c, the downstream splits (fresh draws) with mergeMap[c] = π(c) mod K_down.
 */
export function makeTasks(cfg: TaskConfig, g: pg.Generator): Tasks {
  const device = pg.getDefaultDevice();
  const { latentDim: L, inputDim: D, sourceClasses: Ks, downstreamClasses: Kd } = cfg;
  // One mixture (fixed means) for every split: draw all points at once, then slice.
  const n = cfg.nSource + cfg.nTrain + cfg.nVal;
  // Drawn on the CPU (the generators read data back synchronously), then moved to the device.
  const out = onCpu(() =>
    pg.tidy(() => {
      const gm = gaussianMixture({ numClasses: Ks, dim: L, n, separation: cfg.separation, generator: g, dtype: 'float32' });
      const A = pg.randn([L, D], { generator: g, std: 1 / Math.sqrt(L) });
      const x = gm.x.matmul(A).tanh();
      const perm = Array.from(permutation(Ks, g));
      const mergeMap = perm.map((p) => p % Kd);
      const c = gm.y;
      const yDown = pg.tensor(Int32Array.from(c.dataSync() as Int32Array, (ci) => mergeMap[ci]!), { shape: [n] });
      const part = (t: Tensor, start: number, len: number): Tensor => pg.keep(t.narrow(0, start, len).contiguous().to(device));
      const s0 = cfg.nSource, s1 = s0 + cfg.nTrain;
      return {
        source: { x: part(x, 0, s0), y: part(c, 0, s0) },
        train: { x: part(x, s0, cfg.nTrain), y: part(yDown, s0, cfg.nTrain) },
        val: { x: part(x, s1, cfg.nVal), y: part(yDown, s1, cfg.nVal) },
        mergeMap,
      };
    }),
  );
  return {
    ...out,
    dispose() {
      for (const s of [out.source, out.train, out.val]) (s.x.dispose(), s.y.dispose());
    },
  };
}

/** The backbone: MLP inputDim → hidden… with ReLU after every layer, so features z = f(x) ≥ 0. */
export function makeBackbone(inputDim: number, hidden: number[], g: pg.Generator): MLP {
  return new MLP([inputDim, ...hidden], { generator: g, activateLast: true });
}

/** A new linear head (PyTorch's default init). */
export function makeHead(featureDim: number, classes: number, g: pg.Generator): Linear {
  return new Linear(featureDim, classes, { generator: g });
}

/**
 * Minibatch SGD (momentum) of the cross-entropy of head(backbone(x)) on `params` only; the
 * generator shuffles the data. `onEpoch(e)` is called after epoch e = 1..epochs.
 */
export async function trainEpochs(
  backbone: Module,
  head: Module,
  data: Split,
  params: Tensor[],
  cfg: OptConfig,
  g: pg.Generator,
  onEpoch?: (epoch: number) => void,
): Promise<void> {
  const opt = new SGD(params, { lr: cfg.lr, momentum: cfg.momentum });
  const loader = new DataLoader({ dataset: { x: data.x, y: data.y }, batchSize: cfg.batch, shuffle: true, generator: g });
  const ls = cfg.labelSmoothing ?? 0;
  for (let e = 1; e <= cfg.epochs; e++) {
    for (const b of loader) {
      pg.tidy(() => {
        const loss = crossEntropy(head.forward(backbone.forward(b.x)), b.y, { labelSmoothing: ls });
        loss.backward();
        opt.step();
        pg.zeroGrad(params);
      });
      b.dispose();
    }
    onEpoch?.(e);
    await breathe();
  }
}

/** Pretraining: backbone and source head together. */
export async function pretrain(backbone: Module, sourceHead: Module, source: Split, cfg: OptConfig, g: pg.Generator, onEpoch?: (e: number) => void): Promise<void> {
  await trainEpochs(backbone, sourceHead, source, [...backbone.parameters(), ...sourceHead.parameters()], cfg, g, onEpoch);
}

/**
 * Head probing: trains only the head for max(taus) epochs with the backbone frozen
 * (requiresGrad off, not in the optimizer) and returns a copy of the head after each τ in taus
 * (τ = 0: the untrained head). `atSnapshot(τ)` runs after each copy (e.g. to check the backbone).
 */
export async function headProbe(
  backbone: Module,
  head: Module,
  data: Split,
  cfg: OptConfig,
  taus: number[],
  g: pg.Generator,
  atSnapshot?: (tau: number, head: Module) => void,
): Promise<Map<number, Module>> {
  const snaps = new Map<number, Module>();
  const take = (tau: number): void => {
    if (!taus.includes(tau)) return;
    const h = head.clone();
    snaps.set(tau, h);
    atSnapshot?.(tau, h);
  };
  backbone.requiresGrad_(false);
  try {
    take(0);
    const epochs = Math.max(...taus);
    await trainEpochs(backbone, head, data, head.parameters(), { ...cfg, epochs }, g, take);
  } finally {
    backbone.requiresGrad_(true);
  }
  return snaps;
}

/** Finetuning: every parameter of backbone and head. */
export async function finetune(backbone: Module, head: Module, data: Split, cfg: OptConfig, g: pg.Generator): Promise<void> {
  await trainEpochs(backbone, head, data, [...backbone.parameters(), ...head.parameters()], cfg, g);
}

/** Features z = backbone(x) (no gradient). */
export function features(backbone: Module, x: Tensor): Tensor {
  return pg.noGrad(() => backbone.forward(x));
}

/** Per-sample ‖e_y − softmax(logits)‖₂ (a tensor [n]). */
export function energyPerSample(logits: Tensor, y: Tensor): Tensor {
  const p = logits.softmax(-1);
  return pg.oneHot(y, logits.shape[1]!).cast(p.dtype).sub(p).square().sum(1).sqrt();
}

/** The energy E = mean_n ‖e_{y_n} − p₀(x_n)‖₂ of a head on a backbone, on data (x, y). */
export async function energy(backbone: Module, head: Module, data: Split): Promise<number> {
  const e = pg.tidy(() => pg.noGrad(() => energyPerSample(head.forward(backbone.forward(data.x)), data.y).mean()));
  const v = await e.item();
  e.dispose();
  return v;
}

export interface FeatureMetrics {
  /** mean ‖z − z₀‖ */
  euclidean: number;
  /** mean cos(z, z₀) */
  cosine: number;
  /** mean zᵀz₀ */
  dot: number;
  /** mean ‖z‖ */
  norm: number;
}

/** Means over rows of ‖z − z₀‖, cos(z, z₀), zᵀz₀ and ‖z‖ (z, z₀: [n, d]). */
export async function featureMetrics(z: Tensor, z0: Tensor): Promise<FeatureMetrics> {
  const t = pg.tidy(() => {
    const dot = z.mul(z0).sum(1);
    const nz = z.square().sum(1).sqrt();
    const nz0 = z0.square().sum(1).sqrt();
    const cos = dot.div(nz.mul(nz0).clamp(1e-12, null));
    const euc = z.sub(z0).square().sum(1).sqrt();
    return pg.stack([euc.mean(), cos.mean(), dot.mean(), nz.mean()]);
  });
  const [euclidean, cosine, dot, norm] = Array.from(await t.data());
  t.dispose();
  return { euclidean: euclidean!, cosine: cosine!, dot: dot!, norm: norm! };
}

export function accuracy(backbone: Module, head: Module, data: Split): Promise<number> {
  return argmaxAccuracy(() => head.forward(backbone.forward(data.x)), data.y);
}

/**
 * The raw bytes of a module's state dict (keys sorted, each tensor's values in row-major order):
 * two modules are bit-identical exactly when these byte strings are equal.
 */
export async function stateBytes(m: Module): Promise<Uint8Array> {
  const sd = m.stateDict();
  const parts: Uint8Array[] = [];
  for (const k of Object.keys(sd).sort()) {
    const t = sd[k]!;
    const c = t.contiguous();
    const d = await c.data();
    parts.push(new Uint8Array(d.buffer.slice(d.byteOffset, d.byteOffset + d.byteLength)));
    if (c !== t) c.dispose();
    t.dispose();
  }
  const out = new Uint8Array(parts.reduce((a, p) => a + p.length, 0));
  let o = 0;
  for (const p of parts) (out.set(p, o), (o += p.length));
  return out;
}

/** Number of differing bytes (plus the length difference) between two byte strings. */
export function byteDiff(a: Uint8Array, b: Uint8Array): number {
  let d = Math.abs(a.length - b.length);
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) d++;
  return d;
}

export interface PeakDrop {
  /** Index of the maximum in energy order (0 = lowest energy). */
  peak: number;
  /** (max − value at the lowest energy) / |max| and (max − value at the highest energy) / |max|. */
  dropLow: number;
  dropHigh: number;
  /** min(dropLow, dropHigh): ≥ d means an interior peak standing d above both ends. */
  minDrop: number;
}

/**
 * Where `values` peak along increasing energy, and how far they fall from the peak to the two
 * ends of the energy range (relative to the peak). An end point peak gives a zero drop on its side.
 */
export function peakDrop(energies: number[], values: number[]): PeakDrop {
  if (energies.length !== values.length || energies.length < 1) throw new Error('peakDrop: need equal, non-empty arrays');
  const order = energies.map((_, i) => i).sort((a, b) => energies[a]! - energies[b]!);
  const v = order.map((i) => values[i]!);
  let peak = 0;
  for (let i = 1; i < v.length; i++) if (v[i]! > v[peak]!) peak = i;
  const m = v[peak]!;
  const dropLow = (m - v[0]!) / Math.abs(m);
  const dropHigh = (m - v[v.length - 1]!) / Math.abs(m);
  return { peak, dropLow, dropHigh, minDrop: Math.min(dropLow, dropHigh) };
}
