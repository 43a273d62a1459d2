/**
 * A VAE over TinyCave levels (DRED's generative model, here an MLP instead of a graph network).
 *
 * A level is the 7×7 interior: per cell a one-hot over {empty, wall, lava, moss} (the goal cell as
 * empty), plus a one-hot goal position and a one-hot start position: 49·4 + 49 + 49 = 294 inputs.
 * Encoder 294 → H → (μ, log σ²) ∈ ℝ^Z; decoder Z → H → H → 294 logits: a categorical per cell,
 * and categoricals over the 49 positions for the goal and the start. Loss: the three
 * cross-entropies + β·KL(q(z|x) ‖ N(0, I)).
 *
 * Decoding takes the most likely kind per cell, then the goal as the most likely position among
 * passable cells (walls and lava masked out), then the start the same way without the goal. A
 * decoded level is valid when the start can reach the goal. New levels come from spherical
 * interpolation (slerp) between the latent means of two training levels.
 */
import * as pg from '../../autograd/index.js';
import type { Generator, Tensor } from '../../autograd/index.js';
import { Module } from '../../nn/module.js';
import { Linear } from '../../nn/layers.js';
import { Adam } from '../../nn/optim.js';
import { gaussianKL, reparameterize } from '../../nn/utils.js';
import type { Rng } from '../../nn/rl/rng.js';
import { CELLS, EMPTY, GOAL, INTERIOR, LAVA, MOSS, SIZE, WALL, solutionLength, type Level } from './tinycave.js';

export const N_IN = INTERIOR.length; // 49
export const CELL_KINDS = 4; // empty, wall, lava, moss
export const VAE_INPUT = N_IN * CELL_KINDS + 2 * N_IN; // 294
const POS_OF = new Int16Array(CELLS).fill(-1);
INTERIOR.forEach((c, k) => (POS_OF[c] = k));

/** The 294-float encoding of a level's interior (see the file comment), written to out[at ..]. */
export function encodeLevelOneHot(l: Level, out = new Float32Array(VAE_INPUT), at = 0): Float32Array {
  out.fill(0, at, at + VAE_INPUT);
  INTERIOR.forEach((c, k) => {
    const kind = l.cells[c]!;
    out[at + k * CELL_KINDS + (kind === GOAL ? EMPTY : kind)] = 1;
  });
  out[at + N_IN * CELL_KINDS + POS_OF[l.goal]!] = 1;
  out[at + N_IN * CELL_KINDS + N_IN + POS_OF[l.start]!] = 1;
  return out;
}

/** The 8 symmetries of the square (rotations and reflections) applied to a level. */
export function dihedral(l: Level, k: number): Level {
  const map = (i: number): number => {
    let r = (i / SIZE) | 0, c = i % SIZE;
    const n = SIZE - 1;
    if (k & 4) [r, c] = [c, r];
    if (k & 2) r = n - r;
    if (k & 1) c = n - c;
    return r * SIZE + c;
  };
  const cells = new Uint8Array(CELLS);
  for (let i = 0; i < CELLS; i++) cells[map(i)] = l.cells[i]!;
  return { cells, start: map(l.start), goal: map(l.goal) };
}

/** Decodes one row of decoder logits (294 values) into a level (see the file comment); null when unsolvable. */
export function decodeLogits(logits: ArrayLike<number>, at = 0): Level | null {
  const cells = new Uint8Array(CELLS);
  for (let i = 0; i < CELLS; i++) if (POS_OF[i]! < 0) cells[i] = WALL;
  INTERIOR.forEach((c, k) => {
    let best = 0;
    for (let j = 1; j < CELL_KINDS; j++) if (logits[at + k * CELL_KINDS + j]! > logits[at + k * CELL_KINDS + best]!) best = j;
    cells[c] = [EMPTY, WALL, LAVA, MOSS][best]!;
  });
  const pick = (off: number, exclude: number): number => {
    let best = -1;
    INTERIOR.forEach((c, k) => {
      const kind = cells[c];
      if ((kind !== EMPTY && kind !== MOSS) || c === exclude) return;
      if (best < 0 || logits[at + off + k]! > logits[at + off + POS_OF[best]!]!) best = c;
    });
    return best;
  };
  const goal = pick(N_IN * CELL_KINDS, -1);
  if (goal < 0) return null;
  const start = pick(N_IN * CELL_KINDS + N_IN, goal);
  if (start < 0) return null;
  cells[goal] = GOAL;
  const level = { cells, start, goal };
  return solutionLength(level) > 0 ? level : null;
}

