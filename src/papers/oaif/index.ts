/**
 * Direct Language Model Alignment from Online AI Feedback (OAIF) — Guo et al., 2024, arXiv 2402.04792.
 *
 * The method, as in the paper's algorithm box: at every step
 *   1. take a batch of prompts x,
 *   2. sample two responses y¹, y² ~ π_θ(·|x) from the CURRENT policy (online, on-policy),
 *   3. ask an annotator (an LLM prompted with an instruction) which one it prefers → (y⁺, y⁻),
 *   4. take a gradient step on a direct-alignment loss ℓ(y⁺, y⁻, x; θ) (DPO, IPO or SLiC) against a
 *      frozen reference π_ref (the SFT model).
 * Sampling and annotation are outside the gradient. Offline DPO is the same update on a fixed
 * dataset of pairs collected (and labelled) beforehand from another policy.
 *
 * This file holds what does not depend on the tier: the three losses (also used by the DeRa
 * module), the annotator interface and the annotators built on it, and the KL-regularised optimum
 * π* = π_ref·exp(r/β)/Z. The tabular tier is in tabular.ts, the nn.GPT tier in gpt-tier.ts and the
 * Experiment wiring in experiment.ts.
 */
import * as pg from '../../autograd/index.js';
import type { Tensor } from '../../autograd/index.js';

// ---------------------------------------------------------------------------------------------
// Hyperparameters shared by both tiers
// ---------------------------------------------------------------------------------------------

export const CONFIG = {
  /** The two instructions of the annotator (the paper's "helpful" and "helpful and short" prompts). */
  instructions: { helpful: 'helpful', short: 'helpful and short' },
  /** The annotator is Bradley–Terry on its utility: P(a ≻ b) = σ(btScale·(u(a) − u(b))). */
  btScale: 1,
};

/** Length penalty c per unit of length for each instruction (each tier sets its own, in its units). */
export interface LengthPenalties {
  helpful: number;
  short: number;
}

// ---------------------------------------------------------------------------------------------
// Direct alignment losses (DPO, IPO, SLiC)
// ---------------------------------------------------------------------------------------------

export type Reduction = 'mean' | 'sum' | 'none';

/**
 * Signature shared by dpoLoss, ipoLoss and slicLoss: the summed log-probabilities of the chosen
 * (preferred, y⁺) and rejected (y⁻) responses under the policy and the frozen reference (any equal
 * shapes, one entry per pair), the regularisation strength β, and the reduction over pairs
 * ('mean' by default). The reference log-probabilities are detached inside (no gradient flows to
 * the reference model even if they carry one).
 */
export type PreferenceLoss = (
  policyChosenLogp: Tensor,
  policyRejectedLogp: Tensor,
  refChosenLogp: Tensor,
  refRejectedLogp: Tensor,
  beta: number,
  opts?: { reduction?: Reduction },
) => Tensor;

function reduce(x: Tensor, reduction: Reduction | undefined, who: string): Tensor {
  switch (reduction ?? 'mean') {
    case 'mean':
      return x.mean();
    case 'sum':
      return x.sum();
    case 'none':
      return x;
    default:
      throw new Error(`${who}: unknown reduction ${JSON.stringify(reduction)}`);
  }
}

/**
 * The log-likelihood-ratio margin of a pair,
 *   h = [log π(y⁺) − log π_ref(y⁺)] − [log π(y⁻) − log π_ref(y⁻)],
 * the one quantity every loss of the family is a function of (the reference terms detached).
 */
export function logRatioMargin(policyChosenLogp: Tensor, policyRejectedLogp: Tensor, refChosenLogp: Tensor, refRejectedLogp: Tensor): Tensor {
  const shapes = [policyChosenLogp, policyRejectedLogp, refChosenLogp, refRejectedLogp].map((t) => t.shape.join(','));
  if (new Set(shapes).size !== 1) throw new Error(`logRatioMargin: the four log-probability tensors must have one shape, got [${shapes.join('] [')}]`);
  const ref = refChosenLogp.detach().sub(refRejectedLogp.detach());
  return policyChosenLogp.sub(policyRejectedLogp).sub(ref);
}

