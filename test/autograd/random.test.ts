import { describe, expect, it } from 'vitest';
import {
  Generator, WGSL_RANDOM, cos2piFromWord, defaultGenerator, fillBernoulli, fillNormal, fillRandint,
  fillUniform, lnF32, manualSeed, mulhi32, multinomial, multinomialWordCount, normalFromWords,
  philox4x32, randomWords, randperm, randpermFromWords, uniformFromWord,
} from '../../src/autograd/random';

const hex = (a: ArrayLike<number>) => Array.from(a, (x) => (x >>> 0).toString(16).padStart(8, '0'));

// Student-style helpers for the statistical checks (all tolerances are 4 sigma).
function meanVar(a: ArrayLike<number>): [number, number] {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]!;
  const m = s / a.length;
  let v = 0;
  for (let i = 0; i < a.length; i++) v += (a[i]! - m) ** 2;
  return [m, v / (a.length - 1)];
}

// Standard normal CDF via erf, Abramowitz & Stegun 7.1.26 (|error| < 1.5e-7, plenty for a KS
// threshold of 1e-2).
function normalCdf(x: number): number {
  const z = Math.abs(x) / Math.SQRT2;
  const t = 1 / (1 + 0.3275911 * z);
  const poly = t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429))));
  const erf = 1 - poly * Math.exp(-z * z);
  return x >= 0 ? 0.5 * (1 + erf) : 0.5 * (1 - erf);
}

describe('philox4x32', () => {
  // Random123 tests/kat_vectors, the three "philox4x32 10" lines: ctr[4] key[2] -> out[4].
  const KAT: [number[], number[], string[]][] = [
    [[0, 0, 0, 0], [0, 0], ['6627e8d5', 'e169c58d', 'bc57ac4c', '9b00dbd8']],
    [[0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff], [0xffffffff, 0xffffffff],
      ['408f276d', '41c83b0e', 'a20bc7c6', '6d5451fd']],
    [[0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344], [0xa4093822, 0x299f31d0],
      ['d16cfe09', '94fdcceb', '5001e420', '24126ea1']],
  ];

  it('matches the Random123 known-answer vectors', () => {
    for (const [c, k, expected] of KAT) {
      const out = new Uint32Array(4);
      philox4x32(c[0]!, c[1]!, c[2]!, c[3]!, k[0]!, k[1]!, out);
      expect(hex(out)).toEqual(expected);
      const arr: number[] = [7, 7, 7, 7, 7, 7];
      philox4x32(c[0]!, c[1]!, c[2]!, c[3]!, k[0]!, k[1]!, arr, 2);
      expect(arr.slice(0, 2)).toEqual([7, 7]);
      expect(hex(arr.slice(2))).toEqual(expected);
    }
  });

  it('mulhi32 is the exact high word of the 64-bit product', () => {
    const edge = [0, 1, 2, 0xffff, 0x10000, 0x7fffffff, 0x80000000, 0xfffffffe, 0xffffffff, 0xd2511f53, 0xcd9e8d57];
    const rand = Array.from(randomWords(1, 0, 200));
    const vals = [...edge, ...rand];
    for (let i = 0; i < vals.length; i++) {
      for (let j = i; j < vals.length; j += 7) {
        const a = vals[i]!, b = vals[j]!;
        expect(mulhi32(a, b)).toBe(Number((BigInt(a) * BigInt(b)) >> 32n));
      }
    }
  });
});

