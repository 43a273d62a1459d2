/**
 * TinyCave: a seeded 9×9 gridworld family (7×7 interior) in the spirit of the DRED paper's
 * CaveEscape. Cells are empty, wall, lava or moss; one goal, one start. Levels are plain data
 * (serialisable with encodeLevel, hashable with levelKey), so a sampler can replay one exactly.
 *
 * Dynamics: 4 moves (up, right, down, left; into a wall: stay). Stepping on the goal ends the
 * episode with reward 1 − 0.9·t/T; stepping on lava ends it with 0; after T = 60 steps it is
 * truncated. Moss is passable and harmless: it is a cue (G* puts it near the goal).
 * Observation: the 5×5 view centred on the agent, each cell one-hot over {empty, wall, lava,
 * moss, goal} (outside the grid reads as wall): 125 floats.
 */
import { RUNNING, TERMINATED, TRUNCATED, VecEnvBase } from '../../nn/rl/env.js';
import { MOVES } from '../../nn/rl/envs.js';


export const SIZE = 9;
export const CELLS = SIZE * SIZE;
export const EMPTY = 0, WALL = 1, LAVA = 2, MOSS = 3, GOAL = 4;
export const KINDS = 5;
export const KIND_NAMES = ['empty', 'wall', 'lava', 'moss', 'goal'] as const;
export const VIEW = 5;
export const OBS_SIZE = VIEW * VIEW * KINDS;
export const MAX_STEPS = 60;

/** A level: cells[r * 9 + c] ∈ {EMPTY, WALL, LAVA, MOSS, GOAL} (exactly one GOAL, at `goal`), and the start cell. */
export interface Level {
  cells: Uint8Array;
  start: number;
  goal: number;
}

export const rowOf = (i: number): number => (i / SIZE) | 0;
export const colOf = (i: number): number => i % SIZE;
export const isBorder = (i: number): boolean => {
  const r = rowOf(i), c = colOf(i);
  return r === 0 || c === 0 || r === SIZE - 1 || c === SIZE - 1;
};
/** Interior cell indices, row-major (49 of them). */
export const INTERIOR: readonly number[] = Array.from({ length: CELLS }, (_, i) => i).filter((i) => !isBorder(i));

/** Throws unless the level is well formed: walls on the border, one goal, a passable start ≠ goal. */
export function validateLevel(l: Level, who = 'level'): Level {
  if (!(l.cells instanceof Uint8Array) || l.cells.length !== CELLS) throw new Error(`${who}: cells must be a Uint8Array of ${CELLS}`);
  let goals = 0;
  for (let i = 0; i < CELLS; i++) {
    const k = l.cells[i]!;
    if (k >= KINDS) throw new Error(`${who}: cell ${i} has kind ${k}`);
    if (isBorder(i) && k !== WALL) throw new Error(`${who}: border cell ${i} is ${KIND_NAMES[k]}, not wall`);
    if (k === GOAL) goals++;
  }
  if (goals !== 1 || l.cells[l.goal] !== GOAL) throw new Error(`${who}: needs exactly one goal, at ${l.goal} (found ${goals})`);
  const s = l.cells[l.start];
  if (l.start === l.goal || (s !== EMPTY && s !== MOSS)) throw new Error(`${who}: start ${l.start} must be an empty or moss cell other than the goal`);
  return l;
}

/** The level as 83 characters: 81 cell digits, then start and goal as two base-81 digits ("0".."9", then letters…). */
export function encodeLevel(l: Level): string {
  let s = '';
  for (let i = 0; i < CELLS; i++) s += String(l.cells[i]);
  return s + String.fromCharCode(48 + l.start) + String.fromCharCode(48 + l.goal);
}

export function decodeLevel(s: string): Level {
  if (s.length !== CELLS + 2) throw new Error(`decodeLevel: expected ${CELLS + 2} characters, got ${s.length}`);
  const cells = new Uint8Array(CELLS);
  for (let i = 0; i < CELLS; i++) cells[i] = s.charCodeAt(i) - 48;
  return validateLevel({ cells, start: s.charCodeAt(CELLS) - 48, goal: s.charCodeAt(CELLS + 1) - 48 }, 'decodeLevel');
}

/** A string that identifies the level exactly (its encoding). */
export const levelKey = encodeLevel;

export function cloneLevel(l: Level): Level {
  return { cells: l.cells.slice(), start: l.start, goal: l.goal };
}

/** BFS distances (in moves) from `from` over passable cells (not wall, not lava); −1 where unreachable. */
export function bfs(cells: Uint8Array, from: number, out = new Int16Array(CELLS)): Int16Array {
  out.fill(-1);
  const queue = new Int16Array(CELLS);
  let head = 0, tail = 0;
  out[from] = 0;
  queue[tail++] = from;
  while (head < tail) {
    const i = queue[head++]!;
    const r = rowOf(i), c = colOf(i);
    for (const [dr, dc] of MOVES) {
      const rr = r + dr, cc = c + dc;
      if (rr < 0 || cc < 0 || rr >= SIZE || cc >= SIZE) continue;
      const j = rr * SIZE + cc;
      const k = cells[j]!;
      if (out[j] !== -1 || k === WALL || k === LAVA) continue;
      out[j] = out[i]! + 1;
      queue[tail++] = j;
    }
  }
  return out;
}

/** Shortest path length from start to goal avoiding walls and lava (−1: unsolvable). */
export function solutionLength(l: Level): number {
  return bfs(l.cells, l.goal)[l.start]!;
}

