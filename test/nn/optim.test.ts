import { describe, expect, it } from 'vitest';
import * as pg from '../../src/index.js';
import { Adam, AdamW, RMSprop, SGD, type Optimizer, type OptimizerStateDict } from '../../src/nn/optim.js';
import { loadTrainingState, saveTrainingState } from '../../src/nn/checkpoint.js';

const f64 = (v: number[]) => pg.tensor(v, { dtype: 'float64' });
const vals = (t: pg.Tensor) => Array.from(t.dataSync());

function expectClose(got: ArrayLike<number>, want: ArrayLike<number>, rtol = 1e-13): void {
  expect(got.length).toBe(want.length);
  for (let i = 0; i < want.length; i++) {
    const tol = rtol * Math.max(1, Math.abs(want[i]));
    if (!(Math.abs(got[i] - want[i]) <= tol)) throw new Error(`element ${i}: got ${got[i]}, want ${want[i]}`);
  }
}

const P0 = [0.5, -1.25, 2.0];
const GRADS = [
  [0.1, -0.3, 0.7],
  [-0.2, 0.4, 0.05],
  [0.3, 0.3, -0.6],
];

/** Runs an optimizer on a float64 parameter for GRADS.length steps with the fixed gradients. */
function run(make: (p: pg.Tensor[]) => Optimizer<any>, grads = GRADS): number[][] {
  const p = f64(P0).requiresGrad_();
  const opt = make([p]);
  const out: number[][] = [];
  for (const g of grads) {
    p.grad = f64(g);
    opt.step();
    opt.zeroGrad();
    out.push(vals(p));
  }
  opt.dispose();
  p.dispose(); // (a parameter written by assign_ must be disposed: see the core note in the report)
  return out;
}

/** The same update in plain JS doubles, elementwise. */
function reference(step: (p: number, g: number, s: Record<string, number>, t: number) => number, grads = GRADS): number[][] {
  const states = P0.map(() => ({}) as Record<string, number>);
  const p = [...P0];
  return grads.map((g, k) => {
    for (let i = 0; i < p.length; i++) p[i] = step(p[i], g[i], states[i], k + 1);
    return [...p];
  });
}

describe('SGD', () => {
  it('plain step: p - lr * g', () => {
    const got = run((ps) => new SGD(ps, { lr: 0.1 }));
    const want = reference((p, g) => p - 0.1 * g);
    got.forEach((r, i) => expectClose(r, want[i]));
  });

  it('momentum with dampening and weight decay (buffer starts as a copy of g)', () => {
    const lr = 0.05, mu = 0.9, damp = 0.3, wd = 0.01;
    const got = run((ps) => new SGD(ps, { lr, momentum: mu, dampening: damp, weightDecay: wd }));
    const want = reference((p, g0, s, t) => {
      const g = g0 + wd * p;
      s.b = t === 1 ? g : mu * s.b + (1 - damp) * g;
      return p - lr * s.b;
    });
    got.forEach((r, i) => expectClose(r, want[i]));
  });

  it('Nesterov momentum', () => {
    const lr = 0.1, mu = 0.8;
    const got = run((ps) => new SGD(ps, { lr, momentum: mu, nesterov: true }));
    const want = reference((p, g, s, t) => {
      s.b = t === 1 ? g : mu * s.b + g;
      return p - lr * (g + mu * s.b);
    });
    got.forEach((r, i) => expectClose(r, want[i]));
    // Differs from heavy-ball momentum.
    const heavy = run((ps) => new SGD(ps, { lr, momentum: mu }));
    expect(Math.abs(heavy[2][0] - got[2][0])).toBeGreaterThan(1e-3);
  });

  it('maximize ascends', () => {
    const got = run((ps) => new SGD(ps, { lr: 0.1, maximize: true }));
    const want = reference((p, g) => p + 0.1 * g);
    got.forEach((r, i) => expectClose(r, want[i]));
  });

  it('validates its options', () => {
    const p = pg.zeros([2], { requiresGrad: true });
    expect(() => new SGD([p], { lr: 0.1, nesterov: true })).toThrow(/Nesterov/);
    expect(() => new SGD([p], { lr: 0.1, momentum: 0.9, dampening: 0.1, nesterov: true })).toThrow(/Nesterov/);
    expect(() => new SGD([p], { lr: -1 })).toThrow(/lr/);
    expect(() => new SGD([p, p])).toThrow(/more than one group/);
    expect(() => new SGD([pg.zeros([2], { dtype: 'int32' })])).toThrow(/float32 or float64/);
    expect(() => new SGD([])).toThrow(/empty/);
    expect(() => new Adam([p], { lr: -1 })).toThrow(/^Adam: invalid lr -1/);
    expect(() => new AdamW([p], { betas: [1, 0.9] })).toThrow(/^AdamW: invalid beta1/);
    expect(() => new RMSprop([p], { eps: -1 })).toThrow(/^RMSprop: invalid eps/);
    expect(new Adam([p], { lr: undefined }).paramGroups[0].lr).toBe(1e-3);
    expect(new SGD([{ params: [p], momentum: undefined }], { momentum: 0.9 }).paramGroups[0].momentum).toBe(0.9);
  });
});

