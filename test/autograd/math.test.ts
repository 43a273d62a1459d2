// The portable math library (src/autograd/math.ts): every float32 function within 1 ulp of a
// float64 reference over dense sweeps and random bit patterns, the special values, erf64 against
// known values, and the bits of 2/pi that the large-argument sin/cos reduction uses.
import { afterAll, describe, expect, it } from 'vitest';
import * as M from '../../src/autograd/math.js';
import * as pg from '../../src/index.js';

const fr = Math.fround;

/** |ours - ref| in float32 ulps of the reference (ulp of float32 at |ref|; subnormal spacing below). */
function ulpError(ours: number, ref: number): number {
  if (Number.isNaN(ref)) return Number.isNaN(ours) ? 0 : Infinity;
  const o = fr(ours);
  if (Math.abs(ref) >= 3.4028235677973366e38) return o === fr(ref) ? 0 : Infinity; // overflows to ±inf
  if (o === ref) return 0;
  const a = Math.abs(ref);
  const ulp = a < 1.1754943508222875e-38 ? 2 ** -149 : 2 ** (Math.floor(Math.log2(a)) - 23);
  return Math.abs(o - ref) / ulp;
}

const N = 1 << 15;
/** N float32 points over [lo, hi] (log-spaced when asked). */
function grid(lo: number, hi: number, log = false): Float32Array {
  const x = new Float32Array(N);
  for (let i = 0; i < N; i++) {
    const t = (i + 0.5) / N;
    x[i] = log ? Math.exp(Math.log(lo) + t * (Math.log(hi) - Math.log(lo))) : lo + t * (hi - lo);
  }
  return x;
}
/** N float32 values from random bit patterns (every exponent, NaN and infinities included). */
function randomBits(seed: number): Float32Array {
  const u = new Uint32Array(N);
  let s = seed >>> 0;
  for (let i = 0; i < N; i++) u[i] = s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
  return new Float32Array(u.buffer);
}

// [name, float32 function, float64 reference, sweeps]
const FNS: [string, (x: number) => number, (x: number) => number, Float32Array[]][] = [
  ['exp', M.exp32, Math.exp, [grid(-104, 89), grid(-1, 1), grid(-1e-5, 1e-5)]],
  ['expm1', M.expm1_32, Math.expm1, [grid(-20, 89), grid(-0.4, 0.4), grid(1e-12, 1e-3, true)]],
  ['log', M.log32, Math.log, [grid(1e-45, 3.4e38, true), grid(0.5, 2), grid(0.999, 1.001)]],
  ['log1p', M.log1p32, Math.log1p, [grid(-0.999, 10), grid(-0.3, 0.42), grid(1e-6, 1e30, true)]],
  ['tanh', M.tanh32, Math.tanh, [grid(-10, 10), grid(-0.6, 0.6), grid(1e-30, 1e-3, true)]],
  ['sigmoid', M.sigmoid32, (x) => (x >= 0 ? 1 / (1 + Math.exp(-x)) : Math.exp(x) / (1 + Math.exp(x))), [grid(-110, 30), grid(-5, 5)]],
  ['sin', M.sin32, Math.sin, [grid(-10, 10), grid(-2e6, 2e6), grid(1e6, 3.4e38, true)]],
  ['cos', M.cos32, Math.cos, [grid(-10, 10), grid(-2e6, 2e6), grid(1e6, 3.4e38, true)]],
  ['erf', M.erf32, M.erf64, [grid(-5, 5), grid(0.9, 4.1), grid(1e-30, 1e-3, true)]],
];

const measured: string[] = [];
afterAll(() => console.log(`math.ts, largest float32 error against float64 (ulp):\n  ${measured.join('\n  ')}`));

