// Windowed (Swin-style) self-attention: tiling, the shift mask, a naive per-window reference
// written with plain loops, locality, float64 gradchecks, bad inputs and leaks.
import { afterAll, describe, expect, it, vi } from 'vitest';
import * as pg from '../../src/index.js';
import { withTensors, type Module } from '../../src/nn/module.js';
import { TransformerBlock } from '../../src/nn/attention.js';
import {
  WindowAttention, WindowTransformerBlock, roll, shiftedWindowMask, windowMerge, windowPartition,
} from '../../src/nn/window-attention.js';

vi.setConfig({ testTimeout: 60_000 });
const owned: { dispose(): void }[] = [];
const own = <T extends { dispose(): void }>(x: T): T => (owned.push(x), x);
afterAll(() => owned.splice(0).forEach((x) => x.dispose()));
const g = new pg.Generator(7);
const arr = (t: pg.Tensor): number[] => Array.from(t.dataSync());

/**
 * The reference: for every token of the grid, softmax attention over the tokens it may see, with
 * plain loops in float64. In the grid rolled by -shift, two tokens see each other iff they lie in
 * the same window × window tile and, along each axis, both or neither wrapped around in the roll.
 */
function naiveWindowAttention(m: WindowAttention, x: pg.Tensor): Float64Array {
  const [B, H, W, C] = x.shape;
  const { window: w, shift: s } = m;
  const nH = m.attn.nHeads, hd = m.attn.headDim;
  const xs = arr(x);
  const lin = (l: pg.nn.Linear) => ({ W: arr(l.weight), b: l.bias ? arr(l.bias) : new Array(C).fill(0) });
  const [q, k, v, o] = [m.attn.qProj, m.attn.kProj, m.attn.vProj, m.attn.outProj].map(lin);
  const apply = (p: { W: number[]; b: number[] }, vec: number[]): number[] =>
    Array.from({ length: C }, (_, r) => p.b[r]! + vec.reduce((a, xv, c) => a + p.W[r * C + c]! * xv, 0));
  const out = new Float64Array(B * H * W * C);
  for (let b = 0; b < B; b++) {
    // Rolled coordinates (i, j) hold the original token ((i + s) mod H, (j + s) mod W).
    const tok = (i: number, j: number) => xs.slice(((b * H + ((i + s) % H)) * W + ((j + s) % W)) * C, ((b * H + ((i + s) % H)) * W + ((j + s) % W)) * C + C);
    const Q: number[][][] = [], K: number[][][] = [], V: number[][][] = [];
    for (let i = 0; i < H; i++) {
      Q.push([]), K.push([]), V.push([]);
      for (let j = 0; j < W; j++) (Q[i]!.push(apply(q, tok(i, j))), K[i]!.push(apply(k, tok(i, j))), V[i]!.push(apply(v, tok(i, j))));
    }
    const sees = (i: number, j: number, i2: number, j2: number) =>
      Math.floor(i / w) === Math.floor(i2 / w) && Math.floor(j / w) === Math.floor(j2 / w) &&
      (i + s >= H) === (i2 + s >= H) && (j + s >= W) === (j2 + s >= W);
    for (let i = 0; i < H; i++)
      for (let j = 0; j < W; j++) {
        const cat: number[] = [];
        for (let h = 0; h < nH; h++) {
          const keys: [number, number][] = [];
          for (let i2 = 0; i2 < H; i2++) for (let j2 = 0; j2 < W; j2++) if (sees(i, j, i2, j2)) keys.push([i2, j2]);
          const sc = keys.map(([i2, j2]) => {
            let d = 0;
            for (let e = 0; e < hd; e++) d += Q[i]![j]![h * hd + e]! * K[i2]![j2]![h * hd + e]!;
            return d / Math.sqrt(hd);
          });
          const mx = Math.max(...sc);
          const ex = sc.map((z) => Math.exp(z - mx));
          const Z = ex.reduce((a, z) => a + z, 0);
          for (let e = 0; e < hd; e++) cat.push(keys.reduce((a, [i2, j2], n) => a + (ex[n]! / Z) * V[i2]![j2]![h * hd + e]!, 0));
        }
        const y = apply(o, cat);
        const oi = (i + s) % H, oj = (j + s) % W;
        out.set(y, ((b * H + oi) * W + oj) * C);
      }
  }
  return out;
}

