/**
 * Level-Based Foraging (LBF), written from the rules published with the `lbforaging` package
 * (Christianos, Schäfer, Albrecht; used in the SEAC paper), vectorised over n environments in
 * typed arrays. Browser-safe; no tensors (only the networks use them).
 *
 * The rules, as implemented here:
 *  - A size×size grid; `agents` agents and up to `food` food items, each with an integer level.
 *  - Reset: each agent is placed on a uniformly random empty cell (any cell, border included) with
 *    a level uniform in [minAgentLevel, maxAgentLevel]. Then the food is placed by rejection
 *    sampling (at most 1000 tries in all) on interior cells (never on the border), never on an
 *    agent, and never within Manhattan distance 2 of other food (the original's rule: nothing in
 *    the 3×3 neighbourhood, nor within 2 cells along the same row or column). A food's level is
 *    uniform in [minFoodLevel, L] with L the sum of the (up to) three lowest agent levels; in the
 *    cooperative variant every food has level L, so with up to three agents it needs all of them.
 *  - Actions: 0 none, 1 north (row − 1), 2 south, 3 west (col − 1), 4 east, 5 load. A move off the
 *    grid or onto food, and a load with no food in the 4-neighbourhood, is invalid and acts as none.
 *  - Movement: every agent has a target cell (its own cell for none / load). Agents whose target
 *    is shared with any other agent stay where they are; the others move (so two agents moving to
 *    one cell both stay, and a move onto an agent that stays fails). As in the original, this is a
 *    single pass: with three or more agents, an agent may move onto a cell whose occupant was
 *    blocked, and two agents may swap places.
 *  - Loading: the loading agents adjacent (4-neighbourhood) to one food load it together when the
 *    sum of their levels is at least the food's level; each then gets the reward
 *    level_i · food_level / (Σ loaders' levels · total food level spawned this episode), so the
 *    rewards of an episode sum to 1 exactly when all food is collected. A failed load costs each
 *    of its agents `penalty` (0 by default). Food at Manhattan distance ≥ 3 from other food means an
 *    agent is adjacent to at most one food, so the outcome does not depend on the order loads are
 *    resolved in.
 *  - An episode ends when all food is collected (terminated) or after maxSteps steps (truncated:
 *    a time limit, to be bootstrapped through).
 *
 * Observations (one vector per agent, as the original's non-grid observation): for each food slot
 * (row, col, level), then for each agent slot (row, col, level), the observing agent first and the
 * others in index order. Coordinates are relative to the top-left corner of the agent's view
 * window [row − sight, row + sight] × [col − sight, col + sight] clipped to the grid, so with full
 * observability (sight ≥ size − 1) they are absolute. Food is listed in row-major order of its cell;
 * food that is collected or out of view, and agents out of view, fill the remaining slots with
 * (−1, −1, 0). (The original's agent-visibility test is looser than its view window near the top
 * and left edges; here both use the window.)
 *
 * Randomness: the layout of environment i's k-th episode is a pure function of (seed, i, k),
 * drawn from Philox4x32-10 with the counter (block, k, i, tag) — so it does not depend on how many
 * environments run side by side or on the order they finish in.
 */
import { philox4x32, randintFromWord } from '../../autograd/random.js';
import { VecEnvBase } from '../../nn/rl/env.js';

export const NONE = 0;
export const NORTH = 1;
export const SOUTH = 2;
export const WEST = 3;
export const EAST = 4;
export const LOAD = 5;
export const NUM_ACTIONS = 6;
export const ACTION_NAMES = ['none', 'north', 'south', 'west', 'east', 'load'] as const;

export interface LbfConfig {
  /** Grid side: size × size cells. */
  size: number;
  agents: number;
  /** Food items spawned per episode (fewer only if rejection sampling fails 1000 times). */
  food: number;
  minAgentLevel: number;
  maxAgentLevel: number;
  /** Lowest food level (ignored in the cooperative variant). */
  minFoodLevel: number;
  /** Cooperative variant: every food has the sum of the (up to) three lowest agent levels. */
  coop: boolean;
  /** View radius (Chebyshev); ≥ size − 1 sees the whole grid. */
  sight: number;
  maxSteps: number;
  /** Subtracted from each agent of a failed load. */
  penalty: number;
}

