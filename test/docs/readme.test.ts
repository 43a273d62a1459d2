// The README's examples, run as written (kept in sync by hand): they must train.
import { describe, expect, it } from 'vitest';
import * as pg from '../../src/index.js';

describe('README examples', () => {
  it('quick start: a raw-tensor MLP learns XOR-like labels', () => {
    const g = new pg.Generator(0);
    const x = pg.randn([256, 2], { generator: g });
    const y = x.select(1, 0).mul(x.select(1, 1)).gt(0).int();
    const w1 = pg.randn([2, 32], { generator: g }).mul(0.5).requiresGrad_();
    const b1 = pg.zeros([32], { requiresGrad: true });
    const w2 = pg.randn([32, 2], { generator: g }).mul(0.5).requiresGrad_();
    const params = [w1, b1, w2];
    const losses: number[] = [];
    for (let step = 0; step < 500; step++) {
      const loss = pg.tidy(() => {
        const logits = x.matmul(w1).add(b1).relu().matmul(w2);
        const logp = logits.logSoftmax(-1);
        const loss = logp.gather(1, y.unsqueeze(1)).neg().mean();
        loss.backward();
        pg.noGrad(() => params.forEach((p) => p.assign_(p.sub(p.grad!.mul(0.5)))));
        pg.zeroGrad(params);
        return loss.itemSync();
      });
      losses.push(loss);
    }
    expect(losses[499]).toBeLessThan(0.25 * losses[0]);
  });

  it('pg.nn: MLP + AdamW + DataLoader on a Gaussian mixture, saved as safetensors', async () => {
    const g = new pg.Generator(0);
    const model = new pg.nn.MLP([8, 64, 64, 4], { generator: g });
    const opt = new pg.optim.AdamW(model.parameters(), { lr: 1e-2, weightDecay: 1e-4 });
    const { x, y } = pg.data.gaussianMixture({ numClasses: 4, dim: 8, n: 512, separation: 5, std: 1, generator: g });
    const loader = new pg.data.DataLoader({ dataset: { x, y }, batchSize: 64, shuffle: true, generator: g });
    const live: number[] = []; // live tensors after each epoch: the example must not leak
    for (let epoch = 0; epoch < 20; epoch++) {
      for (const batch of loader) {
        pg.tidy(() => {
          const loss = pg.nn.crossEntropy(model.forward(batch.x), batch.y);
          loss.backward();
          opt.step();
          opt.zeroGrad();
        });
        batch.dispose(); // the loader made the batch outside the tidy: free it, or memory grows every step
      }
      live.push(pg.memory().tensors);
    }
    expect(new Set(live.slice(1)).size, `live tensors per epoch: ${live.join(', ')}`).toBe(1);
    expect(live[19]! - live[0]!).toBeLessThanOrEqual(0);
    const acc = pg.tidy(() => model.forward(x).argmax(-1).eq(y).float().mean().itemSync());
    expect(acc).toBeGreaterThan(0.9);
    const bytes = await pg.save(null, model.stateDict());
    const back = await pg.load(bytes);
    expect(Object.keys(back).sort()).toEqual(Object.keys(model.stateDict()).sort());
  });
});