function checkBeta(beta: number, who: string): void {
  if (!(typeof beta === 'number' && beta > 0 && Number.isFinite(beta))) throw new Error(`${who}: beta must be a positive finite number, got ${beta}`);
}

/** DPO (Rafailov et al. 2023): ℓ = −log σ(β·h). Its population optimum under Bradley–Terry labels with reward r is π_ref·exp(r/β)/Z. */
export const dpoLoss: PreferenceLoss = (policyChosenLogp, policyRejectedLogp, refChosenLogp, refRejectedLogp, beta, opts = {}) => {
  checkBeta(beta, 'dpoLoss');
  const h = logRatioMargin(policyChosenLogp, policyRejectedLogp, refChosenLogp, refRejectedLogp);
  // −log σ(z) = softplus(−z), finite for any z.
  return reduce(h.mul(-beta).softplus(), opts.reduction, 'dpoLoss');
};

/** IPO (Azar et al. 2023): ℓ = (h − 1/(2β))², a squared loss that regresses the margin onto 1/(2β). */
export const ipoLoss: PreferenceLoss = (policyChosenLogp, policyRejectedLogp, refChosenLogp, refRejectedLogp, beta, opts = {}) => {
  checkBeta(beta, 'ipoLoss');
  const h = logRatioMargin(policyChosenLogp, policyRejectedLogp, refChosenLogp, refRejectedLogp);
  return reduce(h.sub(1 / (2 * beta)).square(), opts.reduction, 'ipoLoss');
};

/**
 * SLiC (Zhao et al. 2023) in the form the OAIF paper uses (Tang et al.'s GPO family, with the
 * reference ratio): ℓ = max(0, 1 − β·h), a hinge that stops pushing once the margin reaches 1/β.
 */
export const slicLoss: PreferenceLoss = (policyChosenLogp, policyRejectedLogp, refChosenLogp, refRejectedLogp, beta, opts = {}) => {
  checkBeta(beta, 'slicLoss');
  const h = logRatioMargin(policyChosenLogp, policyRejectedLogp, refChosenLogp, refRejectedLogp);
  return reduce(h.mul(-beta).add(1).relu(), opts.reduction, 'slicLoss');
};

export type LossName = 'dpo' | 'ipo' | 'slic';
export const LOSSES: Readonly<Record<LossName, PreferenceLoss>> = { dpo: dpoLoss, ipo: ipoLoss, slic: slicLoss };

// ---------------------------------------------------------------------------------------------
// The annotator: (prompt, a, b) -> preference
// ---------------------------------------------------------------------------------------------

/** Which response the annotator prefers: 0 for a, 1 for b. */
export type Preference = 0 | 1;

/**
 * The annotator interface, standing in for an LLM prompted to compare two responses to a prompt.
 * P is the prompt type and Y the response type of a tier (indices in the tabular tier, token
 * lists in the GPT tier).
 */
export type Annotator<P, Y> = (prompt: P, a: Y, b: Y) => Preference;

/** An annotator that also exposes the instruction it follows and the utility it judges by. */
export interface UtilityAnnotator<P, Y> extends Annotator<P, Y> {
  instruction: string;
  /** The utility its Bradley–Terry judgement is based on: quality − c·length. */
  utility(prompt: P, y: Y): number;
  /** P(a ≻ b) (what each call samples from). */
  probability(prompt: P, a: Y, b: Y): number;
}

/**
 * Reads the length penalty c off the annotator's instruction, as a prompted LLM would read the
 * instruction text: asking for short / concise / brief answers turns the length penalty on.
 */
export function lengthPenaltyFor(instruction: string, penalties: LengthPenalties): number {
  const s = instruction.toLowerCase();
  if (!/help/.test(s)) throw new Error(`annotator: unsupported instruction ${JSON.stringify(instruction)} (expected "helpful" or "helpful and short")`);
  return /\b(short|concise|brief)\b/.test(s) ? penalties.short : penalties.helpful;
}

