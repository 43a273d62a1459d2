/**
 * The DeRa experiment: two tiers, each a sequence of the paper's steps.
 *
 * Exact tier (float64, CPU): sequences of length L ∈ {1, 3} over 4 tokens, a random
 * autoregressive reference (one logit vector per prefix), a random bounded reward. The aligned
 * model is trained at β, and separately at β/λ, by exact (enumerated) natural-gradient ascent on
 * E_π[r] − β·KL(π ‖ π_ref).
 *   realignVsRetrain        DeRa's per-token realignment and the sequence-level geometric mixture vs retraining at β/λ
 *   trainingAccuracy        every trained table against the closed-form optimum (and plain gradient ascent)
 *   lambdaSweep             reward and KL along λ, DeRa vs the optimum at β/λ
 *   rewardScaleSensitivity  how the per-token error grows with the reward scale
 *   lambdaSelection         λ chosen on validation prompts, evaluated on test prompts against retraining
 *
 * GPT tier (options.device): a tiny nn.GPT is SFT-trained on a toy Markov language (the
 * reference), then fine-tuned at β with the exact KL-regularised objective over all 4 × 64
 * (prompt, response) pairs (the aligned model), and separately at β/λ.
 *   gptProblem, trainReferenceGpt, alignAndRetrain   the language, the gold reward and the models
 *   gptLambdaSweep          DeRa's reward and KL along λ, by enumeration, and the exact optimum's
 *   gptVsRetrained          DeRa against the GPTs retrained at β/λ
 *   gptEndpoints            λ = 0 / 1 are the reference / aligned model (log-probs and sampled tokens)
 *   gptSamplerCheck         the DeRa sampler (GPT.generate with a logitsProcessor) against the enumeration
 */
import * as pg from '../../autograd/index.js';
import type { Tensor } from '../../autograd/index.js';
import { check, type Checks, type ClaimCheck, type Experiment, type Result, type RunOptions, type Series, type Table } from '../../experiment/index.js';
import { GPT } from '../../nn/gpt.js';
import { markovLanguage, type MarkovLanguage } from '../../nn/data/tokens.js';
import { mean } from '../../nn/stats.js';
import { breathe } from '../common/event-loop.js';
import { checkOnMean, valuesOf } from '../common/seeds.js';
import {
  deraGenerate,
  deraResponseLogProbs,
  expectedReward,
  fineTuneKL,
  geometricMixture,
  gptResponseLogProbs,
  klOptimum,
  klRegularisedObjective,
  realignTable,
  selectLambda,
  sequenceKL,
  sft,
  tableOptimum,
  tableSequenceLogProbs,
  trainTableKL,
  type TablePolicy,
  type TableTrainResult,
} from './index.js';

// ---------------------------------------------------------------------------------------------
// Settings, check names and thresholds
// ---------------------------------------------------------------------------------------------

/**
 * Choosing λ on validation prompts (exact tier, length 3): every prompt has its own reference and
 * reward; the trade-off is J_{β_t}(π) = E_π[r] − β_t·KL(π ‖ π_ref) with β_t = beta / targetLambda,
 * a strength the retraining grid (λ ∈ {0.5, 1, 2, 4}) contains, so the best retrained model is its optimum.
 */
const SELECTION = {
  validationPrompts: 16,
  testPrompts: 16,
  beta: 1,
  targetLambda: 2,
  /** DeRa's candidates (selected on validation prompts) and the retraining grid. */
  candidates: [0, 0.25, 0.5, 0.75, 1, 1.25, 1.5, 1.75, 2, 2.25, 2.5, 2.75, 3, 3.5, 4],
  retrainLambdas: [0.5, 1, 2, 4],
};

export const SETTINGS = {
  quick: {
    exact: {
      vocab: 4,
      lengths: [1, 3],
      betas: [1, 2],
      lambdas: [0.5, 2, 4],
      sweep: [0, 0.25, 0.5, 0.75, 1, 1.25, 1.5, 2, 2.5, 3, 4],
      /** Rewards are i.i.d. uniform on [0, rewardRange] per sequence. */
      rewardRange: 1.5,
      /** Reference logits are i.i.d. N(0, refScale²) per prefix and token. */
      refScale: 1,
      /** Reward ranges of the sensitivity table (per-token error vs reward scale). */
      sensitivityRanges: [0.5, 1.5, 3, 6],
      /** Steps of plain gradient ascent in the optimiser comparison. */
      plainSteps: 300,
      selection: SELECTION,
    },
    gpt: {
      vocab: 4,
      responseLen: 3,
      /** Dirichlet concentration of the toy Markov language's next-token laws. */
      concentration: 0.8,
      model: { dModel: 16, nHeads: 2, nLayers: 1, mlpRatio: 2 },
      sftData: 4096,
      sft: { steps: 120, batch: 64, lr: 1e-2 },
      beta: 1,
      /** Scale of the gold reward: r(x, y) = rewardScale · mean_t b[y_{t−1}, y_t], b ~ U(0, 1). */
      rewardScale: 3,
      fineTune: { steps: 80, lr: 3e-2, finalLr: 3e-3 },
      retrainLambdas: [0.5, 2, 4],
      sweep: [0, 0.25, 0.5, 0.75, 1, 1.5, 2, 2.5, 3, 4],
      /** Samples per λ for the sampler check. */
      samples: 512,
      samplerLambdas: [0.5, 2, 4],
    },
  },
  full: {
    exact: {
      vocab: 4,
      lengths: [1, 3],
      betas: [1, 2],
      lambdas: [0.5, 2, 4],
      sweep: [0, 0.25, 0.5, 0.75, 1, 1.25, 1.5, 2, 2.5, 3, 3.5, 4],
      rewardRange: 1.5,
      refScale: 1,
      sensitivityRanges: [0.25, 0.5, 1, 1.5, 3, 6],
      plainSteps: 2000,
      selection: { ...SELECTION, validationPrompts: 32, testPrompts: 32 },
    },
    gpt: {
      vocab: 4,
      responseLen: 3,
      concentration: 0.8,
      model: { dModel: 32, nHeads: 2, nLayers: 1, mlpRatio: 4 },
      sftData: 8192,
      sft: { steps: 300, batch: 64, lr: 1e-2 },
      beta: 1,
      rewardScale: 3,
      fineTune: { steps: 300, lr: 2e-2, finalLr: 1e-3 },
      retrainLambdas: [0.25, 0.5, 2, 3, 4],
      sweep: [0, 0.25, 0.5, 0.75, 1, 1.25, 1.5, 2, 2.5, 3, 3.5, 4],
      samples: 2048,
      samplerLambdas: [0.5, 2, 4],
    },
  },
};

/** Claim thresholds (from the issue). */
export const THRESHOLDS = {
  /** λ = 0 / λ = 1 reproduce the reference / the aligned model exactly: max |Δ log π|. */
  endpoints: 0,
  /** Single-token responses: KL(π_{β/λ} ‖ DeRa_λ). */
  singleToken: 1e-4,
  /** Length-3 responses at β = 2, λ ≤ 2: KL(π_{β/λ} ‖ DeRa_λ). */
  length3: 2e-3,
  /** Sequence-level geometric mixture vs the retrained β/λ model: max |Δ log π|. */
  mixture: 1e-9,
  /**
   * "Measurably not exact": the per-token approximation at β = 1, λ = 4 must exceed this KL,
   * i.e. > 1000× the optimisation error (max |Δ log π| < 1e-9 ⇒ KL ≲ 1e-18 between exact models).
   */
  perTokenGap: 1e-4,
  /** Trained table policies vs the closed-form optimum π_ref·exp(r/β)/Z: max |Δ log π|. */
  training: 1e-9,
  /** GPT tier: |z| of the sampler's mean reward against the enumerated DeRa expectation. */
  samplerZ: 4,
  /**
   * GPT tier: KL(retrained β/λ ‖ DeRa λ) must be below this fraction of KL(retrained β/λ ‖ aligned β):
   * realigning at decoding time gets at least halfway (in KL) from the β model to the β/λ model.
   */
  closerRatio: 0.5,
  /**
   * λ chosen on validation prompts: on the test prompts, DeRa's gain in the trade-off J_{β_t} over
   * the reference must be at least this fraction of the best retrained model's gain.
   */
  selectionGainRatio: 0.95,
};

