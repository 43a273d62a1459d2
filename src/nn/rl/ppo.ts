/**
 * An actor-critic network and a PPO learner built from the kit's pieces (env.ts, storage.ts,
 * returns.ts, policy.ts). Environments run in typed arrays; the network runs on any device.
 */
import * as pg from '../../autograd/index.js';
import type { Generator, Tensor } from '../../autograd/index.js';
import { Module } from '../module.js';
import { Linear } from '../layers.js';
import { Adam } from '../optim.js';
import { clipGradNorm } from '../utils.js';
import * as init from '../init.js';
import type { VecEnv } from './env.js';
import { RolloutBuffer, gatherRows, minibatches } from './storage.js';
import { Categorical, ppoLoss, sampleActions } from './policy.js';
import { normalize } from './returns.js';

/** CleanRL's layer_init: orthogonal weight with `gain`, constant bias. Returns the layer. */
export function layerInit(layer: Linear, opts: { gain?: number; bias?: number; generator?: Generator } = {}): Linear {
  init.orthogonal_(layer.weight, { gain: opts.gain ?? Math.SQRT2, generator: opts.generator });
  if (layer.bias) init.constant_(layer.bias, opts.bias ?? 0);
  return layer;
}

/**
 * Global-norm gradient clipping without reading anything back (so it runs on every device):
 * scales every gradient by min(1, maxNorm / (‖g‖ + 1e-6)), with ‖g‖ the 2-norm over all of them,
 * and returns that norm as a scalar tensor. Same rule as pg.nn.clipGradNorm, which returns a number.
 */
export function clipGradNormTensor(params: Iterable<Tensor>, maxNorm: number): Tensor {
  const ps = [...params].filter((p) => p.grad !== null);
  if (!ps.length) return pg.zeros([]);
  return pg.noGrad(() => {
    const total = pg.tidy(() => pg.stack(ps.map((p) => p.grad!.square().sum())).sum().sqrt());
    pg.tidy(() => {
      const coef = total.add(1e-6).reciprocal().mul(maxNorm).clamp(null, 1);
      for (const p of ps) {
        const old = p.grad!;
        p.grad = pg.keep(old.mul(coef));
        old.dispose();
      }
    });
    return total;
  });
}

export type Activation = 'tanh' | 'relu';

export interface ActorCriticOptions {
  /** Hidden sizes of both the actor and the critic (default [64, 64], CleanRL's). */
  hidden?: number[];
  activation?: Activation;
  generator?: Generator;
}

/**
 * Separate actor and critic MLPs (CleanRL's PPO agent): obs → hidden… → logits / value, with
 * orthogonal initialisation (gain √2 inside, 0.01 on the policy output, 1 on the value output)
 * and zero biases.
 */
export class ActorCritic extends Module {
  readonly actor: Linear[];
  readonly critic: Linear[];
  readonly activation: Activation;

  constructor(readonly obsSize: number, readonly numActions: number, opts: ActorCriticOptions = {}) {
    super();
    const hidden = opts.hidden ?? [64, 64];
    this.activation = opts.activation ?? 'tanh';
    const g = opts.generator;
    const make = (out: number, lastGain: number): Linear[] => {
      const sizes = [obsSize, ...hidden, out];
      return sizes.slice(1).map((n, i) => layerInit(new Linear(sizes[i]!, n, { generator: g }), { gain: i === hidden.length ? lastGain : Math.SQRT2, generator: g }));
    };
    this.actor = make(numActions, 0.01);
    this.critic = make(1, 1);
  }

  private run(layers: Linear[], x: Tensor): Tensor {
    let h = x;
    for (let i = 0; i < layers.length; i++) {
      h = layers[i]!.forward(h);
      if (i + 1 < layers.length) h = this.activation === 'tanh' ? h.tanh() : h.relu();
    }
    return h;
  }

  /** Policy logits [B, numActions]. */
  logits(obs: Tensor): Tensor {
    return this.run(this.actor, obs);
  }

  /** State values [B]. */
  value(obs: Tensor): Tensor {
    return this.run(this.critic, obs).squeeze(1);
  }

  forward(obs: Tensor): { logits: Tensor; value: Tensor } {
    return { logits: this.logits(obs), value: this.value(obs) };
  }
}

/** What PPO needs of a network. */
export interface PolicyValueNet {
  forward(obs: Tensor): { logits: Tensor; value: Tensor };
  value(obs: Tensor): Tensor;
  parameters(): Tensor[];
}

export interface PPOConfig {
  /** Steps per environment per rollout (default 128). */
  numSteps: number;
  lr: number;
  /** Anneal the learning rate linearly to 0 over totalSteps environment steps (needs totalSteps). */
  annealLr: boolean;
  totalSteps?: number;
  gamma: number;
  gaeLambda: number;
  epochs: number;
  numMinibatches: number;
  clipCoef: number;
  clipValueLoss: boolean;
  entropyCoef: number;
  valueCoef: number;
  /** Global-norm gradient clipping (Infinity: off). */
  maxGradNorm: number;
  /** Normalise advantages per minibatch. */
  normalizeAdvantages: boolean;
  adamEps: number;
  /** Seeds action sampling and minibatch shuffling. */
  generator: Generator;
}

