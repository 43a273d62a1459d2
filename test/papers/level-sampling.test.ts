import { describe, expect, it } from 'vitest';
import { validateResult } from '../../src/experiment/index.js';
import { Rng } from '../../src/nn/rl/rng.js';
import {
  CELLS, EMPTY, GOAL, INTERIOR, LAVA, MAX_STEPS, MOSS, OBS_SIZE, SIZE, WALL, TinyCaveVecEnv, bfs, decodeLevel, emptyRoom, encodeLevel,
  levelKey, solutionLength, validateLevel, writeView, type Level,
} from '../../src/papers/level-sampling/tinycave.js';
import { domainRandomisation, gStar, levelFeatures, mossNearGoal, randomEdits, tileFrequencies } from '../../src/papers/level-sampling/generators.js';
import { PLRSampler, chunkScore, plrDistribution, rankWeights, stalenessWeights } from '../../src/papers/level-sampling/samplers.js';
import { GrowingBufferSource } from '../../src/papers/level-sampling/sources.js';
import { CELL_KINDS, N_IN, VAE_INPUT, decodeLogits, dihedral, encodeLevelOneHot, slerp } from '../../src/papers/level-sampling/vae.js';
import { auc, fitLogistic, shiftAUC } from '../../src/papers/level-sampling/shift.js';
import { miGapBound, probeMI } from '../../src/papers/level-sampling/agent.js';
import { CELL_CATEGORIES, SETTINGS, levelMosaic, levelSampling, runLevelSampling, type Settings } from '../../src/papers/level-sampling/experiment.js';
import { expectSameClaims } from '../helpers/claims.js';

const at = (r: number, c: number) => r * SIZE + c;

/** A hand level: a wall stub at (2,2)-(3,2), lava at (4,4), moss at (6,6), goal (7,7), start (1,1). */
function handLevel(): Level {
  const l = emptyRoom();
  l.cells[at(1, 2)] = WALL;
  l.cells[at(2, 2)] = WALL;
  l.cells[at(4, 4)] = LAVA;
  l.cells[at(6, 6)] = MOSS;
  return validateLevel(l);
}

