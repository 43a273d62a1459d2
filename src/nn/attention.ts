// Multi-head attention and the transformer block (pre-LN or post-LN), composed from primitives:
// matmul, scale, maskedFill, softmax, matmul. Batch-first: [B, T, D].
import * as pg from '../autograd/index.js';
import type { Tensor, Generator, DType } from '../autograd/index.js';
import { Module, scopeForward } from './module.js';
import { activation, Dropout, LayerNorm, Linear, type ActivationName } from './layers.js';

/** What masked scores are filled with: the most negative float32, so fully masked rows stay finite (uniform). */
export const MASK_VALUE = -3.4028234663852886e38;

export interface AttentionMaskOpts {
  /** Query i (aligned to the end of the keys) may not see key j > i. */
  causal?: boolean;
  /** Local attention: query i sees only keys j with |i - j| < window (with causal: i - window < j <= i). */
  window?: number | null;
  /** [B, Tk] bool, true at padding keys (they are ignored), as PyTorch's key_padding_mask. */
  keyPaddingMask?: Tensor | null;
  /** Extra [Tq, Tk] or [B, H, Tq, Tk]-broadcastable bool mask, true = not allowed. */
  attnMask?: Tensor | null;
}

/**
 * The boolean "not allowed" mask for queries 0..tq-1 and keys 0..tk-1, broadcastable to
 * [B, H, tq, tk] (or null when nothing is masked). Queries are aligned to the last keys
 * (query i sits at key position i + tk - tq), which is what causal decoding wants.
 */
export function attentionMask(tq: number, tk: number, opts: AttentionMaskOpts, device?: pg.Device): Tensor | null {
  let mask: Tensor | null = null;
  const or = (m: Tensor) => (mask = mask ? mask.logicalOr(m) : m);
  if (opts.causal || opts.window) {
    const i = pg.arange(tq, { device }).add(tk - tq).unsqueeze(1); // [tq, 1] query positions
    const j = pg.arange(tk, { device }).unsqueeze(0); // [1, tk]
    if (opts.causal) or(j.gt(i));
    if (opts.window) {
      if (!(Number.isInteger(opts.window) && opts.window > 0)) throw new Error(`attention: window must be a positive integer, got ${opts.window}`);
      or(i.sub(j).abs().ge(opts.window));
    }
  }
  if (opts.keyPaddingMask) {
    const kp = opts.keyPaddingMask;
    if (kp.rank !== 2 || kp.shape[1] !== tk) throw new Error(`attention: keyPaddingMask must be [B, ${tk}] bool, got [${kp.shape.join(', ')}] ${kp.dtype}`);
    or(kp.bool().reshape([kp.shape[0], 1, 1, tk]));
  }
  if (opts.attnMask) or(opts.attnMask.bool());
  return mask;
}

/**
 * softmax(q k^T * scale + mask) v for q [..., Tq, d], k [..., Tk, d], v [..., Tk, dv]
 * (torch.nn.functional.scaled_dot_product_attention with a boolean "not allowed" mask).
 */
export function scaledDotProductAttention(q: Tensor, k: Tensor, v: Tensor,
  opts: AttentionMaskOpts & { scale?: number; dropout?: number; training?: boolean; generator?: Generator } = {}): Tensor {
  return attentionWithWeights(q, k, v, opts).out;
}

/** scaledDotProductAttention that also returns the attention weights [..., Tq, Tk] (before dropout). */
export function attentionWithWeights(q: Tensor, k: Tensor, v: Tensor,
  opts: AttentionMaskOpts & { scale?: number; dropout?: number; training?: boolean; generator?: Generator } = {}): { out: Tensor; weights: Tensor } {
  const tq = q.shape[q.rank - 2], tk = k.shape[k.rank - 2];
  const scale = opts.scale ?? 1 / Math.sqrt(q.shape[q.rank - 1]);
  let scores = q.matmul(k.transpose(-2, -1)).mul(scale);
  const mask = attentionMask(tq, tk, opts, q.device);
  if (mask) scores = scores.maskedFill(mask, MASK_VALUE);
  let w = scores.softmax(-1);
  const weights = w;
  if (opts.dropout && opts.training !== false) w = pg.dropout(w, opts.dropout, { generator: opts.generator });
  return { out: w.matmul(v), weights };
}

