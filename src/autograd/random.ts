// Counter-based random numbers (Philox4x32-10) shared by the CPU and WebGPU backends.
//
// Why counter-based: a random word is a pure function of (seed, word index), so any GPU
// thread can compute its own block without shared state, and the CPU and the GPU produce
// the same stream. The exact algorithm is specified in docs/random.md; the golden values
// in test/autograd/random.test.ts pin it down. Changing anything here changes every
// seeded result in the project, so treat the numbers below as a file format.
import type { DType } from './dtype.js';

// ---------------------------------------------------------------------------------------
// Philox4x32-10
// ---------------------------------------------------------------------------------------

const PHILOX_M0 = 0xd2511f53;
const PHILOX_M1 = 0xcd9e8d57;
const PHILOX_W0 = 0x9e3779b9;
const PHILOX_W1 = 0xbb67ae85;

/**
 * High 32 bits of the exact 64-bit product of two u32 values.
 * Doubles cannot hold a 64-bit product, and WGSL has no u64, so both backends split the
 * operands into 16-bit halves; every partial product then fits in 32 bits exactly.
 */
export function mulhi32(a: number, b: number): number {
  const aL = a & 0xffff, aH = a >>> 16;
  const bL = b & 0xffff, bH = b >>> 16;
  const ll = aL * bL, lh = aL * bH, hl = aH * bL, hh = aH * bH; // each < 2^32: exact
  // Carry out of bits 16..31: the low word's high half plus the low halves of the cross terms.
  const mid = (ll >>> 16) + (lh & 0xffff) + (hl & 0xffff);
  return (hh + (lh >>> 16) + (hl >>> 16) + (mid >>> 16)) >>> 0;
}

/**
 * Philox4x32 with 10 rounds (Salmon et al., SC'11), bit-compatible with Random123's
 * philox4x32_R(10, ctr, key). Writes the four output words to out[outIdx..outIdx+3].
 */
export function philox4x32(
  c0: number, c1: number, c2: number, c3: number,
  k0: number, k1: number,
  out: Uint32Array | number[], outIdx = 0,
): void {
  c0 >>>= 0; c1 >>>= 0; c2 >>>= 0; c3 >>>= 0; k0 >>>= 0; k1 >>>= 0;
  for (let round = 0; round < 10; round++) {
    if (round > 0) {
      // The key schedule is bumped between rounds, not before the first one.
      k0 = (k0 + PHILOX_W0) >>> 0;
      k1 = (k1 + PHILOX_W1) >>> 0;
    }
    const hi0 = mulhi32(PHILOX_M0, c0), lo0 = Math.imul(PHILOX_M0, c0) >>> 0;
    const hi1 = mulhi32(PHILOX_M1, c2), lo1 = Math.imul(PHILOX_M1, c2) >>> 0;
    const n0 = (hi1 ^ c1 ^ k0) >>> 0;
    const n2 = (hi0 ^ c3 ^ k1) >>> 0;
    c0 = n0; c1 = lo1; c2 = n2; c3 = lo0;
  }
  out[outIdx] = c0; out[outIdx + 1] = c1; out[outIdx + 2] = c2; out[outIdx + 3] = c3;
}

// ---------------------------------------------------------------------------------------
// The word stream
// ---------------------------------------------------------------------------------------

const TWO_32 = 4294967296;

function checkSeed(seed: number, who: string): void {
  if (!Number.isSafeInteger(seed) || seed < 0) {
    throw new RangeError(`${who}: seed must be an integer in [0, 2^53), got ${seed}`);
  }
}

function checkCount(n: number, what: string, who: string): void {
  if (!Number.isSafeInteger(n) || n < 0) {
    throw new RangeError(`${who}: ${what} must be a non-negative integer, got ${n}`);
  }
}

function checkRange(seed: number, offset: number, nWords: number, who: string): void {
  checkSeed(seed, who);
  checkCount(offset, 'offset', who);
  checkCount(nWords, 'word count', who);
  if (offset + nWords > Number.MAX_SAFE_INTEGER) {
    throw new RangeError(`${who}: offset + words exceeds 2^53`);
  }
}

