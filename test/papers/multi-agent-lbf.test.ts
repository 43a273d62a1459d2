import { describe, expect, it } from 'vitest';
import { EAST, heuristicActions, LbfVec, LOAD, lbfConfig, NONE, NORTH, obsSize, SOUTH, WEST, type Entity } from '../../src/papers/multi-agent/lbf.js';
import { pickFrames, renderEpisodeSvg, renderFrameSvg } from '../../src/papers/multi-agent/render.js';
import { all, checkSvg } from '../helpers/xml.js';

const manhattan = (a: Entity, b: Entity): number => Math.abs(a.row - b.row) + Math.abs(a.col - b.col);

/** Acts for every environment: perAgent[a][i] is agent a's action in environment i. */
function act(env: LbfVec, perAgent: number[][]): void {
  const A = env.numAgents;
  const a = new Int32Array(A * env.numEnvs);
  perAgent.forEach((row, k) => row.forEach((v, i) => (a[i * A + k] = v)));
  env.step(a);
}

/** Obs vector of agent a in environment i. */
const obsOf = (env: LbfVec, a: number, i = 0): number[] => {
  const row = i * env.numAgents + a;
  return Array.from(env.obs.subarray(row * env.obsSize, (row + 1) * env.obsSize));
};

describe('Level-Based Foraging: spawning', () => {
  for (const [size, agents, food] of [
    [6, 2, 2],
    [8, 2, 3],
    [8, 3, 3],
  ] as const) {
    it(`${size}x${size}, ${agents} agents, ${food} food: food off the border, ≥ 3 apart, off agents; levels in range`, () => {
      for (const coop of [false, true]) {
        const env = new LbfVec(lbfConfig({ size, agents, food, coop }), 50, 7);
        for (let rep = 0; rep < 20; rep++) {
          for (let i = 0; i < env.numEnvs; i++) {
            const f = env.frame(i);
            expect(f.food.length).toBe(food);
            const levels = f.agents.map((a) => a.level).sort((x, y) => x - y);
            const L = levels.slice(0, 3).reduce((s, v) => s + v, 0);
            for (const a of f.agents) expect(a.level === 1 || a.level === 2).toBe(true);
            for (const [k, x] of f.food.entries()) {
              expect(x.row).toBeGreaterThan(0);
              expect(x.col).toBeGreaterThan(0);
              expect(x.row).toBeLessThan(size - 1);
              expect(x.col).toBeLessThan(size - 1);
              if (coop) expect(x.level).toBe(L);
              else expect(x.level >= 1 && x.level <= L).toBe(true);
              for (const y of f.food.slice(k + 1)) expect(manhattan(x, y)).toBeGreaterThan(2);
              for (const a of f.agents) expect(manhattan(x, a)).toBeGreaterThan(0);
            }
            const cells = new Set(f.agents.map((a) => a.row * size + a.col));
            expect(cells.size).toBe(agents);
            expect(env.foodSpawned[i]).toBe(f.food.reduce((s, x) => s + x.level, 0));
          }
          env.reset();
        }
      }
    });
  }

  it('non-cooperative food levels cover 1..L; agent spawns cover the border', () => {
    const env = new LbfVec(lbfConfig(), 200, 1);
    const seen = new Set<string>();
    let border = 0;
    for (let i = 0; i < env.numEnvs; i++) {
      const f = env.frame(i);
      const L = f.agents[0]!.level + f.agents[1]!.level;
      for (const x of f.food) seen.add(`${L}:${x.level}`);
      for (const a of f.agents) if (a.row === 0 || a.col === 0 || a.row === 7 || a.col === 7) border++;
    }
    for (const k of ['2:1', '2:2', '3:1', '3:3', '4:1', '4:4']) expect(seen.has(k)).toBe(true);
    expect(border).toBeGreaterThan(0);
  });

  it('rejects bad configurations and actions, naming the value', () => {
    expect(() => lbfConfig({ size: 2 })).toThrow(/size must be an integer ≥ 3, got 2/);
    expect(() => lbfConfig({ maxAgentLevel: 0 })).toThrow(/maxAgentLevel/);
    expect(() => new LbfVec(lbfConfig(), 0, 0)).toThrow(/n must be a positive integer, got 0/);
    const env = new LbfVec(lbfConfig(), 2, 0);
    expect(() => env.step(new Int32Array(3))).toThrow(/need 2·2 = 4 actions, got 3/);
    expect(() => env.step(Int32Array.from([0, 6, 0, 0]))).toThrow(/action 1 is 6/);
    expect(() => env.step([0, 1.5, 0, 0])).toThrow(/action 1 is 1.5/);
    expect(() => env.setState(0, [{ row: 0, col: 0, level: 1 }, { row: 0, col: 0, level: 1 }], [])).toThrow(/share a cell/);
    expect(() => env.setState(0, [{ row: 0, col: 8, level: 1 }, { row: 0, col: 0, level: 1 }], [])).toThrow(/\(0, 8\) is off the 8x8 grid/);
  });
});

