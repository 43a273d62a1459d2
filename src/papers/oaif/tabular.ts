/**
 * The tabular tier of the OAIF reproduction: P prompts × K candidate responses, each with a hidden
 * quality and a length; the policy is a table of logits θ[p, k] (π_θ(·|p) = softmax θ[p]), so every
 * expectation is an exact sum and the KL-regularised optimum is known in closed form.
 *
 *  - the reference (SFT) policy slightly prefers long answers;
 *  - the annotator is Bradley–Terry on quality − c·length (c from its instruction, see index.ts);
 *  - the offline dataset is pairs drawn from a different (behaviour) policy that covers only part
 *    of the responses, labelled once by the same annotator;
 *  - online DPO/IPO/SLiC (OAIF) samples both responses from the current policy at every step;
 *  - offline DPO/IPO/SLiC runs the same update on the fixed dataset;
 *  - the RLHF-style baseline fits a Bradley–Terry reward model on the offline pairs and takes the
 *    KL-regularised optimum π_ref·exp(r̂/β)/Z (the exact solution of the RL step).
 */
import * as pg from '../../autograd/index.js';
import type { Tensor } from '../../autograd/index.js';
import { Adam } from '../../nn/optim.js';
import { LOSSES, annotatePairs, btAnnotator, klRegularisedOptimum, uniformStream, type Annotator, type LossName, type UtilityAnnotator } from './index.js';
import { permutation } from '../common/random.js';

export const TABULAR = {
  prompts: 8,
  responses: 16,
  /** Lengths are integers in [minLen, maxLen] (tokens). */
  minLen: 2,
  maxLen: 20,
  /** Hidden quality = qualitySlope·length + N(0, qualityNoise²): longer answers are a little more helpful on average. */
  qualitySlope: 0.04,
  qualityNoise: 1.0,
  /** Reference (SFT) logits = refLengthSlope·length + N(0, refNoise²): a slight preference for long answers. */
  refLengthSlope: 0.06,
  refNoise: 0.4,
  /** Annotator length penalty per token, by instruction. */
  penalties: { helpful: 0, short: 0.18 },
  /** The behaviour policy of the offline data covers this many responses per prompt (uniformly). */
  offlineCoverage: 4,
  /** Annotated offline pairs per prompt. */
  offlinePairs: 48,
  /** β of each loss (IPO's margin target is 1/(2β), SLiC's hinge margin 1/β). */
  beta: { dpo: 0.5, ipo: 0.1, slic: 0.5 } satisfies Record<LossName, number>,
  /** Optimisation (Adam on the logits, cosine-decayed learning rate). */
  steps: 400,
  pairsPerPrompt: 64,
  lr: { dpo: 0.1, ipo: 0.1, slic: 0.03 } satisfies Record<LossName, number>,
  /** L2 weight on the tabular reward model (keeps unseen responses at reward 0). */
  rewardL2: 0.01,
  rewardSteps: 300,
};
export type TabularConfig = typeof TABULAR;

export interface TabularEnv {
  P: number;
  K: number;
  /** [P][K] */
  length: number[][];
  quality: number[][];
  /** log π_ref [P, K] float64 (frozen). */
  refLogp: Tensor;
  refProbs: number[][];
  /** Responses of each prompt the offline behaviour policy covers. */
  covered: number[][];
}

const rows = (t: Tensor, K: number): number[][] => {
  const d = Array.from(t.dataSync() as ArrayLike<number>);
  return Array.from({ length: d.length / K }, (_, i) => d.slice(i * K, (i + 1) * K));
};

export function makeTabularEnv(cfg: TabularConfig, g: pg.Generator): TabularEnv {
  const P = cfg.prompts, K = cfg.responses;
  return pg.noGrad(() => {
    const len = pg.randint(cfg.minLen, cfg.maxLen + 1, [P, K], { generator: g, device: 'cpu' });
    const lenF = len.cast('float64');
    const quality = lenF.mul(cfg.qualitySlope).add(pg.randn([P, K], { generator: g, std: cfg.qualityNoise, dtype: 'float64', device: 'cpu' }));
    const refLogits = lenF.mul(cfg.refLengthSlope).add(pg.randn([P, K], { generator: g, std: cfg.refNoise, dtype: 'float64', device: 'cpu' }));
    const refLogp = pg.keep(refLogits.logSoftmax(1));
    // The behaviour policy covers a random subset of each prompt's responses.
    const covered: number[][] = [];
    for (let p = 0; p < P; p++) {
      covered.push(Array.from(permutation(K, g)).slice(0, cfg.offlineCoverage).sort((a, b) => a - b));
    }
    const env: TabularEnv = {
      P,
      K,
      length: rows(len, K),
      quality: rows(quality, K),
      refLogp,
      refProbs: rows(refLogp.exp(), K),
      covered,
    };
    for (const t of [len, lenF, quality, refLogits]) t.dispose();
    return env;
  });
}

