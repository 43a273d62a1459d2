import { describe, expect, it } from 'vitest';
import * as pg from '../../src/index.js';

const { rl } = pg;

function expectClose(got: ArrayLike<number>, want: ArrayLike<number>, tol = 1e-6): void {
  expect(got.length).toBe(want.length);
  for (let i = 0; i < want.length; i++)
    if (!(Math.abs(got[i]! - want[i]!) <= tol)) throw new Error(`element ${i}: got ${got[i]}, want ${want[i]}`);
}

// A rollout of T = 3 steps from N = 2 environments, time-major (index t * 2 + i).
//   env 0: rewards 1, 0, 2; values 0.5, 1, 1.5; terminated after step 1; V(s_3) = 2.
//   env 1: rewards 0, 1, 0; values 1, 2, 0.5; truncated after step 0 with V(final obs) = 3; V(s_3) = 1.
const ROLLOUT = {
  numSteps: 3,
  numEnvs: 2,
  rewards: [1, 0, 0, 1, 2, 0],
  values: [0.5, 1, 1, 2, 1.5, 0.5],
  terminated: [0, 0, 1, 0, 0, 0],
  truncated: [0, 1, 0, 0, 0, 0],
  truncValues: [0, 3, 0, 0, 0, 0],
  lastValues: [2, 1],
  gamma: 0.9,
};

describe('rl: GAE and n-step returns', () => {
  it('GAE matches a hand-computed example with a terminal step and a truncated episode', () => {
    // γ = 0.9, λ = 0.5 (γλ = 0.45).
    // env 0: t=2: δ = 2 + 0.9·2 − 1.5 = 2.3, A = 2.3
    //        t=1: terminal: δ = 0 − 1 = −1, A = −1 (nothing flows back from t = 2)
    //        t=0: δ = 1 + 0.9·1 − 0.5 = 1.4, A = 1.4 + 0.45·(−1) = 0.95
    // env 1: t=2: δ = 0 + 0.9·1 − 0.5 = 0.4, A = 0.4
    //        t=1: δ = 1 + 0.9·0.5 − 2 = −0.55, A = −0.55 + 0.45·0.4 = −0.37
    //        t=0: truncated: δ = 0 + 0.9·3 − 1 = 1.7, A = 1.7 (bootstrapped from V(final obs), no carry)
    const { advantages, returns } = rl.gae({ ...ROLLOUT, lambda: 0.5 });
    expectClose(advantages, [0.95, 1.7, -1, -0.37, 2.3, 0.4]);
    expectClose(returns, [1.45, 2.7, 0, 1.63, 3.8, 0.9]);
  });

  it('n-step returns match the hand-computed values, and GAE with λ = 1 gives the same returns', () => {
    // To the rollout's end: env 0: R2 = 2 + 0.9·2 = 3.8, R1 = 0 (terminal), R0 = 1 + 0.9·0 = 1.
    //                       env 1: R2 = 0.9·1 = 0.9, R1 = 1 + 0.9·0.9 = 1.81, R0 = 0.9·3 = 2.7.
    const full = rl.nStepReturns(ROLLOUT);
    expectClose(full, [1, 2.7, 0, 1.81, 3.8, 0.9]);
    expectClose(rl.gae({ ...ROLLOUT, lambda: 1 }).returns, full);
    // n = 1: one-step TD targets r + γ·V(next) (0 after the terminal step, V(final obs) after the truncation).
    expectClose(rl.nStepReturns({ ...ROLLOUT, n: 1 }), [1 + 0.9 * 1, 2.7, 0, 1 + 0.9 * 0.5, 3.8, 0.9]);
    // n = 2 reaches the rollout's end from t = 1, so it equals the full returns there.
    expectClose(rl.nStepReturns({ ...ROLLOUT, n: 2 }), [1, 2.7, 0, 1.81, 3.8, 0.9]);
  });

  it('rejects a truncated step without its bootstrap value and mismatched lengths', () => {
    expect(() => rl.gae({ ...ROLLOUT, truncValues: undefined, lambda: 0.9 })).toThrow(/truncated but no truncValues/);
    expect(() => rl.gae({ ...ROLLOUT, rewards: [1, 2], lambda: 0.9 })).toThrow(/rewards has 2 entries, expected 6/);
    expect(() => rl.nStepReturns({ ...ROLLOUT, n: 0 })).toThrow(/n must be a positive integer/);
  });

  it('RolloutBuffer.computeGae agrees with gae() and shares episode ends across agents', () => {
    const buf = new rl.RolloutBuffer(3, 2, 1);
    for (let t = 0; t < 3; t++) {
      buf.recordPolicy(t, new Float32Array([t, t]), new Int32Array([0, 1]), [0, 0], [ROLLOUT.values[2 * t]!, ROLLOUT.values[2 * t + 1]!]);
      buf.recordOutcome(t, [ROLLOUT.rewards[2 * t]!, ROLLOUT.rewards[2 * t + 1]!], [ROLLOUT.terminated[2 * t]!, ROLLOUT.terminated[2 * t + 1]!], [ROLLOUT.truncated[2 * t]!, ROLLOUT.truncated[2 * t + 1]!]);
    }
    buf.truncValues[1] = 3;
    buf.lastValues.set([2, 1]);
    buf.computeGae(0.9, 0.5);
    expectClose(buf.advantages, [0.95, 1.7, -1, -0.37, 2.3, 0.4]);
    buf.computeNStep(0.9);
    expectClose(buf.returns, [1, 2.7, 0, 1.81, 3.8, 0.9]);
    // Two agents in one environment: one episode end for both rows.
    const ma = new rl.RolloutBuffer(1, 4, 1);
    ma.recordOutcome(0, [1, 1, 1, 1], [0, 1], [0, 0], 2);
    expect(Array.from(ma.terminated)).toEqual([0, 0, 1, 1]);
  });
});