/** Defaults: the 8x8, 2 agents, 2 food task of the SEAC paper (agent levels 1–2, 50 steps, full view). */
export function lbfConfig(over: Partial<LbfConfig> = {}): LbfConfig {
  const size = over.size ?? 8;
  const cfg: LbfConfig = {
    size,
    agents: 2,
    food: 2,
    minAgentLevel: 1,
    maxAgentLevel: 2,
    minFoodLevel: 1,
    coop: false,
    sight: size,
    maxSteps: 50,
    penalty: 0,
    ...over,
  };
  validate(cfg);
  return cfg;
}

function validate(c: LbfConfig): void {
  const int = (v: number, name: string, min: number): void => {
    if (!Number.isInteger(v) || v < min) throw new RangeError(`lbfConfig: ${name} must be an integer ≥ ${min}, got ${v}`);
  };
  int(c.size, 'size', 3);
  int(c.agents, 'agents', 1);
  int(c.food, 'food', 1);
  int(c.minAgentLevel, 'minAgentLevel', 1);
  int(c.maxAgentLevel, 'maxAgentLevel', c.minAgentLevel);
  int(c.minFoodLevel, 'minFoodLevel', 1);
  int(c.sight, 'sight', 0);
  int(c.maxSteps, 'maxSteps', 1);
  if (c.agents >= c.size * c.size) throw new RangeError(`lbfConfig: ${c.agents} agents do not fit on a ${c.size}x${c.size} grid`);
  if (!(c.penalty >= 0)) throw new RangeError(`lbfConfig: penalty must be ≥ 0, got ${c.penalty}`);
}

/** Observation length per agent: 3 numbers per food slot and per agent slot. */
export function obsSize(cfg: LbfConfig): number {
  return 3 * (cfg.food + cfg.agents);
}

/** One entity on the grid (for tests, rendering and setState). */
export interface Entity {
  row: number;
  col: number;
  level: number;
}

/** A snapshot of one environment (what the renderer draws). */
export interface LbfFrame {
  size: number;
  sight: number;
  step: number;
  agents: Entity[];
  /** Food still on the grid. */
  food: Entity[];
  /** Rewards of the step that led here (per agent; zeros at an episode's start). */
  rewards: number[];
  /** Team return of the episode so far. */
  teamReturn: number;
  /** Actions taken in the step that led here (−1 at an episode's start). */
  actions: number[];
}

const STREAM_TAG = 0x4c424621; // "LBF!": keeps these counters apart from any other use of the seed
const TWO_32 = 4294967296;
const MAX_SPAWN_TRIES = 1000;

/** Random words for one (environment, episode): Philox blocks (b, episode, env, tag) under the seed's key. */
class EpisodeWords {
  private readonly buf = new Uint32Array(4);
  private lane = 4;
  private block = 0;
  private episode = 0;
  private env = 0;
  constructor(private readonly k0: number, private readonly k1: number) {}

  start(env: number, episode: number): void {
    this.env = env;
    this.episode = episode;
    this.block = 0;
    this.lane = 4;
  }

  /** Uniform integer in [lo, hi] (inclusive), exact (high word of w · range). */
  int(lo: number, hi: number): number {
    if (this.lane === 4) {
      philox4x32(this.block++, this.episode, this.env, STREAM_TAG, this.k0, this.k1, this.buf, 0);
      this.lane = 0;
    }
    return randintFromWord(this.buf[this.lane++]!, lo, hi - lo + 1);
  }
}

export interface LbfVecOptions {
  /**
   * Reset an environment as soon as its episode ends (default true); its last observation is kept
   * in finalObs. Without auto-reset an ended environment stays as it ended (its end flag stays set,
   * later steps leave it alone and reward 0) until resetEnv: evaluation runs each environment's
   * one episode this way.
   */
  autoReset?: boolean;
}

/**
 * numEnvs Level-Based Foraging environments stepped together. Per-agent arrays are env-major:
 * obs[(i·A + a)·D + k], rewards[i·A + a], actions[i·A + a] for environment i and agent a. The
 * step outputs are VecEnvBase's: rewards computed in float64 and stored in float32; terminated:
 * all food collected; truncated: the step limit ended the episode; finalObs, episodeReturn (team
 * return, summed over agents) and episodeLength valid where an episode just ended.
 */
