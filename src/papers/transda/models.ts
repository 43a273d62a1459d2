/**
 * The two segmenters: a small local ViT (patch embedding, Swin-style windowed self-attention
 * blocks over the patch grid, a light per-patch decoder) and a conv baseline with the same patch
 * grid and decoder. Both expose features(x) (the grid [N, h, w, D] the domain discriminator sees)
 * and decode(features) (logits [N, S, S, K], classes last), with forward = decode ∘ features.
 */
import type { Tensor, Generator } from '../../autograd/index.js';
import { Module, parameter } from '../../nn/module.js';
import { Conv2d, LayerNorm, Linear } from '../../nn/layers.js';
import { WindowTransformerBlock } from '../../nn/window-attention.js';
import * as init from '../../nn/init.js';
import * as pg from '../../autograd/index.js';

export interface SegModel extends Module {
  readonly featureDim: number;
  /** Side of the square patch each feature-grid location stands for (pixels). */
  readonly patch: number;
  /** Patch features on the grid: [N, size / patch, size / patch, featureDim]. */
  features(x: Tensor): Tensor;
  /** Per-pixel class logits [N, size, size, K] from the patch features. */
  decode(f: Tensor): Tensor;
  /** decode(features(x)). */
  forward(x: Tensor): Tensor;
}

/**
 * The light decoder: one Linear from each patch's feature to the logits of its patch × patch
 * pixels (as SETR-naive / Segmenter's linear decoder), then the patches laid back into the image.
 */
export class PatchDecoder extends Module {
  norm: LayerNorm;
  proj: Linear;
  readonly patch: number;
  readonly numClasses: number;

  constructor(dim: number, patch: number, numClasses: number, opts: { generator?: Generator } = {}) {
    super();
    this.norm = new LayerNorm(dim);
    this.proj = new Linear(dim, patch * patch * numClasses, { generator: opts.generator });
    this.patch = patch;
    this.numClasses = numClasses;
  }

  forward(f: Tensor): Tensor {
    const [N, h, w] = f.shape;
    const p = this.patch, K = this.numClasses;
    return this.proj.forward(this.norm.forward(f)).reshape([N, h, w, p, p, K]).permute([0, 1, 3, 2, 4, 5]).reshape([N, h * p, w * p, K]);
  }
}

export interface SegTransformerConfig {
  size: number;
  patch: number;
  dim: number;
  heads: number;
  /** Window side in patches. */
  window: number;
  depth: number;
  mlpRatio: number;
  numClasses: number;
  /** Swin's alternation: odd blocks use windows shifted by window / 2. */
  shifted: boolean;
}

/** The local ViT: patch embedding + learned position embedding, windowed blocks, patch decoder. */
export class SegTransformer extends Module implements SegModel {
  embed: Conv2d;
  pos: Tensor;
  blocks: WindowTransformerBlock[];
  decoder: PatchDecoder;
  readonly featureDim: number;
  readonly patch: number;
  readonly config: SegTransformerConfig;

  constructor(c: SegTransformerConfig, opts: { generator?: Generator } = {}) {
    super();
    const g = opts.generator;
    if (c.size % c.patch) throw new Error(`SegTransformer: size ${c.size} is not a multiple of patch ${c.patch}`);
    const grid = c.size / c.patch;
    this.embed = new Conv2d(3, c.dim, c.patch, { stride: c.patch, generator: g });
    this.pos = parameter(pg.zeros([1, grid, grid, c.dim]));
    init.normal_(this.pos, 0, 0.02, { generator: g });
    this.blocks = Array.from({ length: c.depth }, (_, i) =>
      new WindowTransformerBlock(c.dim, c.heads, c.window, { mlpRatio: c.mlpRatio, shift: c.shifted && i % 2 === 1 ? Math.floor(c.window / 2) : 0, generator: g }));
    this.decoder = new PatchDecoder(c.dim, c.patch, c.numClasses, { generator: g });
    this.featureDim = c.dim;
    this.patch = c.patch;
    this.config = c;
  }

  features(x: Tensor): Tensor {
    let h = this.embed.forward(x).permute([0, 2, 3, 1]).add(this.pos); // [N, h, w, D]
    for (const b of this.blocks) h = b.forward(h);
    return h;
  }

  decode(f: Tensor): Tensor {
    return this.decoder.forward(f);
  }

  forward(x: Tensor): Tensor {
    return this.decode(this.features(x));
  }
}

export interface SegConvNetConfig {
  size: number;
  patch: number;
  /** Channels of the full-resolution stem and of the patch-grid layers. */
  stem: number;
  dim: number;
  /** 3x3 conv layers on the patch grid. */
  depth: number;
  numClasses: number;
}

/**
 * The conv baseline: a 3x3 conv stem at full resolution, a patch × patch strided conv down to the
 * patch grid, `depth` residual 3x3 convs there, and the same patch decoder as the transformer.
 */
export class SegConvNet extends Module implements SegModel {
  stem: Conv2d;
  down: Conv2d;
  convs: Conv2d[];
  decoder: PatchDecoder;
  readonly featureDim: number;
  readonly patch: number;
  readonly config: SegConvNetConfig;

  constructor(c: SegConvNetConfig, opts: { generator?: Generator } = {}) {
    super();
    const g = opts.generator;
    this.stem = new Conv2d(3, c.stem, 3, { padding: 1, generator: g });
    this.down = new Conv2d(c.stem, c.dim, c.patch, { stride: c.patch, generator: g });
    this.convs = Array.from({ length: c.depth }, () => new Conv2d(c.dim, c.dim, 3, { padding: 1, generator: g }));
    this.decoder = new PatchDecoder(c.dim, c.patch, c.numClasses, { generator: g });
    this.featureDim = c.dim;
    this.patch = c.patch;
    this.config = c;
  }

  features(x: Tensor): Tensor {
    let h = this.down.forward(this.stem.forward(x).relu());
    for (const c of this.convs) h = h.add(c.forward(h.relu()));
    return h.permute([0, 2, 3, 1]); // [N, h, w, D]
  }

  decode(f: Tensor): Tensor {
    return this.decoder.forward(f);
  }

  forward(x: Tensor): Tensor {
    return this.decode(this.features(x));
  }
}
