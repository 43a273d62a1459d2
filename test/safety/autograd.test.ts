// Safety, class "autograd misuse": in-place writes (assign_, normal_, uniform_) to a tensor that
// requires grad are refused outside noGrad, as in PyTorch; a write (inside noGrad) to any tensor a
// graph node saved makes backward through that node an error (version counters), for every op
// below, instead of a gradient that no longer matches the values.
import { describe, expect, it } from 'vitest';
import * as pg from '../../src/index.js';
import * as nn from '../../src/nn/index.js';

const f64 = (shape: number[], seed: number) => pg.randn(shape, { dtype: 'float64', generator: new pg.Generator(seed) });

/** Differentiable ops of one or two [3, 3] float64 tensors (a cross-section of every op family). */
const OPS: [string, (x: pg.Tensor, w: pg.Tensor) => pg.Tensor][] = [
  ['add', (x, w) => x.add(w)],
  ['mul', (x, w) => x.mul(w)],
  ['div', (x, w) => x.div(w.abs().add(1))],
  ['pow', (x, w) => x.abs().add(1).pow(w)],
  ['maximum', (x, w) => x.maximum(w)],
  ['matmul', (x, w) => x.matmul(w)],
  ['exp', (x) => x.exp()],
  ['log', (x) => x.abs().add(1).log()],
  ['tanh', (x) => x.tanh()],
  ['sigmoid', (x) => x.sigmoid()],
  ['relu', (x) => x.relu()],
  ['gelu', (x) => x.gelu()],
  ['sqrt', (x) => x.abs().add(1).sqrt()],
  ['softmax', (x) => x.softmax(-1)],
  ['logSoftmax', (x) => x.logSoftmax(-1)],
  ['sum', (x) => x.sum(0)],
  ['mean', (x) => x.mean(-1)],
  ['max', (x) => x.max(-1)],
  ['var', (x) => x.var(-1)],
  ['reshape', (x) => x.reshape([9])],
  ['transpose', (x) => x.transpose(0, 1)],
  ['slice', (x) => x.slice(1, 0, 2)],
  ['gather', (x) => x.gather(1, pg.tensor([[0], [2], [1]], { dtype: 'int32' }))],
  ['indexSelect', (x) => x.indexSelect(0, pg.tensor([2, 0], { dtype: 'int32' }))],
  ['where', (x, w) => x.where(x.gt(0), w)],
  ['clamp', (x) => x.clamp(-0.5, 0.5)],
  ['cumsum', (x) => x.cumsum(1)],
  ['LayerNorm-like', (x, w) => x.sub(x.mean(-1, true)).mul(x.var(-1, { keepdim: true }).add(1e-5).rsqrt()).mul(w)],
  ['mseLoss', (x, w) => nn.mseLoss(x, w)],
];

/** The ways to write a tensor in place. */
const WRITES: [string, (t: pg.Tensor) => void][] = [
  ['assign_', (t) => t.assign_(pg.zerosLike(t))],
  ['pg.normal_', (t) => pg.normal_(t)],
  ['pg.uniform_', (t) => pg.uniform_(t)],
];