describe('rl: vectorised environments', () => {
  it('auto-resets an ended episode and keeps its final observation; maxSteps truncates', () => {
    const env = new rl.SyncVecEnv([new rl.GridRoom(5, { maxSteps: 3 }), new rl.GridRoom(5, { maxSteps: 3 })], { seed: 1 });
    env.reset();
    const rooms = env.envs as InstanceType<typeof rl.GridRoom>[];
    // Walk env 0 to the goal (down then right), keep env 1 pushing into the top wall.
    const path: number[] = [];
    for (let r = rooms[0]!.row; r < 3; r++) path.push(2);
    for (let c = rooms[0]!.col; c < 3; c++) path.push(1);
    let ended0 = -1;
    for (let t = 0; t < 3; t++) {
      env.step(new Int32Array([path[t] ?? 0, 0]));
      if (env.terminated[0] && ended0 < 0) {
        ended0 = t;
        expect(env.episodeLength[0]).toBe(path.length);
        expect(env.episodeReturn[0]).toBeCloseTo(1 - (0.9 * path.length) / 3, 6);
        // The final observation has the goal under the agent (view centre = cell 12, kind 2).
        expect(env.finalObs[12 * 3 + 2]).toBe(1);
        // obs is already the new episode's first observation (the agent is never on the goal there).
        expect(env.obs[12 * 3 + 2]).toBe(0);
      }
    }
    if (path.length <= 3) expect(ended0).toBe(path.length - 1);
    // Env 1 never reaches the goal from the top row in 3 up-moves: truncated at step 3, not terminated.
    expect(env.truncated[1] + env.terminated[1]).toBe(1);
    if (env.truncated[1]) expect(env.episodeLength[1]).toBe(3);
    expect(() => env.step(new Int32Array([0, 4]))).toThrow(/action 4 of env 1/);
  });

  it('the same seed gives the same rollouts', () => {
    const run = (seed: number) => {
      const env = new rl.SyncVecEnv([new rl.GridRoom(6), new rl.GridRoom(6)], { seed });
      env.reset();
      const rng = new rl.Rng(7);
      const obs: number[] = [];
      for (let t = 0; t < 50; t++) {
        env.step(new Int32Array([rng.int(4), rng.int(4)]));
        obs.push(...env.obs.slice(0, 10));
      }
      return obs;
    };
    expect(run(3)).toEqual(run(3));
    expect(run(3)).not.toEqual(run(4));
  });

  it('Rng draws are Philox words of its generator: ints in range, floats in [0, 1), choice by weight', () => {
    const r = new rl.Rng(5);
    expect(r.uint32()).toBe(new rl.Rng(new pg.Generator(5)).uint32());
    const counts = [0, 0, 0];
    for (let i = 0; i < 30000; i++) counts[r.choice([1, 2, 7])]!++;
    expectClose(counts.map((c) => c / 30000), [0.1, 0.2, 0.7], 0.01);
    for (let i = 0; i < 1000; i++) {
      const k = r.int(7), f = r.float();
      expect(k >= 0 && k < 7 && Number.isInteger(k)).toBe(true);
      expect(f >= 0 && f < 1).toBe(true);
    }
    expect(() => r.choice([0, 0])).toThrow(/sum to 0/);
    expect(Array.from(r.permutation(6)).sort()).toEqual([0, 1, 2, 3, 4, 5]);
  });
});

