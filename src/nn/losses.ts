// Loss functions (torch.nn.functional), with PyTorch's conventions for reductions, class weights,
// ignoreIndex and label smoothing. All are written to stay finite (values and gradients) for
// logits as large as ±1e4: log-probabilities come from logSoftmax / softplus, never log(softmax).
import * as pg from '../autograd/index.js';
import { scoped, type Tensor } from '../autograd/index.js';
import { op, tensor, tensorLike, int, dim, bool, prob, positive, nonNegative, opt, nullable, oneOf, options } from '../autograd/args.js';

const NLL = { weight: nullable(tensor), ignoreIndex: opt(int), reduction: opt(oneOf('mean', 'sum', 'none')) };

export type Reduction = 'mean' | 'sum' | 'none';

function reduce(loss: Tensor, reduction: Reduction, op: string): Tensor {
  switch (reduction) {
    case 'none': return loss;
    case 'sum': return loss.sum();
    case 'mean': return loss.mean();
  }
  throw new Error(`${op}: unknown reduction '${reduction as string}'`);
}

function shapeStr(t: Tensor): string {
  return `[${t.shape.join(', ')}] ${t.dtype}`;
}

function sameShape(op: string, a: Tensor, b: Tensor): void {
  if (a.shape.join() !== b.shape.join()) throw new Error(`${op}: input ${shapeStr(a)} and target ${shapeStr(b)} must have the same shape`);
}

/** Moves the class dim 1 of [N, C, d1, ...] last and flattens: [N*d1*..., C]. */
function classesLast(x: Tensor): Tensor {
  if (x.rank <= 2) return x.rank === 1 ? x.unsqueeze(0) : x;
  const perm = [0, ...x.shape.map((_, i) => i).slice(2), 1];
  return x.permute(perm).reshape([-1, x.shape[1]]);
}

export interface NllOpts {
  /** Per-class weight [C]: each sample's loss is scaled by weight[target], and 'mean' divides by the sum of those weights. */
  weight?: Tensor | null;
  /** Targets equal to this contribute nothing (neither to the sum nor to the 'mean' denominator). Default -100. */
  ignoreIndex?: number;
  reduction?: Reduction;
}

function checkTarget(op: string, input: Tensor, target: Tensor): void {
  if (target.dtype !== 'int32') throw new Error(`${op}: class targets must be int32, got ${target.dtype}`);
  const want = input.rank === 1 ? [] : [input.shape[0], ...input.shape.slice(2)];
  if (target.shape.join() !== want.join())
    throw new Error(`${op}: input ${shapeStr(input)} needs target [${want.join(', ')}] (class indices), got ${shapeStr(target)}`);
}

/**
 * Negative log-likelihood from log-probabilities input [N, C] or [N, C, d1, ...] (or [C]) and
 * int32 class targets [N, d1, ...]: loss_n = -weight[y_n] * input[n, y_n].
 */
export const nllLoss = op('nllLoss', { input: tensor, target: tensor, opts: options(NLL) }, scoped(function nllLoss(input: Tensor, target: Tensor, opts: NllOpts = {}): Tensor {
  checkTarget('nllLoss', input, target);
  const { perSample, weights } = nllParts(input, target, opts);
  return reduceWeighted(perSample, weights, opts.reduction ?? 'mean', target.shape);
}), { example: () => [pg.randn([3, 4]).logSoftmax(-1), pg.tensor([0, 3, 1], { dtype: 'int32' })] });

function nllParts(input: Tensor, target: Tensor, opts: NllOpts): { perSample: Tensor; weights: Tensor; valid: Tensor; logp: Tensor } {
  const ignoreIndex = opts.ignoreIndex ?? -100;
  const logp = classesLast(input); // [M, C]
  const C = logp.shape[1];
  const t = target.reshape([-1]); // [M]
  const valid = t.ne(ignoreIndex);
  const safe = pg.where(valid, t, 0); // ignored targets gather class 0, then get weight 0
  checkClasses(target, ignoreIndex, C);
  const picked = logp.gather(1, safe.unsqueeze(1)).reshape([-1]).neg(); // [M]
  let weights: Tensor = valid.cast(picked.dtype);
  if (opts.weight) {
    if (opts.weight.rank !== 1 || opts.weight.shape[0] !== C) throw new Error(`nllLoss: weight must be [${C}], got ${shapeStr(opts.weight)}`);
    weights = opts.weight.indexSelect(0, safe).mul(weights);
  }
  return { perSample: picked.mul(weights), weights, valid, logp };
}

