/**
 * Decoding-time Realignment (DeRa) — Liu et al., "Decoding-time Realignment of Language Models"
 * (ICML 2024, arXiv 2402.02992).
 *
 * The KL-regularised alignment objective
 *
 *     J_β(π) = E_{y~π}[r(y)] − β·KL(π ‖ π_ref)
 *
 * has the optimum π*_β(y) ∝ π_ref(y)·exp(r(y)/β). Hence, for any λ,
 *
 *     π*_{β/λ}(y) ∝ π_ref(y)·exp(λ·r(y)/β) ∝ π_ref(y)^(1−λ) · π*_β(y)^λ,
 *
 * a geometric mixture of the reference and the aligned model: the model aligned at β/λ needs no
 * retraining. DeRa applies the mixture per token, on the logits:
 *
 *     z_t = λ·z_t^aligned + (1 − λ)·z_t^ref,   y_t ~ softmax(z_t),
 *
 * which is exact for single-token responses and an approximation for longer ones (the per-token
 * soft values at β and at β/λ differ). This file holds the method: `realignLogits`, the sampler
 * (through `GPT.generate`'s logitsProcessor), the KL-regularised objective and its closed-form
 * optimum, an exactly enumerable autoregressive "table" policy with a natural-gradient trainer
 * (the exact tier) and the GPT fine-tuning and SFT loops (the GPT tier). experiment.ts wires them.
 */
import * as pg from '../../autograd/index.js';
import type { Tensor, Generator } from '../../autograd/index.js';
import type { GPT } from '../../nn/gpt.js';
import { Adam } from '../../nn/optim.js';

/** Hyperparameters of the method's optimisers (experiment.ts holds the per-mode settings). */
export const DEFAULTS = {
  /** Exact tier: natural-gradient ascent on the per-prefix logits. */
  table: { steps: 500, eta: 0.5, tol: 1e-13, preconditioner: 'fisher' as 'fisher' | 'none', lr: 1 },
  /** GPT tier: Adam on −J_β over the enumerated responses. */
  gptFineTune: { steps: 150, lr: 1e-2, finalLr: 1e-3 },
  /** GPT tier: supervised fine-tuning on samples of the toy language. */
  sft: { steps: 200, batch: 64, lr: 1e-2 },
};

// ---------------------------------------------------------------------------------------------
// DeRa
// ---------------------------------------------------------------------------------------------

/**
 * DeRa's realigned logits λ·aligned + (1 − λ)·ref (shapes broadcast). λ = 0 gives the reference
 * logits and λ = 1 the aligned ones, bit for bit; λ > 1 extrapolates past the aligned model
 * (stronger alignment, a smaller effective β/λ).
 */
export function realignLogits(refLogits: Tensor, alignedLogits: Tensor, lambda: number): Tensor {
  if (!Number.isFinite(lambda)) throw new Error(`realignLogits: lambda must be a finite number, got ${lambda}`);
  return alignedLogits.mul(lambda).add(refLogits.mul(1 - lambda));
}

/** The last `maxLen` tokens of ids [B, T] (what GPT.generate feeds the model). */
function cropContext(ids: Tensor, maxLen: number): Tensor {
  const T = ids.shape[1]!;
  return T > maxLen ? ids.slice(1, T - maxLen, T) : ids;
}

/**
 * A logitsProcessor for `aligned.generate(context, {maxNewTokens: 1, logitsProcessor})`: it runs
 * the reference model on the same context and returns realignLogits(refLast, alignedLast, λ).
 *
 * GPT.generate's logitsProcessor receives (step, logits) but not the token ids, so a processor
 * that needs a second model's logits must be told the context: this one is bound to `context`
 * and valid for one decoding step (deraGenerate makes a new one per token).
 */
export function deraLogitsProcessor(ref: GPT, context: Tensor, lambda: number): (step: number, logits: Tensor) => Tensor {
  return (_step, alignedLast) => {
    const refLast = ref.forward(cropContext(context, ref.config.maxLen)).select(1, -1);
    return realignLogits(refLast.cast(alignedLast.dtype), alignedLast, lambda);
  };
}

