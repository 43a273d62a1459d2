// Autodiff on WebGPU: gradients of representative computations against the CPU's float32
// gradients (the rules are device-agnostic; only the kernels differ).
import { describe, expect, it } from 'vitest';
import * as pg from '../../src/index.js';
import { setupWebGPU } from './setup.js';

const gpu = await setupWebGPU();
type Dev = 'cpu' | 'webgpu';

/** Gradients of fn at seeded inputs on one device. */
async function grads(device: Dev, shapes: number[][], fn: (...xs: pg.Tensor[]) => pg.Tensor, order = 1): Promise<Float32Array[]> {
  const g = new pg.Generator(99);
  const xs = shapes.map((s) => pg.randn(s, { generator: g }).to(device));
  let f = pg.grad(fn, xs.map((_, i) => i));
  if (order === 2) {
    const inner = f;
    f = pg.grad((...ys: pg.Tensor[]) => (inner(...ys) as pg.Tensor[]).reduce((acc, t) => acc.add(t.square().sum()), pg.zeros([], { device })), xs.map((_, i) => i));
  }
  const gs = f(...xs) as pg.Tensor[];
  return Promise.all(gs.map(async (t) => (await t.data()) as Float32Array));
}

const CASES: [string, number[][], (...xs: pg.Tensor[]) => pg.Tensor, number?][] = [
  ['MLP cross-entropy', [[8, 5], [5, 16], [16], [16, 3]], (x, w1, b1, w2) => {
    const logits = x.matmul(w1).add(b1).relu().matmul(w2);
    const y = pg.tensor([0, 2, 1, 1, 0, 2, 2, 1], { dtype: 'int32', device: x.device });
    return logits.logSoftmax(-1).gather(1, y.unsqueeze(1)).neg().mean();
  }],
  ['conv2d + pooling', [[2, 3, 8, 8], [4, 3, 3, 3], [4]], (x, w, b) => pg.maxPool2d(pg.conv2d(x, w, b, { padding: 1 }).tanh(), 2).square().mean().add(pg.avgPool2d(x, 2, { stride: 1 }).sum().mul(0.01))],
  ['activations', [[6, 7]], (x) => x.sigmoid().mul(x.gelu()).add(x.gelu({ approximate: 'tanh' })).add(x.erf()).add(x.silu()).add(x.softplus()).add(x.softmax(1).log()).add(x.exp().mul(0.1)).sum()],
  // gelu's backward over a wide range (x in about ±12), where a (1 + tanh z) form would cancel in float32.
  ['gelu backward, x in about ±12', [[40, 25]], (x) => x.mul(4).gelu().mul(x.cos()).add(x.mul(4).gelu({ approximate: 'tanh' })).sum()],
  ['div / pow / sqrt / log', [[5, 4], [4]], (a, b) => a.div(b.abs().add(1)).add(a.abs().add(0.5).pow(1.7)).add(b.square().add(1).sqrt().log()).sum()],
  ['reductions', [[4, 6, 5]], (x) => x.max(1).sum().add(x.min(-1).mean()).add(x.var(2).sum()).add(x.std(0).sum()).add(x.logsumexp([0, 2]).sum()).add(x.cumsum(1).mul(0.1).sum()).add(x.abs().add(0.5).prod(2).sum())],
  ['indexing', [[7, 5], [3, 5]], (x, s) => {
    const idx = pg.tensor([[1, 3, 0, 6, 2], [6, 6, 1, 0, 5], [2, 2, 2, 2, 2]], { dtype: 'int32', device: x.device });
    const e = pg.embedding(pg.tensor([0, 3, 3, 6], { dtype: 'int32', device: x.device }), x);
    return x.gather(0, idx).mul(s).sum().add(x.scatterAdd(0, idx, s).square().sum()).add(e.tanh().sum()).add(x.topk(2, 1).values.sum());
  }],
  ['shape ops', [[3, 4], [3, 2]], (a, b) => pg.cat([a, b], 1).pad([1, 1]).flip(0).transpose().slice(0, 1, 6, 2).contiguous().mul(pg.stack([b, b], 0).sum(0).sum(1)).sum().add(a.repeat(2, 1).square().sum())],
  ['attention block', [[2, 5, 8], [8, 8], [8, 8], [8, 8]], (x, wq, wk, wv) => {
    const q = x.matmul(wq), k = x.matmul(wk), v = x.matmul(wv);
    const att = q.matmul(k.transpose(-1, -2)).mul(1 / Math.sqrt(8)).softmax(-1);
    return att.matmul(v).sub(x).square().mean();
  }],
  ['second order', [[5, 3]], (x) => x.tanh().mul(x.sin()).sum(), 2],
];

// lavapipe compiles each new pipeline in ~10-80 ms and shares the machine's cores: generous timeouts.
describe.skipIf(!gpu.ok)('WebGPU gradients match the CPU (float32)', { timeout: 60_000 }, () => {
  for (const [name, shapes, fn, order] of CASES) {
    it(name, async () => {
      const c = await grads('cpu', shapes, fn, order);
      const w = await grads('webgpu', shapes, fn, order);
      expect(w.length).toBe(c.length);
      for (let k = 0; k < c.length; k++) {
        let scale = 1e-30, worst = 0;
        for (const v of c[k]) scale = Math.max(scale, Math.abs(v));
        for (let i = 0; i < c[k].length; i++) worst = Math.max(worst, Math.abs(w[k][i] - c[k][i]) / scale);
        // float32 forward and backward passes summing in different orders: 1e-5 of the largest gradient.
        expect(worst, `${name}: input ${k}`).toBeLessThan(1e-5);
      }
    });
  }
});
