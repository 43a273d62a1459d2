// Layers: shapes, known values, masks, gradchecks (float64 copies of the modules, gradients with
// respect to inputs and parameters), and the initialisers.
import { afterAll, describe, expect, it, vi } from 'vitest';
import * as pg from '../../src/index.js';
import { erf64 } from '../../src/autograd/math.js';
import { Module, withTensors } from '../../src/nn/module.js';
import {
  BatchNorm1d, BatchNorm2d, Conv2d, Dropout, Embedding, GELU, Identity, LayerNorm, LeakyReLU, Linear, MLP, ModuleList, ReLU, RMSNorm,
  Sequential, SiLU, Sigmoid, Softplus, Tanh,
} from '../../src/nn/layers.js';
import { MultiHeadAttention, TransformerBlock, attentionMask } from '../../src/nn/attention.js';
import * as init from '../../src/nn/init.js';

// Generous limits: the suite runs in ~15 s on a quiet 2-core machine, but shared CI boxes can be 5x slower.
vi.setConfig({ testTimeout: 60_000 });
const arr = (t: pg.Tensor) => Array.from(t.dataSync());
const owned: { dispose(): void }[] = [];
// Models are disposed explicitly at the end of the file.
const own = <T extends { dispose(): void }>(x: T): T => (owned.push(x), x);
afterAll(() => owned.splice(0).forEach((x) => x.dispose()));

const g = new pg.Generator(99);
const r64 = (...shape: number[]) => pg.randn(shape, { generator: g, dtype: 'float64' });

/** gradcheck of fn(inputs) with respect to the inputs and every parameter of m (cast to float64). */
function gradcheckModule(m: Module, inputs: pg.Tensor[], fn: (...xs: pg.Tensor[]) => pg.Tensor, opts: pg.testing.GradcheckOpts = {}): void {
  m.double();
  const named = m.namedParameters();
  const ps = named.map(([, p]) => p.detach());
  pg.testing.gradcheck(
    (...xs) => withTensors(m, Object.fromEntries(named.map(([n], i) => [n, xs[inputs.length + i]])), () => fn(...xs.slice(0, inputs.length))),
    [...inputs, ...ps],
    opts,
  );
}

describe('Linear', () => {
  it('computes x W^T + b, for any batch shape', () => {
    const l = own(new Linear(3, 2, { generator: new pg.Generator(1) }));
    expect(l.weight.shape).toEqual([2, 3]);
    const x = pg.randn([4, 5, 3], { generator: g });
    const y = l.forward(x);
    expect(y.shape).toEqual([4, 5, 2]);
    const W = arr(l.weight), b = arr(l.bias!), xs = arr(x);
    const want: number[] = [];
    for (let n = 0; n < 20; n++) for (let o = 0; o < 2; o++) want.push(b[o] + W[o * 3] * xs[n * 3] + W[o * 3 + 1] * xs[n * 3 + 1] + W[o * 3 + 2] * xs[n * 3 + 2]);
    pg.testing.assertClose(y, want, { rtol: 1e-5, atol: 1e-6 });
    const nb = own(new Linear(3, 2, { bias: false }));
    expect(nb.bias).toBeNull();
    expect(nb.parameters().length).toBe(1);
  });
  it("uses PyTorch's default init U(±1/sqrt(fanIn)), reproducibly per generator", () => {
    const l = own(new Linear(64, 256, { generator: new pg.Generator(2) }));
    const w = arr(l.weight), b = arr(l.bias!);
    const bound = 1 / 8;
    expect(Math.max(...w.map(Math.abs))).toBeLessThanOrEqual(bound);
    expect(Math.max(...b.map(Math.abs))).toBeLessThanOrEqual(bound);
    const sd = Math.sqrt(w.reduce((a, v) => a + v * v, 0) / w.length);
    expect(sd).toBeCloseTo(bound / Math.sqrt(3), 2);
    expect(arr(own(new Linear(64, 256, { generator: new pg.Generator(2) })).weight)).toEqual(w);
    expect(arr(own(new Linear(64, 256, { generator: new pg.Generator(3) })).weight)).not.toEqual(w);
  });
  it('gradcheck (input, weight, bias)', () => {
    const l = own(new Linear(3, 2, { generator: new pg.Generator(4) }));
    gradcheckModule(l, [r64(2, 2, 3)], (x) => l.forward(x));
  });
  it('rejects a wrong input size with a clear error', () => {
    expect(() => own(new Linear(3, 2)).forward(pg.zeros([2, 4]))).toThrow(/Linear: expected input \[\.\.\., 3\], got \[2, 4\]/);
  });
});

