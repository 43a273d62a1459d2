// clipGradNorm against torch.nn.utils.clip_grad_norm_ (test/fixtures/torch/clip_grad_norm.json).
import { describe, expect, it } from 'vitest';
import * as pg from '../../src/index.js';
import { expectAllClose, torchFixture } from '../helpers/torch.js';

const fx = torchFixture('clip_grad_norm.json');

describe('clipGradNorm against PyTorch (float64)', () => {
  for (const c of fx.cases) {
    const normType = c.normType === 'inf' ? Infinity : c.normType;
    it(`normType ${normType}, maxNorm ${c.maxNorm}`, () => {
      const ps = fx.shapes.map((sh: number[], i: number) => {
        const p = pg.zeros(sh, { dtype: 'float64', requiresGrad: true });
        p.grad = pg.tensor(fx.grads[i], { dtype: 'float64', shape: sh });
        return p;
      });
      const total = pg.nn.clipGradNorm(ps, c.maxNorm, { normType });
      expect(total.dtype).toBe('float64');
      expect(total.itemSync()).toBeCloseTo(c.total, 13);
      ps.forEach((p: pg.Tensor, i: number) => expectAllClose(p.grad!.dataSync(), c.clipped[i], { rtol: 1e-14, atol: 1e-16, what: `grad ${i}` }));
    });
  }

  it('keeps each gradient\'s dtype, skips parameters without one, and checks its arguments', () => {
    const a = pg.zeros([2], { requiresGrad: true }), b = pg.zeros([2], { dtype: 'float64', requiresGrad: true }), c = pg.zeros([1], { requiresGrad: true });
    a.grad = pg.tensor([3, 4]);
    b.grad = pg.tensor([0, 0], { dtype: 'float64' });
    const total = pg.nn.clipGradNorm([a, b, c], 1);
    expect(total.itemSync()).toBeCloseTo(5, 12);
    expect(a.grad.dtype).toBe('float32');
    expect(c.grad).toBeNull();
    expect(pg.nn.clipGradNorm([c], 1).itemSync()).toBe(0);
    expect(() => pg.nn.clipGradNorm([a], -1)).toThrow(/clipGradNorm: maxNorm must be a number >= 0, got -1/);
    expect(() => pg.nn.clipGradNorm([a], 1, { normType: 0 })).toThrow(/clipGradNorm: normType must be > 0 or Infinity, got 0/);
  });
});