/** The checks' names, defined once: the checks, the README tables and the tests use these. */
export const CLAIM = {
  length3Beta2Close: 'length3-beta2-close',
  length3RewardMonotone: 'length3-reward-monotone',
  length3KlMonotone: 'length3-kl-monotone',
  perTokenNotExact: 'per-token-not-exact',
  lambdaSelectedOnValidation: 'lambda-selected-on-validation',
  gptRewardMonotone: 'gpt-reward-monotone',
  gptKlMonotone: 'gpt-kl-monotone',
} as const;
export const SANITY = {
  endpointsExact: 'endpoints-exact',
  singleTokenEqualsRetrained: 'single-token-equals-retrained',
  sequenceMixtureExact: 'sequence-mixture-exact',
  trainingReachesOptimum: 'training-reaches-optimum',
  gptEndpointsLogprobs: 'gpt-endpoints-logprobs',
  gptEndpointsSamples: 'gpt-endpoints-samples',
  gptSamplerMatchesEnumeration: 'gpt-sampler-matches-enumeration',
} as const;
export const FINDING = {
  gptDeraCloserThanAligned: 'gpt-dera-closer-than-aligned',
  gptDeraCloserThanAlignedOverSeeds: 'gpt-dera-closer-than-aligned-over-seeds',
} as const;

// ---------------------------------------------------------------------------------------------
// Small helpers
// ---------------------------------------------------------------------------------------------

type Progress = (fraction: number, message: string) => void;

async function numbers(t: Tensor): Promise<number[]> {
  return Array.from(await t.data(), Number);
}

/** The value of a scalar computed by f (its temporaries and the scalar itself are freed). */
async function value(f: () => Tensor): Promise<number> {
  const t = pg.tidy(f);
  const v = Number(await t.item());
  t.dispose();
  return v;
}

/** Max |a − b| (as a number), disposing the temporaries. */
async function maxAbsDiff(a: Tensor, b: Tensor): Promise<number> {
  return value(() => a.sub(b).abs().max());
}

/** Σ over prompts of w_x · f()[x] for a per-prompt quantity. */
async function weighted(f: () => Tensor, w: Tensor): Promise<number> {
  return value(() => f().mul(w).sum());
}

function minStep(xs: number[]): number {
  let m = Infinity;
  for (let i = 1; i < xs.length; i++) m = Math.min(m, xs[i]! - xs[i - 1]!);
  return m;
}

/** The parts of a Result one tier contributes. */
type TierOut = Pick<Result, 'tables' | 'series' | 'claims' | 'sanity' | 'findings'> & { notes: string[] };

// ---------------------------------------------------------------------------------------------
// Exact tier
// ---------------------------------------------------------------------------------------------

type ExactSettings = (typeof SETTINGS)['quick']['exact'];

interface ExactProblem {
  L: number;
  ref: TablePolicy;
  refLogp: Tensor;
  reward: Tensor;
  /** Trained models by β (cached: β/λ values repeat across (β, λ) pairs). */
  trained: Map<number, { res: TableTrainResult; logp: Tensor }>;
}

/** A random problem: reference logits i.i.d. N(0, refScale²) per prefix and token, rewards U(0, rewardRange) per sequence. */
function makeExactProblem(L: number, s: ExactSettings, g: pg.Generator, rewardRange = s.rewardRange): ExactProblem {
  const V = s.vocab;
  const o = { dtype: 'float64' as const, device: 'cpu' as const, generator: g };
  const ref = Array.from({ length: L }, (_, k) => pg.keep(pg.tidy(() => pg.randn([V ** k, V], o).mul(s.refScale))));
  const reward = pg.keep(pg.tidy(() => pg.rand([V ** L], o).mul(rewardRange)));
  const refLogp = pg.keep(pg.noGrad(() => tableSequenceLogProbs(ref)));
  return { L, ref, refLogp, reward, trained: new Map() };
}

/** The model aligned at β: trained from the reference by exact natural-gradient ascent on J_β (cached). */
function trainedAt(p: ExactProblem, beta: number): { res: TableTrainResult; logp: Tensor } {
  let m = p.trained.get(beta);
  if (!m) {
    const res = trainTableKL(p.ref, p.reward, beta);
    m = { res, logp: pg.keep(pg.noGrad(() => tableSequenceLogProbs(res.levels))) };
    p.trained.set(beta, m);
  }
  return m;
}

function disposeProblem(p: ExactProblem): void {
  for (const t of [...p.ref, p.refLogp, p.reward]) t.dispose();
  for (const m of p.trained.values()) for (const t of [...m.res.levels, m.logp]) t.dispose();
}

/** log π of per-token DeRa(λ) on a table problem, aligned at β. */
function deraTableLogp(p: ExactProblem, beta: number, lambda: number): Tensor {
  const aligned = trainedAt(p, beta).res.levels;
  return pg.noGrad(() => pg.tidy(() => tableSequenceLogProbs(realignTable(p.ref, aligned, lambda))));
}

interface RealignVsRetrain {
  rows: (string | number)[][];
  endpointErr: number;
  singleTokenKL: number;
  length3KL: number;
  mixtureErr: number;
  /** KL(retrained ‖ DeRa) at L = 3, β = 1, λ = 4, and the sequence-level mixture's error there. */
  gapKL: number;
  gapMixtureErr: number;
}

/**
 * DeRa against retraining: for every L, β and λ, KL between the model retrained at β/λ and per-token
 * DeRa(λ) on the β model, the sequence-level mixture π_ref^(1−λ)·π_β^λ against the retrained model,
 * and the endpoints λ = 0 (the reference) and λ = 1 (the aligned model).
 */
async function realignVsRetrain(s: ExactSettings, problems: ExactProblem[], progress: Progress): Promise<RealignVsRetrain> {
  const out: RealignVsRetrain = { rows: [], endpointErr: 0, singleTokenKL: 0, length3KL: 0, mixtureErr: 0, gapKL: NaN, gapMixtureErr: NaN };
  let step = 0;
  const total = problems.length * s.betas.length;
  for (const p of problems) {
    for (const beta of s.betas) {
      progress(step++ / total, `exact tier: L=${p.L}, β=${beta}`);
      await breathe();
      const aligned = trainedAt(p, beta);
      for (const [lambda, target] of [[0, p.refLogp], [1, aligned.logp]] as const) {
        const lp = deraTableLogp(p, beta, lambda);
        out.endpointErr = Math.max(out.endpointErr, await maxAbsDiff(lp, target));
        lp.dispose();
      }
      for (const lambda of s.lambdas) {
        await breathe();
        const retrained = trainedAt(p, beta / lambda);
        const dera = deraTableLogp(p, beta, lambda);
        const mix = pg.noGrad(() => geometricMixture(p.refLogp, aligned.logp, lambda));
        const kl = await value(() => sequenceKL(retrained.logp, dera));
        const klRev = await value(() => sequenceKL(dera, retrained.logp));
        const mixErr = await maxAbsDiff(mix, retrained.logp);
        const rDera = await value(() => expectedReward(dera, p.reward));
        const rRet = await value(() => expectedReward(retrained.logp, p.reward));
        const kDera = await value(() => sequenceKL(dera, p.refLogp));
        const kRet = await value(() => sequenceKL(retrained.logp, p.refLogp));
        out.rows.push([p.L, beta, lambda, beta / lambda, kl, klRev, mixErr, rDera, rRet, kDera, kRet]);
        out.mixtureErr = Math.max(out.mixtureErr, mixErr);
        if (p.L === 1) out.singleTokenKL = Math.max(out.singleTokenKL, kl);
        if (p.L === 3 && beta === 2 && lambda <= 2) out.length3KL = Math.max(out.length3KL, kl);
        if (p.L === 3 && beta === 1 && lambda === 4) {
          out.gapKL = kl;
          out.gapMixtureErr = mixErr;
        }
        dera.dispose();
        mix.dispose();
      }
    }
  }
  return out;
}