export function disposeEnv(env: TabularEnv): void {
  env.refLogp.dispose();
}

/** The annotator of the tabular tier: prompts and responses are indices. */
export function tabularAnnotator(env: TabularEnv, instruction: string, g: pg.Generator, cfg: TabularConfig = TABULAR): UtilityAnnotator<number, number> {
  return btAnnotator<number, number>({
    instruction,
    quality: (p, k) => env.quality[p]![k]!,
    length: (p, k) => env.length[p]![k]!,
    generator: g,
    penalties: cfg.penalties,
  });
}

/** utility [P, K] float64 of an annotator. */
export function utilityTensor(env: TabularEnv, ann: UtilityAnnotator<number, number>): Tensor {
  const u: number[] = [];
  for (let p = 0; p < env.P; p++) for (let k = 0; k < env.K; k++) u.push(ann.utility(p, k));
  return pg.tensor(u, { shape: [env.P, env.K], dtype: 'float64', device: 'cpu' });
}

// ---------------------------------------------------------------------------------------------
// Measures (exact sums)
// ---------------------------------------------------------------------------------------------

/**
 * Gold win rate of π against π_ref: the probability that the gold judge (Bradley–Terry on `judge`'s
 * utility) prefers a response of π to one of π_ref, averaged over prompts:
 *   (1/P) Σ_p Σ_a Σ_b π(a|p) π_ref(b|p) σ(u(a) − u(b)).   π = π_ref gives exactly 0.5.
 */
export function winRate(env: TabularEnv, probs: number[][], judge: UtilityAnnotator<number, number>, against: number[][] = env.refProbs): number {
  let s = 0;
  for (let p = 0; p < env.P; p++)
    for (let a = 0; a < env.K; a++)
      for (let b = 0; b < env.K; b++) s += probs[p]![a]! * against[p]![b]! * judge.probability(p, a, b);
  return s / env.P;
}

/** Mean response length under π (averaged over prompts). */
export function meanLength(env: TabularEnv, probs: number[][]): number {
  let s = 0;
  for (let p = 0; p < env.P; p++) for (let k = 0; k < env.K; k++) s += probs[p]![k]! * env.length[p]![k]!;
  return s / env.P;
}

/** Mean over prompts of KL(p ‖ q). */
export function meanKL(p: number[][], q: number[][]): number {
  let s = 0;
  for (let i = 0; i < p.length; i++)
    for (let k = 0; k < p[i]!.length; k++) {
      const a = p[i]![k]!;
      if (a > 0) s += a * Math.log(a / q[i]![k]!);
    }
  return s / p.length;
}

/** The closed-form optimum π_ref·exp(u/β)/Z of an annotator's utility, as rows. */
export function closedFormOptimum(env: TabularEnv, ann: UtilityAnnotator<number, number>, beta: number): number[][] {
  return pg.tidy(() => rows(klRegularisedOptimum(env.refLogp, utilityTensor(env, ann), beta), env.K));
}

// ---------------------------------------------------------------------------------------------
// Data
// ---------------------------------------------------------------------------------------------

export interface PairSet {
  prompt: number[];
  chosen: number[];
  rejected: number[];
}

/**
 * The offline dataset: per prompt, `pairs` pairs (a, b) drawn independently from the behaviour
 * policy (uniform on the covered responses), each labelled once by the annotator.
 */
export function offlineDataset(env: TabularEnv, annotator: Annotator<number, number>, pairs: number, g: pg.Generator): PairSet {
  const muRows: number[][] = env.covered.map((c) => Array.from({ length: env.K }, (_, k) => (c.includes(k) ? 1 / c.length : 0)));
  return samplePairs(env, muRows, annotator, pairs, uniformStream(g));
}

/** Inverse-CDF draw of an index from a probability row, with a uniform number u ∈ [0, 1). */
export function drawIndex(row: readonly number[], u: number): number {
  let acc = 0;
  for (let k = 0; k < row.length; k++) {
    acc += row[k]!;
    if (u < acc) return k;
  }
  // Rounding: the running sum may end just below 1; fall back to the last index with mass.
  for (let k = row.length - 1; k >= 0; k--) if (row[k]! > 0) return k;
  throw new Error('drawIndex: a row without mass');
}

/**
 * Samples `n` independent pairs (a, b) per prompt from the row distributions `probs` (outside any
 * gradient) and labels each with the annotator. `uniform` is a seeded stream (uniformStream).
 */