export class LbfVec extends VecEnvBase {
  readonly cfg: LbfConfig;
  readonly autoReset: boolean;
  // State, per environment i (and agent a / food f): env-major.
  readonly agentRow: Int32Array; // [n·A]
  readonly agentCol: Int32Array;
  readonly agentLevel: Int32Array;
  readonly foodRow: Int32Array; // [n·F], sorted by cell within an environment
  readonly foodCol: Int32Array;
  readonly foodLevel: Int32Array; // 0: collected or never spawned
  /** Food level per cell (0: none): [n·size·size]. */
  readonly field: Int32Array;
  readonly steps: Int32Array; // steps taken in the current episode
  readonly episodes: Int32Array; // episodes started so far (the k of the layout stream)
  readonly foodSpawned: Float64Array; // total food level of the current episode
  readonly foodLeft: Int32Array;
  /** Team return of the current episode so far. */
  readonly teamReturn: Float64Array;
  /** The team return accumulated in float64 (1 up to rounding when all food was collected). */
  readonly exactReturn: Float64Array;
  /** Actions as applied in the last step (invalid ones replaced by none): [n, A]. */
  readonly applied: Int32Array;

  private readonly words: EpisodeWords;
  private readonly tRow: Int32Array;
  private readonly tCol: Int32Array;
  private readonly handled: Uint8Array;

  constructor(cfg: LbfConfig, n: number, seed: number, opts: LbfVecOptions = {}) {
    validate(cfg);
    if (!Number.isInteger(n) || n < 1) throw new RangeError(`LbfVec: n must be a positive integer, got ${n}`);
    if (!Number.isSafeInteger(seed) || seed < 0) throw new RangeError(`LbfVec: seed must be an integer in [0, 2^53), got ${seed}`);
    super(n, cfg.agents, obsSize(cfg), NUM_ACTIONS);
    this.cfg = { ...cfg };
    this.autoReset = opts.autoReset ?? true;
    const A = cfg.agents, F = cfg.food, HW = cfg.size * cfg.size;
    this.agentRow = new Int32Array(n * A);
    this.agentCol = new Int32Array(n * A);
    this.agentLevel = new Int32Array(n * A);
    this.foodRow = new Int32Array(n * F);
    this.foodCol = new Int32Array(n * F);
    this.foodLevel = new Int32Array(n * F);
    this.field = new Int32Array(n * HW);
    this.steps = new Int32Array(n);
    this.episodes = new Int32Array(n);
    this.foodSpawned = new Float64Array(n);
    this.foodLeft = new Int32Array(n);
    this.teamReturn = new Float64Array(n);
    this.exactReturn = new Float64Array(n);
    this.applied = new Int32Array(A * n);
    this.tRow = new Int32Array(A);
    this.tCol = new Int32Array(A);
    this.handled = new Uint8Array(A);
    this.words = new EpisodeWords(seed >>> 0, Math.floor(seed / TWO_32) >>> 0);
    for (let i = 0; i < n; i++) this.resetEnv(i);
  }

  /** Starts a new episode in every environment. */
  reset(): void {
    for (let i = 0; i < this.numEnvs; i++) this.resetEnv(i);
  }

  /** Starts environment i's next episode (its layout is a function of (seed, i, episode count)). */
  resetEnv(i: number): void {
    this.checkEnv(i, 'resetEnv');
    const { size, agents: A, food: F } = this.cfg;
    const HW = size * size;
    const w = this.words;
    w.start(i, this.episodes[i]!++);
    this.field.fill(0, i * HW, (i + 1) * HW);
    for (let a = 0; a < A; a++) {
      let placed = false;
      for (let t = 0; t < MAX_SPAWN_TRIES && !placed; t++) {
        const r = w.int(0, size - 1), c = w.int(0, size - 1);
        if (this.agentAt(i, r, c, a) < 0) {
          this.agentRow[i * A + a] = r;
          this.agentCol[i * A + a] = c;
          placed = true;
        }
      }
      if (!placed) throw new Error(`LbfVec.resetEnv: could not place agent ${a} in environment ${i}`);
      this.agentLevel[i * A + a] = w.int(this.cfg.minAgentLevel, this.cfg.maxAgentLevel);
    }
    const maxFood = this.maxFoodLevel(i);
    const minFood = this.cfg.coop ? maxFood : Math.min(this.cfg.minFoodLevel, maxFood);
    let count = 0;
    for (let t = 0; t < MAX_SPAWN_TRIES && count < F; t++) {
      const r = w.int(1, size - 2), c = w.int(1, size - 2);
      if (this.agentAt(i, r, c, A) >= 0 || this.foodWithin(i, r, c, 2, count)) continue;
      const f = i * F + count++;
      this.foodRow[f] = r;
      this.foodCol[f] = c;
      this.foodLevel[f] = minFood === maxFood ? minFood : w.int(minFood, maxFood);
    }
    for (let k = count; k < F; k++) this.foodLevel[i * F + k] = 0;
    this.sortFood(i, count);
    this.finishSetup(i, count);
  }