/** Every trained table against its closed form, and plain gradient ascent from the same start (L = 3, β = 1) for contrast. */
async function trainingAccuracy(s: ExactSettings, problems: ExactProblem[], p3: ExactProblem): Promise<{ rows: (string | number)[][]; maxErr: number }> {
  let maxErr = 0;
  const rows: (string | number)[][] = [];
  for (const p of problems)
    for (const [beta, m] of [...p.trained.entries()].sort((a, b) => b[0] - a[0])) {
      const star = pg.noGrad(() => klOptimum(p.refLogp, p.reward, beta));
      const err = await maxAbsDiff(m.logp, star);
      star.dispose();
      maxErr = Math.max(maxErr, err);
      rows.push([p.L, beta, 'natural gradient', m.res.steps, m.res.residual, err, m.res.objective.at(-1) ?? NaN]);
    }
  const beta = 1;
  const plain = trainTableKL(p3.ref, p3.reward, beta, { preconditioner: 'none', lr: 1 / beta, steps: s.plainSteps, tol: 0 });
  const lp = pg.noGrad(() => tableSequenceLogProbs(plain.levels));
  const star = pg.noGrad(() => klOptimum(p3.refLogp, p3.reward, beta));
  rows.push([3, beta, 'plain gradient ascent (lr 1/β)', plain.steps, plain.residual, await maxAbsDiff(lp, star), plain.objective.at(-1) ?? NaN]);
  for (const t of [...plain.levels, lp, star]) t.dispose();
  return { rows, maxErr };
}

interface Curve {
  rD: number[];
  kD: number[];
  rS: number[];
  kS: number[];
}

/** Reward and KL to the reference along the λ sweep (L = 3), DeRa on the β model against the exact optimum at β/λ. */
async function lambdaSweep(s: ExactSettings, p3: ExactProblem): Promise<{ rows: (string | number)[][]; curves: Record<number, Curve> }> {
  const rows: (string | number)[][] = [];
  const curves: Record<number, Curve> = {};
  for (const beta of s.betas) {
    const c: Curve = { rD: [], kD: [], rS: [], kS: [] };
    for (const lambda of s.sweep) {
      const dera = deraTableLogp(p3, beta, lambda);
      // The optimum at β/λ (λ = 0: the reference itself).
      const star = lambda === 0 ? p3.refLogp : pg.noGrad(() => klOptimum(p3.refLogp, p3.reward, beta / lambda));
      const rD = await value(() => expectedReward(dera, p3.reward));
      const kD = await value(() => sequenceKL(dera, p3.refLogp));
      const rS = await value(() => expectedReward(star, p3.reward));
      const kS = await value(() => sequenceKL(star, p3.refLogp));
      const gap = await value(() => sequenceKL(star, dera));
      c.rD.push(rD);
      c.kD.push(kD);
      c.rS.push(rS);
      c.kS.push(kS);
      rows.push([beta, lambda, rD, kD, rS, kS, gap]);
      dera.dispose();
      if (star !== p3.refLogp) star.dispose();
    }
    curves[beta] = c;
  }
  return { rows, curves };
}

/** The per-token error against the reward scale: the same reference and reward pattern, rewards scaled to each range (L = 3). */
async function rewardScaleSensitivity(s: ExactSettings, seed: number, extra: ExactProblem[]): Promise<(string | number)[][]> {
  const rows: (string | number)[][] = [];
  for (const R of s.sensitivityRanges) {
    await breathe();
    const q = makeExactProblem(3, s, new pg.Generator(seed + 7919), R); // the same generator seed for every range
    extra.push(q);
    const row: (string | number)[] = [R];
    for (const [beta, lambda] of [[2, 0.5], [2, 2], [1, 4]] as const) {
      const retrained = trainedAt(q, beta / lambda);
      const dera = deraTableLogp(q, beta, lambda);
      row.push(await value(() => sequenceKL(retrained.logp, dera)));
      dera.dispose();
    }
    rows.push(row);
  }
  return rows;
}

interface Selection {
  /** λ picked on the validation prompts, and the validation score of every candidate. */
  lambda: number;
  scores: number[];
  /** Mean over the test prompts of J_{β_t}: DeRa at the selected λ, each retrained model, the reference. */
  testDera: number;
  testRetrained: { lambda: number; J: number }[];
  testRef: number;
  /** The best candidate on the test prompts themselves (an oracle, for the table). */
  oracleLambda: number;
  /** (J(DeRa λ̂) − J(ref)) / (J(best retrained) − J(ref)) on the test prompts. */
  gainRatio: number;
}

/**
 * The paper's use of DeRa for tuning: instead of retraining at each β, pick λ on validation
 * prompts with the realigned model, then check on test prompts that its reward/KL trade-off
 * J_{β_t}(π) = E_π[r] − β_t·KL(π ‖ π_ref) is close to that of the best retrained model. Every
 * prompt has its own random reference (L = 3) and reward; the aligned and retrained models are the
 * exact optima π_ref·exp(r/β′)/Z (which training reaches to 1e-13, see trainingAccuracy).
 */
async function lambdaSelection(s: ExactSettings, seed: number): Promise<Selection> {
  const c = s.selection;
  const g = new pg.Generator(seed + 104729);
  const betaT = c.beta / c.targetLambda;
  const prompts = Array.from({ length: c.validationPrompts + c.testPrompts }, () => {
    const p = makeExactProblem(3, s, g);
    const aligned = pg.noGrad(() => pg.tidy(() => tableOptimum(p.ref, p.reward, c.beta)));
    return { p, aligned: aligned.map((t) => pg.keep(t)) };
  });
  try {
    // J_{β_t} of every candidate and of every retrained model, per prompt.
    const J = (p: ExactProblem, logp: Tensor): number => pg.tidy(() => klRegularisedObjective(logp, p.refLogp, p.reward, betaT).itemSync());
    const deraJ = prompts.map(({ p, aligned }) => c.candidates.map((lambda) => pg.noGrad(() => pg.tidy(() => J(p, tableSequenceLogProbs(realignTable(p.ref, aligned, lambda)))))));
    const retrainedJ = prompts.map(({ p }) => c.retrainLambdas.map((lambda) => pg.noGrad(() => pg.tidy(() => J(p, klOptimum(p.refLogp, p.reward, c.beta / lambda))))));
    const refJ = prompts.map(({ p }) => pg.noGrad(() => J(p, p.refLogp)));
    await breathe();
    const val = prompts.map((_, i) => i).slice(0, c.validationPrompts);
    const test = prompts.map((_, i) => i).slice(c.validationPrompts);
    const avg = (rows: number[], f: (i: number) => number): number => mean(rows.map(f));
    const chosen = selectLambda(c.candidates, (lambda) => avg(val, (i) => deraJ[i]![c.candidates.indexOf(lambda)]!));
    const oracle = selectLambda(c.candidates, (lambda) => avg(test, (i) => deraJ[i]![c.candidates.indexOf(lambda)]!));
    const testDera = avg(test, (i) => deraJ[i]![c.candidates.indexOf(chosen.lambda)]!);
    const testRetrained = c.retrainLambdas.map((lambda, k) => ({ lambda, J: avg(test, (i) => retrainedJ[i]![k]!) }));
    const testRef = avg(test, (i) => refJ[i]!);
    const best = Math.max(...testRetrained.map((r) => r.J));
    return { lambda: chosen.lambda, scores: chosen.scores, testDera, testRetrained, testRef, oracleLambda: oracle.lambda, gainRatio: (testDera - testRef) / (best - testRef) };
  } finally {
    for (const { p, aligned } of prompts) {
      disposeProblem(p);
      aligned.forEach((t) => t.dispose());
    }
  }
}

