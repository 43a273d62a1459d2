/**
 * Level generators of the TinyCave family and level statistics.
 *
 *  - gStar: the ground-truth generator G*. Walls grow from the border as connected arms; the goal
 *    is uniform over open cells; the start is at BFS distance d ≥ 4 from it (drawn ∝ d); moss is
 *    likely near the goal (p = 0.7·0.7^(d−1) at BFS distance d: a density gradient towards the goal)
 *    and lava only far from it (p = 0.25·clamp((d−2)/5)); lava that would cut the start off the
 *    goal is not placed.
 *  - domainRandomisation: uniform clutter with G*'s average tile frequencies: every interior cell
 *    independently wall / lava / moss / empty; goal and start uniform (solvable levels only). It keeps
 *    the tile counts and destroys the structure (connected walls, moss near the goal, lava far away).
 *  - randomEdits: ACCEL-style edits of an existing level: k random interior cells get a random tile
 *    kind (never the goal or the start), kept only if the level stays solvable.
 */
import type { Rng } from '../../nn/rl/rng.js';
import { CELLS, EMPTY, GOAL, INTERIOR, LAVA, MOSS, SIZE, WALL, bfs, cloneLevel, colOf, isBorder, rowOf, solutionLength, type Level } from './tinycave.js';

const NEIGHBOURS = [-SIZE, 1, SIZE, -1];

function borderWalls(): Uint8Array {
  const cells = new Uint8Array(CELLS);
  for (let i = 0; i < CELLS; i++) if (isBorder(i)) cells[i] = WALL;
  return cells;
}

/** Whether the open (non-wall) interior cells form one 4-connected region. */
function openConnected(cells: Uint8Array): boolean {
  let first = -1, open = 0;
  for (const i of INTERIOR) if (cells[i] !== WALL) (open++, first < 0 && (first = i));
  if (first < 0) return false;
  const d = bfsAll(cells, first);
  let reached = 0;
  for (const i of INTERIOR) if (cells[i] !== WALL && d[i]! >= 0) reached++;
  return reached === open;
}

/** BFS over non-wall cells (lava counts as open: used for the wall layout only). */
function bfsAll(cells: Uint8Array, from: number): Int16Array {
  const out = new Int16Array(CELLS).fill(-1);
  const q = [from];
  out[from] = 0;
  for (let h = 0; h < q.length; h++) {
    const i = q[h]!;
    for (const o of NEIGHBOURS) {
      const j = i + o;
      if (out[j] !== -1 || cells[j] === WALL) continue;
      out[j] = out[i]! + 1;
      q.push(j);
    }
  }
  return out;
}

/** One level of G* (see the file comment). */
export function gStar(rng: Rng): Level {
  for (;;) {
    const cells = borderWalls();
    // Walls: 2–4 arms, each a walk of 2–5 cells starting from a border-adjacent cell and heading inward.
    const arms = 2 + rng.int(3);
    for (let a = 0; a < arms; a++) {
      const side = rng.int(4), along = 1 + rng.int(SIZE - 2);
      let r = side === 0 ? 1 : side === 2 ? SIZE - 2 : along;
      let c = side === 1 ? SIZE - 2 : side === 3 ? 1 : along;
      const inward = [2, 3, 0, 1][side]!; // move index pointing away from that border
      const len = 2 + rng.int(4);
      for (let s = 0; s < len; s++) {
        const i = r * SIZE + c;
        if (isBorder(i)) break;
        const before = cells[i]!;
        cells[i] = WALL;
        if (!openConnected(cells)) {
          cells[i] = before;
          break;
        }
        // Mostly straight inward, sometimes turning sideways.
        const turn = rng.float() < 0.3 ? (rng.int(2) ? 1 : 3) : 0;
        const dir = (inward + turn) % 4;
        r += [-1, 0, 1, 0][dir]!;
        c += [0, 1, 0, -1][dir]!;
      }
    }
    const open = INTERIOR.filter((i) => cells[i] !== WALL);
    const goal = open[rng.int(open.length)]!;
    const dist = bfs(cells, goal);
    const far = open.filter((i) => dist[i]! >= 4);
    if (!far.length) continue;
    // The start: at distance ≥ 4, drawn with weight ∝ distance (far starts are likelier).
    const start = far[rng.choice(far.map((i) => dist[i]!))]!;
    for (const i of open) {
      if (i === goal || i === start) continue;
      const d = dist[i]!;
      if (rng.float() < 0.7 * Math.pow(0.7, d - 1)) cells[i] = MOSS;
      else if (rng.float() < 0.25 * Math.min(1, Math.max(0, (d - 2) / 5))) {
        cells[i] = LAVA;
        if (bfs(cells, goal)[start]! < 0) cells[i] = EMPTY;
      }
    }
    cells[goal] = GOAL;
    return { cells, start, goal };
  }
}

/** Average tile frequencies over the interior cells other than goal and start. */
export function tileFrequencies(levels: Level[]): Record<'wall' | 'lava' | 'moss', number> {
  let w = 0, l = 0, m = 0, n = 0;
  for (const lv of levels)
    for (const i of INTERIOR) {
      if (i === lv.goal || i === lv.start) continue;
      n++;
      const k = lv.cells[i];
      if (k === WALL) w++;
      else if (k === LAVA) l++;
      else if (k === MOSS) m++;
    }
  return { wall: w / n, lava: l / n, moss: m / n };
}