export interface DeraGenerateOpts {
  lambda: number;
  maxNewTokens: number;
  temperature?: number;
  topK?: number | null;
  generator?: Generator;
}

/**
 * The DeRa sampler: appends maxNewTokens tokens to prompt [B, T0] (int32), each drawn from
 * softmax(λ·z^aligned + (1 − λ)·z^ref) at its context. Every step is one call of
 * `aligned.generate(ids, {maxNewTokens: 1, logitsProcessor})`, so temperature, topK and the
 * generator behave exactly as in GPT.generate (the same generator gives the same draws as one
 * multi-token generate call: λ = 1 reproduces aligned.generate and λ = 0 ref.generate).
 */
export function deraGenerate(aligned: GPT, ref: GPT, prompt: Tensor, opts: DeraGenerateOpts): Tensor {
  let ids = prompt;
  for (let t = 0; t < opts.maxNewTokens; t++) {
    const prev = ids;
    ids = pg.noGrad(() =>
      aligned.generate(prev, {
        maxNewTokens: 1,
        temperature: opts.temperature,
        topK: opts.topK,
        generator: opts.generator,
        logitsProcessor: deraLogitsProcessor(ref, prev, opts.lambda),
      }),
    );
    if (prev !== prompt) prev.dispose();
  }
  return ids === prompt ? prompt.clone() : ids;
}

// ---------------------------------------------------------------------------------------------
// The KL-regularised objective over an enumerated sequence space
// ---------------------------------------------------------------------------------------------
// Conventions: log-probabilities and rewards are tensors [..., Y] whose last axis enumerates the
// responses of one prompt (leading axes: prompts). Everything below is differentiable.

/**
 * J_β = Σ_x w_x Σ_y π(y|x)·(r(x, y) − β·(log π(y|x) − log π_ref(y|x))): the expected reward minus
 * β times the KL to the reference, exactly, by enumeration. `weights` [...] (one per prompt,
 * default 1) weighs the prompts.
 */
export function klRegularisedObjective(logp: Tensor, refLogp: Tensor, reward: Tensor, beta: number, weights?: Tensor): Tensor {
  const perPrompt = logp.exp().mul(reward.sub(logp.sub(refLogp).mul(beta))).sum(-1);
  return (weights ? perPrompt.mul(weights) : perPrompt).sum();
}

/** The optimum of J_β: log π*_β = log softmax(log π_ref + r/β) over the responses. */
export function klOptimum(refLogp: Tensor, reward: Tensor, beta: number): Tensor {
  return refLogp.add(reward.div(beta)).logSoftmax(-1);
}

/**
 * The sequence-level geometric mixture log softmax(λ·log π_aligned + (1 − λ)·log π_ref): the same
 * realignment applied to whole-sequence log-probabilities. Equals π*_{β/λ} when π_aligned = π*_β.
 */
export function geometricMixture(refLogp: Tensor, alignedLogp: Tensor, lambda: number): Tensor {
  return realignLogits(refLogp, alignedLogp, lambda).logSoftmax(-1);
}

/** E_π[r] per prompt: [...]. */
export function expectedReward(logp: Tensor, reward: Tensor): Tensor {
  return logp.exp().mul(reward).sum(-1);
}

/** KL(p ‖ q) per prompt from log-probabilities over the last axis: [...]. */
export function sequenceKL(logp: Tensor, logq: Tensor): Tensor {
  return logp.exp().mul(logp.sub(logq)).sum(-1);
}

/**
 * Choosing the alignment strength at decoding time, the paper's use of DeRa for tuning: score every
 * candidate λ on validation prompts (with the realigned model, no retraining) and keep the best.
 * Ties go to the first (smallest) candidate.
 */
export function selectLambda(lambdas: readonly number[], validationScore: (lambda: number) => number): { lambda: number; score: number; scores: number[] } {
  if (!lambdas.length) throw new Error('selectLambda: no candidate λ');
  const scores = lambdas.map(validationScore);
  let best = 0;
  scores.forEach((v, i) => {
    if (v > scores[best]!) best = i;
  });
  return { lambda: lambdas[best]!, score: scores[best]!, scores };
}

