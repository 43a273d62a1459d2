import { describe, expect, it } from 'vitest';
import * as pg from '../../src/autograd/index.js';
import { clipGradNorm } from '../../src/nn/utils.js';
import { welchTTest } from '../../src/nn/stats.js';
import { validateResult, type Result } from '../../src/experiment/index.js';
import { aggregateSeeds, CHECKS, multiAgent, runWith, SETTINGS, type Settings } from '../../src/papers/multi-agent/experiment.js';
import { checkSvg } from '../helpers/xml.js';
import { describeCheck, expectReadmeNamesChecks, expectSameChecks } from '../helpers/claims.js';
import {
  batchTerms,
  clipGradNormPerGroup,
  curveArea,
  importanceWeights,
  lbfConfig,
  PAPER_CONFIG,
  seacLoss,
  StackedMLP,
  TeamActorCritic,
  TeamLearner,
  type Method,
  type TrainConfig,
} from '../../src/papers/multi-agent/index.js';

// A small grid with one food and short episodes (6 steps), so that rollouts of 4 steps contain
// terminations, truncations and auto-resets.
const LBF = lbfConfig({ size: 5, food: 1, maxSteps: 6 });
const tiny = (method: Method, over: Partial<TrainConfig> = {}): TrainConfig => ({
  ...PAPER_CONFIG,
  method,
  numEnvs: 6,
  numSteps: 4,
  totalSteps: 480,
  hidden: [16, 16],
  lr: 3e-3,
  evalEvery: 240,
  evalEpisodes: 8,
  ...over,
});

const bits = (t: pg.Tensor): Uint32Array => new Uint32Array(Float32Array.from(t.dataSync() as Float32Array).buffer);

describe('multi-agent: networks', () => {
  it('StackedMLP: group g computes its own MLP; orthogonal layers (W Wᵀ = gain² I), zero biases', async () => {
    const g = new pg.Generator(4);
    const m = new StackedMLP(3, [5, 8, 2], { outGain: 0.5, generator: g });
    const x = pg.randn([1, 7, 5], { generator: g });
    const y = m.forward(x);
    expect(y.shape).toEqual([3, 7, 2]);
    for (let k = 0; k < 3; k++) {
      const w1 = m.weights[0]!.select(0, k), w2 = m.weights[1]!.select(0, k);
      const ref = x.select(0, 0).matmul(w1).relu().matmul(w2);
      const got = Array.from(await y.select(0, k).data()), want = Array.from(await ref.data());
      got.forEach((v, i) => expect(v).toBeCloseTo(want[i]!, 6));
      // First layer [in 5, out 8]: rows orthonormal up to gain √2; last [8, 2]: columns orthonormal up to 0.5.
      const g1 = Array.from(await w1.matmul(w1.transpose(0, 1)).data());
      g1.forEach((v, i) => expect(v).toBeCloseTo(i % 6 === 0 ? 2 : 0, 5));
      const g2 = Array.from(await w2.transpose(0, 1).matmul(w2).data());
      g2.forEach((v, i) => expect(v).toBeCloseTo(i % 3 === 0 ? 0.25 : 0, 5));
    }
    for (const b of m.biases) expect(Array.from(await b.data()).every((v) => v === 0)).toBe(true);
    expect(() => m.forward(pg.zeros([2, 7, 5]))).toThrow(/expected input \[3 or 1, rows, 5\], got \[2, 7, 5\]/);
  });

  it('clipGradNormPerGroup clips each group as pg.nn.clipGradNorm clips that group alone', async () => {
    const g = new pg.Generator(9);
    const a = pg.randn([3, 4, 2], { generator: g }).requiresGrad_(), b = pg.randn([3, 5], { generator: g }).requiresGrad_();
    a.grad = pg.keep(pg.randn([3, 4, 2], { generator: g }).mul(pg.tensor([[[0.1]], [[1]], [[3]]])));
    b.grad = pg.keep(pg.randn([3, 5], { generator: g }).mul(pg.tensor([[0.1], [1], [3]])));
    const refs = [0, 1, 2].map((k) => {
      const ra = a.select(0, k).detach().clone().requiresGrad_(), rb = b.select(0, k).detach().clone().requiresGrad_();
      ra.grad = pg.keep(a.grad!.select(0, k).clone());
      rb.grad = pg.keep(b.grad!.select(0, k).clone());
      return { norm: clipGradNorm([ra, rb], 1).itemSync(), ra, rb };
    });
    const norms = Array.from(await clipGradNormPerGroup([a, b], 1).data());
    expect(norms[0]).toBeLessThan(1); // the first group is left alone, the others are scaled down
    expect(norms[2]).toBeGreaterThan(1);
    for (let k = 0; k < 3; k++) {
      expect(norms[k]).toBeCloseTo(refs[k]!.norm, 5);
      const ga = Array.from(await a.grad!.select(0, k).data()), wa = Array.from(await refs[k]!.ra.grad!.data());
      ga.forEach((v, i) => expect(v).toBeCloseTo(wa[i]!, 6));
      const gb = Array.from(await b.grad!.select(0, k).data()), wb = Array.from(await refs[k]!.rb.grad!.data());
      gb.forEach((v, i) => expect(v).toBeCloseTo(wb[i]!, 6));
    }
  });
});