describe('Conv2d', () => {
  it('shapes with stride / padding / groups, and values equal to pg.conv2d', () => {
    const c = own(new Conv2d(4, 6, 3, { stride: 2, padding: 1, groups: 2, generator: new pg.Generator(5) }));
    expect(c.weight.shape).toEqual([6, 2, 3, 3]);
    const x = pg.randn([2, 4, 7, 7], { generator: g });
    const y = c.forward(x);
    expect(y.shape).toEqual([2, 6, 4, 4]);
    pg.testing.assertClose(y, pg.conv2d(x, c.weight, c.bias, { stride: 2, padding: 1, groups: 2 }));
    const bound = 1 / Math.sqrt(2 * 9);
    expect(Math.max(...arr(c.weight).map(Math.abs))).toBeLessThanOrEqual(bound);
  });
  it('gradcheck', () => {
    const c = own(new Conv2d(2, 2, 2, { padding: 1, generator: new pg.Generator(6) }));
    gradcheckModule(c, [r64(1, 2, 3, 3)], (x) => c.forward(x));
  });
});

describe('Embedding', () => {
  it('looks rows up for ids of any shape; N(0, 1) init', () => {
    const e = own(new Embedding(10, 4, { generator: new pg.Generator(7) }));
    const ids = pg.tensor([[1, 2, 3], [3, 0, 9]], { dtype: 'int32' });
    const y = e.forward(ids);
    expect(y.shape).toEqual([2, 3, 4]);
    const W = arr(e.weight);
    expect(arr(y.select(1, 1).select(0, 1))).toEqual(W.slice(0, 4));
    expect(arr(y.select(1, 2).select(0, 1))).toEqual(W.slice(36, 40));
    expect(() => e.forward(pg.tensor([1.5]))).toThrow(/int32/);
  });
  it('paddingIdx: zero row that receives no gradient', () => {
    const e = own(new Embedding(5, 3, { paddingIdx: 0, generator: new pg.Generator(8) }));
    expect(arr(e.weight.select(0, 0))).toEqual([0, 0, 0]);
    e.forward(pg.tensor([0, 1, 0, 2], { dtype: 'int32' })).sum().backward();
    const gr = arr(e.weight.grad!);
    expect(gr.slice(0, 3)).toEqual([0, 0, 0]);
    expect(gr.slice(3, 6)).toEqual([1, 1, 1]);
  });
  it('gradcheck with respect to the table', () => {
    const e = own(new Embedding(4, 3, { generator: new pg.Generator(9) }));
    const ids = pg.tensor([[0, 3], [3, 1]], { dtype: 'int32' });
    gradcheckModule(e, [], () => e.forward(ids));
  });
});

