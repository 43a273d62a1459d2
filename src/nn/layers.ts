// Layers (torch.nn names in camelCase). Required sizes are positional, everything else is an
// options object; every random initialisation takes {generator} and defaults to PyTorch's.
import * as pg from '../autograd/index.js';
import type { Tensor, Generator, DType } from '../autograd/index.js';
import { Module, parameter, scopeForward } from './module.js';
import * as init from './init.js';

export interface LayerOpts {
  generator?: Generator;
  dtype?: DType;
}

function floatDType(d: DType | undefined, layer: string): 'float32' | 'float64' {
  const t = d ?? 'float32';
  if (t !== 'float32' && t !== 'float64') throw new Error(`${layer}: dtype must be float32 or float64, got ${t}`);
  return t;
}

function empty(shape: number[], dtype: DType): Tensor {
  return parameter(pg.zeros(shape, { dtype }));
}

function shapeStr(t: Tensor): string {
  return `[${t.shape.join(', ')}]`;
}

// ---------------------------------------------------------------- Linear
/** y = x W^T + b with W [outFeatures, inFeatures]; init U(±1/sqrt(inFeatures)) for W and b (PyTorch's). */
export class Linear extends Module {
  weight: Tensor;
  bias: Tensor | null;
  readonly inFeatures: number;
  readonly outFeatures: number;

  constructor(inFeatures: number, outFeatures: number, opts: LayerOpts & { bias?: boolean } = {}) {
    super();
    this.inFeatures = inFeatures;
    this.outFeatures = outFeatures;
    const dtype = floatDType(opts.dtype, 'Linear');
    this.weight = empty([outFeatures, inFeatures], dtype);
    this.bias = opts.bias === false ? null : empty([outFeatures], dtype);
    this.resetParameters(opts.generator);
  }

  resetParameters(generator?: Generator): void {
    init.kaimingUniform_(this.weight, { a: Math.sqrt(5), generator });
    if (this.bias) {
      const bound = this.inFeatures > 0 ? 1 / Math.sqrt(this.inFeatures) : 0;
      init.uniform_(this.bias, -bound, bound, { generator });
    }
  }

  forward(x: Tensor): Tensor {
    if (x.shape[x.rank - 1] !== this.inFeatures)
      throw new Error(`Linear: expected input [..., ${this.inFeatures}], got ${shapeStr(x)}`);
    // Batched inputs run as one [rows, in] @ [in, out] product (one kernel call, and the weight's
    // gradient needs no reduction over a broadcast batch).
    const wt = this.weight.transpose(0, 1);
    const y = x.rank > 2 ? x.reshape([-1, this.inFeatures]).matmul(wt).reshape([...x.shape.slice(0, -1), this.outFeatures]) : x.matmul(wt);
    return this.bias ? y.add(this.bias) : y;
  }
}

// ---------------------------------------------------------------- Conv2d
type Pair = number | [number, number];
const pair = (v: Pair): [number, number] => (typeof v === 'number' ? [v, v] : v);

/** 2-D convolution on [N, C, H, W]; weight [out, in/groups, kh, kw]; PyTorch's default init. */
export class Conv2d extends Module {
  weight: Tensor;
  bias: Tensor | null;
  readonly stride: [number, number];
  readonly padding: [number, number];
  readonly dilation: [number, number];
  readonly groups: number;

