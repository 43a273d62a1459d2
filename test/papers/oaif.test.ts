// OAIF (Guo et al. 2024): the DPO / IPO / SLiC losses against their closed forms and gradchecks,
// the annotator interface, the closed-form optima, the two tiers' building blocks, and every
// claim of the experiment (quick mode, seed 0).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as pg from '../../src/index.js';
import { validateResult, type Result } from '../../src/experiment/node.js';
import {
  annotatePairs,
  btAnnotator,
  dpoLoss,
  flippedAnnotator,
  ipoLoss,
  klRegularisedOptimum,
  lengthPenaltyFor,
  logRatioMargin,
  randomAnnotator,
  slicLoss,
  type PreferenceLoss,
} from '../../src/papers/oaif/index.js';
import {
  TABULAR,
  closedFormOptimum,
  disposeEnv,
  drawIndex,
  makeTabularEnv,
  meanKL,
  meanLength,
  offlineDataset,
  onlineIpoFixedPoint,
  preferenceMatrix,
  tabularAnnotator,
  winRate,
  type TabularEnv,
} from '../../src/papers/oaif/tabular.js';
import { GPT_TIER, EOS, answerQuality, encode, gptAnnotator, wordToken } from '../../src/papers/oaif/gpt-tier.js';
import { CLAIM, oaif, SANITY, THRESHOLDS } from '../../src/papers/oaif/experiment.js';
import { claimNamed, describeCheck, expectReadmeNamesChecks, expectSameChecks } from '../helpers/claims.js';

const f64 = (xs: number[]) => pg.tensor(xs, { dtype: 'float64' });
const arr = (t: pg.Tensor) => Array.from(t.dataSync() as ArrayLike<number>);
const sig = (z: number) => 1 / (1 + Math.exp(-z));

// Four pairs of log-probabilities (policy chosen, policy rejected, ref chosen, ref rejected).
const PC = [-1.2, -3.0, -0.4, -2.2], PR = [-2.5, -1.1, -0.9, -2.0], RC = [-1.5, -2.0, -0.7, -1.0], RR = [-2.0, -1.6, -1.3, -2.6];
const H = PC.map((_, i) => PC[i]! - RC[i]! - (PR[i]! - RR[i]!));

describe('losses: closed forms', () => {
  const cases: [string, PreferenceLoss, (h: number, b: number) => number][] = [
    ['dpoLoss = −log σ(βh)', dpoLoss, (h, b) => -Math.log(sig(b * h))],
    ['ipoLoss = (h − 1/(2β))²', ipoLoss, (h, b) => (h - 1 / (2 * b)) ** 2],
    ['slicLoss = max(0, 1 − βh)', slicLoss, (h, b) => Math.max(0, 1 - b * h)],
  ];
  for (const [name, fn, closed] of cases)
    it(name, () => {
      for (const beta of [0.1, 0.5, 2]) {
        const per = fn(f64(PC), f64(PR), f64(RC), f64(RR), beta, { reduction: 'none' });
        pg.testing.assertClose(per, H.map((h) => closed(h, beta)), { rtol: 1e-12, atol: 1e-12 });
        const mean = H.reduce((a, h) => a + closed(h, beta), 0) / H.length;
        expect(fn(f64(PC), f64(PR), f64(RC), f64(RR), beta).itemSync()).toBeCloseTo(mean, 12);
        expect(fn(f64(PC), f64(PR), f64(RC), f64(RR), beta, { reduction: 'sum' }).itemSync()).toBeCloseTo(mean * H.length, 11);
      }
    });
  it('logRatioMargin is h = (log π(y⁺) − log π_ref(y⁺)) − (log π(y⁻) − log π_ref(y⁻))', () => {
    pg.testing.assertClose(logRatioMargin(f64(PC), f64(PR), f64(RC), f64(RR)), H, { rtol: 1e-12, atol: 1e-14 });
  });
  it('DPO at h = 0 is log 2; IPO at h = 1/(2β) and SLiC at h ≥ 1/β are 0; DPO is finite for huge margins', () => {
    const z = f64([-1]);
    expect(dpoLoss(z, z, z, z, 0.3).itemSync()).toBeCloseTo(Math.log(2), 14);
    expect(ipoLoss(f64([0.5]), f64([0]), f64([0]), f64([0]), 1).itemSync()).toBe(0);
    expect(slicLoss(f64([2.5]), f64([0]), f64([0]), f64([0]), 0.5).itemSync()).toBe(0);
    expect(dpoLoss(f64([-2000]), f64([0]), f64([0]), f64([0]), 1).itemSync()).toBeCloseTo(2000, 8);
    expect(dpoLoss(f64([2000]), f64([0]), f64([0]), f64([0]), 1).itemSync()).toBe(0);
  });
  it('validates shapes and β', () => {
    expect(() => dpoLoss(f64([1, 2]), f64([1]), f64([1]), f64([1]), 1)).toThrow(/one shape/);
    expect(() => ipoLoss(f64([1]), f64([1]), f64([1]), f64([1]), 0)).toThrow(/beta/);
    expect(() => slicLoss(f64([1]), f64([1]), f64([1]), f64([1]), -1)).toThrow(/beta/);
  });
  it('keeps float32 inputs in float32', () => {
    const t = pg.tensor(PC);
    expect(dpoLoss(t, t, t, t, 1).dtype).toBe('float32');
  });
});