/**
 * Sequential reader of the stream (seed, offset, offset+1, ...). Word g is lane g % 4 of
 * philox4x32(block g/4 as (lo, hi, 0, 0), key (seed lo, seed hi)); caching one block
 * means each Philox call serves four words.
 */
class WordStream {
  private readonly k0: number;
  private readonly k1: number;
  private block: number;
  private lane: number;
  private readonly buf = new Uint32Array(4);

  constructor(seed: number, offset: number) {
    this.k0 = seed >>> 0;
    this.k1 = Math.floor(seed / TWO_32) >>> 0;
    this.block = Math.floor(offset / 4);
    this.lane = offset % 4;
    this.fill();
  }

  private fill(): void {
    philox4x32(this.block >>> 0, Math.floor(this.block / TWO_32), 0, 0, this.k0, this.k1, this.buf, 0);
  }

  next(): number {
    if (this.lane === 4) {
      this.block++;
      this.lane = 0;
      this.fill();
    }
    return this.buf[this.lane++]!;
  }
}

/** Words offset .. offset+n-1 of the stream for `seed`. */
export function randomWords(seed: number, offset: number, n: number): Uint32Array {
  checkRange(seed, offset, n, 'randomWords');
  const out = new Uint32Array(n);
  if (n === 0) return out;
  const s = new WordStream(seed, offset);
  for (let i = 0; i < n; i++) out[i] = s.next();
  return out;
}

// ---------------------------------------------------------------------------------------
// Portable float32 building blocks (mirrored line by line in WGSL_RANDOM)
// ---------------------------------------------------------------------------------------

const fround = Math.fround;
const TWO_M24 = 5.9604644775390625e-8; // 2^-24

/** Top 24 bits of the word as a float in [0, 1); exact in float32. */
export function uniformFromWord(u: number): number {
  return (u >>> 8) * TWO_M24;
}

/** low + floor(w * range / 2^32) computed exactly; range = high - low in [1, 2^31]. */
export function randintFromWord(w: number, low: number, range: number): number {
  return low + mulhi32(w, range);
}

// Polynomial coefficients below were fitted for this file (weighted minimax by Lawson
// iteration in float64, then rounded to float32); the fit errors are ~6e-9 relative for
// ln and ~1e-9 absolute for cos/sin, far below float32 rounding, so what remains is the
// rounding of the f32 evaluation itself (see the accuracy tests).

// ln(1+f) = f - f^2/2 + f^3 * P(f), f in [sqrt(1/2)-1, sqrt(2)-1]; P has degree 7.
const LN_P = [
  0.3333333134651184, -0.2500081956386566, 0.20001226663589478, -0.16623356938362122,
  0.14201757311820984, -0.13160182535648346, 0.1276157647371292, -0.07634496688842773,
].map(fround);
// ln 2 split so that e * LN2_HI is exact for any float32 exponent e (LN2_HI has 9 bits).
const LN2_HI = 0.693359375;
const LN2_LO = fround(-0.00021219444170128554);
// cos(2*pi*r) = 1 + s*C(s) and sin(2*pi*r) = r*S(s), s = r^2, |r| <= 1/8; C, S degree 3.
const COS_C = [-19.739208221435547, 64.93932342529297, -85.44374084472656, 59.24596405029297].map(fround);
const SIN_S = [6.283185005187988, -41.34162902832031, 81.58812713623047, -75.24006652832031].map(fround);

// Shared view for float32 <-> bit pattern conversions (WGSL: bitcast).
const F32_VIEW = new Float32Array(1);
const U32_VIEW = new Uint32Array(F32_VIEW.buffer);

/**
 * Natural log in portable float32: only f32-rounded + - * and bit manipulation, so a WGSL
 * shader executing the same operations gets the same bits (up to FMA contraction).
 * Domain: positive normal float32 values. Relative error < 2e-7 on (0, 1] (tested).
 */
