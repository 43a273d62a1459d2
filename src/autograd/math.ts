// The portable math library: exp, expm1, log, log1p, tanh, sigmoid, sin, cos and erf for
// float32 results, written once, with only IEEE-754 double + - * /, the exact Math.abs/min/max/
// sign, integer bit operations (and BigInt for sin/cos beyond 2^20).
//
// Why: JavaScript's Math.exp & co. are "implementation-approximated" (ECMA-262), and engines
// differ in the last bit. Code built from + - * / alone gives the same bits in every engine
// (V8, SpiderMonkey, JavaScriptCore, QuickJS; none fuses a * b + c; test/autograd/quickjs.test.ts
// compares QuickJS with V8), and a WebAssembly kernel doing the same f64 operations in the same
// order gets the same bits as well.
//
// How: each function reduces its argument exactly (or to far beyond float32 precision), then
// evaluates a polynomial in double precision, and its caller rounds once when it stores into a
// Float32Array. The polynomials are the WebGPU float32 library's (webgpu/math.ts builds its WGSL
// from the coefficient tables below); evaluated in double they err by < 2^-28 relative, so the
// float32 result is the correctly rounded one or its neighbour: within 1 ulp of the exact value
// (measured <= 0.61 ulp; test/autograd/math.test.ts sweeps every function against float64
// references). Double precision also allows simpler forms than float32 code can use: tanh is
// E / (E + 2) with E = expm1(2|x|) and sigmoid is 1 / (1 + e^-x) for both signs, without branches.
//
// Inputs are float32 values (any double works; accuracy is float32's). The results are doubles
// carrying float32 accuracy: use them for float32 outputs, never for float64 tensors, whose
// kernels use Math.* (docs/engine.md, "The same bits in every JavaScript engine").

// ---------------------------------------------------------------- coefficient tables
// Fitted for papergrad (weighted minimax by Lawson iteration in float64 against 40-digit
// references, coefficients rounded to float32); shared with the WGSL library.

/** e^r = 1 + r + r^2 Q(r) on |r| <= ln(2)/2. */
export const EXP_Q = [0.5, 0.1666666716337204, 0.04166645556688309, 0.00833328440785408, 0.0013934543821960688, 0.00019908908871002495];
/** ln(1+f) = f - f^2/2 + f^3 P(f) on [sqrt(1/2)-1, sqrt(2)-1]. */
export const LOG_P = [0.3333333134651184, -0.2500082552433014, 0.20001235604286194, -0.1662314385175705, 0.14201368391513824, -0.13162003457546234, 0.1276542842388153, -0.07634387165307999];
/** sin(r) = r + r^3 S(r^2) on |r| <= pi/4. */
export const SIN_S = [-0.1666666716337204, 0.008333329111337662, -0.00019839232845697552, 2.717366669457988e-06];
/** cos(r) = 1 - r^2/2 + r^4 C(r^2) on |r| <= pi/4. */
export const COS_C = [0.0416666679084301, -0.0013888883404433727, 2.4799372113193385e-05, -2.7198629481972603e-07];
/** tanh(x) = x + x^3 T(x^2) on |x| <= 0.5625 (WGSL; the CPU's tanh32 needs no polynomial of its own). */
export const TANH_T = [-0.3333333134651184, 0.13333284854888916, -0.05395812913775444, 0.02177189290523529, -0.008378591388463974, 0.002353596966713667];
/**
 * erf(a) = a + a P(a^2) on [0, 1) (P[0] = 2/sqrt(pi) - 1: the leading term a stays exact) and
 * 1 - e^(-a^2) R(a - 1) on [1, 3.92), where erf rounds to 1 in float32 above (scripts/fit-erf.py).
 */
export const ERF_P = [0.12837916572668995, -0.3761262582409235, 0.11283585147021813, -0.026853811868760374, 0.005188327559384989, -0.0008010192515532921, 7.853857689739396e-05];
export const ERF_R = [0.4275835695999078, -0.27321107637521647, 0.15435055384544205, -0.07905334059222013, 0.036874972128780416, -0.01511014466744502, 0.004911279152158846, -0.0010570544116953054, 0.00010684303037395738];