describe('window tiling', () => {
  it('windowPartition puts tile (b, i, j) at row b·nH·nW + i·nW + j, tokens row-major; windowMerge inverts it', () => {
    const x = pg.arange(2 * 4 * 6 * 3).reshape([2, 4, 6, 3]).float();
    const t = windowPartition(x, 2);
    expect(t.shape).toEqual([12, 4, 3]);
    const xs = arr(x), ts = arr(t);
    // Tile row 1·6 + 1·3 + 2 = 11 (batch 1, tile row 1, tile col 2); its token 3 is grid (3, 5).
    expect(ts.slice((11 * 4 + 3) * 3, (11 * 4 + 3) * 3 + 3)).toEqual(xs.slice(((1 * 4 + 3) * 6 + 5) * 3, ((1 * 4 + 3) * 6 + 5) * 3 + 3));
    expect(arr(windowMerge(t, 2, 4, 6))).toEqual(xs);
  });

  it('roll moves element i to (i + shift) mod n, for negative and oversize shifts too', () => {
    const x = pg.arange(5);
    expect(arr(roll(x, 2, 0))).toEqual([3, 4, 0, 1, 2]);
    expect(arr(roll(x, -1, 0))).toEqual([1, 2, 3, 4, 0]);
    expect(arr(roll(x, 7, 0))).toEqual(arr(roll(x, 2, 0)));
    expect(roll(x, 5, 0)).toBe(x);
  });

  it('the shift mask separates the wrapped rows / columns of the last tiles, and only those', () => {
    const m = arr(shiftedWindowMask(4, 4, 2, 1)); // 4 tiles of 2x2 tokens
    const tile = (t: number) => m.slice(t * 16, t * 16 + 16);
    expect(tile(0).every((v) => v === 0)).toBe(true); // no wrap
    // Tile 1 (top right): tokens 0, 2 (column 2) and 1, 3 (column 3, wrapped) form two regions.
    expect(tile(1)).toEqual([0, 1, 0, 1, 1, 0, 1, 0, 0, 1, 0, 1, 1, 0, 1, 0]);
    // Tile 3 (bottom right): four regions, one token each: only the diagonal may attend.
    expect(tile(3)).toEqual([0, 1, 1, 1, 1, 0, 1, 1, 1, 1, 0, 1, 1, 1, 1, 0]);
  });

  it('rejects grids that do not tile, bad windows and shifts', () => {
    const x = pg.zeros([1, 6, 4, 8]);
    expect(() => windowPartition(x, 4)).toThrow(/windowPartition: grid 6x4 is not divisible by window 4/);
    expect(() => windowPartition(pg.zeros([6, 4, 8]), 2)).toThrow(/expected a grid \[B, H, W, C\]/);
    expect(() => windowMerge(pg.zeros([3, 4, 8]), 2, 4, 4)).toThrow(/windowMerge/);
    expect(() => new WindowAttention(8, 2, 0)).toThrow(/window must be a positive integer, got 0/);
    expect(() => new WindowAttention(8, 2, 4, { shift: 4 })).toThrow(/shift must be an integer in \[0, 4\), got 4/);
    const m = own(new WindowAttention(8, 2, 4, { generator: g }));
    expect(() => m.forward(x)).toThrow(/WindowAttention: grid 6x4 is not divisible by window 4/);
    expect(() => m.forward(pg.zeros([1, 4, 4, 6]))).toThrow(/WindowAttention: expected 8 channels/);
    expect(() => shiftedWindowMask(4, 4, 2, 0)).toThrow(/shift must be in \(0, 2\)/);
  });
});

