// GPT: structure, causality, the loss and sequence log-probs, a gradcheck, learning a seeded
// Markov chain to within 0.1 nats of its exact entropy rate, and generate().
import { afterAll, describe, expect, it, vi } from 'vitest';
import * as pg from '../../src/index.js';
import { withTensors } from '../../src/nn/module.js';
import { GPT } from '../../src/nn/gpt.js';
import { crossEntropy } from '../../src/nn/losses.js';

// Generous limits: the suite runs in ~15 s on a quiet 2-core machine, but shared CI boxes can be 5x slower.
vi.setConfig({ testTimeout: 60_000 });
const arr = (t: pg.Tensor) => Array.from(t.dataSync());
// Models and optimizer state are disposed explicitly at the end of the file.
const owned: { dispose(): void }[] = [];
const own = <T extends { dispose(): void }>(x: T): T => (owned.push(x), x);
afterAll(() => owned.splice(0).forEach((x) => x.dispose()));

describe('GPT: structure', () => {
  const cfg = { vocabSize: 11, dModel: 16, nHeads: 2, nLayers: 2, maxLen: 8 };
  it('forward gives [B, T, V] logits; tied head by default, untied on request', () => {
    const m = own(new GPT({ ...cfg, generator: new pg.Generator(1) }));
    const ids = pg.randint(0, 11, [3, 8], { generator: new pg.Generator(2) });
    expect(m.forward(ids).shape).toEqual([3, 8, 11]);
    expect(m.forward(ids.slice(1, 0, 5).contiguous()).shape).toEqual([3, 5, 11]);
    expect(m.lmHead).toBeNull();
    const names = m.namedParameters().map(([n]) => n);
    expect(names.slice(0, 2)).toEqual(['tokEmb.weight', 'posEmb.weight']);
    expect(names).toContain('blocks.1.attn.qProj.weight');
    expect(names[names.length - 1]).toBe('lnF.bias');
    const untied = own(new GPT({ ...cfg, tieWeights: false, generator: new pg.Generator(1) }));
    expect(untied.numParameters() - m.numParameters()).toBe(11 * 16);
    expect(() => m.forward(pg.zeros([1, 9], { dtype: 'int32' }))).toThrow(/exceeds maxLen 8/);
    expect(() => m.forward(pg.zeros([1, 3]))).toThrow(/int32/);
  });
  it('GPT-2 init: N(0, 0.02) weights, residual projections scaled by 1/sqrt(2 nLayers), zero biases', () => {
    const m = own(new GPT({ vocabSize: 64, dModel: 64, nHeads: 2, nLayers: 2, maxLen: 64, generator: new pg.Generator(3) }));
    const sd = (t: pg.Tensor) => Math.sqrt(arr(t).reduce((a, v) => a + v * v, 0) / t.size);
    expect(sd(m.tokEmb.weight)).toBeCloseTo(0.02, 3);
    const b0 = m.blocks.at(0) as any;
    expect(sd(b0.fc1.weight)).toBeCloseTo(0.02, 3);
    expect(sd(b0.fc2.weight)).toBeCloseTo(0.01, 3);
    expect(arr(b0.fc1.bias).every((v: number) => v === 0)).toBe(true);
  });
  it('is causal: changing later tokens leaves earlier logits unchanged', () => {
    const m = own(new GPT({ ...cfg, generator: new pg.Generator(4) }));
    const a = pg.tensor([[1, 2, 3, 4, 5, 6]], { dtype: 'int32' }), b = pg.tensor([[1, 2, 3, 9, 9, 0]], { dtype: 'int32' });
    const la = m.forward(a), lb = m.forward(b);
    expect(arr(lb.slice(1, 0, 3))).toEqual(arr(la.slice(1, 0, 3)));
    expect(arr(lb.slice(1, 3, 4))).not.toEqual(arr(la.slice(1, 3, 4)));
  });
  it('loss() is crossEntropy of the logits; sequenceLogProb sums the continuation log-probs', () => {
    const m = own(new GPT({ ...cfg, generator: new pg.Generator(5) }));
    const ids = pg.randint(0, 11, [2, 7], { generator: new pg.Generator(6) });
    const x = ids.slice(1, 0, 6).contiguous(), y = ids.slice(1, 1, 7).contiguous();
    const logits = m.forward(x);
    pg.testing.assertClose(m.loss(x, y), crossEntropy(logits.reshape([-1, 11]), y.reshape([-1])), { rtol: 1e-6 });
    // by hand: sum_{t >= p} log softmax(logits[b, t-1])[ids[b, t]]
    const lp = logits.logSoftmax(-1), id = arr(ids);
    const manual = (b: number, p: number, upto = 7) => {
      let s = 0;
      for (let t = p; t < upto; t++) s += lp.select(0, b).select(0, t - 1).select(0, id[b * 7 + t]).itemSync();
      return s;
    };
    pg.testing.assertClose(m.sequenceLogProb(ids, { promptLen: 3 }), [manual(0, 3), manual(1, 3)], { rtol: 1e-5 });
    pg.testing.assertClose(m.sequenceLogProb(ids, { promptLen: [2, 5] }), [manual(0, 2), manual(1, 5)], { rtol: 1e-5 });
    const mask = pg.tensor([[1, 1, 1, 1, 1, 0, 0], [1, 1, 1, 1, 1, 1, 1]]);
    pg.testing.assertClose(m.sequenceLogProb(ids, { promptLen: 3, mask }), [manual(0, 3, 5), manual(1, 3)], { rtol: 1e-5 });
    // differentiable (DPO needs gradients)
    m.sequenceLogProb(ids, { promptLen: 2 }).sum().backward();
    expect(m.tokEmb.weight.grad).not.toBeNull();
    m.zeroGrad();
    expect(() => m.sequenceLogProb(ids, { promptLen: 0 })).toThrow(/promptLen/);
  });
  it('gradcheck of the loss with respect to every parameter (float64, tiny model)', () => {
    const m = own(new GPT({ vocabSize: 5, dModel: 4, nHeads: 2, nLayers: 1, maxLen: 4, mlpRatio: 2, generator: new pg.Generator(7) }).double());
    // larger weights than GPT-2's init, so that every path carries a visible gradient
    pg.noGrad(() => m.parameters().forEach((p) => p.assign_(p.add(pg.randn(p.shape, { dtype: 'float64', generator: new pg.Generator(8), std: 0.5 })))));
    const ids = pg.tensor([[1, 4, 2], [0, 3, 3]], { dtype: 'int32' }), tg = pg.tensor([[4, 2, 0], [3, 3, 1]], { dtype: 'int32' });
    const named = m.namedParameters();
    pg.testing.gradcheck((...ps) => withTensors(m, Object.fromEntries(named.map(([n], i) => [n, ps[i]])), () => m.loss(ids, tg)), named.map(([, p]) => p.detach()));
  });
});