describe('normalisation layers', () => {
  it('LayerNorm matches the hand formula (biased variance) and gradchecks', () => {
    const ln = own(new LayerNorm(4, { eps: 1e-5 }));
    pg.noGrad(() => {
      ln.weight!.assign_(pg.tensor([1, 2, 3, 4]));
      ln.bias!.assign_(pg.tensor([0.5, 0, -0.5, 1]));
    });
    const x = [1, 2, 4, 9];
    const m = 4, v = ((1 - m) ** 2 + (2 - m) ** 2 + 0 + (9 - m) ** 2) / 4;
    const want = x.map((xi, i) => ((xi - m) / Math.sqrt(v + 1e-5)) * [1, 2, 3, 4][i] + [0.5, 0, -0.5, 1][i]);
    pg.testing.assertClose(ln.forward(pg.tensor([x])), want, { rtol: 1e-5, atol: 1e-6 });
    const ln2 = own(new LayerNorm([2, 3]));
    expect(ln2.forward(pg.randn([5, 2, 3], { generator: g })).shape).toEqual([5, 2, 3]);
    const ln3 = own(new LayerNorm(3));
    pg.noGrad(() => ln3.weight!.assign_(pg.tensor([0.5, 1.5, -1])));
    gradcheckModule(ln3, [r64(2, 2, 3)], (x) => ln3.forward(x));
    expect(() => ln.forward(pg.zeros([2, 3]))).toThrow(/LayerNorm: expected input \[\.\.\., 4\]/);
  });
  it('RMSNorm matches x / sqrt(mean(x²) + eps) * w and gradchecks', () => {
    const rn = own(new RMSNorm(3, { eps: 1e-6 }));
    pg.noGrad(() => rn.weight!.assign_(pg.tensor([1, 2, 3])));
    const x = [1, -2, 2];
    const rms = Math.sqrt((1 + 4 + 4) / 3 + 1e-6);
    pg.testing.assertClose(rn.forward(pg.tensor([x])), x.map((v, i) => (v / rms) * (i + 1)), { rtol: 1e-5 });
    const rn2 = own(new RMSNorm(3));
    gradcheckModule(rn2, [r64(2, 3)], (x) => rn2.forward(x));
  });
  it('BatchNorm1d: batch statistics in training, running statistics (momentum 0.1, unbiased var) in eval', () => {
    const bn = own(new BatchNorm1d(2));
    const x = pg.tensor([[1, 10], [2, 20], [3, 30], [6, 40]]);
    const y = bn.forward(x);
    // channel 0: mean 3, biased var 3.5, unbiased 14/3; channel 1: mean 25, biased var 125, unbiased 500/3
    const c0 = [1, 2, 3, 6].map((v) => (v - 3) / Math.sqrt(3.5 + 1e-5));
    const c1 = [10, 20, 30, 40].map((v) => (v - 25) / Math.sqrt(125 + 1e-5));
    pg.testing.assertClose(y, [0, 1, 2, 3].flatMap((i) => [c0[i], c1[i]]), { rtol: 1e-5, atol: 1e-6 });
    pg.testing.assertClose(bn.runningMean!, [0.3, 2.5], { rtol: 1e-6 });
    pg.testing.assertClose(bn.runningVar!, [0.9 + (0.1 * 14) / 3, 0.9 + (0.1 * 500) / 3], { rtol: 1e-6 });
    expect(bn.numBatchesTracked!.itemSync()).toBe(1);
    expect(bn.runningMean!.requiresGrad).toBe(false);
    bn.eval();
    const rm = arr(bn.runningMean!), rv = arr(bn.runningVar!);
    const ye = bn.forward(pg.tensor([[1, 2]]));
    pg.testing.assertClose(ye, [(1 - rm[0]) / Math.sqrt(rv[0] + 1e-5), (2 - rm[1]) / Math.sqrt(rv[1] + 1e-5)], { rtol: 1e-5 });
    expect(bn.numBatchesTracked!.itemSync()).toBe(1); // eval does not update
  });
  it('BatchNorm momentum null is a cumulative average; [N, C, L] inputs', () => {
    const bn = own(new BatchNorm1d(1, { momentum: null }));
    bn.forward(pg.tensor([[[1, 3]], [[1, 3]]])); // mean 2
    bn.forward(pg.tensor([[[5, 7]], [[5, 7]]])); // mean 6
    pg.testing.assertClose(bn.runningMean!, [4], { rtol: 1e-6 });
  });
  it('BatchNorm2d normalises per channel over N, H, W and gradchecks in training mode', () => {
    const bn = own(new BatchNorm2d(3));
    const y = bn.forward(pg.randn([4, 3, 2, 2], { generator: g, mean: 5, std: 3 }));
    const m = y.mean([0, 2, 3]), v = y.var([0, 2, 3], { correction: 0 });
    pg.testing.assertClose(m, [0, 0, 0], { atol: 1e-5 });
    pg.testing.assertClose(v, [1, 1, 1], { atol: 1e-3 });
    const bn2 = own(new BatchNorm2d(2));
    pg.noGrad(() => bn2.weight!.assign_(pg.tensor([2, -1])));
    gradcheckModule(bn2, [r64(3, 2, 2, 1)], (x) => bn2.forward(x));
    expect(() => bn.forward(pg.zeros([2, 3]))).toThrow(/BatchNorm2d: expected input of rank 4/);
  });
});