function exactTables(s: ExactSettings, rv: RealignVsRetrain, sweep: { rows: (string | number)[][] }, training: { rows: (string | number)[][] }, sensitivity: (string | number)[][], sel: Selection): Table[] {
  const c = s.selection;
  return [
    {
      name: 'exact: DeRa vs retraining at β/λ',
      columns: ['L', 'β', 'λ', 'β/λ', 'KL(retrained ‖ DeRa)', 'KL(DeRa ‖ retrained)', 'seq. mixture max|Δlog π|', 'E[r] DeRa', 'E[r] retrained', 'KL(DeRa ‖ ref)', 'KL(retrained ‖ ref)'],
      rows: rv.rows,
    },
    { name: 'exact: λ sweep at L=3 (DeRa vs the β/λ optimum)', columns: ['β', 'λ', 'E[r] DeRa', 'KL(DeRa ‖ ref)', 'E[r] optimum β/λ', 'KL(optimum ‖ ref)', 'KL(optimum ‖ DeRa)'], rows: sweep.rows },
    { name: 'exact: training (all trained table policies vs the closed form)', columns: ['L', 'β', 'optimiser', 'steps', 'final residual', 'max|Δlog π| to closed form', 'J_β'], rows: training.rows },
    { name: 'exact: per-token error vs reward range (L=3, KL(retrained ‖ DeRa))', columns: ['reward range', 'β=2, λ=0.5', 'β=2, λ=2', 'β=1, λ=4'], rows: sensitivity },
    {
      name: `exact: λ chosen on ${c.validationPrompts} validation prompts, J_{β/${c.targetLambda}} on ${c.testPrompts} test prompts (β=${c.beta})`,
      columns: ['model', 'λ', `test J = E[r] − (β/${c.targetLambda})·KL`, 'gain over the reference'],
      rows: [
        ['reference', 0, sel.testRef, 0],
        [`DeRa, λ selected on validation (oracle on test: ${sel.oracleLambda})`, sel.lambda, sel.testDera, sel.testDera - sel.testRef],
        ...sel.testRetrained.map((r) => [`retrained at β/${r.lambda}`, r.lambda, r.J, r.J - sel.testRef]),
      ],
    },
  ];
}

function exactFigures(s: ExactSettings, curves: Record<number, Curve>, sel: Selection): Series[] {
  return [
    {
      name: 'exact-frontier',
      kind: 'line',
      title: 'Exact tier (L=3): reward vs KL to the reference as λ sweeps',
      xLabel: 'KL(π ‖ π_ref) (nats)',
      yLabel: 'E_π[r]',
      caption:
        'DeRa (per-token realignment of the model aligned at β) against the exact optimum at β/λ (which retraining reaches to 1e-9); ' +
        `λ ∈ {${s.sweep.join(', ')}}. At β = 2 the curves overlap; at β = 1 DeRa drifts off the optimal frontier for large λ.`,
      data: {
        series: s.betas.flatMap((beta) => [
          { name: `DeRa, aligned at β=${beta}`, x: curves[beta]!.kD, y: curves[beta]!.rD },
          { name: `retrained/optimum at β/λ (β=${beta})`, x: curves[beta]!.kS, y: curves[beta]!.rS },
        ]),
      },
    },
    {
      name: 'exact-reward-vs-lambda',
      kind: 'line',
      title: 'Exact tier (L=3): expected reward vs λ',
      xLabel: 'λ',
      yLabel: 'E_π[r]',
      data: {
        series: s.betas.flatMap((beta) => [
          { name: `DeRa (β=${beta})`, x: [...s.sweep], y: curves[beta]!.rD },
          { name: `optimum at β/λ (β=${beta})`, x: [...s.sweep], y: curves[beta]!.rS },
        ]),
      },
    },
    {
      name: 'lambda-selection',
      kind: 'line',
      title: `Choosing λ on validation prompts: J = E[r] − (β/${s.selection.targetLambda})·KL (mean over ${s.selection.validationPrompts} prompts)`,
      xLabel: 'λ',
      yLabel: 'validation J',
      caption: `DeRa's validation score for every candidate λ; the selected λ is ${sel.lambda} (the trade-off's optimum is λ = ${s.selection.targetLambda}).`,
      data: { series: [{ name: 'DeRa on validation prompts', x: [...s.selection.candidates], y: sel.scores }] },
    },
  ];
}

async function exactTier(s: ExactSettings, seed: number, progress: Progress): Promise<TierOut> {
  const g = new pg.Generator(seed);
  const problems = s.lengths.map((L) => makeExactProblem(L, s, g));
  const extra: ExactProblem[] = [];
  try {
    const rv = await realignVsRetrain(s, problems, (f, m) => progress(0.6 * f, m));
    const p3 = problems.find((p) => p.L === 3)!;
    progress(0.65, 'exact tier: training vs the closed form');
    const training = await trainingAccuracy(s, problems, p3);
    progress(0.75, 'exact tier: λ sweep');
    const sweep = await lambdaSweep(s, p3);
    progress(0.8, 'exact tier: reward-scale sensitivity');
    const sensitivity = await rewardScaleSensitivity(s, seed, extra);
    progress(0.9, 'exact tier: λ selected on validation prompts');
    const sel = await lambdaSelection(s, seed);
    const b2 = sweep.curves[2]!;
    const c = s.selection;
    const claims = [
      check(CLAIM.length3Beta2Close, rv.length3KL, '<', THRESHOLDS.length3, `max KL(π_β/λ ‖ DeRa_λ), L=3, β=2, λ ∈ {${s.lambdas.filter((l) => l <= 2)}}`),
      check(CLAIM.length3RewardMonotone, minStep(b2.rD), '>', 0, `smallest increase of E[r] between consecutive λ ∈ {${s.sweep}} (L=3, β=2)`),
      check(CLAIM.length3KlMonotone, minStep(b2.kD), '>', 0, `smallest increase of KL(DeRa ‖ ref) between consecutive λ (L=3, β=2)`),
      check(CLAIM.perTokenNotExact, rv.gapKL, '>', THRESHOLDS.perTokenGap, `KL(π_β/λ ‖ DeRa_λ) at L=3, β=1, λ=4 (the sequence-level mixture there: max|Δlog π| = ${rv.gapMixtureErr.toExponential(2)})`),
      check(
        CLAIM.lambdaSelectedOnValidation,
        sel.gainRatio,
        '>=',
        THRESHOLDS.selectionGainRatio,
        `λ = ${sel.lambda} chosen on ${c.validationPrompts} validation prompts; on ${c.testPrompts} test prompts J_{β/${c.targetLambda}} = ${sel.testDera.toFixed(4)} vs the best retrained model's ${Math.max(...sel.testRetrained.map((r) => r.J)).toFixed(4)} (reference ${sel.testRef.toFixed(4)}): share of the retrained model's gain`,
      ),
    ];
    const sanity = [
      check(SANITY.endpointsExact, rv.endpointErr, '<=', THRESHOLDS.endpoints, 'max |log π_DeRa − log π| at λ=0 (vs reference) and λ=1 (vs aligned), every L and β'),
      check(SANITY.singleTokenEqualsRetrained, rv.singleTokenKL, '<', THRESHOLDS.singleToken, `max KL(π_β/λ ‖ DeRa_λ), L=1, β ∈ {${s.betas}}, λ ∈ {${s.lambdas}}`),
      check(SANITY.sequenceMixtureExact, rv.mixtureErr, '<=', THRESHOLDS.mixture, 'max |log π_mixture − log π_retrained β/λ| over every L, β, λ'),
      check(SANITY.trainingReachesOptimum, training.maxErr, '<=', THRESHOLDS.training, 'max |log π_trained − log π*_closed form| over every trained table policy'),
    ];
    return {
      tables: exactTables(s, rv, sweep, training, sensitivity, sel),
      series: exactFigures(s, sweep.curves, sel),
      claims,
      sanity,
      notes: [`exact tier: vocabulary ${s.vocab}, L ∈ {${s.lengths}}, reference logits N(0, ${s.refScale}²) per prefix, rewards U(0, ${s.rewardRange}) per sequence, float64 on the CPU`],
    };
  } finally {
    problems.forEach(disposeProblem);
    extra.forEach(disposeProblem);
  }
}

