// pg.rl on WebGPU: an actor-critic built on the device (orthogonal init on the device's default)
// matches the CPU one, and a PPO iteration runs there (device gradient clipping, async reads).
import { beforeAll, describe, expect, it } from 'vitest';
import * as pg from '../../src/index.js';
import { setupWebGPU, type GpuSetup } from './setup.js';

let gpu: GpuSetup;
beforeAll(async () => { gpu = await setupWebGPU(); });

describe('pg.rl on WebGPU', () => {
  it('ActorCritic matches the CPU, and PPO iterates with the network on the device', async () => {
    if (!gpu.ok) return;
    const cpuNet = new pg.rl.ActorCritic(3, 2, { hidden: [8], shared: true, generator: new pg.Generator(4) });
    pg.setDefaultDevice('webgpu');
    let net: InstanceType<typeof pg.rl.ActorCritic>;
    try {
      net = new pg.rl.ActorCritic(3, 2, { hidden: [8], shared: true, generator: new pg.Generator(4) });
    } finally {
      pg.setDefaultDevice('cpu');
    }
    expect(net.actor[0]!.weight.device).toBe('webgpu');
    const x = pg.tensor([[1, 0, -1], [0.5, 2, 0]]);
    const a = cpuNet.forward(x), b = net.forward(x.to('webgpu'));
    for (const [u, v] of [[a.logits, b.logits], [a.value, b.value]] as const) {
      const cu = u.dataSync(), gv = await v.data();
      for (let i = 0; i < cu.length; i++) expect(Math.abs(cu[i]! - gv[i]!)).toBeLessThan(1e-5);
    }
    const env = new pg.rl.SyncVecEnv([0, 1, 2, 3].map(() => new pg.rl.TwoArmedBandit([0.2, 0.8])), { seed: 1 });
    const bandit = new pg.rl.ActorCritic(1, 2, { hidden: [4], generator: new pg.Generator(2) }).to('webgpu');
    const ppo = new pg.rl.PPO(env, bandit, { numSteps: 4, numMinibatches: 2, epochs: 1, generator: new pg.Generator(3) });
    const { episodes, stats } = await ppo.iterate();
    expect(episodes.length).toBe(16);
    expect(Number.isFinite(stats.loss)).toBe(true);
    expect(ppo.device).toBe('webgpu');
  });
});
