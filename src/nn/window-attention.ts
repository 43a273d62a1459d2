// Windowed (local) self-attention over a 2-D grid of tokens, as in the Swin Transformer: the grid
// [B, H, W, C] is cut into non-overlapping window × window tiles and every token attends only to the
// tokens of its own tile. With `shift`, the grid is first rolled by -shift along both axes (Swin's
// shifted windows, so that tiles straddle the previous layer's borders) and a mask keeps tokens that
// were not neighbours before the roll from seeing each other; the result is rolled back.
//
// Built from what pg.nn has: the tiles form a batch of short sequences [B·nWindows, window², C], on
// which MultiHeadAttention (or a whole TransformerBlock, since its MLP and norms act per token) runs
// unchanged; the shift mask travels as its attnMask.
import * as pg from '../autograd/index.js';
import type { Tensor, Generator, DType } from '../autograd/index.js';
import { Module, scopeForward } from './module.js';
import { MultiHeadAttention, TransformerBlock } from './attention.js';

/** A layer's window (a positive integer) and shift (an integer in [0, window), default 0); returns the shift. */
function checkWindow(op: string, window: number, shift = 0): number {
  if (!(Number.isInteger(window) && window > 0)) throw new Error(`${op}: window must be a positive integer, got ${window}`);
  if (!(Number.isInteger(shift) && shift >= 0 && shift < window)) throw new Error(`${op}: shift must be an integer in [0, ${window}), got ${shift}`);
  return shift;
}

function checkGrid(op: string, x: Tensor, window: number, channels?: number): void {
  if (x.rank !== 4) throw new Error(`${op}: expected a grid [B, H, W, C], got [${x.shape.join(', ')}]`);
  if (!(Number.isInteger(window) && window > 0)) throw new Error(`${op}: window must be a positive integer, got ${window}`);
  const [, H, W, C] = x.shape;
  if (H % window || W % window) throw new Error(`${op}: grid ${H}x${W} is not divisible by window ${window}`);
  if (channels !== undefined && C !== channels) throw new Error(`${op}: expected ${channels} channels, got [${x.shape.join(', ')}]`);
}

/**
 * [B, H, W, C] -> [B · (H/w) · (W/w), w·w, C]: tile (b, i, j) is row b·(H/w)·(W/w) + i·(W/w) + j,
 * its tokens in row-major order inside the tile.
 */
export function windowPartition(x: Tensor, window: number): Tensor {
  checkGrid('windowPartition', x, window);
  const [B, H, W, C] = x.shape;
  const w = window;
  return x.reshape([B, H / w, w, W / w, w, C]).permute([0, 1, 3, 2, 4, 5]).reshape([-1, w * w, C]);
}

/** The inverse of windowPartition: tiles [B · (H/w) · (W/w), w·w, C] back to the grid [B, H, W, C]. */
export function windowMerge(windows: Tensor, window: number, H: number, W: number): Tensor {
  const w = window;
  if (windows.rank !== 3 || windows.shape[1] !== w * w || H % w || W % w || windows.shape[0] % ((H / w) * (W / w)))
    throw new Error(`windowMerge: [${windows.shape.join(', ')}] are not ${w}x${w} tiles of a ${H}x${W} grid`);
  const C = windows.shape[2];
  const B = windows.shape[0] / ((H / w) * (W / w));
  return windows.reshape([B, H / w, W / w, w, w, C]).permute([0, 1, 3, 2, 4, 5]).reshape([B, H, W, C]);
}

/** torch.roll along one dim: element i moves to (i + shift) mod n. */
export function roll(x: Tensor, shift: number, dim: number): Tensor {
  const d = dim < 0 ? dim + x.rank : dim;
  const n = x.shape[d];
  const s = ((shift % n) + n) % n;
  if (s === 0) return x;
  return pg.cat([x.narrow(d, n - s, s), x.narrow(d, 0, n - s)], d);
}

/**
 * The shifted-window mask [nWindows, w², w²] (true = may not attend) for an H x W grid rolled by
 * -shift: tokens of one tile attend to each other only if they came from the same region of the
 * unrolled grid (the last `shift` rows / columns wrapped around from the other side form their own
 * regions). Built on the host; a pure function of (H, W, window, shift).
 */
