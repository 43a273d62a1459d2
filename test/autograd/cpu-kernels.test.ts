import { describe, expect, it } from 'vitest';
import { matmulKernel } from '../../src/autograd/cpu/matmul.js';
import { col2im, convOutputSize, im2col } from '../../src/autograd/cpu/conv.js';
import { BINARY, UNARY } from '../../src/autograd/ops/elementwise.js';
import { REDUCE } from '../../src/autograd/ops/reduce.js';
import { isLeadingReduction } from '../../src/autograd/cpu/colsum.js';
import * as pg from '../../src/index.js';

type FA = Float32Array | Float64Array;

/** Small deterministic PRNG (mulberry32) so failures reproduce. */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function fill<T extends FA>(arr: T, r: () => number): T {
  for (let i = 0; i < arr.length; i++) arr[i] = r() * 2 - 1;
  return arr;
}

interface Operand {
  data: FA;
  off: number;
  rs: number;
  cs: number;
}

/**
 * A rows x cols logical matrix stored inside a larger buffer at an offset,
 * either row-major or transposed (column-major), with padded leading dimension.
 */
function makeOperand(ctor: typeof Float32Array | typeof Float64Array, rows: number, cols: number, transposed: boolean, off: number, r: () => number): Operand {
  const ld = (transposed ? rows : cols) + 3; // padded leading dimension
  const outer = transposed ? cols : rows;
  const data = fill(new ctor(off + outer * ld + 5), r);
  return transposed ? { data, off, rs: 1, cs: ld } : { data, off, rs: ld, cs: 1 };
}

/** Naive reference in float64, plus sum_k |A||B| per entry for relative error bounds. */
function naive(A: Operand, B: Operand, M: number, N: number, K: number): { ref: Float64Array; mag: Float64Array } {
  const ref = new Float64Array(M * N);
  const mag = new Float64Array(M * N);
  for (let i = 0; i < M; i++) {
    for (let j = 0; j < N; j++) {
      let s = 0;
      let m = 0;
      for (let k = 0; k < K; k++) {
        const p = A.data[A.off + i * A.rs + k * A.cs] * B.data[B.off + k * B.rs + j * B.cs];
        s += p;
        m += Math.abs(p);
      }
      ref[i * N + j] = s;
      mag[i * N + j] = m;
    }
  }
  return { ref, mag };
}

function run(A: Operand, B: Operand, out: FA, outOff: number, M: number, N: number, K: number): void {
  matmulKernel(A.data, A.off, A.rs, A.cs, B.data, B.off, B.rs, B.cs, out, outOff, M, N, K);
}

const shapes: [number, number, number][] = [
  [1, 1, 1],
  [1, 1, 300],
  [1, 57, 33],
  [1, 300, 200],
  [41, 1, 19],
  [300, 1, 200],
  [5, 1, 1],
  [1, 6, 1],
  [3, 3, 3],
  [4, 8, 16],
  [16, 16, 16], // exactly at the packing threshold
  [37, 53, 29],
  [13, 7, 300], // K spans two KC panels
  [130, 257, 65],
  [65, 129, 513], // several K panels with ragged edges
  [261, 300, 270], // several M and N blocks (MC = NC = 256) with ragged edges
  [8, 8, 0],
];