/**
 * A stream of uniform [0, 1) numbers from a pg.Generator, drawn in blocks (float64, on the CPU),
 * so per-pair annotation stays deterministic given the seed without a tensor per call.
 */
export function uniformStream(generator: pg.Generator, block = 4096): () => number {
  let buf: ArrayLike<number> = [];
  let i = 0;
  return () => {
    if (i >= buf.length) {
      const t = pg.rand([block], { generator, dtype: 'float64', device: 'cpu' });
      buf = t.dataSync() as ArrayLike<number>;
      t.dispose();
      i = 0;
    }
    return buf[i++]!;
  };
}

export const sigmoid = (z: number): number => (z >= 0 ? 1 / (1 + Math.exp(-z)) : Math.exp(z) / (1 + Math.exp(z)));

/**
 * The instruction-following annotator: Bradley–Terry on utility(y) = quality(y) − c·length(y),
 * c read from the instruction ("helpful" vs "helpful and short"). Each call samples its
 * preference: P(a ≻ b) = σ(scale·(u(a) − u(b))).
 */
export function btAnnotator<P, Y>(opts: {
  instruction: string;
  quality: (prompt: P, y: Y) => number;
  length: (prompt: P, y: Y) => number;
  generator: pg.Generator;
  penalties: LengthPenalties;
  scale?: number;
}): UtilityAnnotator<P, Y> {
  const c = lengthPenaltyFor(opts.instruction, opts.penalties);
  const scale = opts.scale ?? CONFIG.btScale;
  const u = uniformStream(opts.generator);
  const utility = (p: P, y: Y): number => opts.quality(p, y) - c * opts.length(p, y);
  const probability = (p: P, a: Y, b: Y): number => sigmoid(scale * (utility(p, a) - utility(p, b)));
  const annotate = ((p: P, a: Y, b: Y): Preference => (u() < probability(p, a, b) ? 0 : 1)) as UtilityAnnotator<P, Y>;
  annotate.instruction = opts.instruction;
  annotate.utility = utility;
  annotate.probability = probability;
  return annotate;
}

/** Negative control: a coin flip, whatever the responses. */
export function randomAnnotator<P, Y>(generator: pg.Generator): Annotator<P, Y> {
  const u = uniformStream(generator);
  return () => (u() < 0.5 ? 0 : 1);
}

/** Negative control: the same judgement with the label reversed. */
export function flippedAnnotator<P, Y>(annotator: Annotator<P, Y>): Annotator<P, Y> {
  return (p, a, b) => (annotator(p, a, b) === 0 ? 1 : 0);
}

/** Orders each pair by the annotator's verdict: chosen (y⁺) and rejected (y⁻). */
export function annotatePairs<P, Y>(annotator: Annotator<P, Y>, prompts: readonly P[], a: readonly Y[], b: readonly Y[]): { chosen: Y[]; rejected: Y[] } {
  if (prompts.length !== a.length || a.length !== b.length) throw new Error('annotatePairs: prompts, a and b must have one length');
  const chosen: Y[] = [];
  const rejected: Y[] = [];
  for (let i = 0; i < a.length; i++) {
    const pref = annotator(prompts[i]!, a[i]!, b[i]!);
    chosen.push(pref === 0 ? a[i]! : b[i]!);
    rejected.push(pref === 0 ? b[i]! : a[i]!);
  }
  return { chosen, rejected };
}

// ---------------------------------------------------------------------------------------------
// The KL-regularised optimum
// ---------------------------------------------------------------------------------------------

/**
 * argmax_π E_π[r] − β·KL(π ‖ π_ref) = π_ref·exp(r/β)/Z, row-wise: refLogp and reward [..., K]
 * (log-probabilities and rewards of K responses per prompt) -> probabilities [..., K].
 * It is the closed form online DPO converges to when the annotator is Bradley–Terry on r, and
 * the last step of the RLHF-style baseline (with a learned reward).
 */
export function klRegularisedOptimum(refLogp: Tensor, reward: Tensor, beta: number): Tensor {
  checkBeta(beta, 'klRegularisedOptimum');
  return refLogp.add(reward.div(beta)).softmax(-1);
}