/** Cody-Waite splits (used by the float32 WGSL code, where k * HI must be exact in float32). */
export const LN2_HI = 0.693359375;
export const LN2_LO = -0.00021219444170128554;
/** pi/2 = P1 + P2 + P3 + P4, P1..P3 of 11 bits each (WGSL). */
export const PIO2_F32 = [1.5703125, 0.0004837512969970703, 7.549533620476723e-8, 2.5633440682570896e-12];

// ---------------------------------------------------------------- the functions
// One scratch double viewed as two int32 words: the high word holds the sign, the exponent and
// the top 20 mantissa bits. Which index is the high word depends on the platform's byte order.
const F64 = new Float64Array(1);
const I32 = new Int32Array(F64.buffer);
const HI = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1 ? 1 : 0;

/** 2^k for k in [-1074, 1023], exact: POW2[k + 1074]. */
const POW2 = new Float64Array(2098);
for (let k = -1074, v = 2 ** -1074; k <= 1023; k++, v *= 2) POW2[k + 1074] = v;

/** The high 32 bits of a double (as a signed int32). */
function highWord(x: number): number {
  F64[0] = x;
  return I32[HI];
}

// The functions are built by one call of `library`, which receives the tables as (destructured)
// parameters: V8 reads a closure's parameters as plain values, while each use of a module-level
// constant costs a check that it was initialised (measured ~30% of exp32).
//
// Polynomials are evaluated in Estrin's scheme (pairs, then powers of r^2) rather than Horner's:
// the dependency chain is half as long (measured ~30% faster); the order is part of the algorithm
// (a WebAssembly kernel that wants the same bits evaluates in the same order).
//
// Numbers written out: 6755399441055744 = 1.5 * 2^52 rounds a double below 2^51 in magnitude to
// the nearest integer, ties to even (as WGSL's round and WebAssembly's f64.nearest do), by an
// addition that leaves no fraction bits; 1.4426950408889634 = log2(e), 0.6931471805599453 = ln 2.
function library(
  [Q0, Q1, Q2, Q3, Q4, Q5]: readonly number[],
  [P0, P1, P2, P3, P4, P5, P6, P7]: readonly number[],
  [S0, S1, S2, S3]: readonly number[],
  [C0, C1, C2, C3]: readonly number[],
  [E0, E1, E2, E3, E4, E5, E6]: readonly number[],
  [R0, R1, R2, R3, R4, R5, R6, R7, R8]: readonly number[],
  pow2: Float64Array,
  f64: Float64Array, i32: Int32Array, hi: number,
  pick: Float64Array, sign: Float64Array,
) {
  /** The high 32 bits of a double (as a signed int32). */
  function highWord(x: number): number {
    f64[0] = x;
    return i32[hi];
  }

  /** e^r - 1 - r for |r| <= ln(2)/2, as r^2 Q(r). */
  function expTail(r: number, r2: number): number {
    return r2 * ((Q0 + r * Q1) + r2 * ((Q2 + r * Q3) + r2 * (Q4 + r * Q5)));
  }

  /**
   * e^x with float32 accuracy (relative error < 2^-28), for any double x.
   * x = k ln 2 + r with k = round(x / ln 2): r = x - k ln 2 errs by |k| 2^-53 at most (< 2^-42
   * for |k| <= 1024), far below what a float32 result can see; then e^x = 2^k (1 + r + r^2 Q(r)).
   */
  function exp32(x: number): number {
    if (!(x > -700 && x < 700)) return expEdge(x);
    const k = x * 1.4426950408889634 + 6755399441055744 - 6755399441055744;
    const r = x - k * 0.6931471805599453;
    return ((1 + r) + expTail(r, r * r)) * pow2[(k | 0) + 1074];
  }

  function expEdge(x: number): number {
    if (x !== x) return x;
    if (x > 709.8) return Infinity;
    if (x < -745.2) return 0;
    // |x| in [700, 745]: scale in two steps so 2^k never leaves the table.
    const k = x * 1.4426950408889634 + 6755399441055744 - 6755399441055744;
    const r = x - k * 0.6931471805599453;
    const h = k > 0 ? 512 : -512;
    return ((1 + r) + expTail(r, r * r)) * pow2[(k | 0) - h + 1074] * pow2[h + 1074];
  }

  /**
   * e^x - 1 for |x| < 700 without a branch: with e^r - 1 = p = r + r^2 Q(r) and s = 2^k,
   * e^x - 1 = s p + (s - 1). Where k = 0 that is p itself (accurate relative to the result near 0);
   * elsewhere |result| > 0.29 and both terms are exact or nearly so (s - 1 is exact for |k| <= 53).
   */
  function expm1Core(x: number): number {
    const k = x * 1.4426950408889634 + 6755399441055744 - 6755399441055744;
    const r = x - k * 0.6931471805599453;
    const s = pow2[(k | 0) + 1074];
    return s * (r + expTail(r, r * r)) + (s - 1);
  }

  /** e^x - 1 with float32 accuracy relative to the result (also near 0; -0 kept). */
  function expm1_32(x: number): number {
    if (!(x > -40 && x < 700)) return x !== x ? x : x > 0 ? exp32(x) : -1;
    return x === 0 ? x : expm1Core(x);
  }

  /** ln(1 + f) for f in [sqrt(1/2)-1, sqrt(2)-1]. */
  function log1pCore(f: number): number {
    const z = f * f;
    const p = ((P0 + f * P1) + z * (P2 + f * P3)) + (z * z) * ((P4 + f * P5) + z * (P6 + f * P7));
    return f - 0.5 * z + f * z * p;
  }

  /**
   * ln x with float32 accuracy, for any double x (NaN below 0, -Infinity at 0).
   * x = 2^e m with m in [sqrt(1/2), sqrt(2)): e from the exponent bits, m = x 2^-e exactly, and
   * ln x = e ln 2 + ln(1 + f) with f = m - 1 (exact, Sterbenz).
   */
  function log32(x: number): number {
    if (!(x >= 2.2250738585072014e-308 && x < Infinity)) return logEdge(x);
    const w = highWord(x);
    // Exponent, plus one when the mantissa exceeds sqrt(2) (0x6a09e: its top 20 bits); branch-free.
    const e = ((w >> 20) - 1023) - ((0x6a09e - (w & 0xfffff)) >> 31);
    return e * 0.6931471805599453 + log1pCore(x * pow2[1074 - e] - 1);
  }

  function logEdge(x: number): number {
    if (x === Infinity || x !== x) return x;
    if (x < 0) return NaN;
    if (x === 0) return -Infinity;
    return log32(x * 18446744073709551616) - 44.3614195558365; // subnormal double: scale by 2^64
  }

  /** ln(1 + x) with float32 accuracy relative to the result (also near 0). */
  function log1p32(x: number): number {
    if (x >= -0.2928932188134524 && x <= 0.41421356237309515) return log1pCore(x);
    if (!(x > -1)) return x === -1 ? -Infinity : x !== x ? x : NaN;
    // Outside that interval |x| > 0.29, so 1 + x is exact for float32 x below 2^29 and, above, errs
    // by less than x 2^-53: far below a float32 ulp of the result.
    return log32(1 + x);
  }

  /**
   * tanh x with float32 accuracy (sign and -0 kept): tanh a = E / (E + 2) with E = expm1(2a),
   * a = |x|; relative accuracy everywhere (E is accurate near 0, and nothing cancels), and no branch
   * on |x| (one mispredicts on random inputs). Above 9.1, tanh rounds to 1 in float32: a is clamped
   * there so that E stays finite.
   */
  function tanh32(x: number): number {
    const E = expm1Core(2 * Math.min(Math.abs(x), 9.1));
    return Math.sign(x) * (E / (E + 2));
  }

  /**
   * 1 / (1 + e^-x) with float32 accuracy. In double, e^-x overflows only below x = -709, where the
   * result is 0 anyway, so one formula serves both signs (no branch; float32 code needs two).
   */
  function sigmoid32(x: number): number {
    return 1 / (1 + exp32(-x));
  }

  /**
   * sin r for even q, cos r for odd q (|r| <= pi/4), negated when q >= 2. Both polynomials are
   * computed and one is picked by index: on random arguments a branch on q mispredicts every
   * other element (measured 1.3x slower than Math.sin); the picked value is the same either way.
   */
  function trigPoly(r: number, q: number): number {
    const s = r * r, s2 = s * s;
    pick[0] = r * (1 + s * ((S0 + s * S1) + s2 * (S2 + s * S3))); // sin(-0) = -0
    pick[1] = 1 - 0.5 * s + s2 * ((C0 + s * C1) + s2 * (C2 + s * C3));
    return pick[q & 1] * sign[q];
  }

  /**
   * sin x (c = 0) or cos x (c = 1) with float32 accuracy for every float32 x. Cody-Waite below 2^20
   * with pi/2 in three parts, P1 and P2 of 33 bits: k < 2^20, so k P1 and k P2 are exact, x - k P1
   * is exact (Sterbenz), and r errs by < 2^-53 |r| + 2^-66, far below float32 resolution of sin r.
   */
  function trig32(x: number, c: number): number {
    if (x > -1048576 && x < 1048576) {
      const k = x * 0.6366197723675814 + 6755399441055744 - 6755399441055744;
      const r = ((x - k * 1.5707963267341256) - k * 6.077100506303966e-11) - k * 2.0222662487959506e-21;
      return trigPoly(r, (k + c) & 3);
    }
    if (x !== x || x === Infinity || x === -Infinity) return NaN;
    const [k, r] = reduceLarge(x);
    return trigPoly(r, (k + c) & 3);
  }

  /**
   * erf x with float32 accuracy: a + a P(a^2) below 1, 1 - e^(-a^2) R(a - 1) below 3.92 (a^2 is
   * exact: a float32 has 24 bits), 1 above; the sign of x (erf is odd, -0 stays -0).
   */
  function erf32(x: number): number {
    const a = Math.abs(x);
    if (a < 1) {
      const t = a * a, t2 = t * t;
      return Math.sign(x) * (a + a * (((E0 + t * E1) + t2 * (E2 + t * E3)) + (t2 * t2) * ((E4 + t * E5) + t2 * E6)));
    }
    if (!(a < 3.92)) return a === a ? Math.sign(x) : x;
    const u = a - 1, u2 = u * u, u4 = u2 * u2;
    const R = ((R0 + u * R1) + u2 * (R2 + u * R3)) + u4 * (((R4 + u * R5) + u2 * (R6 + u * R7)) + u4 * R8);
    return Math.sign(x) * (1 - exp32(-(a * a)) * R);
  }

  return {
    exp32, expm1_32, log32, log1p32, tanh32, sigmoid32, erf32,
    sin32: (x: number) => trig32(x, 0),
    cos32: (x: number) => trig32(x, 1),
  };
}

