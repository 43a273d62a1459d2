import { beforeAll, describe, expect, it } from 'vitest';
import * as pg from '../../src/autograd/index.js';
import type { Result } from '../../src/experiment/node.js';
import { validateResult } from '../../src/experiment/node.js';
import * as il from '../../src/papers/iterated-learning/index.js';
import * as nn from '../../src/papers/iterated-learning/neural.js';
import { FINDING, iteratedLearning } from '../../src/papers/iterated-learning/experiment.js';
import { claimNamed, describeCheck, expectReadmeNamesChecks, expectSameChecks } from '../helpers/claims.js';

const arr = (t: pg.Tensor): Float64Array => Float64Array.from(t.dataSync());

// First in the file, so that no garbage of other tests is around when the tensor count is taken.
describe('iterated-learning experiment (quick, seed 0)', () => {
  let result: Result;
  let leaked = 0;
  beforeAll(async () => {
    const before = pg.memory().tensors;
    result = validateResult(await iteratedLearning.run({ seed: 0, seeds: [0], mode: 'quick', device: 'cpu', onProgress: () => {} }), 'iterated-learning');
    leaked = pg.memory().tensors - before;
  }, 600_000);

  it('declares a check for every claim, sanity check and finding and nothing else; the README names them', () => {
    expectSameChecks(result, iteratedLearning);
    expectReadmeNamesChecks('iterated-learning', iteratedLearning);
  });

  for (const spec of [...iteratedLearning.claims, ...(iteratedLearning.sanity ?? [])]) {
    it(`${spec.name}`, () => {
      const c = claimNamed([...result.claims, ...(result.sanity ?? [])], spec.name);
      expect(c.pass, describeCheck(c)).toBe(true);
    });
  }

  it('measures the GPT bias finding, and the aggregate states it on the mean over seeds', () => {
    const f = claimNamed(result.findings ?? [], FINDING.gptBiasAmplified);
    expect(Number.isFinite(f.value)).toBe(true);
    const agg = iteratedLearning.aggregate!([{ seed: 0, result }, { seed: 1, result: { ...result, findings: [{ ...f, value: f.value + 0.1 }] } }], { mode: 'quick', device: 'cpu', seeds: [0, 1] });
    const over = (Array.isArray(agg) ? [] : agg.findings ?? []).find((c) => c.name === FINDING.gptBiasAmplifiedOverSeeds)!;
    // Two values v and v + 0.1: mean v + 0.05, 95% interval half-width t(1)·s/√2 = 12.706·0.0707/1.414 = 0.635.
    expect(over.value).toBeCloseTo(f.value + 0.05 - 12.706 * (0.1 / Math.SQRT2) / Math.SQRT2, 6);
  });

  it('writes the figures and tables', () => {
    expect(result.series.map((s) => s.name)).toEqual(
      expect.arrayContaining(['class-mass', 'degenerate-mass-over-generations', 'monte-carlo-vs-exact', 'gpt-bias', 'gpt-entropy']),
    );
    const gpt = result.tables.find((t) => t.name.startsWith('GPT generations'))!;
    expect(gpt.rows.length).toBe(6);
  });

  it('frees every tensor it creates', () => {
    expect(leaked).toBe(0);
  });
});

