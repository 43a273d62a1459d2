// Host-side random draws for the data generators. Every number comes from a pg.Generator through
// the core's seeded random ops (pg.rand / pg.randn / pg.randperm on the CPU, read back at once), so
// a generator's state fully determines a data set and the streams match the core's Philox streams.
import * as pg from '../../autograd/index.js';

export type Generator = pg.Generator;

/** The generator to use: the one given, else the process-wide default. */
export function genOf(g?: Generator): Generator {
  return g ?? pg.defaultGenerator();
}

/** n uniforms on [0, 1) as float64 (24 random bits each, as the core's uniform draws). */
export function uniforms(n: number, g: Generator): Float64Array {
  const t = pg.rand([n], { generator: g, dtype: 'float64', device: 'cpu' });
  const a = t.dataSync() as Float64Array;
  t.dispose();
  return a;
}

/** n standard normals as float64 (the core's float64 Box-Muller). */
export function normals(n: number, g: Generator): Float64Array {
  const t = pg.randn([n], { generator: g, dtype: 'float64', device: 'cpu' });
  const a = t.dataSync() as Float64Array;
  t.dispose();
  return a;
}

/** A random permutation of 0..n-1. */
export function permutation(n: number, g: Generator): Int32Array {
  const t = pg.randperm(n, { generator: g, device: 'cpu' });
  const a = t.dataSync() as Int32Array;
  t.dispose();
  return a;
}

/**
 * A sequential reader over blocks of uniforms and normals drawn from a generator, for samplers
 * that need a data-dependent number of draws (rejection). Deterministic: the blocks are drawn in
 * order, so the same generator state gives the same stream.
 */
export class DrawStream {
  private u: Float64Array = new Float64Array(0);
  private ui = 0;
  private z: Float64Array = new Float64Array(0);
  private zi = 0;
  constructor(private readonly g: Generator, private readonly block = 4096) {}
  uniform(): number {
    if (this.ui === this.u.length) {
      this.u = uniforms(this.block, this.g);
      this.ui = 0;
    }
    return this.u[this.ui++];
  }
  /** A uniform on (0, 1]: safe for logs and powers with negative exponents. */
  uniformPos(): number {
    return 1 - this.uniform();
  }
  normal(): number {
    if (this.zi === this.z.length) {
      this.z = normals(this.block, this.g);
      this.zi = 0;
    }
    return this.z[this.zi++];
  }
  /** Gamma(shape, 1): Marsaglia & Tsang (2000); shape < 1 through Gamma(shape + 1) * U^(1/shape). */
  gamma(shape: number): number {
    if (!(shape > 0)) throw new RangeError(`gamma: shape must be > 0, got ${shape}`);
    if (shape < 1) return this.gamma(shape + 1) * Math.pow(this.uniformPos(), 1 / shape);
    const d = shape - 1 / 3;
    const c = 1 / Math.sqrt(9 * d);
    for (;;) {
      const x = this.normal();
      const v0 = 1 + c * x;
      if (v0 <= 0) continue;
      const v = v0 * v0 * v0;
      const u = this.uniformPos();
      if (Math.log(u) < 0.5 * x * x + d - d * v + d * Math.log(v)) return d * v;
    }
  }
  /** A Dirichlet(alpha, ..., alpha) vector of length k, written into out[off..off+k). */
  dirichlet(k: number, alpha: number, out: Float64Array, off = 0): void {
    let s = 0;
    for (let i = 0; i < k; i++) s += out[off + i] = this.gamma(alpha);
    if (s === 0) {
      // Every draw underflowed (tiny alpha): put the mass on one uniformly chosen entry.
      const j = Math.min(k - 1, Math.floor(this.uniform() * k));
      out[off + j] = 1;
      return;
    }
    for (let i = 0; i < k; i++) out[off + i] /= s;
  }
}

/** Index of the first cumulative weight above u * total (inverse-CDF sampling). */
export function sampleIndex(weights: ArrayLike<number>, off: number, k: number, u: number): number {
  let total = 0;
  for (let i = 0; i < k; i++) total += weights[off + i];
  const t = u * total;
  let acc = 0;
  for (let i = 0; i < k; i++) {
    acc += weights[off + i];
    if (acc > t) return i;
  }
  // Rounding: fall back to the last entry with positive weight.
  for (let i = k - 1; i >= 0; i--) if (weights[off + i] > 0) return i;
  return k - 1;
}