  constructor(inChannels: number, outChannels: number, kernelSize: Pair,
    opts: LayerOpts & { stride?: Pair; padding?: Pair; dilation?: Pair; groups?: number; bias?: boolean } = {}) {
    super();
    const [kh, kw] = pair(kernelSize);
    this.stride = pair(opts.stride ?? 1);
    this.padding = pair(opts.padding ?? 0);
    this.dilation = pair(opts.dilation ?? 1);
    this.groups = opts.groups ?? 1;
    if (inChannels % this.groups || outChannels % this.groups)
      throw new Error(`Conv2d: inChannels ${inChannels} and outChannels ${outChannels} must be divisible by groups ${this.groups}`);
    const dtype = floatDType(opts.dtype, 'Conv2d');
    this.weight = empty([outChannels, inChannels / this.groups, kh, kw], dtype);
    this.bias = opts.bias === false ? null : empty([outChannels], dtype);
    init.kaimingUniform_(this.weight, { a: Math.sqrt(5), generator: opts.generator });
    if (this.bias) {
      const fanIn = (inChannels / this.groups) * kh * kw;
      const bound = 1 / Math.sqrt(fanIn);
      init.uniform_(this.bias, -bound, bound, { generator: opts.generator });
    }
  }

  forward(x: Tensor): Tensor {
    return pg.conv2d(x, this.weight, this.bias, { stride: this.stride, padding: this.padding, dilation: this.dilation, groups: this.groups });
  }
}

// ---------------------------------------------------------------- Embedding
/** A lookup table [numEmbeddings, embeddingDim], init N(0, 1); paddingIdx rows are zero and get no gradient. */
export class Embedding extends Module {
  weight: Tensor;
  readonly paddingIdx: number | null;

  constructor(numEmbeddings: number, embeddingDim: number, opts: LayerOpts & { paddingIdx?: number } = {}) {
    super();
    const dtype = floatDType(opts.dtype, 'Embedding');
    this.weight = empty([numEmbeddings, embeddingDim], dtype);
    init.normal_(this.weight, 0, 1, opts);
    let p = opts.paddingIdx ?? null;
    if (p !== null) {
      if (p < 0) p += numEmbeddings;
      if (p < 0 || p >= numEmbeddings) throw new Error(`Embedding: paddingIdx ${opts.paddingIdx} out of range for ${numEmbeddings} embeddings`);
      const row = p;
      pg.tidy(() => pg.noGrad(() => this.weight.assign_(this.weight.maskedFill(pg.arange(numEmbeddings).eq(row).unsqueeze(1), 0))));
    }
    this.paddingIdx = p;
  }

  forward(ids: Tensor): Tensor {
    if (ids.dtype !== 'int32') throw new Error(`Embedding: ids must be int32, got ${ids.dtype}`);
    const out = pg.embedding(ids, this.weight);
    if (this.paddingIdx === null) return out;
    // Zero the padding positions (their row is zero anyway) so no gradient reaches that row.
    return out.maskedFill(ids.eq(this.paddingIdx).unsqueeze(-1), 0);
  }
}

// ---------------------------------------------------------------- normalisation
function normDims(normalizedShape: number | number[], x: Tensor, layer: string): number[] {
  const ns = typeof normalizedShape === 'number' ? [normalizedShape] : normalizedShape;
  const tail = x.shape.slice(x.rank - ns.length);
  if (x.rank < ns.length || tail.join() !== ns.join())
    throw new Error(`${layer}: expected input [..., ${ns.join(', ')}], got ${shapeStr(x)}`);
  return ns.map((_, i) => x.rank - ns.length + i);
}

/** (x - mean) / sqrt(var + eps) * weight + bias over the trailing normalizedShape dims (biased variance). */
export class LayerNorm extends Module {
  weight: Tensor | null;
  bias: Tensor | null;
  readonly normalizedShape: number[];
  readonly eps: number;

  constructor(normalizedShape: number | number[], opts: { eps?: number; elementwiseAffine?: boolean; bias?: boolean; dtype?: DType } = {}) {
    super();
    this.normalizedShape = typeof normalizedShape === 'number' ? [normalizedShape] : [...normalizedShape];
    this.eps = opts.eps ?? 1e-5;
    const dtype = floatDType(opts.dtype, 'LayerNorm');
    const affine = opts.elementwiseAffine ?? true;
    this.weight = affine ? parameter(pg.ones(this.normalizedShape, { dtype })) : null;
    this.bias = affine && opts.bias !== false ? parameter(pg.zeros(this.normalizedShape, { dtype })) : null;
  }

