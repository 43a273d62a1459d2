/**
 * The categorical policy head and the policy-gradient losses (PPO's clipped objective, A2C).
 *
 * Tensor side (differentiable): Categorical(logits).logProb(actions), .entropy().
 * JS side (acting): sampleActions draws actions from logits already read back to a typed array,
 * with a seeded pg.Generator, and returns their log-probabilities in the same pass.
 */
import * as pg from '../../autograd/index.js';
import type { Generator, Tensor } from '../../autograd/index.js';
import { randomWords } from '../../autograd/random.js';

/** A categorical distribution over the last dim of logits [B, A] (unnormalised log-probabilities). */
export class Categorical {
  /** Normalised log-probabilities, [B, A]. */
  readonly logp: Tensor;

  constructor(logits: Tensor) {
    if (logits.rank !== 2) throw new Error(`Categorical: logits must be [batch, actions], got [${logits.shape.join(', ')}]`);
    this.logp = logits.logSoftmax(-1);
  }

  /** log π(a) for int32 actions [B]. */
  logProb(actions: Tensor): Tensor {
    if (actions.dtype !== 'int32' || actions.rank !== 1 || actions.shape[0] !== this.logp.shape[0])
      throw new Error(`Categorical.logProb: actions must be int32 [${this.logp.shape[0]}], got ${actions.dtype} [${actions.shape.join(', ')}]`);
    return this.logp.gather(1, actions.unsqueeze(1)).squeeze(1);
  }

  /** H = −Σ_a π(a) log π(a), [B]. */
  entropy(): Tensor {
    return this.logp.exp().mul(this.logp).sum(-1).neg();
  }

  probs(): Tensor {
    return this.logp.exp();
  }
}

const TWO_32 = 4294967296;

/**
 * Draws one action per row of logits (row-major [rows, numActions], any finite values) and writes
 * it and its log-probability. One generator word per row, the inverse-CDF rule of pg.multinomial
 * (t = word / 2^32 · Σ exp(l − max); the first a whose running sum exceeds t), in float64.
 * With greedy: true the argmax is taken instead (lowest index on ties) and no word is drawn.
 */
export function sampleActions(
  logits: ArrayLike<number>, rows: number, numActions: number,
  opts: { generator?: Generator; greedy?: boolean; actions?: Int32Array; logProbs?: Float32Array } = {},
): { actions: Int32Array; logProbs: Float32Array } {
  if (logits.length !== rows * numActions) throw new Error(`sampleActions: ${logits.length} logits do not fill [${rows}, ${numActions}]`);
  const actions = opts.actions ?? new Int32Array(rows);
  const logProbs = opts.logProbs ?? new Float32Array(rows);
  if (actions.length < rows || logProbs.length < rows) throw new Error(`sampleActions: output arrays need ${rows} entries`);
  let words: Uint32Array | null = null;
  if (!opts.greedy) {
    const g = opts.generator ?? pg.defaultGenerator();
    words = randomWords(g.seed, g.next(rows), rows);
  }
  for (let r = 0; r < rows; r++) {
    const o = r * numActions;
    let max = -Infinity, arg = 0;
    for (let a = 0; a < numActions; a++) {
      const l = logits[o + a]!;
      if (!Number.isFinite(l)) throw new Error(`sampleActions: logit ${l} in row ${r}, action ${a}`);
      if (l > max) (max = l), (arg = a);
    }
    let sum = 0;
    for (let a = 0; a < numActions; a++) sum += Math.exp(logits[o + a]! - max);
    let pick = arg;
    if (words) {
      const t = (words[r]! / TWO_32) * sum;
      let acc = 0;
      pick = numActions - 1;
      for (let a = 0; a < numActions; a++) {
        acc += Math.exp(logits[o + a]! - max);
        if (acc > t) {
          pick = a;
          break;
        }
      }
    }
    actions[r] = pick;
    logProbs[r] = logits[o + pick]! - max - Math.log(sum);
  }
  return { actions, logProbs };
}

// ------------------------------------------------------------------------------------ losses