describe('word stream', () => {
  it('golden words: seed 42, offset 0', () => {
    expect(hex(randomWords(42, 0, 8))).toEqual([
      '9ceaf053', '77f5493b', '12bf50ad', '5742b3d7', 'fcdb2127', '53ba6cfd', '838f5a6e', '744e06fb',
    ]);
  });

  it('word g is lane g%4 of philox(block lo, block hi, 0, 0; seed lo, seed hi)', () => {
    const seed = 2 ** 40 + 12345; // non-zero high key word
    const block = 2 ** 32 + 7; // non-zero high counter word
    const offset = block * 4 + 1;
    const words = randomWords(seed, offset, 7);
    const b0 = new Uint32Array(4), b1 = new Uint32Array(4);
    philox4x32(7, 1, 0, 0, 12345, 256, b0);
    philox4x32(8, 1, 0, 0, 12345, 256, b1);
    expect(Array.from(words)).toEqual([b0[1], b0[2], b0[3], b1[0], b1[1], b1[2], b1[3]]);
  });

  it('unaligned reads are slices of the stream', () => {
    const long = randomWords(9, 0, 40);
    for (const [o, n] of [[3, 6], [5, 1], [12, 17], [0, 0]] as const) {
      expect(Array.from(randomWords(9, o, n))).toEqual(Array.from(long.subarray(o, o + n)));
    }
  });

  it('offset arithmetic: draws of 5 then 3 words are words 0..4 and 8..10', () => {
    const g = new Generator(123);
    const long = randomWords(123, 0, 16);
    const o1 = g.next(5);
    const a = randomWords(g.seed, o1, 5);
    const o2 = g.next(3);
    const b = randomWords(g.seed, o2, 3);
    expect([o1, o2, g.offset]).toEqual([0, 8, 12]);
    expect(Array.from(a)).toEqual(Array.from(long.subarray(0, 5)));
    expect(Array.from(b)).toEqual(Array.from(long.subarray(8, 11)));
  });

  it('rejects bad seeds and offsets', () => {
    expect(() => randomWords(-1, 0, 1)).toThrow(RangeError);
    expect(() => randomWords(1.5, 0, 1)).toThrow(RangeError);
    expect(() => randomWords(2 ** 53, 0, 1)).toThrow(RangeError);
    expect(() => randomWords(0, -4, 1)).toThrow(RangeError);
    expect(() => new Generator(-3)).toThrow(RangeError);
  });
});

describe('uniform', () => {
  it('golden float32 uniforms: seed 0, offset 0', () => {
    const u = fillUniform(0, 0, new Float32Array(4));
    expect(Array.from(u)).toEqual([0.3990464210510254, 0.8805201649665833, 0.7357127666473389, 0.6054818034172058]);
    // Those are (word >>> 8) * 2^-24 of the counter-0/key-0 KAT block.
    expect(Array.from(u)).toEqual([0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8].map(uniformFromWord));
  });

  it('float64 output uses the same 24-bit values', () => {
    const a = fillUniform(5, 8, new Float32Array(100));
    const b = fillUniform(5, 8, new Float64Array(100));
    expect(Array.from(b)).toEqual(Array.from(a));
  });

  it('float32 scaling follows the f32 op order', () => {
    const out = fillUniform(3, 0, new Float32Array(50), -2.5, 0.1);
    const words = randomWords(3, 0, 50);
    const lo = Math.fround(-2.5), range = Math.fround(Math.fround(0.1) - lo);
    for (let i = 0; i < 50; i++) {
      expect(out[i]).toBe(Math.fround(lo + Math.fround(range * uniformFromWord(words[i]!))));
      expect(out[i]).toBeGreaterThanOrEqual(-2.5);
      expect(out[i]).toBeLessThan(0.1);
    }
  });

  it('mean and variance within 4 sigma (1e5 samples)', () => {
    const n = 1e5;
    const [m, v] = meanVar(fillUniform(7, 0, new Float32Array(n)));
    expect(Math.abs(m - 0.5)).toBeLessThan(4 * Math.sqrt(1 / 12 / n));
    expect(Math.abs(v - 1 / 12)).toBeLessThan(4 * Math.sqrt((1 / 80 - 1 / 144) / n));
  });
});

