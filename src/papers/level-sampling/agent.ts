/**
 * The agent and its measurements: PPO (pg.rl) with a shared-trunk actor-critic on TinyCave, fed by a
 * LevelSource; batched evaluation on sets of levels; the representation's mutual information with
 * the training-level identity (a linear probe on held-out rollouts); the generalisation bound.
 */
import * as pg from '../../autograd/index.js';
import type { Generator, Tensor } from '../../autograd/index.js';
import { Adam } from '../../nn/optim.js';
import { ActorCritic, PPO, type PPOConfig } from '../../nn/rl/ppo.js';
import { sampleActions } from '../../nn/rl/policy.js';
import { Rng } from '../../nn/rl/rng.js';
import type { LevelSource } from './sources.js';
import { GOAL, LAVA, MAX_STEPS, OBS_SIZE, TinyCaveVecEnv, WALL, aimedCell, writeView, type Level } from './tinycave.js';

export interface AgentConfig {
  hidden: number[];
  numEnvs: number;
  ppo: Partial<Omit<PPOConfig, 'generator'>>;
}

/** The shared-trunk actor-critic (SSED's argument is about base layers shared by actor and critic). */
export function makeAgent(cfg: AgentConfig, generator: Generator): ActorCritic {
  return new ActorCritic(OBS_SIZE, 4, { hidden: cfg.hidden, activation: 'tanh', shared: true, generator });
}

export interface TrainLog {
  /** Environment steps at the end of each logged iteration, and the mean return of episodes finished in it. */
  steps: number[];
  rolloutReturn: number[];
  /** Fraction of finished episodes that reached the goal. */
  rolloutSolved: number[];
}

/**
 * Trains `net` with PPO on levels from `source` for `totalSteps` environment steps. After every
 * rollout, each environment's steps are cut into chunks of one level each (an episode, or the
 * part of it inside the rollout), and source.update gets the chunk's GAE advantages.
 */
export async function trainAgent(net: ActorCritic, source: LevelSource, opts: {
  cfg: AgentConfig; totalSteps: number; generator: Generator; rng: Rng;
  onIteration?: (steps: number) => void | Promise<void>;
}): Promise<TrainLog> {
  const { cfg, rng } = opts;
  const N = cfg.numEnvs;
  const env = new TinyCaveVecEnv(N, () => source.next(rng));
  const ppo = new PPO(env, net, { ...cfg.ppo, totalSteps: opts.totalSteps, generator: opts.generator });
  const T = ppo.buffer.numSteps;
  const stepLevel = new Int32Array(T * N);
  const stepEnd = new Uint8Array(T * N); // 1: the episode ended at this step; 2: ended at the goal
  let current = env.levelOf.slice();
  const log: TrainLog = { steps: [], rolloutReturn: [], rolloutSolved: [] };
  const chunk: number[] = [];
  while (ppo.globalStep < opts.totalSteps) {
    const episodes = await ppo.collect((t) => {
      for (let e = 0; e < N; e++) {
        stepLevel[t * N + e] = current[e]!;
        const ended = env.terminated[e] || env.truncated[e];
        stepEnd[t * N + e] = ended ? (env.solved[e] ? 2 : 1) : 0;
      }
      current = env.levelOf.slice();
    });
    ppo.computeAdvantages();
    const adv = ppo.buffer.advantages;
    for (let e = 0; e < N; e++) {
      chunk.length = 0;
      for (let t = 0; t < T; t++) {
        const k = t * N + e;
        chunk.push(adv[k]!);
        if (stepEnd[k] || t === T - 1) {
          source.update(stepLevel[k]!, chunk, stepEnd[k] === 2);
          chunk.length = 0;
        }
      }
    }
    await ppo.update();
    log.steps.push(ppo.globalStep);
    log.rolloutReturn.push(episodes.length ? episodes.reduce((a, x) => a + x.return, 0) / episodes.length : NaN);
    log.rolloutSolved.push(episodes.length ? episodes.filter((x) => x.return > 0).length / episodes.length : NaN);
    await opts.onIteration?.(ppo.globalStep);
  }
  return log;
}

async function read(t: Tensor): Promise<ArrayLike<number>> {
  return t.device === 'cpu' ? t.dataSync() : await t.data();
}

/**
 * The rows (level r / E, episode r % E) still playing, with the observation of the j-th of them
 * written at row j of obs.
 */