describe('losses: gradients', () => {
  const beta = 0.7;
  for (const [name, fn] of [['dpo', dpoLoss], ['ipo', ipoLoss], ['slic', slicLoss]] as const)
    it(`${name}: gradcheck w.r.t. the policy log-probabilities (float64, away from the hinge)`, () => {
      // SLiC's kink is at βh = 1; these margins stay clear of it (h = 0.8, −1.5, −0.1, −1.8, so βh < 0.6).
      pg.testing.gradcheck((pc, pr) => fn(pc, pr, f64(RC), f64(RR), beta, { reduction: 'sum' }), [f64(PC), f64(PR)]);
    });
  it('the closed-form DPO gradient: ∂ℓ/∂log π(y⁺) = −β σ(−βh)/N = −∂ℓ/∂log π(y⁻)', () => {
    const pc = f64(PC).requiresGrad_(), pr = f64(PR).requiresGrad_();
    dpoLoss(pc, pr, f64(RC), f64(RR), beta).backward();
    const want = H.map((h) => (-beta * sig(-beta * h)) / H.length);
    pg.testing.assertClose(pc.grad!, want, { rtol: 1e-12, atol: 1e-15 });
    pg.testing.assertClose(pr.grad!, want.map((v) => -v), { rtol: 1e-12, atol: 1e-15 });
  });
  it('IPO and SLiC closed-form gradients', () => {
    const pc = f64(PC).requiresGrad_();
    ipoLoss(pc, f64(PR), f64(RC), f64(RR), beta, { reduction: 'sum' }).backward();
    pg.testing.assertClose(pc.grad!, H.map((h) => 2 * (h - 1 / (2 * beta))), { rtol: 1e-12, atol: 1e-14 });
    const qc = f64(PC).requiresGrad_();
    slicLoss(qc, f64(PR), f64(RC), f64(RR), beta, { reduction: 'sum' }).backward();
    pg.testing.assertClose(qc.grad!, H.map((h) => (beta * h < 1 ? -beta : 0)), { rtol: 1e-12, atol: 1e-14 });
  });
  it('the reference is frozen: no gradient reaches the reference log-probabilities', () => {
    const rc = f64(RC).requiresGrad_(), rr = f64(RR).requiresGrad_(), pc = f64(PC).requiresGrad_();
    for (const fn of [dpoLoss, ipoLoss, slicLoss]) {
      const [gp, gr1, gr2] = pg.grad((a: pg.Tensor, b: pg.Tensor, c: pg.Tensor) => fn(a, f64(PR), b, c, 0.5), [0, 1, 2])(pc, rc, rr) as pg.Tensor[];
      expect(arr(gp!).some((v) => v !== 0)).toBe(true);
      for (const g of [gr1, gr2]) expect(g === null || g === undefined || arr(g).every((v) => v === 0)).toBe(true);
    }
  });
});

