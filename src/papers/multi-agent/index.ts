/**
 * Shared Experience Actor-Critic (Christianos, Schäfer, Albrecht, NeurIPS 2020) and its two
 * baselines on Level-Based Foraging, built on the shared RL kit (pg.rl: rollout storage, n-step
 * returns with done and time-limit masks, the categorical policy head, the A2C loss, sampling).
 *
 *  - IAC: independent actor-critic; agent i has its own actor and critic and learns from its own
 *    experience with the A2C loss (n-step returns, entropy bonus).
 *  - SNAC: one actor and one critic shared by all agents, trained with the A2C loss on every agent's
 *    experience (the observation says which agent is which: the observer comes first).
 *  - SEAC: IAC plus, for every other agent k, the A2C loss on k's experience weighted by the
 *    importance ratio w = π_i(a_k|o_k) / π_k(a_k|o_k), held constant (no gradient):
 *      L_π(i) = −A_i·log π_i(a_i|o_i) − λ Σ_k w·A_{k,i}·log π_i(a_k|o_k)
 *      L_V(i) = (V_i(o_i) − y_i)² + λ Σ_k w·(V_i(o_k) − y_{k,i})²
 *    with y_{k,i} the n-step return of k's rewards bootstrapped with agent i's critic V_i, and
 *    A_{k,i} = y_{k,i} − V_i(o_k) (constant). λ = 1 in the paper.
 *
 * The agents' networks are stored stacked (one [G, in, out] weight per layer, G = number of agents
 * for IAC/SEAC, 1 for SNAC) and run as batched matrix products: separate networks, one call.
 */
import * as pg from '../../autograd/index.js';
import type { DType, Generator, Tensor } from '../../autograd/index.js';
import { Module, parameter } from '../../nn/module.js';
import * as init from '../../nn/init.js';
import { Adam } from '../../nn/optim.js';
import { a2cLoss, Categorical, nStepReturns, RolloutBuffer, sampleActions } from '../../nn/rl/index.js';
import { LbfVec, NONE, NUM_ACTIONS, type LbfConfig, type LbfFrame } from './lbf.js';

export * from './lbf.js';
export * from './render.js';

// ------------------------------------------------------------------------------------ networks

/**
 * G independent MLPs of the same sizes (ReLU between layers), evaluated together: input
 * [G or 1, R, in] → output [G, R, out]. Orthogonal weights (per group, gain √2 inside and
 * `outGain` on the last layer) and zero biases, as the SEAC paper's networks.
 */
export class StackedMLP extends Module {
  readonly weights: Tensor[];
  readonly biases: Tensor[];
  constructor(readonly groups: number, readonly sizes: readonly number[], opts: { outGain?: number; generator?: Generator; dtype?: DType } = {}) {
    super();
    if (!(Number.isInteger(groups) && groups >= 1)) throw new RangeError(`StackedMLP: groups must be a positive integer, got ${groups}`);
    if (sizes.length < 2) throw new RangeError(`StackedMLP: need at least input and output sizes, got [${sizes.join(', ')}]`);
    const dtype = opts.dtype ?? 'float32';
    this.weights = [];
    this.biases = [];
    for (let l = 0; l + 1 < sizes.length; l++) {
      const [fanIn, fanOut] = [sizes[l]!, sizes[l + 1]!];
      const gain = l + 2 === sizes.length ? (opts.outGain ?? 1) : Math.SQRT2;
      // Each group's [out, in] matrix as torch.nn.init.orthogonal_ makes it, stored transposed.
      const per = Array.from({ length: groups }, () => {
        const w = pg.zeros([fanOut, fanIn], { dtype });
        init.orthogonal_(w, { gain, generator: opts.generator });
        return w;
      });
      this.weights.push(parameter(pg.tidy(() => pg.stack(per.map((w) => w.transpose(0, 1)), 0).contiguous())));
      per.forEach((w) => w.dispose());
      this.biases.push(parameter(pg.zeros([groups, 1, fanOut], { dtype })));
    }
  }

  forward(x: Tensor): Tensor {
    if (x.rank !== 3 || (x.shape[0] !== 1 && x.shape[0] !== this.groups) || x.shape[2] !== this.sizes[0])
      throw new Error(`StackedMLP: expected input [${this.groups} or 1, rows, ${this.sizes[0]}], got [${x.shape.join(', ')}]`);
    return pg.tidy(() => {
      let h = x;
      for (let l = 0; l < this.weights.length; l++) {
        h = h.matmul(this.weights[l]!).add(this.biases[l]!);
        if (l + 1 < this.weights.length) h = h.relu();
      }
      return h;
    });
  }
}

