/**
 * Two small environments for testing learners (Env interface, wrap them in a SyncVecEnv).
 */
import { RUNNING, TERMINATED, TRUNCATED, type Env } from './env.js';
import type { Rng } from './rng.js';

/** One-step episodes: arm a pays 1 with probability probs[a], else 0. Observation: the constant 1. */
export class TwoArmedBandit implements Env {
  readonly obsSize = 1;
  readonly numActions: number;
  constructor(readonly probs: readonly number[] = [0.2, 0.8]) {
    if (probs.length < 2 || !probs.every((p) => p >= 0 && p <= 1)) throw new Error(`TwoArmedBandit: probs must be >= 2 values in [0, 1], got [${probs.join(', ')}]`);
    this.numActions = probs.length;
  }
  reset(): void {}
  step(actions: Int32Array, rewards: Float32Array, at: number, rng: Rng): number {
    rewards[at] = rng.bernoulli(this.probs[actions[at]!]!) ? 1 : 0;
    return TERMINATED;
  }
  observe(out: Float32Array, at: number): void {
    out[at] = 1;
  }
}

/** Moves of the grid environments: up, right, down, left (row, column offsets). */
export const MOVES: readonly (readonly [number, number])[] = [[-1, 0], [0, 1], [1, 0], [0, -1]];

/**
 * An empty square room (MiniGrid's Empty-Random-N×N without headings): size × size cells with a wall
 * border, the goal in the bottom-right interior corner, the agent starting on a uniformly random
 * other interior cell. Actions: the four moves (into a wall: stay). Reaching the goal ends the
 * episode with reward 1 − 0.9·t/maxSteps; after maxSteps steps the episode is truncated.
 * Observation: the 5×5 view centred on the agent, each cell one-hot over {empty, wall, goal}
 * (cells outside the grid read as wall): 75 floats.
 */
export class GridRoom implements Env {
  static readonly VIEW = 5;
  static readonly KINDS = 3;
  readonly obsSize = GridRoom.VIEW * GridRoom.VIEW * GridRoom.KINDS;
  readonly numActions = 4;
  readonly maxSteps: number;
  row = 1;
  col = 1;
  t = 0;

  constructor(readonly size = 5, opts: { maxSteps?: number } = {}) {
    if (!(Number.isInteger(size) && size >= 4)) throw new Error(`GridRoom: size must be an integer >= 4, got ${size}`);
    this.maxSteps = opts.maxSteps ?? 4 * size * size;
  }

  get goal(): [number, number] {
    return [this.size - 2, this.size - 2];
  }

  /** Shortest number of moves from the current cell to the goal. */
  distance(): number {
    return Math.abs(this.size - 2 - this.row) + Math.abs(this.size - 2 - this.col);
  }

  reset(rng: Rng): void {
    const inner = this.size - 2;
    const k = rng.int(inner * inner - 1); // every interior cell except the goal (the last one)
    this.row = 1 + Math.floor(k / inner);
    this.col = 1 + (k % inner);
    this.t = 0;
  }

  step(actions: Int32Array, rewards: Float32Array, at: number): number {
    const [dr, dc] = MOVES[actions[at]!]!;
    const r = this.row + dr, c = this.col + dc;
    if (r >= 1 && r <= this.size - 2 && c >= 1 && c <= this.size - 2) (this.row = r), (this.col = c);
    this.t++;
    if (this.row === this.size - 2 && this.col === this.size - 2) {
      rewards[at] = 1 - (0.9 * this.t) / this.maxSteps;
      return TERMINATED;
    }
    rewards[at] = 0;
    return this.t >= this.maxSteps ? TRUNCATED : RUNNING;
  }

  observe(out: Float32Array, at: number): void {
    const V = GridRoom.VIEW, K = GridRoom.KINDS, h = (V - 1) / 2, s = this.size;
    out.fill(0, at, at + this.obsSize);
    for (let i = 0; i < V; i++)
      for (let j = 0; j < V; j++) {
        const r = this.row + i - h, c = this.col + j - h;
        const kind = r <= 0 || c <= 0 || r >= s - 1 || c >= s - 1 ? 1 : r === s - 2 && c === s - 2 ? 2 : 0;
        out[at + (i * V + j) * K + kind] = 1;
      }
  }
}
