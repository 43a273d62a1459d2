// Module bookkeeping (names, state dicts, clone, freezing, dtype casts), the training utilities
// (EMA, clipping, flat vectors, VAE helpers), memory in long loops, and an MLP that learns.
import { afterAll, describe, expect, it, vi } from 'vitest';
import * as pg from '../../src/index.js';
import { Module, functionalCall, parameter } from '../../src/nn/module.js';
import { BatchNorm1d, Dropout, Linear, MLP, ModuleList, ReLU, Sequential } from '../../src/nn/layers.js';
import { crossEntropy } from '../../src/nn/losses.js';
import { clipGradNorm, ema, gaussianKL, parametersToVector, reparameterize, vectorToParameters } from '../../src/nn/utils.js';

// Generous limits: the suite runs in ~15 s on a quiet 2-core machine, but shared CI boxes can be 5x slower.
vi.setConfig({ testTimeout: 60_000 });
const arr = (t: pg.Tensor) => Array.from(t.dataSync());

// Models (and tensors written with assign_) are disposed explicitly at the end of the file.
const owned: { dispose(): void }[] = [];
const own = <T extends { dispose(): void }>(x: T): T => (owned.push(x), x);
afterAll(() => owned.splice(0).forEach((x) => x.dispose()));

class Net extends Module {
  scale: pg.Tensor;
  body: Sequential;
  heads: ModuleList;
  extras: pg.Tensor[];
  note = 'not a member';
  declare stats: pg.Tensor;
  constructor(g: pg.Generator) {
    super();
    this.scale = parameter(pg.ones([2]));
    this.body = new Sequential(new Linear(3, 4, { generator: g }), new ReLU(), new Linear(4, 2, { generator: g }));
    this.heads = new ModuleList([new Linear(2, 1, { generator: g }), new Linear(2, 1, { bias: false, generator: g })]);
    this.extras = [parameter(pg.zeros([1]))];
    this.registerBuffer('stats', pg.zeros([2]));
  }
  forward(x: pg.Tensor): pg.Tensor {
    const h = this.body.forward(x).mul(this.scale);
    return this.heads.at(0).forward(h).add(this.heads.at(1).forward(h)).add(this.extras[0]);
  }
}

describe('Module: registration and traversal', () => {
  it('namedParameters walks fields in insertion order with dotted names', () => {
    const m = own(new Net(new pg.Generator(0)));
    expect(m.namedParameters().map(([n]) => n)).toEqual([
      'scale', 'extras.0', 'body.0.weight', 'body.0.bias', 'body.2.weight', 'body.2.bias', 'heads.0.weight', 'heads.0.bias', 'heads.1.weight',
    ]);
    expect(m.parameters().every((p) => p.requiresGrad && p.isLeaf)).toBe(true);
    expect(m.namedBuffers().map(([n]) => n)).toEqual(['stats']);
    expect(m.namedModules().map(([n]) => n)).toEqual(['', 'body', 'body.0', 'body.1', 'body.2', 'heads', 'heads.0', 'heads.1']);
    expect(m.children().length).toBe(2);
    expect(m.numParameters()).toBe(2 + 1 + 12 + 4 + 8 + 2 + 2 + 1 + 2);
    expect(Object.keys(m.stateDict())).toEqual([...m.namedParameters().map(([n]) => n), 'stats']);
  });
  it('a tensor shared by two fields is listed once by parameters() but under both names in stateDict()', () => {
    class Tied extends Module {
      a = new Linear(2, 2, { bias: false });
      b = new Linear(2, 2, { bias: false });
      constructor() { super(); this.b.weight = this.a.weight; }
      forward(x: pg.Tensor) { return this.b.forward(this.a.forward(x)); }
    }
    const t = own(new Tied());
    expect(t.parameters().length).toBe(1);
    expect(Object.keys(t.stateDict())).toEqual(['a.weight', 'b.weight']);
    const c = own(t.clone());
    expect(c.a.weight).toBe(c.b.weight); // tying survives clone
    expect(c.a.weight).not.toBe(t.a.weight);
  });
  it('train() / eval() set the flag on every submodule', () => {
    const m = own(new Net(new pg.Generator(0)));
    m.eval();
    expect(m.modules().every((x) => !x.training)).toBe(true);
    m.train();
    expect(m.modules().every((x) => x.training)).toBe(true);
  });
  it('registerParameter and non-persistent buffers', () => {
    class M extends Module {
      declare w: pg.Tensor;
      declare cache: pg.Tensor;
      constructor() {
        super();
        this.registerParameter('w', pg.ones([3]));
        this.registerBuffer('cache', pg.zeros([3]), { persistent: false });
      }
      forward(x: pg.Tensor) { return x.mul(this.w); }
    }
    const m = own(new M());
    expect(m.w.requiresGrad).toBe(true);
    expect(Object.keys(m.stateDict())).toEqual(['w']);
    expect(m.namedBuffers().map(([n]) => n)).toEqual(['cache']);
    expect(m.toString()).toContain('M(w: [3], cache: [3])');
  });
  it('call() is forward()', () => {
    const l = own(new Linear(2, 3, { generator: new pg.Generator(1) }));
    const x = pg.ones([1, 2]);
    expect(arr(l.call(x))).toEqual(arr(l.forward(x)));
  });
});