describe('normal', () => {
  it('golden float32 normals: seed 0, offset 0', () => {
    const z = fillNormal(0, 0, new Float32Array(4));
    expect(Array.from(z)).toEqual([0.9911375045776367, -0.6176090836524963, -0.1536381095647812, 0.8317351341247559]);
    const w = randomWords(0, 0, 8);
    for (let i = 0; i < 4; i++) expect(z[i]).toBe(normalFromWords(w[2 * i]!, w[2 * i + 1]!));
  });

  it('float64 output agrees with the portable float32 path to float32 accuracy', () => {
    const a = fillNormal(11, 40, new Float32Array(2000));
    const b = fillNormal(11, 40, new Float64Array(2000));
    for (let i = 0; i < a.length; i++) expect(Math.abs(a[i]! - b[i]!)).toBeLessThan(2e-6 * Math.max(1, Math.abs(b[i]!)));
  });

  it('mean, variance and Kolmogorov-Smirnov (1e5 samples)', () => {
    const n = 1e5;
    const z = fillNormal(2024, 0, new Float32Array(n));
    const [m, v] = meanVar(z);
    expect(Math.abs(m)).toBeLessThan(4 / Math.sqrt(n));
    expect(Math.abs(v - 1)).toBeLessThan(4 * Math.sqrt(2 / n));
    const sorted = Float64Array.from(z).sort();
    let ks = 0;
    for (let i = 0; i < n; i++) {
      const c = normalCdf(sorted[i]!);
      ks = Math.max(ks, Math.abs(c - i / n), Math.abs((i + 1) / n - c));
    }
    expect(ks).toBeLessThan(0.01);
  });

  it('applies mean and std', () => {
    const n = 1e5;
    const [m, v] = meanVar(fillNormal(5, 0, new Float64Array(n), 3, 2));
    expect(Math.abs(m - 3)).toBeLessThan(4 * 2 / Math.sqrt(n));
    expect(Math.abs(v - 4)).toBeLessThan(4 * 4 * Math.sqrt(2 / n));
  });

  it('consumes two words per element', () => {
    const g = new Generator(77);
    const off = g.next(2 * 5);
    expect(g.offset).toBe(12);
    const all = fillNormal(77, off, new Float32Array(8));
    expect(Array.from(fillNormal(77, 4, new Float32Array(6)))).toEqual(Array.from(all.subarray(2)));
  });
});

describe('portable float32 ln and cos', () => {
  it('ln: relative error < 2e-7 on every Box-Muller input and across (0, 1]', () => {
    let worst = 0;
    for (let m = 1; m < 1 << 24; m++) { // every u1 = m * 2^-24 except 1
      const x = m * 2 ** -24;
      worst = Math.max(worst, Math.abs(lnF32(x) / Math.log(x) - 1));
    }
    const f = new Float32Array(1), u = new Uint32Array(f.buffer);
    for (let b = 0x00800000; b < 0x3f800000; b += 997) { // all binades of normal floats below 1
      u[0] = b;
      worst = Math.max(worst, Math.abs(lnF32(f[0]!) / Math.log(f[0]!) - 1));
    }
    expect(lnF32(1)).toBe(0);
    expect(worst).toBeLessThan(2e-7);
  });

  it('cos: absolute error < 2e-7 for every 24-bit angle', () => {
    let worst = 0;
    for (let m = 0; m < 1 << 24; m++) {
      worst = Math.max(worst, Math.abs(cos2piFromWord(m * 256 + (m & 255)) - Math.cos(2 * Math.PI * m * 2 ** -24)));
    }
    expect(worst).toBeLessThan(2e-7);
    expect(cos2piFromWord(0)).toBe(1);
    expect(cos2piFromWord(0x80000000)).toBe(-1);
  });
});

describe('randint', () => {
  it('is low + floor(w * (high - low) / 2^32), exactly', () => {
    const low = -(2 ** 30), high = 2 ** 30 - 12345;
    const out = fillRandint(8, 0, new Int32Array(500), low, high);
    const w = randomWords(8, 0, 500);
    for (let i = 0; i < 500; i++) {
      expect(out[i]).toBe(low + Number((BigInt(w[i]!) * BigInt(high - low)) >> 32n));
    }
  });

  it('stays in range and is roughly uniform', () => {
    const n = 1e5, lo = -3, hi = 7, k = hi - lo;
    const out = fillRandint(99, 0, new Int32Array(n), lo, hi);
    const counts = new Array(k).fill(0);
    let outside = 0;
    for (const v of out) {
      if (v < lo || v >= hi) outside++;
      else counts[v - lo]++;
    }
    expect(outside).toBe(0);
    const sd = Math.sqrt(n * (1 / k) * (1 - 1 / k));
    for (const c of counts) expect(Math.abs(c - n / k)).toBeLessThan(4 * sd);
  });

  it('accepts the extreme 2^31-wide range and rejects bad bounds', () => {
    const out = fillRandint(1, 0, new Int32Array(100), -(2 ** 31), 0);
    for (const v of out) expect(v >= -(2 ** 31) && v < 0).toBe(true);
    expect(() => fillRandint(1, 0, new Int32Array(1), 5, 5)).toThrow(RangeError);
    expect(() => fillRandint(1, 0, new Int32Array(1), -(2 ** 31), 2 ** 31)).toThrow(RangeError);
    expect(() => fillRandint(1, 0, new Int32Array(1), 0.5, 3)).toThrow(RangeError);
  });
});