describe('Adam / AdamW', () => {
  const b1 = 0.9, b2 = 0.999, eps = 1e-8;
  const adamRef = (lr: number, wdL2: number, wdDecoupled: number, amsgrad = false, grads = GRADS) =>
    reference((p0, g0, s, t) => {
      const p = p0 * (1 - lr * wdDecoupled);
      const g = g0 + wdL2 * p0;
      s.m = (s.m ?? 0) + (1 - b1) * (g - (s.m ?? 0));
      s.v = b2 * (s.v ?? 0) + (1 - b2) * g * g;
      let v = s.v;
      if (amsgrad) v = s.vmax = Math.max(s.vmax ?? 0, s.v);
      const denom = Math.sqrt(v) / Math.sqrt(1 - b2 ** t) + eps;
      return p - (lr / (1 - b1 ** t)) * (s.m / denom);
    }, grads);
  const adamRefWith = (lr: number, grads: number[][]) => adamRef(lr, 0, 0, true, grads);

  // The backend's fused kernel in place (the wasm 'cpu' device and the pure-JS 'js' one; [37, 5]
  // has a tail past the SIMD lanes), and the op path under pg.compile where a view of p is held
  // (p's storage is then not the optimizer's alone): the same bits as the update written with ops.
  for (const device of ['cpu', 'js'])
    for (const dtype of ['float32', 'float64'] as const)
      for (const [name, shape, viewHeld, stridedGrad] of [['Adam', [37, 5], false, false], ['Adam', [96, 90], false, false], ['Adam', [37, 5], true, false], ['AdamW', [37, 5], false, true]] as const)
        it(`${name} on ${device}, ${dtype} ${shape.join('x')}${viewHeld ? ' (a view of p held: the op path)' : ''}${stridedGrad ? ' (a transposed gradient)' : ''} gives the bits of the update written with tensor ops`, () => {
          const g = new pg.Generator(3);
          const on = (t: pg.Tensor) => t.to(dtype).to(device);
          const p0 = on(pg.randn([...shape], { generator: g }));
          const grads = [0, 1, 2, 3].map(() => on(pg.randn([...shape], { generator: g }).mul(0.1)));
          const p = p0.clone().requiresGrad_();
          const decoupled = name === 'AdamW';
          const opt = new (decoupled ? AdamW : Adam)([p], { lr: 0.003, betas: [0.8, 0.99], eps: 1e-6, weightDecay: 0.01 });
          let q = p0.clone(), m = pg.zerosLike(p0), v = pg.zerosLike(p0);
          grads.forEach((gr, i) => {
            // a weight's gradient may come back as a transposed view (strides [1, rows])
            p.grad = stridedGrad ? gr.transpose(0, 1).contiguous().transpose(0, 1) : gr.clone();
            if (stridedGrad) expect(p.grad.isContiguous).toBe(false);
            // a view taken now (and held through the step) must keep showing these values
            const view = viewHeld ? p.reshape([-1]) : null, before = Array.from(p.dataSync());
            const storage = p.storage, version = p._version;
            const expAvg = () => opt.stateDict().state['0']?.expAvg as pg.Tensor | undefined;
            const mBefore = expAvg();
            opt.step();
            // the fused kernel writes p's own storage and the moments' in place; the op path swaps in
            // new ones (assign_, new buffers); AdamW's decay swaps p's storage first either way
            if (!decoupled) expect(p.storage === storage).toBe(!viewHeld);
            if (mBefore) expect(expAvg() === mBefore).toBe(!viewHeld);
            expect(p._version).toBe(version + (decoupled ? 2 : 1));
            const t = i + 1;
            if (decoupled) q = q.mul(1 - 0.003 * 0.01);
            const gg = decoupled ? gr : gr.add(q.mul(0.01));
            m = m.add(gg.sub(m).mul(1 - 0.8));
            v = v.mul(0.99).add(gg.mul(gg).mul(1 - 0.99));
            const denom = v.sqrt().div(Math.sqrt(1 - 0.99 ** t)).add(1e-6);
            q = q.add(m.div(denom).mul(-(0.003 / (1 - 0.8 ** t))));
            expect(Array.from(p.dataSync())).toEqual(Array.from(q.dataSync()));
            expect(Array.from(expAvg()!.dataSync())).toEqual(Array.from(m.dataSync()));
            if (view) expect(Array.from(view.dataSync())).toEqual(before);
          });
        });

  it('Adam with bias correction', () => {
    const got = run((ps) => new Adam(ps, { lr: 0.01 }));
    const want = adamRef(0.01, 0, 0);
    got.forEach((r, i) => expectClose(r, want[i]));
    // Bias correction makes the first step lr * sign(g) (up to eps).
    expectClose(got[0], P0.map((p, i) => p - 0.01 * Math.sign(GRADS[0][i])), 1e-6);
  });

  it('Adam with L2 weight decay and amsgrad', () => {
    const got = run((ps) => new Adam(ps, { lr: 0.02, weightDecay: 0.1, amsgrad: true }));
    const want = adamRef(0.02, 0.1, 0, true);
    got.forEach((r, i) => expectClose(r, want[i]));
    // amsgrad differs from Adam once v shrinks (a large gradient, then small ones).
    const shrinking = [[1, 1, 1], [0.01, 0.01, 0.01], [0.01, 0.01, 0.01]];
    const ams = run((ps) => new Adam(ps, { lr: 0.02, amsgrad: true }), shrinking);
    expectClose(ams[2], adamRefWith(0.02, shrinking)[2]);
    const plain = run((ps) => new Adam(ps, { lr: 0.02 }), shrinking);
    expect(Math.abs(plain[2][0] - ams[2][0])).toBeGreaterThan(1e-6);
  });

  it('AdamW decays decoupled from the gradient', () => {
    const got = run((ps) => new AdamW(ps, { lr: 0.01, weightDecay: 0.1 }));
    const want = adamRef(0.01, 0, 0.1);
    got.forEach((r, i) => expectClose(r, want[i]));
    // With a zero gradient AdamW only shrinks p by (1 - lr * wd); Adam's L2 decay moves it by ~lr.
    const zero = [[0, 0, 0]];
    const w = run((ps) => new AdamW(ps, { lr: 0.01, weightDecay: 0.1 }), zero);
    expectClose(w[0], P0.map((p) => p * (1 - 0.001)));
    const a = run((ps) => new Adam(ps, { lr: 0.01, weightDecay: 0.1 }), zero);
    expectClose(a[0], P0.map((p) => p - 0.01 * Math.sign(p)), 1e-6);
    // AdamW's default decay is 1e-2.
    expect(new AdamW([pg.zeros([1], { requiresGrad: true })]).paramGroups[0].weightDecay).toBe(0.01);
  });
});