/** An empty room of the family: no interior walls, the start top-left, the goal bottom-right. */
export function emptyRoom(): Level {
  const cells = new Uint8Array(CELLS);
  for (let i = 0; i < CELLS; i++) if (isBorder(i)) cells[i] = WALL;
  const start = 1 * SIZE + 1, goal = (SIZE - 2) * SIZE + (SIZE - 2);
  cells[goal] = GOAL;
  return { cells, start, goal };
}

/** Writes the 5×5 one-hot view around cell `pos` of `cells` to out[at .. at + 125). */
export function writeView(cells: Uint8Array, pos: number, out: Float32Array, at: number): void {
  out.fill(0, at, at + OBS_SIZE);
  const r0 = rowOf(pos) - 2, c0 = colOf(pos) - 2;
  let o = at;
  for (let i = 0; i < VIEW; i++) {
    const r = r0 + i;
    for (let j = 0; j < VIEW; j++, o += KINDS) {
      const c = c0 + j;
      const k = r < 0 || c < 0 || r >= SIZE || c >= SIZE ? WALL : cells[r * SIZE + c]!;
      out[o + k] = 1;
    }
  }
}

const DR = new Int8Array([-1, 0, 1, 0]);
const DC = new Int8Array([0, 1, 0, -1]);

/** The cell a move from p aims at (a: 0 up, 1 right, 2 down, 3 left); a wall there blocks the move. */
export function aimedCell(p: number, a: number): number {
  return (rowOf(p) + DR[a]!) * SIZE + colOf(p) + DC[a]!;
}

/**
 * N TinyCave environments as one VecEnv (structure of arrays: no per-env objects on the hot path).
 * nextLevel(env) chooses the level of every new episode (at reset and at each auto-reset);
 * levelOf[env] tells which level an env is playing (the id nextLevel returned).
 */
export class TinyCaveVecEnv extends VecEnvBase {
  /** Per env: the id of the level being played (as returned by nextLevel), and whether the last episode reached the goal. */
  readonly levelOf: Int32Array;
  readonly solved: Uint8Array;
  private readonly cells: Uint8Array; // numEnvs × 81
  private readonly pos: Int32Array;
  private readonly t: Int32Array;

  constructor(numEnvs: number, readonly nextLevel: (env: number) => { id: number; level: Level }, readonly maxSteps = MAX_STEPS) {
    super(numEnvs, 1, OBS_SIZE, 4);
    this.levelOf = new Int32Array(numEnvs);
    this.solved = new Uint8Array(numEnvs);
    this.cells = new Uint8Array(numEnvs * CELLS);
    this.pos = new Int32Array(numEnvs);
    this.t = new Int32Array(numEnvs);
  }

  private begin(e: number): void {
    const { id, level } = this.nextLevel(e);
    this.levelOf[e] = id;
    this.cells.set(level.cells, e * CELLS);
    this.pos[e] = level.start;
    this.t[e] = 0;
    writeView(this.cells.subarray(e * CELLS, e * CELLS + CELLS), level.start, this.obs, e * OBS_SIZE);
  }

  reset(): void {
    for (let e = 0; e < this.numEnvs; e++) this.begin(e);
    this.rewards.fill(0);
    this.terminated.fill(0);
    this.truncated.fill(0);
  }

  step(actions: Int32Array): void {
    const T = this.maxSteps;
    for (let e = 0; e < this.numEnvs; e++) {
      const a = actions[e]!;
      if (!(a >= 0 && a < 4)) throw new Error(`TinyCaveVecEnv.step: action ${a} of env ${e} is outside [0, 4)`);
      const base = e * CELLS;
      const p = this.pos[e]!;
      const q = aimedCell(p, a);
      const k = this.cells[base + q]!;
      const to = k === WALL ? p : q;
      this.pos[e] = to;
      const t = ++this.t[e]!;
      let end = RUNNING, r = 0;
      if (k === GOAL) (end = TERMINATED), (r = 1 - (0.9 * t) / T);
      else if (k === LAVA) end = TERMINATED;
      else if (t >= T) end = TRUNCATED;
      this.rewards[e] = r;
      this.terminated[e] = end === TERMINATED ? 1 : 0;
      this.truncated[e] = end === TRUNCATED ? 1 : 0;
      const view = this.cells.subarray(base, base + CELLS);
      if (end === RUNNING) {
        writeView(view, to, this.obs, e * OBS_SIZE);
        continue;
      }
      writeView(view, to, this.finalObs, e * OBS_SIZE);
      this.episodeReturn[e] = r;
      this.episodeLength[e] = t;
      this.solved[e] = k === GOAL ? 1 : 0;
      this.begin(e);
    }
  }
}

/** Runs one episode of `policy` on a level (for evaluation without a VecEnv); returns its return and whether it solved it. */
export function playEpisode(level: Level, policy: (obs: Float32Array) => number, maxSteps = MAX_STEPS): { ret: number; solved: boolean; length: number } {
  const obs = new Float32Array(OBS_SIZE);
  let p = level.start;
  for (let t = 1; t <= maxSteps; t++) {
    writeView(level.cells, p, obs, 0);
    const a = policy(obs);
    const q = (rowOf(p) + DR[a]!) * SIZE + colOf(p) + DC[a]!;
    const k = level.cells[q]!;
    if (k !== WALL) p = q;
    if (k === GOAL) return { ret: 1 - (0.9 * t) / maxSteps, solved: true, length: t };
    if (k === LAVA) return { ret: 0, solved: false, length: t };
  }
  return { ret: 0, solved: false, length: maxSteps };
}