export function samplePairs(env: TabularEnv, probs: number[][], annotator: Annotator<number, number>, n: number, uniform: () => number): PairSet {
  const prompt: number[] = [], a: number[] = [], b: number[] = [];
  for (let p = 0; p < env.P; p++)
    for (let i = 0; i < n; i++) {
      prompt.push(p);
      a.push(drawIndex(probs[p]!, uniform()));
      b.push(drawIndex(probs[p]!, uniform()));
    }
  const { chosen, rejected } = annotatePairs(annotator, prompt, a, b);
  return { prompt, chosen, rejected };
}

// ---------------------------------------------------------------------------------------------
// Training
// ---------------------------------------------------------------------------------------------

export interface TrainSpec {
  loss: LossName;
  beta: number;
  /** 'online': OAIF (pairs from the current policy, labelled by `annotator` at every step); else a fixed dataset. */
  data: { kind: 'online'; annotator: Annotator<number, number> } | { kind: 'offline'; pairs: PairSet };
  steps: number;
  pairsPerPrompt: number;
  lr: number;
  /** Adam's moment decays (default [0.9, 0.999]). */
  betas?: [number, number];
}

export interface TrainOut {
  probs: number[][];
  /** Per logged step: the policy's rows (for curves). */
  trace: { step: number; probs: number[][] }[];
}

/**
 * Trains a tabular policy initialised at π_ref with one of the direct-alignment losses.
 * Online: every step samples pairsPerPrompt pairs per prompt from the current policy (outside the
 * gradient), labels them with the annotator and takes one Adam step on the mean loss.
 * Offline: every step takes a full-batch Adam step on the fixed dataset (the most favourable
 * setting for offline training: no minibatch noise).
 * The learning rate follows a cosine from lr to 0.
 */
export function trainTabular(env: TabularEnv, spec: TrainSpec, g: pg.Generator, opts: { logEvery?: number; onStep?: (s: number) => void } = {}): TrainOut {
  const theta = pg.keep(env.refLogp.clone()).requiresGrad_();
  const opt = new Adam([theta], { lr: spec.lr, betas: spec.betas ?? [0.9, 0.999] });
  const lossFn = LOSSES[spec.loss];
  const K = env.K;
  const trace: TrainOut['trace'] = [];
  const logEvery = opts.logEvery ?? 0;
  let fixed: { chosen: Tensor; rejected: Tensor } | null = null;
  if (spec.data.kind === 'offline') {
    const d = spec.data.pairs;
    fixed = {
      chosen: pg.keep(pg.tensor(d.prompt.map((p, i) => p * K + d.chosen[i]!), { dtype: 'int32', device: 'cpu' })),
      rejected: pg.keep(pg.tensor(d.prompt.map((p, i) => p * K + d.rejected[i]!), { dtype: 'int32', device: 'cpu' })),
    };
  }
  const snapshot = (): number[][] => pg.noGrad(() => pg.tidy(() => rows(theta.softmax(1), K)));
  const uniform = uniformStream(g);
  try {
    for (let step = 0; step < spec.steps; step++) {
      if (logEvery && step % logEvery === 0) trace.push({ step, probs: snapshot() });
      opt.paramGroups[0]!.lr = spec.lr * 0.5 * (1 + Math.cos((Math.PI * step) / spec.steps));
      pg.tidy(() => {
        let chosen: Tensor, rejected: Tensor;
        if (fixed) {
          chosen = fixed.chosen;
          rejected = fixed.rejected;
        } else {
          const probs = snapshot();
          const d = samplePairs(env, probs, (spec.data as { annotator: Annotator<number, number> }).annotator, spec.pairsPerPrompt, uniform);
          chosen = pg.tensor(d.prompt.map((p, i) => p * K + d.chosen[i]!), { dtype: 'int32', device: 'cpu' });
          rejected = pg.tensor(d.prompt.map((p, i) => p * K + d.rejected[i]!), { dtype: 'int32', device: 'cpu' });
        }
        const logp = theta.logSoftmax(1).reshape([-1]);
        const ref = env.refLogp.reshape([-1]);
        const loss = lossFn(logp.indexSelect(0, chosen), logp.indexSelect(0, rejected), ref.indexSelect(0, chosen), ref.indexSelect(0, rejected), spec.beta);
        loss.backward();
        opt.step();
        opt.zeroGrad();
      });
      opts.onStep?.(step);
    }
    const probs = snapshot();
    if (logEvery) trace.push({ step: spec.steps, probs });
    return { probs, trace };
  } finally {
    theta.dispose();
    if (fixed) {
      fixed.chosen.dispose();
      fixed.rejected.dispose();
    }
    opt.dispose();
  }
}