export type Method = 'iac' | 'snac' | 'seac';

/** The team's actors and critics: one group per agent (IAC, SEAC) or one shared group (SNAC). */
export class TeamActorCritic extends Module {
  readonly actor: StackedMLP;
  readonly critic: StackedMLP;
  readonly groups: number;
  /** Observations are multiplied by this before the first layer (1: raw, as the paper). */
  readonly obsScale: number;
  constructor(readonly agents: number, readonly obsSize: number, readonly shared: boolean, opts: { hidden?: number[]; obsScale?: number; generator?: Generator; dtype?: DType } = {}) {
    super();
    this.obsScale = opts.obsScale ?? 1;
    const hidden = opts.hidden ?? [64, 64];
    this.groups = shared ? 1 : agents;
    const common = { generator: opts.generator, dtype: opts.dtype };
    this.actor = new StackedMLP(this.groups, [obsSize, ...hidden, NUM_ACTIONS], { ...common, outGain: 0.01 });
    this.critic = new StackedMLP(this.groups, [obsSize, ...hidden, 1], { ...common, outGain: 1 });
  }

  /** Logits [G, R, actions] and values [G, R] of every group on x [G or 1, R, obs]. */
  forward(x: Tensor): { logits: Tensor; values: Tensor } {
    return { logits: this.logits(x), values: this.values(x) };
  }

  /** Policy logits [G, R, actions] only (acting). */
  logits(x: Tensor): Tensor {
    return pg.tidy(() => this.actor.forward(this.scale(x)));
  }

  /** Values [G, R] only (bootstrapping). */
  values(x: Tensor): Tensor {
    return pg.tidy(() => this.critic.forward(this.scale(x)).squeeze(2));
  }

  private scale(x: Tensor): Tensor {
    return this.obsScale === 1 ? x : x.mul(this.obsScale);
  }
}

/**
 * Per-group global-norm gradient clipping for stacked parameters (leading dim = group): each group's
 * gradients, over all the given parameters, are scaled by min(1, maxNorm / (‖g‖ + 1e-6)), as if each
 * agent's network were clipped on its own. Returns the norms before clipping, [G] (no readback).
 */
export function clipGradNormPerGroup(params: Tensor[], maxNorm: number): Tensor {
  const ps = params.filter((p) => p.grad !== null);
  if (!ps.length) throw new Error('clipGradNormPerGroup: no parameter has a gradient');
  const G = ps[0]!.shape[0]!;
  for (const p of ps) if (p.shape[0] !== G) throw new Error(`clipGradNormPerGroup: leading dims differ (${p.shape[0]} vs ${G})`);
  return pg.noGrad(() => {
    const norms = pg.tidy(() => pg.stack(ps.map((p) => p.grad!.square().reshape([G, -1]).sum(1)), 1).sum(1).sqrt());
    pg.tidy(() => {
      const coef = norms.add(1e-6).reciprocal().mul(maxNorm).clamp(null, 1);
      for (const p of ps) {
        const old = p.grad!;
        p.grad = pg.keep(old.mul(coef.reshape([G, ...p.shape.slice(1).map(() => 1)])));
        old.dispose();
      }
    });
    return norms;
  });
}

// ------------------------------------------------------------------------------------ losses

export interface LossCoefs {
  valueCoef: number;
  entropyCoef: number;
}

/** An agent's own experience as seen by its own networks, [G, M] each. */
export interface OwnTerms {
  logp: Tensor;
  entropy: Tensor;
  values: Tensor;
  returns: Tensor;
  /** Defaults to (returns − values) held constant. */
  advantages?: Tensor;
}

/** Other agents' experience as seen by each group's networks, [G, S] each (S = (agents − 1)·M). */
export interface SharedTerms {
  logp: Tensor;
  values: Tensor;
  /** n-step returns of the acting agent's rewards, bootstrapped with the learning agent's critic. */
  returns: Tensor;
  /** log π_k(a_k|o_k) of the agent k that acted (no gradient flows into it). */
  behaviourLogp: Tensor;
  /** Defaults to importanceWeights(logp, behaviourLogp). */
  weights?: Tensor;
  advantages?: Tensor;
}