/**
 * Class targets must lie in [0, C) (or be ignoreIndex). Where the target can be read without
 * waiting (the CPU), an out-of-range class is reported as such; elsewhere the gather's own check
 * reports it as an index.
 */
function checkClasses(target: Tensor, ignoreIndex: number, C: number): void {
  if (!target.storage.backend.readSync || target.size === 0) return;
  const t = target.dataSync();
  for (let i = 0; i < t.length; i++)
    if ((t[i] < 0 || t[i] >= C) && t[i] !== ignoreIndex) throw new Error(`target holds class ${t[i]} (at flat position ${i}), out of range for ${C} classes`);
}

/** 'mean' = sum(loss) / sum(weights) (PyTorch's weighted mean; NaN when every target is ignored). */
function reduceWeighted(perSample: Tensor, weights: Tensor, reduction: Reduction, shape: readonly number[]): Tensor {
  switch (reduction) {
    case 'none': return perSample.reshape(shape);
    case 'sum': return perSample.sum();
    case 'mean': return perSample.sum().div(weights.sum());
  }
  throw new Error(`loss: unknown reduction '${reduction as string}'`);
}

export interface CrossEntropyOpts extends NllOpts {
  /**
   * Mixes the target with the uniform distribution: q = (1 - eps) * onehot(y) + eps / C.
   * With class targets this is (1 - eps) * nll + (eps / C) * sum_c(-weight_c * logp_c), each part
   * reduced like nll (PyTorch's formula).
   */
  labelSmoothing?: number;
}

/**
 * Cross-entropy between logits [N, C] (or [N, C, d1, ...], or [C]) and either int32 class targets
 * [N, d1, ...] or soft targets (class probabilities, float, same shape as the logits).
 * Soft targets: loss_n = -sum_c weight_c * q_nc * logp_nc, and 'mean' divides by N (the number of
 * samples, not the weights), as PyTorch; ignoreIndex does not apply.
 */
export const crossEntropy = op('crossEntropy', { logits: tensor, target: tensor, opts: options({ ...NLL, labelSmoothing: opt(prob) }) }, scoped(function crossEntropy(logits: Tensor, target: Tensor, opts: CrossEntropyOpts = {}): Tensor {
  const eps = opts.labelSmoothing ?? 0;
  if (!(eps >= 0 && eps <= 1)) throw new Error(`crossEntropy: labelSmoothing must be in [0, 1], got ${eps}`);
  const reduction = opts.reduction ?? 'mean';
  const classDim = logits.rank === 1 ? 0 : 1;
  const C = logits.shape[classDim];
  const logp = logits.logSoftmax(classDim);
  if (target.dtype === 'float32' || target.dtype === 'float64') {
    sameShape('crossEntropy', logits, target);
    let q = target;
    if (eps > 0) q = q.mul(1 - eps).add(eps / C);
    let prod = logp.mul(q);
    if (opts.weight) prod = prod.mul(opts.weight.reshape(logits.shape.map((d, i) => (i === classDim ? d : 1))));
    const perSample = prod.sum(classDim).neg(); // [N, d1...]
    return reduce(perSample, reduction, 'crossEntropy');
  }
  checkTarget('crossEntropy', logits, target);
  const { perSample, weights, valid, logp: lp } = nllParts(logp, target, opts);
  const nll = reduceWeighted(perSample, weights, reduction, target.shape);
  if (eps === 0) return nll;
  // Smoothing term: -sum_c w_c logp_c for each sample, zero where ignored.
  const smooth = (opts.weight ? lp.mul(opts.weight) : lp).sum(1).neg().maskedFill(valid.logicalNot(), 0); // [M]
  let s: Tensor;
  if (reduction === 'none') s = smooth.reshape(target.shape);
  else if (reduction === 'sum') s = smooth.sum();
  else s = smooth.sum().div(weights.sum());
  return nll.mul(1 - eps).add(s.mul(eps / C));
}), { example: () => [pg.randn([3, 4]), pg.tensor([0, 3, 1], { dtype: 'int32' })] });