describe('Module: state dicts', () => {
  it('round trip: loading A into B makes B compute exactly like A, with its own storage', () => {
    const a = own(new Net(new pg.Generator(1))), b = own(new Net(new pg.Generator(2)));
    const x = pg.randn([5, 3], { generator: new pg.Generator(3) });
    expect(arr(a.forward(x))).not.toEqual(arr(b.forward(x)));
    const bw = b.body.at(0) as Linear;
    const wObj = bw.weight;
    const res = b.loadStateDict(a.stateDict());
    expect(res).toEqual({ missingKeys: [], unexpectedKeys: [] });
    expect(arr(b.forward(x))).toEqual(arr(a.forward(x)));
    expect(bw.weight).toBe(wObj); // loaded in place: same tensor objects
    expect(bw.weight.storage).not.toBe((a.body.at(0) as Linear).weight.storage);
    // later updates of A do not leak into B
    const aw = (a.body.at(0) as Linear).weight;
    pg.noGrad(() => aw.assign_(aw.add(1)));
    expect(arr(b.forward(x))).not.toEqual(arr(a.forward(x)));
  });
  it('strict loading lists missing keys, unexpected keys and shape/dtype mismatches and changes nothing', () => {
    const m = own(new Net(new pg.Generator(1)));
    const sd = m.stateDict();
    const before = arr(m.scale);
    const bad: Record<string, pg.Tensor> = { ...sd, bogus: pg.zeros([1]), scale: pg.full([3], 7), stats: pg.zeros([2], { dtype: 'float64' }) };
    delete bad['heads.1.weight'];
    let msg = '';
    try { m.loadStateDict(bad); } catch (e) { msg = (e as Error).message; }
    expect(msg).toContain('missing keys (1): heads.1.weight');
    expect(msg).toContain('unexpected keys (1): bogus');
    expect(msg).toContain('scale: expected [2] float32, got [3] float32');
    expect(msg).toContain('stats: expected [2] float32, got [2] float64');
    expect(arr(m.scale)).toEqual(before);
    // non-strict: missing / unexpected are reported, but a mismatch is still an error
    const partial: Record<string, pg.Tensor> = { scale: pg.full([2], 3), extra: pg.zeros([1]) };
    expect(m.loadStateDict(partial, { strict: false }).unexpectedKeys).toEqual(['extra']);
    expect(arr(m.scale)).toEqual([3, 3]);
    expect(() => m.loadStateDict({ scale: pg.zeros([5]) }, { strict: false })).toThrow(/shape\/dtype mismatches/);
  });
  it('buffers (BatchNorm running stats) travel in the state dict', () => {
    const bn = own(new BatchNorm1d(3));
    bn.forward(pg.randn([8, 3], { generator: new pg.Generator(4) }));
    const sd = bn.stateDict();
    expect(Object.keys(sd)).toEqual(['weight', 'bias', 'runningMean', 'runningVar', 'numBatchesTracked']);
    const bn2 = own(new BatchNorm1d(3));
    bn2.loadStateDict(sd);
    expect(arr(bn2.runningMean!)).toEqual(arr(bn.runningMean!));
    expect(bn2.numBatchesTracked!.itemSync()).toBe(1);
  });
});