describe('Dropout', () => {
  it('training: zeroes about p of the elements and scales the rest by 1/(1-p); eval: identity', () => {
    const d = own(new Dropout(0.25, { generator: new pg.Generator(10) }));
    const y = arr(d.forward(pg.ones([4000])));
    const zeros = y.filter((v) => v === 0).length;
    expect(Math.abs(zeros / 4000 - 0.25)).toBeLessThan(0.03);
    expect(y.every((v) => v === 0 || Math.abs(v - 4 / 3) < 1e-6)).toBe(true);
    d.eval();
    const x = pg.randn([10], { generator: g });
    expect(d.forward(x)).toBe(x);
  });
  it('is reproducible from its generator', () => {
    const a = own(new Dropout(0.5, { generator: new pg.Generator(11) })), b = own(new Dropout(0.5, { generator: new pg.Generator(11) }));
    const x = pg.ones([64]);
    const ya = arr(a.forward(x));
    expect(arr(b.forward(x))).toEqual(ya);
    expect(arr(a.forward(x))).not.toEqual(ya); // the generator advances
  });
});

describe('activations and containers', () => {
  it('activation modules compute their functions', () => {
    const x = pg.tensor([-30, -2, -0.5, 0, 0.5, 2, 30]);
    const xs = arr(x);
    pg.testing.assertClose(own(new ReLU()).forward(x), xs.map((v) => Math.max(v, 0)));
    pg.testing.assertClose(own(new Tanh()).forward(x), xs.map(Math.tanh), { rtol: 1e-6 });
    pg.testing.assertClose(own(new Sigmoid()).forward(x), xs.map((v) => 1 / (1 + Math.exp(-v))), { rtol: 1e-6 });
    pg.testing.assertClose(own(new SiLU()).forward(x), xs.map((v) => v / (1 + Math.exp(-v))), { rtol: 1e-6, atol: 1e-7 });
    pg.testing.assertClose(own(new Softplus()).forward(x), xs.map((v) => (v > 20 ? v : Math.log1p(Math.exp(v)))), { rtol: 1e-6, atol: 1e-7 });
    pg.testing.assertClose(own(new Softplus(2)).forward(x), xs.map((v) => (2 * v > 20 ? v : Math.log1p(Math.exp(2 * v)) / 2)), { rtol: 1e-6, atol: 1e-7 });
    pg.testing.assertClose(own(new LeakyReLU(0.1)).forward(x), xs.map((v) => (v > 0 ? v : 0.1 * v)), { rtol: 1e-6 });
    const c = Math.sqrt(2 / Math.PI);
    pg.testing.assertClose(own(new GELU({ approximate: 'tanh' })).forward(x), xs.map((v) => 0.5 * v * (1 + Math.tanh(c * (v + 0.044715 * v ** 3)))), { rtol: 1e-5, atol: 1e-7 });
    pg.testing.assertClose(own(new GELU()).forward(x), xs.map((v) => 0.5 * v * (1 + erf64(v / Math.SQRT2))), { rtol: 1e-5, atol: 1e-7 });
    expect(own(new Identity()).forward(x)).toBe(x);
  });
  it('Sequential chains; ModuleList indexes; MLP builds Linear / activation / dropout', () => {
    const s = own(new Sequential(new Linear(2, 3, { generator: g }), new ReLU(), new Linear(3, 1, { generator: g })));
    expect(s.length).toBe(3);
    const x = pg.randn([5, 2], { generator: g });
    const h = (s.at(2) as Linear).forward((s.at(1) as ReLU).forward((s[0] as Linear).forward(x)));
    expect(arr(s.forward(x))).toEqual(arr(h));
    const l = own(new ModuleList([new ReLU()]));
    l.append(new Tanh());
    expect([...l].map((m) => m.constructor.name)).toEqual(['ReLU', 'Tanh']);
    expect(() => l.forward(x)).toThrow(/no forward/);
    expect(() => l.at(5)).toThrow(/out of range/);
    const mlp = own(new MLP([4, 8, 8, 2], { activation: 'gelu', dropout: 0.1, generator: g }));
    expect(mlp.children().map((m) => m.constructor.name)).toEqual(['Linear', 'GELU', 'Dropout', 'Linear', 'GELU', 'Dropout', 'Linear']);
    expect(mlp.namedParameters().map(([n]) => n)).toEqual(['0.weight', '0.bias', '3.weight', '3.bias', '6.weight', '6.bias']);
    expect(mlp.eval().forward(pg.randn([3, 4], { generator: g })).shape).toEqual([3, 2]);
    const tanhMlp = own(new MLP([3, 4, 2], { activation: 'tanh', generator: g }));
    gradcheckModule(tanhMlp, [r64(2, 3)], (x) => tanhMlp.forward(x));
  });
});