describe('Level-Based Foraging: rules', () => {
  // The original's fixture: food of level 2 at (4, 4), agents of level 2 at (4, 3) and (4, 5).
  const pair = (levels: [number, number], foodLevel: number): LbfVec => {
    const env = new LbfVec(lbfConfig({ food: 1 }), 1, 0);
    env.setState(0, [{ row: 4, col: 3, level: levels[0] }, { row: 4, col: 5, level: levels[1] }], [{ row: 4, col: 4, level: foodLevel }]);
    return env;
  };

  it('rewards: both load → level-weighted split; one loads alone → all of it (original fixture)', () => {
    let env = pair([2, 2], 2);
    act(env, [[LOAD], [LOAD]]);
    expect([env.rewards[0], env.rewards[1]]).toEqual([0.5, 0.5]);
    expect(env.terminated[0]).toBe(1);
    env = pair([2, 2], 2);
    act(env, [[NONE], [LOAD]]);
    expect([env.rewards[0], env.rewards[1]]).toEqual([0, 1]);
    env = pair([1, 2], 3);
    act(env, [[LOAD], [LOAD]]);
    expect(env.rewards[0]).toBe(Math.fround(1 / 3));
    expect(env.rewards[1]).toBe(Math.fround(2 / 3));
  });

  it('load threshold: levels summing below the food level load nothing; at the level they load', () => {
    const env = pair([1, 2], 3);
    act(env, [[LOAD], [NONE]]);
    expect(Array.from(env.rewards)).toEqual([0, 0]);
    expect(env.frame(0).food.length).toBe(1);
    act(env, [[NONE], [LOAD]]);
    expect(Array.from(env.rewards)).toEqual([0, 0]);
    expect(env.applied[1]).toBe(LOAD); // a valid, failed load
    act(env, [[LOAD], [LOAD]]);
    expect(env.exactReturn[0]).toBe(1);
    expect(env.terminated[0]).toBe(1);
    // The penalty variant charges each agent of a failed load.
    const pen = new LbfVec(lbfConfig({ food: 1, penalty: 0.1 }), 1, 0);
    pen.setState(0, [{ row: 4, col: 3, level: 1 }, { row: 0, col: 0, level: 1 }], [{ row: 4, col: 4, level: 2 }]);
    act(pen, [[LOAD], [LOAD]]);
    expect([pen.rewards[0], pen.rewards[1]]).toEqual([Math.fround(-0.1), 0]); // agent 2 has no food next to it: its load acts as none
    expect(pen.applied[1]).toBe(NONE);
  });

  it('a non-adjacent loader does not help; diagonal is not adjacent', () => {
    const env = new LbfVec(lbfConfig({ food: 1 }), 1, 0);
    env.setState(0, [{ row: 4, col: 3, level: 1 }, { row: 5, col: 5, level: 2 }], [{ row: 4, col: 4, level: 2 }]);
    act(env, [[LOAD], [LOAD]]);
    expect(Array.from(env.rewards)).toEqual([0, 0]);
    expect(env.applied[1]).toBe(NONE);
  });

  it('collisions: two agents moving into one cell both stay; a move onto a standing agent fails; swaps pass', () => {
    const env = new LbfVec(lbfConfig(), 1, 0);
    const far = [{ row: 6, col: 1, level: 1 }, { row: 1, col: 6, level: 1 }];
    env.setState(0, [{ row: 2, col: 2, level: 1 }, { row: 2, col: 4, level: 1 }], far);
    act(env, [[EAST], [WEST]]);
    expect(env.frame(0).agents.map((a) => [a.row, a.col])).toEqual([[2, 2], [2, 4]]);
    env.setState(0, [{ row: 2, col: 2, level: 1 }, { row: 2, col: 3, level: 1 }], far);
    act(env, [[EAST], [NONE]]);
    expect(env.frame(0).agents.map((a) => [a.row, a.col])).toEqual([[2, 2], [2, 3]]);
    act(env, [[EAST], [EAST]]); // the first agent follows into the cell the second leaves
    expect(env.frame(0).agents.map((a) => [a.row, a.col])).toEqual([[2, 3], [2, 4]]);
    act(env, [[EAST], [WEST]]); // the one-pass rule lets neighbours swap
    expect(env.frame(0).agents.map((a) => [a.row, a.col])).toEqual([[2, 4], [2, 3]]);
  });

  it('invalid moves (off the grid, onto food) act as none', () => {
    const env = new LbfVec(lbfConfig({ food: 1 }), 1, 0);
    env.setState(0, [{ row: 0, col: 0, level: 1 }, { row: 3, col: 4, level: 1 }], [{ row: 4, col: 4, level: 2 }]);
    act(env, [[NORTH], [SOUTH]]);
    expect(env.frame(0).agents.map((a) => [a.row, a.col])).toEqual([[0, 0], [3, 4]]);
    expect([env.applied[0], env.applied[1]]).toEqual([NONE, NONE]);
    act(env, [[WEST], [EAST]]);
    expect(env.frame(0).agents.map((a) => [a.row, a.col])).toEqual([[0, 0], [3, 5]]);
  });

  it('observations: food then agents (self first), absolute under full view, −1 where unseen (partial)', () => {
    const env = new LbfVec(lbfConfig({ agents: 2, food: 2 }), 1, 0);
    env.setState(0, [{ row: 4, col: 3, level: 2 }, { row: 1, col: 6, level: 1 }], [{ row: 5, col: 5, level: 3 }, { row: 2, col: 2, level: 1 }]);
    expect(obsSize(env.cfg)).toBe(12);
    // Food in row-major order of its cell: (2, 2) before (5, 5).
    expect(obsOf(env, 0)).toEqual([2, 2, 1, 5, 5, 3, 4, 3, 2, 1, 6, 1]);
    expect(obsOf(env, 1)).toEqual([2, 2, 1, 5, 5, 3, 1, 6, 1, 4, 3, 2]);
    // sight 1: agent 0 at (4, 3) sees rows 3..5, cols 2..4 (window corner (3, 2)): no food, no agent 1.
    const po = new LbfVec(lbfConfig({ sight: 1 }), 1, 0);
    po.setState(0, [{ row: 4, col: 3, level: 2 }, { row: 1, col: 6, level: 1 }], [{ row: 5, col: 5, level: 3 }, { row: 2, col: 2, level: 1 }]);
    expect(obsOf(po, 0)).toEqual([-1, -1, 0, -1, -1, 0, 1, 1, 2, -1, -1, 0]);
    // sight 2: window rows 2..6, cols 1..5 (corner (2, 1)): both food, not agent 1.
    const po2 = new LbfVec(lbfConfig({ sight: 2 }), 1, 0);
    po2.setState(0, [{ row: 4, col: 3, level: 2 }, { row: 1, col: 6, level: 1 }], [{ row: 5, col: 5, level: 3 }, { row: 2, col: 2, level: 1 }]);
    expect(obsOf(po2, 0)).toEqual([0, 1, 1, 3, 4, 3, 2, 2, 2, -1, -1, 0]);
    // Agent 1 at (1, 6): window rows 0..3, cols 4..7, corner (0, 4): sees nothing but itself.
    expect(obsOf(po2, 1)).toEqual([-1, -1, 0, -1, -1, 0, 1, 2, 1, -1, -1, 0]);
    // The original's fixture (sight 2): after agent 0 steps west, neither sees the other.
    const fx = new LbfVec(lbfConfig({ food: 1, sight: 2 }), 1, 0);
    fx.setState(0, [{ row: 4, col: 3, level: 2 }, { row: 4, col: 5, level: 2 }], [{ row: 4, col: 4, level: 2 }]);
    expect(obsOf(fx, 0).slice(-3)).toEqual([2, 4, 2]); // agent 1 at (4, 5), window corner (2, 1)
    act(fx, [[WEST], [NONE]]);
    expect(obsOf(fx, 0).slice(-3)).toEqual([-1, -1, 0]);
    expect(obsOf(fx, 1).slice(-3)).toEqual([-1, -1, 0]);
  });
});