export interface MultiHeadAttentionOpts {
  bias?: boolean;
  /** Dropout on the attention weights (training only). */
  dropout?: number;
  /** Defaults for forward(): causal masking and a local window. */
  causal?: boolean;
  window?: number | null;
  /** Key / value feature sizes for cross-attention (default dModel). */
  kdim?: number;
  vdim?: number;
  generator?: Generator;
  dtype?: DType;
}

/**
 * Multi-head attention, batch-first. forward(x) is self-attention; forward(q, {key, value})
 * cross-attention. Projections qProj, kProj, vProj, outProj are Linear layers (PyTorch init).
 */
export class MultiHeadAttention extends Module {
  qProj: Linear;
  kProj: Linear;
  vProj: Linear;
  outProj: Linear;
  attnDropout: Dropout;
  readonly dModel: number;
  readonly nHeads: number;
  readonly headDim: number;
  causal: boolean;
  window: number | null;
  /** Set to true to keep the last forward's attention weights [B, H, Tq, Tk] (detached) in lastWeights. */
  recordWeights = false;
  declare lastWeights: Tensor | null;

  constructor(dModel: number, nHeads: number, opts: MultiHeadAttentionOpts = {}) {
    super();
    if (dModel % nHeads) throw new Error(`MultiHeadAttention: dModel ${dModel} is not divisible by nHeads ${nHeads}`);
    const lin = { bias: opts.bias, generator: opts.generator, dtype: opts.dtype };
    this.qProj = new Linear(dModel, dModel, lin);
    this.kProj = new Linear(opts.kdim ?? dModel, dModel, lin);
    this.vProj = new Linear(opts.vdim ?? dModel, dModel, lin);
    this.outProj = new Linear(dModel, dModel, lin);
    this.attnDropout = new Dropout(opts.dropout ?? 0, { generator: opts.generator });
    this.dModel = dModel;
    this.nHeads = nHeads;
    this.headDim = dModel / nHeads;
    this.causal = opts.causal ?? false;
    this.window = opts.window ?? null;
    this.registerBuffer('lastWeights', null, { persistent: false });
  }

  private heads(x: Tensor): Tensor {
    const [B, T] = x.shape;
    return x.reshape([B, T, this.nHeads, this.headDim]).transpose(1, 2); // [B, H, T, hd]
  }

  forward(x: Tensor, opts: AttentionMaskOpts & { key?: Tensor; value?: Tensor } = {}): Tensor {
    if (x.rank !== 3 || x.shape[2] !== this.dModel)
      throw new Error(`MultiHeadAttention: expected input [B, T, ${this.dModel}], got [${x.shape.join(', ')}]`);
    const key = opts.key ?? x;
    const value = opts.value ?? key;
    const [B, T] = x.shape;
    const q = this.heads(this.qProj.forward(x));
    const k = this.heads(this.kProj.forward(key));
    const v = this.heads(this.vProj.forward(value));
    const { out, weights } = attentionWithWeights(q, k, v, {
      causal: opts.causal ?? this.causal,
      window: opts.window === undefined ? this.window : opts.window,
      keyPaddingMask: opts.keyPaddingMask,
      attnMask: opts.attnMask,
      dropout: this.attnDropout.p,
      training: this.training,
      generator: this.attnDropout.generator,
    });
    if (this.recordWeights) {
      this.lastWeights?.dispose();
      this.lastWeights = pg.keep(weights.detach());
    }
    return this.outProj.forward(out.transpose(1, 2).reshape([B, T, this.dModel]));
  }
}

