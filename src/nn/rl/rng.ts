/**
 * A fast scalar random stream for code that runs in plain JS (environments, level generators,
 * samplers): the words of a pg.Generator (Philox4x32-10, counter-based), read 256 at a time.
 *
 * `new Rng(seed)` owns a fresh Generator; `new Rng(generator)` consumes words from the given one
 * (each refill reserves the next 256 words, so other draws from that generator stay reproducible).
 * The same seed gives the same numbers on every run and machine.
 */
import { Generator } from '../../autograd/random.js';
import { mulhi32, normalFromWords, randomWords } from '../../autograd/random.js';

const CHUNK = 256;
const TWO_M24 = 5.9604644775390625e-8; // 2^-24
const TWO_M32 = 2.3283064365386963e-10; // 2^-32

export class Rng {
  readonly generator: Generator;
  private buf: Uint32Array = new Uint32Array(0);
  private at = 0;

  constructor(seedOrGenerator: number | Generator = 0) {
    this.generator = typeof seedOrGenerator === 'number' ? new Generator(seedOrGenerator) : seedOrGenerator;
  }

  /** The next 32-bit word (an integer in [0, 2^32)). */
  uint32(): number {
    if (this.at === this.buf.length) {
      this.buf = randomWords(this.generator.seed, this.generator.next(CHUNK), CHUNK);
      this.at = 0;
    }
    return this.buf[this.at++]!;
  }

  /** A uniform float in [0, 1) from the word's top 24 bits (as pg.rand's float32 draws). */
  float(): number {
    return (this.uint32() >>> 8) * TWO_M24;
  }

  /** A uniform double in [0, 1) with 53 random bits (two words). */
  double(): number {
    const hi = this.uint32() >>> 5, lo = this.uint32() >>> 6; // 27 + 26 bits
    return (hi * 67108864 + lo) / 9007199254740992;
  }

  /** A uniform integer in [0, n), n in [1, 2^32): floor(word * n / 2^32), exact. */
  int(n: number): number {
    return mulhi32(this.uint32(), n);
  }

  /** True with probability p (compared at 32-bit resolution). */
  bernoulli(p: number): boolean {
    return this.uint32() * TWO_M32 < p;
  }

  /** A standard normal draw in portable float32 arithmetic (pg.randn's Box–Muller on two words). */
  normal(): number {
    return normalFromWords(this.uint32(), this.uint32());
  }

  /** Index k drawn with probability weights[k] / sum (weights non-negative, finite, positive sum). */
  choice(weights: ArrayLike<number>): number {
    let total = 0;
    for (let k = 0; k < weights.length; k++) {
      const w = weights[k]!;
      if (!(w >= 0) || w === Infinity) throw new Error(`Rng.choice: weights must be finite and >= 0, got ${w} at ${k}`);
      total += w;
    }
    if (!(total > 0)) throw new Error('Rng.choice: weights sum to 0');
    const t = this.double() * total;
    let acc = 0;
    let last = -1;
    for (let k = 0; k < weights.length; k++) {
      if (weights[k]! > 0) last = k;
      acc += weights[k]!;
      if (acc > t && weights[k]! > 0) return k;
    }
    return last; // rounding left t at the very top: the last positive weight
  }

  /** Fisher–Yates shuffle of a (copy of) 0..n-1, or of `into` in place. */
  permutation(n: number, into?: Int32Array): Int32Array {
    const p = into ?? new Int32Array(n);
    if (!into) for (let i = 0; i < n; i++) p[i] = i;
    for (let i = p.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      const t = p[i]!;
      p[i] = p[j]!;
      p[j] = t;
    }
    return p;
  }
}