/** CleanRL's ppo.py defaults. */
export const PPO_DEFAULTS: Omit<PPOConfig, 'generator'> = {
  numSteps: 128, lr: 2.5e-4, annealLr: true, gamma: 0.99, gaeLambda: 0.95, epochs: 4, numMinibatches: 4,
  clipCoef: 0.2, clipValueLoss: true, entropyCoef: 0.01, valueCoef: 0.5, maxGradNorm: 0.5, normalizeAdvantages: true, adamEps: 1e-5,
};

export interface EpisodeEnd {
  env: number;
  /** Undiscounted return and length of the episode. */
  return: number;
  length: number;
  /** True when it ended in a terminal state (false: time limit). */
  terminated: boolean;
}

export interface PPOStats {
  loss: number;
  policyLoss: number;
  valueLoss: number;
  entropy: number;
  approxKl: number;
  clipFraction: number;
  lr: number;
}

/**
 * PPO (clipped objective, GAE, minibatch epochs) over a VecEnv. One iteration:
 *   await ppo.collect()        // numSteps steps of every env into ppo.buffer; returns the finished episodes
 *   ppo.computeAdvantages()    // GAE with terminal / time-limit masks
 *   await ppo.update()         // epochs × minibatches of the PPO loss, Adam, gradient clipping
 * or `await ppo.iterate()` for the three. The env is reset on construction.
 */
export class PPO {
  readonly env: VecEnv;
  readonly net: PolicyValueNet;
  readonly config: PPOConfig;
  readonly buffer: RolloutBuffer;
  readonly optimizer: Adam;
  readonly device: pg.Device;
  /** Environment steps taken so far (all envs). */
  globalStep = 0;
  iteration = 0;
  private readonly stepActions: Int32Array;
  private readonly stepLogProbs: Float32Array;

  constructor(env: VecEnv, net: PolicyValueNet, config: Partial<PPOConfig> & { generator: Generator }) {
    this.env = env;
    this.net = net;
    this.config = { ...PPO_DEFAULTS, ...config };
    const c = this.config;
    if (c.annealLr && c.totalSteps === undefined && config.annealLr) throw new Error('PPO: annealLr needs totalSteps');
    const rows = env.numEnvs * env.numAgents;
    this.buffer = new RolloutBuffer(c.numSteps, rows, env.obsSize);
    if ((rows * c.numSteps) % c.numMinibatches !== 0)
      throw new Error(`PPO: a rollout of ${rows * c.numSteps} samples does not split into ${c.numMinibatches} minibatches`);
    const params = net.parameters();
    this.device = params[0]?.device ?? 'cpu';
    this.optimizer = new Adam(params, { lr: c.lr, eps: c.adamEps });
    this.stepActions = new Int32Array(rows);
    this.stepLogProbs = new Float32Array(rows);
    env.reset();
  }

  private obsTensor(obs: Float32Array, rows: number): Tensor {
    return pg.tensor(obs.slice(0, rows * this.env.obsSize), { shape: [rows, this.env.obsSize], device: this.device });
  }

  private async read(t: Tensor): Promise<ArrayLike<number>> {
    return this.device === 'cpu' ? t.dataSync() : await t.data();
  }

  /**
   * Runs numSteps steps in every environment with the current policy, recording them in the
   * buffer (with V(final obs) for time-limit ends and V(s_T) at the end). onStep(t) runs after the
   * env stepped (e.g. to read per-env information the learner does not know about).
   */
  async collect(onStep?: (t: number) => void): Promise<EpisodeEnd[]> {
    const { env, buffer } = this;
    const rows = env.numEnvs * env.numAgents, na = env.numAgents, per = env.obsSize;
    const episodes: EpisodeEnd[] = [];
    const truncRows: number[] = [];
    const truncObs: number[][] = [];
    for (let t = 0; t < buffer.numSteps; t++) {
      const out = pg.tidy(() => pg.noGrad(() => {
        const o = this.net.forward(this.obsTensor(env.obs, rows));
        return [o.logits, o.value];
      }));
      let logits: ArrayLike<number>, values: ArrayLike<number>;
      try {
        logits = await this.read(out[0]!);
        values = await this.read(out[1]!);
      } finally {
        out[0]!.dispose();
        out[1]!.dispose();
      }
      sampleActions(logits, rows, env.numActions, { generator: this.config.generator, actions: this.stepActions, logProbs: this.stepLogProbs });
      buffer.recordPolicy(t, env.obs, this.stepActions, this.stepLogProbs, values);
      env.step(this.stepActions);
      this.globalStep += env.numEnvs;
      buffer.recordOutcome(t, env.rewards, env.terminated, env.truncated, na);
      for (let i = 0; i < env.numEnvs; i++) {
        if (!env.terminated[i] && !env.truncated[i]) continue;
        episodes.push({ env: i, return: env.episodeReturn[i]!, length: env.episodeLength[i]!, terminated: env.terminated[i] === 1 });
        if (env.truncated[i])
          for (let a = 0; a < na; a++) {
            const r = i * na + a;
            truncRows.push(t * rows + r);
            truncObs.push(Array.from(env.finalObs.subarray(r * per, r * per + per)));
          }
      }
      onStep?.(t);
    }
    // Values of the final observations of truncated episodes, and of s_T: one batched forward each.
    const vals = pg.tidy(() => pg.noGrad(() => {
      const r = [this.net.value(this.obsTensor(env.obs, rows))];
      if (truncRows.length) r.push(this.net.value(pg.tensor(Float32Array.from(truncObs.flat()), { shape: [truncRows.length, per], device: this.device })));
      return r;
    }));
    try {
      buffer.lastValues.set(await this.read(vals[0]!));
      if (truncRows.length) {
        const tv = await this.read(vals[1]!);
        truncRows.forEach((k, j) => (buffer.truncValues[k] = tv[j]!));
      }
    } finally {
      for (const v of vals) v.dispose();
    }
    return episodes;
  }