describe('level-sampling: TinyCave', () => {
  it('levels are plain data: encode / decode round-trip, keys, validation errors', () => {
    const l = handLevel();
    const back = decodeLevel(encodeLevel(l));
    expect(Array.from(back.cells)).toEqual(Array.from(l.cells));
    expect([back.start, back.goal]).toEqual([l.start, l.goal]);
    expect(levelKey(back)).toBe(levelKey(l));
    const bad = { ...l, cells: l.cells.slice() };
    bad.cells[0] = EMPTY;
    expect(() => validateLevel(bad)).toThrow(/border cell 0 is empty/);
    expect(() => validateLevel({ ...l, start: at(1, 2) })).toThrow(/start .* must be an empty or moss cell/);
  });

  it('BFS distances avoid walls and lava', () => {
    const l = handLevel();
    const d = bfs(l.cells, l.goal);
    expect(d[at(7, 6)]).toBe(1);
    expect(d[at(4, 4)]).toBe(-1); // lava is not passable
    expect(d[at(1, 2)]).toBe(-1); // wall
    expect(solutionLength(l)).toBe(12); // Manhattan distance; the detours are not needed
  });

  it('the 5x5 view is one-hot, centred on the agent, and reads outside the grid as wall', () => {
    const l = handLevel();
    const obs = new Float32Array(OBS_SIZE);
    writeView(l.cells, at(1, 1), obs, 0);
    for (let c = 0; c < 25; c++) expect(obs.subarray(c * 5, c * 5 + 5).reduce((a, b) => a + b, 0)).toBe(1);
    const kind = (i: number, j: number) => obs.subarray(((i + 2) * 5 + j + 2) * 5, ((i + 2) * 5 + j + 2) * 5 + 5).indexOf(1);
    expect(kind(-2, -2)).toBe(WALL); // outside the grid
    expect(kind(-1, 0)).toBe(WALL); // the border
    expect(kind(0, 1)).toBe(WALL); // (1,2)
    expect(kind(0, 0)).toBe(EMPTY);
    writeView(l.cells, at(7, 6), obs, 0);
    expect(kind(0, 1)).toBe(GOAL);
    expect(kind(-1, 0)).toBe(MOSS);
  });

  it('steps: walls block, the goal pays 1 − 0.9·t/60, lava ends with 0, the time limit truncates, episodes auto-reset', () => {
    const l = handLevel();
    const env = new TinyCaveVecEnv(2, (e) => ({ id: e, level: l }));
    env.reset();
    const step = (a: number[]) => env.step(Int32Array.from(a));
    // env 0 walks right into the wall at (1,2) and stays; env 1 idles into the top wall.
    step([1, 0]);
    expect(env.rewards[0]).toBe(0);
    expect(Array.from(env.obs.subarray(0, OBS_SIZE))).toEqual(Array.from(env.obs.subarray(OBS_SIZE, 2 * OBS_SIZE)));
    // Reach the goal with env 0: down 6, right 6 from (1,1); the first move (into the wall) already counted as t = 1.
    let t = 1;
    for (const a of [...Array(6).fill(2), ...Array(6).fill(1)]) {
      step([a, 0]);
      t++;
    }
    expect(env.terminated[0]).toBe(1);
    expect(env.rewards[0]).toBeCloseTo(1 - (0.9 * t) / MAX_STEPS, 6);
    expect(env.episodeLength[0]).toBe(t);
    expect(env.solved[0]).toBe(1);
    // The next episode already began: env 0 is back at the start.
    const view = new Float32Array(OBS_SIZE);
    writeView(l.cells, l.start, view, 0);
    expect(Array.from(env.obs.subarray(0, OBS_SIZE))).toEqual(Array.from(view));
    // Lava next to the start ends the episode with 0.
    const lava = emptyRoom();
    lava.cells[at(1, 2)] = LAVA;
    const e2 = new TinyCaveVecEnv(1, () => ({ id: 0, level: lava }));
    e2.reset();
    e2.step(Int32Array.from([1]));
    expect([e2.terminated[0], e2.rewards[0], e2.solved[0]]).toEqual([1, 0, 0]);
    // Truncation after 60 steps of pushing into the top wall.
    const e3 = new TinyCaveVecEnv(1, () => ({ id: 0, level: l }));
    e3.reset();
    for (let k = 0; k < MAX_STEPS; k++) e3.step(Int32Array.from([0]));
    expect([e3.truncated[0], e3.terminated[0], e3.episodeLength[0]]).toEqual([1, 0, MAX_STEPS]);
    expect(() => e3.step(Int32Array.from([4]))).toThrow(/action 4 of env 0/);
  });
});

describe('level-sampling: generators', () => {
  const rng = new Rng(3);
  const levels = Array.from({ length: 300 }, () => gStar(rng));

  it("G*: valid, solvable, walls attached to the border, start ≥ 4 moves from the goal, moss near and lava far from the goal", () => {
    let mossD = 0, mossN = 0, lavaD = 0, lavaN = 0, openD = 0, openN = 0;
    for (const l of levels) {
      validateLevel(l);
      const d = bfs(l.cells, l.goal);
      expect(d[l.start]).toBeGreaterThanOrEqual(4);
      const f = levelFeatures(l);
      expect(f[3]).toBe(0); // walls detached from the border
      for (const i of INTERIOR) {
        const k = l.cells[i];
        const m = Math.abs(((i / SIZE) | 0) - ((l.goal / SIZE) | 0)) + Math.abs((i % SIZE) - (l.goal % SIZE));
        if (k === MOSS) (mossD += m), mossN++;
        else if (k === LAVA) (lavaD += m), lavaN++;
        else if (k === EMPTY) (openD += m), openN++;
      }
    }
    expect(mossD / mossN).toBeLessThan(openD / openN - 1);
    expect(lavaD / lavaN).toBeGreaterThan(openD / openN + 1);
    expect(mossNearGoal(levels)).toBeGreaterThan(1);
    // Seeded: the same seed gives the same levels.
    const again = new Rng(3);
    expect(levelKey(gStar(again))).toBe(levelKey(levels[0]!));
  });

  it('DR keeps the tile frequencies and loses the structure; edits change few cells and keep levels solvable', () => {
    const f = tileFrequencies(levels);
    const dr = Array.from({ length: 300 }, () => domainRandomisation(rng, f));
    const g = tileFrequencies(dr);
    for (const k of ['wall', 'lava', 'moss'] as const) expect(Math.abs(g[k] - f[k])).toBeLessThan(0.03);
    expect(Math.abs(mossNearGoal(dr))).toBeLessThan(0.3);
    expect(mean(dr.map((l) => levelFeatures(l)[3]!))).toBeGreaterThan(1); // detached walls
    for (const l of dr) expect(solutionLength(l)).toBeGreaterThan(0);
    for (const l of levels.slice(0, 50)) {
      const e = randomEdits(rng, l, 5);
      let diff = 0;
      for (let i = 0; i < CELLS; i++) if (e.cells[i] !== l.cells[i]) diff++;
      expect(diff).toBeLessThanOrEqual(5);
      expect([e.start, e.goal]).toEqual([l.start, l.goal]);
      expect(solutionLength(e)).toBeGreaterThan(0);
    }
  });
});

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