// ---------------------------------------------------------------- a Markov chain to learn
const V = 8, T = 16;

/** A seeded first-order Markov chain over V tokens: each token has 3 possible successors. */
function makeChain(seed: number) {
  const u = pg.rand([V * 6], { generator: new pg.Generator(seed), dtype: 'float64' }).dataSync();
  const P: number[][] = [];
  for (let a = 0; a < V; a++) {
    const row = new Array<number>(V).fill(0);
    for (let k = 0; k < 3; k++) row[Math.floor(u[a * 6 + k] * V)] += 0.2 + u[a * 6 + 3 + k];
    const s = row.reduce((x, y) => x + y, 0);
    P.push(row.map((v) => v / s));
  }
  // stationary distribution (power iteration) and the exact entropy rate H = sum_a pi_a H(P_a)
  let pi = new Array<number>(V).fill(1 / V);
  for (let it = 0; it < 5000; it++) pi = pi.map((_, b) => pi.reduce((acc, pa, a) => acc + pa * P[a][b], 0));
  const H = pi.reduce((acc, pa, a) => acc - pa * P[a].reduce((h, p) => h + (p > 0 ? p * Math.log(p) : 0), 0), 0);
  const draw = (p: number[], x: number) => {
    let acc = 0;
    for (let i = 0; i < p.length; i++) if (x < (acc += p[i])) return i;
    return p.length - 1;
  };
  /** n stationary sequences of length T + 1, int32 [n, T + 1]. */
  const sample = (n: number, gen: pg.Generator): pg.Tensor => {
    const L = T + 1;
    const r = pg.tidy(() => pg.rand([n * L], { generator: gen, dtype: 'float64' }).dataSync());
    const out = new Int32Array(n * L);
    for (let s = 0; s < n; s++) {
      let a = draw(pi, r[s * L]);
      out[s * L] = a;
      for (let t = 1; t < L; t++) out[s * L + t] = a = draw(P[a], r[s * L + t]);
    }
    return pg.tensor(out, { dtype: 'int32', shape: [n, L] });
  };
  return { P, pi, H, sample };
}

