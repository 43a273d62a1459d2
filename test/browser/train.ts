// The workload of the browser check: a tiny MLP trained with SGD, its loss read back every step.
// The same function runs in Node on the CPU and in Chromium on WebGPU; the losses must agree.
import * as pg from '../../src/autograd/index.js';

export async function trainMlp(device: pg.Device, steps = 25): Promise<number[]> {
  const g = new pg.Generator(42);
  const x = pg.randn([32, 8], { generator: g, device });
  const y = pg.randint(0, 3, [32, 1], { generator: g, device });
  const params = [
    pg.randn([8, 16], { generator: g, device, std: 0.5 }), pg.zeros([16], { device }),
    pg.randn([16, 3], { generator: g, device, std: 0.5 }), pg.zeros([3], { device }),
  ];
  params.forEach((p) => p.requiresGrad_());
  const losses: number[] = [];
  for (let step = 0; step < steps; step++) {
    const loss = pg.tidy(() => {
      const h = x.matmul(params[0]).add(params[1]).tanh();
      const l = h.matmul(params[2]).add(params[3]).logSoftmax(-1).gather(1, y).neg().mean();
      l.backward();
      pg.noGrad(() => params.forEach((p) => p.assign_(p.sub(p.grad!.mul(0.5)))));
      pg.zeroGrad(params);
      return l;
    });
    losses.push(await loss.item());
    loss.dispose();
  }
  return losses;
}