  forward(x: Tensor): Tensor {
    const dims = normDims(this.normalizedShape, x, 'LayerNorm');
    const mean = x.mean(dims, true);
    const xc = x.sub(mean);
    const v = xc.square().mean(dims, true);
    let y = xc.mul(v.add(this.eps).rsqrt());
    if (this.weight) y = y.mul(this.weight);
    if (this.bias) y = y.add(this.bias);
    return y;
  }
}

/** x / sqrt(mean(x²) + eps) * weight (eps defaults to the dtype's machine epsilon, as PyTorch). */
export class RMSNorm extends Module {
  weight: Tensor | null;
  readonly normalizedShape: number[];
  readonly eps: number | null;

  constructor(normalizedShape: number | number[], opts: { eps?: number; elementwiseAffine?: boolean; dtype?: DType } = {}) {
    super();
    this.normalizedShape = typeof normalizedShape === 'number' ? [normalizedShape] : [...normalizedShape];
    this.eps = opts.eps ?? null;
    const dtype = floatDType(opts.dtype, 'RMSNorm');
    this.weight = opts.elementwiseAffine ?? true ? parameter(pg.ones(this.normalizedShape, { dtype })) : null;
  }

  forward(x: Tensor): Tensor {
    const dims = normDims(this.normalizedShape, x, 'RMSNorm');
    const eps = this.eps ?? (x.dtype === 'float64' ? 2.220446049250313e-16 : 1.1920928955078125e-7);
    const y = x.mul(x.square().mean(dims, true).add(eps).rsqrt());
    return this.weight ? y.mul(this.weight) : y;
  }
}

export interface BatchNormOpts {
  eps?: number;
  /** Weight of the new batch statistic in the running average; null = cumulative average. */
  momentum?: number | null;
  affine?: boolean;
  trackRunningStats?: boolean;
  dtype?: DType;
}

/**
 * Batch normalisation over the channel dim 1 (statistics over all other dims). Training uses the
 * batch's biased variance to normalise and folds the unbiased one into runningVar:
 * running = (1 - momentum) * running + momentum * batch. Eval uses the running statistics.
 */
abstract class BatchNormBase extends Module {
  weight: Tensor | null;
  bias: Tensor | null;
  declare runningMean: Tensor | null;
  declare runningVar: Tensor | null;
  declare numBatchesTracked: Tensor | null;
  readonly numFeatures: number;
  readonly eps: number;
  momentum: number | null;
  readonly trackRunningStats: boolean;
  protected abstract readonly ranks: number[];

  constructor(numFeatures: number, opts: BatchNormOpts = {}) {
    super();
    this.numFeatures = numFeatures;
    this.eps = opts.eps ?? 1e-5;
    this.momentum = opts.momentum === undefined ? 0.1 : opts.momentum;
    this.trackRunningStats = opts.trackRunningStats ?? true;
    const dtype = floatDType(opts.dtype, 'BatchNorm');
    const affine = opts.affine ?? true;
    this.weight = affine ? parameter(pg.ones([numFeatures], { dtype })) : null;
    this.bias = affine ? parameter(pg.zeros([numFeatures], { dtype })) : null;
    this.registerBuffer('runningMean', this.trackRunningStats ? pg.zeros([numFeatures], { dtype }) : null);
    this.registerBuffer('runningVar', this.trackRunningStats ? pg.ones([numFeatures], { dtype }) : null);
    this.registerBuffer('numBatchesTracked', this.trackRunningStats ? pg.zeros([], { dtype: 'int32' }) : null);
  }

  resetRunningStats(): void {
    if (!this.runningMean || !this.runningVar || !this.numBatchesTracked) return;
    init.zeros_(this.runningMean);
    init.ones_(this.runningVar);
    init.zeros_(this.numBatchesTracked);
  }