export const { exp32, expm1_32, log32, log1p32, tanh32, sigmoid32, sin32, cos32, erf32 } =
  library(EXP_Q, LOG_P, SIN_S, COS_C, ERF_P, ERF_R, POW2, F64, I32, HI, new Float64Array(2), new Float64Array([1, 1, -1, -1]));

// Large arguments (|x| >= 2^20, up to float32's 3.4e38): x 2/pi mod 4 from 2/pi's bits
// (Payne-Hanek), exactly, with integers. x = M 2^E with M < 2^24, and 2/pi ~ C 2^-L with
// L = 256 bits, so x 2/pi ~ M C 2^(E-L): the product's bits from 2^1 down to 2^-FRAC are the
// quadrant and the fraction. Rare in practice, so BigInt (exact, and the same in every engine:
// Number(bigint) rounds to nearest even, as WebAssembly's f64.convert_i64 does).
const L = 256;
const FRAC = 96;
let twoOverPiBits: bigint | null = null;

/** floor(2/pi 2^L), computed once with Machin's formula pi = 16 atan(1/5) - 4 atan(1/239). */
export function twoOverPiFixed(): bigint {
  if (twoOverPiBits !== null) return twoOverPiBits;
  const P = BigInt(L + 64); // working precision with 64 guard bits
  const one = 1n << P;
  const atanInv = (n: bigint) => {
    // atan(1/n) = sum (-1)^j / ((2j+1) n^(2j+1)), in fixed point
    let term = one / n, sum = term, j = 1n;
    const n2 = n * n;
    while (term !== 0n) {
      term /= n2;
      sum += (j & 1n ? -term : term) / (2n * j + 1n);
      j++;
    }
    return sum;
  };
  const pi = 16n * atanInv(5n) - 4n * atanInv(239n); // pi 2^P, within a few units
  twoOverPiBits = ((2n << (P + BigInt(L))) / pi) >> 0n;
  return twoOverPiBits;
}