describe('multi-agent: SEAC', () => {
  it('with λ = 0, SEAC trains bit-identically to IAC (rollouts with terminations and truncations)', () => {
    const iac = new TeamLearner(LBF, tiny('iac'), 3);
    const seac0 = new TeamLearner(LBF, tiny('seac', { lambda: 0 }), 3);
    const seac1 = new TeamLearner(LBF, tiny('seac', { lambda: 1 }), 3);
    let truncations = 0, terminations = 0;
    for (let u = 0; u < 8; u++) {
      for (const l of [iac, seac0, seac1]) l.collect();
      for (const b of iac.buffers) for (let k = 0; k < b.size; k++) (truncations += b.truncated[k]!), (terminations += b.terminated[k]!);
      for (const l of [iac, seac0, seac1]) l.update();
    }
    expect(truncations).toBeGreaterThan(0);
    expect(terminations).toBeGreaterThan(0);
    iac.params.forEach((p, j) => expect(bits(seac0.params[j]!)).toEqual(bits(p)));
    // The shared term is live at λ = 1: the same start, different parameters afterwards.
    expect(iac.params.some((p, j) => bits(seac1.params[j]!).some((v, i) => v !== bits(p)[i]))).toBe(true);
    expect(seac0.meanWeights.length).toBe(8);
    for (const l of [iac, seac0, seac1]) l.dispose();
  });

  it('identical policies give importance weights of exactly 1, and shared terms equal the other agent’s own', async () => {
    const l = new TeamLearner(LBF, tiny('seac'), 5);
    // Every agent gets group 0's parameters.
    pg.noGrad(() => l.params.forEach((p) => p.assign_(p.narrow(0, 0, 1).expand(p.shape).contiguous())));
    l.collect();
    l.collect();
    const got = pg.tidy(() => {
      const { own, shared } = l.terms();
      const w = importanceWeights(shared!.logp, shared!.behaviourLogp);
      const swap = (t: pg.Tensor): pg.Tensor => t.flip(0); // two agents: group g's shared rows are agent 1 − g's
      return {
        w: Array.from(w.dataSync()),
        logp: [bits(shared!.logp), bits(swap(own.logp))],
        values: [bits(shared!.values), bits(swap(own.values))],
        returns: [bits(shared!.returns), bits(swap(own.returns))],
      };
    });
    expect(got.w.length).toBe(2 * 24);
    expect(got.w.every((v) => v === 1)).toBe(true);
    for (const [a, b] of [got.logp, got.values, got.returns]) expect(a).toEqual(b);
    // Different policies: weights move away from 1.
    const l2 = new TeamLearner(LBF, tiny('seac'), 5);
    l2.collect();
    const w2 = pg.tidy(() => {
      const { shared } = l2.terms();
      return Array.from(importanceWeights(shared!.logp, shared!.behaviourLogp).dataSync());
    });
    expect(w2.some((v) => Math.abs(v - 1) > 1e-4)).toBe(true);
    l.dispose();
    l2.dispose();
  });

  it('finite differences (float64) match the gradient of the SEAC loss with the ratio and advantages held constant', () => {
    const l = new TeamLearner(LBF, tiny('seac'), 7);
    l.collect();
    const net = new TeamActorCritic(2, l.env.obsSize, false, { hidden: [6], dtype: 'float64', generator: new pg.Generator(11) });
    // Move away from the initialisation (distinct agents, non-tiny logits and values).
    pg.noGrad(() => net.parameters().forEach((p, j) => p.assign_(p.add(pg.randn(p.shape, { dtype: 'float64', generator: new pg.Generator(100 + j) }).mul(0.1)))));
    const cross = { crossTrunc: l.crossTrunc, crossLast: l.crossLast };
    const coefs = { valueCoef: 0.5, entropyCoef: 0.01, lambda: 0.7 };
    const params = net.parameters();
    // Autograd at θ0, and the constants (ratio, advantages) at θ0.
    const frozen = pg.tidy(() => {
      const { own, shared } = batchTerms(net, l.buffers, 'seac', 0.99, cross);
      seacLoss(own, shared!, coefs).loss.backward();
      return pg.keep({
        w: importanceWeights(shared!.logp, shared!.behaviourLogp),
        advOwn: own.returns.sub(own.values).detach(),
        advShared: shared!.returns.sub(shared!.values).detach(),
      });
    });
    const f = (): number =>
      pg.tidy(() =>
        pg.noGrad(() => {
          const { own, shared } = batchTerms(net, l.buffers, 'seac', 0.99, cross);
          return seacLoss({ ...own, advantages: frozen.advOwn }, { ...shared!, weights: frozen.w, advantages: frozen.advShared }, coefs).loss.itemSync();
        }),
      );
    const h = 1e-6;
    let checked = 0, maxErr = 0;
    params.forEach((p, j) => {
      const grad = p.grad!.dataSync() as Float64Array;
      const base = Float64Array.from(p.dataSync() as Float64Array);
      for (let c = 0; c < base.length; c += Math.max(1, Math.floor(base.length / 7))) {
        const at = (v: number): number => {
          const x = Float64Array.from(base);
          x[c] = v;
          pg.noGrad(() => p.assign_(pg.tensor(x, { dtype: 'float64', shape: p.shape })));
          return f();
        };
        const fd = (at(base[c]! + h) - at(base[c]! - h)) / (2 * h);
        at(base[c]!);
        // Central differences in float64 with h = 1e-6 on losses of ~100 carry ~1e-8 of rounding error.
        const err = Math.abs(fd - grad[c]!) / Math.max(1, Math.abs(grad[c]!));
        maxErr = Math.max(maxErr, err);
        expect(err, `param ${j} [${c}]: fd ${fd} vs grad ${grad[c]}`).toBeLessThan(1e-6);
        checked++;
      }
    });
    expect(checked).toBeGreaterThan(40);
    expect(maxErr).toBeLessThan(1e-6);
    // The shared term matters: its λ changes the gradient.
    const g0 = params.map((p) => Float64Array.from(p.grad!.dataSync() as Float64Array));
    net.zeroGrad();
    pg.tidy(() => {
      const { own, shared } = batchTerms(net, l.buffers, 'seac', 0.99, cross);
      seacLoss(own, shared!, { ...coefs, lambda: 0 }).loss.backward();
    });
    expect(params.some((p, j) => (p.grad!.dataSync() as Float64Array).some((v, i) => Math.abs(v - g0[j]![i]!) > 1e-6))).toBe(true);
    l.dispose();
  });

  it('SNAC trains one shared group on every agent’s samples; curveArea is the trapezoid average', () => {
    const l = new TeamLearner(LBF, tiny('snac'), 2);
    expect(l.net.groups).toBe(1);
    l.collect();
    const shape = pg.tidy(() => l.terms().own.logp.shape);
    expect(shape).toEqual([1, 2 * 24]);
    l.update();
    l.dispose();
    expect(curveArea([{ step: 0, teamReturn: 0 }, { step: 10, teamReturn: 1 }, { step: 30, teamReturn: 1 }])).toBeCloseTo((5 + 20) / 30, 12);
  });
});