/** One domain-randomised level with the given tile frequencies (solvable; see the file comment). */
export function domainRandomisation(rng: Rng, freq: Record<'wall' | 'lava' | 'moss', number>): Level {
  for (;;) {
    const cells = borderWalls();
    for (const i of INTERIOR) {
      const u = rng.float();
      cells[i] = u < freq.wall ? WALL : u < freq.wall + freq.lava ? LAVA : u < freq.wall + freq.lava + freq.moss ? MOSS : EMPTY;
    }
    const open = INTERIOR.filter((i) => cells[i] === EMPTY || cells[i] === MOSS);
    if (open.length < 2) continue;
    const goal = open[rng.int(open.length)]!;
    const start = open[rng.int(open.length)]!;
    if (start === goal) continue;
    cells[goal] = GOAL;
    const l = { cells, start, goal };
    if (solutionLength(l) > 0) return l;
  }
}

/** `edits` random cell edits of `level` (ACCEL-style; see the file comment). */
export function randomEdits(rng: Rng, level: Level, edits: number): Level {
  const out = cloneLevel(level);
  for (let e = 0; e < edits; e++) {
    for (let tries = 0; tries < 20; tries++) {
      const i = INTERIOR[rng.int(INTERIOR.length)]!;
      if (i === out.goal || i === out.start) continue;
      const before = out.cells[i]!;
      out.cells[i] = [EMPTY, WALL, LAVA, MOSS][rng.int(4)]!;
      if (solutionLength(out) > 0) break;
      out.cells[i] = before;
    }
  }
  return out;
}

// ------------------------------------------------------------------------------ statistics

/**
 * The moss-near-goal statistic of a set of levels: the mean BFS-free (Manhattan) distance to the
 * goal of passable non-moss interior cells minus that of moss cells, pooled over the levels.
 * Positive: moss sits nearer the goal than the average open cell (G*); about 0 without the cue.
 */
export function mossNearGoal(levels: Level[]): number {
  let dm = 0, nm = 0, dx = 0, nx = 0;
  for (const l of levels) {
    const gr = rowOf(l.goal), gc = colOf(l.goal);
    for (const i of INTERIOR) {
      if (i === l.goal) continue;
      const k = l.cells[i];
      const d = Math.abs(rowOf(i) - gr) + Math.abs(colOf(i) - gc);
      if (k === MOSS) (dm += d), nm++;
      else if (k === EMPTY) (dx += d), nx++;
    }
  }
  return nm && nx ? dx / nx - dm / nm : NaN;
}

/** Wall components among interior walls, counting those touching the border as one (the border's). */
function wallComponents(cells: Uint8Array): { components: number; detached: number } {
  const seen = new Uint8Array(CELLS);
  let components = 0, detached = 0;
  // The border and everything wall-connected to it.
  const flood = (from: number): number => {
    const q = [from];
    seen[from] = 1;
    let n = 0;
    for (let h = 0; h < q.length; h++) {
      const i = q[h]!;
      if (!isBorder(i)) n++;
      for (const o of NEIGHBOURS) {
        const j = i + o;
        if (j < 0 || j >= CELLS || seen[j] || cells[j] !== WALL) continue;
        // Border cells connect only through valid grid adjacency (no wrap across rows).
        if (Math.abs(colOf(j) - colOf(i)) > 1) continue;
        seen[j] = 1;
        q.push(j);
      }
    }
    return n;
  };
  flood(0);
  for (const i of INTERIOR)
    if (cells[i] === WALL && !seen[i]) {
      components++;
      detached += flood(i);
    }
  return { components, detached };
}

export const FEATURE_NAMES = [
  'walls', 'lava', 'moss', 'walls detached from the border', 'detached wall components', 'solution length',
  'moss distance to goal', 'lava distance to goal', 'empty distance to goal', 'moss next to goal', 'lava next to start',
] as const;

/** Summary features of a level (what the real-vs-generated classifier sees). */
export function levelFeatures(l: Level): number[] {
  let walls = 0, lava = 0, moss = 0, dm = 0, dl = 0, de = 0, ne = 0, mossNext = 0, lavaNext = 0;
  const gr = rowOf(l.goal), gc = colOf(l.goal), sr = rowOf(l.start), sc = colOf(l.start);
  for (const i of INTERIOR) {
    const k = l.cells[i];
    const d = Math.abs(rowOf(i) - gr) + Math.abs(colOf(i) - gc);
    const ds = Math.abs(rowOf(i) - sr) + Math.abs(colOf(i) - sc);
    if (k === WALL) walls++;
    else if (k === LAVA) (lava++, (dl += d), ds === 1 && lavaNext++);
    else if (k === MOSS) (moss++, (dm += d), d === 1 && mossNext++);
    else if (k === EMPTY) (ne++, (de += d));
  }
  const wc = wallComponents(l.cells);
  return [
    walls, lava, moss, wc.detached, wc.components, solutionLength(l),
    moss ? dm / moss : 0, lava ? dl / lava : 0, ne ? de / ne : 0, mossNext, lavaNext,
  ];
}