export function lnF32(x: number): number {
  F32_VIEW[0] = x;
  const bits = U32_VIEW[0]!;
  let e = (bits >>> 23) - 127;
  const mant = bits & 0x7fffff;
  // Keep the mantissa in [sqrt(1/2), sqrt(2)) so that f = m - 1 is small on both sides
  // of zero; 0x3504f3 is the mantissa field of float32(sqrt(2)).
  if (mant > 0x3504f3) {
    U32_VIEW[0] = mant | 0x3f000000; // m / 2, in (0.707, 1)
    e += 1;
  } else {
    U32_VIEW[0] = mant | 0x3f800000; // m, in [1, 1.414]
  }
  const f = fround(F32_VIEW[0]! - 1); // exact (Sterbenz)
  const z = fround(f * f);
  let p = LN_P[7]!;
  for (let k = 6; k >= 0; k--) p = fround(fround(p * f) + LN_P[k]!);
  // Add the terms smallest first and f last: f itself is exact, so the final result
  // carries little more than its own rounding.
  let y = fround(fround(f * z) * p);
  y = fround(y + fround(e * LN2_LO));
  y = fround(y - fround(0.5 * z));
  const r = fround(f + y);
  return fround(r + fround(e * LN2_HI));
}

/**
 * cos(2*pi*u) for u = (w >>> 8) * 2^-24, in portable float32. The argument reduction is
 * done on the 24-bit integer, so it is exact: u = q/4 + r with |r| <= 1/8.
 * Absolute error < 2e-7 (tested).
 */
export function cos2piFromWord(w: number): number {
  const m = w >>> 8;
  const q = (m + 0x200000) >>> 22; // round(m / 2^22), 0..4
  const r = (m - q * 0x400000) * TWO_M24; // exact, in [-1/8, 1/8)
  const s = fround(r * r);
  let c = COS_C[3]!;
  c = fround(fround(c * s) + COS_C[2]!);
  c = fround(fround(c * s) + COS_C[1]!);
  c = fround(fround(c * s) + COS_C[0]!);
  c = fround(1 + fround(s * c));
  let sn = SIN_S[3]!;
  sn = fround(fround(sn * s) + SIN_S[2]!);
  sn = fround(fround(sn * s) + SIN_S[1]!);
  sn = fround(fround(sn * s) + SIN_S[0]!);
  sn = fround(r * sn);
  switch (q & 3) {
    case 0: return c;
    case 1: return -sn;
    case 2: return -c;
    default: return sn;
  }
}

/** Standard normal in portable float32 via Box-Muller from two words. */
export function normalFromWords(w0: number, w1: number): number {
  const u1 = ((w0 >>> 8) + 1) * TWO_M24; // (0, 1]: never log(0)
  const t = fround(-2 * lnF32(u1)); // exact scaling by -2
  const radius = fround(Math.sqrt(t)); // correctly rounded
  return fround(radius * cos2piFromWord(w1));
}

/** The same normal in float64 (CPU only): full double precision from the same bits. */
export function normalFromWordsF64(w0: number, w1: number): number {
  const u1 = ((w0 >>> 8) + 1) * TWO_M24;
  const u2 = (w1 >>> 8) * TWO_M24;
  return Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
}

/** A draw a backend computes itself (Backend.random): the same (seed, offset, i) -> value rule as the fills below. */
export interface RandomRequest {
  kind: 'uniform' | 'normal' | 'randint' | 'bernoulli';
  dtype: DType;
  n: number;
  seed: number;
  /** Word offset of element 0 (a multiple of 4, as Generator.next returns). */
  offset: number;
  /** uniform: low and high; normal: mean and std; randint: low and high; bernoulli: p. */
  a: number;
  b: number;
}

// ---------------------------------------------------------------------------------------
// Distributions: pure functions of (seed, offset, n). Each documents how many words it
// consumes; reserve that many with Generator.next before calling.
// ---------------------------------------------------------------------------------------