describe('Module: clone, freezing, dtype', () => {
  it('clone() is a deep copy: equal values, independent storage, no grads', () => {
    const m = own(new Net(new pg.Generator(5)));
    const x = pg.randn([4, 3], { generator: new pg.Generator(6) });
    m.forward(x).sum().backward();
    const c = own(m.clone());
    expect(c).toBeInstanceOf(Net);
    expect(arr(c.forward(x))).toEqual(arr(m.forward(x)));
    const pm = m.parameters(), pc = c.parameters();
    pm.forEach((p, i) => {
      expect(pc[i]).not.toBe(p);
      expect(pc[i].storage).not.toBe(p.storage);
      expect(pc[i].grad).toBeNull();
      expect(pc[i].requiresGrad).toBe(true);
    });
    expect(c.namedBuffers().map(([n]) => n)).toEqual(['stats']);
    // training the original leaves the clone unchanged
    const snap = arr(c.forward(x));
    pg.noGrad(() => pm.forEach((p) => p.assign_(p.sub(p.grad!.mul(0.1)))));
    expect(arr(c.forward(x))).toEqual(snap);
    expect(arr(m.forward(x))).not.toEqual(snap);
  });
  it('requiresGrad_(false) freezes: no gradients reach frozen parameters', () => {
    const m = own(new Net(new pg.Generator(7)));
    m.body.requiresGrad_(false);
    const x = pg.randn([4, 3], { generator: new pg.Generator(8) });
    m.forward(x).sum().backward();
    for (const [n, p] of m.namedParameters()) {
      if (n.startsWith('body.')) expect(p.grad).toBeNull();
      else if (n !== 'extras.0') expect(p.grad).not.toBeNull();
    }
    expect(m.parameters().length).toBe(9); // frozen parameters are still parameters
    m.zeroGrad();
    expect(m.parameters().every((p) => p.grad === null)).toBe(true);
  });
  it('double() casts float parameters and buffers, keeps flags, and leaves int buffers alone', () => {
    const bn = own(new BatchNorm1d(2));
    bn.double();
    expect(bn.weight!.dtype).toBe('float64');
    expect(bn.weight!.requiresGrad).toBe(true);
    expect(bn.runningMean!.dtype).toBe('float64');
    expect(bn.numBatchesTracked!.dtype).toBe('int32');
    expect(bn.forward(pg.randn([4, 2], { dtype: 'float64' })).dtype).toBe('float64');
    bn.float();
    expect(bn.runningVar!.dtype).toBe('float32');
    expect(bn.to('cpu')).toBe(bn);
  });
  it('functionalCall substitutes parameters by name (for gradcheck over parameters)', () => {
    const l = own(new Linear(2, 2, { generator: new pg.Generator(9) }));
    const x = pg.tensor([[1, 2]]);
    const y = functionalCall(l, { weight: pg.tensor([[1, 0], [0, 1]]), bias: pg.tensor([10, 20]) }, x);
    expect(arr(y)).toEqual([11, 22]);
    expect(l.weight.shape).toEqual([2, 2]);
    expect(arr(l.forward(x))).not.toEqual([11, 22]); // restored
    expect(() => functionalCall(l, { nope: pg.zeros([1]) }, x)).toThrow(/no tensor named 'nope'/);
  });
});