describe('annotator: (prompt, a, b) -> preference', () => {
  const quality = (_p: number, y: number) => [1.0, 1.4][y]!; // response 1 is better ...
  const length = (_p: number, y: number) => [3, 10][y]!; // ... and much longer
  const pen = { helpful: 0, short: 0.15 };
  it('the instruction sets the length penalty', () => {
    expect(lengthPenaltyFor('helpful', pen)).toBe(0);
    expect(lengthPenaltyFor('Be helpful and short.', pen)).toBe(0.15);
    expect(lengthPenaltyFor('helpful and concise', pen)).toBe(0.15);
    expect(() => lengthPenaltyFor('funny', pen)).toThrow(/instruction/);
  });
  it('"helpful" prefers the better long answer, "helpful and short" the short one; frequencies are Bradley–Terry', () => {
    const g = new pg.Generator(5);
    const help = btAnnotator({ instruction: 'helpful', quality, length, generator: g, penalties: pen });
    const short = btAnnotator({ instruction: 'helpful and short', quality, length, generator: g, penalties: pen });
    expect(help.probability(0, 1, 0)).toBeCloseTo(sig(0.4), 14);
    expect(short.probability(0, 1, 0)).toBeCloseTo(sig(0.4 - 0.15 * 7), 14);
    const n = 4000;
    for (const [ann, p] of [[help, sig(0.4)], [short, sig(0.4 - 1.05)]] as const) {
      let wins = 0;
      for (let i = 0; i < n; i++) if (ann(0, 1, 0) === 0) wins++;
      expect(Math.abs(wins / n - p)).toBeLessThan(4 * Math.sqrt((p * (1 - p)) / n));
    }
    expect(help.probability(0, 1, 0)).toBeGreaterThan(0.5);
    expect(short.probability(0, 1, 0)).toBeLessThan(0.5);
  });
  it('random and flipped annotators; annotatePairs orders pairs by the verdict', () => {
    const g = new pg.Generator(6);
    const rnd = randomAnnotator<number, number>(g);
    let a = 0;
    for (let i = 0; i < 4000; i++) a += rnd(0, 0, 1) === 0 ? 1 : 0;
    expect(Math.abs(a / 4000 - 0.5)).toBeLessThan(4 * Math.sqrt(0.25 / 4000));
    const always = (_p: number, x: number, y: number) => (x > y ? 0 : 1) as 0 | 1; // prefers the larger index
    const flip = flippedAnnotator(always);
    expect(flip(0, 3, 1)).toBe(1);
    expect(flip(0, 1, 3)).toBe(0);
    expect(annotatePairs(always, [0, 0], [3, 1], [1, 3])).toEqual({ chosen: [3, 3], rejected: [1, 1] });
    expect(annotatePairs(flip, [0, 0], [3, 1], [1, 3])).toEqual({ chosen: [1, 1], rejected: [3, 3] });
  });
});

describe('closed-form optima', () => {
  let env: TabularEnv;
  const small = { ...TABULAR, prompts: 2, responses: 5, offlineCoverage: 2 };
  beforeAll(() => {
    env = makeTabularEnv(small, new pg.Generator(11));
  });
  afterAll(() => disposeEnv(env));

  it('klRegularisedOptimum = π_ref·exp(r/β)/Z and it maximises E[r] − β·KL(π‖π_ref)', () => {
    const ref = [0.1, 0.2, 0.3, 0.4], r = [1, -0.5, 0.2, 0.7], beta = 0.6;
    const want = ref.map((p, i) => p * Math.exp(r[i]! / beta));
    const z = want.reduce((a, b) => a + b, 0);
    const got = arr(klRegularisedOptimum(f64(ref.map(Math.log)), f64(r), beta));
    pg.testing.assertClose(got, want.map((v) => v / z), { rtol: 1e-12 });
    const obj = (q: number[]) => q.reduce((a, qi, i) => a + qi * r[i]! - beta * (qi > 0 ? qi * Math.log(qi / ref[i]!) : 0), 0);
    const g = new pg.Generator(3);
    for (let t = 0; t < 20; t++) {
      const noise = arr(pg.randn([4], { generator: g, std: 0.3, dtype: 'float64' }));
      const q = got.map((v, i) => v * Math.exp(noise[i]!));
      const s = q.reduce((a, b) => a + b, 0);
      expect(obj(q.map((v) => v / s))).toBeLessThan(obj(got));
    }
  });

  // The exact expected online loss: pairs (a, b) ~ w(a)·w(b) (w held fixed: sampling is outside the
  // gradient), labels a ≻ b with probability P(a ≻ b). Returns its gradient w.r.t. the logits θ.
  const expectedLossGrad = (lossFn: PreferenceLoss, beta: number, theta0: number[][], w: number[][], pref: number[][][]): number[] => {
    const P = env.P, K = env.K;
    const theta = f64(theta0.flat()).reshape([P, K]).requiresGrad_();
    const logp = theta.logSoftmax(1);
    const ref = env.refLogp;
    const ex = (t: pg.Tensor, d: number) => t.unsqueeze(d).expand([P, K, K]);
    const per = lossFn(ex(logp, 2), ex(logp, 1), ex(ref, 2), ex(ref, 1), beta, { reduction: 'none' }); // [P, a, b]: a chosen over b
    const weight = f64(w.flatMap((row, p) => row.flatMap((wa, a) => row.map((wb, b) => wa * wb * pref[p]![a]![b]!)))).reshape([P, K, K]);
    per.mul(weight).sum().backward();
    return arr(theta.grad!);
  };

  it('π_ref·exp(u/β)/Z is a stationary point of the expected DPO loss under Bradley–Terry labels, for any sampling weights', () => {
    const ann = tabularAnnotator(env, 'helpful', new pg.Generator(1), small);
    const star = closedFormOptimum(env, ann, 0.5);
    const pref = preferenceMatrix(env, ann);
    for (const w of [star, env.refProbs, env.refProbs.map((r) => r.map(() => 1 / env.K))]) {
      const gr = expectedLossGrad(dpoLoss, 0.5, star.map((r) => r.map(Math.log)), w, pref);
      expect(Math.max(...gr.map(Math.abs))).toBeLessThan(1e-12);
      // ... and the reference policy is not (the test can fail).
      const g0 = expectedLossGrad(dpoLoss, 0.5, env.refProbs.map((r) => r.map(Math.log)), w, pref);
      expect(Math.max(...g0.map(Math.abs))).toBeGreaterThan(1e-3);
    }
  });

  it('online IPO fixed point π_ref·exp(P(y≻π)/β)/Z: solves its equation and zeroes the expected online IPO gradient', () => {
    const ann = tabularAnnotator(env, 'helpful', new pg.Generator(1), small);
    const beta = 0.25;
    const fp = onlineIpoFixedPoint(env, ann, beta);
    expect(fp.residual).toBeLessThan(1e-10);
    const pref = preferenceMatrix(env, ann);
    const gr = expectedLossGrad(ipoLoss, beta, fp.probs.map((r) => r.map(Math.log)), fp.probs, pref);
    expect(Math.max(...gr.map(Math.abs))).toBeLessThan(1e-9);
    // The DPO optimum is not IPO's fixed point.
    const star = closedFormOptimum(env, ann, beta);
    const g2 = expectedLossGrad(ipoLoss, beta, star.map((r) => r.map(Math.log)), star, pref);
    expect(Math.max(...g2.map(Math.abs))).toBeGreaterThan(1e-3);
  });
});