// ---------------------------------------------------------------------------------------------
// GPT tier
// ---------------------------------------------------------------------------------------------

type GptSettings = (typeof SETTINGS)['quick']['gpt'];

/** Every (prompt, response) pair: ids [V·V^L, 1 + L] (prompt-major), response tokens base V. */
function enumerateIds(V: number, L: number): Int32Array {
  const Y = V ** L;
  const out = new Int32Array(V * Y * (L + 1));
  for (let x = 0; x < V; x++)
    for (let y = 0; y < Y; y++) {
      const row = (x * Y + y) * (L + 1);
      out[row] = x;
      for (let t = 0; t < L; t++) out[row + 1 + t] = Math.floor(y / V ** (L - 1 - t)) % V;
    }
  return out;
}

/** Gold reward r(x, y) = scale · mean_t b[y_{t−1}, y_t] with y_0 = x. */
function goldReward(b: number[], V: number, L: number, scale: number, ids: Int32Array): Float64Array {
  const n = ids.length / (L + 1);
  const r = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let s = 0;
    for (let t = 1; t <= L; t++) s += b[ids[i * (L + 1) + t - 1]! * V + ids[i * (L + 1) + t]!]!;
    r[i] = (scale * s) / L;
  }
  return r;
}

/**
 * The reference and aligned GPTs for sampling: themselves on the CPU, CPU copies otherwise
 * (pg.multinomial, which GPT.generate samples with, reads its probabilities synchronously).
 */
async function cpuSamplers(ref: GPT, aligned: GPT): Promise<{ ref: GPT; aligned: GPT; copied: boolean; dispose(): void }> {
  if (ref.tokEmb.weight.device === 'cpu' && aligned.tokEmb.weight.device === 'cpu') return { ref, aligned, copied: false, dispose() {} };
  const copy = async (m: GPT): Promise<GPT> => {
    const sd: Record<string, Tensor> = {};
    for (const [k, t] of Object.entries(m.stateDict())) sd[k] = t.device === 'cpu' ? t.clone() : await pg.toDevice(t, 'cpu');
    const prev = pg.getDefaultDevice();
    pg.setDefaultDevice('cpu');
    try {
      const c = new GPT({ ...m.config, generator: new pg.Generator(0) });
      c.loadStateDict(sd);
      for (const t of Object.values(sd)) t.dispose();
      return c.eval().requiresGrad_(false);
    } finally {
      pg.setDefaultDevice(prev);
    }
  };
  const r = await copy(ref);
  const a = await copy(aligned);
  return { ref: r, aligned: a, copied: true, dispose: () => (r.dispose(), a.dispose()) };
}

/**
 * DeRa's per-token approximation error alone on the GPT tier's problem: the SFT reference as a
 * table policy (its next-token log-probs after every prefix), the exact optimum at β in closed form
 * (tableOptimum), realigned per token, against the exact optimum at β/λ. Returns, per λ,
 * Σ_x p(x)·KL(π*_{β/λ}(·|x) ‖ DeRa_λ[π*_β](·|x)) — what DeRa would miss with perfect training.
 */
async function perTokenGapOfOptimum(ref: GPT, ids: Tensor, V: number, L: number, reward: Float64Array, px: ArrayLike<number>, beta: number, lambdas: number[]): Promise<Map<number, number>> {
  const lp = pg.noGrad(() => pg.tidy(() => ref.forward(ids.slice(1, 0, L)).logSoftmax(-1))); // [V·Y, L, V]
  const a = await numbers(lp);
  lp.dispose();
  const Y = V ** L;
  const out = new Map<number, number>(lambdas.map((l) => [l, 0]));
  for (let x = 0; x < V; x++) {
    pg.tidy(() => {
      const levels: TablePolicy = [];
      for (let k = 0; k < L; k++) {
        const z = new Float64Array(V ** k * V);
        for (let pre = 0; pre < V ** k; pre++) {
          const row = x * Y + pre * V ** (L - k); // the first response with this prefix
          for (let t = 0; t < V; t++) z[pre * V + t] = a[(row * L + k) * V + t]!;
        }
        levels.push(pg.tensor(z, { dtype: 'float64', device: 'cpu', shape: [V ** k, V] }));
      }
      const r = pg.tensor(reward.slice(x * Y, (x + 1) * Y), { dtype: 'float64', device: 'cpu' });
      const refLp = tableSequenceLogProbs(levels);
      const opt = tableOptimum(levels, r, beta);
      for (const lambda of lambdas) {
        const d = tableSequenceLogProbs(realignTable(levels, opt, lambda));
        const kl = sequenceKL(klOptimum(refLp, r, beta / lambda), d).itemSync();
        out.set(lambda, out.get(lambda)! + px[x]! * kl);
      }
    });
  }
  return out;
}

/** Frees what a step keeps; every tensor and model of the GPT tier is registered here. */
class Owned {
  private readonly list: { dispose(): void }[] = [];
  keep<T extends { dispose(): void }>(x: T): T {
    this.list.push(x);
    return x;
  }
  dispose(): void {
    this.list.forEach((x) => x.dispose());
  }
}

/** The toy problem: a Markov language (prompt = first token), a gold bigram reward, every (prompt, response) pair enumerated. */
interface GptProblem {
  V: number;
  L: number;
  Y: number;
  lang: MarkovLanguage;
  bTable: number[];
  rewardArr: Float64Array;
  ids: Tensor;
  reward: Tensor;
  /** Prompt weights: the chain's stationary law. */
  promptW: Tensor;
  /** SFT data: samples of the language. */
  data: Tensor;
}

function gptProblem(s: GptSettings, g: pg.Generator, o: Owned): GptProblem {
  const V = s.vocab;
  const L = s.responseLen;
  const Y = V ** L;
  const lang = markovLanguage({ vocab: V, order: 1, concentration: s.concentration, generator: g });
  const bTable = Array.from(pg.tidy(() => pg.rand([V * V], { generator: g, dtype: 'float64', device: 'cpu' }).dataSync()), Number);
  const idsArr = enumerateIds(V, L);
  const rewardArr = goldReward(bTable, V, L, s.rewardScale, idsArr);
  return {
    V,
    L,
    Y,
    lang,
    bTable,
    rewardArr,
    ids: o.keep(pg.tensor(idsArr, { dtype: 'int32', shape: [V * Y, L + 1] })),
    reward: o.keep(pg.tensor(Float32Array.from(rewardArr), { shape: [V, Y] })),
    promptW: o.keep(pg.tensor(Float32Array.from(lang.stationary), { shape: [V] })),
    data: o.keep(lang.sample(s.sftData, L + 1, { generator: g })),
  };
}