/** Mean squared error. */
export const mseLoss = op('mseLoss', { input: tensor, target: tensor, opts: options({ reduction: opt(oneOf('mean', 'sum', 'none')) }) }, scoped(function mseLoss(input: Tensor, target: Tensor, opts: { reduction?: Reduction } = {}): Tensor {
  sameShapeOrBroadcast('mseLoss', input, target);
  return reduce(input.sub(target).square(), opts.reduction ?? 'mean', 'mseLoss');
}));

/** Mean absolute error. */
export const l1Loss = op('l1Loss', { input: tensor, target: tensor, opts: options({ reduction: opt(oneOf('mean', 'sum', 'none')) }) }, scoped(function l1Loss(input: Tensor, target: Tensor, opts: { reduction?: Reduction } = {}): Tensor {
  sameShapeOrBroadcast('l1Loss', input, target);
  return reduce(input.sub(target).abs(), opts.reduction ?? 'mean', 'l1Loss');
}));

function sameShapeOrBroadcast(op: string, a: Tensor, b: Tensor): void {
  if (a.shape.join() !== b.shape.join())
    throw new Error(`${op}: input ${shapeStr(a)} and target ${shapeStr(b)} differ in shape (broadcasting a loss is usually a bug)`);
}

/** Huber loss: 0.5 d² where |d| < delta, delta * (|d| - 0.5 delta) elsewhere. */
export const huberLoss = op('huberLoss', { input: tensor, target: tensor, opts: options({ delta: opt(positive), reduction: opt(oneOf('mean', 'sum', 'none')) }) }, scoped(function huberLoss(input: Tensor, target: Tensor, opts: { delta?: number; reduction?: Reduction } = {}): Tensor {
  sameShapeOrBroadcast('huberLoss', input, target);
  const delta = opts.delta ?? 1;
  if (!(delta > 0)) throw new Error(`huberLoss: delta must be positive, got ${delta}`);
  const d = input.sub(target);
  const a = d.abs();
  // Quadratic part on min(|d|, delta), linear part on the excess: same value, no branch in the graph.
  const c = a.minimum(delta);
  const loss = c.square().mul(0.5).add(a.sub(c).mul(delta));
  return reduce(loss, opts.reduction ?? 'mean', 'huberLoss');
}));

/** Smooth L1 loss (huber / beta): 0.5 d² / beta where |d| < beta, |d| - 0.5 beta elsewhere. */
export const smoothL1Loss = op('smoothL1Loss', { input: tensor, target: tensor, opts: options({ beta: opt(nonNegative), reduction: opt(oneOf('mean', 'sum', 'none')) }) }, scoped(function smoothL1Loss(input: Tensor, target: Tensor, opts: { beta?: number; reduction?: Reduction } = {}): Tensor {
  const beta = opts.beta ?? 1;
  if (beta === 0) return l1Loss(input, target, opts);
  return reduce(huberLoss(input, target, { delta: beta, reduction: 'none' }).div(beta), opts.reduction ?? 'mean', 'smoothL1Loss');
}));

/** log(sigmoid(x)) = -softplus(-x), finite for any x. */
export const logSigmoid = op('logSigmoid', { x: tensor }, scoped(function logSigmoid(x: Tensor): Tensor {
  return x.neg().softplus().neg();
}));

const LOG_CLAMP = -100;
// Below e^-100 (and representable as a float32 denormal), so log(max(p, TINY)) clamped at -100 is
// exactly -100 at p = 0, with a zero (not NaN) gradient there.
const TINY = 1e-44;

/**
 * Binary cross-entropy on probabilities p in [0, 1]: -(y log p + (1 - y) log(1 - p)), with each log
 * clamped to >= -100 as PyTorch does (so p = 0 or 1 gives finite values and gradients).
 * Prefer binaryCrossEntropyWithLogits, which is exact for large logits.
 */
export const binaryCrossEntropy = op('binaryCrossEntropy', { p: tensor, y: tensor, opts: options({ weight: nullable(tensor), reduction: opt(oneOf('mean', 'sum', 'none')) }) }, scoped(function binaryCrossEntropy(p: Tensor, y: Tensor, opts: { weight?: Tensor | null; reduction?: Reduction } = {}): Tensor {
  sameShapeOrBroadcast('binaryCrossEntropy', p, y);
  const logp = p.clamp(TINY, null).log().clamp(LOG_CLAMP, null);
  const log1mp = p.neg().add(1).clamp(TINY, null).log().clamp(LOG_CLAMP, null);
  let loss = y.mul(logp).add(y.neg().add(1).mul(log1mp)).neg();
  if (opts.weight) loss = loss.mul(opts.weight);
  return reduce(loss, opts.reduction ?? 'mean', 'binaryCrossEntropy');
}), { example: () => [pg.rand([2, 3]), pg.rand([2, 3])] });