describe('RMSprop', () => {
  const rmsRef = (lr: number, alpha: number, eps: number, opts: { centered?: boolean; momentum?: number; wd?: number }) =>
    reference((p, g0, s) => {
      const g = g0 + (opts.wd ?? 0) * p;
      s.v = alpha * (s.v ?? 0) + (1 - alpha) * g * g;
      let avg: number;
      if (opts.centered) {
        s.a = (s.a ?? 0) + (1 - alpha) * (g - (s.a ?? 0));
        avg = Math.sqrt(s.v - s.a * s.a) + eps;
      } else avg = Math.sqrt(s.v) + eps;
      if (opts.momentum) {
        s.b = opts.momentum * (s.b ?? 0) + g / avg;
        return p - lr * s.b;
      }
      return p - (lr * g) / avg;
    });

  it('plain', () => {
    const got = run((ps) => new RMSprop(ps, { lr: 0.01 }));
    const want = rmsRef(0.01, 0.99, 1e-8, {});
    got.forEach((r, i) => expectClose(r, want[i]));
  });

  it('centered with momentum and weight decay', () => {
    const got = run((ps) => new RMSprop(ps, { lr: 0.01, alpha: 0.9, eps: 1e-6, centered: true, momentum: 0.5, weightDecay: 0.05 }));
    const want = rmsRef(0.01, 0.9, 1e-6, { centered: true, momentum: 0.5, wd: 0.05 });
    got.forEach((r, i) => expectClose(r, want[i]));
    const uncentered = run((ps) => new RMSprop(ps, { lr: 0.01, alpha: 0.9, eps: 1e-6, momentum: 0.5, weightDecay: 0.05 }));
    expect(Math.abs(uncentered[2][1] - got[2][1])).toBeGreaterThan(1e-4);
  });
});