describe('bernoulli', () => {
  it('rate within 4 sigma and matches the uniform comparison', () => {
    const n = 1e5, p = 0.3;
    const out = fillBernoulli(4, 0, new Uint8Array(n), p);
    const u = fillUniform(4, 0, new Float32Array(n));
    let ones = 0, mismatches = 0;
    for (let i = 0; i < n; i++) {
      ones += out[i]!;
      if (out[i] !== (u[i]! < Math.fround(p) ? 1 : 0)) mismatches++;
    }
    expect(mismatches).toBe(0);
    expect(Math.abs(ones - n * p)).toBeLessThan(4 * Math.sqrt(n * p * (1 - p)));
  });

  it('p = 0 and p = 1 are deterministic; p outside [0, 1] throws', () => {
    expect(fillBernoulli(1, 0, new Float32Array(1000), 0).every((v) => v === 0)).toBe(true);
    expect(fillBernoulli(1, 0, new Int32Array(1000), 1).every((v) => v === 1)).toBe(true);
    expect(() => fillBernoulli(1, 0, new Float32Array(1), 1.5)).toThrow(RangeError);
    expect(() => fillBernoulli(1, 0, new Float32Array(1), NaN)).toThrow(RangeError);
  });
});

describe('randperm', () => {
  it('is a permutation, deterministic, and seed-dependent', () => {
    const n = 1000;
    const p = randperm(3, 0, n);
    expect(Array.from(p).sort((a, b) => a - b)).toEqual(Array.from({ length: n }, (_, i) => i));
    expect(Array.from(randperm(3, 0, n))).toEqual(Array.from(p));
    expect(Array.from(randperm(4, 0, n))).not.toEqual(Array.from(p));
    expect(randperm(3, 0, 0).length).toBe(0);
  });

  it('orders by word, ties broken by index', () => {
    expect(Array.from(randpermFromWords(Uint32Array.from([5, 1, 5, 0, 1])))).toEqual([3, 1, 4, 0, 2]);
  });
});

describe('multinomial', () => {
  it('with replacement: frequencies within 4 sigma, zero-probability never drawn', () => {
    const probs = Float64Array.from([0.3, 0.6, 0, 2.1]); // unnormalised: p = .1 .2 0 .7
    const p = [0.1, 0.2, 0, 0.7];
    const n = 1e5;
    const out = multinomial(6, 0, probs, 1, 4, n, true);
    const counts = [0, 0, 0, 0];
    for (const v of out) counts[v]!++;
    expect(counts[2]).toBe(0);
    for (let k = 0; k < 4; k++) {
      expect(Math.abs(counts[k]! - n * p[k]!)).toBeLessThanOrEqual(4 * Math.sqrt(n * p[k]! * (1 - p[k]!)));
    }
  });

  it('with replacement: sample s of row r uses word r*numSamples + s', () => {
    const probs = Float32Array.from([1, 1, 1, 1, 0, 0, 0, 1]);
    const out = multinomial(10, 16, probs, 2, 4, 3, true);
    const w = randomWords(10, 16, 6);
    for (let j = 0; j < 3; j++) expect(out[j]).toBe(Math.floor((w[j]! / 2 ** 32) * 4));
    expect(Array.from(out.subarray(3))).toEqual([3, 3, 3]);
    expect(multinomialWordCount(2, 4, 3, true)).toBe(6);
  });

  it('without replacement: distinct samples with the right first and second-draw laws', () => {
    const p = [0.5, 0.3, 0.2, 0];
    const rows = 20000, cols = 4, k = 2;
    const probs = new Float64Array(rows * cols);
    for (let r = 0; r < rows; r++) probs.set(p, r * cols);
    const out = multinomial(12, 0, probs, rows, cols, k, false);
    const first = [0, 0, 0, 0], second = [0, 0, 0, 0];
    for (let r = 0; r < rows; r++) {
      const a = out[r * k]!, b = out[r * k + 1]!;
      expect(a).not.toBe(b);
      first[a]!++;
      second[b]!++;
    }
    // P(second = j) = sum_{i != j} p_i p_j / (1 - p_i)
    const q = p.map((pj, j) => p.reduce((s, pi, i) => (i === j ? s : s + (pi * pj) / (1 - pi)), 0));
    for (let j = 0; j < cols; j++) {
      expect(Math.abs(first[j]! - rows * p[j]!)).toBeLessThanOrEqual(4 * Math.sqrt(rows * p[j]! * (1 - p[j]!)));
      expect(Math.abs(second[j]! - rows * q[j]!)).toBeLessThanOrEqual(4 * Math.sqrt(rows * q[j]! * (1 - q[j]!)));
    }
    expect(multinomialWordCount(rows, cols, k, false)).toBe(rows * cols);
  });

  it('without replacement: drawing every category gives a permutation; too many throws', () => {
    const out = multinomial(1, 0, Float64Array.from([1, 2, 3, 4, 5]), 1, 5, 5, false);
    expect(Array.from(out).sort()).toEqual([0, 1, 2, 3, 4]);
    expect(() => multinomial(1, 0, Float64Array.from([1, 0, 3]), 1, 3, 3, false)).toThrow(RangeError);
    expect(() => multinomial(1, 0, Float64Array.from([0, 0]), 1, 2, 1, true)).toThrow(RangeError);
    expect(() => multinomial(1, 0, Float64Array.from([1, -1]), 1, 2, 1, true)).toThrow(RangeError);
  });
});