  forward(x: Tensor): Tensor {
    if (!this.ranks.includes(x.rank) || x.shape[1] !== this.numFeatures)
      throw new Error(`${this.constructor.name}: expected input of rank ${this.ranks.join(' or ')} with ${this.numFeatures} channels at dim 1, got ${shapeStr(x)}`);
    const dims = x.shape.map((_, i) => i).filter((i) => i !== 1);
    const bshape = x.shape.map((d, i) => (i === 1 ? d : 1));
    let mean: Tensor, v: Tensor;
    if (this.training || !this.runningMean || !this.runningVar) {
      const n = x.size / this.numFeatures;
      if (this.training && n <= 1) throw new Error(`${this.constructor.name}: expected more than 1 value per channel when training, got ${shapeStr(x)}`);
      mean = x.mean(dims, true);
      v = x.sub(mean).square().mean(dims, true);
      if (this.training && this.runningMean && this.runningVar && this.numBatchesTracked) {
        const rm = this.runningMean, rv = this.runningVar, nb = this.numBatchesTracked;
        const bm = mean, bv = v;
        pg.tidy(() =>
          pg.noGrad(() => {
            nb.assign_(nb.add(1));
            const m = this.momentum ?? 1 / nb.itemSync();
            rm.assign_(rm.mul(1 - m).add(bm.reshape([this.numFeatures]).mul(m)));
            rv.assign_(rv.mul(1 - m).add(bv.reshape([this.numFeatures]).mul((m * n) / (n - 1))));
          }),
        );
      }
    } else {
      mean = this.runningMean.reshape(bshape);
      v = this.runningVar.reshape(bshape);
    }
    let y = x.sub(mean).mul(v.add(this.eps).rsqrt());
    if (this.weight) y = y.mul(this.weight.reshape(bshape));
    if (this.bias) y = y.add(this.bias.reshape(bshape));
    return y;
  }
}

/** BatchNorm over [N, C] or [N, C, L]. */
export class BatchNorm1d extends BatchNormBase {
  protected readonly ranks = [2, 3];
}

/** BatchNorm over [N, C, H, W]. */
export class BatchNorm2d extends BatchNormBase {
  protected readonly ranks = [4];
}

// ---------------------------------------------------------------- dropout
/** Inverted dropout: in training zeroes each element with probability p and scales by 1/(1-p); identity in eval. */
export class Dropout extends Module {
  readonly p: number;
  generator: Generator | undefined;

  constructor(p = 0.5, opts: { generator?: Generator } = {}) {
    super();
    if (!(p >= 0 && p < 1)) throw new Error(`Dropout: p must be in [0, 1), got ${p}`);
    this.p = p;
    this.generator = opts.generator;
  }

  forward(x: Tensor): Tensor {
    return pg.dropout(x, this.p, { training: this.training, generator: this.generator });
  }
}

/** Channel dropout (nn.Dropout1d): in training zeroes whole channels of [N, C, L] with probability p. */
export class Dropout1d extends Dropout {
  override forward(x: Tensor): Tensor {
    return pg.dropout1d(x, this.p, { training: this.training, generator: this.generator });
  }
}

/** Channel dropout (nn.Dropout2d): in training zeroes whole channels of [N, C, H, W] with probability p. */
export class Dropout2d extends Dropout {
  override forward(x: Tensor): Tensor {
    return pg.dropout2d(x, this.p, { training: this.training, generator: this.generator });
  }
}

// ---------------------------------------------------------------- pooling and reshaping
/** nn.MaxPool2d: forward(x) is pg.maxPool2d(x, kernelSize, opts); with returnIndices it returns {values, indices}. */
export class MaxPool2d extends Module {
  constructor(readonly kernelSize: Pair, readonly opts: pg.MaxPoolOpts = {}) {
    super();
  }
  forward(x: Tensor): any {
    return pg.maxPool2d(x, this.kernelSize, this.opts as pg.MaxPoolOpts & { returnIndices: true });
  }
}

