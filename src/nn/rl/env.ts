/**
 * Vectorised environments: N copies stepped at once, everything in plain typed arrays.
 *
 * A VecEnv holds its observations in one Float32Array [numEnvs, numAgents, obsSize] (numAgents is
 * 1 for single-agent environments) and steps all copies with one call. An episode that ends is
 * reset automatically inside step(): `obs` then already holds the first observation of the next
 * episode, and `finalObs` keeps the observation the ended episode finished on, so a learner can
 * bootstrap a time-limit truncation with V(finalObs) instead of treating it as terminal.
 *
 * SyncVecEnv builds a VecEnv from N single environments (the Env interface below); an environment
 * family may also implement VecEnv directly.
 */
import { Rng } from './rng.js';

/** What a step ended with, per environment. */
export const RUNNING = 0;
/** The episode reached a terminal state: no future reward, bootstrap with 0. */
export const TERMINATED = 1;
/** The episode hit its time limit: the state is not terminal, bootstrap with V(finalObs). */
export const TRUNCATED = 2;

export interface VecEnv {
  readonly numEnvs: number;
  /** Agents per environment (1 for single-agent environments); rows of obs/actions/rewards = numEnvs * numAgents. */
  readonly numAgents: number;
  /** Floats per agent observation. */
  readonly obsSize: number;
  readonly numActions: number;
  /** [numEnvs * numAgents * obsSize]: the current observations (after an auto-reset, the new episode's first). */
  readonly obs: Float32Array;
  /** [numEnvs * numAgents]: rewards of the last step. */
  readonly rewards: Float32Array;
  /** [numEnvs]: 1 where the last step ended the episode in a terminal state. */
  readonly terminated: Uint8Array;
  /** [numEnvs]: 1 where the last step hit the time limit (and the state was not terminal). */
  readonly truncated: Uint8Array;
  /** [numEnvs * numAgents * obsSize]: where an episode ended at the last step, its final observation. */
  readonly finalObs: Float32Array;
  /** [numEnvs]: where an episode ended at the last step, its undiscounted return (summed over agents) and length. */
  readonly episodeReturn: Float32Array;
  readonly episodeLength: Int32Array;
  /** Starts a new episode in every environment and writes obs. */
  reset(): void;
  /** Applies actions [numEnvs * numAgents] (integers in [0, numActions)) and auto-resets ended episodes. */
  step(actions: Int32Array): void;
}

/**
 * The step outputs of a VecEnv, allocated once for numEnvs × numAgents rows: the base class of the
 * vectorised environments (SyncVecEnv, and families that implement VecEnv directly). Subclasses
 * write these arrays in reset() and step().
 */
export abstract class VecEnvBase implements VecEnv {
  readonly obs: Float32Array;
  readonly rewards: Float32Array;
  readonly terminated: Uint8Array;
  readonly truncated: Uint8Array;
  readonly finalObs: Float32Array;
  readonly episodeReturn: Float32Array;
  readonly episodeLength: Int32Array;

  constructor(
    readonly numEnvs: number,
    readonly numAgents: number,
    readonly obsSize: number,
    readonly numActions: number,
  ) {
    const rows = numEnvs * numAgents;
    this.obs = new Float32Array(rows * obsSize);
    this.finalObs = new Float32Array(rows * obsSize);
    this.rewards = new Float32Array(rows);
    this.terminated = new Uint8Array(numEnvs);
    this.truncated = new Uint8Array(numEnvs);
    this.episodeReturn = new Float32Array(numEnvs);
    this.episodeLength = new Int32Array(numEnvs);
  }

  abstract reset(): void;
  abstract step(actions: Int32Array): void;
}