/** w = π_i(a_k|o_k) / π_k(a_k|o_k) = exp(log π_i − log π_k), without gradient; exactly 1 where the policies agree. */
export function importanceWeights(logp: Tensor, behaviourLogp: Tensor): Tensor {
  return pg.noGrad(() => logp.detach().sub(behaviourLogp.detach()).exp());
}

/**
 * IAC: the sum over agents of each agent's A2C loss on its own experience (the kit's a2cLoss over
 * the G·M samples is the mean of the per-agent losses, so it is scaled by G).
 */
export function iacLoss(own: OwnTerms, c: LossCoefs): Tensor {
  const G = own.logp.shape[0]!;
  const flat = (t: Tensor): Tensor => t.reshape([-1]);
  const parts = a2cLoss({
    logProb: flat(own.logp),
    values: flat(own.values),
    returns: flat(own.returns),
    advantages: own.advantages ? flat(own.advantages) : undefined,
    entropy: flat(own.entropy),
    valueCoef: c.valueCoef,
    entropyCoef: c.entropyCoef,
  });
  return parts.loss.mul(G);
}

/** SNAC: the shared network's A2C loss on every agent's experience ([1, A·M]: the mean over all samples). */
export function snacLoss(own: OwnTerms, c: LossCoefs): Tensor {
  if (own.logp.shape[0] !== 1) throw new Error(`snacLoss: expected one shared group, got ${own.logp.shape[0]}`);
  return iacLoss(own, c);
}

/**
 * SEAC: iacLoss(own) + λ · Σ_groups (1/M) Σ_shared samples [−w·A·log π + c_V·w·(V − y)²]
 * (each other agent's term is a mean over its M samples, as in the paper's sum over agents).
 * With λ = 0 the shared term adds exact zeros, so the update equals IAC's bit for bit.
 */
export function seacLoss(own: OwnTerms, shared: SharedTerms, c: LossCoefs & { lambda: number }): { loss: Tensor; sharedLoss: Tensor; meanWeight: Tensor } {
  const M = own.logp.shape[1]!;
  const w = shared.weights ?? importanceWeights(shared.logp, shared.behaviourLogp);
  const adv = shared.advantages ?? pg.noGrad(() => shared.returns.sub(shared.values.detach()));
  const policy = w.mul(adv).mul(shared.logp).neg();
  const value = w.mul(shared.returns.sub(shared.values).square()).mul(c.valueCoef);
  const sharedLoss = policy.add(value).sum().div(M);
  const loss = iacLoss(own, c).add(sharedLoss.mul(c.lambda));
  return { loss, sharedLoss, meanWeight: pg.noGrad(() => w.mean()) };
}

// ------------------------------------------------------------------------------------ training

export interface TrainConfig {
  method: Method;
  /** SEAC's weight on the shared experience (the paper: 1). */
  lambda: number;
  /** Parallel environments and steps per rollout (the n of the n-step returns). */
  numEnvs: number;
  numSteps: number;
  /** Environment steps in all (one step of one environment counts once, whatever the number of agents). */
  totalSteps: number;
  gamma: number;
  lr: number;
  adamEps: number;
  entropyCoef: number;
  valueCoef: number;
  maxGradNorm: number;
  hidden: number[];
  /** Input scaling of the networks (1: raw observations). */
  obsScale: number;
  /** Evaluate every this many environment steps (and at 0 and the end). */
  evalEvery: number;
  /** Episodes per evaluation (the same layouts at every evaluation). */
  evalEpisodes: number;
}

/** The SEAC paper's A2C settings (Adam 3e-4, ε 1e-3, γ 0.99, 5-step returns, entropy 0.01, clip 0.5, 64-64). */
export const PAPER_CONFIG: Omit<TrainConfig, 'method' | 'totalSteps' | 'evalEvery' | 'evalEpisodes'> = {
  lambda: 1,
  numEnvs: 4,
  numSteps: 5,
  gamma: 0.99,
  lr: 3e-4,
  adamEps: 1e-3,
  entropyCoef: 0.01,
  valueCoef: 0.5,
  maxGradNorm: 0.5,
  hidden: [64, 64],
  obsScale: 1,
};

export interface EvalPoint {
  step: number;
  /** Mean team return (summed over agents) of the evaluation episodes. */
  teamReturn: number;
}