describe('utils', () => {
  it('ema.update: decay 0 copies the source, decay 1 keeps the target, otherwise the convex mix', () => {
    const src = own(new Net(new pg.Generator(10))), tgt = own(new Net(new pg.Generator(11))).requiresGrad_(false);
    const s0 = src.parameters().map(arr), t0 = tgt.parameters().map(arr);
    ema.update(tgt, src, 1);
    expect(tgt.parameters().map(arr)).toEqual(t0);
    ema.update(tgt, src, 0.75);
    tgt.parameters().forEach((p, i) => pg.testing.assertClose(arr(p), t0[i].map((v, k) => 0.75 * v + 0.25 * s0[i][k]), { rtol: 1e-6, atol: 1e-7 }));
    ema.update(tgt, src, 0);
    expect(tgt.parameters().map(arr)).toEqual(s0);
    // the EMA copy never enters the graph
    expect(tgt.parameters().every((p) => p.isLeaf && !p.requiresGrad && p.grad === null)).toBe(true);
    expect(() => ema.update(tgt, own(new Linear(3, 4)), 0.5)).toThrow(/differ in structure/);
  });
  it('ema.update on a clone used as a teacher: source gradients do not reach it', () => {
    const src = own(new Linear(2, 2, { generator: new pg.Generator(12) }));
    const teacher = own(src.clone().requiresGrad_(false));
    const x = pg.ones([1, 2]);
    src.forward(x).add(teacher.forward(x)).sum().backward();
    ema.update(teacher, src, 0.9);
    expect(teacher.weight.grad).toBeNull();
    expect(src.weight.grad).not.toBeNull();
  });
  it('clipGradNorm rescales to maxNorm and returns the norm before clipping', () => {
    const a = pg.zeros([2], { requiresGrad: true }), b = pg.zeros([1], { requiresGrad: true });
    own(a);
    own(b);
    a.mul(pg.tensor([3, 0])).sum().add(b.mul(4).sum()).backward(); // grads: a = [3, 0], b = [4]
    const n = clipGradNorm([a, b], 1);
    expect(n.shape).toEqual([]);
    expect(n.itemSync()).toBeCloseTo(5, 5);
    pg.testing.assertClose([...arr(a.grad!), ...arr(b.grad!)], [0.6, 0, 0.8], { atol: 1e-6 });
    expect(clipGradNorm([a, b], 10).itemSync()).toBeCloseTo(1, 5); // below the limit: unchanged
    pg.testing.assertClose([...arr(a.grad!), ...arr(b.grad!)], [0.6, 0, 0.8], { atol: 1e-6 });
    expect(clipGradNorm([a, b], 0.1, { normType: Infinity }).itemSync()).toBeCloseTo(0.8, 5);
  });
  it('parametersToVector / vectorToParameters round trip', () => {
    const l = own(new Linear(3, 2, { generator: new pg.Generator(13) }));
    const v = parametersToVector(l.parameters());
    expect(v.shape).toEqual([8]);
    const l2 = own(new Linear(3, 2, { generator: new pg.Generator(14) }));
    vectorToParameters(v, l2.parameters());
    expect(arr(l2.weight)).toEqual(arr(l.weight));
    expect(arr(l2.bias!)).toEqual(arr(l.bias!));
    expect(l2.weight.requiresGrad && l2.weight.isLeaf).toBe(true);
  });
  it('reparameterize: mu + sigma * eps, seeded, with gradients to mu and logvar', () => {
    const mu = pg.full([20000], 1, { requiresGrad: true }), lv = pg.full([20000], Math.log(4), { requiresGrad: true });
    const z = reparameterize(mu, lv, { generator: new pg.Generator(15) });
    const zs = arr(z);
    const m = zs.reduce((a, b) => a + b, 0) / zs.length;
    const sd = Math.sqrt(zs.reduce((a, b) => a + (b - m) ** 2, 0) / zs.length);
    expect(m).toBeCloseTo(1, 1);
    expect(sd).toBeCloseTo(2, 1);
    expect(arr(reparameterize(mu, lv, { generator: new pg.Generator(15) }))).toEqual(zs);
    z.sum().backward();
    expect(arr(mu.grad!).every((g) => g === 1)).toBe(true);
  });
  it('gaussianKL matches the closed form and is zero at the prior', () => {
    const mu = pg.tensor([[0, 0], [1, -2]]), lv = pg.tensor([[0, 0], [Math.log(2), 0]]);
    const kl = gaussianKL(mu, lv);
    expect(kl.shape).toEqual([2]);
    // 0.5 * sum(sigma² + mu² - 1 - log sigma²)
    const want = 0.5 * (2 + 1 - 1 - Math.log(2)) + 0.5 * (1 + 4 - 1 - 0);
    pg.testing.assertClose(kl, [0, want], { atol: 1e-6 });
    const g = new pg.Generator(16);
    pg.testing.gradcheck((m, l) => gaussianKL(m, l), [pg.randn([3, 4], { generator: g, dtype: 'float64' }), pg.randn([3, 4], { generator: g, dtype: 'float64' })]);
  });
});