describe('hypotheses, code length and prior', () => {
  it('encodes and decodes the 256 maps', () => {
    for (let h = 0; h < il.NUM_HYPOTHESES; h++) expect(il.encodeHypothesis(il.hypothesisNames(h))).toBe(h);
    expect(il.hypothesisNames(0)).toEqual([0, 0, 0, 0]);
    expect(il.hypothesisNames(il.encodeHypothesis([0, 1, 2, 3]))).toEqual([0, 1, 2, 3]);
  });

  it('has 4 degenerate, 8 systematic, 228 other and 16 holistic languages', () => {
    const count = (c: il.HypothesisClass) => il.HYPOTHESIS_CLASS.filter((x) => x === c).length;
    expect([count('degenerate'), count('systematic'), count('other'), count('holistic')]).toEqual([4, 8, 228, 16]);
    // 24 bijections = systematic + holistic; H_eff is exactly those.
    expect(il.bijectiveSet().filter(Boolean).length).toBe(24);
  });

  it('classifies hand-picked languages', () => {
    expect(il.classify(il.encodeHypothesis([2, 2, 2, 2]))).toBe('degenerate');
    expect(il.classify(il.encodeHypothesis([0, 1, 2, 3]))).toBe('systematic'); // identity: n = o
    expect(il.classify(il.encodeHypothesis([0, 2, 1, 3]))).toBe('systematic'); // bit swap: (a, b) -> (b, a)
    expect(il.classify(il.encodeHypothesis([3, 2, 1, 0]))).toBe('systematic'); // n = o xor 3
    expect(il.classify(il.encodeHypothesis([0, 1, 3, 2]))).toBe('holistic'); // not affine over GF(2)^2 with P in {I, swap}
    expect(il.classify(il.encodeHypothesis([0, 0, 1, 1]))).toBe('other');
    expect(il.classify(il.encodeHypothesis([0, 1, 2, 2]))).toBe('other');
  });

  it('orders code length degenerate < systematic < other < holistic', () => {
    expect(il.codelength(il.encodeHypothesis([1, 1, 1, 1]))).toBe(1);
    expect(il.codelength(il.encodeHypothesis([0, 1, 2, 3]))).toBe(2);
    expect(il.codelength(il.encodeHypothesis([0, 0, 1, 1]))).toBe(3); // lexicon of 2 names + table
    expect(il.codelength(il.encodeHypothesis([0, 1, 2, 2]))).toBe(4);
    expect(il.codelength(il.encodeHypothesis([0, 1, 3, 2]))).toBe(5);
    const range = (c: il.HypothesisClass) => {
      const v = Array.from({ length: 256 }, (_, h) => h).filter((h) => il.HYPOTHESIS_CLASS[h] === c).map(il.codelength);
      return [Math.min(...v), Math.max(...v)];
    };
    const order: il.HypothesisClass[] = ['degenerate', 'systematic', 'other', 'holistic'];
    for (let i = 0; i + 1 < order.length; i++) expect(range(order[i]!)[1]!).toBeLessThan(range(order[i + 1]!)[0]!);
  });

  it('prior ∝ exp(−1.5 · codelength), float64, sums to 1', () => {
    const p = il.makePrior();
    expect(p.dtype).toBe('float64');
    const a = arr(p);
    expect(a.reduce((s, x) => s + x, 0)).toBeCloseTo(1, 13);
    const deg = il.encodeHypothesis([0, 0, 0, 0]), sys = il.encodeHypothesis([0, 1, 2, 3]), hol = il.encodeHypothesis([0, 1, 3, 2]);
    expect(a[deg]! / a[sys]!).toBeCloseTo(Math.exp(1.5), 12);
    expect(a[sys]! / a[hol]!).toBeCloseTo(Math.exp(4.5), 10);
    // Z = 4e^-1.5 + 8e^-3 + 84e^-4.5 + 144e^-6 + 16e^-7.5 (84 maps use exactly 2 names, 144 exactly 3).
    const Z = 4 * Math.exp(-1.5) + 8 * Math.exp(-3) + 84 * Math.exp(-4.5) + 144 * Math.exp(-6) + 16 * Math.exp(-7.5);
    expect(a[deg]!).toBeCloseTo(Math.exp(-1.5) / Z, 14);
    p.dispose();
  });
});