describe('parameter groups and state', () => {
  it('groups have their own lr; missing options come from the defaults; null grads are skipped', () => {
    const head = f64([1, 2]).requiresGrad_();
    const backbone = f64([3, 4]).requiresGrad_();
    const frozen = f64([5]).requiresGrad_();
    const opt = new SGD([{ params: [head], lr: 0.1 }, { params: [backbone] }, { params: [frozen], lr: 0.5 }], { lr: 0.01, momentum: 0.5 });
    expect(opt.paramGroups.map((g) => g.lr)).toEqual([0.1, 0.01, 0.5]);
    expect(opt.paramGroups[1].momentum).toBe(0.5);
    head.grad = f64([1, 1]);
    backbone.grad = f64([1, 1]);
    opt.step();
    expectClose(vals(head), [0.9, 1.9]);
    expectClose(vals(backbone), [2.99, 3.99]);
    expect(vals(frozen)).toEqual([5]);
    const sd = opt.stateDict();
    expect(Object.keys(sd.state)).toEqual(['0', '1']); // the frozen parameter (index 2) has no state
    expect(sd.state['0'].step).toBe(1);
    expect(sd.paramGroups.map((g) => g.params)).toEqual([[0], [1], [2]]);
    // Schedules change lr through paramGroups.
    opt.paramGroups[0].lr = 0;
    opt.step();
    expectClose(vals(head), [0.9, 1.9]);
    opt.zeroGrad();
    expect(head.grad).toBeNull();
    opt.dispose();
    for (const t of [head, backbone, frozen]) t.dispose();
  });

  it('addParamGroup adds a head later', () => {
    const a = pg.ones([2], { requiresGrad: true });
    const b = pg.ones([2], { requiresGrad: true });
    const opt = new Adam([a], { lr: 0.1 });
    opt.addParamGroup({ params: [b], lr: 0.5, betas: [0.5, 0.9] });
    expect(opt.paramGroups[1].betas).toEqual([0.5, 0.9]);
    expect(opt.paramGroups[1].eps).toBe(1e-8);
    expect(() => opt.addParamGroup({ params: [a] })).toThrow(/more than one group/);
  });

  it('state dict round trip (through checkpoint bytes) continues bit-identically', () => {
    const makes: [string, (p: pg.Tensor[]) => Optimizer<any>][] = [
      ['SGD', (p) => new SGD(p, { lr: 0.1, momentum: 0.9, nesterov: true, weightDecay: 1e-3 })],
      ['Adam', (p) => new Adam(p, { lr: 0.05, amsgrad: true })],
      ['AdamW', (p) => new AdamW(p, { lr: 0.05 })],
      ['RMSprop', (p) => new RMSprop(p, { lr: 0.01, centered: true, momentum: 0.9 })],
    ];
    for (const [name, make] of makes) {
      const g = new pg.Generator(3);
      const p = pg.randn([4, 3], { generator: g }).requiresGrad_();
      const q = pg.randn([3], { generator: g }).requiresGrad_();
      const grads = Array.from({ length: 6 }, () => [pg.randn([4, 3], { generator: g }), pg.randn([3], { generator: g })]);
      const A = make([p, q]);
      for (let k = 0; k < 3; k++) {
        p.grad = grads[k][0];
        q.grad = grads[k][1];
        A.step();
      }
      const bytes = saveTrainingState({ params: { p, q }, optimizer: A.stateDict() });
      const st = loadTrainingState<{ params: { p: pg.Tensor; q: pg.Tensor }; optimizer: OptimizerStateDict }>(bytes);
      const p2 = st.params.p.requiresGrad_();
      const q2 = st.params.q.requiresGrad_();
      const B = make([p2, q2]);
      B.loadStateDict(st.optimizer);
      for (const t of Object.values(st.optimizer.state)) for (const v of Object.values(t)) if (v instanceof pg.Tensor) v.dispose();
      for (let k = 3; k < 6; k++) {
        p.grad = grads[k][0];
        q.grad = grads[k][1];
        p2.grad = grads[k][0];
        q2.grad = grads[k][1];
        A.step();
        B.step();
      }
      expect(vals(p2), name).toEqual(vals(p));
      expect(vals(q2), name).toEqual(vals(q));
      expect(B.stateDict().state['0'].step).toBe(6);
      A.dispose();
      B.dispose();
      for (const t of [p, q, p2, q2]) t.dispose();
    }
  });

  it('loadStateDict rejects a state for other parameters', () => {
    const p = pg.zeros([2], { requiresGrad: true });
    const A = new Adam([p]);
    p.grad = pg.ones([2]);
    A.step();
    const sd = A.stateDict();
    const B = new Adam([pg.zeros([3], { requiresGrad: true })]);
    expect(() => B.loadStateDict(sd)).toThrow(/shape/);
    const C = new Adam([{ params: [pg.zeros([2], { requiresGrad: true })] }, { params: [pg.zeros([2], { requiresGrad: true })] }]);
    expect(() => C.loadStateDict(sd)).toThrow(/groups/);
    // Hyper-parameters come back too.
    const D = new Adam([pg.zeros([2], { requiresGrad: true })], { lr: 0.5 });
    D.loadStateDict(sd);
    expect(D.paramGroups[0].lr).toBe(1e-3);
    p.dispose();
  });
});