/** Plain-JS multi-head attention (for known values): allowed(b, i, j) says whether query i sees key j. */
function refAttention(m: MultiHeadAttention, x: pg.Tensor, allowed: (b: number, i: number, j: number) => boolean): number[] {
  const [B, T, D] = x.shape;
  const H = m.nHeads, hd = D / H;
  const xs = arr(x);
  const proj = (l: Linear, v: number[]) => {
    const W = arr(l.weight), b = arr(l.bias!);
    return Array.from({ length: D }, (_, o) => b[o] + v.reduce((a, vi, i) => a + W[o * D + i] * vi, 0));
  };
  const out: number[] = [];
  for (let b = 0; b < B; b++) {
    const rows = Array.from({ length: T }, (_, t) => xs.slice((b * T + t) * D, (b * T + t + 1) * D));
    const q = rows.map((r) => proj(m.qProj, r)), k = rows.map((r) => proj(m.kProj, r)), v = rows.map((r) => proj(m.vProj, r));
    for (let i = 0; i < T; i++) {
      const concat = new Array<number>(D).fill(0);
      for (let h = 0; h < H; h++) {
        const s = Array.from({ length: T }, (_, j) => {
          let d = 0;
          for (let e = 0; e < hd; e++) d += q[i][h * hd + e] * k[j][h * hd + e];
          return allowed(b, i, j) ? d / Math.sqrt(hd) : -Infinity;
        });
        const mx = Math.max(...s);
        const w = s.map((z) => Math.exp(z - mx));
        const z = w.reduce((a, c) => a + c, 0);
        for (let j = 0; j < T; j++) for (let e = 0; e < hd; e++) concat[h * hd + e] += (w[j] / z) * v[j][h * hd + e];
      }
      out.push(...proj(m.outProj, concat));
    }
  }
  return out;
}