export interface TrainResult {
  method: Method;
  curve: EvalPoint[];
  /** Team returns of the training episodes, in the order they ended, with the step they ended at. */
  trainEpisodes: { step: number; teamReturn: number }[];
  /** Mean importance weight of SEAC's shared samples per update (empty for IAC and SNAC). */
  meanWeights: number[];
  updates: number;
  net: TeamActorCritic;
}

/** Agent-major copy of env-major observations: out[(k·n + i)·D + d] = obs[(i·A + k)·D + d]. */
export function agentMajor(obs: Float32Array, n: number, A: number, D: number, out: Float32Array = new Float32Array(n * A * D)): Float32Array {
  for (let i = 0; i < n; i++) for (let k = 0; k < A; k++) out.set(obs.subarray((i * A + k) * D, (i * A + k + 1) * D), (k * n + i) * D);
  return out;
}

/** Samples every agent's action from its own group's actor; obsA agent-major [A·n·D]; returns env-major actions [n·A]. */
export function actTeam(net: TeamActorCritic, obsA: Float32Array, n: number, generator: Generator, out: Int32Array = new Int32Array(n * net.agents)): { envActions: Int32Array; actions: Int32Array; logProbs: Float32Array } {
  const A = net.agents, D = net.obsSize;
  const logits = pg.tidy(() =>
    pg.noGrad(() => {
      // Per-agent groups: [A, n, D] (group k sees agent k); one shared group: [1, A·n, D]. Rows come out agent-major either way.
      const x = pg.tensor(obsA, { shape: net.groups === 1 ? [1, A * n, D] : [A, n, D] });
      return net.logits(x).dataSync() as Float32Array;
    }),
  );
  const { actions, logProbs } = sampleActions(logits, A * n, NUM_ACTIONS, { generator });
  for (let k = 0; k < A; k++) for (let i = 0; i < n; i++) out[i * A + k] = actions[k * n + i]!;
  return { envActions: out, actions, logProbs };
}

/** Critic values of every group on every agent's rows: obsA agent-major [A·r·D] → Float32Array [G, A·r] (rows agent-major). */
function allValues(net: TeamActorCritic, obsA: Float32Array, rows: number): Float32Array {
  return pg.tidy(() => pg.noGrad(() => net.values(pg.tensor(obsA, { shape: [1, net.agents * rows, net.obsSize] })).dataSync() as Float32Array));
}

/**
 * One team and its A2C learner: `collect()` runs a rollout of numSteps steps in numEnvs
 * environments and computes the n-step returns; `update()` takes one gradient step on it.
 * Randomness: environments from `seed`, network initialisation and action sampling from
 * generators seeded from it (so two learners with the same seed act alike while their policies do).
 */
export class TeamLearner {
  readonly env: LbfVec;
  readonly net: TeamActorCritic;
  readonly opt: Adam;
  readonly params: Tensor[];
  readonly buffers: RolloutBuffer[];
  /** SEAC's cross bootstraps, index g·A + k: V_g on agent k's final observations (where truncated) and last observations. */
  readonly crossTrunc: Float32Array[];
  readonly crossLast: Float32Array[];
  /** SEAC's mean importance weight per update. */
  readonly meanWeights: number[] = [];
  readonly gAct: Generator;
  /** Environment steps taken so far. */
  steps = 0;
  private readonly obsA: Float32Array;
  private readonly zeros: Float32Array;
  private readonly rewardsK: Float32Array;

  constructor(readonly lbf: LbfConfig, readonly cfg: TrainConfig, seed: number) {
    const A = lbf.agents, N = cfg.numEnvs, T = cfg.numSteps;
    this.env = new LbfVec(lbf, N, seed);
    const D = this.env.obsSize;
    this.net = new TeamActorCritic(A, D, cfg.method === 'snac', { hidden: cfg.hidden, obsScale: cfg.obsScale, generator: new pg.Generator(seed * 4 + 1) });
    this.gAct = new pg.Generator(seed * 4 + 2);
    this.params = this.net.parameters();
    this.opt = new Adam(this.params, { lr: cfg.lr, eps: cfg.adamEps });
    this.buffers = Array.from({ length: A }, () => new RolloutBuffer(T, N, D));
    const G = this.net.groups;
    this.crossTrunc = Array.from({ length: G * A }, () => new Float32Array(T * N));
    this.crossLast = Array.from({ length: G * A }, () => new Float32Array(N));
    this.obsA = new Float32Array(A * N * D);
    this.zeros = new Float32Array(N);
    this.rewardsK = new Float32Array(N);
  }