  /**
   * Puts environment i into a given state (tests, demonstrations): agents with levels, food
   * with levels, and the step count. The total food level becomes the normaliser of the rewards.
   */
  setState(i: number, agents: Entity[], food: Entity[], step = 0): void {
    this.checkEnv(i, 'setState');
    const { size, agents: A, food: F } = this.cfg;
    if (agents.length !== A) throw new RangeError(`LbfVec.setState: need ${A} agents, got ${agents.length}`);
    if (food.length > F) throw new RangeError(`LbfVec.setState: at most ${F} food, got ${food.length}`);
    const inside = (e: Entity, what: string): void => {
      if (!(Number.isInteger(e.row) && Number.isInteger(e.col) && e.row >= 0 && e.col >= 0 && e.row < size && e.col < size))
        throw new RangeError(`LbfVec.setState: ${what} at (${e.row}, ${e.col}) is off the ${size}x${size} grid`);
      if (!(Number.isInteger(e.level) && e.level >= 1)) throw new RangeError(`LbfVec.setState: ${what} level must be an integer ≥ 1, got ${e.level}`);
    };
    agents.forEach((e, a) => inside(e, `agent ${a}`));
    food.forEach((e, f) => inside(e, `food ${f}`));
    const cells = [...agents, ...food].map((e) => e.row * size + e.col);
    if (new Set(cells).size !== cells.length) throw new RangeError('LbfVec.setState: two entities share a cell');
    this.field.fill(0, i * size * size, (i + 1) * size * size);
    agents.forEach((e, a) => {
      this.agentRow[i * A + a] = e.row;
      this.agentCol[i * A + a] = e.col;
      this.agentLevel[i * A + a] = e.level;
    });
    for (let f = 0; f < F; f++) {
      const e = food[f];
      this.foodRow[i * F + f] = e ? e.row : 0;
      this.foodCol[i * F + f] = e ? e.col : 0;
      this.foodLevel[i * F + f] = e ? e.level : 0;
    }
    this.sortFood(i, food.length);
    this.finishSetup(i, food.length);
    this.steps[i] = step;
  }

  /** A snapshot of environment i's state (for rendering and tests). */
  frame(i: number): LbfFrame {
    this.checkEnv(i, 'frame');
    const { agents: A, food: F } = this.cfg;
    const agents: Entity[] = [];
    for (let a = 0; a < A; a++) agents.push({ row: this.agentRow[i * A + a]!, col: this.agentCol[i * A + a]!, level: this.agentLevel[i * A + a]! });
    const food: Entity[] = [];
    for (let f = 0; f < F; f++) if (this.foodLevel[i * F + f]! > 0) food.push({ row: this.foodRow[i * F + f]!, col: this.foodCol[i * F + f]!, level: this.foodLevel[i * F + f]! });
    const rewards: number[] = [], actions: number[] = [];
    for (let a = 0; a < A; a++) {
      rewards.push(this.rewards[i * A + a]!);
      actions.push(this.steps[i] === 0 ? -1 : this.applied[i * A + a]!);
    }
    return { size: this.cfg.size, sight: this.cfg.sight, step: this.steps[i]!, agents, food, rewards, teamReturn: this.teamReturn[i]!, actions };
  }