describe('memory in long loops', () => {
  it('training steps with BatchNorm and Dropout inside tidy keep live tensors flat', () => {
    const g = new pg.Generator(17);
    const net = own(new Sequential(new Linear(4, 16, { generator: g }), new BatchNorm1d(16), new ReLU(), new Dropout(0.2, { generator: g }), new Linear(16, 3, { generator: g })));
    const params = net.parameters();
    const x = pg.randn([32, 4], { generator: g }), y = pg.randint(0, 3, [32], { generator: g });
    const step = () =>
      pg.tidy(() => {
        const loss = crossEntropy(net.forward(x), y);
        loss.backward();
        pg.noGrad(() => params.forEach((p) => p.assign_(p.sub(p.grad!.mul(0.1)))));
        net.zeroGrad();
      });
    for (let i = 0; i < 5; i++) step();
    const before = pg.memory();
    for (let i = 0; i < 100; i++) step();
    const after = pg.memory();
    expect(after.tensors).toBe(before.tensors);
    expect(after.bytes.cpu).toBe(before.bytes.cpu);
    const bn = net.at(1) as BatchNorm1d;
    expect(bn.runningMean!.isLeaf && !bn.runningMean!.requiresGrad).toBe(true);
    expect(bn.numBatchesTracked!.itemSync()).toBe(105);
  });
});

describe('an MLP learns a Gaussian mixture', () => {
  it('reaches >= 95% held-out accuracy with plain SGD', () => {
    const g = new pg.Generator(2024);
    const K = 4, D = 2;
    const means = pg.tensor([[3, 3], [-3, 3], [-3, -3], [3, -3]]);
    const make = (n: number) => {
      const y = pg.randint(0, K, [n], { generator: g });
      const x = means.indexSelect(0, y).add(pg.randn([n, D], { generator: g }));
      return { x, y };
    };
    const train = make(512), test = make(1000);
    const net = own(new MLP([D, 32, 32, K], { activation: 'relu', generator: g }));
    const params = net.parameters();
    const lr = 0.1;
    let loss = 0;
    for (let step = 0; step < 150; step++) {
      loss = pg.tidy(() => {
        const l = crossEntropy(net.forward(train.x), train.y);
        l.backward();
        pg.noGrad(() => params.forEach((p) => p.assign_(p.sub(p.grad!.mul(lr)))));
        net.zeroGrad();
        return l.itemSync();
      });
    }
    const acc = pg.tidy(() => pg.noGrad(() => net.eval().forward(test.x).argmax(-1).eq(test.y).float().mean().itemSync()));
    console.log(`MLP on 4-Gaussian mixture: train loss ${loss.toFixed(4)}, test accuracy ${(acc * 100).toFixed(1)}%`);
    expect(acc).toBeGreaterThanOrEqual(0.95);
  });
});