describe('memory', () => {
  const configs: [string, (p: pg.Tensor[]) => Optimizer<any>][] = [
    ['SGD (Nesterov, weight decay)', (p) => new SGD(p, { lr: 0.05, momentum: 0.9, nesterov: true, weightDecay: 1e-4 })],
    ['Adam (amsgrad, L2)', (p) => new Adam(p, { lr: 0.01, amsgrad: true, weightDecay: 1e-4 })],
    ['AdamW', (p) => new AdamW(p, { lr: 0.01 })],
    ['RMSprop (centered, momentum)', (p) => new RMSprop(p, { lr: 0.002, centered: true, momentum: 0.5 })],
  ];
  for (const [name, make] of configs) {
    it(`${name}: 2,000 steps keep live tensors flat and the loss goes down`, () => {
      const g = new pg.Generator(0);
      const x = pg.randn([16, 4], { generator: g });
      const y = x.sum(1, true).sin();
      const w1 = pg.randn([4, 8], { generator: g }).mul(0.5).requiresGrad_();
      const b1 = pg.zeros([8], { requiresGrad: true });
      const w2 = pg.randn([8, 1], { generator: g }).mul(0.5).requiresGrad_();
      const params = [w1, b1, w2];
      const opt = make(params);
      const step = () => {
        const loss = pg.tidy(() => {
          const l = x.matmul(w1).add(b1).tanh().matmul(w2).sub(y).square().mean();
          l.backward();
          return l.itemSync();
        });
        opt.step();
        opt.zeroGrad();
        return loss;
      };
      const first = step();
      step();
      const start = pg.memory();
      let last = 0;
      for (let i = 0; i < 2000; i++) last = step();
      const end = pg.memory();
      expect(end.tensors).toBe(start.tensors);
      expect(end.storages).toBe(start.storages);
      expect(end.bytes.cpu).toBe(start.bytes.cpu);
      expect(last).toBeLessThan(first * 0.5);
      opt.dispose();
      for (const t of params) t.dispose();
    });
  }
});
