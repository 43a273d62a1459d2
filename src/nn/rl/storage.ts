/**
 * Rollout storage and minibatch iteration, on plain typed arrays (time-major: row t * numEnvs + i).
 */
import type { Generator } from '../../autograd/random.js';
import { randperm } from '../../autograd/random.js';
import { gae, nStepReturns } from './returns.js';

/**
 * One rollout of numSteps steps from numEnvs rows (environments, or environment × agent rows):
 * what the policy saw and did (obs, actions, logProbs, values) and what followed (rewards,
 * terminated, truncated, truncValues = V(final obs) where truncated), then advantages and returns.
 */
export class RolloutBuffer {
  readonly numSteps: number;
  readonly numEnvs: number;
  readonly obsSize: number;
  readonly obs: Float32Array;
  readonly actions: Int32Array;
  readonly logProbs: Float32Array;
  readonly values: Float32Array;
  readonly rewards: Float32Array;
  readonly terminated: Uint8Array;
  readonly truncated: Uint8Array;
  readonly truncValues: Float32Array;
  readonly advantages: Float32Array;
  readonly returns: Float32Array;
  /** [numEnvs]: V(s_T) after the last step. */
  readonly lastValues: Float32Array;

  constructor(numSteps: number, numEnvs: number, obsSize: number) {
    for (const [k, v] of [['numSteps', numSteps], ['numEnvs', numEnvs], ['obsSize', obsSize]] as const)
      if (!(Number.isInteger(v) && v >= 1)) throw new Error(`RolloutBuffer: ${k} must be a positive integer, got ${v}`);
    this.numSteps = numSteps;
    this.numEnvs = numEnvs;
    this.obsSize = obsSize;
    const n = numSteps * numEnvs;
    this.obs = new Float32Array(n * obsSize);
    this.actions = new Int32Array(n);
    this.logProbs = new Float32Array(n);
    this.values = new Float32Array(n);
    this.rewards = new Float32Array(n);
    this.terminated = new Uint8Array(n);
    this.truncated = new Uint8Array(n);
    this.truncValues = new Float32Array(n);
    this.advantages = new Float32Array(n);
    this.returns = new Float32Array(n);
    this.lastValues = new Float32Array(numEnvs);
  }

  get size(): number {
    return this.numSteps * this.numEnvs;
  }

  /** Records what the policy saw and did at step t (obs [numEnvs * obsSize], the rest [numEnvs]). */
  recordPolicy(t: number, obs: Float32Array, actions: Int32Array, logProbs: ArrayLike<number>, values: ArrayLike<number>): void {
    this.checkStep(t);
    const N = this.numEnvs, at = t * N;
    this.obs.set(obs.subarray(0, N * this.obsSize), at * this.obsSize);
    this.actions.set(actions.subarray(0, N), at);
    for (let i = 0; i < N; i++) {
      this.logProbs[at + i] = logProbs[i]!;
      this.values[at + i] = values[i]!;
    }
  }

  /**
   * Records the outcome of step t: rewards [numEnvs] and the episode ends. `terminated`/`truncated`
   * may have one entry per environment while rows are environment × agent (`agentsPerEnv` > 1):
   * every agent of an environment shares its episode end.
   */
  recordOutcome(t: number, rewards: ArrayLike<number>, terminated: ArrayLike<number>, truncated: ArrayLike<number>, agentsPerEnv = 1): void {
    this.checkStep(t);
    const N = this.numEnvs, at = t * N;
    for (let i = 0; i < N; i++) {
      const e = (i / agentsPerEnv) | 0;
      this.rewards[at + i] = rewards[i]!;
      this.terminated[at + i] = terminated[e] ? 1 : 0;
      this.truncated[at + i] = truncated[e] ? 1 : 0;
      this.truncValues[at + i] = 0;
    }
  }

  /** GAE over the stored rollout (fills advantages and returns; see returns.ts). */
  computeGae(gamma: number, lambda: number): void {
    gae({ ...this.returnsInput(gamma), lambda }, { advantages: this.advantages, returns: this.returns });
  }

  /** n-step returns over the stored rollout (fills returns, and advantages = returns − values). */
  computeNStep(gamma: number, n?: number): void {
    nStepReturns({ ...this.returnsInput(gamma), n }, this.returns);
    for (let k = 0; k < this.size; k++) this.advantages[k] = this.returns[k]! - this.values[k]!;
  }

  private returnsInput(gamma: number) {
    return {
      numSteps: this.numSteps, numEnvs: this.numEnvs, rewards: this.rewards, values: this.values,
      terminated: this.terminated, truncated: this.truncated, truncValues: this.truncValues, lastValues: this.lastValues, gamma,
    };
  }

  private checkStep(t: number): void {
    if (!(Number.isInteger(t) && t >= 0 && t < this.numSteps)) throw new Error(`RolloutBuffer: step ${t} is outside [0, ${this.numSteps})`);
  }
}

/**
 * Shuffled minibatches of 0..n−1: one seeded permutation (pg.randperm's numbers for this
 * generator state) cut into numMinibatches consecutive slices of n / numMinibatches indices.
 */
export function minibatches(n: number, numMinibatches: number, generator: Generator): Int32Array[] {
  if (!(Number.isInteger(numMinibatches) && numMinibatches >= 1 && n % numMinibatches === 0))
    throw new Error(`minibatches: ${n} samples do not split into ${numMinibatches} equal minibatches`);
  const perm = randperm(generator.seed, generator.next(n), n);
  const size = n / numMinibatches;
  return Array.from({ length: numMinibatches }, (_, m) => perm.subarray(m * size, (m + 1) * size));
}

/** Rows idx of a row-major [*, rowSize] array, packed into out (or a new array). */
export function gatherRows<T extends Float32Array | Int32Array | Uint8Array>(src: T, rowSize: number, idx: ArrayLike<number>, out?: T): T {
  const n = idx.length * rowSize;
  const dst = out ?? (new (src.constructor as new (n: number) => T)(n));
  if (dst.length < n) throw new Error(`gatherRows: output has ${dst.length} entries, need ${n}`);
  if (rowSize === 1) for (let r = 0; r < idx.length; r++) dst[r] = src[idx[r]!]!;
  else for (let r = 0; r < idx.length; r++) dst.set(src.subarray(idx[r]! * rowSize, idx[r]! * rowSize + rowSize), r * rowSize);
  return dst;
}