describe('matmulKernel', () => {
  for (const ctor of [Float64Array, Float32Array]) {
    const tol = ctor === Float64Array ? 1e-12 : 1e-5;
    for (const [M, N, K] of shapes) {
      for (const ta of [false, true]) {
        for (const tb of [false, true]) {
          it(`${ctor.name} ${M}x${K} @ ${K}x${N} ${ta ? 'A^T' : 'A'} ${tb ? 'B^T' : 'B'}`, () => {
            const r = rng(M * 10007 + N * 101 + K + (ta ? 7 : 0) + (tb ? 13 : 0));
            const A = makeOperand(ctor, M, K, ta, 3, r);
            const B = makeOperand(ctor, K, N, tb, 5, r);
            const outOff = 7;
            const out = new ctor(outOff + M * N + 4).fill(123); // stale values must be overwritten
            run(A, B, out, outOff, M, N, K);
            const { ref, mag } = naive(A, B, M, N, K);
            for (let i = 0; i < M * N; i++) {
              const err = Math.abs(out[outOff + i] - ref[i]);
              if (!(err <= tol * Math.max(mag[i], Math.abs(ref[i]), 1e-30))) {
                throw new Error(`mismatch at ${i}: got ${out[outOff + i]}, want ${ref[i]} (|A||B| = ${mag[i]})`);
              }
            }
            // Guard regions untouched.
            for (let i = 0; i < outOff; i++) expect(out[i]).toBe(123);
            for (let i = outOff + M * N; i < out.length; i++) expect(out[i]).toBe(123);
          });
        }
      }
    }
  }

  it('float32 output equals the float64-accumulated sum rounded once (large K)', () => {
    const r = rng(99);
    const [M, N, K] = [9, 11, 1000];
    const A = makeOperand(Float32Array, M, K, false, 0, r);
    const B = makeOperand(Float32Array, K, N, true, 0, r);
    const out = new Float32Array(M * N);
    run(A, B, out, 0, M, N, K);
    const { ref, mag } = naive(A, B, M, N, K);
    for (let i = 0; i < M * N; i++) {
      // Only the final rounding to float32 plus float64 summation noise.
      expect(Math.abs(out[i] - ref[i])).toBeLessThanOrEqual(Math.abs(ref[i]) * 2 ** -24 + 1e-13 * mag[i]);
    }
  });

  it('is deterministic: repeated calls are bit-identical', () => {
    for (const ctor of [Float64Array, Float32Array]) {
      const r = rng(5);
      const [M, N, K] = [70, 90, 600];
      const A = makeOperand(ctor, M, K, true, 1, r);
      const B = makeOperand(ctor, K, N, false, 2, r);
      const o1 = new ctor(M * N);
      const o2 = new ctor(M * N);
      run(A, B, o1, 0, M, N, K);
      // Interleave a differently-shaped call so scratch buffers hold other data.
      const C = makeOperand(ctor, 200, 300, false, 0, r);
      const D = makeOperand(ctor, 300, 50, true, 0, r);
      run(C, D, new ctor(200 * 50), 0, 200, 50, 300);
      run(A, B, o2, 0, M, N, K);
      expect(Buffer.from(o1.buffer).equals(Buffer.from(o2.buffer))).toBe(true);
    }
  });

  it('writes zeros when K = 0 and nothing when M or N is 0', () => {
    const out = new Float64Array(6).fill(9);
    matmulKernel(new Float64Array(0), 0, 0, 1, new Float64Array(0), 0, 3, 1, out, 0, 2, 3, 0);
    expect(Array.from(out)).toEqual([0, 0, 0, 0, 0, 0]);
    const out2 = new Float64Array(2).fill(9);
    matmulKernel(new Float64Array(4), 0, 2, 1, new Float64Array(4), 0, 0, 1, out2, 0, 2, 0, 2);
    expect(Array.from(out2)).toEqual([9, 9]);
  });

  it('mixes float32 inputs with a float64 output and vice versa', () => {
    const r = rng(11);
    const [M, N, K] = [33, 45, 70];
    const A = makeOperand(Float32Array, M, K, false, 0, r);
    const B = makeOperand(Float64Array, K, N, true, 0, r);
    const out = new Float64Array(M * N);
    run(A, B, out, 0, M, N, K);
    const { ref, mag } = naive(A, B, M, N, K);
    for (let i = 0; i < M * N; i++) expect(Math.abs(out[i] - ref[i])).toBeLessThanOrEqual(1e-12 * mag[i]);
  });
});

// ------------------------------------------------------------------ im2col / col2im