describe('in-place writes to tensors that require grad', () => {
  for (const [name, write] of WRITES)
    it(`${name}: refused on a leaf and on a computed tensor outside noGrad, allowed inside`, () => {
      const leaf = f64([3, 3], 1).requiresGrad_();
      const computed = leaf.mul(2);
      const re = new RegExp(`^${name.replace('pg.', '')}: in-place write to a (leaf tensor|tensor computed by 'mul') \\[3,3\\] that requires grad`);
      const before = Array.from(leaf.dataSync());
      expect(() => write(leaf)).toThrow(re);
      expect(() => write(computed)).toThrow(re);
      expect(Array.from(leaf.dataSync())).toEqual(before); // refused = unchanged
      expect(leaf._version).toBe(0);
      pg.noGrad(() => write(leaf));
      expect(leaf._version).toBe(1);
      expect(leaf.requiresGrad && leaf.isLeaf).toBe(true);
      // A tensor that needs no gradient can be written anywhere.
      const plain = f64([3, 3], 2);
      write(plain);
      expect(plain._version).toBe(1);
    });

  it('a source that requires grad is refused outside noGrad (its gradient would be lost)', () => {
    const w = f64([2], 3).requiresGrad_();
    const t = pg.zeros([2], { dtype: 'float64' });
    expect(() => t.assign_(w.mul(3))).toThrow(/assign_: the source \[2\] requires grad/);
    pg.noGrad(() => t.assign_(w.mul(3)));
    expect(t.requiresGrad).toBe(false);
  });

  it('nn.init and the optimizers write under noGrad themselves', () => {
    const w = f64([4, 3], 4).requiresGrad_();
    nn.init.kaimingUniform_(w);
    nn.init.normal_(w);
    w.grad = pg.onesLike(w);
    new nn.SGD([w], { lr: 0.1 }).step();
    expect(w._version).toBe(3);
  });

  it('bad assign_ operands and .grad values are errors', () => {
    const t = pg.zeros([2]);
    for (const bad of [null, undefined, 3, 'x', {}, [1, 2]]) expect(() => t.assign_(bad as any), String(bad)).toThrow(/^assign_: expected a Tensor/);
    const d = pg.zeros([2]);
    d.dispose();
    expect(() => t.assign_(d)).toThrow(/assign_: tensor \[2\] float32 was disposed/);
    for (const bad of [undefined, 3, 'x', {}]) expect(() => { t.grad = bad as any; }, String(bad)).toThrow(/^grad: expected a Tensor or null/);
    expect(() => { t.grad = pg.zeros([3]); }).toThrow(/grad: a gradient \[3\] on cpu assigned to a tensor \[2\] on cpu/);
  });
});

describe('version counters: writes to saved tensors are caught at backward', () => {
  for (const [op, f] of OPS)
    it(`${op}`, () => {
      const targets: [string, (x: pg.Tensor, w: pg.Tensor, y: pg.Tensor) => pg.Tensor][] = [
        ['a leaf input', (x) => x],
        ['a second input', (_x, w) => w],
      ];
      for (const [what, pick] of targets) {
        const x = f64([3, 3], 5).requiresGrad_();
        const w = f64([3, 3], 6).requiresGrad_();
        const y = f(x, w);
        const loss = y.square().sum();
        const target = pick(x, w, y);
        // Did this op's graph save the target at all? (Unary ops never see w.)
        const uses = what === 'a leaf input' || f.length > 1;
        pg.noGrad(() => target.assign_(target.mul(0.5)));
        if (uses) expect(() => loss.backward(), `${op}: ${what}`).toThrow(/^backward: (input \d+|the output) of '\w+' \(\[[\d, ]*\] float64\), saved for the gradient, was written in place \(assign_\) after '\w+' ran \(version 1, saved at version 0\)/);
        else loss.backward();
      }
      // Without a write, the same graph gives a gradient; writes after backward are fine.
      const x = f64([3, 3], 5).requiresGrad_();
      const w = f64([3, 3], 6).requiresGrad_();
      f(x, w).square().sum().backward();
      expect(x.grad).not.toBeNull();
      pg.noGrad(() => x.assign_(x.sub(x.grad!.mul(0.1))));
    });

  it('a computed tensor written in noGrad, then used again: backward refuses instead of routing through its old node', () => {
    const x = f64([3], 7).requiresGrad_();
    const a = x.exp();
    pg.noGrad(() => a.assign_(pg.zerosLike(a)));
    const c = a.mul(x).sum(); // = 0 for every x: the true gradient is a = 0, not x * exp(x)
    expect(() => c.backward()).toThrow(/backward: the output of 'exp' .* was written in place/);
    // The supported spelling: cut it from the graph first.
    const b = x.exp().detach();
    pg.noGrad(() => b.assign_(pg.zerosLike(b)));
    b.mul(x).sum().backward();
    expect(Array.from(x.grad!.dataSync())).toEqual([0, 0, 0]);
  });

  it('an optimizer step between forward and backward is caught; the usual order is not', () => {
    const w = f64([3], 8).requiresGrad_();
    const opt = new nn.SGD([w], { lr: 0.1 });
    const loss = w.square().sum();
    w.grad = pg.onesLike(w);
    opt.step();
    expect(() => loss.backward()).toThrow(/backward: input 0 of 'square' .* was written in place/);
    opt.zeroGrad();
    const loss2 = w.square().sum();
    loss2.backward();
    opt.step();
    expect(w._version).toBe(2);
  });
});