  /**
   * One step of every environment. actions: [n, A] (like obs), integers in 0..5. Writes obs,
   * rewards, terminated, truncated (and finalObs / episodeReturn / episodeLength / exactReturn
   * where an episode ended, before the automatic reset).
   */
  step(actions: ArrayLike<number>): void {
    const { agents: A } = this.cfg;
    const n = this.numEnvs;
    if (actions.length !== A * n) throw new RangeError(`LbfVec.step: need ${n}·${A} = ${A * n} actions, got ${actions.length}`);
    for (let k = 0; k < actions.length; k++) {
      const v = actions[k]!;
      if (!(Number.isInteger(v) && v >= 0 && v < NUM_ACTIONS)) throw new RangeError(`LbfVec.step: action ${k} is ${v}; actions are integers 0..${NUM_ACTIONS - 1}`);
    }
    for (let i = 0; i < n; i++) {
      if (!this.autoReset && (this.terminated[i] || this.truncated[i])) {
        this.rewards.fill(0, i * A, (i + 1) * A);
        continue;
      }
      this.stepEnv(i, actions);
      if (this.terminated[i] || this.truncated[i]) {
        this.exactReturn[i] = this.teamReturn[i]!;
        this.episodeReturn[i] = this.teamReturn[i]!;
        this.episodeLength[i] = this.steps[i]!;
        this.writeObs(i, this.finalObs);
        if (this.autoReset) {
          this.resetEnvKeepFlags(i);
          continue;
        }
      }
      this.writeObs(i, this.obs);
    }
  }

  private stepEnv(i: number, actions: ArrayLike<number>): void {
    const { size, agents: A, food: F, maxSteps, penalty } = this.cfg;
    const HW = size * size, fb = i * HW;
    const tRow = this.tRow, tCol = this.tCol, handled = this.handled;
    this.steps[i]!++;
    // Valid actions and their target cells.
    for (let a = 0; a < A; a++) {
      const r = this.agentRow[i * A + a]!, c = this.agentCol[i * A + a]!;
      let act = actions[i * A + a]!;
      let tr = r, tc = c;
      if (act === NORTH) tr--;
      else if (act === SOUTH) tr++;
      else if (act === WEST) tc--;
      else if (act === EAST) tc++;
      if (act >= NORTH && act <= EAST) {
        if (tr < 0 || tc < 0 || tr >= size || tc >= size || this.field[fb + tr * size + tc]! > 0) {
          act = NONE;
          tr = r;
          tc = c;
        }
      } else if (act === LOAD && this.adjacentFood(i, r, c) < 0) act = NONE;
      this.applied[i * A + a] = act;
      tRow[a] = tr;
      tCol[a] = tc;
      this.rewards[i * A + a] = 0;
      handled[a] = 0;
    }
    // Moves: an agent whose target cell is anyone else's target stays.
    for (let a = 0; a < A; a++) {
      let shared = false;
      for (let b = 0; b < A && !shared; b++) shared = b !== a && tRow[b] === tRow[a] && tCol[b] === tCol[a];
      if (!shared) {
        this.agentRow[i * A + a] = tRow[a]!;
        this.agentCol[i * A + a] = tCol[a]!;
      }
    }
    // Loads: the loading agents around one food load it together if their levels suffice.
    let stepReward = 0;
    for (let a = 0; a < A; a++) {
      if (this.applied[i * A + a] !== LOAD || handled[a]) continue;
      const f = this.adjacentFood(i, this.agentRow[i * A + a]!, this.agentCol[i * A + a]!);
      const fr = this.foodRow[i * F + f]!, fc = this.foodCol[i * F + f]!, fl = this.foodLevel[i * F + f]!;
      let sum = 0;
      for (let b = 0; b < A; b++) {
        if (this.applied[i * A + b] !== LOAD || handled[b]) continue;
        if (Math.abs(this.agentRow[i * A + b]! - fr) + Math.abs(this.agentCol[i * A + b]! - fc) !== 1) continue;
        handled[b] = 2; // 2: in the current group
        sum += this.agentLevel[i * A + b]!;
      }
      const ok = sum >= fl;
      for (let b = 0; b < A; b++) {
        if (handled[b] !== 2) continue;
        handled[b] = 1;
        const r = ok ? (this.agentLevel[i * A + b]! * fl) / (sum * this.foodSpawned[i]!) : 0 - penalty; // 0 − 0 is +0
        this.rewards[i * A + b] = r;
        stepReward += r;
      }
      if (ok) {
        this.foodLevel[i * F + f] = 0;
        this.field[fb + fr * size + fc] = 0;
        this.foodLeft[i]!--;
      }
    }
    this.teamReturn[i] = this.teamReturn[i]! + stepReward;
    this.terminated[i] = this.foodLeft[i] === 0 ? 1 : 0;
    this.truncated[i] = !this.terminated[i] && this.steps[i]! >= maxSteps ? 1 : 0;
  }