describe('determinism', () => {
  it('same seed and offset give identical arrays; a different seed does not', () => {
    const draw = (seed: number) => [
      Array.from(fillUniform(seed, 4, new Float32Array(300))),
      Array.from(fillNormal(seed, 4, new Float32Array(300))),
      Array.from(fillNormal(seed, 4, new Float64Array(300))),
      Array.from(fillRandint(seed, 4, new Int32Array(300), 0, 1000)),
      Array.from(fillBernoulli(seed, 4, new Uint8Array(300), 0.5)),
      Array.from(randperm(seed, 4, 300)),
      Array.from(multinomial(seed, 4, Float64Array.from([1, 2, 3]), 1, 3, 300, true)),
    ];
    expect(draw(31)).toEqual(draw(31));
    const a = draw(31), b = draw(32);
    for (let i = 0; i < a.length; i++) expect(a[i]).not.toEqual(b[i]);
  });
});

describe('Generator', () => {
  it('default generator starts at seed 0; manualSeed re-seeds and rewinds it', () => {
    const g = defaultGenerator();
    expect(g.seed).toBe(0);
    g.next(6);
    expect(manualSeed(5)).toBe(g);
    expect(g.getState()).toEqual({ seed: 5, offset: 0 });
    manualSeed(0);
  });

  it('next rounds up to whole blocks; state save/restore and clone', () => {
    const g = new Generator(2 ** 40);
    expect(g.next(0)).toBe(0);
    expect(g.next(1)).toBe(0);
    expect(g.next(4)).toBe(4);
    expect(g.next(9)).toBe(8);
    expect(g.offset).toBe(20);
    const s = g.getState();
    const c = g.clone();
    g.next(100);
    expect(c.getState()).toEqual(s);
    g.setState(s);
    expect(g.offset).toBe(20);
    expect(g.manualSeed(3).offset).toBe(0);
    expect(() => g.setState({ seed: 1, offset: 6 })).toThrow(RangeError);
    expect(() => g.next(-1)).toThrow(RangeError);
  });
});

describe('WGSL_RANDOM', () => {
  it('declares the shared entry points', () => {
    expect(WGSL_RANDOM).toContain('fn philox4x32(ctr: vec4<u32>, key: vec2<u32>) -> vec4<u32>');
    expect(WGSL_RANDOM).toContain('fn uniform_from_word(u: u32) -> f32');
    expect(WGSL_RANDOM).toContain('fn normal_from_words(w0: u32, w1: u32) -> f32');
    expect(WGSL_RANDOM).toContain('fn randint_from_word(w: u32, low: i32, span: u32) -> i32');
    expect(WGSL_RANDOM.split('{').length).toBe(WGSL_RANDOM.split('}').length);
  });

  it('every f32 literal is exactly representable (no silent rounding in the shader)', () => {
    const lits = WGSL_RANDOM.match(/-?\d+\.\d*(?:e-?\d+)?f\b|-?\d+e-?\d+f\b/g) ?? [];
    expect(lits.length).toBeGreaterThan(15);
    for (const l of lits) {
      const v = Number(l.slice(0, -1));
      expect(Math.fround(v)).toBe(v);
    }
  });
});