function reduceLarge(x: number): [number, number] {
  const neg = x < 0;
  const a = neg ? -x : x;
  const e = ((highWord(a) >> 20) & 0x7ff) - 1023 - 52; // a = M 2^e with M a 53-bit integer
  const m = BigInt(a * POW2[1074 - e]); // exact: a float32 value has at most 24 significant bits
  const shift = BigInt(L - e - FRAC);
  const q = (m * twoOverPiFixed()) >> shift; // floor(a 2/pi 2^FRAC), up to 2^-(L-E-...) error
  let k = Number((q >> BigInt(FRAC)) & 3n);
  let f = Number(q & ((1n << BigInt(FRAC)) - 1n)) * POW2[1074 - FRAC]; // fraction in [0, 1)
  if (f >= 0.5) { f -= 1; k = (k + 1) & 3; }
  const r = f * 1.5707963267948966; // pi/2
  return neg ? [(4 - k) & 3, -r] : [k, r];
}

// ---------------------------------------------------------------- erf in float64
// There is no Math.erf; float64 tensors use this (Math.exp inside, so, like the other float64
// kernels, its last bit may differ between JS engines). Accuracy: within 6e-16 relative of erf over
// the whole line (measured against 40-digit references; test/autograd/erf.test.ts checks 1e-15).