describe('level-sampling: samplers', () => {
  it('rank prioritisation (1/rank)^(1/T), staleness, and their mixture', () => {
    const w = rankWeights([0.5, 2, 1], 1); // ranks 3, 1, 2 → weights 1/3, 1, 1/2
    const z = 1 / 3 + 1 + 1 / 2;
    expect(Array.from(w)).toEqual([1 / 3 / z, 1 / z, 0.5 / z].map((v) => expect.closeTo(v, 12)) as unknown as number[]);
    const sharp = rankWeights([0.5, 2, 1], 0.25); // (1/rank)^4
    expect(sharp[1]! / sharp[2]!).toBeCloseTo(16, 10);
    const s = stalenessWeights([5, 8, 10], 10);
    expect(Array.from(s)).toEqual([5 / 7, 2 / 7, 0].map((v) => expect.closeTo(v, 12)) as unknown as number[]);
    const p = plrDistribution([0.5, 2, 1], [5, 8, 10], 10, 1, 0.3);
    for (let i = 0; i < 3; i++) expect(p[i]).toBeCloseTo(0.7 * w[i]! + 0.3 * s[i]!, 12);
    expect(p.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 12);
    expect(() => rankWeights([1], 0)).toThrow(/temperature/);
  });

  it('scores: value L1, positive value loss, GAE, and grounded value L1 (0 until solved)', () => {
    const a = [0.5, -1, 2, -0.5];
    expect(chunkScore('valueL1', a, false)).toBeCloseTo(1, 12);
    expect(chunkScore('positiveValueLoss', a, false)).toBeCloseTo(0.625, 12);
    expect(chunkScore('gae', a, false)).toBeCloseTo(0.25, 12);
    expect(chunkScore('groundedValueL1', a, false)).toBe(0);
    expect(chunkScore('groundedValueL1', a, true)).toBeCloseTo(1, 12);
  });

  it('PLR plays every level once first, then follows its distribution', () => {
    const p = new PLRSampler(5, { score: 'valueL1', temperature: 0.3, rho: 0.1 });
    const rng = new Rng(0);
    const first = Array.from({ length: 5 }, () => {
      const id = p.next(rng);
      p.update(id, [id], false); // level id gets score id
      return id;
    });
    expect([...first].sort()).toEqual([0, 1, 2, 3, 4]);
    const counts = new Array(5).fill(0);
    for (let k = 0; k < 2000; k++) counts[p.next(rng)]++;
    expect(counts[4]).toBeGreaterThan(counts[0]); // the highest score is replayed most
  });

  it("DRED's buffer: dataset levels are never evicted; a candidate is admitted only if solved and if it beats the weakest generated level", () => {
    const rng = new Rng(1);
    const dataset = Array.from({ length: 3 }, () => gStar(rng));
    const buf = new GrowingBufferSource(dataset, (r) => gStar(r), { score: 'groundedValueL1', temperature: 0.3, rho: 0.3, capacity: 2, generateProb: 1 });
    for (let i = 0; i < 3; i++) expect(buf.next(rng).id).toBe(i); // warm-up over the dataset
    const play = (adv: number, solved: boolean) => {
      const { id } = buf.next(rng);
      expect(id).toBeGreaterThanOrEqual(5); // a candidate
      buf.update(id, [adv], solved);
    };
    play(5, false); // not solved: not admitted
    expect(buf.generatedIds()).toEqual([]);
    play(1, true);
    play(2, true);
    expect(buf.generatedIds()).toEqual([3, 4]);
    play(0.5, true); // weaker than both: rejected
    expect(buf.admitted).toBe(2);
    play(3, true); // replaces the score-1 level in slot 3
    expect(buf.admitted).toBe(3);
    expect(buf.plr.scores[3]).toBe(3);
    for (let i = 0; i < 3; i++) expect(buf.levels[i]).toBe(dataset[i]);
    const d = buf.distribution();
    expect(d.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 12);
  });
});