describe('tabular tier: environment and measures', () => {
  let env: TabularEnv;
  beforeAll(() => {
    env = makeTabularEnv(TABULAR, new pg.Generator(0));
  });
  afterAll(() => disposeEnv(env));
  it('8 prompts × 16 responses; the reference slightly prefers long answers', () => {
    expect([env.P, env.K]).toEqual([8, 16]);
    const L = env.length.flat(), lp = env.refProbs.flat().map(Math.log);
    const mL = L.reduce((a, b) => a + b, 0) / L.length, mP = lp.reduce((a, b) => a + b, 0) / lp.length;
    const cov = L.reduce((a, l, i) => a + (l - mL) * (lp[i]! - mP), 0);
    expect(cov).toBeGreaterThan(0);
    expect(meanLength(env, env.refProbs)).toBeGreaterThan(mL); // the SFT policy's answers are longer than average
    expect(Math.max(...env.refProbs.flat())).toBeLessThan(0.3); // only slightly
  });
  it('win rate of π_ref against itself is exactly 0.5; KL of a policy to itself is 0', () => {
    const ann = tabularAnnotator(env, 'helpful', new pg.Generator(0));
    expect(winRate(env, env.refProbs, ann)).toBeCloseTo(0.5, 14);
    expect(meanKL(env.refProbs, env.refProbs)).toBe(0);
  });
  it('the offline dataset only contains the responses its behaviour policy covers (a quarter of them)', () => {
    const ann = tabularAnnotator(env, 'helpful', new pg.Generator(0));
    const d = offlineDataset(env, ann, 48, new pg.Generator(1));
    expect(d.prompt.length).toBe(8 * 48);
    const seen = env.covered.map(() => new Set<number>());
    d.prompt.forEach((p, i) => {
      seen[p]!.add(d.chosen[i]!);
      seen[p]!.add(d.rejected[i]!);
    });
    seen.forEach((s, p) => {
      expect(env.covered[p]!.length).toBe(4);
      for (const k of s) expect(env.covered[p]).toContain(k);
    });
  });
  it('drawIndex is the inverse CDF', () => {
    expect(drawIndex([0.2, 0, 0.5, 0.3], 0.1)).toBe(0);
    expect(drawIndex([0.2, 0, 0.5, 0.3], 0.2)).toBe(2);
    expect(drawIndex([0.2, 0, 0.5, 0.3], 0.95)).toBe(3);
    expect(drawIndex([0.5, 0.5, 0], 0.99999999999999)).toBe(1);
  });
});