/** Uniform on [low, high). Consumes out.length words. Returns out. */
export function fillUniform<T extends Float32Array | Float64Array>(
  seed: number, offset: number, out: T, low = 0, high = 1,
): T {
  const n = out.length;
  checkRange(seed, offset, n, 'fillUniform');
  if (n === 0) return out;
  const s = new WordStream(seed, offset);
  if (out instanceof Float32Array) {
    // Same f32 ops as the shader: range first, then the product, then the sum.
    const lo = fround(low), range = fround(fround(high) - lo);
    for (let i = 0; i < n; i++) out[i] = fround(lo + fround(range * uniformFromWord(s.next())));
  } else {
    const range = high - low;
    for (let i = 0; i < n; i++) out[i] = low + range * uniformFromWord(s.next());
  }
  return out;
}

/** Normal(mean, std). Element i uses words 2i and 2i+1: consumes 2*out.length words. */
export function fillNormal<T extends Float32Array | Float64Array>(
  seed: number, offset: number, out: T, mean = 0, std = 1,
): T {
  const n = out.length;
  checkRange(seed, offset, 2 * n, 'fillNormal');
  if (n === 0) return out;
  const s = new WordStream(seed, offset);
  if (out instanceof Float32Array) {
    const m = fround(mean), sd = fround(std);
    for (let i = 0; i < n; i++) {
      const w0 = s.next(), w1 = s.next();
      out[i] = fround(m + fround(sd * normalFromWords(w0, w1)));
    }
  } else {
    for (let i = 0; i < n; i++) {
      const w0 = s.next(), w1 = s.next();
      out[i] = mean + std * normalFromWordsF64(w0, w1);
    }
  }
  return out;
}

/**
 * Integers uniform on [low, high): out[i] = low + mulhi32(w_i, high - low), which equals
 * low + floor(w_i * (high - low) / 2^32) exactly. Each value has probability within
 * 2^-32 of 1/(high-low). Consumes out.length words.
 */
export function fillRandint(seed: number, offset: number, out: Int32Array, low: number, high: number): Int32Array {
  const n = out.length;
  checkRange(seed, offset, n, 'fillRandint');
  if (!Number.isInteger(low) || !Number.isInteger(high) || low < -2147483648 || high > 2147483648 || high <= low) {
    throw new RangeError(`fillRandint: need integers -2^31 <= low < high <= 2^31, got [${low}, ${high})`);
  }
  const range = high - low;
  if (range > 2147483648) throw new RangeError(`fillRandint: high - low must be <= 2^31, got ${range}`);
  if (n === 0) return out;
  const s = new WordStream(seed, offset);
  for (let i = 0; i < n; i++) out[i] = low + mulhi32(s.next(), range);
  return out;
}

/** out[i] = 1 if uniformFromWord(w_i) < float32(p) else 0. Consumes out.length words. */
export function fillBernoulli<T extends Float32Array | Float64Array | Int32Array | Uint8Array>(
  seed: number, offset: number, out: T, p: number,
): T {
  const n = out.length;
  checkRange(seed, offset, n, 'fillBernoulli');
  if (!(p >= 0 && p <= 1)) throw new RangeError(`fillBernoulli: p must be in [0, 1], got ${p}`);
  if (n === 0) return out;
  const pf = fround(p);
  const s = new WordStream(seed, offset);
  for (let i = 0; i < n; i++) out[i] = uniformFromWord(s.next()) < pf ? 1 : 0;
  return out;
}

/**
 * Sorts 0..n-1 by (words[i], i). With distinct keys this is a uniformly random
 * permutation; the index tie-break keeps it deterministic when two words collide.
 */
export function randpermFromWords(words: Uint32Array): Int32Array {
  const n = words.length;
  const idx = new Int32Array(n);
  for (let i = 0; i < n; i++) idx[i] = i;
  idx.sort((a, b) => (words[a]! - words[b]!) || (a - b));
  return idx;
}