  /** Index f of the food in a 4-neighbour cell of (r, c), checked north, south, west, east; −1 if none. */
  private adjacentFood(i: number, r: number, c: number): number {
    const { size, food: F } = this.cfg;
    const fb = i * size * size;
    let fr = -1, fc = -1;
    if (r > 0 && this.field[fb + (r - 1) * size + c]! > 0) (fr = r - 1), (fc = c);
    else if (r < size - 1 && this.field[fb + (r + 1) * size + c]! > 0) (fr = r + 1), (fc = c);
    else if (c > 0 && this.field[fb + r * size + c - 1]! > 0) (fr = r), (fc = c - 1);
    else if (c < size - 1 && this.field[fb + r * size + c + 1]! > 0) (fr = r), (fc = c + 1);
    if (fr < 0) return -1;
    for (let f = 0; f < F; f++) if (this.foodLevel[i * F + f]! > 0 && this.foodRow[i * F + f] === fr && this.foodCol[i * F + f] === fc) return f;
    throw new Error(`LbfVec: field and food list disagree at (${fr}, ${fc}) in environment ${i}`);
  }

  /** Index of the agent (among the first `upto`) at (r, c), or −1. */
  private agentAt(i: number, r: number, c: number, upto: number): number {
    const A = this.cfg.agents;
    for (let a = 0; a < upto; a++) if (this.agentRow[i * A + a] === r && this.agentCol[i * A + a] === c) return a;
    return -1;
  }

  /** Whether any of the first `count` food items is within Manhattan distance d of (r, c). */
  private foodWithin(i: number, r: number, c: number, d: number, count: number): boolean {
    const F = this.cfg.food;
    for (let f = 0; f < count; f++) if (Math.abs(this.foodRow[i * F + f]! - r) + Math.abs(this.foodCol[i * F + f]! - c) <= d) return true;
    return false;
  }

  /** Sum of the (up to) three lowest agent levels of environment i: the highest food level. */
  private maxFoodLevel(i: number): number {
    const A = this.cfg.agents;
    const lv = Array.from(this.agentLevel.subarray(i * A, (i + 1) * A)).sort((x, y) => x - y);
    return lv.slice(0, 3).reduce((s, v) => s + v, 0);
  }

  /** Orders environment i's first `count` food items by cell (row-major), the original's observation order. */
  private sortFood(i: number, count: number): void {
    const { size, food: F } = this.cfg;
    const key = (f: number): number => this.foodRow[i * F + f]! * size + this.foodCol[i * F + f]!;
    for (let a = 1; a < count; a++) {
      for (let b = a; b > 0 && key(b - 1) > key(b); b--) {
        for (const arr of [this.foodRow, this.foodCol, this.foodLevel]) {
          const t = arr[i * F + b]!;
          arr[i * F + b] = arr[i * F + b - 1]!;
          arr[i * F + b - 1] = t;
        }
      }
    }
  }

  private finishSetup(i: number, count: number): void {
    const { size, food: F, agents: A } = this.cfg;
    let spawned = 0;
    for (let f = 0; f < count; f++) {
      const l = this.foodLevel[i * F + f]!;
      this.field[i * size * size + this.foodRow[i * F + f]! * size + this.foodCol[i * F + f]!] = l;
      spawned += l;
    }
    this.foodSpawned[i] = spawned;
    this.foodLeft[i] = count;
    this.steps[i] = 0;
    this.teamReturn[i] = 0;
    this.terminated[i] = 0;
    this.truncated[i] = 0;
    this.rewards.fill(0, i * A, (i + 1) * A);
    this.writeObs(i, this.obs);
  }

  /** Auto-reset after an episode ended: a new episode, but the step's reward and end flags stay readable. */
  private resetEnvKeepFlags(i: number): void {
    const A = this.cfg.agents;
    const term = this.terminated[i]!, trunc = this.truncated[i]!;
    const r = this.rewards.slice(i * A, (i + 1) * A);
    this.resetEnv(i);
    this.terminated[i] = term;
    this.truncated[i] = trunc;
    this.rewards.set(r, i * A);
  }