describe('multi-agent: the experiment (tiny settings, one seed) and the across-seed claims', () => {
  const TINY: Settings = {
    train: { ...SETTINGS.quick.train, numEnvs: 4, hidden: [8, 8], evalEpisodes: 4 },
    steps: { standard: 400, coop: 400 },
    evalPoints: 2,
    randomEpisodes: 50,
    finalPoints: 2,
  };
  let result: Result;
  it('runs: tables, curves per method with the random line, the rendered episode, SEAC weights', async () => {
    const fractions: number[] = [];
    result = validateResult(await runWith(TINY, { seed: 1, onProgress: (f) => fractions.push(f) }), 'multi-agent');
    expect(fractions.length).toBeGreaterThan(4);
    expect(fractions.every((f) => f >= 0 && f <= 1)).toBe(true);
    expect(result.tables.map((t) => t.name.split(' ')[0])).toEqual(['standard', 'coop']);
    for (const t of result.tables) expect(t.rows.map((r) => r[0])).toEqual(['IAC', 'SNAC', 'SEAC', 'random team']);
    const names = result.series.map((s) => s.name);
    expect(names).toEqual(['eval-standard', 'eval-coop', 'episode-seac-standard', 'importance-weights-standard', 'importance-weights-coop']);
    const curve = result.series[0]!;
    if (curve.kind !== 'line') throw new Error('kind');
    expect(curve.data.series.map((l) => l.name)).toEqual(['IAC', 'SNAC', 'SEAC', 'random']);
    expect(curve.data.series[0]!.x).toEqual([0, 200, 400]); // evaluations at 0, every 400 / 2 steps (20 per update), the end
    const ep = result.series[2]!;
    if (ep.kind !== 'svg') throw new Error('kind');
    checkSvg(ep.data.svg);
  }, 120_000);

  it('checks every declared claim, finding and sanity identity (per seed and over seeds); the README names them; the identities hold', () => {
    expectSameChecks(result, multiAgent);
    expectReadmeNamesChecks('multi-agent', multiAgent);
    for (const c of result.sanity!) expect(c.pass, describeCheck(c)).toBe(true);
  });

  it('aggregate: Welch test across seeds; with one seed the sign of SEAC − IAC, said so', () => {
    const fake = (seed: number, seacStd: number, seacCoop: number): { seed: number; result: Result } => ({
      seed,
      result: {
        ...result,
        tables: (['standard', 'coop'] as const).map((task) => ({
          name: `${task} task`,
          columns: ['method', 'area'],
          rows: [['IAC', 0.2 + 0.01 * seed], ['SNAC', 0.25], ['SEAC', task === 'standard' ? seacStd : seacCoop]],
        })),
      },
    });
    const runs = [fake(0, 0.3, 0.02), fake(1, 0.32, 0.01), fake(2, 0.29, 0.03)];
    const agg = aggregateSeeds(runs);
    expect(agg.claims.map((c) => c.name)).toEqual([CHECKS.seacBeatsIac('standard')]);
    const std = agg.claims[0]!;
    // Against scipy-style Welch on the same numbers.
    const w = welchTTest([0.3, 0.32, 0.29], [0.2, 0.21, 0.22], 'greater');
    expect(std.value).toBe(w.p);
    expect(std.pass).toBe(true);
    expect(std.detail).toMatch(/one-sided Welch t = .* p = /);
    const coop = agg.findings.find((c) => c.name === CHECKS.seacBeatsIac('coop'))!;
    expect(coop.pass).toBe(false); // SEAC far below IAC there
    const margin = agg.findings.find((c) => c.name === CHECKS.coopMargin)!;
    expect(margin.pass).toBe(false);
    const one = aggregateSeeds([fake(0, 0.3, 0.02)]);
    expect(one.claims[0]!.comparison).toBe('>');
    expect(one.claims[0]!.value).toBeCloseTo(0.1, 12);
    expect(one.claims[0]!.detail).toMatch(/needs ≥ 2 seeds/);
  });
});