interface ConvCase {
  C: number;
  H: number;
  W: number;
  kH: number;
  kW: number;
  sH: number;
  sW: number;
  pH: number;
  pW: number;
  dH: number;
  dW: number;
}

const convCases: ConvCase[] = [
  { C: 1, H: 5, W: 5, kH: 3, kW: 3, sH: 1, sW: 1, pH: 0, pW: 0, dH: 1, dW: 1 },
  { C: 2, H: 7, W: 6, kH: 3, kW: 3, sH: 1, sW: 1, pH: 1, pW: 1, dH: 1, dW: 1 },
  { C: 3, H: 9, W: 8, kH: 3, kW: 2, sH: 2, sW: 3, pH: 1, pW: 2, dH: 1, dW: 1 },
  { C: 2, H: 10, W: 11, kH: 3, kW: 3, sH: 1, sW: 2, pH: 2, pW: 3, dH: 2, dW: 3 },
  { C: 1, H: 4, W: 4, kH: 1, kW: 1, sH: 1, sW: 1, pH: 0, pW: 0, dH: 1, dW: 1 },
  { C: 2, H: 3, W: 3, kH: 3, kW: 3, sH: 2, sW: 2, pH: 4, pW: 4, dH: 1, dW: 1 }, // padding wider than the image
  { C: 1, H: 6, W: 5, kH: 2, kW: 4, sH: 3, sW: 1, pH: 0, pW: 3, dH: 2, dW: 1 },
  { C: 2, H: 1, W: 9, kH: 1, kW: 5, sH: 1, sW: 4, pH: 0, pW: 2, dH: 1, dW: 2 },
];

function naiveIm2col(x: Float64Array, xOff: number, c: ConvCase, oH: number, oW: number): Float64Array {
  const cols = new Float64Array(c.C * c.kH * c.kW * oH * oW);
  for (let ch = 0; ch < c.C; ch++)
    for (let ki = 0; ki < c.kH; ki++)
      for (let kj = 0; kj < c.kW; kj++) {
        const row = (ch * c.kH + ki) * c.kW + kj;
        for (let oh = 0; oh < oH; oh++)
          for (let ow = 0; ow < oW; ow++) {
            const ih = oh * c.sH - c.pH + ki * c.dH;
            const iw = ow * c.sW - c.pW + kj * c.dW;
            const inside = ih >= 0 && ih < c.H && iw >= 0 && iw < c.W;
            cols[(row * oH + oh) * oW + ow] = inside ? x[xOff + (ch * c.H + ih) * c.W + iw] : 0;
          }
      }
  return cols;
}

function naiveCol2im(cols: Float64Array, c: ConvCase, oH: number, oW: number): Float64Array {
  const dx = new Float64Array(c.C * c.H * c.W);
  for (let ch = 0; ch < c.C; ch++)
    for (let ki = 0; ki < c.kH; ki++)
      for (let kj = 0; kj < c.kW; kj++) {
        const row = (ch * c.kH + ki) * c.kW + kj;
        for (let oh = 0; oh < oH; oh++)
          for (let ow = 0; ow < oW; ow++) {
            const ih = oh * c.sH - c.pH + ki * c.dH;
            const iw = ow * c.sW - c.pW + kj * c.dW;
            if (ih >= 0 && ih < c.H && iw >= 0 && iw < c.W) dx[(ch * c.H + ih) * c.W + iw] += cols[(row * oH + oh) * oW + ow];
          }
      }
  return dx;
}

describe('convOutputSize', () => {
  it('matches the standard formula', () => {
    expect(convOutputSize(28, 5, 1, 0, 1)).toBe(24);
    expect(convOutputSize(28, 3, 1, 1, 1)).toBe(28);
    expect(convOutputSize(32, 3, 2, 1, 1)).toBe(16);
    expect(convOutputSize(10, 3, 1, 2, 2)).toBe(10);
    expect(convOutputSize(7, 3, 3, 0, 1)).toBe(2);
  });
});