/**
 * The RLHF-style baseline: a tabular Bradley–Terry reward model r̂[p, k] fit by maximum likelihood
 * (+ L2, which keeps responses never seen in the data at r̂ = 0) on the offline pairs, then the
 * exact KL-regularised optimum π_ref·exp(r̂/β)/Z (what a perfect RL step would reach).
 */
export function rlhfBaseline(env: TabularEnv, data: PairSet, beta: number, cfg: TabularConfig = TABULAR): { probs: number[][]; reward: number[][] } {
  const K = env.K;
  const r = pg.zeros([env.P * K], { dtype: 'float64', device: 'cpu', requiresGrad: true });
  pg.keep(r);
  const opt = new Adam([r], { lr: 0.1 });
  const ch = pg.keep(pg.tensor(data.prompt.map((p, i) => p * K + data.chosen[i]!), { dtype: 'int32', device: 'cpu' }));
  const rj = pg.keep(pg.tensor(data.prompt.map((p, i) => p * K + data.rejected[i]!), { dtype: 'int32', device: 'cpu' }));
  try {
    for (let s = 0; s < cfg.rewardSteps; s++)
      pg.tidy(() => {
        const margin = r.indexSelect(0, ch).sub(r.indexSelect(0, rj));
        const nll = margin.neg().softplus().mean().add(r.square().sum().mul(cfg.rewardL2 / env.P));
        nll.backward();
        opt.step();
        opt.zeroGrad();
      });
    return pg.noGrad(() =>
      pg.tidy(() => {
        const rr = r.reshape([env.P, K]);
        return { probs: rows(klRegularisedOptimum(env.refLogp, rr, beta), K), reward: rows(rr, K) };
      }),
    );
  } finally {
    opt.dispose();
    for (const t of [r, ch, rj]) t.dispose();
  }
}

/** Exact P(a ≻ b) of an annotator for every pair: [P][K][K]. */
export function preferenceMatrix(env: TabularEnv, ann: UtilityAnnotator<number, number>): number[][][] {
  return Array.from({ length: env.P }, (_, p) =>
    Array.from({ length: env.K }, (_, a) => Array.from({ length: env.K }, (_, b) => ann.probability(p, a, b))),
  );
}

/**
 * The fixed point of ONLINE IPO (both responses from the policy itself). The IPO loss of a pair is
 * a least-squares regression of the margin h(a, b) onto (2·P(a ≻ b) − 1)/(2β); with pairs weighted
 * π(a)π(b) its minimiser satisfies log π(a)/π_ref(a) = P(a ≻ π)/β + const, i.e.
 *   π = π_ref · exp(P(y ≻ π)/β) / Z,   P(y ≻ π) = Σ_b π(b) P(y ≻ b)
 * (Azar et al.'s IPO optimum with the sampling policy μ = π). Solved by damped fixed-point
 * iteration in log space; returns the rows and the final residual max |Δ log π|.
 */
export function onlineIpoFixedPoint(env: TabularEnv, ann: UtilityAnnotator<number, number>, beta: number, opts: { iters?: number; damping?: number } = {}): { probs: number[][]; residual: number } {
  const iters = opts.iters ?? 5000, eta = opts.damping ?? 0.05;
  const pref = preferenceMatrix(env, ann);
  const refLog = env.refProbs.map((r) => r.map(Math.log));
  let logits = refLog.map((r) => [...r]);
  const softmax = (r: number[]): number[] => {
    const m = Math.max(...r);
    const e = r.map((v) => Math.exp(v - m));
    const z = e.reduce((a, b) => a + b, 0);
    return e.map((v) => v / z);
  };
  let residual = Infinity;
  for (let it = 0; it < iters; it++) {
    residual = 0;
    logits = logits.map((row, p) => {
      const pi = softmax(row);
      // Gap to the fixed-point equation, up to the (irrelevant) normalising constant.
      const gap = row.map((v, a) => refLog[p]![a]! + winAgainst(pi, pref[p]!, a) / beta - v);
      residual = Math.max(residual, Math.max(...gap) - Math.min(...gap));
      return row.map((v, a) => v + eta * gap[a]!);
    });
  }
  return { probs: logits.map(softmax), residual };
}

/** P(a ≻ π) = Σ_b π(b) P(a ≻ b). */
function winAgainst(pi: number[], pref: number[][], a: number): number {
  let w = 0;
  for (let b = 0; b < pi.length; b++) w += pi[b]! * pref[a]![b]!;
  return w;
}