interface TrainedGpt {
  model: GPT;
  /** log π of every enumerated response [V, Y]. */
  logp: Tensor;
  curve: number[];
}

/** The models: the SFT reference, the model aligned at β and the models retrained at β/λ (copies of the reference fine-tuned on the exact J). */
interface GptModels {
  ref: GPT;
  refLogp: Tensor;
  sftLoss: number[];
  aligned: TrainedGpt;
  retrained: Map<number, TrainedGpt>;
}

/** SFT of the reference on the toy language, then fine-tuning at β (aligned) and at β/λ for every retrained λ. */
async function trainModels(s: GptSettings, pb: GptProblem, g: pg.Generator, o: Owned, progress: Progress): Promise<GptModels> {
  const cfg = { vocabSize: pb.V, maxLen: pb.L + 1, ...s.model, generator: g };
  const ref = o.keep(new GPT(cfg));
  const total = s.sft.steps + (1 + s.retrainLambdas.length) * s.fineTune.steps;
  let done = 0;
  const sftLoss = await sft(ref, pb.data, {
    ...s.sft,
    generator: g,
    onStep: async (i) => {
      done++;
      if (i % 10 === 0) progress(done / total, `GPT tier: SFT step ${i}/${s.sft.steps}`);
      await breathe();
    },
  });
  ref.eval().requiresGrad_(false);
  const refLogp = o.keep(pg.noGrad(() => gptResponseLogProbs(ref, pb.ids, pb.V)));
  const trainAt = async (beta: number, label: string): Promise<TrainedGpt> => {
    const m = o.keep(ref.clone());
    m.requiresGrad_(true);
    const curve = await fineTuneKL(m, pb.ids, refLogp, pb.reward, pb.promptW, beta, {
      ...s.fineTune,
      onStep: async (i) => {
        done++;
        if (i % 10 === 0) progress(done / total, `GPT tier: ${label} step ${i}/${s.fineTune.steps}`);
        await breathe();
      },
    });
    m.eval().requiresGrad_(false);
    return { model: m, logp: o.keep(pg.noGrad(() => gptResponseLogProbs(m, pb.ids, pb.V))), curve };
  };
  const aligned = await trainAt(s.beta, `aligned β=${s.beta}`);
  const retrained = new Map<number, TrainedGpt>();
  for (const lambda of s.retrainLambdas) retrained.set(lambda, await trainAt(s.beta / lambda, `retrained β/λ=${s.beta / lambda}`));
  return { ref, refLogp, sftLoss, aligned, retrained };
}

/** Exact reward and KL to the reference (prompt-weighted), KL between two models, and DeRa's log-probs, on the enumeration. */
function enumeration(pb: GptProblem, m: GptModels) {
  const stats = async (logp: Tensor): Promise<{ r: number; kl: number }> => ({
    r: await weighted(() => expectedReward(logp, pb.reward), pb.promptW),
    kl: await weighted(() => sequenceKL(logp, m.refLogp), pb.promptW),
  });
  const klTo = (p: Tensor, q: Tensor): Promise<number> => weighted(() => sequenceKL(p, q), pb.promptW);
  const deraLogp = (lambda: number): Tensor => pg.noGrad(() => pg.tidy(() => deraResponseLogProbs(m.ref, m.aligned.model, pb.ids, pb.V, lambda)));
  return { stats, klTo, deraLogp };
}

type Point = { lambda: number; r: number; kl: number };

/** DeRa's reward and KL along the λ sweep, and the exact optimum of the SFT reference at β/λ. */
async function gptLambdaSweep(s: GptSettings, pb: GptProblem, m: GptModels): Promise<{ sweep: Point[]; optimum: Point[] }> {
  const { stats, deraLogp } = enumeration(pb, m);
  const sweep: Point[] = [];
  const optimum: Point[] = [];
  for (const lambda of s.sweep) {
    const lp = deraLogp(lambda);
    sweep.push({ lambda, ...(await stats(lp)) });
    lp.dispose();
    if (lambda > 0) {
      const star = pg.noGrad(() => klOptimum(m.refLogp, pb.reward, s.beta / lambda));
      optimum.push({ lambda, ...(await stats(star)) });
      star.dispose();
    } else optimum.push({ lambda, r: (await stats(m.refLogp)).r, kl: 0 });
  }
  return { sweep, optimum };
}

/**
 * DeRa at λ against the GPT retrained at β/λ: reward, KL, KL(retrained ‖ DeRa) against
 * KL(retrained ‖ aligned) (how far realigning gets from the β model towards the β/λ model), each
 * model's distance to its exact optimum, and DeRa's per-token error alone (exact models).
 */
async function gptVsRetrained(s: GptSettings, pb: GptProblem, m: GptModels): Promise<{ rows: (string | number)[][]; ratios: number[]; stats: { l: number; r: number; kl: number }[] }> {
  const { stats, klTo, deraLogp } = enumeration(pb, m);
  const idealGap = await perTokenGapOfOptimum(m.ref, pb.ids, pb.V, pb.L, pb.rewardArr, pb.lang.stationary, s.beta, s.retrainLambdas);
  const alStats = await stats(m.aligned.logp);
  const alStar = pg.noGrad(() => klOptimum(m.refLogp, pb.reward, s.beta));
  const rows: (string | number)[][] = [[1, s.beta, alStats.r, alStats.r, alStats.kl, alStats.kl, 0, 0, await klTo(alStar, m.aligned.logp), 0]];
  alStar.dispose();
  const ratios: number[] = [];
  const retStats = [{ l: 1, ...alStats }];
  for (const lambda of s.retrainLambdas) {
    const ret = m.retrained.get(lambda)!;
    const lp = deraLogp(lambda);
    const d = await stats(lp);
    const rt = await stats(ret.logp);
    const klRD = await klTo(ret.logp, lp);
    const klRA = await klTo(ret.logp, m.aligned.logp);
    const star = pg.noGrad(() => klOptimum(m.refLogp, pb.reward, s.beta / lambda));
    const klStar = await klTo(star, ret.logp);
    star.dispose();
    rows.push([lambda, s.beta / lambda, d.r, rt.r, d.kl, rt.kl, klRD, klRA, klStar, idealGap.get(lambda)!]);
    ratios.push(klRD / klRA);
    retStats.push({ l: lambda, ...rt });
    lp.dispose();
  }
  return { rows, ratios, stats: retStats.sort((a, b) => a.l - b.l) };
}

/** λ = 0 / 1 against the reference / aligned GPT: log-probs on the enumeration, and tokens drawn by the sampler with the same generator. */
async function gptEndpoints(s: GptSettings, pb: GptProblem, m: GptModels, samplers: { ref: GPT; aligned: GPT }, seed: number): Promise<{ logpErr: number; mismatches: number; tokens: number }> {
  const { deraLogp } = enumeration(pb, m);
  const lp0 = deraLogp(0);
  const lp1 = deraLogp(1);
  const logpErr = Math.max(await maxAbsDiff(lp0, m.refLogp), await maxAbsDiff(lp1, m.aligned.logp));
  lp0.dispose();
  lp1.dispose();
  const nPrompt = Math.max(8, Math.min(s.samples, 256));
  const prompts = pg.tensor(Int32Array.from({ length: nPrompt }, (_, i) => i % pb.V), { dtype: 'int32', shape: [nPrompt, 1], device: 'cpu' });
  let mismatches = 0;
  try {
    for (const [lambda, model] of [[0, samplers.ref], [1, samplers.aligned]] as const) {
      const a = model.generate(prompts, { maxNewTokens: pb.L, generator: new pg.Generator(seed + 99) });
      const b = deraGenerate(samplers.aligned, samplers.ref, prompts, { lambda, maxNewTokens: pb.L, generator: new pg.Generator(seed + 99) });
      const av = await numbers(a);
      const bv = await numbers(b);
      mismatches += av.reduce((n, v, i) => n + (v !== bv[i] ? 1 : 0), 0);
      a.dispose();
      b.dispose();
    }
  } finally {
    prompts.dispose();
  }
  return { logpErr, mismatches, tokens: 2 * nPrompt * pb.L };
}