describe('Level-Based Foraging: episodes', () => {
  /** Noisy scripted play over many environments; returns the finished episodes' team returns and lengths. */
  function scriptedPlay(coop: boolean, steps: number, noise: number): { full: number[]; partial: number[]; lengths: number[] } {
    const env = new LbfVec(lbfConfig({ coop }), 64, 3);
    const full: number[] = [], partial: number[] = [], lengths: number[] = [];
    let x = 12345;
    const rand = (): number => ((x = (Math.imul(x, 1103515245) + 12345) >>> 0) >>> 8) / 2 ** 24;
    const a = new Int32Array(2 * env.numEnvs);
    for (let t = 0; t < steps; t++) {
      heuristicActions(env, a, rand, noise);
      env.step(a);
      for (let i = 0; i < env.numEnvs; i++) {
          if (env.terminated[i]) (full.push(env.exactReturn[i]!), lengths.push(env.episodeLength[i]!));
        else if (env.truncated[i]) {
          partial.push(env.exactReturn[i]!);
          lengths.push(env.episodeLength[i]!);
          expect(env.episodeLength[i]).toBe(50); // truncation only at the step limit
          expect(env.episodeReturn[i]).toBe(Math.fround(env.exactReturn[i]!));
        }
      }
    }
    return { full, partial, lengths };
  }

  for (const coop of [false, true]) {
    it(`${coop ? 'cooperative' : 'standard'}: the team's rewards sum to 1 exactly when all food is collected`, () => {
      const { full, partial, lengths } = scriptedPlay(coop, 300, 0.6);
      expect(full.length).toBeGreaterThan(20);
      expect(partial.length).toBeGreaterThan(20);
      for (const r of full) expect(Math.abs(r - 1)).toBeLessThan(1e-12);
      for (const r of partial) expect(r).toBeLessThan(1 - 1e-9);
      for (const l of lengths) expect(l).toBeLessThanOrEqual(50);
      expect(lengths.length).toBe(full.length + partial.length);
    });
  }

  it('episode end: final observation kept, next episode started, step limit truncates', () => {
    const env = new LbfVec(lbfConfig({ food: 1, maxSteps: 3 }), 1, 0);
    env.setState(0, [{ row: 4, col: 3, level: 2 }, { row: 0, col: 0, level: 1 }], [{ row: 4, col: 4, level: 2 }]);
    const epBefore = env.episodes[0];
    act(env, [[LOAD], [NONE]]);
    expect(env.terminated[0]).toBe(1);
    expect(env.rewards[0]).toBe(1);
    expect(env.episodeReturn[0]).toBe(1);
    expect(env.episodeLength[0]).toBe(1);
    expect(Array.from(env.finalObs.subarray(0, 6))).toEqual([-1, -1, 0, 4, 3, 2]);
    expect(env.episodes[0]).toBe(epBefore! + 1);
    expect(env.steps[0]).toBe(0);
    for (let t = 0; t < 2; t++) {
      act(env, [[NONE], [NONE]]);
      expect(env.truncated[0] + env.terminated[0]).toBe(0);
    }
    act(env, [[NONE], [NONE]]);
    expect(env.truncated[0]).toBe(1);
    expect(env.terminated[0]).toBe(0);
    expect(env.episodeLength[0]).toBe(3);
    // Without auto-reset an ended environment stays as it ended until resetEnv.
    const still = new LbfVec(lbfConfig({ food: 1, maxSteps: 1 }), 1, 0, { autoReset: false });
    const start = still.frame(0);
    act(still, [[EAST], [SOUTH]]);
    expect(still.truncated[0]).toBe(1);
    const end = still.frame(0);
    expect(end.step).toBe(1);
    act(still, [[WEST], [NORTH]]);
    expect(still.frame(0)).toEqual({ ...end, actions: end.actions, rewards: [0, 0] });
    expect(still.truncated[0]).toBe(1);
    still.resetEnv(0);
    expect(still.truncated[0]).toBe(0);
    expect(still.frame(0).agents).not.toEqual(start.agents); // the next episode's layout
  });

  it('determinism: same seed → same bits; layouts depend on (seed, env, episode), not on n', () => {
    const run = (n: number, seed: number): { obs: Float32Array[]; rew: Float32Array[] } => {
      const env = new LbfVec(lbfConfig(), n, seed);
      const obs: Float32Array[] = [], rew: Float32Array[] = [];
      const a = new Int32Array(2 * n);
      for (let t = 0; t < 120; t++) {
        for (let k = 0; k < a.length; k++) a[k] = (t * 7 + k * 3 + (t >> 3)) % 6;
        env.step(a);
        obs.push(env.obs.slice());
        rew.push(env.rewards.slice());
      }
      return { obs, rew };
    };
    const a = run(4, 11), b = run(4, 11), c = run(4, 12);
    expect(a.obs).toEqual(b.obs);
    expect(a.rew).toEqual(b.rew);
    expect(a.obs).not.toEqual(c.obs);
    // Environment i's first episodes do not depend on how many environments run beside it.
    const one = new LbfVec(lbfConfig(), 1, 11), four = new LbfVec(lbfConfig(), 4, 11);
    for (let ep = 0; ep < 5; ep++) {
      expect(four.frame(0)).toEqual(one.frame(0));
      one.reset();
      four.reset();
    }
    expect(new LbfVec(lbfConfig(), 4, 11).frame(1)).not.toEqual(new LbfVec(lbfConfig(), 4, 11).frame(0));
  });
});