describe('portable float32 math: within 1 ulp of float64 references', () => {
  for (const [name, f, ref, sweeps] of FNS) {
    it(name, () => {
      let worst = 0, at = 0;
      for (const xs of [...sweeps, randomBits(name.length * 7919)]) {
        for (const x of xs) {
          const e = ulpError(f(x), ref(x));
          if (e > worst) { worst = e; at = x; }
        }
      }
      measured.push(`${name.padEnd(8)} ${worst.toFixed(3)} (at ${at})`);
      expect(worst, `${name}(${at})`).toBeLessThanOrEqual(1);
    });
  }

  it('special values: NaN, infinities, signed zeros, the edges of the ranges', () => {
    const same = (a: number, b: number) => expect(Object.is(fr(a), fr(b)), `${a} vs ${b}`).toBe(true);
    for (const f of [M.exp32, M.expm1_32, M.log32, M.log1p32, M.tanh32, M.sigmoid32, M.sin32, M.cos32, M.erf32]) same(f(NaN), NaN);
    same(M.exp32(Infinity), Infinity); same(M.exp32(-Infinity), 0); same(M.exp32(-0), 1); same(M.exp32(88.8), Infinity); same(M.exp32(-104), 0);
    same(M.expm1_32(-0), -0); same(M.expm1_32(-Infinity), -1); same(M.expm1_32(Infinity), Infinity);
    same(M.log32(0), -Infinity); same(M.log32(-0), -Infinity); same(M.log32(-1), NaN); same(M.log32(Infinity), Infinity); same(M.log32(1), 0);
    same(M.log1p32(-1), -Infinity); same(M.log1p32(-2), NaN); same(M.log1p32(-0), -0); same(M.log1p32(Infinity), Infinity);
    same(M.tanh32(-0), -0); same(M.tanh32(Infinity), 1); same(M.tanh32(-Infinity), -1);
    same(M.sigmoid32(Infinity), 1); same(M.sigmoid32(-Infinity), 0);
    same(M.sin32(-0), -0); same(M.sin32(Infinity), NaN); same(M.cos32(-Infinity), NaN);
    same(M.erf32(-0), -0); same(M.erf32(Infinity), 1); same(M.erf32(-Infinity), -1);
  });

  it('erf64 (float64, for float64 tensors) against known values', () => {
    // erf at 0.5, 1, 2, 3 to 17 digits (values of the error function, e.g. A&S table 7.1).
    const known: [number, number][] = [[0.5, 0.5204998778130465], [1, 0.8427007929497149], [2, 0.9953222650189527], [3, 0.9999779095030014], [1e-10, 1.1283791670955126e-10]];
    for (const [x, v] of known) {
      expect(Math.abs(M.erf64(x) - v) / v).toBeLessThan(4e-16);
      expect(M.erf64(-x)).toBe(-M.erf64(x));
    }
  });

  it('the bits of 2/pi (Machin, in BigInt) agree with Math.PI to its 53 bits', () => {
    const c = M.twoOverPiFixed(); // floor(2/pi 2^256)
    const top = Number(c >> 203n) / 2 ** 53; // 2/pi to 53 bits
    expect(Math.abs(top - 2 / Math.PI)).toBeLessThanOrEqual(2 ** -53); // both rounded to 53 bits
    expect(c.toString(16).length).toBe(64); // 2/pi = 0.a2f9836e... : 256 bits, no leading zero nibble
    expect(c.toString(16).slice(0, 16)).toBe('a2f9836e4e441529');
  });
});

describe('the CPU kernels use them for float32 and Math.* for float64', () => {
  it('float32 tensors give the library bits; float64 tensors give Math', () => {
    const xs = [-3.5, -0.7, 0.1, 0.9, 2.2, 17];
    const ops: [string, (x: number) => number, (x: number) => number][] = [
      ['exp', M.exp32, Math.exp], ['log', M.log32, Math.log], ['tanh', M.tanh32, Math.tanh], ['sin', M.sin32, Math.sin], ['erf', M.erf32, M.erf64],
    ];
    for (const [name, f32, f64] of ops) {
      const v = name === 'log' ? xs.map(Math.abs) : xs;
      const a = (pg.tensor(v) as any)[name]().dataSync() as Float32Array;
      const b = (pg.tensor(v, { dtype: 'float64' }) as any)[name]().dataSync() as Float64Array;
      v.forEach((x, i) => {
        expect(a[i], name).toBe(fr(f32(fr(x))));
        expect(b[i], name).toBe(f64(x));
      });
    }
  });
});