function observeActive(levels: Level[], E: number, pos: Int32Array, done: Uint8Array, obs: Float32Array): number[] {
  const active: number[] = [];
  for (let r = 0; r < pos.length; r++) if (!done[r]) active.push(r);
  active.forEach((r, j) => writeView(levels[(r / E) | 0]!.cells, pos[r]!, obs, j * OBS_SIZE));
  return active;
}

/**
 * Plays `episodes` episodes on every level with the stochastic policy (all at once, batched) and
 * returns each level's mean return and solve rate. Seeded by `generator`, so two agents evaluated
 * with equal generators draw from the same random stream.
 */
export async function evaluate(net: ActorCritic, levels: Level[], opts: { episodes: number; generator: Generator; greedy?: boolean }): Promise<{ returns: Float64Array; solved: Float64Array }> {
  const E = opts.episodes, R = levels.length * E;
  const device = net.actor[0]!.weight.device;
  const pos = new Int32Array(R), ret = new Float64Array(R), done = new Uint8Array(R), win = new Uint8Array(R);
  for (let r = 0; r < R; r++) pos[r] = levels[(r / E) | 0]!.start;
  const obs = new Float32Array(R * OBS_SIZE);
  const actions = new Int32Array(R), logProbs = new Float32Array(R);
  for (let t = 1; t <= MAX_STEPS; t++) {
    const active = observeActive(levels, E, pos, done, obs);
    if (!active.length) break;
    const n = active.length;
    const logitsT = pg.tidy(() => pg.noGrad(() => net.logits(pg.tensor(obs.slice(0, n * OBS_SIZE), { shape: [n, OBS_SIZE], device }))));
    const logits = await read(logitsT);
    logitsT.dispose();
    sampleActions(logits, n, 4, { generator: opts.generator, greedy: opts.greedy, actions, logProbs });
    active.forEach((r, j) => {
      const l = levels[(r / E) | 0]!;
      const p = pos[r]!;
      const q = aimedCell(p, actions[j]!);
      const k = l.cells[q]!;
      if (k !== WALL) pos[r] = q;
      if (k === GOAL) (ret[r] = 1 - (0.9 * t) / MAX_STEPS), (done[r] = 1), (win[r] = 1);
      else if (k === LAVA) done[r] = 1;
    });
  }
  const returns = new Float64Array(levels.length), solved = new Float64Array(levels.length);
  for (let r = 0; r < R; r++) {
    returns[(r / E) | 0] += ret[r]! / E;
    solved[(r / E) | 0] += win[r]! / E;
  }
  return { returns, solved };
}

/**
 * The representation (trunk output) at every state of `episodes` policy rollouts on each level,
 * labelled with the level's index and the episode's index within its level.
 */
export async function collectFeatures(net: ActorCritic, levels: Level[], opts: { episodes: number; generator: Generator }): Promise<{ features: Float32Array; dim: number; labels: Int32Array; episode: Int32Array }> {
  const E = opts.episodes, R = levels.length * E;
  const device = net.actor[0]!.weight.device;
  const pos = new Int32Array(R), done = new Uint8Array(R);
  for (let r = 0; r < R; r++) pos[r] = levels[(r / E) | 0]!.start;
  const obs = new Float32Array(R * OBS_SIZE);
  const actions = new Int32Array(R), logProbs = new Float32Array(R);
  const feats: Float32Array[] = [];
  const labels: number[] = [], episode: number[] = [];
  let dim = 0;
  for (let t = 1; t <= MAX_STEPS; t++) {
    const active = observeActive(levels, E, pos, done, obs);
    if (!active.length) break;
    const n = active.length;
    const [fT, lT] = pg.tidy(() => pg.noGrad(() => {
      const x = pg.tensor(obs.slice(0, n * OBS_SIZE), { shape: [n, OBS_SIZE], device });
      const h = net.features(x);
      return [h, net.policyHead!.forward(h)];
    }));
    const f = Float32Array.from(await read(fT!));
    const logits = await read(lT!);
    dim = fT!.shape[1]!;
    fT!.dispose();
    lT!.dispose();
    feats.push(f);
    for (const r of active) (labels.push((r / E) | 0), episode.push(r % E));
    sampleActions(logits, n, 4, { generator: opts.generator, actions, logProbs });
    active.forEach((r, j) => {
      const l = levels[(r / E) | 0]!;
      const p = pos[r]!;
      const q = aimedCell(p, actions[j]!);
      const k = l.cells[q]!;
      if (k !== WALL) pos[r] = q;
      if (k === GOAL || k === LAVA) done[r] = 1;
    });
  }
  const features = new Float32Array(labels.length * dim);
  let at = 0;
  for (const f of feats) (features.set(f, at), (at += f.length));
  return { features, dim, labels: Int32Array.from(labels), episode: Int32Array.from(episode) };
}