// ---------------------------------------------------------------------------------------------
// Exact tier: an autoregressive policy with one free logit vector per prefix
// ---------------------------------------------------------------------------------------------

/**
 * An autoregressive policy over V^L sequences of length L: levels[k] [V^k, V] holds the next-token
 * logits of every prefix of length k (prefixes numbered in base V, oldest token most significant).
 */
export type TablePolicy = Tensor[];

function tableShape(levels: TablePolicy): { V: number; L: number } {
  const L = levels.length;
  const V = levels[0]!.shape[1]!;
  levels.forEach((t, k) => {
    if (t.rank !== 2 || t.shape[0] !== V ** k || t.shape[1] !== V) throw new Error(`table policy: level ${k} must be [${V ** k}, ${V}], got [${t.shape.join(', ')}]`);
  });
  return { V, L };
}

const indexCache = new Map<string, Tensor[]>();

/** For level k, the index (into the flattened [V^(k+1)] table) of each sequence's prefix y_≤k. */
function prefixIndices(V: number, L: number): Tensor[] {
  const key = `${V},${L}`;
  let idx = indexCache.get(key);
  if (!idx) {
    const N = V ** L;
    idx = Array.from({ length: L }, (_, k) => {
      const a = new Int32Array(N);
      for (let y = 0; y < N; y++) a[y] = Math.floor(y / V ** (L - 1 - k));
      return pg.keep(pg.tensor(a, { dtype: 'int32', device: 'cpu' }));
    });
    indexCache.set(key, idx);
  }
  return idx;
}

/** log π(y) of every sequence y (numbered in base V): [V^L], differentiable in the levels. */
export function tableSequenceLogProbs(levels: TablePolicy): Tensor {
  const { V, L } = tableShape(levels);
  const idx = prefixIndices(V, L);
  let out: Tensor | null = null;
  for (let k = 0; k < L; k++) {
    const lp = levels[k]!.logSoftmax(-1).reshape([V ** (k + 1)]).indexSelect(0, idx[k]!);
    out = out ? out.add(lp) : lp;
  }
  return out!;
}

/** π(y_≤k) for every prefix of length k + 1, as [V^k, V] per level (the reach probabilities). */
export function tablePrefixProbs(levels: TablePolicy): Tensor[] {
  const out: Tensor[] = [];
  let reach: Tensor | null = null; // [V^k]
  for (const z of levels) {
    const p = z.softmax(-1);
    const m: Tensor = reach ? p.mul(reach.unsqueeze(1)) : p;
    out.push(m);
    reach = m.reshape([-1]);
  }
  return out;
}

/** Per-token DeRa on a table policy: every prefix's logits realigned. */
export function realignTable(ref: TablePolicy, aligned: TablePolicy, lambda: number): TablePolicy {
  return ref.map((z, k) => realignLogits(z, aligned[k]!, lambda));
}

/**
 * The per-prefix logits of the optimum π*_β, in closed form by soft value iteration:
 * W_L(y) = r(y), z_k(s, a) = log π_ref(a | s) + W_{k+1}(s·a)/β, W_k(s) = β·logsumexp_a z_k(s, a).
 * (The logits of each prefix are defined up to a constant; these are log π*_β(a | s) + W_k(s)/β.)
 */
export function tableOptimum(ref: TablePolicy, reward: Tensor, beta: number): TablePolicy {
  const { V, L } = tableShape(ref);
  if (reward.rank !== 1 || reward.shape[0] !== V ** L) throw new Error(`tableOptimum: reward must be [${V ** L}], got [${reward.shape.join(', ')}]`);
  const out: Tensor[] = new Array<Tensor>(L);
  let W = reward; // values of the prefixes of length k + 1
  for (let k = L - 1; k >= 0; k--) {
    out[k] = ref[k]!.logSoftmax(-1).add(W.reshape([V ** k, V]).div(beta));
    W = out[k]!.logsumexp(-1).mul(beta);
  }
  return out;
}