describe('WindowAttention', () => {
  for (const [H, W, w, s] of [[4, 6, 2, 0], [4, 4, 2, 1], [6, 6, 3, 1], [6, 6, 3, 2]] as const) {
    it(`matches the naive per-window reference (grid ${H}x${W}, window ${w}, shift ${s})`, () => {
      const m = own(new WindowAttention(8, 2, w, { shift: s, generator: g }).double());
      const x = pg.randn([2, H, W, 8], { generator: g, dtype: 'float64' });
      pg.testing.assertClose(m.forward(x), naiveWindowAttention(m, x), { rtol: 1e-10, atol: 1e-12 });
    });
  }

  it('is local: changing a token changes only the outputs of its own window (no shift)', () => {
    const m = own(new WindowAttention(8, 2, 2, { generator: g }));
    const x = pg.randn([1, 4, 4, 8], { generator: g });
    const y0 = arr(m.forward(x));
    const x2 = x.clone();
    const d = x2.dataSync() as Float32Array;
    for (let c = 0; c < 8; c++) d[(1 * 4 + 2) * 8 + c] += 1; // token (1, 2): tile (0, 1)
    const y1 = arr(m.forward(pg.tensor(d, { shape: x.shape })));
    for (let i = 0; i < 4; i++)
      for (let j = 0; j < 4; j++) {
        const same = i < 2 && j >= 2;
        const changed = [...Array(8).keys()].some((c) => y0[(i * 4 + j) * 8 + c] !== y1[(i * 4 + j) * 8 + c]);
        expect(changed, `token (${i}, ${j})`).toBe(same);
      }
  });

  it('window = grid size is global self-attention (MultiHeadAttention on the flattened grid)', () => {
    const m = own(new WindowAttention(8, 2, 4, { generator: g }));
    const x = pg.randn([2, 4, 4, 8], { generator: g });
    pg.testing.assertClose(m.forward(x), m.attn.forward(x.reshape([2, 16, 8])).reshape([2, 4, 4, 8]), { rtol: 1e-6, atol: 1e-6 });
  });

  it('float64 gradcheck with respect to the input and every parameter (shifted windows)', () => {
    const m = own(new WindowAttention(4, 2, 2, { shift: 1, generator: g }).double());
    gradcheckModule(m, [pg.randn([1, 4, 4, 4], { generator: g, dtype: 'float64' })], (x) => m.forward(x));
  });
});

describe('WindowTransformerBlock', () => {
  it('equals the TransformerBlock applied to each tile on its own (no shift)', () => {
    const m = own(new WindowTransformerBlock(8, 2, 2, { mlpRatio: 2, generator: g }));
    const x = pg.randn([1, 4, 4, 8], { generator: g });
    const y = arr(m.forward(x));
    for (let ti = 0; ti < 2; ti++)
      for (let tj = 0; tj < 2; tj++) {
        const tile = x.narrow(1, 2 * ti, 2).narrow(2, 2 * tj, 2).reshape([1, 4, 8]);
        const yt = arr((m.block as TransformerBlock).forward(tile));
        for (let p = 0; p < 4; p++) {
          const i = 2 * ti + Math.floor(p / 2), j = 2 * tj + (p % 2);
          pg.testing.assertClose(y.slice((i * 4 + j) * 8, (i * 4 + j) * 8 + 8), yt.slice(p * 8, p * 8 + 8), { rtol: 1e-5, atol: 1e-6 });
        }
      }
  });

  it('float64 gradcheck through a shifted block', () => {
    const m = own(new WindowTransformerBlock(4, 1, 2, { shift: 1, mlpRatio: 1, generator: g }).double());
    gradcheckModule(m, [pg.randn([1, 4, 4, 4], { generator: g, dtype: 'float64' })], (x) => m.forward(x));
  });

  it('leaves only its output alive, and backward frees the rest', () => {
    for (const m of [own(new WindowAttention(8, 2, 2, { shift: 1, generator: g })), own(new WindowTransformerBlock(8, 2, 2, { shift: 1, generator: g }))]) {
      const x = pg.randn([2, 4, 4, 8], { generator: g });
      const before = pg.memory();
      const y0 = pg.noGrad(() => m.forward(x));
      expect(pg.memory().tensors - before.tensors).toBe(1);
      y0.dispose();
      const y = m.forward(x);
      pg.tidy(() => y.square().mean().backward());
      y.dispose();
      m.zeroGrad();
      expect(pg.memory()).toEqual(before);
      x.dispose();
    }
  });
});

/** gradcheck of fn(inputs) with respect to the inputs and every parameter of m (already float64). */
function gradcheckModule(m: Module, inputs: pg.Tensor[], fn: (...xs: pg.Tensor[]) => pg.Tensor): void {
  const named = m.namedParameters();
  const ps = named.map(([, p]) => p.detach());
  pg.testing.gradcheck(
    (...xs) => withTensors(m, Object.fromEntries(named.map(([n], i) => [n, xs[inputs.length + i]!])), () => fn(...xs.slice(0, inputs.length))),
    [...inputs, ...ps],
  );
}
