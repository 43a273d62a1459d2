// A GPT (decoder-only transformer language model): token + learned position embeddings,
// pre-LN causal transformer blocks, a final LayerNorm and a linear LM head (optionally tied to
// the token embedding). GPT-2's initialisation: N(0, 0.02) weights, zero biases, and the
// residual output projections scaled by 1/sqrt(2 nLayers).
import * as pg from '../autograd/index.js';
import type { Tensor, Generator, DType } from '../autograd/index.js';
import { Module, scopeForward } from './module.js';
import { Dropout, Embedding, LayerNorm, Linear, ModuleList } from './layers.js';
import { TransformerBlock } from './attention.js';
import { crossEntropy } from './losses.js';
import * as init from './init.js';

export interface GPTConfig {
  vocabSize: number;
  dModel: number;
  nHeads: number;
  nLayers: number;
  /** Longest context (number of learned positions). */
  maxLen: number;
  dropout?: number;
  /** Share the LM head with the token embedding (default true, as GPT-2). */
  tieWeights?: boolean;
  /** Biases in Linear and LayerNorm layers (default true). */
  bias?: boolean;
  mlpRatio?: number;
  /** Local attention window for every block (null: full causal attention). */
  window?: number | null;
  generator?: Generator;
  dtype?: DType;
}

export interface GenerateOpts {
  maxNewTokens: number;
  /** Softmax temperature; 0 = greedy (argmax). Default 1. */
  temperature?: number;
  /** Sample only among the k most likely tokens. */
  topK?: number | null;
  generator?: Generator;
  /** Rewrites the next-token logits [B, V] at every step (step = 0, 1, ...), before temperature and topK. */
  logitsProcessor?: (step: number, logits: Tensor) => Tensor;
}

export class GPT extends Module {
  tokEmb: Embedding;
  posEmb: Embedding;
  drop: Dropout;
  blocks: ModuleList;
  lnF: LayerNorm;
  lmHead: Linear | null;
  readonly config: Readonly<GPTConfig>;

  constructor(config: GPTConfig) {
    super();
    const { vocabSize, dModel, nHeads, nLayers, maxLen } = config;
    for (const [k, v] of Object.entries({ vocabSize, dModel, nHeads, nLayers, maxLen }))
      if (!(Number.isInteger(v) && v > 0)) throw new Error(`GPT: ${k} must be a positive integer, got ${v}`);
    this.config = Object.freeze({ ...config });
    const g = config.generator, dtype = config.dtype;
    const p = config.dropout ?? 0;
    this.tokEmb = new Embedding(vocabSize, dModel, { generator: g, dtype });
    this.posEmb = new Embedding(maxLen, dModel, { generator: g, dtype });
    this.drop = new Dropout(p, { generator: g });
    this.blocks = new ModuleList();
    for (let i = 0; i < nLayers; i++)
      this.blocks.append(new TransformerBlock(dModel, nHeads, { dropout: p, bias: config.bias, causal: true, window: config.window, mlpRatio: config.mlpRatio, generator: g, dtype }));
    this.lnF = new LayerNorm(dModel, { bias: config.bias, dtype });
    this.lmHead = config.tieWeights === false ? new Linear(dModel, vocabSize, { bias: false, generator: g, dtype }) : null;
    this.initWeights(g);
  }

  private initWeights(generator?: Generator): void {
    const residStd = 0.02 / Math.sqrt(2 * this.config.nLayers);
    for (const [name, m] of this.namedModules()) {
      if (m instanceof Linear) {
        const resid = name.endsWith('attn.outProj') || name.endsWith('.fc2');
        init.normal_(m.weight, 0, resid ? residStd : 0.02, { generator });
        if (m.bias) init.zeros_(m.bias);
      } else if (m instanceof Embedding) init.normal_(m.weight, 0, 0.02, { generator });
    }
  }

  /** ids [B, T] int32 (T <= maxLen) -> logits [B, T, vocabSize]. */
  forward(ids: Tensor): Tensor {
    if (ids.rank !== 2 || ids.dtype !== 'int32') throw new Error(`GPT: expected ids [B, T] int32, got [${ids.shape.join(', ')}] ${ids.dtype}`);
    const T = ids.shape[1];
    if (T > this.config.maxLen) throw new Error(`GPT: sequence length ${T} exceeds maxLen ${this.config.maxLen}`);
    let x = this.tokEmb.forward(ids).add(this.posEmb.forward(pg.arange(T, { device: ids.device })));
    x = this.drop.forward(x);
    for (const b of this.blocks) x = (b as TransformerBlock).forward(x);
    x = this.lnF.forward(x);
    return this.lmHead ? this.lmHead.forward(x) : x.matmul(this.tokEmb.weight.transpose(0, 1));
  }