/** A seeded permutation of 0..n-1. Consumes n words. */
export function randperm(seed: number, offset: number, n: number): Int32Array {
  if (!Number.isSafeInteger(n) || n < 0 || n > 2147483647) {
    throw new RangeError(`randperm: n must be an integer in [0, 2^31), got ${n}`);
  }
  return randpermFromWords(randomWords(seed, offset, n));
}

/** Words consumed by multinomial(): rows*numSamples with replacement, rows*cols without. */
export function multinomialWordCount(rows: number, cols: number, numSamples: number, replacement: boolean): number {
  return rows * (replacement ? numSamples : cols);
}

/**
 * Draws numSamples category indices per row of the row-major rows x cols matrix `probs`
 * (non-negative, finite, each row with a positive sum; rows need not be normalised).
 * Result is rows x numSamples, row-major.
 *
 * With replacement: sample s of row r uses word g = r*numSamples + s; with
 * t = (w_g / 2^32) * rowSum (float64), the sample is the first k whose float64 running
 * sum of probs exceeds t (inverse CDF; zero-probability categories are never chosen).
 *
 * Without replacement: row r uses words r*cols + k, one per category k. Each category
 * with p_k > 0 gets the key -ln((w + 1) / 2^32) / p_k (an exponential "race", equivalent
 * to Gumbel-top-k and to sequential renormalised sampling); the sample is the categories
 * sorted by (key, k) ascending, first numSamples. Uses Math.log in float64: CPU-only.
 */