export interface TableTrainOptions {
  steps?: number;
  /** Natural-gradient step η (fisher); the fixed point is the same for any η in (0, 1]. */
  eta?: number;
  /** Plain gradient-ascent learning rate (preconditioner 'none'). */
  lr?: number;
  /** Stop when the largest preconditioned-gradient entry (in logits) is below this. */
  tol?: number;
  /**
   * 'fisher' (default): θ ← θ + (η/β)·∇J ⊘ π(prefix, token), the exact gradient divided by each
   * logit's Fisher scale, i.e. natural-gradient ascent for the softmax-per-prefix parameterisation
   * (soft policy iteration when η = 1). 'none': plain gradient ascent θ ← θ + lr·∇J.
   */
  preconditioner?: 'fisher' | 'none';
  /** Initial logits (default: the reference's, i.e. fine-tuning from the reference). */
  init?: TablePolicy;
}

export interface TableTrainResult {
  levels: TablePolicy;
  steps: number;
  /** Largest |preconditioned gradient| entry at the end (0 at the exact optimum). */
  residual: number;
  /** J_β after each step. */
  objective: number[];
}

/**
 * Trains a table policy at β by exact gradient ascent on J_β(π) = E_π[r] − β·KL(π ‖ π_ref): the
 * objective is computed by enumerating all V^L sequences and differentiated by autograd (float64).
 * Returns new tensors (the caller disposes them).
 */
export function trainTableKL(ref: TablePolicy, reward: Tensor, beta: number, opts: TableTrainOptions = {}): TableTrainResult {
  const o = { ...DEFAULTS.table, ...opts };
  if (!(beta > 0)) throw new Error(`trainTableKL: beta must be > 0, got ${beta}`);
  const refLogp = pg.noGrad(() => tableSequenceLogProbs(ref));
  let levels = (o.init ?? ref).map((z) => pg.keep(z.detach().clone()));
  const objective: number[] = [];
  const vg = pg.valueAndGrad((...ls: Tensor[]) => klRegularisedObjective(tableSequenceLogProbs(ls), refLogp, reward, beta), levels.map((_, i) => i));
  let residual = Infinity;
  let step = 0;
  try {
    for (; step < o.steps; step++) {
      const res = pg.tidy(() => {
        const [J, grads] = vg(...levels) as [Tensor, Tensor[]];
        const dirs =
          o.preconditioner === 'fisher'
            ? pg.noGrad(() => tablePrefixProbs(levels).map((m, k) => grads[k]!.div(m).div(beta)))
            : grads;
        let r = 0;
        for (const d of dirs) r = Math.max(r, d.abs().max().itemSync());
        const scale = o.preconditioner === 'fisher' ? o.eta : o.lr;
        const next = levels.map((z, k) => pg.keep(z.add(dirs[k]!.mul(scale)).detach()));
        return { J: J.itemSync(), r, next };
      });
      objective.push(res.J);
      residual = res.r;
      if (!Number.isFinite(residual)) throw new Error(`trainTableKL: the gradient became ${residual} at step ${step}`);
      if (residual < o.tol) {
        res.next.forEach((t) => t.dispose());
        break;
      }
      levels.forEach((t) => t.dispose());
      levels = res.next;
    }
  } catch (e) {
    levels.forEach((t) => t.dispose());
    throw e;
  } finally {
    refLogp.dispose();
  }
  return { levels, steps: step, residual, objective };
}

// ---------------------------------------------------------------------------------------------
// GPT tier
// ---------------------------------------------------------------------------------------------

/**
 * log π(y|x) of every enumerated response: ids [P·Y, 1 + L] (a one-token prompt, then L response
 * tokens; the Y responses of each prompt contiguous) -> [P, Y].
 */
export function gptResponseLogProbs(model: GPT, ids: Tensor, numPrompts: number): Tensor {
  return model.sequenceLogProb(ids, { promptLen: 1 }).reshape([numPrompts, -1]);
}

/**
 * The exact log-probability of each enumerated response under the DeRa sampler (per-token
 * realigned logits, teacher-forced over the response): [P, Y]. By causality this is the
 * distribution deraGenerate samples from.
 */