describe('level-sampling: VAE pieces, shift measure, MI probe', () => {
  it('dihedral transforms are the 8 symmetries; the encoding is one-hot; decoding masks walls and lava for goal and start', () => {
    const l = handLevel();
    const keys = new Set(Array.from({ length: 8 }, (_, k) => levelKey(dihedral(l, k))));
    expect(keys.size).toBe(8);
    for (let k = 0; k < 8; k++) {
      const t = validateLevel(dihedral(l, k));
      expect(solutionLength(t)).toBe(solutionLength(l));
    }
    const x = encodeLevelOneHot(l);
    expect(x.length).toBe(VAE_INPUT);
    expect(x.reduce((a, b) => a + b, 0)).toBe(N_IN + 2);
    // Logits that want every cell empty and the goal / start on a lava or wall cell: the masks move them.
    const logits = new Float32Array(VAE_INPUT);
    for (let k = 0; k < N_IN; k++) logits[k * CELL_KINDS] = 1;
    logits[0 * CELL_KINDS + 2] = 5; // interior cell 0 = (1,1): lava
    logits[N_IN * CELL_KINDS + 0] = 9; // goal wants (1,1)
    logits[N_IN * CELL_KINDS + 48] = 3; // then (7,7)
    logits[N_IN * CELL_KINDS + N_IN + 0] = 9; // start wants (1,1) too
    logits[N_IN * CELL_KINDS + N_IN + 6] = 2; // then (1,7)
    const d = decodeLogits(logits)!;
    expect(d.cells[at(1, 1)]).toBe(LAVA);
    expect(d.goal).toBe(at(7, 7));
    expect(d.start).toBe(at(1, 7));
  });

  it('slerp: endpoints, and the norm stays on the arc between unit vectors', () => {
    const a = [1, 0, 0], b = [0, 1, 0];
    expect(Array.from(slerp(a, b, 0))).toEqual([1, 0, 0].map((v) => expect.closeTo(v, 12)) as unknown as number[]);
    expect(Array.from(slerp(a, b, 1))).toEqual([0, 1, 0].map((v) => expect.closeTo(v, 12)) as unknown as number[]);
    const m = slerp(a, b, 0.5);
    expect(Math.hypot(...m)).toBeCloseTo(1, 12);
    expect(m[0]).toBeCloseTo(Math.SQRT1_2, 12);
  });

  it('AUC: a hand case, separable data → 1, one distribution → 0.5', () => {
    expect(auc([3, 4], [1, 2])).toBe(1);
    expect(auc([1, 3], [2, 2])).toBe(0.5); // pairs: 1<2, 1<2, 3>2, 3>2
    expect(auc([2], [2])).toBe(0.5);
    const rng = new Rng(2);
    const a = Array.from({ length: 200 }, () => [rng.normal(), rng.normal()]);
    const b = Array.from({ length: 200 }, () => [rng.normal() + 3, rng.normal()]);
    const c = Array.from({ length: 200 }, () => [rng.normal(), rng.normal()]);
    expect(shiftAUC(a, b, rng)).toBeGreaterThan(0.97);
    expect(Math.abs(shiftAUC(a, c, rng) - 0.5)).toBeLessThan(0.1);
    const score = fitLogistic([[0], [1], [2], [3]], [0, 0, 1, 1]);
    expect(score([3])).toBeGreaterThan(score([0]));
  });

  it('the MI probe: ≈ log K when the features name the level, ≈ 0 when they carry nothing; the bound √(2·MI/|L|)', () => {
    const K = 4, E = 4, per = 30, dim = 6;
    const rng = new Rng(5);
    const make = (informative: boolean) => {
      const n = K * E * per;
      const features = new Float32Array(n * dim), labels = new Int32Array(n), episode = new Int32Array(n);
      for (let i = 0; i < n; i++) {
        labels[i] = Math.floor(i / (E * per));
        episode[i] = Math.floor(i / per) % E;
        for (let j = 0; j < dim; j++) features[i * dim + j] = 0.3 * rng.normal() + (informative && j === labels[i] ? 3 : 0);
      }
      return { features, dim, labels, episode };
    };
    const hi = probeMI(make(true), K, { episodes: E, rng });
    const lo = probeMI(make(false), K, { episodes: E, rng });
    expect(hi.entropy).toBeCloseTo(Math.log(K), 12); // balanced held-out labels
    expect(hi.mi).toBeGreaterThan(Math.log(K) - 0.05);
    expect(hi.accuracy).toBe(1);
    expect(Math.abs(lo.mi)).toBeLessThan(0.15);
    expect(miGapBound(Math.log(4), 32)).toBeCloseTo(Math.sqrt((2 * Math.log(4)) / 32), 12);
    expect(miGapBound(-0.1, 32)).toBe(0);
  });

  it('the level figure lays levels out side by side with white (NaN) separators, one category per cell kind', () => {
    const l = handLevel();
    const m = levelMosaic([{ name: 'a', levels: [l, l] }, { name: 'b', levels: [l, l] }], 2);
    expect(m.values.length).toBe(2 * SIZE + 1);
    expect(m.values[0]!.length).toBe(2 * SIZE + 1);
    expect(m.values[0]![SIZE]).toBeNaN();
    expect(m.values[SIZE]![0]).toBeNaN();
    expect(CELL_CATEGORIES.names[m.values[1]![1]!]).toBe('start');
    expect(CELL_CATEGORIES.names[m.values[7]![7]!]).toBe('goal');
    expect(m.xLabels[4]).toBe('a');
  });
});