/**
 * Binary cross-entropy on logits, stable for any x:
 *   loss = (1 - y) x + (1 + (posWeight - 1) y) softplus(-x)
 * (= -[posWeight y log sigmoid(x) + (1 - y) log(1 - sigmoid(x))]); posWeight broadcasts over classes.
 */
export const binaryCrossEntropyWithLogits = op('binaryCrossEntropyWithLogits', { x: tensor, y: tensor, opts: options({ weight: nullable(tensor), posWeight: nullable(tensorLike), reduction: opt(oneOf('mean', 'sum', 'none')) }) }, scoped(function binaryCrossEntropyWithLogits(x: Tensor, y: Tensor,
  opts: { weight?: Tensor | null; posWeight?: Tensor | number | null; reduction?: Reduction } = {}): Tensor {
  sameShapeOrBroadcast('binaryCrossEntropyWithLogits', x, y);
  const spNeg = x.neg().softplus(); // -log sigmoid(x)
  const lw = opts.posWeight === undefined || opts.posWeight === null ? null : y.mul(pg.sub(opts.posWeight, 1)).add(1);
  let loss = y.neg().add(1).mul(x).add(lw ? lw.mul(spNeg) : spNeg);
  if (opts.weight) loss = loss.mul(opts.weight);
  return reduce(loss, opts.reduction ?? 'mean', 'binaryCrossEntropyWithLogits');
}));

/**
 * KL divergence, PyTorch's convention (torch.nn.functional.kl_div): `input` holds log-probabilities
 * log q and `target` probabilities p (or log p with logTarget), and the pointwise loss is
 *   p * (log p - log q)          (0 where p = 0),
 * so summing over the class dim gives KL(p || q) — the target is the first argument of the KL.
 * Reductions: 'batchmean' (sum / batch size: the true KL averaged over samples; use this),
 * 'sum', 'none', and 'mean' (sum / number of elements, PyTorch's default, which is the KL divided
 * by the number of classes too).
 */
export const klDiv = op('klDiv', { input: tensor, target: tensor, opts: options({ reduction: opt(oneOf('mean', 'sum', 'none', 'batchmean')), logTarget: opt(bool) }) }, scoped(function klDiv(input: Tensor, target: Tensor, opts: { reduction?: Reduction | 'batchmean'; logTarget?: boolean } = {}): Tensor {
  sameShapeOrBroadcast('klDiv', input, target);
  let loss: Tensor;
  if (opts.logTarget) {
    // exp(t) (t - input), with t = -inf (p = 0) giving 0 rather than 0 * -inf = NaN.
    const zero = target.eq(-Infinity);
    const t = pg.where(zero, 0, target);
    loss = pg.where(zero, 0, t.exp().mul(t.sub(input)));
  }
  else {
    const pos = target.gt(0);
    // xlogy(p, p) with log(1) standing in where p = 0, so values and gradients stay finite.
    loss = target.mul(pg.where(pos, target, 1).log().sub(input));
  }
  const reduction = opts.reduction ?? 'mean';
  if (reduction === 'batchmean') return loss.sum().div(input.rank === 0 ? 1 : input.shape[0]);
  return reduce(loss, reduction, 'klDiv');
}));

/** cos(a, b) along dim, with each norm clamped to >= eps (torch.nn.functional.cosine_similarity). */
export const cosineSimilarity = op('cosineSimilarity', { a: tensor, b: tensor, opts: options({ dim: opt(dim), eps: opt(nonNegative) }) }, scoped(function cosineSimilarity(a: Tensor, b: Tensor, opts: { dim?: number; eps?: number } = {}): Tensor {
  const dim = opts.dim ?? -1, eps = opts.eps ?? 1e-8;
  const na = a.square().sum(dim).sqrt().clamp(eps, null);
  const nb = b.square().sum(dim).sqrt().clamp(eps, null);
  return a.mul(b).sum(dim).div(na.mul(nb));
}));