export function deraResponseLogProbs(ref: GPT, aligned: GPT, ids: Tensor, numPrompts: number, lambda: number): Tensor {
  const T = ids.shape[1]!;
  const inp = ids.slice(1, 0, T - 1);
  const z = realignLogits(ref.forward(inp), aligned.forward(inp), lambda).logSoftmax(-1); // [N, T-1, V]
  const next = ids.slice(1, 1, T).contiguous();
  return z.gather(2, next.unsqueeze(2)).squeeze(2).sum(1).reshape([numPrompts, -1]);
}

export interface GptFineTuneOptions {
  steps?: number;
  lr?: number;
  /** The learning rate decays linearly to this over the run. */
  finalLr?: number;
  /** Called after every step; a returned promise is awaited (e.g. to yield to the event loop). */
  onStep?: (step: number, objective: number) => void | Promise<void>;
}

/**
 * Fine-tunes `policy` (in place; start it as a copy of the reference) at β by maximising the
 * KL-regularised objective J_β exactly: every response of every prompt is enumerated, so the
 * gradient has no sampling noise. refLogp [P, Y] is the frozen reference's log-probs, reward
 * [P, Y], promptWeights [P]. Adam on −J_β. Returns J_β after each step.
 */
export async function fineTuneKL(
  policy: GPT,
  ids: Tensor,
  refLogp: Tensor,
  reward: Tensor,
  promptWeights: Tensor,
  beta: number,
  opts: GptFineTuneOptions = {},
): Promise<number[]> {
  const o = { ...DEFAULTS.gptFineTune, ...opts };
  const P = refLogp.shape[0]!;
  const params = policy.parameters();
  const opt = new Adam(params, { lr: o.lr });
  const out: number[] = [];
  policy.train();
  try {
    for (let step = 0; step < o.steps; step++) {
      const J = pg.tidy(() => {
        const logp = gptResponseLogProbs(policy, ids, P);
        const J = klRegularisedObjective(logp, refLogp, reward, beta, promptWeights);
        J.neg().backward();
        for (const g of opt.paramGroups) g.lr = o.lr + (o.finalLr - o.lr) * (step / Math.max(1, o.steps - 1));
        opt.step();
        pg.zeroGrad(params);
        return J.detach();
      });
      out.push(await J.item());
      J.dispose();
      await o.onStep?.(step, out[step]!);
    }
  } finally {
    opt.dispose();
    policy.eval();
  }
  return out;
}

export interface SftOptions {
  steps?: number;
  batch?: number;
  lr?: number;
  generator?: Generator;
  /** Called after every step; a returned promise is awaited. */
  onStep?: (step: number) => void | Promise<void>;
}

/**
 * Supervised fine-tuning (the reference model): next-token cross-entropy on minibatches (drawn
 * with replacement) of `data` [n, T] int32, Adam with a linearly decaying learning rate. Returns
 * the minibatch loss of each step.
 */
export async function sft(model: GPT, data: Tensor, opts: SftOptions = {}): Promise<number[]> {
  const o = { ...DEFAULTS.sft, ...opts };
  const [n, T] = data.shape as [number, number];
  const params = model.parameters();
  const opt = new Adam(params, { lr: o.lr });
  const losses: number[] = [];
  model.train();
  try {
    for (let step = 0; step < o.steps; step++) {
      const loss = pg.tidy(() => {
        const idx = pg.randint(0, n, [o.batch], { generator: o.generator, device: data.device });
        const b = data.indexSelect(0, idx);
        const loss = model.loss(b.slice(1, 0, T - 1).contiguous(), b.slice(1, 1, T).contiguous());
        loss.backward();
        for (const g of opt.paramGroups) g.lr = o.lr * (1 - 0.9 * (step / Math.max(1, o.steps - 1)));
        opt.step();
        pg.zeroGrad(params);
        return loss.detach();
      });
      losses.push(await loss.item());
      loss.dispose();
      await o.onStep?.(step);
    }
  } finally {
    opt.dispose();
    model.eval();
  }
  return losses;
}