/** The DeRa sampler against the enumeration: mean gold reward of sampled responses (prompts drawn from p(x)) vs the exact expectation. */
async function gptSamplerCheck(s: GptSettings, pb: GptProblem, m: GptModels, samplers: { ref: GPT; aligned: GPT }, sweep: Point[], seed: number, o: Owned): Promise<{ rows: (string | number)[][]; worstZ: number }> {
  const { stats, deraLogp } = enumeration(pb, m);
  const rows: (string | number)[][] = [];
  let worstZ = 0;
  const gSample = new pg.Generator(seed + 1234);
  const xsDrawn = o.keep(pb.lang.sample(s.samples, 1, { generator: gSample }));
  const xs = xsDrawn.device === 'cpu' ? xsDrawn : o.keep(await pg.toDevice(xsDrawn, 'cpu'));
  for (const lambda of s.samplerLambdas) {
    await breathe();
    const out = deraGenerate(samplers.aligned, samplers.ref, xs, { lambda, maxNewTokens: pb.L, generator: gSample });
    const toks = await numbers(out);
    out.dispose();
    const rs = goldReward(pb.bTable, pb.V, pb.L, s.rewardScale, Int32Array.from(toks));
    const meanR = rs.reduce((a, v) => a + v, 0) / rs.length;
    const sd = Math.sqrt(rs.reduce((a, v) => a + (v - meanR) ** 2, 0) / (rs.length - 1));
    let exact = sweep.find((p) => p.lambda === lambda)?.r;
    if (exact === undefined) {
      const lp = deraLogp(lambda);
      exact = (await stats(lp)).r;
      lp.dispose();
    }
    const z = (meanR - exact) / (sd / Math.sqrt(rs.length));
    worstZ = Math.max(worstZ, Math.abs(z));
    rows.push([lambda, s.samples, meanR, exact, z]);
  }
  return { rows, worstZ };
}

async function gptTier(s: GptSettings, seed: number, progress: Progress): Promise<TierOut> {
  const g = new pg.Generator(seed + 17);
  const o = new Owned();
  try {
    const pb = gptProblem(s, g, o);
    const m = await trainModels(s, pb, g, (o), (f, msg) => progress(0.95 * f, msg));
    const { sweep, optimum } = await gptLambdaSweep(s, pb, m);
    const cmp = await gptVsRetrained(s, pb, m);
    // Sampling: GPT.generate draws with pg.multinomial, which runs on the CPU only; off the CPU the
    // sampler checks use CPU copies of the two GPTs (the enumeration above stays on the device).
    const samplers = o.keep(await cpuSamplers(m.ref, m.aligned.model));
    const ends = await gptEndpoints(s, pb, m, samplers, seed);
    progress(0.97, 'GPT tier: sampling');
    const sampler = await gptSamplerCheck(s, pb, m, samplers, sweep, seed, o);
    const { stats } = enumeration(pb, m);
    const refStats = await stats(m.refLogp);
    const worstRatio = Math.max(...cmp.ratios);
    const tables: Table[] = [
      {
        name: 'GPT: DeRa vs retraining at β/λ (exact enumeration)',
        columns: ['λ', 'β/λ', 'E[r] DeRa', 'E[r] retrained', 'KL(DeRa ‖ ref)', 'KL(retrained ‖ ref)', 'KL(retrained ‖ DeRa)', 'KL(retrained ‖ aligned)', 'KL(optimum ‖ trained)', 'per-token gap of the exact optimum'],
        rows: cmp.rows,
      },
      { name: 'GPT: DeRa λ sweep', columns: ['λ', 'E[r] DeRa', 'KL(DeRa ‖ ref)', 'E[r] optimum of the SFT ref at β/λ', 'KL(optimum ‖ ref)'], rows: sweep.map((p, i) => [p.lambda, p.r, p.kl, optimum[i]!.r, optimum[i]!.kl]) },
      { name: 'GPT: DeRa sampler vs enumeration', columns: ['λ', 'samples', 'mean reward (samples)', 'E[r] (enumerated)', 'z'], rows: sampler.rows },
      {
        name: 'GPT: models',
        columns: ['model', 'E[r]', 'KL to ref', 'last training value'],
        rows: [
          ['SFT reference', refStats.r, 0, m.sftLoss.at(-1) ?? NaN],
          [`aligned β=${s.beta}`, cmp.stats[cmp.stats.findIndex((x) => x.l === 1)]!.r, cmp.stats[cmp.stats.findIndex((x) => x.l === 1)]!.kl, m.aligned.curve.at(-1) ?? NaN],
          ...cmp.stats.filter((x) => x.l !== 1).map((st) => [`retrained β/λ=${s.beta / st.l}`, st.r, st.kl, m.retrained.get(st.l)!.curve.at(-1) ?? NaN]),
        ],
      },
    ];
    const series: Series[] = [
      {
        name: 'gpt-frontier',
        kind: 'scatter',
        title: `GPT tier: reward vs KL to the SFT reference (β=${s.beta})`,
        xLabel: 'KL(π ‖ π_ref) (nats)',
        yLabel: 'E[r] (gold reward, exact)',
        caption: `DeRa on the model aligned at β=${s.beta}, λ ∈ {${s.sweep.join(', ')}}; GPTs fine-tuned at β/λ for λ ∈ {1, ${s.retrainLambdas.join(', ')}}; the exact optimum π_ref·exp(λr/β)/Z of the SFT reference.`,
        data: {
          series: [
            { name: 'DeRa (λ sweep)', x: sweep.map((p) => p.kl), y: sweep.map((p) => p.r) },
            { name: 'retrained at β/λ', x: cmp.stats.map((p) => p.kl), y: cmp.stats.map((p) => p.r) },
            { name: 'optimum at β/λ (of the SFT ref)', x: optimum.map((p) => p.kl), y: optimum.map((p) => p.r) },
          ],
          radius: 4,
        },
      },
      {
        name: 'gpt-reward-vs-lambda',
        kind: 'line',
        title: 'GPT tier: expected reward vs λ',
        xLabel: 'λ',
        yLabel: 'E[r]',
        data: {
          series: [
            { name: 'DeRa', x: sweep.map((p) => p.lambda), y: sweep.map((p) => p.r) },
            { name: 'optimum at β/λ', x: optimum.map((p) => p.lambda), y: optimum.map((p) => p.r) },
            { name: 'retrained at β/λ', x: cmp.stats.map((p) => p.l), y: cmp.stats.map((p) => p.r) },
          ],
        },
      },
    ];
    const claims = [
      check(CLAIM.gptRewardMonotone, minStep(sweep.map((p) => p.r)), '>', 0, `smallest increase of E[r] between consecutive λ ∈ {${s.sweep}}`),
      check(CLAIM.gptKlMonotone, minStep(sweep.map((p) => p.kl)), '>', 0, 'smallest increase of KL(DeRa ‖ ref) between consecutive λ'),
    ];
    const sanity = [
      check(SANITY.gptEndpointsLogprobs, ends.logpErr, '<=', 0, `max |log π_DeRa − log π| over all ${pb.V * pb.Y} (prompt, response) pairs: λ=0 vs the SFT reference, λ=1 vs the aligned GPT`),
      check(SANITY.gptEndpointsSamples, ends.mismatches, '<=', 0, `tokens where the DeRa sampler (λ=0, λ=1) differs from ref.generate / aligned.generate with the same generator (${ends.tokens} tokens)`),
      check(SANITY.gptSamplerMatchesEnumeration, sampler.worstZ, '<=', THRESHOLDS.samplerZ, `max |z| of the sampled mean reward vs the enumerated DeRa expectation, λ ∈ {${s.samplerLambdas}}, ${s.samples} samples each`),
    ];
    const findings = [
      check(
        FINDING.gptDeraCloserThanAligned,
        worstRatio,
        '<',
        THRESHOLDS.closerRatio,
        `max over λ ∈ {${s.retrainLambdas}} of KL(retrained β/λ ‖ DeRa λ) / KL(retrained β/λ ‖ aligned β): ${cmp.ratios.map((r) => r.toFixed(3)).join(', ')}`,
      ),
    ];
    const notes = [
      ...(samplers.copied ? [`GPT tier on ${pb.ids.device}: the sampler checks ran on CPU copies of the GPTs (GPT.generate samples with pg.multinomial, which is CPU-only)`] : []),
      `GPT tier: vocabulary ${pb.V}, one prompt token + ${pb.L} response tokens (all ${pb.V * pb.Y} pairs enumerated), GPT ${s.model.nLayers} layer(s) × d=${s.model.dModel}, SFT ${s.sft.steps} steps, fine-tuning ${s.fineTune.steps} Adam steps per model, reward scale ${s.rewardScale}`,
    ];
    return { tables, series, claims, sanity, findings, notes };
  } finally {
    o.dispose();
  }
}