/** nn.AvgPool2d: forward(x) is pg.avgPool2d(x, kernelSize, opts) (ceilMode, countIncludePad, divisorOverride). */
export class AvgPool2d extends Module {
  constructor(readonly kernelSize: Pair, readonly opts: pg.AvgPoolOpts = {}) {
    super();
  }
  forward(x: Tensor): Tensor {
    return pg.avgPool2d(x, this.kernelSize, this.opts);
  }
}

/** nn.MaxUnpool2d: forward(x, indices, outputSize?) is pg.maxUnpool2d. */
export class MaxUnpool2d extends Module {
  constructor(readonly kernelSize: Pair, readonly opts: { stride?: Pair; padding?: Pair } = {}) {
    super();
  }
  forward(x: Tensor, indices: Tensor, outputSize?: number[]): Tensor {
    return pg.maxUnpool2d(x, indices, this.kernelSize, { ...this.opts, outputSize });
  }
}

/** nn.Flatten: dims startDim..endDim (default 1..-1) into one. */
export class Flatten extends Module {
  constructor(readonly startDim = 1, readonly endDim = -1) {
    super();
  }
  forward(x: Tensor): Tensor {
    return x.flatten(this.startDim, this.endDim);
  }
}

/** nn.Unflatten: dim `dim` into `sizes` (one may be -1). */
export class Unflatten extends Module {
  constructor(readonly dim: number, readonly sizes: number[]) {
    super();
  }
  forward(x: Tensor): Tensor {
    const d = this.dim < 0 ? this.dim + x.rank : this.dim;
    if (d < 0 || d >= x.rank) throw new Error(`Unflatten: dim ${this.dim} out of range for input ${shapeStr(x)}`);
    return x.reshape([...x.shape.slice(0, d), ...this.sizes, ...x.shape.slice(d + 1)]);
  }
}

// ---------------------------------------------------------------- activations
export class Identity extends Module {
  forward(x: Tensor): Tensor { return x; }
}
export class ReLU extends Module {
  forward(x: Tensor): Tensor { return x.relu(); }
}
/** GELU: exact x Φ(x) by default (PyTorch's nn.GELU()); {approximate: 'tanh'} for GPT-2's form. */
export class GELU extends Module {
  readonly approximate: 'none' | 'tanh';
  constructor(opts: { approximate?: 'none' | 'tanh' } = {}) {
    super();
    this.approximate = opts.approximate ?? 'none';
    if (this.approximate !== 'none' && this.approximate !== 'tanh') throw new Error(`GELU: approximate must be 'none' or 'tanh', got ${JSON.stringify(this.approximate)}`);
  }
  forward(x: Tensor): Tensor { return x.gelu({ approximate: this.approximate }); }
}
export class Tanh extends Module {
  forward(x: Tensor): Tensor { return x.tanh(); }
}
export class Sigmoid extends Module {
  forward(x: Tensor): Tensor { return x.sigmoid(); }
}
export class SiLU extends Module {
  forward(x: Tensor): Tensor { return x.silu(); }
}
/** log(1 + exp(beta x)) / beta, and x itself where beta x > threshold (PyTorch's). */
export class Softplus extends Module {
  constructor(readonly beta = 1, readonly threshold = 20) { super(); }
  forward(x: Tensor): Tensor {
    if (this.beta === 1 && this.threshold === Infinity) return x.softplus();
    const bx = this.beta === 1 ? x : x.mul(this.beta);
    const sp = this.beta === 1 ? bx.softplus() : bx.softplus().div(this.beta);
    return Number.isFinite(this.threshold) ? pg.where(bx.gt(this.threshold), x, sp) : sp;
  }
}
export class LeakyReLU extends Module {
  constructor(readonly negativeSlope = 0.01) { super(); }
  forward(x: Tensor): Tensor { return pg.where(x.gt(0), x, x.mul(this.negativeSlope)); }
}