/**
 * A variational lower bound on the mutual information I(Z; L) between the representation Z and the
 * training-level identity L: a linear softmax probe p(l | z) is fitted on the states of the first
 * half of each level's rollouts and evaluated on the other half (held-out rollouts):
 *   MI ≈ H(L) − CE,  H(L) the entropy of the held-out labels, CE the probe's held-out cross-entropy
 * (nats). Each half is subsampled (seeded) to the same number of states per level, so H(L) = log |L|
 * for every agent and the estimates compare. Runs on the CPU in float64 (Adam, full batch).
 */
export function probeMI(data: { features: Float32Array; dim: number; labels: Int32Array; episode: Int32Array }, numLevels: number, opts: { episodes: number; rng: Rng; steps?: number; lr?: number; weightDecay?: number }): { mi: number; entropy: number; crossEntropy: number; accuracy: number; statesPerLevel: number } {
  const { features, dim, labels, episode } = data;
  const half = opts.episodes / 2;
  const byLevel = (first: boolean): number[][] => {
    const out: number[][] = Array.from({ length: numLevels }, () => []);
    for (let i = 0; i < labels.length; i++) if ((episode[i]! < half) === first) out[labels[i]!]!.push(i);
    return out;
  };
  const balance = (groups: number[][]): number[] => {
    const m = Math.min(...groups.map((g) => g.length));
    if (m === 0) throw new Error('probeMI: a level has no states in one half of its rollouts');
    return groups.flatMap((g) => Array.from(opts.rng.permutation(g.length).subarray(0, m), (k) => g[k]!));
  };
  const trainIdx = balance(byLevel(true)), testIdx = balance(byLevel(false));
  const statesPerLevel = testIdx.length / numLevels;
  const pick = (idx: number[]) => {
    const x = new Float64Array(idx.length * dim), y = new Int32Array(idx.length);
    idx.forEach((i, j) => {
      x.set(features.subarray(i * dim, (i + 1) * dim), j * dim);
      y[j] = labels[i]!;
    });
    return { x, y };
  };
  const tr = pick(trainIdx), te = pick(testIdx);
  const cpu = { device: 'cpu' as const, dtype: 'float64' as const };
  return pg.tidy(() => {
    const xtr = pg.tensor(tr.x, { shape: [trainIdx.length, dim], ...cpu }), ytr = pg.tensor(tr.y, { device: 'cpu' });
    const xte = pg.tensor(te.x, { shape: [testIdx.length, dim], ...cpu }), yte = pg.tensor(te.y, { device: 'cpu' });
    const w = pg.zeros([dim, numLevels], cpu).requiresGrad_();
    const b = pg.zeros([numLevels], cpu).requiresGrad_();
    const opt = new Adam([w, b], { lr: opts.lr ?? 0.05 });
    const wd = opts.weightDecay ?? 1e-3;
    const ce = (x: Tensor, y: Tensor) => x.matmul(w).add(b).logSoftmax(-1).gather(1, y.unsqueeze(1)).neg().mean();
    for (let s = 0; s < (opts.steps ?? 300); s++)
      pg.tidy(() => {
        ce(xtr, ytr).add(w.square().sum().mul(wd)).backward();
        opt.step();
        opt.zeroGrad();
      });
    const crossEntropy = pg.noGrad(() => ce(xte, yte).itemSync());
    const accuracy = pg.noGrad(() => xte.matmul(w).add(b).argmax(-1).eq(yte).float().mean().itemSync());
    const counts = new Float64Array(numLevels);
    for (const l of te.y) counts[l]++;
    let entropy = 0;
    for (const c of counts) if (c > 0) entropy -= (c / te.y.length) * Math.log(c / te.y.length);
    return { mi: entropy - crossEntropy, entropy, crossEntropy, accuracy, statesPerLevel };
  });
}

/** SSED's bound on the generalisation gap from the mutual information: sqrt(2·I / |L|) (I in nats, clipped at 0). */
export function miGapBound(mi: number, numLevels: number): number {
  return Math.sqrt((2 * Math.max(0, mi)) / numLevels);
}