  /** Writes every agent's observation of environment i into out ([n, A, D]). */
  private writeObs(i: number, out: Float32Array): void {
    const { size, agents: A, food: F, sight } = this.cfg;
    const D = this.obsSize;
    for (let a = 0; a < A; a++) {
      const base = (i * A + a) * D;
      const r = this.agentRow[i * A + a]!, c = this.agentCol[i * A + a]!;
      const r0 = Math.max(r - sight, 0), c0 = Math.max(c - sight, 0);
      const r1 = Math.min(r + sight, size - 1), c1 = Math.min(c + sight, size - 1);
      let slot = 0;
      for (let f = 0; f < F; f++) {
        const l = this.foodLevel[i * F + f]!;
        const fr = this.foodRow[i * F + f]!, fc = this.foodCol[i * F + f]!;
        if (l === 0 || fr < r0 || fr > r1 || fc < c0 || fc > c1) continue;
        out[base + 3 * slot] = fr - r0;
        out[base + 3 * slot + 1] = fc - c0;
        out[base + 3 * slot + 2] = l;
        slot++;
      }
      for (; slot < F; slot++) {
        out[base + 3 * slot] = -1;
        out[base + 3 * slot + 1] = -1;
        out[base + 3 * slot + 2] = 0;
      }
      // Agents: the observer first, then the others in index order.
      for (let k = 0; k < A; k++) {
        const b = k === 0 ? a : k <= a ? k - 1 : k;
        const br = this.agentRow[i * A + b]!, bc = this.agentCol[i * A + b]!;
        if (br < r0 || br > r1 || bc < c0 || bc > c1) continue;
        out[base + 3 * slot] = br - r0;
        out[base + 3 * slot + 1] = bc - c0;
        out[base + 3 * slot + 2] = this.agentLevel[i * A + b]!;
        slot++;
      }
      for (; slot < F + A; slot++) {
        out[base + 3 * slot] = -1;
        out[base + 3 * slot + 1] = -1;
        out[base + 3 * slot + 2] = 0;
      }
    }
  }

  private checkEnv(i: number, who: string): void {
    if (!(Number.isInteger(i) && i >= 0 && i < this.numEnvs)) throw new RangeError(`LbfVec.${who}: environment index must be in 0..${this.numEnvs - 1}, got ${i}`);
  }
}

/**
 * A scripted team for tests and reference numbers: every agent walks to the food nearest to it
 * (Manhattan distance, ties to the first in row-major order) and loads once next to it; with
 * probability `noise` (a uniform word from `rand`) it takes a uniformly random action instead,
 * which breaks the dead-locks of colliding agents. Writes actions [n, A] into out.
 */
export function heuristicActions(env: LbfVec, out: Int32Array, rand: () => number, noise = 0.1): Int32Array {
  const { agents: A, food: F } = env.cfg;
  const n = env.numEnvs;
  if (out.length !== A * n) throw new RangeError(`heuristicActions: out needs ${A * n} entries, got ${out.length}`);
  for (let i = 0; i < n; i++) {
    for (let a = 0; a < A; a++) {
      if (rand() < noise) {
        out[i * A + a] = Math.min(NUM_ACTIONS - 1, Math.floor(rand() * NUM_ACTIONS));
        continue;
      }
      const r = env.agentRow[i * A + a]!, c = env.agentCol[i * A + a]!;
      let best = -1, bestD = Infinity;
      for (let f = 0; f < F; f++) {
        if (env.foodLevel[i * F + f] === 0) continue;
        const d = Math.abs(env.foodRow[i * F + f]! - r) + Math.abs(env.foodCol[i * F + f]! - c);
        if (d < bestD) (bestD = d), (best = f);
      }
      if (best < 0) {
        out[i * A + a] = NONE;
        continue;
      }
      const dr = env.foodRow[i * F + best]! - r, dc = env.foodCol[i * F + best]! - c;
      if (bestD === 1) out[i * A + a] = LOAD;
      else if (Math.abs(dr) >= Math.abs(dc)) out[i * A + a] = dr > 0 ? SOUTH : NORTH;
      else out[i * A + a] = dc > 0 ? EAST : WEST;
    }
  }
  return out;
}