/** 'gelu' is the exact GELU (PyTorch's default), 'geluTanh' its tanh approximation (GPT-2). */
export type ActivationName = 'relu' | 'gelu' | 'geluTanh' | 'tanh' | 'sigmoid' | 'silu' | 'softplus' | 'identity' | 'leakyRelu';

/** A fresh activation module by name (or from a factory). */
export function activation(a: ActivationName | (() => Module)): Module {
  if (typeof a === 'function') return a();
  switch (a) {
    case 'relu': return new ReLU();
    case 'gelu': return new GELU();
    case 'geluTanh': return new GELU({ approximate: 'tanh' });
    case 'tanh': return new Tanh();
    case 'sigmoid': return new Sigmoid();
    case 'silu': return new SiLU();
    case 'softplus': return new Softplus();
    case 'identity': return new Identity();
    case 'leakyRelu': return new LeakyReLU();
  }
  throw new Error(`activation: unknown activation '${a as string}'`);
}

// ---------------------------------------------------------------- containers
/**
 * A list of modules, registered as children '0', '1', ... (indexable: list[i]).
 * forward is not defined: iterate and call the modules yourself.
 */
export class ModuleList extends Module {
  [index: number]: Module;

  constructor(modules: Iterable<Module> = []) {
    super();
    for (const m of modules) this.append(m);
  }

  get length(): number {
    let n = 0;
    while (this[n] instanceof Module) n++;
    return n;
  }

  append(m: Module): this {
    if (!(m instanceof Module)) throw new Error('ModuleList.append: expected a Module');
    this[this.length] = m;
    return this;
  }

  at(i: number): Module {
    const n = this.length;
    const k = i < 0 ? i + n : i;
    if (k < 0 || k >= n) throw new Error(`ModuleList: index ${i} out of range for length ${n}`);
    return this[k];
  }

  *[Symbol.iterator](): Iterator<Module> {
    for (let i = 0; this[i] instanceof Module; i++) yield this[i];
  }

  forward(..._args: any[]): any {
    throw new Error(`${this.constructor.name}: a ModuleList has no forward; iterate over its modules`);
  }
}

/** Modules applied in order: forward(x) = mN(...m1(m0(x))). */
export class Sequential extends ModuleList {
  constructor(...modules: Module[]) {
    super(modules);
  }

  override forward(x: Tensor): any {
    let y: any = x;
    for (const m of this) y = m.forward(y);
    return y;
  }
}

/**
 * A multilayer perceptron: Linear(sizes[0], sizes[1]), activation, [Dropout], ..., Linear(.., sizes[-1]).
 * No activation after the last layer (unless activateLast). Children are named like a Sequential's.
 */
export class MLP extends Sequential {
  constructor(sizes: number[], opts: LayerOpts & { activation?: ActivationName | (() => Module); dropout?: number; bias?: boolean; activateLast?: boolean } = {}) {
    super();
    if (sizes.length < 2) throw new Error(`MLP: need at least 2 sizes (input and output), got [${sizes.join(', ')}]`);
    for (let i = 0; i + 1 < sizes.length; i++) {
      this.append(new Linear(sizes[i], sizes[i + 1], { bias: opts.bias, generator: opts.generator, dtype: opts.dtype }));
      const last = i + 2 === sizes.length;
      if (!last || opts.activateLast) {
        this.append(activation(opts.activation ?? 'relu'));
        if (opts.dropout) this.append(new Dropout(opts.dropout, { generator: opts.generator }));
      }
    }
  }
}

scopeForward(Linear, Conv2d, Embedding, LayerNorm, RMSNorm, BatchNormBase, Dropout, Softplus, LeakyReLU, Sequential);
scopeForward(Dropout1d, Dropout2d, MaxPool2d, AvgPool2d, MaxUnpool2d, Unflatten);