describe('rl: categorical policy head and losses', () => {
  it('sampleActions draws what pg.multinomial draws from the same generator state, with exact log-probs', () => {
    const rows = 64, A = 4;
    const logits = new Float32Array(rows * A);
    const src = new rl.Rng(11);
    for (let i = 0; i < logits.length; i++) logits[i] = 3 * src.normal();
    const g1 = new pg.Generator(3), g2 = new pg.Generator(3);
    const { actions, logProbs } = rl.sampleActions(logits, rows, A, { generator: g1 });
    const probs = new Float64Array(rows * A);
    for (let r = 0; r < rows; r++) {
      const m = Math.max(...logits.subarray(r * A, r * A + A));
      for (let a = 0; a < A; a++) probs[r * A + a] = Math.exp(logits[r * A + a]! - m);
    }
    const ref = pg.multinomial(pg.tensor(probs, { shape: [rows, A] }), 1, { replacement: true, generator: g2 }).dataSync();
    expect(Array.from(actions)).toEqual(Array.from(ref));
    expect(g1.offset).toBe(g2.offset);
    for (let r = 0; r < rows; r++) {
      let s = 0;
      for (let a = 0; a < A; a++) s += probs[r * A + a]!;
      expect(logProbs[r]).toBeCloseTo(Math.log(probs[r * A + actions[r]!]! / s), 5);
    }
    const greedy = rl.sampleActions(logits, rows, A, { greedy: true }).actions;
    for (let r = 0; r < rows; r++) expect(greedy[r]).toBe(probs.subarray(r * A, r * A + A).indexOf(1));
    expect(() => rl.sampleActions(new Float32Array([0, NaN]), 1, 2)).toThrow(/logit NaN/);
  });

  it('sampled frequencies follow the softmax', () => {
    const logits = new Float32Array(4000 * 3);
    for (let r = 0; r < 4000; r++) logits.set([0, Math.log(2), Math.log(5)], r * 3);
    const { actions } = rl.sampleActions(logits, 4000, 3, { generator: new pg.Generator(0) });
    const f = [0, 0, 0];
    for (const a of actions) f[a]!++;
    expectClose(f.map((c) => c / 4000), [0.125, 0.25, 0.625], 0.025);
  });

  it('Categorical log-prob and entropy match the closed forms', () => {
    const logits = pg.tensor([[0, 0, 0, 0], [1, 2, 3, 4]], { dtype: 'float64' });
    const d = new rl.Categorical(logits);
    const z = Math.exp(1) + Math.exp(2) + Math.exp(3) + Math.exp(4);
    expectClose(d.logProb(pg.tensor([2, 3], { dtype: 'int32' })).dataSync(), [Math.log(0.25), 4 - Math.log(z)], 1e-12);
    const p = [1, 2, 3, 4].map((l) => Math.exp(l) / z);
    expectClose(d.entropy().dataSync(), [Math.log(4), -p.reduce((a, q) => a + q * Math.log(q), 0)], 1e-12);
    expect(() => d.logProb(pg.tensor([0, 1]))).toThrow(/actions must be int32/);
  });

  it('ppoLoss: clipped objective, clipped value loss, entropy bonus, diagnostics', () => {
    const f = (v: number[]) => pg.tensor(v, { dtype: 'float64' });
    const lp = [Math.log(1.5), Math.log(0.5), Math.log(1.1), Math.log(0.7)]; // ratios with oldLogProb 0
    const adv = [1, 1, -1, -2];
    const values = [0.5, 2, 0, 1], oldV = [0, 1.5, 0.1, 1], ret = [1, 1, 0, 2];
    const logProb = f(lp).requiresGrad_();
    const l = rl.ppoLoss({
      logProb, oldLogProb: f([0, 0, 0, 0]), advantages: f(adv), values: f(values), oldValues: f(oldV), returns: f(ret),
      entropy: f([1, 1, 1, 1]), clipCoef: 0.2, valueCoef: 0.5, entropyCoef: 0.01,
    });
    const r = lp.map(Math.exp);
    const pol = r.map((ri, i) => Math.max(-adv[i]! * ri, -adv[i]! * Math.min(1.2, Math.max(0.8, ri))));
    const policyLoss = pol.reduce((a, b) => a + b) / 4;
    const vl = values.map((v, i) => Math.max((v - ret[i]!) ** 2, (oldV[i]! + Math.min(0.2, Math.max(-0.2, v - oldV[i]!)) - ret[i]!) ** 2));
    const valueLoss = (0.5 * vl.reduce((a, b) => a + b)) / 4;
    expect(l.policyLoss.itemSync()).toBeCloseTo(policyLoss, 12);
    expect(l.valueLoss.itemSync()).toBeCloseTo(valueLoss, 12);
    expect(l.loss.itemSync()).toBeCloseTo(policyLoss + 0.5 * valueLoss - 0.01, 12);
    expect(l.clipFraction.itemSync()).toBeCloseTo(3 / 4, 12); // |r − 1| > 0.2 for 1.5, 0.5 and 0.7
    expect(l.approxKl.itemSync()).toBeCloseTo(r.reduce((a, ri, i) => a + (ri - 1 - lp[i]!), 0) / 4, 12);
    // Where the clipped term wins, no policy gradient flows: r = 1.5 with A > 0 and r = 0.7 with A < 0
    // are clipped; r = 0.5 with A > 0 and r = 1.1 are not.
    l.policyLoss.backward();
    const g = Array.from(logProb.grad!.dataSync());
    expectClose(g, [0, -0.5 / 4, 1.1 / 4, 0], 1e-12);
    expect(() => rl.ppoLoss({ logProb, oldLogProb: logProb, advantages: logProb, values: logProb, returns: logProb })).toThrow(/needs oldValues/);
  });

  it('a2cLoss: −A·log π with A = R − V held constant, squared value error, entropy bonus', () => {
    const f = (v: number[]) => pg.tensor(v, { dtype: 'float64' });
    const logProb = f([-1, -2]).requiresGrad_();
    const values = f([0.5, 1]).requiresGrad_();
    const l = rl.a2cLoss({ logProb, values, returns: f([1, 0]), entropy: f([0.5, 0.7]), valueCoef: 0.5, entropyCoef: 0.1 });
    // A = [0.5, −1]: L_π = −(0.5·(−1) + (−1)·(−2)) / 2 = −0.75; L_V = (0.25 + 1) / 2 = 0.625; H = 0.6.
    expect(l.policyLoss.itemSync()).toBeCloseTo(-0.75, 12);
    expect(l.valueLoss.itemSync()).toBeCloseTo(0.625, 12);
    expect(l.loss.itemSync()).toBeCloseTo(-0.75 + 0.3125 - 0.06, 12);
    l.loss.backward();
    expectClose(logProb.grad!.dataSync(), [-0.25, 0.5], 1e-12);
    // Only the value loss reaches the values: d/dV 0.5·mean((R − V)²) = −(R − V)/2.
    expectClose(values.grad!.dataSync(), [-0.25, 0.5], 1e-12);
  });

  it('clipGradNormTensor matches pg.nn.clipGradNorm; minibatches partition the rollout', () => {
    const mk = () => [pg.tensor([3, 4], { dtype: 'float64' }).requiresGrad_(), pg.tensor([12], { dtype: 'float64' }).requiresGrad_()];
    const a = mk(), b = mk();
    for (const ps of [a, b]) ps.forEach((p) => p.square().sum().backward()); // grads 2p: norm 26
    const n1 = rl.clipGradNormTensor(a, 13).itemSync();
    const n2 = pg.nn.clipGradNorm(b, 13).itemSync();
    expect(n1).toBeCloseTo(26, 12);
    expect(n2).toBeCloseTo(26, 12);
    for (let i = 0; i < 2; i++) expectClose(a[i]!.grad!.dataSync(), b[i]!.grad!.dataSync(), 1e-12);
    const g = new pg.Generator(4);
    const mbs = rl.minibatches(12, 3, g);
    expect(mbs.map((m) => m.length)).toEqual([4, 4, 4]);
    expect(mbs.flatMap((m) => Array.from(m)).sort((x, y) => x - y)).toEqual([...Array(12).keys()]);
    expect(Array.from(rl.minibatches(12, 3, new pg.Generator(4))[0]!)).toEqual(Array.from(mbs[0]!));
    expect(() => rl.minibatches(10, 3, g)).toThrow(/do not split/);
    expect(Array.from(rl.gatherRows(new Float32Array([0, 1, 10, 11, 20, 21]), 2, [2, 0]))).toEqual([20, 21, 0, 1]);
  });
});