describe('im2col / col2im', () => {
  for (const c of convCases) {
    const name = JSON.stringify(c);
    const oH = convOutputSize(c.H, c.kH, c.sH, c.pH, c.dH);
    const oW = convOutputSize(c.W, c.kW, c.sW, c.pW, c.dW);
    const rows = c.C * c.kH * c.kW;
    const nCols = rows * oH * oW;
    const img = c.C * c.H * c.W;

    it(`im2col matches naive ${name}`, () => {
      const r = rng(img + nCols);
      for (const ctor of [Float64Array, Float32Array]) {
        const xOff = 4;
        const x = fill(new ctor(xOff + img + 2), r);
        const cols = new ctor(3 + nCols + 2).fill(77);
        im2col(x, xOff, c.C, c.H, c.W, c.kH, c.kW, c.sH, c.sW, c.pH, c.pW, c.dH, c.dW, oH, oW, cols, 3);
        const ref = naiveIm2col(Float64Array.from(x), xOff, c, oH, oW);
        expect(Array.from(cols.subarray(3, 3 + nCols))).toEqual(Array.from(new ctor(ref)));
        expect([cols[0], cols[1], cols[2], cols[3 + nCols], cols[4 + nCols]]).toEqual([77, 77, 77, 77, 77]);
      }
    });

    it(`col2im accumulates like naive ${name}`, () => {
      const r = rng(img * 3 + nCols);
      const cols = fill(new Float64Array(2 + nCols), r);
      const base = fill(new Float64Array(img + 6), r);
      const dx = Float64Array.from(base);
      col2im(cols, 2, c.C, c.H, c.W, c.kH, c.kW, c.sH, c.sW, c.pH, c.pW, c.dH, c.dW, oH, oW, dx, 5);
      const ref = naiveCol2im(cols.subarray(2), c, oH, oW);
      for (let i = 0; i < 5; i++) expect(dx[i]).toBe(base[i]);
      expect(dx[5 + img]).toBe(base[5 + img]);
      for (let i = 0; i < img; i++) expect(dx[5 + i]).toBeCloseTo(base[5 + i] + ref[i], 12);
    });

    it(`adjoint identity <im2col(x), c> == <x, col2im(c)> ${name}`, () => {
      const r = rng(img * 7 + nCols);
      const x = fill(new Float64Array(img), r);
      const cvec = fill(new Float64Array(nCols), r);
      const cols = new Float64Array(nCols);
      im2col(x, 0, c.C, c.H, c.W, c.kH, c.kW, c.sH, c.sW, c.pH, c.pW, c.dH, c.dW, oH, oW, cols, 0);
      const dx = new Float64Array(img);
      col2im(cvec, 0, c.C, c.H, c.W, c.kH, c.kW, c.sH, c.sW, c.pH, c.pW, c.dH, c.dW, oH, oW, dx, 0);
      let lhs = 0;
      let scale = 0;
      for (let i = 0; i < nCols; i++) {
        lhs += cols[i] * cvec[i];
        scale += Math.abs(cols[i] * cvec[i]);
      }
      let rhs = 0;
      for (let i = 0; i < img; i++) rhs += x[i] * dx[i];
      expect(Math.abs(lhs - rhs)).toBeLessThanOrEqual(1e-12 * Math.max(scale, 1));
    });
  }
});