describe('data model', () => {
  it('enumerates multisets of pairs with multiplicities', () => {
    const d2 = il.enumerateDatasets(2);
    expect(d2.pairs.length).toBe(136); // C(17, 2)
    expect(d2.multiplicity.reduce((s, x) => s + x, 0)).toBe(256);
    const d3 = il.enumerateDatasets(3);
    expect(d3.pairs.length).toBe(816); // C(18, 3)
    expect(d3.multiplicity.reduce((s, x) => s + x, 0)).toBe(4096);
  });

  it('P(d | h) matches a hand computation and sums to 1 over d', () => {
    const L = il.makeLikelihood({ M: 2 });
    const probs = arr(L.probs);
    const h = il.encodeHypothesis([0, 1, 2, 3]);
    const i = L.datasets.findIndex((d) => d[0] === il.pairIndex(0, 0) && d[1] === il.pairIndex(1, 1));
    expect(probs[i * 256 + h]!).toBeCloseTo(2 * (0.25 * 0.95) ** 2, 15);
    const j = L.datasets.findIndex((d) => d[0] === il.pairIndex(0, 3) && d[1] === il.pairIndex(0, 3));
    expect(probs[j * 256 + h]!).toBeCloseTo((0.25 * 0.05 / 3) ** 2, 18);
    for (let hh = 0; hh < 256; hh += 17) {
      let s = 0;
      for (let d = 0; d < L.datasets.length; d++) s += probs[d * 256 + hh]!;
      expect(s).toBeCloseTo(1, 13);
    }
    il.disposeLikelihood(L);
  });
});

describe('transition matrices and stationary distributions', () => {
  it('Q for M = 1 sampling matches the closed form Σ_k P(k|h) P0(h′)P(k|h′) / Σ_g P0(g)P(k|g)', () => {
    const prior = il.makePrior();
    const P0 = arr(prior);
    const L = il.makeLikelihood({ M: 1 });
    const Q = arr(il.transitionMatrix({ prior, likelihood: L, agent: 'sample' }));
    const pk = il.pairProbabilities(0.05);
    for (const [h, h2] of [[0, 0], [0, 27], [228, 5], [100, 200]] as const) {
      let q = 0;
      for (let k = 0; k < 16; k++) {
        let z = 0;
        for (let g = 0; g < 256; g++) z += P0[g]! * pk[k * 256 + g]!;
        q += (pk[k * 256 + h]! * P0[h2]! * pk[k * 256 + h2]!) / z;
      }
      expect(Q[h * 256 + h2]!).toBeCloseTo(q, 14);
    }
    for (let h = 0; h < 256; h++) expect(Q.subarray(h * 256, h * 256 + 256).reduce((s, x) => s + x, 0)).toBeCloseTo(1, 13);
    prior.dispose();
    il.disposeLikelihood(L);
  });

  it('stationaryDistribution solves a 2-state chain exactly', () => {
    const a = 0.3, b = 0.1;
    const pi = arr(il.stationaryDistribution(pg.tensor([[1 - a, a], [b, 1 - b]], { dtype: 'float64', device: 'cpu' })));
    expect(pi[0]!).toBeCloseTo(b / (a + b), 15);
    expect(pi[1]!).toBeCloseTo(a / (a + b), 15);
  });

  it('detailed balance holds for a reversible chain and fails for a rotating one', () => {
    const Qrev = pg.tensor([[0.5, 0.5, 0], [0.25, 0.5, 0.25], [0, 0.5, 0.5]], { dtype: 'float64', device: 'cpu' });
    const pr = il.stationaryDistribution(Qrev);
    expect(il.detailedBalanceViolation(pr, Qrev)).toBeLessThan(1e-15);
    const Qrot = pg.tensor([[0.1, 0.9, 0], [0, 0.1, 0.9], [0.9, 0, 0.1]], { dtype: 'float64', device: 'cpu' });
    const pc = arr(il.stationaryDistribution(Qrot));
    for (const v of pc) expect(v).toBeCloseTo(1 / 3, 14);
    expect(il.detailedBalanceViolation(pc, Qrot)).toBeGreaterThan(1);
  });

  it('the MAP learner splits ties uniformly', () => {
    const lp = pg.tensor([[-1, -1, -3, -1 - 1e-3]], { dtype: 'float64', device: 'cpu' });
    expect(Array.from(il.learnerResponse(lp, 'map').dataSync())).toEqual([0.5, 0.5, 0, 0]);
  });

  it('sampling chains keep the prior; MAP chains concentrate on degenerate languages', () => {
    const prior = il.makePrior();
    const P0 = arr(prior);
    const L = il.makeLikelihood({ M: 2 });
    const pis = arr(il.stationaryDistribution(il.transitionMatrix({ prior, likelihood: L, agent: 'sample' })));
    expect(il.l1(pis, P0)).toBeLessThan(1e-12);
    const pim = arr(il.stationaryDistribution(il.transitionMatrix({ prior, likelihood: L, agent: 'map' })));
    expect(il.classMass(pim).degenerate).toBeGreaterThan(2 * il.classMass(P0).degenerate);
    prior.dispose();
    il.disposeLikelihood(L);
  });

  it('runChains is a pure function of its generator', () => {
    const prior = il.makePrior();
    const opts = { prior, M: 2, agent: 'sample' as const, chains: 50, burnIn: 2, record: 3 };
    const a = il.runChains({ ...opts, generator: new pg.Generator(3) });
    const b = il.runChains({ ...opts, generator: new pg.Generator(3) });
    const c = il.runChains({ ...opts, generator: new pg.Generator(4) });
    expect(Array.from(a.histogram)).toEqual(Array.from(b.histogram));
    expect(Array.from(a.histogram)).not.toEqual(Array.from(c.histogram));
    expect(a.histogram.reduce((s, x) => s + x, 0)).toBeCloseTo(1, 12);
    expect(a.samples).toBe(150);
    prior.dispose();
  });
});