export interface PPOLossInput {
  /** log π_new(a) [B] (differentiable). */
  logProb: Tensor;
  /** log π_old(a) [B], from the rollout. */
  oldLogProb: Tensor;
  advantages: Tensor;
  /** V_new(s) [B] (differentiable). */
  values: Tensor;
  returns: Tensor;
  /** V_old(s) [B], needed when clipValueLoss. */
  oldValues?: Tensor;
  /** Per-sample entropy [B] (differentiable), or omit for no entropy bonus. */
  entropy?: Tensor;
  clipCoef?: number;
  /** Clip the value update to ±clipCoef around V_old (PPO2 / CleanRL's default); else plain MSE. */
  clipValueLoss?: boolean;
  valueCoef?: number;
  entropyCoef?: number;
}

export interface PPOLossOutput {
  loss: Tensor;
  policyLoss: Tensor;
  valueLoss: Tensor;
  entropy: Tensor;
  /** mean((r − 1) − log r), the low-variance KL(old‖new) estimate (no gradient). */
  approxKl: Tensor;
  /** Fraction of samples with |r − 1| > clipCoef (no gradient). */
  clipFraction: Tensor;
}

/**
 * PPO (Schulman et al. 2017) with r = exp(log π_new − log π_old):
 *   L_π = mean(max(−A·r, −A·clip(r, 1 − ε, 1 + ε)))
 *   L_V = ½·mean((V − R)²), or with clipping ½·mean(max((V − R)², (V_old + clip(V − V_old, ±ε) − R)²))
 *   loss = L_π + c_V·L_V − c_H·mean(H)
 * Defaults: ε = 0.2, clipValueLoss true, c_V = 0.5, c_H = 0.01.
 */
export function ppoLoss(o: PPOLossInput): PPOLossOutput {
  const eps = o.clipCoef ?? 0.2;
  const clipV = o.clipValueLoss ?? true;
  if (!(eps > 0)) throw new Error(`ppoLoss: clipCoef must be > 0, got ${eps}`);
  if (clipV && !o.oldValues) throw new Error('ppoLoss: clipValueLoss needs oldValues');
  const logRatio = o.logProb.sub(o.oldLogProb);
  const ratio = logRatio.exp();
  const adv = o.advantages;
  const policyLoss = pg.maximum(adv.mul(ratio).neg(), adv.mul(ratio.clamp(1 - eps, 1 + eps)).neg()).mean();
  const err = o.values.sub(o.returns).square();
  let valueLoss: Tensor;
  if (clipV) {
    const clipped = o.oldValues!.add(o.values.sub(o.oldValues!).clamp(-eps, eps)).sub(o.returns).square();
    valueLoss = pg.maximum(err, clipped).mean().mul(0.5);
  } else valueLoss = err.mean().mul(0.5);
  const entropy = o.entropy ? o.entropy.mean() : pg.zeros([], { device: o.logProb.device });
  let loss = policyLoss.add(valueLoss.mul(o.valueCoef ?? 0.5));
  if (o.entropy) loss = loss.sub(entropy.mul(o.entropyCoef ?? 0.01));
  const { approxKl, clipFraction } = pg.noGrad(() => ({
    approxKl: ratio.sub(1).sub(logRatio).mean(),
    clipFraction: ratio.sub(1).abs().gt(eps).float().mean(),
  }));
  return { loss, policyLoss, valueLoss, entropy, approxKl, clipFraction };
}

export interface A2CLossInput {
  logProb: Tensor;
  values: Tensor;
  returns: Tensor;
  /** Defaults to returns − values (detached). */
  advantages?: Tensor;
  entropy?: Tensor;
  valueCoef?: number;
  entropyCoef?: number;
}

/**
 * Advantage actor-critic (Mnih et al. 2016):
 *   L_π = −mean(A·log π(a)),  L_V = mean((R − V)²),  loss = L_π + c_V·L_V − c_H·mean(H)
 * with A = R − V held constant. Defaults: c_V = 0.5, c_H = 0.01.
 */
export function a2cLoss(o: A2CLossInput): { loss: Tensor; policyLoss: Tensor; valueLoss: Tensor; entropy: Tensor } {
  const adv = o.advantages ?? o.returns.sub(o.values.detach());
  const policyLoss = adv.mul(o.logProb).mean().neg();
  const valueLoss = o.returns.sub(o.values).square().mean();
  const entropy = o.entropy ? o.entropy.mean() : pg.zeros([], { device: o.logProb.device });
  let loss = policyLoss.add(valueLoss.mul(o.valueCoef ?? 0.5));
  if (o.entropy) loss = loss.sub(entropy.mul(o.entropyCoef ?? 0.01));
  return { loss, policyLoss, valueLoss, entropy };
}
