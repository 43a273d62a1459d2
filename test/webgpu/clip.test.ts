// clipGradNorm on WebGPU: the norm and the scale stay on the device (the call is synchronous and
// WebGPU has no synchronous readback, so finishing at all shows none happened), the clipped gradients
// match the CPU's, and a training loop with clipping runs there.
import { describe, expect, it } from 'vitest';
import * as pg from '../../src/index.js';
import { setupWebGPU } from './setup.js';

const gpu = await setupWebGPU();

describe.skipIf(!gpu.ok)('clipGradNorm on WebGPU', () => {
  for (const normType of [2, Infinity, 3])
    it(`normType ${normType}: same clipped gradients and norm as the CPU`, async () => {
      const g = new pg.Generator(5);
      const grads = [pg.randn([30, 20], { generator: g }), pg.randn([20], { generator: g }), pg.randn([4, 5, 6], { generator: g })];
      const onDevice = (device: 'cpu' | 'webgpu') => grads.map((gr) => {
        const p = pg.zeros(gr.shape, { device, requiresGrad: true });
        p.grad = gr.to(device);
        return p;
      });
      const cpu = onDevice('cpu'), web = onDevice('webgpu');
      const tc = pg.nn.clipGradNorm(cpu, 0.5, { normType });
      const tw = pg.nn.clipGradNorm(web, 0.5, { normType });
      expect(tw.device).toBe('webgpu');
      expect(() => tw.itemSync()).toThrow(); // no synchronous reads on WebGPU: clipGradNorm made none
      expect(await tw.item()).toBeCloseTo(tc.itemSync(), 4);
      for (let i = 0; i < grads.length; i++) {
        const w = await web[i].grad!.data(), c = cpu[i].grad!.dataSync();
        for (let k = 0; k < c.length; k++) expect(Math.abs(w[k] - c[k])).toBeLessThanOrEqual(1e-6 * Math.max(1, Math.abs(c[k])));
      }
    });

  it('a training loop with clipping runs on WebGPU and follows the CPU', async () => {
    const losses = async (device: 'cpu' | 'webgpu') => {
      const model = new pg.nn.MLP([4, 16, 3], { generator: new pg.Generator(1) }).to(device);
      const opt = new pg.optim.Adam(model.parameters(), { lr: 0.05 });
      const g = new pg.Generator(2);
      const x = pg.randn([32, 4], { generator: g }).to(device);
      const y = pg.randint(0, 3, [32], { generator: g }).to(device);
      const out: pg.Tensor[] = [];
      for (let step = 0; step < 5; step++)
        out.push(pg.keep(pg.tidy(() => {
          const loss = pg.nn.crossEntropy(model.forward(x), y);
          loss.backward();
          pg.nn.clipGradNorm(model.parameters(), 0.1);
          opt.step();
          opt.zeroGrad();
          return loss.detach();
        })));
      return Promise.all(out.map((t) => t.item()));
    };
    const [c, w] = [await losses('cpu'), await losses('webgpu')];
    expect(w[4]).toBeLessThan(w[0]);
    w.forEach((v, i) => expect(v).toBeCloseTo(c[i], 4));
  });
});