  /** Mean next-token cross-entropy of logits(ids) against targets [B, T] (targets = ids shifted by one). */
  loss(ids: Tensor, targets: Tensor, opts: { ignoreIndex?: number } = {}): Tensor {
    const logits = this.forward(ids);
    const V = this.config.vocabSize;
    return crossEntropy(logits.reshape([-1, V]), targets.reshape([-1]), { ignoreIndex: opts.ignoreIndex });
  }

  /**
   * Summed log-probability of each sequence's continuation: for ids [B, T], the sum over positions
   * t >= promptLen of log p(ids[b, t] | ids[b, < t]) -> [B] (differentiable; for DPO and friends).
   * promptLen is a number or one per sequence (>= 1). An optional mask [B, T] (bool or 0/1) further
   * selects which tokens count (e.g. to drop right padding).
   */
  sequenceLogProb(ids: Tensor, opts: { promptLen: number | number[]; mask?: Tensor | null }): Tensor {
    const [B, T] = ids.shape;
    const pl = typeof opts.promptLen === 'number' ? new Array<number>(B).fill(opts.promptLen) : opts.promptLen;
    if (pl.length !== B) throw new Error(`sequenceLogProb: need ${B} prompt lengths, got ${pl.length}`);
    for (const p of pl) if (!(Number.isInteger(p) && p >= 1 && p <= T)) throw new Error(`sequenceLogProb: promptLen must be an integer in [1, ${T}], got ${p}`);
    const logp = this.forward(ids.slice(1, 0, T - 1)).logSoftmax(-1); // [B, T-1, V], position t predicts token t+1
    const next = ids.slice(1, 1, T).contiguous(); // [B, T-1]
    const tok = logp.gather(2, next.unsqueeze(2)).squeeze(2); // [B, T-1]
    const pos = pg.arange(1, T, { device: ids.device }).unsqueeze(0); // token index of each target
    let keep = pos.ge(pg.tensor(pl, { dtype: 'int32', device: ids.device }).unsqueeze(1));
    if (opts.mask) keep = keep.logicalAnd(opts.mask.bool().slice(1, 1, T));
    return tok.mul(keep.cast(tok.dtype)).sum(1);
  }

  /**
   * Autoregressive sampling: appends maxNewTokens tokens to prompt [B, T0] int32 and returns
   * [B, T0 + maxNewTokens]. Runs without autograd, in the module's current mode (call eval() to
   * turn dropout off). The context is cropped to the last maxLen tokens.
   */
  generate(prompt: Tensor, opts: GenerateOpts): Tensor {
    if (prompt.rank !== 2 || prompt.dtype !== 'int32') throw new Error(`generate: expected prompt [B, T] int32, got [${prompt.shape.join(', ')}] ${prompt.dtype}`);
    const temperature = opts.temperature ?? 1;
    if (!(temperature >= 0)) throw new Error(`generate: temperature must be >= 0, got ${temperature}`);
    const V = this.config.vocabSize;
    const topK = opts.topK ?? null;
    if (topK !== null && !(Number.isInteger(topK) && topK >= 1)) throw new Error(`generate: topK must be a positive integer, got ${topK}`);
    let ids = prompt;
    for (let step = 0; step < opts.maxNewTokens; step++) {
      const prev = ids;
      ids = pg.tidy(() =>
        pg.noGrad(() => {
          const T = prev.shape[1];
          const ctx = T > this.config.maxLen ? prev.slice(1, T - this.config.maxLen, T) : prev;
          let logits = this.forward(ctx).select(1, -1); // [B, V]
          if (opts.logitsProcessor) logits = opts.logitsProcessor(step, logits);
          let next: Tensor;
          if (temperature === 0) next = logits.argmax(-1, true);
          else {
            logits = logits.div(temperature);
            if (topK !== null && topK < V) {
              const kth = logits.topk(topK, -1).values.slice(1, topK - 1, topK); // [B, 1]
              logits = logits.maskedFill(logits.lt(kth), -Infinity);
            }
            next = sampleCategorical(logits, opts.generator);
          }
          return pg.cat([prev, next.int()], 1);
        }),
      );
      if (prev !== prompt) prev.dispose();
    }
    return ids === prompt ? prompt.clone() : ids;
  }
}

/**
 * One sample per row of logits [B, V] -> [B, 1] int32: inverse-CDF multinomial of softmax(logits),
 * on the logits' device (on WebGPU from device ops, without a readback). Both devices take the same
 * generator words, so CPU and WebGPU runs draw the same tokens unless a draw falls within rounding
 * of a boundary between two tokens' probabilities.
 */
export function sampleCategorical(logits: Tensor, generator?: Generator): Tensor {
  return pg.tidy(() => pg.multinomial(logits.softmax(-1), 1, { generator }));
}


scopeForward(GPT);
