/**
 * The example's method: two interleaved spirals, a linear classifier and a two-hidden-layer ReLU
 * MLP, both trained with minibatch SGD (momentum) written directly on the core ops (no src/nn
 * layers), so it doubles as a small end-to-end test of the autodiff core. The Experiment that
 * wires these to tables, figures and claims is experiment.ts.
 */
import * as pg from '../../autograd/index.js';
import type { Tensor } from '../../autograd/index.js';
import { argmaxAccuracy } from '../common/metrics.js';

export interface SpiralConfig {
  /** Points per split (train and test are separate draws of the same distribution). */
  nTrain: number;
  nTest: number;
  /** How many full turns each spiral arm makes. */
  turns: number;
  /** Std of the isotropic Gaussian noise added to each point (the arms are ~1/turns apart). */
  noise: number;
}

export interface TrainConfig {
  hidden: number;
  steps: number;
  batch: number;
  lr: number;
  momentum: number;
  /** Record the training loss every this many steps. */
  logEvery: number;
}

export interface Dataset {
  x: Tensor; // [n, 2] float32
  y: Tensor; // [n] int32, 0 or 1
}

/**
 * Two spirals: class c ∈ {0, 1}, radius r = t ∈ (0.05, 1], angle 2π·turns·t + π·c, plus noise.
 * Arm c=1 is arm c=0 rotated by π, so the two classes are point-symmetric about the origin: any
 * half-plane through the origin holds the same share of both, and with whole turns a linear
 * classifier can do little better than chance.
 */
export function makeSpirals(n: number, cfg: SpiralConfig, g: pg.Generator): Dataset {
  // Built on the CPU (data preparation), then moved to the default device.
  const device = pg.getDefaultDevice();
  return pg.tidy(() => {
    const y = pg.randint(0, 2, [n], { generator: g, device: 'cpu' });
    const t = pg.rand([n], { generator: g, low: 0.05, high: 1, device: 'cpu' });
    const angle = t.mul(2 * Math.PI * cfg.turns).add(y.float().mul(Math.PI));
    const noise = pg.randn([n, 2], { generator: g, std: cfg.noise, device: 'cpu' });
    const x = pg.stack([t.mul(angle.cos()), t.mul(angle.sin())], 1).add(noise);
    return { x: x.to(device), y: y.to(device) };
  });
}

export interface Model {
  name: string;
  params: Tensor[];
  forward(x: Tensor): Tensor; // logits [n, 2]
}

/** He-style init: weights ~ N(0, 2/fanIn), biases zero. */
function dense(fanIn: number, fanOut: number, g: pg.Generator): [Tensor, Tensor] {
  const w = pg.randn([fanIn, fanOut], { generator: g, std: Math.sqrt(2 / fanIn) }).requiresGrad_();
  const b = pg.zeros([fanOut], { requiresGrad: true });
  return [w, b];
}

export function linearModel(g: pg.Generator): Model {
  const [w, b] = dense(2, 2, g);
  return { name: 'linear', params: [w, b], forward: (x) => x.matmul(w).add(b) };
}

export function mlpModel(hidden: number, g: pg.Generator): Model {
  const [w1, b1] = dense(2, hidden, g);
  const [w2, b2] = dense(hidden, hidden, g);
  const [w3, b3] = dense(hidden, 2, g);
  return {
    name: 'MLP',
    params: [w1, b1, w2, b2, w3, b3],
    forward: (x) => x.matmul(w1).add(b1).relu().matmul(w2).add(b2).relu().matmul(w3).add(b3),
  };
}

/** Mean cross-entropy of logits [n, 2] against int32 labels [n]. */
export function crossEntropy(logits: Tensor, y: Tensor): Tensor {
  return logits.logSoftmax(-1).gather(1, y.unsqueeze(1)).neg().mean();
}

export function accuracy(model: Model, data: Dataset): Promise<number> {
  return argmaxAccuracy(() => model.forward(data.x), data.y);
}

/** Class-1 probabilities of the model on a res×res grid over [-lim, lim]², row 0 at the top (y = +lim). */
export async function probabilityGrid(model: Model, res: number, lim: number): Promise<number[][]> {
  const pts: number[] = [];
  for (let r = 0; r < res; r++) {
    const yv = lim - ((r + 0.5) / res) * 2 * lim;
    for (let c = 0; c < res; c++) pts.push(-lim + ((c + 0.5) / res) * 2 * lim, yv);
  }
  const p = pg.noGrad(() =>
    pg.tidy(() => model.forward(pg.tensor(pts, { shape: [res * res, 2] })).softmax(-1).select(1, 1).contiguous()),
  );
  const flat = Array.from(await p.data());
  p.dispose();
  return Array.from({ length: res }, (_, r) => flat.slice(r * res, (r + 1) * res));
}

export interface TrainLog {
  steps: number[];
  loss: number[];
}

/**
 * Minibatch SGD with heavy-ball momentum: v ← μ·v + g, p ← p − lr·v. Batches are drawn with
 * replacement from the generator (randint indices), so the run is a pure function of the seed.
 * onStep is called after every step (for progress reporting).
 */
export async function train(
  model: Model,
  data: Dataset,
  cfg: TrainConfig,
  g: pg.Generator,
  onStep: (step: number) => void,
): Promise<TrainLog> {
  const n = data.x.shape[0]!;
  const velocity = model.params.map((p) => pg.zerosLike(p));
  const log: TrainLog = { steps: [], loss: [] };
  for (let step = 0; step < cfg.steps; step++) {
    const record = step % cfg.logEvery === 0 || step === cfg.steps - 1;
    const loss = pg.tidy(() => {
      const idx = pg.randint(0, n, [cfg.batch], { generator: g });
      const loss = crossEntropy(model.forward(data.x.indexSelect(0, idx)), data.y.indexSelect(0, idx));
      loss.backward();
      pg.noGrad(() => {
        model.params.forEach((p, i) => {
          const v = velocity[i]!;
          v.assign_(v.mul(cfg.momentum).add(p.grad!));
          p.assign_(p.sub(v.mul(cfg.lr)));
        });
      });
      pg.zeroGrad(model.params);
      return record ? loss.detach() : null;
    });
    if (loss) {
      log.steps.push(step);
      log.loss.push(await loss.item());
      loss.dispose();
    }
    onStep(step);
  }
  velocity.forEach((v) => v.dispose());
  return log;
}