export function multinomial(
  seed: number, offset: number, probs: Float64Array | Float32Array,
  rows: number, cols: number, numSamples: number, replacement: boolean,
): Int32Array {
  checkCount(rows, 'rows', 'multinomial');
  checkCount(cols, 'cols', 'multinomial');
  checkCount(numSamples, 'numSamples', 'multinomial');
  if (probs.length !== rows * cols) {
    throw new RangeError(`multinomial: probs has ${probs.length} elements, expected ${rows}x${cols}`);
  }
  if (cols === 0 && rows > 0) throw new RangeError('multinomial: need at least one category');
  checkRange(seed, offset, multinomialWordCount(rows, cols, numSamples, replacement), 'multinomial');
  const out = new Int32Array(rows * numSamples);
  if (rows * numSamples === 0) return out;
  for (let r = 0; r < rows; r++) {
    let positive = 0;
    for (let k = 0; k < cols; k++) {
      const p = probs[r * cols + k]!;
      if (!(p >= 0) || p === Infinity) {
        throw new RangeError(`multinomial: probabilities must be finite and >= 0 (row ${r} has ${p})`);
      }
      if (p > 0) positive++;
    }
    if (positive === 0) throw new RangeError(`multinomial: row ${r} has no positive probability`);
    if (!replacement && numSamples > positive) {
      throw new RangeError(
        `multinomial: cannot draw ${numSamples} samples without replacement from ${positive} non-zero categories (row ${r})`);
    }
  }

  if (replacement) {
    const cdf = new Float64Array(cols);
    const s = new WordStream(seed, offset);
    for (let r = 0; r < rows; r++) {
      let acc = 0;
      for (let k = 0; k < cols; k++) { acc += probs[r * cols + k]!; cdf[k] = acc; }
      for (let j = 0; j < numSamples; j++) {
        const t = (s.next() / TWO_32) * acc; // < acc: the word is < 2^32
        // Binary search for the first k with cdf[k] > t.
        let lo = 0, hi = cols - 1;
        while (lo < hi) {
          const mid = (lo + hi) >>> 1;
          if (cdf[mid]! > t) hi = mid; else lo = mid + 1;
        }
        out[r * numSamples + j] = lo;
      }
    }
  } else {
    const keys = new Float64Array(cols);
    const order: number[] = [];
    const s = new WordStream(seed, offset);
    for (let r = 0; r < rows; r++) {
      order.length = 0;
      for (let k = 0; k < cols; k++) {
        const w = s.next(); // consumed even for p = 0, so row r always starts at r*cols
        const p = probs[r * cols + k]!;
        if (p > 0) {
          keys[k] = -Math.log((w + 1) / TWO_32) / p;
          order.push(k);
        }
      }
      order.sort((a, b) => (keys[a]! - keys[b]!) || (a - b));
      for (let j = 0; j < numSamples; j++) out[r * numSamples + j] = order[j]!;
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------
// Generator state
// ---------------------------------------------------------------------------------------

/** A seed plus a word offset. Offsets always stay multiples of 4 (block boundaries). */
export class Generator {
  seed: number;
  offset: number;

  constructor(seed: number = 0) {
    checkSeed(seed, 'Generator');
    this.seed = seed;
    this.offset = 0;
  }

  /** Re-seeds and rewinds to offset 0. */
  manualSeed(seed: number): this {
    checkSeed(seed, 'Generator.manualSeed');
    this.seed = seed;
    this.offset = 0;
    return this;
  }

  /**
   * Reserves nWords words and returns the starting offset. The offset advances by nWords
   * rounded up to a multiple of 4, so the next draw starts on a fresh Philox block and a
   * GPU thread can compute any block on its own.
   */
  next(nWords: number): number {
    checkCount(nWords, 'nWords', 'Generator.next');
    const start = this.offset;
    const advance = Math.ceil(nWords / 4) * 4;
    if (start + advance > Number.MAX_SAFE_INTEGER) throw new RangeError('Generator.next: offset exceeds 2^53');
    this.offset = start + advance;
    return start;
  }

  getState(): { seed: number; offset: number } {
    return { seed: this.seed, offset: this.offset };
  }

  setState(s: { seed: number; offset: number }): void {
    checkSeed(s.seed, 'Generator.setState');
    checkCount(s.offset, 'offset', 'Generator.setState');
    if (s.offset % 4 !== 0) throw new RangeError(`Generator.setState: offset must be a multiple of 4, got ${s.offset}`);
    this.seed = s.seed;
    this.offset = s.offset;
  }

  clone(): Generator {
    const g = new Generator(this.seed);
    g.offset = this.offset;
    return g;
  }
}

const DEFAULT_GENERATOR = new Generator(0);

/** The process-wide generator used when no generator is passed. Initial seed 0. */
export function defaultGenerator(): Generator {
  return DEFAULT_GENERATOR;
}

/** Re-seeds the default generator (offset back to 0) and returns it. */
export function manualSeed(seed: number): Generator {
  return DEFAULT_GENERATOR.manualSeed(seed);
}

// ---------------------------------------------------------------------------------------
// WGSL
// ---------------------------------------------------------------------------------------

/** A float32 value as a WGSL f32 literal that parses back to exactly the same value. */
function f32lit(x: number): string {
  const s = String(fround(x));
  return (/[.e]/.test(s) ? s : s + '.0') + 'f';
}

/**
 * WGSL implementing exactly the algorithms above: philox4x32, uniform_from_word,
 * normal_from_words (same f32 operation sequence as normalFromWords), and
 * randint_from_word. Helpers and constants are prefixed rng_/RNG_ to avoid clashes when
 * this is pasted into a larger shader. Built from the same coefficient arrays as the
 * TypeScript so the two cannot drift apart.
 */
export const WGSL_RANDOM = /* wgsl */ `
// ---- papergrad random (Philox4x32-10); see docs/random.md ----
const RNG_LN2_HI: f32 = ${f32lit(LN2_HI)};
const RNG_LN2_LO: f32 = ${f32lit(LN2_LO)};
const RNG_TWO_M24: f32 = ${f32lit(TWO_M24)};

// High word of the 64-bit product, from 16-bit halves (WGSL has no u64).
fn rng_mulhi32(a: u32, b: u32) -> u32 {
  let aL = a & 0xffffu;
  let aH = a >> 16u;
  let bL = b & 0xffffu;
  let bH = b >> 16u;
  let ll = aL * bL;
  let lh = aL * bH;
  let hl = aH * bL;
  let hh = aH * bH;
  let mid = (ll >> 16u) + (lh & 0xffffu) + (hl & 0xffffu);
  return hh + (lh >> 16u) + (hl >> 16u) + (mid >> 16u);
}

fn philox4x32(ctr: vec4<u32>, key: vec2<u32>) -> vec4<u32> {
  var c = ctr;
  var k = key;
  for (var i = 0u; i < 10u; i = i + 1u) {
    if (i > 0u) {
      k = k + vec2<u32>(${PHILOX_W0 >>> 0}u, ${PHILOX_W1 >>> 0}u);
    }
    let hi0 = rng_mulhi32(${PHILOX_M0 >>> 0}u, c.x);
    let lo0 = ${PHILOX_M0 >>> 0}u * c.x;
    let hi1 = rng_mulhi32(${PHILOX_M1 >>> 0}u, c.z);
    let lo1 = ${PHILOX_M1 >>> 0}u * c.z;
    c = vec4<u32>(hi1 ^ c.y ^ k.x, lo1, hi0 ^ c.w ^ k.y, lo0);
  }
  return c;
}

// Word g of the stream for key (seed lo, seed hi): lane g % 4 of
// philox4x32(vec4<u32>(block lo, block hi, 0u, 0u), key) with block = g / 4.

fn uniform_from_word(u: u32) -> f32 {
  return f32(u >> 8u) * RNG_TWO_M24;
}

// low + floor(w * span / 2^32), exact; span = high - low in [1, 2^31].
fn randint_from_word(w: u32, low: i32, span: u32) -> i32 {
  return low + i32(rng_mulhi32(w, span));
}

// ln(x) for positive normal x, same f32 operation sequence as lnF32 in random.ts.
fn rng_ln(x: f32) -> f32 {
  let bits = bitcast<u32>(x);
  var e = i32(bits >> 23u) - 127;
  let mant = bits & 0x7fffffu;
  var mbits = mant | 0x3f800000u;
  if (mant > 0x3504f3u) {
    mbits = mant | 0x3f000000u;
    e = e + 1;
  }
  let f = bitcast<f32>(mbits) - 1.0f;
  let z = f * f;
  var p: f32 = ${f32lit(LN_P[7]!)};
${[6, 5, 4, 3, 2, 1, 0].map((k) => `  p = p * f + ${f32lit(LN_P[k]!)};`).join('\n')}
  let ef = f32(e);
  var y = (f * z) * p;
  y = y + ef * RNG_LN2_LO;
  y = y - 0.5f * z;
  let r = f + y;
  return r + ef * RNG_LN2_HI;
}

// cos(2*pi*u) for u = (w >> 8) * 2^-24, same sequence as cos2piFromWord in random.ts.
fn rng_cos_2pi_word(w: u32) -> f32 {
  let m = w >> 8u;
  let q = (m + 0x200000u) >> 22u;
  let r = f32(i32(m) - i32(q << 22u)) * RNG_TWO_M24;
  let s = r * r;
  var c: f32 = ${f32lit(COS_C[3]!)};
  c = c * s + ${f32lit(COS_C[2]!)};
  c = c * s + ${f32lit(COS_C[1]!)};
  c = c * s + ${f32lit(COS_C[0]!)};
  c = 1.0f + s * c;
  var sn: f32 = ${f32lit(SIN_S[3]!)};
  sn = sn * s + ${f32lit(SIN_S[2]!)};
  sn = sn * s + ${f32lit(SIN_S[1]!)};
  sn = sn * s + ${f32lit(SIN_S[0]!)};
  sn = r * sn;
  switch (q & 3u) {
    case 0u: { return c; }
    case 1u: { return -sn; }
    case 2u: { return -c; }
    default: { return sn; }
  }
}

// Box-Muller; element i of a normal draw uses words 2i and 2i+1.
fn normal_from_words(w0: u32, w1: u32) -> f32 {
  let u1 = f32((w0 >> 8u) + 1u) * RNG_TWO_M24;
  let radius = sqrt(-2.0f * rng_ln(u1));
  return radius * rng_cos_2pi_word(w1);
}
`;
