import { describe, expect, it } from 'vitest';
import * as pg from '../../src/index.js';
import { collectGarbage } from '../helpers/gc.js';

describe('memory', () => {
  it('dispose releases storage immediately', () => {
    const before = pg.memory();
    const t = pg.zeros([1000]);
    expect(pg.memory().tensors).toBe(before.tensors + 1);
    expect(pg.memory().bytes.cpu).toBe((before.bytes.cpu ?? 0) + 4000);
    t.dispose();
    expect(pg.memory().tensors).toBe(before.tensors);
    expect(pg.memory().bytes.cpu ?? 0).toBe(before.bytes.cpu ?? 0);
  });
  it('views share storage; the storage lives until the last view goes', () => {
    const before = pg.memory();
    const t = pg.zeros([10]);
    const v = t.reshape(2, 5);
    expect(pg.memory().storages).toBe(before.storages + 1);
    t.dispose();
    expect(v.dataSync().length).toBe(10);
    v.dispose();
    expect(pg.memory().storages).toBe(before.storages);
  });
  it('tidy disposes everything but what it returns', () => {
    const before = pg.memory().tensors;
    const out = pg.tidy(() => {
      const a = pg.ones([3]);
      const b = a.mul(2).add(1);
      return { b, list: [a.sum()] };
    });
    expect(pg.memory().tensors).toBe(before + 2);
    expect(out.b.toArraySync()).toEqual([3, 3, 3]);
    out.b.dispose();
    out.list[0].dispose();
    expect(pg.memory().tensors).toBe(before);
  });
  it('keep() lets a tensor outlive its scope; nested scopes hand returns upward', () => {
    const before = pg.memory().tensors;
    let kept: pg.Tensor | null = null;
    pg.tidy(() => {
      kept = pg.keep(pg.ones([2]));
      pg.tidy(() => pg.ones([2]));
    });
    expect(pg.memory().tensors).toBe(before + 1);
    kept!.dispose();
  });
  it('the GC safety net frees dropped tensors: made outside a tidy, returned from one, or kept', async () => {
    await collectGarbage();
    const before = pg.memory();
    (() => {
      pg.ones([100]);                                   // outside any scope
      pg.tidy(() => pg.ones([100]).add(1));             // returned from the outermost tidy
      pg.tidy(() => { pg.keep(pg.ones([100]).mul(2)); }); // kept
      pg.tidy(() => pg.tidy(() => pg.ones([100]).neg())); // returned through two scopes
    })();
    expect(pg.memory().tensors).toBe(before.tensors + 4);
    await collectGarbage();
    expect(pg.memory()).toEqual(before);
  });
  it('the GC safety net frees graphs dropped without backward: made outside tidy, returned from it, or kept alive only downstream', async () => {
    for (const device of ['cpu', 'js']) {
      const w = pg.randn([16, 16], { device, requiresGrad: true });
      await collectGarbage();
      const before = pg.memory();
      (() => {
        w.matmul(w).tanh().sum(); // outside any scope: the nodes join the net as they are made
        pg.tidy(() => w.matmul(w).sigmoid().sum()); // returned from the outermost tidy
        pg.tidy(() => {
          // h is disposed by tidy while y's node still uses it: h's node joins the net then
          const h = w.matmul(w).exp();
          return pg.keep(h.mul(h).sum());
        });
      })();
      expect(pg.memory().tensors).toBeGreaterThan(before.tensors + 3); // the graphs' saved values
      await collectGarbage();
      expect(pg.memory()).toEqual(before);
      w.dispose();
    }
  });
  it('backward frees the saved values of the graph', () => {
    const x = pg.randn([64, 64], { requiresGrad: true });
    const before = pg.memory();
    const loss = pg.tidy(() => x.matmul(x).tanh().sum());
    expect(pg.memory().tensors).toBeGreaterThan(before.tensors + 1); // graph holds saved values
    loss.backward();
    loss.dispose();
    x.zeroGrad_();
    expect(pg.memory().tensors).toBe(before.tensors);
    expect(pg.memory().bytes.cpu).toBe(before.bytes.cpu);
  });
  for (const device of ['cpu', 'js'])
    it(`a graph is freed when its outputs are disposed, before any GC (forward with grad in tidy, ${device})`, () => {
      const g = new pg.Generator(1);
      const w = pg.randn([16, 16], { generator: g, device }).requiresGrad_();
      const x = pg.randn([8, 16], { generator: g, device });
      const before = pg.memory();
      for (let i = 0; i < 50; i++) {
        // evaluation that forgot noGrad: the graph is recorded, never run backward, and dropped
        const v = pg.tidy(() => x.matmul(w).tanh().mul(x.matmul(w)).softmax(-1).sum().itemSync());
        expect(Number.isFinite(v)).toBe(true);
        expect(pg.memory()).toEqual(before); // synchronously: no GC has run
      }
      w.dispose();
      x.dispose();
    });
  it('an intermediate disposed before backward still carries the gradient (downstream nodes use it)', () => {
    const run = (disposeEarly: boolean) => {
      const x = pg.tensor([[0.5, -1, 2], [1.5, 0.25, -0.75]], { dtype: 'float64' }).requiresGrad_();
      const h = x.tanh();
      const y = h.mul(h).add(x);
      if (disposeEarly) h.dispose();
      const loss = y.exp().sum();
      if (disposeEarly) y.dispose();
      loss.backward();
      return Array.from(x.grad!.dataSync());
    };
    expect(run(true)).toEqual(run(false));
  });
  it('retainGraph: backward runs twice, and disposing the output then frees the graph', () => {
    const x = pg.randn([32, 32], { requiresGrad: true });
    const before = pg.memory();
    const loss = pg.tidy(() => x.matmul(x).sigmoid().sum());
    loss.backward({ retainGraph: true }); // PyTorch's keyword habit: options first
    loss.backward();
    x.zeroGrad_();
    const loss2 = pg.tidy(() => x.matmul(x).sigmoid().sum());
    loss2.backward(undefined, { retainGraph: true });
    x.zeroGrad_();
    expect(pg.memory().tensors).toBeGreaterThan(before.tensors + 1); // loss2's graph is kept
    loss.dispose();
    loss2.dispose();
    expect(pg.memory()).toEqual(before);
  });
  it('a chain of 30,000 recorded ops is freed from a work list (no deep recursion)', () => {
    const x = pg.ones([4], { requiresGrad: true });
    const before = pg.memory();
    pg.tidy(() => {
      let y = x;
      for (let i = 0; i < 30000; i++) y = y.mul(1.0001);
      return y.sum().itemSync();
    });
    expect(pg.memory()).toEqual(before);
  });
  it('grad of grad still works when the first graph is disposed as it goes (createGraph)', () => {
    const x = pg.tensor([0.3, -1.2, 2], { dtype: 'float64' }).requiresGrad_();
    const d2: pg.Tensor = pg.tidy(() => pg.grad((t: pg.Tensor) => pg.grad((u: pg.Tensor) => u.pow(3).sum())(t).sum())(x));
    expect(Array.from(d2.dataSync()).map((v) => Math.round(v * 1e9) / 1e9)).toEqual([1.8, -7.2, 12]); // 6x
    d2.dispose();
  });
  it('2,000 training steps keep live tensors and bytes flat', () => {
    const g = new pg.Generator(0);
    const w1 = pg.randn([8, 16], { generator: g }).mul(0.3).requiresGrad_();
    const w2 = pg.randn([16, 1], { generator: g }).mul(0.3).requiresGrad_();
    const x = pg.randn([32, 8], { generator: g });
    const y = x.sum(1, true).sin();
    const step = () =>
      pg.tidy(() => {
        const loss = x.matmul(w1).relu().matmul(w2).sub(y).square().mean();
        loss.backward();
        pg.noGrad(() => {
          for (const p of [w1, w2]) p.assign_(p.sub(p.grad!.mul(0.05)));
        });
        pg.zeroGrad([w1, w2]);
        return loss.itemSync();
      });
    for (let i = 0; i < 10; i++) step();
    const start = pg.memory();
    let first = 0, last = 0;
    for (let i = 0; i < 2000; i++) {
      const l = step();
      if (i === 0) first = l;
      last = l;
    }
    const end = pg.memory();
    expect(end.tensors).toBe(start.tensors);
    expect(end.bytes.cpu).toBe(start.bytes.cpu);
    expect(last).toBeLessThan(first * 0.5);
  });
});

describe('assign_', () => {
  it('takes the values of an offset view, not of its whole storage', () => {
    const t = pg.zeros([2]);
    t.assign_(pg.arange(4).float().slice(0, 2, 4));
    expect(t.toArraySync()).toEqual([2, 3]);
  });
});

describe('determinism', () => {
  it('the same seeded program gives bit-identical results twice', () => {
    const run = () => {
      const g = new pg.Generator(99);
      const w = pg.randn([20, 10], { generator: g, requiresGrad: true });
      const x = pg.randn([50, 20], { generator: g });
      for (let i = 0; i < 5; i++) {
        const loss = x.matmul(w).softmax(-1).log().neg().mean();
        loss.backward();
        pg.noGrad(() => w.assign_(w.sub(w.grad!.mul(0.1))));
        w.zeroGrad_();
      }
      return Array.from(w.dataSync());
    };
    expect(run()).toEqual(run());
  });
});