describe('Level-Based Foraging: SVG frames', () => {
  it('draws a frame and an episode sheet as well-formed, deterministic SVG', () => {
    const env = new LbfVec(lbfConfig({ sight: 2 }), 1, 5, { autoReset: false });
    const frames = [env.frame(0)];
    for (let t = 0; t < 9; t++) {
      act(env, [[(t % 5) as number], [((t + 2) % 6) as number]]);
      frames.push(env.frame(0));
    }
    const one = renderFrameSvg(frames[3]!);
    const root = checkSvg(one);
    expect(all(root, (e) => e.name === 'circle').length).toBe(2);
    const sheet = renderEpisodeSvg(frames, { title: 'test <episode>', columns: 4 });
    const r = checkSvg(sheet);
    expect(all(r, (e) => e.name === 'g' && e.attrs.class === 'lbf-frame').length).toBe(10);
    expect(sheet).toContain('test &lt;episode&gt;');
    expect(renderEpisodeSvg(frames, { title: 'test <episode>', columns: 4 })).toBe(sheet);
    expect(pickFrames(10, 4)).toEqual([0, 3, 6, 9]);
    expect(pickFrames(3, 4)).toEqual([0, 1, 2]);
    expect(() => renderEpisodeSvg([])).toThrow(/no frames/);
  });
});
