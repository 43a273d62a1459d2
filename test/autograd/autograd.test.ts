import { describe, expect, it } from 'vitest';
import * as pg from '../../src/index.js';

const f64 = (v: any) => pg.tensor(v, { dtype: 'float64', requiresGrad: true });

describe('backward', () => {
  it('computes leaf gradients and accumulates across calls', () => {
    const x = f64([1, 2, 3]);
    x.mul(x).sum().backward();
    expect(x.grad!.toArraySync()).toEqual([2, 4, 6]);
    x.mul(3).sum().backward();
    expect(x.grad!.toArraySync()).toEqual([5, 7, 9]);
    x.zeroGrad_();
    expect(x.grad).toBe(null);
  });
  it('handles shared subgraphs (each node visited once)', () => {
    const x = f64(2);
    const y = x.mul(x); // 4
    const z = y.add(y).mul(y); // 2y^2 -> dz/dx = 4y * 2x = 64
    z.backward();
    expect(x.grad!.itemSync()).toBe(64);
  });
  it('takes an explicit output gradient for non-scalars, and refuses to guess', () => {
    const x = f64([1, 2]);
    x.mul(2).backward(pg.tensor([1, 10], { dtype: 'float64' }));
    expect(x.grad!.toArraySync()).toEqual([2, 20]);
    expect(() => x.mul(2).backward()).toThrow(/only for scalar outputs/);
  });
  it('frees the graph unless retainGraph', () => {
    const x = f64(3);
    const y = x.exp();
    y.backward(undefined, { retainGraph: true });
    y.backward();
    expect(x.grad!.itemSync()).toBeCloseTo(2 * Math.exp(3), 10);
    expect(() => y.backward()).toThrow(/already freed/);
  });
  it('detach and noGrad stop gradients', () => {
    const x = f64([1, 2]);
    const y = x.detach().mul(x).sum();
    y.backward();
    expect(x.grad!.toArraySync()).toEqual([1, 2]);
    const z = pg.noGrad(() => x.mul(2));
    expect(z.requiresGrad).toBe(false);
  });
  it('retainGrad keeps a non-leaf gradient', () => {
    const x = f64([1, 2]);
    const h = x.mul(3).retainGrad();
    h.square().sum().backward();
    expect(h.grad!.toArraySync()).toEqual([6, 12]);
  });
  it('casts pass gradients back in the input dtype', () => {
    const x = f64([1, 2]);
    x.float().mul(3).sum().backward();
    expect(x.grad!.dtype).toBe('float64');
    expect(x.grad!.toArraySync()).toEqual([3, 3]);
  });
  it('errors on tensors that do not require grad', () => {
    expect(() => pg.tensor([1]).sum().backward()).toThrow(/does not require grad/);
  });
  it('backward takes its options alone, and names a bad first argument', () => {
    const x = f64([1, 2]);
    const y = x.mul(x).sum();
    y.backward({ retainGraph: true }); // as PyTorch's y.backward(retain_graph=True)
    y.backward();
    expect(x.grad!.toArraySync()).toEqual([4, 8]);
    expect(() => y.backward([1] as any)).toThrow("backward: expected a gradient Tensor or options {retainGraph, createGraph}, got an array");
    expect(() => y.backward({ retain_graph: true } as any)).toThrow('got {retain_graph}');
    expect(() => y.backward(2 as any)).toThrow('got number');
  });
  it('survives disposing intermediates (saved values are owned by the graph)', () => {
    const x = f64([1, 2]);
    const h = x.exp();
    const y = h.mul(h).sum();
    h.dispose();
    y.backward();
    expect(x.grad!.dataSync()[0]).toBeCloseTo(2 * Math.exp(2), 10);
  });
});

describe('functional grad', () => {
  it('grad and valueAndGrad', () => {
    const f = (x: pg.Tensor) => x.pow(3).sum();
    const x = pg.tensor([1, 2], { dtype: 'float64' });
    expect(pg.grad(f)(x).toArraySync()).toEqual([3, 12]);
    const [v, gs] = pg.valueAndGrad((a: pg.Tensor, b: pg.Tensor) => a.mul(b).sum(), [0, 1])(x, pg.tensor([3, 4], { dtype: 'float64' }));
    expect(v.itemSync()).toBe(11);
    expect(gs.map((t: pg.Tensor) => t.toArraySync())).toEqual([[3, 4], [1, 2]]);
    expect(x.grad).toBe(null);
  });
  it('higher-order: grad of grad', () => {
    const f = (x: pg.Tensor) => x.pow(3).sum(); // f'' = 6x
    const d2 = pg.grad((x: pg.Tensor) => pg.grad(f)(x).sum());
    expect(d2(pg.tensor([1, 2], { dtype: 'float64' })).toArraySync()).toEqual([6, 12]);
    const sinx = (x: pg.Tensor) => x.sin().sum();
    const d3 = pg.grad((x: pg.Tensor) => pg.grad((y: pg.Tensor) => pg.grad(sinx)(y).sum())(x).sum());
    expect(d3(pg.tensor([0.5], { dtype: 'float64' })).dataSync()[0]).toBeCloseTo(-Math.cos(0.5), 12);
  });
  it('Hessian-vector product matches the analytic Hessian', () => {
    // f(x) = sum(tanh(A x))^2 style function; compare Hv with finite differences of the gradient.
    const A = pg.tensor([[1, 2, 0], [0.5, -1, 3]], { dtype: 'float64' });
    const f = (x: pg.Tensor) => A.matmul(x).tanh().square().sum().add(x.exp().sum());
    const x = pg.tensor([0.1, -0.2, 0.3], { dtype: 'float64' });
    const v = pg.tensor([1, 0.5, -1], { dtype: 'float64' });
    const hvp = pg.grad((y: pg.Tensor) => pg.grad(f)(y).mul(v).sum())(x).dataSync();
    const eps = 1e-6;
    const gp = pg.grad(f)(x.add(v.mul(eps))).dataSync();
    const gm = pg.grad(f)(x.sub(v.mul(eps))).dataSync();
    for (let i = 0; i < 3; i++) expect(hvp[i]).toBeCloseTo((gp[i] - gm[i]) / (2 * eps), 6);
  });
  it('higher-order through backward({createGraph})', () => {
    const x = f64([2]);
    const [g1] = [pg.grad((y: pg.Tensor) => y.pow(4).sum())(x)];
    g1.sum().backward();
    expect(x.grad!.itemSync()).toBe(48); // d/dx 4x^3 = 12x^2
  });
});

describe('customOp', () => {
  it('uses the user backward', () => {
    const clipGrad = pg.customOp({
      name: 'straightThroughSign',
      forward: (x) => x.sign(),
      backward: (dy) => [dy],
    });
    const x = f64([-2, 3]);
    clipGrad(x).mul(pg.tensor([5, 7], { dtype: 'float64' })).sum().backward();
    expect(x.grad!.toArraySync()).toEqual([5, 7]);
  });
});
