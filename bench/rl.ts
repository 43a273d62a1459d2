// RL benchmark: environment steps per second of the bare vectorised TinyCave environment and of
// the whole PPO loop (env + policy forward + update) at CleanRL's ppo.py settings on an empty
// TinyCave room: 16 envs × 64 steps, 4 epochs × 4 minibatches, separate 64-64 tanh actor and
// critic, Adam lr 2.5e-4, clipping 0.2, GAE(0.99, 0.95), gradient clipping 0.5.
// Run: npm run bench:rl [-- --iters N] [--profile-only]
// Times are process CPU time (user + system) of this single-threaded process, so other jobs on a
// shared machine inflate them less than wall time; both are printed. No timing is asserted anywhere.
import * as pg from '../src/index.js';
import { TinyCaveVecEnv, emptyRoom, OBS_SIZE } from '../src/papers/level-sampling/tinycave.js';
import { LbfVec, TeamLearner } from '../src/papers/multi-agent/index.js';
import { SETTINGS as MA_SETTINGS, TASKS } from '../src/papers/multi-agent/experiment.js';

const arg = (name: string, dflt: number): number => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? Number(process.argv[i + 1]) : dflt;
};
const iters = arg('--iters', 30);

function cpuSeconds(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
}

function timed(fn: () => void | Promise<void>): Promise<{ cpu: number; wall: number }> {
  const c0 = cpuSeconds(), w0 = performance.now();
  return Promise.resolve(fn()).then(() => ({ cpu: cpuSeconds() - c0, wall: (performance.now() - w0) / 1000 }));
}

// "Solved": mean episodic return of a rollout ≥ 0.8; the optimum from the fixed start (12 moves) is 1 − 0.9·12/60 = 0.82.
const SOLVED = 0.8;
const rows: [string, string, string, string][] = [];
const fmt = (x: number) => (x >= 100 ? Math.round(x).toLocaleString('en-US') : x.toFixed(2));

// ---------------------------------------------------------------- bare environment
{
  const numEnvs = 16;
  const room = emptyRoom();
  const env = new TinyCaveVecEnv(numEnvs, () => ({ id: 0, level: room }));
  env.reset();
  // Pre-drawn random actions, so the random stream is not what is timed.
  const rng = new pg.rl.Rng(0);
  const pool = new Int32Array(4096 * numEnvs);
  for (let i = 0; i < pool.length; i++) pool[i] = rng.int(4);
  const steps = 2_000_000 / numEnvs;
  const acts = Array.from({ length: 4096 }, (_, k) => pool.subarray(k * numEnvs, (k + 1) * numEnvs));
  for (let s = 0; s < 20000; s++) env.step(acts[s & 4095]!); // warm-up
  const t = await timed(() => {
    for (let s = 0; s < steps; s++) env.step(acts[s & 4095]!);
  });
  const n = steps * numEnvs;
  rows.push(['bare TinyCave VecEnv, 16 envs, random actions', fmt(n / t.cpu), fmt(n / t.wall), `${n.toLocaleString('en-US')} steps`]);
}