  /** One rollout; returns the team returns of the episodes that ended during it. */
  collect(): number[] {
    const { env, net, buffers, obsA } = this;
    const A = this.lbf.agents, N = this.cfg.numEnvs, T = this.cfg.numSteps, D = env.obsSize, G = net.groups;
    const ended: number[] = [];
    const own = (g: number, k: number): boolean => g === (G === 1 ? 0 : k);
    for (let t = 0; t < T; t++) {
      agentMajor(env.obs, N, A, D, obsA);
      const { envActions, actions, logProbs } = actTeam(net, obsA, N, this.gAct);
      for (let k = 0; k < A; k++)
        buffers[k]!.recordPolicy(t, obsA.subarray(k * N * D, (k + 1) * N * D), actions.subarray(k * N, (k + 1) * N), logProbs.subarray(k * N, (k + 1) * N), this.zeros);
      env.step(envActions);
      this.steps += N;
      const truncated: number[] = [];
      for (let i = 0; i < N; i++) {
        if (env.truncated[i]) truncated.push(i);
        if (env.terminated[i] || env.truncated[i]) ended.push(env.episodeReturn[i]!);
      }
      for (let k = 0; k < A; k++) {
        for (let i = 0; i < N; i++) this.rewardsK[i] = env.rewards[i * A + k]!;
        buffers[k]!.recordOutcome(t, this.rewardsK, env.terminated, env.truncated);
      }
      if (truncated.length) {
        // A time limit is not a terminal state: bootstrap from V(final observation), every group on every agent's.
        const J = truncated.length;
        const fin = new Float32Array(A * J * D);
        truncated.forEach((i, j) => {
          for (let k = 0; k < A; k++) fin.set(env.finalObs.subarray((i * A + k) * D, (i * A + k + 1) * D), (k * J + j) * D);
        });
        const v = allValues(net, fin, J);
        truncated.forEach((i, j) => {
          for (let g = 0; g < G; g++)
            for (let k = 0; k < A; k++) {
              const val = v[g * A * J + k * J + j]!;
              this.crossTrunc[g * A + k]![t * N + i] = val;
              if (own(g, k)) buffers[k]!.truncValues[t * N + i] = val;
            }
        });
      }
    }
    agentMajor(env.obs, N, A, D, obsA);
    const last = allValues(net, obsA, N);
    for (let g = 0; g < G; g++)
      for (let k = 0; k < A; k++) {
        const row = last.subarray(g * A * N + k * N, g * A * N + (k + 1) * N);
        this.crossLast[g * A + k]!.set(row);
        if (own(g, k)) buffers[k]!.lastValues.set(row);
      }
    for (const b of buffers) b.computeNStep(this.cfg.gamma);
    return ended;
  }

  /** The loss terms of the collected rollout (call inside pg.tidy). */
  terms(): BatchTerms {
    return batchTerms(this.net, this.buffers, this.cfg.method, this.cfg.gamma, this.cfg.method === 'seac' ? { crossTrunc: this.crossTrunc, crossLast: this.crossLast } : null);
  }

  /** One A2C step on the collected rollout: loss, backward, per-agent gradient clipping, Adam. */
  update(): void {
    const cfg = this.cfg;
    pg.tidy(() => {
      const cross = cfg.method === 'seac' ? { crossTrunc: this.crossTrunc, crossLast: this.crossLast } : null;
      updateLoss(this.net, this.buffers, cfg, { valueCoef: cfg.valueCoef, entropyCoef: cfg.entropyCoef }, cross, this.meanWeights).backward();
    });
    clipGradNormPerGroup(this.params, cfg.maxGradNorm).dispose();
    this.opt.step();
    this.opt.zeroGrad();
  }

  dispose(): void {
    this.net.dispose();
  }
}

/**
 * Trains a team with IAC, SNAC or SEAC for cfg.totalSteps environment steps, evaluating at 0, every
 * evalEvery steps and at the end on evalEpisodes fixed episodes (layouts from evalSeed, the same at
 * every evaluation and for every method given the same evalSeed).
 */