// ---------------------------------------------------------------------------------------------
// The Experiment
// ---------------------------------------------------------------------------------------------

async function run(opts: RunOptions): Promise<Result> {
  const s = SETTINGS[opts.mode];
  const exact = await exactTier(s.exact, opts.seed, (f, m) => opts.onProgress(0.15 * f, m));
  const gpt = await gptTier(s.gpt, opts.seed, (f, m) => opts.onProgress(0.15 + 0.85 * f, m));
  opts.onProgress(1, 'done');
  return {
    tables: [...exact.tables, ...gpt.tables],
    series: [...exact.series, ...gpt.series],
    claims: [...exact.claims, ...gpt.claims],
    sanity: [...(exact.sanity ?? []), ...(gpt.sanity ?? [])],
    findings: [...(exact.findings ?? []), ...(gpt.findings ?? [])],
    notes: [...exact.notes, ...gpt.notes, `device: exact tier float64 on the CPU; GPT tier on ${opts.device}`],
  };
}

/** Over seeds: the GPT tier's "DeRa gets at least halfway to the retrained model" on the mean over the runs, with its 95% interval. */
function aggregate(runs: { seed: number; result: Result }[]): Partial<Checks> {
  const values = valuesOf(runs, FINDING.gptDeraCloserThanAligned);
  return { findings: [checkOnMean(FINDING.gptDeraCloserThanAlignedOverSeeds, values, '<', THRESHOLDS.closerRatio, 'the worst KL ratio of each run')] };
}

export const dera: Experiment = {
  name: 'dera',
  paper: {
    title: 'Decoding-time Realignment of Language Models',
    authors: 'Tianlin Liu, Shangmin Guo, Leonardo Bianco, Daniele Calandriello, Quentin Berthet, Felipe Llinares, Jessica Hoffmann, Lucas Dixon, Michal Valko, Mathieu Blondel',
    venue: 'ICML 2024',
    arxiv: '2402.02992',
  },
  summary:
    'DeRa samples from softmax(λ·z_aligned + (1 − λ)·z_ref) at every decoding step, approximating the model aligned at β/λ without retraining. ' +
    'Exact tier: enumerable sequences (4 tokens, length 1 and 3) with float64 exact training, and λ chosen on validation prompts; GPT tier: a tiny GPT, SFT on a toy language, fine-tuned with the exact KL-regularised objective.',
  claims: [
    { name: CLAIM.length3Beta2Close, description: `exact tier, length-3 sequences, β = 2: KL(retrained ‖ DeRa) < ${THRESHOLDS.length3} for λ ≤ 2` },
    { name: CLAIM.length3RewardMonotone, description: 'exact tier, length 3, β = 2: the expected reward increases monotonically with λ' },
    { name: CLAIM.length3KlMonotone, description: 'exact tier, length 3, β = 2: KL to the reference increases monotonically with λ' },
    { name: CLAIM.perTokenNotExact, description: `exact tier: at β = 1, λ = 4 (length 3) the per-token approximation is measurably not exact (KL > ${THRESHOLDS.perTokenGap})` },
    {
      name: CLAIM.lambdaSelectedOnValidation,
      description:
        `exact tier: λ chosen with DeRa on validation prompts (no retraining) reaches, on test prompts, ≥ ${THRESHOLDS.selectionGainRatio} of the best retrained model's gain ` +
        `in the trade-off E[r] − (β/${SELECTION.targetLambda})·KL over the reference (β = ${SELECTION.beta}, retrained at β/λ for λ ∈ {${SELECTION.retrainLambdas.join(', ')}})`,
    },
    { name: CLAIM.gptRewardMonotone, description: 'GPT tier: DeRa expected reward increases monotonically with λ' },
    { name: CLAIM.gptKlMonotone, description: 'GPT tier: DeRa KL to the reference increases monotonically with λ' },
  ],
  sanity: [
    { name: SANITY.endpointsExact, description: 'exact tier: λ = 0 and λ = 1 reproduce the reference and the aligned model exactly (max |Δ log π| = 0)' },
    { name: SANITY.singleTokenEqualsRetrained, description: `exact tier, single-token responses: DeRa at λ equals the model retrained at β/λ (KL < ${THRESHOLDS.singleToken}; an identity for one token)` },
    { name: SANITY.sequenceMixtureExact, description: `exact tier: the sequence-level geometric mixture π_ref^(1−λ)·π_β^λ equals the retrained β/λ optimum (max |Δ log π| ≤ ${THRESHOLDS.mixture}; an identity)` },
    { name: SANITY.trainingReachesOptimum, description: `exact tier: every trained table policy matches π_ref·exp(r/β)/Z (max |Δ log π| ≤ ${THRESHOLDS.training})` },
    { name: SANITY.gptEndpointsLogprobs, description: 'GPT tier: DeRa at λ = 0 / 1 gives the SFT reference / aligned GPT log-probabilities exactly' },
    { name: SANITY.gptEndpointsSamples, description: 'GPT tier: the DeRa sampler at λ = 0 / 1 emits the same tokens as ref.generate / aligned.generate with the same seed' },
    { name: SANITY.gptSamplerMatchesEnumeration, description: `GPT tier: the DeRa sampler's mean reward matches the enumerated DeRa expectation (|z| ≤ ${THRESHOLDS.samplerZ})` },
  ],
  findings: [
    {
      name: FINDING.gptDeraCloserThanAligned,
      description: `the paper: DeRa at λ approximates the model retrained at β/λ; here, GPT tier: KL(retrained β/λ ‖ DeRa λ) < ${THRESHOLDS.closerRatio} × KL(retrained β/λ ‖ aligned β) at every retrained λ, in each seed`,
    },
    { name: FINDING.gptDeraCloserThanAlignedOverSeeds, description: `the same on the mean over the run's seeds: the upper end of its 95% interval < ${THRESHOLDS.closerRatio}` },
  ],
  run,
  aggregate,
};