describe('MultiHeadAttention', () => {
  const D = 8, H = 2, T = 5;
  const mk = (opts = {}) => own(new MultiHeadAttention(D, H, { generator: new pg.Generator(12), ...opts }));
  const x = pg.randn([2, T, D], { generator: new pg.Generator(13) });

  it('matches a plain-JS reference: full, causal, windowed and key-padded', () => {
    const m = mk();
    expect(m.forward(x).shape).toEqual([2, T, D]);
    const tol = { rtol: 1e-4, atol: 1e-5 };
    pg.testing.assertClose(m.forward(x), refAttention(m, x, () => true), tol);
    pg.testing.assertClose(m.forward(x, { causal: true }), refAttention(m, x, (_, i, j) => j <= i), tol);
    pg.testing.assertClose(m.forward(x, { window: 2 }), refAttention(m, x, (_, i, j) => Math.abs(i - j) < 2), tol);
    pg.testing.assertClose(m.forward(x, { causal: true, window: 2 }), refAttention(m, x, (_, i, j) => j <= i && i - j < 2), tol);
    const pad = pg.tensor([[false, false, false, true, true], [false, false, false, false, false]]);
    pg.testing.assertClose(m.forward(x, { keyPaddingMask: pad }), refAttention(m, x, (b, _, j) => !(b === 0 && j >= 3)), tol);
  });
  it('causal mask: changing future tokens does not change earlier outputs', () => {
    const m = mk({ causal: true });
    const y = arr(m.forward(x));
    const x2 = pg.cat([x.slice(1, 0, 3), pg.randn([2, 2, D], { generator: g })], 1); // new tokens 3, 4
    const y2 = arr(m.forward(x2));
    for (let b = 0; b < 2; b++)
      for (let t = 0; t < T; t++) {
        const a = y.slice((b * T + t) * D, (b * T + t + 1) * D), c = y2.slice((b * T + t) * D, (b * T + t + 1) * D);
        if (t < 3) expect(c).toEqual(a);
        else expect(c).not.toEqual(a);
      }
  });
  it('window mask: a token outside the window has no influence', () => {
    const m = mk({ window: 2 });
    const y = m.forward(x);
    const x2 = pg.cat([pg.randn([2, 1, D], { generator: g }), x.slice(1, 1, T)], 1); // change token 0
    const y2 = m.forward(x2);
    // query i sees keys with |i - j| < 2: only outputs 0 and 1 depend on token 0
    for (let t = 0; t < T; t++) {
      const same = pg.testing.allclose(y.select(1, t), y2.select(1, t), { rtol: 0, atol: 0 });
      expect(same).toBe(t >= 2);
    }
  });
  it('key padding mask: padded keys have no influence on any output; fully masked rows stay finite', () => {
    const m = mk();
    const pad = pg.tensor([[false, false, true, true, true], [false, true, false, true, false]]);
    const y = m.forward(x, { keyPaddingMask: pad });
    const noise = pg.randn([2, T, D], { generator: g }).mul(pad.unsqueeze(-1).float());
    const y2 = m.forward(x.add(noise), { keyPaddingMask: pad });
    // outputs at non-padded positions are unchanged (padded positions' own queries changed, of course)
    for (const [b, t] of [[0, 0], [0, 1], [1, 0], [1, 2], [1, 4]]) pg.testing.assertClose(y2.select(0, b).select(0, t), y.select(0, b).select(0, t), { rtol: 1e-6, atol: 1e-7 });
    const all = m.forward(x, { keyPaddingMask: pg.ones([2, T], { dtype: 'bool' }) });
    expect(arr(all).every(Number.isFinite)).toBe(true);
  });
  it('attentionMask builds boolean "not allowed" masks', () => {
    expect(attentionMask(3, 3, { causal: true })!.toArraySync()).toEqual([[false, true, true], [false, false, true], [false, false, false]]);
    expect(attentionMask(1, 3, { causal: true })!.toArraySync()).toEqual([[false, false, false]]); // last query sees all keys
    expect(attentionMask(3, 3, { window: 1 })!.toArraySync()).toEqual([[false, true, true], [true, false, true], [true, true, false]]);
    expect(attentionMask(2, 2, {})).toBeNull();
  });
  it('cross-attention takes key / value from another sequence', () => {
    const m = own(new MultiHeadAttention(4, 2, { kdim: 3, vdim: 3, generator: g }));
    const y = m.forward(pg.randn([2, 5, 4], { generator: g }), { key: pg.randn([2, 7, 3], { generator: g }) });
    expect(y.shape).toEqual([2, 5, 4]);
  });
  it('recordWeights keeps the attention weights of the last call (rows sum to 1, causal zeros)', () => {
    const m = mk({ causal: true });
    m.recordWeights = true;
    m.forward(x);
    const w = m.lastWeights!;
    expect(w.shape).toEqual([2, H, T, T]);
    pg.testing.assertClose(w.sum(-1), pg.ones([2, H, T]), { atol: 1e-6 });
    expect(w.select(2, 0).select(2, 1).abs().max().itemSync()).toBe(0);
    expect(Object.keys(m.stateDict())).not.toContain('lastWeights');
  });
  it('gradcheck with causal + window + key padding masks', () => {
    const m = own(new MultiHeadAttention(4, 2, { generator: new pg.Generator(14) }));
    const pad = pg.tensor([[false, false, true], [false, false, false]]);
    gradcheckModule(m, [r64(2, 3, 4)], (xx) => m.forward(xx, { causal: true, window: 2, keyPaddingMask: pad }));
  });
});