export async function trainTeam(
  lbf: LbfConfig,
  cfg: TrainConfig,
  seed: number,
  opts: { evalSeed?: number; onProgress?: (fraction: number, last: EvalPoint) => void } = {},
): Promise<TrainResult> {
  const learner = new TeamLearner(lbf, cfg, seed);
  const gEval = new pg.Generator(seed * 4 + 3);
  const evalSeed = opts.evalSeed ?? 1_000_003 + seed;
  const perUpdate = cfg.numEnvs * cfg.numSteps;
  const updates = Math.ceil(cfg.totalSteps / perUpdate);
  const curve: EvalPoint[] = [];
  const trainEpisodes: { step: number; teamReturn: number }[] = [];
  const evaluate = (): void => {
    curve.push({ step: learner.steps, teamReturn: evaluateTeam(learner.net, lbf, cfg.evalEpisodes, evalSeed, gEval) });
    opts.onProgress?.(learner.steps / (updates * perUpdate), curve[curve.length - 1]!);
  };
  let nextEval = 0;
  for (let u = 0; u < updates; u++) {
    if (learner.steps >= nextEval) {
      evaluate();
      nextEval += cfg.evalEvery;
    }
    for (const r of learner.collect()) trainEpisodes.push({ step: learner.steps, teamReturn: r });
    learner.update();
    if (u % 16 === 15) await Promise.resolve(); // let progress messages out
  }
  evaluate();
  return { method: cfg.method, curve, trainEpisodes, meanWeights: learner.meanWeights, updates, net: learner.net };
}

/** What one update's loss is made of: each group's own terms and (SEAC) its terms on the other agents' data. */
export interface BatchTerms {
  own: OwnTerms;
  shared: SharedTerms | null;
}

/**
 * Runs every group's networks on the rollout (returns already computed in the buffers) and lines up
 * the loss terms. Each group sees its own agent's M = T·N samples first (IAC, SEAC) or every agent's
 * (SNAC's one group); SEAC's groups then see the other agents' samples in index order, with returns
 * bootstrapped by their own critic (`cross`: every group's bootstrap values on every agent's data).
 */
export function batchTerms(
  net: TeamActorCritic,
  buffers: RolloutBuffer[],
  method: Method,
  gamma: number,
  cross: { crossTrunc: Float32Array[]; crossLast: Float32Array[] } | null,
): BatchTerms {
  const A = net.agents, G = net.groups, D = net.obsSize;
  const T = buffers[0]!.numSteps, N = buffers[0]!.numEnvs, M = T * N;
  const seac = method === 'seac';
  if (seac && (!cross || G !== A)) throw new Error('batchTerms: SEAC needs one group per agent and the cross bootstrap values');
  if ((method === 'snac') !== (G === 1)) throw new Error(`batchTerms: ${method} with ${G} network group(s)`);
  const all = Array.from({ length: A }, (_, k) => k);
  const order = (g: number): number[] => (G === 1 ? all : seac ? [g, ...all.filter((k) => k !== g)] : [g]);
  const R = order(0).length * M;
  const obs = new Float32Array(G * R * D), actions = new Int32Array(G * R), returns = new Float32Array(G * R);
  for (let g = 0; g < G; g++)
    order(g).forEach((k, j) => {
      const b = buffers[k]!, at = g * R + j * M;
      obs.set(b.obs, at * D);
      actions.set(b.actions, at);
      if (G === 1 || k === g) returns.set(b.returns, at);
      else
        returns.set(
          nStepReturns({
            numSteps: T, numEnvs: N, rewards: b.rewards, terminated: b.terminated, truncated: b.truncated,
            truncValues: cross!.crossTrunc[g * A + k]!, lastValues: cross!.crossLast[g * A + k]!, gamma,
          }),
          at,
        );
    });
  const { logits, values } = net.forward(pg.tensor(obs, { shape: [G, R, D] }));
  const dist = new Categorical(logits.reshape([G * R, NUM_ACTIONS]));
  const logp = dist.logProb(pg.tensor(actions, { dtype: 'int32' })).reshape([G, R]);
  const entropy = dist.entropy().reshape([G, R]);
  const ret = pg.tensor(returns, { shape: [G, R] }).to(values.dtype);
  if (!seac) return { own: { logp, entropy, values, returns: ret }, shared: null };
  const ownM = (t: Tensor): Tensor => t.narrow(1, 0, M);
  const sharedM = (t: Tensor): Tensor => t.narrow(1, M, R - M);
  const own = { logp: ownM(logp), entropy: ownM(entropy), values: ownM(values), returns: ownM(ret) };
  // The acting agent's own log-probabilities, lined up with each group's shared rows.
  const others = Array.from({ length: G }, (_, g) => order(g).slice(1)).flat();
  const behaviourLogp = own.logp.detach().indexSelect(0, pg.tensor(others, { dtype: 'int32' })).reshape([G, R - M]);
  return { own, shared: { logp: sharedM(logp), values: sharedM(values), returns: sharedM(ret), behaviourLogp } };
}