describe('level-sampling: experiment', () => {
  it('a tiny run reports every declared claim, sanity check and finding, with valid tables and figures', async () => {
    const tiny: Settings = {
      ...SETTINGS.quick, numTest: 16, numShift: 64, steps: 2048, curvePoints: 2, curveTestLevels: 8,
      finalTrainEpisodes: 1, finalTestEpisodes: 1, probeEpisodes: 2,
      vae: { ...SETTINGS.quick.vae, hidden: 32, steps: 20 },
      agent: { ...SETTINGS.quick.agent, numEnvs: 8, ppo: { ...SETTINGS.quick.agent.ppo, numSteps: 32 } },
    };
    const r = validateResult(await runLevelSampling(tiny, { seed: 0, seeds: [0], onProgress: () => {} }), 'level-sampling');
    const agg = levelSampling.aggregate!([{ seed: 0, result: r }], { mode: 'quick', device: 'cpu', seeds: [0] }) as { claims: { name: string }[]; findings: { name: string }[] };
    expectSameClaims([...r.claims, ...agg.claims], levelSampling.claims);
    expectSameClaims(r.sanity!, levelSampling.sanity!);
    expectSameClaims([...r.findings!, ...agg.findings], levelSampling.findings!);
    for (const c of r.sanity!) expect(c.pass, `${c.name}: ${c.value} ${c.detail ?? ''}`).toBe(true);
    expect(r.series.map((s) => s.name)).toEqual(['levels', 'return-train', 'return-test', 'mi-vs-gap', 'shift-auc', 'held-out-return', 'vae-loss']);
    expect(r.tables.map((t) => t.rows.length)).toEqual([5, 4, 5]);
    for (const t of r.tables) for (const row of t.rows) for (const c of row.slice(1)) expect(typeof c === 'number' || c === '-').toBe(true); // numeric: aggregates over seeds
    expect(SETTINGS.quick.numTrain).toBe(32);
    expect(SETTINGS.quick.numShift).toBe(512);
  });
});