describe('GPT tier: toy language', () => {
  const cfg = GPT_TIER;
  const w = (i: number) => wordToken(cfg, i);
  it('quality: distinct relevant words, off-topic penalty, a little per word', () => {
    // prompt 0: relevant words 0 and 1
    const q = cfg.quality;
    expect(answerQuality(cfg, 0, [w(0), w(1)])).toBeCloseTo(2 * q.coverage + 2 * q.perWord, 12);
    expect(answerQuality(cfg, 0, [w(0), w(0), w(3)])).toBeCloseTo(q.coverage - q.offTopic + 3 * q.perWord, 12);
    expect(answerQuality(cfg, 0, [])).toBe(0);
  });
  it('the instruction changes the preferred answer', () => {
    const g = new pg.Generator(0);
    const long = [w(0), w(1), w(0), w(1), w(0), w(1)], short = [w(0), w(1)];
    expect(gptAnnotator(cfg, 'helpful', g).probability(0, long, short)).toBeGreaterThan(0.5);
    expect(gptAnnotator(cfg, 'helpful and short', g).probability(0, long, short)).toBeLessThan(0.5);
  });
  it('encode: prompt, words, EOS, padding; the mask scores the words and the EOS', () => {
    const { ids, mask } = encode(cfg, [2, 1], [[w(4)], [w(0), w(1), w(2), w(3), w(4), w(5)]]);
    expect(ids.shape).toEqual([2, 7]);
    expect(arr(ids)).toEqual([3, w(4), EOS, EOS, EOS, EOS, EOS, 2, w(0), w(1), w(2), w(3), w(4), w(5)]);
    expect(arr(mask.int())).toEqual([0, 1, 1, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1]);
  });
});

describe('experiment: every claim (quick, seed 0)', () => {
  let result: Result;
  beforeAll(async () => {
    result = validateResult(await oaif.run({ seed: 0, seeds: [0], mode: 'quick', device: 'cpu', onProgress: () => {} }), 'oaif');
  }, 600_000);
  it('checks every declared claim, sanity check and finding exactly once; the README names them', () => {
    expectSameChecks(result, oaif);
    expectReadmeNamesChecks('oaif', oaif);
  });
  for (const spec of [...oaif.claims, ...(oaif.sanity ?? [])])
    it(`${spec.name}: ${spec.description}`, () => {
      const c = claimNamed([...result.claims, ...(result.sanity ?? [])], spec.name);
      expect(c.pass, describeCheck(c)).toBe(true);
    });
  it('thresholds are those of the issue', () => {
    expect(THRESHOLDS).toMatchObject({ convergeKL: 0.07, onlineMinusOffline: 0.08, lengthCut: 0.25, closedFormLength: 0.05, randomBand: 0.02 });
    const byName = Object.fromEntries([...result.claims, ...(result.sanity ?? [])].map((c) => [c.name, c]));
    expect(byName[SANITY.dpoConverges]!.threshold).toBe(0.07);
    expect(byName[SANITY.randomAnnotatorNeutral.dpo]!.threshold).toEqual([0.48, 0.52]);
  });
  it('online DPO beats RLHF head to head by as much as π* does (and π* does beat RLHF)', () => {
    const h2h = result.tables.find((t) => t.name.startsWith('tabular: head to head'))!;
    for (const row of h2h.rows) {
      expect(row[2] as number).toBeGreaterThan(0.55); // P(π* ≻ RLHF)
      expect(row[1] as number).toBeGreaterThan(0.5); // P(online ≻ RLHF)
    }
    expect(claimNamed(result.claims, CLAIM.onlineBeatsRlhf).threshold).toEqual([0.9, 1.1]);
  });
  it('produces the tables and the figures (tabular bars and convergence, GPT win rate and length over steps)', () => {
    expect(result.series.map((s) => s.name)).toEqual(['tabular-win-rate', 'tabular-convergence', 'gpt-win-rate', 'gpt-length']);
    const wr = result.series.find((s) => s.name === 'gpt-win-rate')!;
    expect(wr.kind).toBe('line');
    if (wr.kind === 'line') expect(wr.data.series.length).toBe(3);
    expect(result.tables.length).toBe(4);
  });
});
