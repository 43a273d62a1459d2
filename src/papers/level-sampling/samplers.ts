/**
 * Level samplers: uniform, and prioritised level replay (PLR, Jiang et al. 2021) with the scores the
 * SSED/DRED papers compare, rank prioritisation and staleness mixing:
 *
 *   h_i = 1 / rank(S_i)   (rank 1 = the highest score; ties broken by level index)
 *   P_S(i) ∝ h_i^(1/T)
 *   P_C(i) ∝ c − C_i      (c: episodes started so far, C_i: when level i was last started)
 *   P(i) = (1 − ρ)·P_S(i) + ρ·P_C(i)
 *
 * Until every level has been played once, an unseen level is started first (PLR's warm-up: a score
 * exists only after a level was played).
 */
import type { Rng } from '../../nn/rl/rng.js';

/** Per-level scores from the steps of one episode (or episode chunk) on that level. */
export type ScoreKind = 'valueL1' | 'positiveValueLoss' | 'gae' | 'groundedValueL1';
export const SCORE_KINDS: readonly ScoreKind[] = ['valueL1', 'positiveValueLoss', 'gae', 'groundedValueL1'];

/**
 * The score of a chunk of steps on one level from its advantages A_t = R̂_t − V_t (GAE returns):
 * valueL1 = mean |A|, positiveValueLoss = mean max(A, 0), gae = mean A, groundedValueL1 = valueL1
 * once the level has been solved at least once (else 0: its value loss is not grounded in a success).
 */
export function chunkScore(kind: ScoreKind, advantages: ArrayLike<number>, everSolved: boolean): number {
  const n = advantages.length;
  if (!n) throw new Error('chunkScore: empty chunk');
  let s = 0;
  for (let t = 0; t < n; t++) {
    const a = advantages[t]!;
    s += kind === 'positiveValueLoss' ? Math.max(a, 0) : kind === 'gae' ? a : Math.abs(a);
  }
  if (kind === 'groundedValueL1' && !everSolved) return 0;
  return s / n;
}

/** Rank prioritisation: P_S(i) ∝ (1/rank(S_i))^(1/T); rank 1 = the highest score, ties by index. */
export function rankWeights(scores: ArrayLike<number>, temperature: number): Float64Array {
  if (!(temperature > 0)) throw new Error(`rankWeights: temperature must be > 0, got ${temperature}`);
  const n = scores.length;
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => scores[b]! - scores[a]! || a - b);
  const w = new Float64Array(n);
  let z = 0;
  order.forEach((i, r) => {
    w[i] = Math.pow(1 / (r + 1), 1 / temperature);
    z += w[i]!;
  });
  for (let i = 0; i < n; i++) w[i]! /= z;
  return w;
}

/** Staleness: P_C(i) ∝ clock − lastPlayed_i (uniform when all are equally stale). */
export function stalenessWeights(lastPlayed: ArrayLike<number>, clock: number): Float64Array {
  const n = lastPlayed.length;
  const w = new Float64Array(n);
  let z = 0;
  for (let i = 0; i < n; i++) z += w[i] = Math.max(0, clock - lastPlayed[i]!);
  for (let i = 0; i < n; i++) w[i] = z > 0 ? w[i]! / z : 1 / n;
  return w;
}

/** P = (1 − ρ)·P_S + ρ·P_C. */
export function plrDistribution(scores: ArrayLike<number>, lastPlayed: ArrayLike<number>, clock: number, temperature: number, rho: number): Float64Array {
  if (!(rho >= 0 && rho <= 1)) throw new Error(`plrDistribution: rho must be in [0, 1], got ${rho}`);
  const ps = rankWeights(scores, temperature), pc = stalenessWeights(lastPlayed, clock);
  for (let i = 0; i < ps.length; i++) ps[i] = (1 - rho) * ps[i]! + rho * pc[i]!;
  return ps;
}

/** Chooses which of `size` levels the next episode plays, and learns from what happened there. */
export interface LevelSampler {
  readonly size: number;
  /** The level of the next episode. */
  next(rng: Rng): number;
  /** A scored chunk of play on level `id` (score from chunkScore; solved: the chunk reached the goal). */
  update(id: number, advantages: ArrayLike<number>, solved: boolean): void;
  /** The current sampling distribution (for figures and tests). */
  distribution(): Float64Array;
}

export class UniformSampler implements LevelSampler {
  constructor(readonly size: number) {}
  next(rng: Rng): number {
    return rng.int(this.size);
  }
  update(): void {}
  distribution(): Float64Array {
    return new Float64Array(this.size).fill(1 / this.size);
  }
}

export interface PLROptions {
  score: ScoreKind;
  /** Rank temperature T (PLR: 0.1). */
  temperature: number;
  /** Staleness weight ρ (PLR: 0.1 with β = 0.1 in the paper; DCD uses 0.3). */
  rho: number;
}

export class PLRSampler implements LevelSampler {
  readonly scores: Float64Array;
  readonly lastPlayed: Float64Array;
  readonly seen: Uint8Array;
  readonly everSolved: Uint8Array;
  clock = 0;

  constructor(readonly size: number, readonly opts: PLROptions) {
    this.scores = new Float64Array(size);
    this.lastPlayed = new Float64Array(size);
    this.seen = new Uint8Array(size);
    this.everSolved = new Uint8Array(size);
  }

  next(rng: Rng): number {
    this.clock++;
    let id: number;
    const unseen: number[] = [];
    for (let i = 0; i < this.size; i++) if (!this.seen[i]) unseen.push(i);
    if (unseen.length) id = unseen[rng.int(unseen.length)]!;
    else id = rng.choice(this.distribution());
    this.lastPlayed[id] = this.clock;
    return id;
  }

  update(id: number, advantages: ArrayLike<number>, solved: boolean): void {
    if (solved) this.everSolved[id] = 1;
    this.seen[id] = 1;
    this.scores[id] = chunkScore(this.opts.score, advantages, this.everSolved[id] === 1);
  }

  distribution(): Float64Array {
    return plrDistribution(this.scores, this.lastPlayed, this.clock, this.opts.temperature, this.opts.rho);
  }
}