describe('GPT learns a Markov chain to near its entropy rate, and generates from it', () => {
  const chain = makeChain(7);
  const model = own(new GPT({ vocabSize: V, dModel: 32, nHeads: 2, nLayers: 2, maxLen: T, tieWeights: false, generator: new pg.Generator(1) }));

  it('held-out cross-entropy within 0.1 nats of the exact entropy rate (inline Adam)', async () => {
    const t0 = performance.now();
    const params = model.parameters();
    // Adam (betas 0.9 / 0.99, bias-corrected), lr 1e-2 decaying linearly over the last half
    const m = params.map((p) => own(pg.keep(pg.zerosLike(p)))), v = params.map((p) => own(pg.keep(pg.zerosLike(p))));
    const steps = 160, B = 8, b1 = 0.9, b2 = 0.99;
    const adam = (step: number, lr: number) =>
      pg.noGrad(() =>
        params.forEach((p, i) => {
          const gr = p.grad!;
          m[i].assign_(m[i].mul(b1).add(gr.mul(1 - b1)));
          v[i].assign_(v[i].mul(b2).add(gr.square().mul(1 - b2)));
          const upd = m[i].div(1 - b1 ** step).div(v[i].div(1 - b2 ** step).sqrt().add(1e-8));
          p.assign_(p.sub(upd.mul(lr)));
        }),
      );
    const data = new pg.Generator(123);
    let last = 0;
    for (let step = 1; step <= steps; step++) {
      last = pg.tidy(() => {
        const ids = chain.sample(B, data);
        const loss = model.loss(ids.slice(1, 0, T).contiguous(), ids.slice(1, 1, T + 1).contiguous());
        loss.backward();
        adam(step, 1e-2 * Math.min(1, 2 * (1 - step / steps) + 0.05));
        model.zeroGrad();
        return loss.itemSync();
      });
      // let the test runner's worker answer its RPCs during a long synchronous loop on a busy machine
      if (step % 10 === 0) await new Promise((r) => setImmediate(r));
    }
    const trainS = (performance.now() - t0) / 1000;
    // held-out data from another seed; the true model's empirical cross-entropy on it shows the sampling noise
    const held = chain.sample(128, new pg.Generator(999));
    const ce = pg.tidy(() => pg.noGrad(() => model.eval().loss(held.slice(1, 0, T).contiguous(), held.slice(1, 1, T + 1).contiguous()).itemSync()));
    const h = arr(held);
    let trueCE = 0;
    for (let s = 0; s < 128; s++) for (let t = 1; t <= T; t++) trueCE -= Math.log(chain.P[h[s * (T + 1) + t - 1]][h[s * (T + 1) + t]]);
    trueCE /= 128 * T;
    console.log(`GPT on a Markov chain: entropy rate ${chain.H.toFixed(4)} nats, true model on held-out ${trueCE.toFixed(4)}, ` +
      `GPT held-out ${ce.toFixed(4)} (last train loss ${last.toFixed(4)}), ${steps} steps in ${trainS.toFixed(1)} s`);
    expect(ce - chain.H).toBeLessThan(0.1);
    expect(ce).toBeGreaterThan(chain.H - 0.05);
    model.train();
  }, 180_000);

  it('greedy (temperature 0) is deterministic and picks the argmax; topK 1 equals greedy', () => {
    model.eval();
    const prompt = pg.tensor([[0], [3], [5]], { dtype: 'int32' });
    const a = model.generate(prompt, { maxNewTokens: 6, temperature: 0 });
    expect(a.shape).toEqual([3, 7]);
    expect(arr(a.slice(1, 0, 1))).toEqual([0, 3, 5]);
    expect(arr(model.generate(prompt, { maxNewTokens: 6, temperature: 0 }))).toEqual(arr(a));
    const first = pg.noGrad(() => model.forward(prompt).select(1, -1).argmax(-1));
    expect(arr(a.select(1, 1))).toEqual(arr(first));
    const k1 = model.generate(prompt, { maxNewTokens: 6, topK: 1, generator: new pg.Generator(5) });
    expect(arr(k1)).toEqual(arr(a));
  });

  it('sampling is reproducible from the generator and follows the learned chain', () => {
    const prompt = pg.tensor([[0], [1], [2], [3], [4], [5], [6], [7]], { dtype: 'int32' });
    const s1 = model.generate(prompt, { maxNewTokens: 15, generator: new pg.Generator(42) });
    const s2 = model.generate(prompt, { maxNewTokens: 15, generator: new pg.Generator(42) });
    const s3 = model.generate(prompt, { maxNewTokens: 15, generator: new pg.Generator(43) });
    expect(arr(s2)).toEqual(arr(s1));
    expect(arr(s3)).not.toEqual(arr(s1));
    // transitions the chain allows (probability > 0) dominate the samples
    const s = arr(s1);
    let ok = 0, n = 0;
    for (let b = 0; b < 8; b++) for (let t = 1; t < 16; t++, n++) if (chain.P[s[b * 16 + t - 1]][s[b * 16 + t]] > 0) ok++;
    expect(ok / n).toBeGreaterThan(0.9);
    // a low temperature sharpens: more likely transitions than at temperature 1
    const cold = arr(model.generate(prompt, { maxNewTokens: 15, temperature: 0.3, topK: 3, generator: new pg.Generator(42) }));
    let okCold = 0;
    for (let b = 0; b < 8; b++) for (let t = 1; t < 16; t++) if (chain.P[cold[b * 16 + t - 1]][cold[b * 16 + t]] > 0) okCold++;
    expect(okCold).toBeGreaterThanOrEqual(ok);
  });

  it('logitsProcessor rewrites the logits at every step: a banned token never appears', () => {
    // ban the most frequent token under the stationary distribution
    const banned = chain.pi.indexOf(Math.max(...chain.pi));
    const steps: number[] = [];
    const prompt = pg.tensor([[0], [1], [2], [3], [4], [5], [6], [7]].filter(([x]) => x !== banned), { dtype: 'int32' });
    const out = model.generate(prompt, {
      maxNewTokens: 12,
      generator: new pg.Generator(7),
      logitsProcessor: (step, logits) => {
        steps.push(step);
        expect(logits.shape).toEqual([prompt.shape[0], V]);
        return logits.maskedFill(pg.arange(V).eq(banned), -Infinity);
      },
    });
    expect(steps).toEqual([...Array(12).keys()]);
    expect(arr(out).includes(banned)).toBe(false);
  });

  it('generates past maxLen by cropping the context', () => {
    const out = model.generate(pg.zeros([2, 10], { dtype: 'int32' }), { maxNewTokens: 10, temperature: 0 });
    expect(out.shape).toEqual([2, 20]);
    const p = pg.tensor([[1, 2]], { dtype: 'int32' });
    const same = model.generate(p, { maxNewTokens: 0 });
    expect(arr(same)).toEqual([1, 2]);
    expect(same).not.toBe(p);
  });
});