export interface TransformerBlockOpts {
  mlpRatio?: number;
  /** Hidden size of the feed-forward part (PyTorch's dim_feedforward); overrides mlpRatio. */
  dimFeedforward?: number;
  /** Dropout on the attention weights and on each residual branch (training only). */
  dropout?: number;
  /** Dropout after the activation (default 0; PyTorch's TransformerEncoderLayer uses `dropout` there). */
  activationDropout?: number;
  bias?: boolean;
  causal?: boolean;
  window?: number | null;
  /** true (default): pre-LN, as GPT-2; false: post-LN, as PyTorch's TransformerEncoderLayer(norm_first=False). */
  normFirst?: boolean;
  /** Feed-forward activation (default 'geluTanh', as GPT-2; PyTorch's layer defaults to 'relu', its 'gelu' is exact). */
  activation?: ActivationName | (() => Module);
  /** LayerNorm epsilon (default 1e-5). */
  layerNormEps?: number;
  generator?: Generator;
  dtype?: DType;
}

/**
 * A transformer block with hidden size dimFeedforward (default mlpRatio * dModel), ff(h) = fc2(actDrop(act(fc1(h)))):
 *   pre-LN (normFirst, default; GPT-2):  x = x + drop(attn(ln1(x)));  x = x + drop(ff(ln2(x)))
 *   post-LN (normFirst: false; PyTorch's TransformerEncoderLayer default):
 *                                        x = ln1(x + drop(attn(x)));  x = ln2(x + drop(ff(x)))
 */
export class TransformerBlock extends Module {
  ln1: LayerNorm;
  attn: MultiHeadAttention;
  ln2: LayerNorm;
  fc1: Linear;
  act: Module;
  actDrop: Dropout;
  fc2: Linear;
  drop: Dropout;
  readonly normFirst: boolean;

  constructor(dModel: number, nHeads: number, opts: TransformerBlockOpts = {}) {
    super();
    const hidden = opts.dimFeedforward ?? Math.round((opts.mlpRatio ?? 4) * dModel);
    if (!(Number.isInteger(hidden) && hidden > 0)) throw new Error(`TransformerBlock: dimFeedforward must be a positive integer, got ${hidden}`);
    const p = opts.dropout ?? 0;
    const ln = { dtype: opts.dtype, bias: opts.bias, eps: opts.layerNormEps };
    this.ln1 = new LayerNorm(dModel, ln);
    this.attn = new MultiHeadAttention(dModel, nHeads, { bias: opts.bias, dropout: p, causal: opts.causal, window: opts.window, generator: opts.generator, dtype: opts.dtype });
    this.ln2 = new LayerNorm(dModel, ln);
    this.fc1 = new Linear(dModel, hidden, { bias: opts.bias, generator: opts.generator, dtype: opts.dtype });
    this.act = activation(opts.activation ?? 'geluTanh');
    this.actDrop = new Dropout(opts.activationDropout ?? 0, { generator: opts.generator });
    this.fc2 = new Linear(hidden, dModel, { bias: opts.bias, generator: opts.generator, dtype: opts.dtype });
    this.drop = new Dropout(p, { generator: opts.generator });
    this.normFirst = opts.normFirst ?? true;
  }

  private ff(h: Tensor): Tensor {
    return this.drop.forward(this.fc2.forward(this.actDrop.forward(this.act.forward(this.fc1.forward(h)))));
  }

  forward(x: Tensor, opts: AttentionMaskOpts = {}): Tensor {
    if (this.normFirst) {
      const a = x.add(this.drop.forward(this.attn.forward(this.ln1.forward(x), opts)));
      return a.add(this.ff(this.ln2.forward(a)));
    }
    const a = this.ln1.forward(x.add(this.drop.forward(this.attn.forward(x, opts))));
    return this.ln2.forward(a.add(this.ff(a)));
  }
}

scopeForward(MultiHeadAttention, TransformerBlock);