/** Greedy success on every start cell of a GridRoom: the fraction of starts reached along a shortest path. */
function greedyRoomSuccess(net: InstanceType<typeof rl.ActorCritic>, size: number): number {
  const room = new rl.GridRoom(size);
  const obs = new Float32Array(room.obsSize), act = new Int32Array(1), rew = new Float32Array(1);
  let ok = 0, starts = 0;
  for (let r = 1; r <= size - 2; r++)
    for (let c = 1; c <= size - 2; c++) {
      if (r === size - 2 && c === size - 2) continue;
      starts++;
      room.row = r;
      room.col = c;
      room.t = 0;
      const dist = room.distance();
      let end = rl.RUNNING;
      while (end === rl.RUNNING && room.t < dist) {
        room.observe(obs, 0);
        const logits = pg.tidy(() => pg.noGrad(() => net.logits(pg.tensor(obs.slice(), { shape: [1, room.obsSize] })).dataSync()));
        act[0] = rl.sampleActions(logits, 1, 4, { greedy: true }).actions[0]!;
        end = room.step(act, rew, 0);
      }
      if (end === rl.TERMINATED) ok++;
    }
  return ok / starts;
}

describe('rl: PPO learns', () => {
  it('solves an empty 5x5 room (greedy shortest paths from every start ≥ 0.95) within 30k steps on 3 of 3 seeds', async () => {
    for (const seed of [0, 1, 2]) {
      const g = new pg.Generator(seed);
      const env = new rl.SyncVecEnv(Array.from({ length: 16 }, () => new rl.GridRoom(5)), { seed });
      const net = new rl.ActorCritic(env.obsSize, env.numActions, { generator: g });
      // CleanRL's settings: 16 envs × 64 steps, 4 epochs × 4 minibatches, 64-64 tanh, lr 2.5e-4 annealed.
      const ppo = new rl.PPO(env, net, { numSteps: 64, totalSteps: 30_000, generator: g });
      const before = greedyRoomSuccess(net, 5);
      let success = 0;
      while (ppo.globalStep < 30_000 && success < 0.95) {
        await ppo.iterate();
        success = greedyRoomSuccess(net, 5);
      }
      expect(before).toBeLessThan(0.5);
      expect(success, `seed ${seed} after ${ppo.globalStep} steps`).toBeGreaterThanOrEqual(0.95);
    }
  });

  it('picks the better arm of a 0.2 / 0.8 bandit with probability > 0.95 within 2k steps', async () => {
    for (const seed of [0, 1, 2]) {
      const g = new pg.Generator(seed);
      const env = new rl.SyncVecEnv([0, 1, 2, 3, 4, 5, 6, 7].map(() => new rl.TwoArmedBandit([0.2, 0.8])), { seed });
      const net = new rl.ActorCritic(1, 2, { hidden: [16], generator: g });
      const ppo = new rl.PPO(env, net, { numSteps: 16, lr: 0.05, annealLr: false, entropyCoef: 0, epochs: 4, numMinibatches: 2, generator: g });
      await ppo.iterate();
      const live = pg.memory().tensors; // parameters and Adam moments
      while (ppo.globalStep + 128 <= 2000) await ppo.iterate();
      expect(pg.memory().tensors).toBe(live); // an iteration leaves no tensor behind
      const p = pg.tidy(() => pg.noGrad(() => net.logits(pg.ones([1, 1])).softmax(-1).dataSync()));
      expect(p[1], `seed ${seed}`).toBeGreaterThan(0.95);
    }
  });
});