describe('elementwise row loops: the unrolled unit-stride path equals the plain loop', () => {
  const r = rng(11);
  const ops: [string, (u: number, v: number) => number][] = [
    ['add', (u, v) => u + v], ['sub', (u, v) => u - v], ['mul', (u, v) => u * v], ['div', (u, v) => u / v],
  ];
  // Lengths around the unroll width, offsets into the operands, and strides 1, 0 (broadcast) and 2.
  const lengths = [0, 1, 3, 4, 5, 7, 8, 9, 1023];
  for (const [name, f] of ops) {
    it(name, () => {
      const loop = BINARY[name as keyof typeof BINARY].cpu;
      for (const n of lengths) {
        for (const [as, bs] of [[1, 1], [1, 0], [0, 1], [2, 1], [1, 2]]) {
          const a = fill(new Float32Array(2 * n + 8), r), b = fill(new Float32Array(2 * n + 8), r);
          const y = new Float32Array(n + 3), want = new Float32Array(n + 3);
          loop(a, 3, as, b, 5, bs, y, 2, n);
          for (let i = 0; i < n; i++) want[2 + i] = f(a[3 + i * as], b[5 + i * bs]);
          expect(y).toEqual(want);
        }
      }
    });
  }
  it('relu (NaN and -0 give +0, as before)', () => {
    const loop = UNARY.relu.cpu;
    for (const n of lengths) {
      for (const xs of [1, 2]) {
        const x = fill(new Float32Array(2 * n + 8), r);
        if (n > 2) { x[3] = NaN; x[3 + xs] = -0; }
        const y = new Float32Array(n + 3).fill(7), want = new Float32Array(n + 3).fill(7);
        loop(x, 3, xs, y, 2, n);
        for (let i = 0; i < n; i++) { const v = x[3 + i * xs]; want[2 + i] = v > 0 ? v : 0; }
        expect(y).toEqual(want);
        for (let i = 0; i < n; i++) expect(Object.is(y[2 + i], -0)).toBe(false);
      }
    }
  });
});

describe('sum over leading dims (columnSum): same bits as the generic row reduction', () => {
  const r = rng(12);
  // Shapes and reduced dims: bias-gradient style (leading dims) on row-major tensors, plus layouts
  // that must not take the fast path (trailing or middle dims, transposed input).
  const cases: [number[], number[]][] = [
    [[7, 5], [0]], [[9, 3], [0]], [[4, 6, 5], [0, 1]], [[3, 1, 4], [0]], [[1, 5, 3], [0, 1]], [[2, 3, 1], [0]], [[8, 4], [0, 1]],
    [[5, 7], [1]], [[3, 4, 5], [1]], [[3, 4, 5], [0, 2]],
  ];
  for (const [shape, dims] of cases) {
    it(`${JSON.stringify(shape)} over ${JSON.stringify(dims)}`, () => {
      const n = shape.reduce((a, b) => a * b, 1);
      for (const dtype of ['float32', 'float64'] as const) {
        const x = pg.tensor(fill(dtype === 'float32' ? new Float32Array(n) : new Float64Array(n), r), { shape, dtype });
        const got = x.sum(dims).dataSync();
        // Reference: the row loop of REDUCE.sum over a contiguous copy with the reduced dims last.
        const kept = shape.map((_, i) => i).filter((i) => !dims.includes(i));
        const perm = x.permute([...kept, ...dims]).contiguous();
        const m = dims.reduce((a, d) => a * shape[d], 1);
        const data = perm.dataSync();
        const want = new (dtype === 'float32' ? Float32Array : Float64Array)(n / m);
        for (let row = 0; row < n / m; row++) want[row] = REDUCE.sum.cpu(data, row * m, m);
        expect(got).toEqual(want);
      }
    });
  }
  it('isLeadingReduction accepts only the leading-dims layout', () => {
    expect(isLeadingReduction([5, 7], [1, 5], 5, 7)).toBe(true); // [7, 5] summed over dim 0
    expect(isLeadingReduction([5, 7], [7, 1], 5, 7)).toBe(false); // contiguous rows: the plain path
    expect(isLeadingReduction([4, 3, 2], [1, 8, 4], 4, 6)).toBe(true); // [3, 2, 4] over [0, 1]
    expect(isLeadingReduction([4, 3, 2], [1, 4, 12], 4, 6)).toBe(false); // reduced dims in the wrong order
    expect(isLeadingReduction([5, 0], [1, 5], 5, 0)).toBe(false);
  });
});