const TWO_OVER_SQRT_PI = 1.1283791670955126;
const TWO_OVER_SQRT_PI_MINUS_1 = 0.12837916709551256; // so that a + a*c keeps erf's leading term exact
const ONE_OVER_SQRT_PI = 0.5641895835477563;
const SPLIT = 134217729; // 2^27 + 1: Veltkamp's splitter for doubles

/** e^(-a²) with a² formed exactly (a = hi + lo, hi of 26 bits, so hi² is exact). */
function expNegSquare(a: number): number {
  const c = SPLIT * a;
  const hi = c - (c - a);
  const lo = a - hi;
  return Math.exp(-hi * hi) * Math.exp(-(2 * hi * lo + lo * lo));
}

/**
 * erf(x) in float64, for a = |x|:
 *  - a < 1.5: the Maclaurin series erf(a) = (2/√π) Σ_{n≥0} (-1)^n a^(2n+1) / (n! (2n+1)); its
 *    largest term is under twice the sum there, so little is lost to cancellation.
 *  - 1.5 <= a < 6: erf(a) = 1 - erfc(a) with Laplace's continued fraction
 *    erfc(a) = e^(-a²)/√π · 1/(a + (1/2)/(a + 1/(a + (3/2)/(a + ...)))), evaluated bottom-up from
 *    80 levels (converged to rounding from a = 1.5 on).
 *  - a >= 6: 1 (erfc(6) < 2^-55, so 1 - erfc rounds to 1).
 * The result takes x's sign (erf is odd; -0 stays -0, NaN stays NaN).
 */
export function erf64(x: number): number {
  const a = Math.abs(x);
  let r: number;
  if (a < 1.5) {
    const a2 = a * a;
    let t = 1, s = 0;
    for (let n = 1; ; n++) {
      t *= -a2 / n;
      const c = t / (2 * n + 1);
      s += c;
      if (Math.abs(c) < 1e-17) break;
    }
    r = a + a * (TWO_OVER_SQRT_PI_MINUS_1 + TWO_OVER_SQRT_PI * s);
  } else if (a < 6) {
    let t = a;
    for (let k = 80; k >= 1; k--) t = a + k / 2 / t;
    r = 1 - (ONE_OVER_SQRT_PI * expNegSquare(a)) / t;
  } else {
    r = a === a ? 1 : a;
  }
  return x < 0 || Object.is(x, -0) ? -r : r;
}