/** One environment, for SyncVecEnv. It draws all its randomness from the Rng it is given. */
export interface Env {
  readonly obsSize: number;
  readonly numActions: number;
  /** Agents acting at once (default 1). */
  readonly numAgents?: number;
  /** Starts a new episode. */
  reset(rng: Rng): void;
  /**
   * Applies actions[at .. at + numAgents), writes the agents' rewards to rewards[at ..], and returns
   * RUNNING, TERMINATED or TRUNCATED (an environment with its own time limit returns TRUNCATED).
   */
  step(actions: Int32Array, rewards: Float32Array, at: number, rng: Rng): number;
  /** Writes the current observation (numAgents * obsSize floats) to out[at ..]. */
  observe(out: Float32Array, at: number): void;
}

export interface SyncVecEnvOptions {
  /** Seed of the environments' shared random stream (default 0), or an Rng to draw from. */
  seed?: number | Rng;
  /** Time limit in steps (truncation); omit when the environments enforce their own. */
  maxSteps?: number;
}

/** N single environments stepped in a loop, as one VecEnv (see the file comment). */
export class SyncVecEnv extends VecEnvBase {
  readonly envs: Env[];
  readonly rng: Rng;
  readonly maxSteps: number;
  private readonly runningReturn: Float64Array;
  private readonly steps: Int32Array;

  constructor(envs: Env[], opts: SyncVecEnvOptions = {}) {
    if (!envs.length) throw new Error('SyncVecEnv: need at least one environment');
    const e0 = envs[0]!;
    for (const e of envs)
      if (e.obsSize !== e0.obsSize || e.numActions !== e0.numActions || (e.numAgents ?? 1) !== (e0.numAgents ?? 1))
        throw new Error(`SyncVecEnv: environments differ (obsSize ${e.obsSize} vs ${e0.obsSize}, numActions ${e.numActions} vs ${e0.numActions})`);
    const maxSteps = opts.maxSteps ?? Infinity;
    if (!(maxSteps >= 1)) throw new Error(`SyncVecEnv: maxSteps must be >= 1, got ${opts.maxSteps}`);
    super(envs.length, e0.numAgents ?? 1, e0.obsSize, e0.numActions);
    this.envs = envs;
    this.maxSteps = maxSteps;
    this.rng = opts.seed instanceof Rng ? opts.seed : new Rng(opts.seed ?? 0);
    this.runningReturn = new Float64Array(this.numEnvs);
    this.steps = new Int32Array(this.numEnvs);
  }

  reset(): void {
    const per = this.numAgents * this.obsSize;
    for (let i = 0; i < this.numEnvs; i++) {
      this.envs[i]!.reset(this.rng);
      this.envs[i]!.observe(this.obs, i * per);
      this.runningReturn[i] = 0;
      this.steps[i] = 0;
    }
    this.rewards.fill(0);
    this.terminated.fill(0);
    this.truncated.fill(0);
  }

  step(actions: Int32Array): void {
    const na = this.numAgents, per = na * this.obsSize, n = this.numActions;
    if (actions.length !== this.numEnvs * na) throw new Error(`VecEnv.step: expected ${this.numEnvs * na} actions, got ${actions.length}`);
    for (let i = 0; i < this.numEnvs; i++) {
      const env = this.envs[i]!;
      const at = i * na;
      for (let a = at; a < at + na; a++) {
        const act = actions[a]!;
        if (!(act >= 0 && act < n)) throw new Error(`VecEnv.step: action ${act} of env ${i} is outside [0, ${n})`);
      }
      let end = env.step(actions, this.rewards, at, this.rng);
      let r = 0;
      for (let a = at; a < at + na; a++) r += this.rewards[a]!;
      this.runningReturn[i] += r;
      const t = ++this.steps[i]!;
      if (end === RUNNING && t >= this.maxSteps) end = TRUNCATED;
      this.terminated[i] = end === TERMINATED ? 1 : 0;
      this.truncated[i] = end === TRUNCATED ? 1 : 0;
      if (end === RUNNING) {
        env.observe(this.obs, i * per);
        continue;
      }
      env.observe(this.finalObs, i * per);
      this.episodeReturn[i] = this.runningReturn[i]!;
      this.episodeLength[i] = t;
      this.runningReturn[i] = 0;
      this.steps[i] = 0;
      env.reset(this.rng);
      env.observe(this.obs, i * per);
    }
  }
}