describe('neural tier helpers', () => {
  it('toy language: probabilities sum to 1, bias 0.55 exactly, uniform language has entropy log 4', () => {
    const lang = nn.makeToyLanguage();
    const p = nn.languageProbs(lang);
    expect(p.reduce((s, x) => s + x, 0)).toBeCloseTo(1, 14);
    expect(nn.languageStats(lang, p).bias).toBeCloseTo(0.55, 14);
    const flat = nn.makeToyLanguage(0.5, 0);
    expect(nn.languageStats(flat, nn.languageProbs(flat)).entropy).toBeCloseTo(Math.log(4), 14);
  });

  it('sentenceFrequencies counts distinct sentences', () => {
    const lang = nn.makeToyLanguage();
    const f = nn.sentenceFrequencies(lang, [0, 0, 0, 3, 3, 3, 0, 0, 0, 1, 2, 3]);
    expect(f[0]).toBe(0.5);
    expect(f[63]).toBe(0.25);
    expect(f[1 * 16 + 2 * 4 + 3]).toBe(0.25);
  });

  it('GPT sentence probabilities are normalised and match GPT.generate samples', async () => {
    const lang = nn.makeToyLanguage();
    const model = nn.makeGPT(lang, nn.GPT_DEFAULTS, 0, 'cpu');
    const g = new pg.Generator(1);
    const data = nn.sampleLanguage(lang, 500, g);
    await nn.trainGPT(model, lang, data, { ...nn.GPT_DEFAULTS, steps: 15, lr: 0.05 });
    for (const T of [1, 0.5]) {
      const p = await nn.gptSentenceProbs(model, lang, T);
      expect(p.reduce((s, x) => s + x, 0)).toBeCloseTo(1, 6);
      const s = await nn.sampleGPT(model, lang, 4000, T, g);
      // 4000 sentences x 3 tokens: the sample fraction of preferred words is within ~4 s.e. of the exact one.
      expect(Math.abs(nn.empiricalBias(lang, s.dataSync()) - nn.languageStats(lang, p).bias)).toBeLessThan(0.03);
      s.dispose();
    }
    data.dispose();
    model.dispose();
  }, 120_000);
});