describe('TransformerBlock', () => {
  it('pre-LN residual structure, causal (no future leakage), gradcheck', () => {
    const b = own(new TransformerBlock(8, 2, { causal: true, generator: new pg.Generator(15) }));
    expect(b.fc1.weight.shape).toEqual([32, 8]);
    const x = pg.randn([1, 4, 8], { generator: g });
    const y = b.forward(x);
    expect(y.shape).toEqual([1, 4, 8]);
    // the block equals its definition
    const a = x.add(b.attn.forward(b.ln1.forward(x)));
    const want = a.add(b.fc2.forward(b.fc1.forward(b.ln2.forward(a)).gelu({ approximate: 'tanh' })));
    pg.testing.assertClose(y, want, { rtol: 1e-6, atol: 1e-7 });
    const x2 = pg.cat([x.slice(1, 0, 2), pg.randn([1, 2, 8], { generator: g })], 1);
    expect(arr(b.forward(x2).slice(1, 0, 2))).toEqual(arr(y.slice(1, 0, 2)));
    const small = own(new TransformerBlock(4, 2, { causal: true, mlpRatio: 2, generator: new pg.Generator(16) }));
    gradcheckModule(small, [r64(1, 3, 4)], (xx) => small.forward(xx));
  });
  it('post-LN with ReLU (normFirst: false, as nn.TransformerEncoderLayer) equals its definition; gradcheck', () => {
    const b = own(new TransformerBlock(8, 2, { normFirst: false, activation: 'relu', dimFeedforward: 12, generator: new pg.Generator(18) }));
    expect(b.fc1.weight.shape).toEqual([12, 8]);
    const x = pg.randn([2, 4, 8], { generator: g });
    const a = b.ln1.forward(x.add(b.attn.forward(x)));
    const want = b.ln2.forward(a.add(b.fc2.forward(b.fc1.forward(a).relu())));
    pg.testing.assertClose(b.forward(x), want, { rtol: 1e-6, atol: 1e-7 });
    const small = own(new TransformerBlock(4, 2, { normFirst: false, activation: 'gelu', mlpRatio: 2, layerNormEps: 1e-3, generator: new pg.Generator(19) }));
    expect(small.ln1.eps).toBe(1e-3);
    gradcheckModule(small, [r64(1, 3, 4)], (xx) => small.forward(xx));
    expect(() => new TransformerBlock(4, 2, { dimFeedforward: 0 })).toThrow(/TransformerBlock: dimFeedforward must be a positive integer, got 0/);
  });
  it('dropout is active in training and off in eval', () => {
    const b = own(new TransformerBlock(8, 2, { dropout: 0.5, generator: new pg.Generator(17) }));
    const x = pg.randn([1, 4, 8], { generator: g });
    expect(arr(b.forward(x))).not.toEqual(arr(b.forward(x)));
    b.eval();
    expect(arr(b.forward(x))).toEqual(arr(b.forward(x)));
  });
});