/** The loss of one update (see batchTerms); pushes SEAC's mean importance weight to meanWeights. */
export function updateLoss(
  net: TeamActorCritic,
  buffers: RolloutBuffer[],
  cfg: Pick<TrainConfig, 'method' | 'lambda' | 'gamma'>,
  coefs: LossCoefs,
  cross: { crossTrunc: Float32Array[]; crossLast: Float32Array[] } | null,
  meanWeights?: number[],
): Tensor {
  const { own, shared } = batchTerms(net, buffers, cfg.method, cfg.gamma, cross);
  if (cfg.method === 'iac') return iacLoss(own, coefs);
  if (cfg.method === 'snac') return snacLoss(own, coefs);
  const out = seacLoss(own, shared!, { ...coefs, lambda: cfg.lambda });
  meanWeights?.push(out.meanWeight.itemSync());
  return out.loss;
}

// ------------------------------------------------------------------------------------ evaluation

/** Runs one episode in each of `episodes` environments (layouts from layoutSeed) with `policy`; returns the mean team return. */
export function runEpisodes(lbf: LbfConfig, episodes: number, layoutSeed: number, policy: (env: LbfVec, out: Int32Array) => void): number {
  const env = new LbfVec(lbf, episodes, layoutSeed, { autoReset: false });
  const act = new Int32Array(episodes * lbf.agents);
  for (let t = 0; t < lbf.maxSteps; t++) {
    policy(env, act);
    env.step(act);
    let open = 0;
    for (let i = 0; i < episodes; i++) if (!env.terminated[i] && !env.truncated[i]) open++;
    if (!open) break;
  }
  let s = 0;
  for (let i = 0; i < episodes; i++) s += env.exactReturn[i]!;
  return s / episodes;
}

/** Mean team return of the trained team (actions sampled from its policies) on fixed evaluation episodes. */
export function evaluateTeam(net: TeamActorCritic, lbf: LbfConfig, episodes: number, layoutSeed: number, generator: Generator): number {
  const obsA = new Float32Array(episodes * lbf.agents * net.obsSize);
  return runEpisodes(lbf, episodes, layoutSeed, (env, out) => {
    agentMajor(env.obs, episodes, lbf.agents, net.obsSize, obsA);
    actTeam(net, obsA, episodes, generator, out);
  });
}

/** Mean team return of uniformly random actions on the same kind of episodes. */
export function randomTeamReturn(lbf: LbfConfig, episodes: number, layoutSeed: number, generator: Generator): number {
  return runEpisodes(lbf, episodes, layoutSeed, (_env, out) => {
    const w = pg.tidy(() => pg.randint(0, NUM_ACTIONS, [out.length], { generator, device: 'cpu' }).dataSync() as Int32Array);
    out.set(w);
  });
}

/** One episode of the trained team, as frames for the renderer (the start, then every step). */
export function recordEpisode(net: TeamActorCritic, lbf: LbfConfig, layoutSeed: number, generator: Generator): LbfFrame[] {
  const env = new LbfVec(lbf, 1, layoutSeed, { autoReset: false });
  const frames = [env.frame(0)];
  const obsA = new Float32Array(lbf.agents * net.obsSize);
  const act = new Int32Array(lbf.agents).fill(NONE);
  while (!env.terminated[0] && !env.truncated[0]) {
    agentMajor(env.obs, 1, lbf.agents, net.obsSize, obsA);
    actTeam(net, obsA, 1, generator, act);
    env.step(act);
    frames.push(env.frame(0));
  }
  return frames;
}

/** Area under an evaluation curve (trapezoid rule), divided by its step range: the curve's average height. */
export function curveArea(curve: readonly EvalPoint[]): number {
  if (curve.length < 2) throw new Error(`curveArea: need at least 2 points, got ${curve.length}`);
  let area = 0;
  for (let j = 1; j < curve.length; j++) area += ((curve[j]!.teamReturn + curve[j - 1]!.teamReturn) / 2) * (curve[j]!.step - curve[j - 1]!.step);
  return area / (curve[curve.length - 1]!.step - curve[0]!.step);
}