// ---------------------------------------------------------------- whole PPO loop
{
  const g = new pg.Generator(0);
  const room = emptyRoom();
  const env = new TinyCaveVecEnv(16, () => ({ id: 0, level: room }));
  const net = new pg.rl.ActorCritic(OBS_SIZE, 4, { hidden: [64, 64], activation: 'tanh', generator: g });
  const total = iters * 16 * 64;
  const ppo = new pg.rl.PPO(env, net, { numSteps: 64, epochs: 4, numMinibatches: 4, lr: 2.5e-4, totalSteps: total, generator: g });
  await ppo.iterate(); // warm-up (JIT)
  let solvedAt = -1;
  let collect = 0, update = 0;
  const t = await timed(async () => {
    for (let i = 1; i < iters; i++) {
      const c0 = cpuSeconds();
      const episodes = await ppo.collect();
      const c1 = cpuSeconds();
      ppo.computeAdvantages();
      await ppo.update();
      update += cpuSeconds() - c1;
      collect += c1 - c0;
      const mean = episodes.reduce((a, e) => a + e.return, 0) / Math.max(1, episodes.length);
      if (solvedAt < 0 && episodes.length && mean >= SOLVED) solvedAt = ppo.globalStep;
    }
  });
  const n = (iters - 1) * 16 * 64;
  rows.push(['PPO loop (CleanRL settings), whole iteration', fmt(n / t.cpu), fmt(n / t.wall), `${n.toLocaleString('en-US')} steps`]);
  rows.push(['  of which rollout (env + policy forward + sampling)', fmt(n / collect), '', `${((100 * collect) / t.cpu).toFixed(0)}% of CPU`]);
  rows.push(['  of which update (GAE + 16 minibatch steps)', fmt(n / update), '', `${((100 * update) / t.cpu).toFixed(0)}% of CPU`]);
  rows.push(['PPO: steps until mean return ≥ ' + SOLVED, solvedAt < 0 ? `not within ${total}` : String(solvedAt), '', 'seed 0']);
}

// ---------------------------------------------------------------- Level-Based Foraging (multi-agent paper)
{
  // Bare vectorised LBF 8x8, 2 agents, 2 food (25-step limit, as the experiment): one step = one step of one environment (2 agents act).
  for (const coop of [false, true]) {
    const numEnvs = 16;
    const env = new LbfVec(TASKS[coop ? 'coop' : 'standard'], numEnvs, 0);
    const rng = new pg.rl.Rng(1);
    const pool = new Int32Array(4096 * numEnvs * 2);
    for (let i = 0; i < pool.length; i++) pool[i] = rng.int(6);
    const acts = Array.from({ length: 4096 }, (_, k) => pool.subarray(k * numEnvs * 2, (k + 1) * numEnvs * 2));
    for (let s = 0; s < 20000; s++) env.step(acts[s & 4095]!); // warm-up
    const steps = 2_000_000 / numEnvs;
    const t = await timed(() => {
      for (let s = 0; s < steps; s++) env.step(acts[s & 4095]!);
    });
    const n = steps * numEnvs;
    rows.push([`bare LBF 8x8-2p-2f${coop ? ' coop' : ''} (LbfVec), 16 envs, random actions`, fmt(n / t.cpu), fmt(n / t.wall), `${n.toLocaleString('en-US')} env steps (×2 agent steps)`]);
  }
  // The whole A2C loop of the experiment's quick settings (16 envs × 5 steps, 64-64 actor and critic per agent, Adam).
  for (const method of ['iac', 'snac', 'seac'] as const) {
    const learner = new TeamLearner(TASKS.standard, { ...MA_SETTINGS.quick.train, method, totalSteps: 0, evalEvery: 1 }, 0);
    for (let u = 0; u < 20; u++) (learner.collect(), learner.update()); // warm-up
    let collect = 0;
    const updates = Math.max(50, iters * 10);
    const t = await timed(() => {
      for (let u = 0; u < updates; u++) {
        const c0 = cpuSeconds();
        learner.collect();
        collect += cpuSeconds() - c0;
        learner.update();
      }
    });
    const n = updates * learner.cfg.numEnvs * learner.cfg.numSteps;
    rows.push([`${method.toUpperCase()} loop on LBF 8x8-2p-2f (A2C, 16 envs × 5 steps, 64-64 per agent)`, fmt(n / t.cpu), fmt(n / t.wall), `rollout ${((100 * collect) / t.cpu).toFixed(0)}% of CPU; ${n.toLocaleString('en-US')} env steps`]);
    learner.dispose();
  }
}

console.log(`RL benchmark, Node ${process.version}, ${new Date().toISOString().slice(0, 10)}`);
console.log('| workload | steps/s (CPU time) | steps/s (wall) | notes |');
console.log('| --- | ---: | ---: | --- |');
for (const r of rows) console.log(`| ${r.join(' | ')} |`);