  computeAdvantages(): void {
    this.buffer.computeGae(this.config.gamma, this.config.gaeLambda);
  }

  /** The learning rate of the coming update (annealed linearly when annealLr). */
  currentLr(): number {
    const c = this.config;
    if (!c.annealLr || c.totalSteps === undefined) return c.lr;
    const per = this.env.numEnvs * c.numSteps;
    const iters = Math.max(1, Math.floor(c.totalSteps / per));
    return c.lr * Math.max(0, 1 - this.iteration / iters);
  }

  /** epochs × numMinibatches PPO steps on the buffer; returns the last minibatch's statistics. */
  async update(): Promise<PPOStats> {
    const c = this.config, buf = this.buffer, per = buf.obsSize;
    const lr = this.currentLr();
    for (const g of this.optimizer.paramGroups) g.lr = lr;
    const n = buf.size, mb = n / c.numMinibatches;
    const obs = new Float32Array(mb * per), act = new Int32Array(mb);
    const oldLp = new Float32Array(mb), adv = new Float32Array(mb), ret = new Float32Array(mb), oldV = new Float32Array(mb);
    const params = this.net.parameters();
    let last: Tensor[] = [];
    for (let e = 0; e < c.epochs; e++) {
      for (const idx of minibatches(n, c.numMinibatches, c.generator)) {
        gatherRows(buf.obs, per, idx, obs);
        gatherRows(buf.actions, 1, idx, act);
        gatherRows(buf.logProbs, 1, idx, oldLp);
        gatherRows(buf.advantages, 1, idx, adv);
        gatherRows(buf.returns, 1, idx, ret);
        gatherRows(buf.values, 1, idx, oldV);
        if (c.normalizeAdvantages) normalize(adv);
        for (const t of last) t.dispose();
        last = pg.tidy(() => {
          const dev = { device: this.device };
          const x = pg.tensor(obs.slice(), { shape: [mb, per], ...dev });
          const o = this.net.forward(x);
          const dist = new Categorical(o.logits);
          const l = ppoLoss({
            logProb: dist.logProb(pg.tensor(act.slice(), dev)),
            oldLogProb: pg.tensor(oldLp.slice(), dev),
            advantages: pg.tensor(adv.slice(), dev),
            values: o.value,
            returns: pg.tensor(ret.slice(), dev),
            oldValues: pg.tensor(oldV.slice(), dev),
            entropy: dist.entropy(),
            clipCoef: c.clipCoef, clipValueLoss: c.clipValueLoss, valueCoef: c.valueCoef, entropyCoef: c.entropyCoef,
          });
          l.loss.backward();
          if (Number.isFinite(c.maxGradNorm)) {
            // On the CPU reading the norm back is free; elsewhere the tensor version avoids a sync.
            if (this.device === 'cpu') clipGradNorm(params, c.maxGradNorm);
            else clipGradNormTensor(params, c.maxGradNorm).dispose();
          }
          this.optimizer.step();
          this.optimizer.zeroGrad();
          return [l.loss, l.policyLoss, l.valueLoss, l.entropy, l.approxKl, l.clipFraction].map((t) => t.detach());
        });
      }
    }
    this.iteration++;
    const v: number[] = [];
    for (const t of last) {
      v.push((await this.read(t))[0]!);
      t.dispose();
    }
    return { loss: v[0]!, policyLoss: v[1]!, valueLoss: v[2]!, entropy: v[3]!, approxKl: v[4]!, clipFraction: v[5]!, lr };
  }

  /** collect + computeAdvantages + update. */
  async iterate(onStep?: (t: number) => void): Promise<{ episodes: EpisodeEnd[]; stats: PPOStats }> {
    const episodes = await this.collect(onStep);
    this.computeAdvantages();
    const stats = await this.update();
    return { episodes, stats };
  }
}