export function shiftedWindowMask(H: number, W: number, window: number, shift: number, device?: pg.Device): Tensor {
  const w = window;
  if (!(shift > 0 && shift < w)) throw new Error(`shiftedWindowMask: shift must be in (0, ${w}), got ${shift}`);
  // Region of a rolled coordinate along one axis: 0 before n - w, 1 in [n - w, n - shift), 2 after.
  const region = (i: number, n: number): number => (i < n - w ? 0 : i < n - shift ? 1 : 2);
  const nH = H / w, nW = W / w, T = w * w;
  const out = new Uint8Array(nH * nW * T * T);
  for (let a = 0; a < nH; a++)
    for (let b = 0; b < nW; b++) {
      const ids: number[] = [];
      for (let i = 0; i < w; i++) for (let j = 0; j < w; j++) ids.push(region(a * w + i, H) * 3 + region(b * w + j, W));
      const base = (a * nW + b) * T * T;
      for (let p = 0; p < T; p++) for (let q = 0; q < T; q++) out[base + p * T + q] = ids[p] !== ids[q] ? 1 : 0;
    }
  return pg.tensor(out, { dtype: 'bool', shape: [nH * nW, T, T], device });
}

/** The attnMask for a batch of B grids' tiles: [B · nWindows, 1, w², w²]. */
function batchMask(B: number, H: number, W: number, window: number, shift: number, device: pg.Device): Tensor {
  const m = shiftedWindowMask(H, W, window, shift, device);
  const [n, T] = m.shape;
  return m.unsqueeze(0).expand([B, n, T, T]).reshape([B * n, 1, T, T]);
}

export interface WindowAttentionOpts {
  /** Roll the grid by -shift before tiling (Swin's shifted windows); 0 (default) for plain windows. */
  shift?: number;
  bias?: boolean;
  dropout?: number;
  generator?: Generator;
  dtype?: DType;
}

/** Runs fn on the tiles of x (rolled by -shift, with the shift mask) and reassembles the grid. */
function overWindows(x: Tensor, window: number, shift: number, fn: (tiles: Tensor, mask: Tensor | null) => Tensor): Tensor {
  const [B, H, W] = x.shape;
  const rolled = shift ? roll(roll(x, -shift, 1), -shift, 2) : x;
  const mask = shift ? batchMask(B, H, W, window, shift, x.device) : null;
  const y = windowMerge(fn(windowPartition(rolled, window), mask), window, H, W);
  return shift ? roll(roll(y, shift, 1), shift, 2) : y;
}

/**
 * Multi-head self-attention inside non-overlapping window x window tiles of a token grid
 * [B, H, W, dModel] (Swin's W-MSA; SW-MSA with `shift`). H and W must be multiples of window.
 * The projections are those of `attn`, a MultiHeadAttention.
 */
export class WindowAttention extends Module {
  attn: MultiHeadAttention;
  readonly window: number;
  readonly shift: number;

  constructor(dModel: number, nHeads: number, window: number, opts: WindowAttentionOpts = {}) {
    super();
    const shift = checkWindow('WindowAttention', window, opts.shift);
    this.attn = new MultiHeadAttention(dModel, nHeads, { bias: opts.bias, dropout: opts.dropout, generator: opts.generator, dtype: opts.dtype });
    this.window = window;
    this.shift = shift;
  }

  forward(x: Tensor): Tensor {
    checkGrid('WindowAttention', x, this.window, this.attn.dModel);
    return overWindows(x, this.window, this.shift, (tiles, mask) => this.attn.forward(tiles, { attnMask: mask }));
  }
}

export interface WindowTransformerBlockOpts extends WindowAttentionOpts {
  mlpRatio?: number;
}

/**
 * A Swin block on a grid [B, H, W, dModel]: the pre-LN TransformerBlock
 *   x = x + attn(ln1(x));  x = x + mlp(ln2(x))
 * with attention restricted to (shifted) windows. Norms and MLP act per token, so the whole block
 * runs on the tiles and the tiles are reassembled once.
 */
export class WindowTransformerBlock extends Module {
  block: TransformerBlock;
  readonly window: number;
  readonly shift: number;

  constructor(dModel: number, nHeads: number, window: number, opts: WindowTransformerBlockOpts = {}) {
    super();
    const shift = checkWindow('WindowTransformerBlock', window, opts.shift);
    this.block = new TransformerBlock(dModel, nHeads, { mlpRatio: opts.mlpRatio, dropout: opts.dropout, bias: opts.bias, generator: opts.generator, dtype: opts.dtype });
    this.window = window;
    this.shift = shift;
  }

  forward(x: Tensor): Tensor {
    checkGrid('WindowTransformerBlock', x, this.window, this.block.attn.dModel);
    return overWindows(x, this.window, this.shift, (tiles, mask) => this.block.forward(tiles, { attnMask: mask }));
  }
}

scopeForward(WindowAttention, WindowTransformerBlock);