/** Spherical interpolation between a and b at t ∈ [0, 1] (linear when they are nearly parallel). */
export function slerp(a: ArrayLike<number>, b: ArrayLike<number>, t: number): Float64Array {
  const n = a.length;
  let ab = 0, aa = 0, bb = 0;
  for (let i = 0; i < n; i++) (ab += a[i]! * b[i]!), (aa += a[i]! * a[i]!), (bb += b[i]! * b[i]!);
  const cos = Math.min(1, Math.max(-1, ab / Math.sqrt(aa * bb || 1)));
  const theta = Math.acos(cos);
  const out = new Float64Array(n);
  if (theta < 1e-6) {
    for (let i = 0; i < n; i++) out[i] = (1 - t) * a[i]! + t * b[i]!;
    return out;
  }
  const s = Math.sin(theta), wa = Math.sin((1 - t) * theta) / s, wb = Math.sin(t * theta) / s;
  for (let i = 0; i < n; i++) out[i] = wa * a[i]! + wb * b[i]!;
  return out;
}

export interface VAEOptions {
  hidden: number;
  latent: number;
  beta: number;
  generator?: Generator;
}

export class LevelVAE extends Module {
  enc: Linear;
  mu: Linear;
  logvar: Linear;
  dec1: Linear;
  dec2: Linear;
  out: Linear;
  readonly latent: number;
  readonly beta: number;

  constructor(opts: VAEOptions) {
    super();
    const g = opts.generator, H = opts.hidden, Z = opts.latent;
    this.latent = Z;
    this.beta = opts.beta;
    this.enc = new Linear(VAE_INPUT, H, { generator: g });
    this.mu = new Linear(H, Z, { generator: g });
    this.logvar = new Linear(H, Z, { generator: g });
    this.dec1 = new Linear(Z, H, { generator: g });
    this.dec2 = new Linear(H, H, { generator: g });
    this.out = new Linear(H, VAE_INPUT, { generator: g });
  }

  encode(x: Tensor): { mu: Tensor; logvar: Tensor } {
    const h = this.enc.forward(x).relu();
    return { mu: this.mu.forward(h), logvar: this.logvar.forward(h) };
  }

  decode(z: Tensor): Tensor {
    return this.out.forward(this.dec2.forward(this.dec1.forward(z).relu()).relu());
  }

  forward(x: Tensor): Tensor {
    return this.decode(this.encode(x).mu);
  }

  /** The negative ELBO per level (mean over the batch) and its reconstruction part, for x [B, 294]. */
  loss(x: Tensor, generator?: Generator): { loss: Tensor; recon: Tensor; kl: Tensor } {
    const B = x.shape[0]!;
    const { mu, logvar } = this.encode(x);
    const logits = this.decode(reparameterize(mu, logvar, { generator }));
    const cells = logits.slice(1, 0, N_IN * CELL_KINDS).reshape([B, N_IN, CELL_KINDS]).logSoftmax(-1);
    const goal = logits.slice(1, N_IN * CELL_KINDS, N_IN * CELL_KINDS + N_IN).logSoftmax(-1);
    const start = logits.slice(1, N_IN * CELL_KINDS + N_IN, VAE_INPUT).logSoftmax(-1);
    // Cross-entropies against the one-hot targets: −Σ target · log p.
    const tc = x.slice(1, 0, N_IN * CELL_KINDS).reshape([B, N_IN, CELL_KINDS]);
    const tg = x.slice(1, N_IN * CELL_KINDS, N_IN * CELL_KINDS + N_IN);
    const ts = x.slice(1, N_IN * CELL_KINDS + N_IN, VAE_INPUT);
    const recon = cells.mul(tc).sum([1, 2]).add(goal.mul(tg).sum(1)).add(start.mul(ts).sum(1)).neg().mean();
    const kl = gaussianKL(mu, logvar).mean();
    return { loss: recon.add(kl.mul(this.beta)), recon, kl };
  }
}

