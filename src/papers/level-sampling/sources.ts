/**
 * Where training episodes get their levels (a LevelSource): a fixed training set with a sampler
 * (uniform or PLR), an endless stream (domain randomisation), or a buffer that grows with generated
 * levels (DRED with VAE interpolations; the ACCEL-style random-edit baseline).
 *
 * DRED's buffer (Garcin et al. 2024): the dataset levels are never evicted; a generated level is
 * played once as a candidate and admitted only if that episode solved it, and only if a generated
 * slot is free or its score beats the lowest-scoring generated level (which it replaces). Replay
 * over dataset + admitted levels follows PLR's distribution with the grounded value-loss score.
 */
import type { Rng } from '../../nn/rl/rng.js';
import { PLRSampler, type LevelSampler, type PLROptions, chunkScore } from './samplers.js';
import type { Level } from './tinycave.js';

export interface LevelSource {
  /** The level (and its id, for update) of a new episode. */
  next(rng: Rng): { id: number; level: Level };
  /** Advantages of a chunk of play on level `id`, and whether the chunk reached the goal. */
  update(id: number, advantages: ArrayLike<number>, solved: boolean): void;
  /** Which of the dataset levels the replay distribution puts where (for figures); null without one. */
  distribution(): Float64Array | null;
}

/** A fixed set of levels and a sampler over them (uniform, PLR). */
export class FixedSetSource implements LevelSource {
  constructor(readonly levels: Level[], readonly sampler: LevelSampler) {
    if (sampler.size !== levels.length) throw new Error(`FixedSetSource: sampler over ${sampler.size} levels for ${levels.length}`);
  }
  next(rng: Rng): { id: number; level: Level } {
    const id = this.sampler.next(rng);
    return { id, level: this.levels[id]! };
  }
  update(id: number, advantages: ArrayLike<number>, solved: boolean): void {
    this.sampler.update(id, advantages, solved);
  }
  distribution(): Float64Array {
    return this.sampler.distribution();
  }
}

/** A fresh level for every episode (domain randomisation). */
export class StreamSource implements LevelSource {
  private count = 0;
  constructor(readonly make: (rng: Rng) => Level) {}
  next(rng: Rng): { id: number; level: Level } {
    return { id: this.count++, level: this.make(rng) };
  }
  update(): void {}
  distribution(): null {
    return null;
  }
}

export interface GrowingBufferOptions extends PLROptions {
  /** Slots for generated levels. */
  capacity: number;
  /** Probability that an episode (after the warm-up) plays a new candidate instead of a replayed level. */
  generateProb: number;
}

/**
 * DRED's level buffer (see the file comment). `propose(rng, buffer)` makes a candidate: for DRED a
 * decoded VAE interpolation of two dataset levels, for the edit baseline an edit of a buffer level.
 * Ids: 0..D−1 dataset levels, D..D+capacity−1 generated slots, ≥ D+capacity candidates in play.
 */
export class GrowingBufferSource implements LevelSource {
  readonly levels: (Level | null)[];
  readonly plr: PLRSampler;
  private readonly candidates = new Map<number, Level>();
  private nextCandidate: number;
  /** Counters: candidates proposed, admitted, evictions. */
  proposed = 0;
  admitted = 0;
  evicted = 0;

  constructor(readonly dataset: Level[], readonly propose: (rng: Rng, source: GrowingBufferSource) => Level, readonly opts: GrowingBufferOptions) {
    const n = dataset.length + opts.capacity;
    this.levels = [...dataset, ...new Array<Level | null>(opts.capacity).fill(null)];
    this.plr = new PLRSampler(n, opts); // empty slots get probability 0 in distribution()
    this.nextCandidate = n;
  }

  get size(): number {
    return this.levels.length;
  }

  /** Ids of the generated levels in the buffer. */
  generatedIds(): number[] {
    const out: number[] = [];
    for (let i = this.dataset.length; i < this.size; i++) if (this.levels[i]) out.push(i);
    return out;
  }

  /** PLR's distribution restricted to the occupied slots. */
  distribution(): Float64Array {
    const p = this.plr.distribution();
    let z = 0;
    for (let i = 0; i < p.length; i++) z += this.levels[i] ? p[i]! : (p[i] = 0);
    for (let i = 0; i < p.length; i++) p[i]! /= z;
    return p;
  }

  next(rng: Rng): { id: number; level: Level } {
    const D = this.dataset.length;
    // Warm-up: every dataset level once.
    for (let i = 0; i < D; i++)
      if (!this.plr.seen[i]) {
        this.plr.clock++;
        this.plr.lastPlayed[i] = this.plr.clock;
        this.plr.seen[i] = 1;
        return { id: i, level: this.dataset[i]! };
      }
    if (rng.float() < this.opts.generateProb) {
      const level = this.propose(rng, this);
      const id = this.nextCandidate++;
      this.candidates.set(id, level);
      this.proposed++;
      return { id, level };
    }
    this.plr.clock++;
    const id = rng.choice(this.distribution());
    this.plr.lastPlayed[id] = this.plr.clock;
    return { id, level: this.levels[id]! };
  }

  update(id: number, advantages: ArrayLike<number>, solved: boolean): void {
    const cand = this.candidates.get(id);
    if (cand === undefined) {
      if (id < this.size && this.levels[id]) this.plr.update(id, advantages, solved);
      return;
    }
    // A candidate is judged on its first chunk of play (an episode cut by the rollout's end and
    // solved in the next rollout is not admitted: a simplification).
    this.candidates.delete(id);
    if (!solved) return;
    const score = chunkScore(this.opts.score, advantages, true);
    const D = this.dataset.length;
    let slot = -1;
    for (let i = D; i < this.size; i++) if (!this.levels[i]) { slot = i; break; }
    if (slot < 0) {
      let worst = -1;
      for (let i = D; i < this.size; i++) if (worst < 0 || this.plr.scores[i]! < this.plr.scores[worst]!) worst = i;
      if (!(score > this.plr.scores[worst]!)) return;
      slot = worst;
      this.evicted++;
    }
    this.levels[slot] = cand;
    this.plr.scores[slot] = score;
    this.plr.seen[slot] = 1;
    this.plr.everSolved[slot] = 1;
    this.plr.lastPlayed[slot] = this.plr.clock;
    this.admitted++;
  }
}