describe('init', () => {
  const stats = (t: pg.Tensor) => {
    const v = arr(t);
    const m = v.reduce((a, b) => a + b, 0) / v.length;
    return { m, sd: Math.sqrt(v.reduce((a, b) => a + (b - m) ** 2, 0) / v.length), max: Math.max(...v.map(Math.abs)) };
  };
  it('fans and gains', () => {
    expect(init.calculateFanInAndFanOut(pg.zeros([8, 4, 3, 3]))).toEqual({ fanIn: 36, fanOut: 72 });
    expect(init.calculateGain('relu')).toBeCloseTo(Math.SQRT2);
    expect(init.calculateGain('leaky_relu', Math.sqrt(5))).toBeCloseTo(Math.sqrt(1 / 3));
    expect(init.calculateGain('tanh')).toBeCloseTo(5 / 3);
    expect(() => init.kaimingUniform_(pg.zeros([3]))).toThrow(/at least 2 dims/);
  });
  it('kaiming / xavier uniform and normal have the right bounds and spreads', () => {
    const w = pg.zeros([200, 100]);
    init.kaimingUniform_(w, { nonlinearity: 'relu', generator: new pg.Generator(18) });
    let s = stats(w);
    expect(s.max).toBeLessThanOrEqual(Math.sqrt(6 / 100));
    expect(s.sd).toBeCloseTo(Math.sqrt(2 / 100), 2);
    init.kaimingNormal_(w, { mode: 'fanOut', generator: new pg.Generator(19) }); // leaky_relu a=0 -> gain sqrt 2
    expect(stats(w).sd).toBeCloseTo(Math.sqrt(2 / 200), 2);
    init.xavierUniform_(w, { generator: new pg.Generator(20) });
    s = stats(w);
    expect(s.max).toBeLessThanOrEqual(Math.sqrt(6 / 300));
    expect(s.sd).toBeCloseTo(Math.sqrt(2 / 300), 2);
    init.xavierNormal_(w, { gain: 2, generator: new pg.Generator(21) });
    expect(stats(w).sd).toBeCloseTo(2 * Math.sqrt(2 / 300), 2);
    own(w);
  });
  it('orthogonal_: orthonormal rows (wide) or columns (tall), scaled by gain', () => {
    for (const shape of [[3, 5], [6, 4], [4, 2, 2]]) {
      const w = own(pg.zeros(shape, { requiresGrad: true }));
      init.orthogonal_(w, { gain: 2, generator: new pg.Generator(22) });
      expect(w.requiresGrad).toBe(true);
      const m = w.reshape([shape[0], -1]).div(2);
      const gram = shape[0] <= m.shape[1] ? m.matmul(m.transpose(0, 1)) : m.transpose(0, 1).matmul(m);
      pg.testing.assertClose(gram, pg.eye(gram.shape[0]), { atol: 1e-5 });
    }
  });
  it('zeros_, ones_, constant_, normal_, uniform_, truncNormal_ (seeded) keep the tensor object', () => {
    const w = own(pg.zeros([1000], { requiresGrad: true }));
    expect(init.ones_(w)).toBe(w);
    expect(arr(w).every((v) => v === 1)).toBe(true);
    init.zeros_(w);
    expect(arr(w).every((v) => v === 0)).toBe(true);
    init.constant_(w, 3);
    expect(arr(w)[7]).toBe(3);
    init.normal_(w, 1, 0.5, { generator: new pg.Generator(23) });
    const s = stats(w);
    expect(s.m).toBeCloseTo(1, 1);
    expect(s.sd).toBeCloseTo(0.5, 1);
    const a = arr(w);
    init.normal_(w, 1, 0.5, { generator: new pg.Generator(23) });
    expect(arr(w)).toEqual(a);
    init.uniform_(w, -2, -1, { generator: new pg.Generator(24) });
    expect(arr(w).every((v) => v >= -2 && v < -1)).toBe(true);
    init.truncNormal_(w, { std: 1, a: -0.5, b: 0.5, generator: new pg.Generator(25) });
    expect(arr(w).every((v) => v >= -0.5 && v <= 0.5)).toBe(true);
    expect(w.requiresGrad && w.isLeaf).toBe(true);
  });
});