/** Trains the VAE on levels (and their 8 symmetries when augment) with Adam; returns the loss curve. */
export async function trainVAE(vae: LevelVAE, levels: Level[], opts: { steps: number; batch: number; lr: number; augment: boolean; rng: Rng; generator: Generator; onStep?: (step: number) => void }): Promise<{ step: number; loss: number; recon: number; kl: number }[]> {
  const data = opts.augment ? levels.flatMap((l) => Array.from({ length: 8 }, (_, k) => dihedral(l, k))) : levels;
  const enc = new Float32Array(data.length * VAE_INPUT);
  data.forEach((l, i) => encodeLevelOneHot(l, enc, i * VAE_INPUT));
  const device = vae.enc.weight.device;
  const opt = new Adam(vae.parameters(), { lr: opts.lr });
  const curve: { step: number; loss: number; recon: number; kl: number }[] = [];
  const batch = new Float32Array(opts.batch * VAE_INPUT);
  for (let step = 0; step < opts.steps; step++) {
    for (let b = 0; b < opts.batch; b++) {
      const i = opts.rng.int(data.length);
      batch.set(enc.subarray(i * VAE_INPUT, (i + 1) * VAE_INPUT), b * VAE_INPUT);
    }
    const stats = pg.tidy(() => {
      const x = pg.tensor(batch.slice(), { shape: [opts.batch, VAE_INPUT], device });
      const l = vae.loss(x, opts.generator);
      l.loss.backward();
      opt.step();
      opt.zeroGrad();
      return [l.loss, l.recon, l.kl].map((t) => t.detach());
    });
    if (step % 50 === 0 || step === opts.steps - 1) {
      const v = await Promise.all(stats.map(async (t) => (await t.data())[0]!));
      curve.push({ step, loss: v[0]!, recon: v[1]!, kl: v[2]! });
      opts.onStep?.(step);
    }
    for (const t of stats) t.dispose();
  }
  return curve;
}

/** The latent means of levels, [levels.length][Z]. */
export async function latentMeans(vae: LevelVAE, levels: Level[]): Promise<Float64Array[]> {
  const enc = new Float32Array(levels.length * VAE_INPUT);
  levels.forEach((l, i) => encodeLevelOneHot(l, enc, i * VAE_INPUT));
  const mu = pg.tidy(() => pg.noGrad(() => vae.encode(pg.tensor(enc, { shape: [levels.length, VAE_INPUT], device: vae.enc.weight.device })).mu));
  const d = await mu.data();
  mu.dispose();
  const Z = vae.latent;
  return levels.map((_, i) => Float64Array.from(d.subarray(i * Z, (i + 1) * Z)));
}

/** Decodes latent vectors into levels (null where the decoded level is unsolvable). */
export async function decodeLatents(vae: LevelVAE, zs: ArrayLike<number>[]): Promise<(Level | null)[]> {
  if (!zs.length) return [];
  const Z = vae.latent;
  const flat = new Float32Array(zs.length * Z);
  zs.forEach((z, i) => flat.set(Array.from(z), i * Z));
  const logits = pg.tidy(() => pg.noGrad(() => vae.decode(pg.tensor(flat, { shape: [zs.length, Z], device: vae.enc.weight.device }))));
  const d = await logits.data();
  logits.dispose();
  return zs.map((_, i) => decodeLogits(d, i * VAE_INPUT));
}

/**
 * `count` valid levels from slerps between the latent means of random pairs of training levels
 * (t ~ U(0, 1)); gives up after 20·count attempts and returns what it has.
 */
export async function vaeInterpolations(vae: LevelVAE, means: Float64Array[], count: number, rng: Rng): Promise<Level[]> {
  const out: Level[] = [];
  for (let round = 0; out.length < count && round < 20; round++) {
    const zs: Float64Array[] = [];
    for (let k = 0; k < Math.max(16, 2 * (count - out.length)); k++) {
      const i = rng.int(means.length), j = rng.int(means.length);
      zs.push(slerp(means[i]!, means[j]!, rng.float()));
    }
    for (const l of await decodeLatents(vae, zs)) if (l && out.length < count) out.push(l);
  }
  return out;
}
