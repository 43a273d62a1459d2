// The portable math library: exp, expm1, log, log1p, tanh, sigmoid, sin, cos and erf for
// float32 results, written once, with only IEEE-754 double + - * / and integer bit operations.
//
// Why: JavaScript's Math.exp & co. are "implementation-approximated" (ECMA-262), and engines
// differ in the last bit. Code built from + - * / alone gives the same bits in every engine
// (V8, SpiderMonkey, JavaScriptCore, QuickJS; none fuses a * b + c), and a WebAssembly kernel
// doing the same f64 operations in the same order gets the same bits as well.
//
// How: each function reduces its argument exactly (or to far beyond float32 precision), then
// evaluates a polynomial in double precision, and its caller rounds once when it stores into a
// Float32Array. The polynomials are the WebGPU float32 library's (webgpu/math.ts builds its WGSL
// from the coefficient tables below); evaluated in double they err by < 2^-28 relative, so the
// float32 result is the correctly rounded one or its neighbour: within 1 ulp of the exact value
// (test/autograd/math.test.ts sweeps every function against float64 references).
//
// Inputs are float32 values (any double works; accuracy is float32's). The results are doubles
// carrying float32 accuracy: use them for float32 outputs, never for float64 tensors, whose
// kernels use Math.* (see docs/engine.md, "Which results are the same on every JS engine").

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
/** tanh(x) = x + x^3 T(x^2) on |x| <= 0.5625. */
export const TANH_T = [-0.3333333134651184, 0.13333284854888916, -0.05395812913775444, 0.02177189290523529, -0.008378591388463974, 0.002353596966713667];
/** erf(x) = x E(x^2) on |x| <= 1; E[0] = 2/sqrt(pi) in double (scripts/fit-math.py). */
export const ERF_E = [1.1283791670955126, -0.37612637877464294, 0.11283769458532333, -0.026864541694521904, 0.00521830003708601, -0.0008442027610726655, 0.00010949168063234538, -8.73709905135911e-06];
/** erfc(a) = e^(-a^2) R(1/a) on 1 <= a <= 4 (scripts/fit-math.py). */
export const ERFC_R = [2.9904176699346863e-05, 0.5636389255523682, 0.003731156699359417, -0.2888624966144562, -0.05721176415681839, 0.8730858564376831, -1.4849319458007812, 1.3852207660675049, -0.7859581708908081, 0.25558599829673767, -0.036744654178619385];

/** Cody-Waite splits (used by the float32 WGSL code, where k * HI must be exact in float32). */
export const LN2_HI = 0.693359375;
export const LN2_LO = -0.00021219444170128554;
/** pi/2 = P1 + P2 + P3 + P4, P1..P3 of 11 bits each (WGSL). */
export const PIO2_F32 = [1.5703125, 0.0004837512969970703, 7.549533620476723e-8, 2.5633440682570896e-12];

// ---------------------------------------------------------------- bit access
// One scratch double viewed as two int32 words: the high word holds the sign, the exponent and
// the top 20 mantissa bits. Which index is the high word depends on the platform's byte order.
const F64 = new Float64Array(1);
const I32 = new Int32Array(F64.buffer);
const HI = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1 ? 1 : 0;

/** The high 32 bits of a double (as a signed int32). */
function highWord(x: number): number {
  F64[0] = x;
  return I32[HI];
}

/** 2^k for k in [-1074, 1023], exact: POW2[(k | 0) + 1074]. */
const POW2 = new Float64Array(2098);
for (let k = -1074, v = 2 ** -1074; k <= 1023; k++, v *= 2) POW2[(k | 0) + 1074] = v;

// Rounds a double of magnitude < 2^51 to the nearest integer, ties to even (as WGSL's round and
// WebAssembly's f64.nearest do): adding 1.5 * 2^52 leaves no fraction bits, so the addition rounds.
const ROUND = 6755399441055744;
const LOG2E = 1.4426950408889634;
const LN2 = 0.6931471805599453;
const SQRT1_2 = 0.7071067811865476;

// ---------------------------------------------------------------- exp, expm1
/** e^r - 1 - r for |r| <= ln(2)/2, as r^2 Q(r). */
function expTail(r: number): number {
  return r * r * (EXP_Q[0] + r * (EXP_Q[1] + r * (EXP_Q[2] + r * (EXP_Q[3] + r * (EXP_Q[4] + r * EXP_Q[5])))));
}

/**
 * e^x with float32 accuracy (relative error < 2^-28), for any double x.
 * x = k ln 2 + r with k = round(x / ln 2): r = x - k ln 2 errs by |k| 2^-53 at most (< 2^-42
 * for |k| <= 1024), far below what a float32 result can see; then e^x = 2^k (1 + r + r^2 Q(r)).
 */
export function exp32(x: number): number {
  if (!(x > -700 && x < 700)) return expEdge(x);
  const k = x * LOG2E + ROUND - ROUND;
  const r = x - k * LN2;
  return (1 + r + expTail(r)) * POW2[(k | 0) + 1074];
}

function expEdge(x: number): number {
  if (x !== x) return x;
  if (x > 709.8) return Infinity;
  if (x < -745.2) return 0;
  // |x| in [700, 745]: scale in two steps so 2^k never leaves the table.
  const k = x * LOG2E + ROUND - ROUND;
  const r = x - k * LN2;
  const h = k > 0 ? 512 : -512;
  return (1 + r + expTail(r)) * POW2[(k | 0) - h + 1074] * POW2[h + 1074];
}

/** e^x - 1 with float32 accuracy relative to the result (also near 0). */
export function expm1_32(x: number): number {
  if (x > -0.34657359 && x < 0.34657359) return x === 0 ? x : x + expTail(x); // keeps -0
  if (!(x > -40 && x < 700)) return x !== x ? x : x > 0 ? exp32(x) : -1;
  const k = x * LOG2E + ROUND - ROUND;
  const r = x - k * LN2;
  // 2^k (1 + p) - 1 with p = e^r - 1: for |x| > ln(2)/2 the result is > 0.29 in magnitude, so the
  // final subtraction loses nothing a float32 could hold.
  return (1 + (r + expTail(r))) * POW2[(k | 0) + 1074] - 1;
}

// ---------------------------------------------------------------- log, log1p
/** ln(1 + f) for f in [sqrt(1/2)-1, sqrt(2)-1]. */
function log1pCore(f: number): number {
  const z = f * f;
  const p = LOG_P[0] + f * (LOG_P[1] + f * (LOG_P[2] + f * (LOG_P[3] + f * (LOG_P[4] + f * (LOG_P[5] + f * (LOG_P[6] + f * LOG_P[7]))))));
  return f - 0.5 * z + f * z * p;
}

/**
 * ln x with float32 accuracy, for any double x (NaN below 0, -Infinity at 0).
 * x = 2^e m with m in [sqrt(1/2), sqrt(2)): e from the exponent bits, m = x 2^-e exactly, and
 * ln x = e ln 2 + ln(1 + f) with f = m - 1 (exact, Sterbenz).
 */
export function log32(x: number): number {
  if (!(x >= 2.2250738585072014e-308 && x < Infinity)) return logEdge(x);
  const hi = highWord(x);
  // Exponent, plus one when the mantissa exceeds sqrt(2) (0x6a09e: its top 20 bits); branch-free.
  const e = ((hi >> 20) - 1023) - ((0x6a09e - (hi & 0xfffff)) >> 31);
  return e * LN2 + log1pCore(x * POW2[1074 - e] - 1);
}

function logEdge(x: number): number {
  if (x === Infinity || x !== x) return x;
  if (x < 0) return NaN;
  if (x === 0) return -Infinity;
  return log32(x * 18446744073709551616) - 44.3614195558365; // subnormal double: scale by 2^64
}

/** ln(1 + x) with float32 accuracy relative to the result (also near 0). */
export function log1p32(x: number): number {
  if (x >= SQRT1_2 - 1 && x <= 0.41421356237309515) return log1pCore(x);
  if (!(x > -1)) return x === -1 ? -Infinity : x !== x ? x : NaN;
  // Outside that interval |x| > 0.29, so 1 + x is exact for float32 x below 2^29 and, above, errs
  // by less than x 2^-53: far below a float32 ulp of the result.
  return log32(1 + x);
}

// ---------------------------------------------------------------- tanh, sigmoid
/** tanh x with float32 accuracy (sign and -0 kept). */
export function tanh32(x: number): number {
  const a = x < 0 ? -x : x;
  if (a < 0.5625) {
    // x (1 + s T(s)) rather than x + x s T(s): the same to double rounding, and tanh(-0) = -0.
    const s = x * x;
    return x * (1 + s * (TANH_T[0] + s * (TANH_T[1] + s * (TANH_T[2] + s * (TANH_T[3] + s * (TANH_T[4] + s * TANH_T[5]))))));
  }
  if (a !== a) return x;
  // tanh a = 1 - 2 / (e^(2a) + 1) = 1 - 2 / (expm1(2a) + 2); above 9.1 it rounds to 1 in float32.
  const t = a > 9.1 ? 1 : 1 - 2 / (expm1_32(2 * a) + 2);
  return x < 0 ? -t : t;
}

/** 1 / (1 + e^-x) with float32 accuracy, without overflow on either side. */
export function sigmoid32(x: number): number {
  if (x >= 0) return 1 / (1 + exp32(-x));
  const e = exp32(x);
  return e / (1 + e);
}

// ---------------------------------------------------------------- sin, cos
// pi/2 in three parts: P1 and P2 of 33 bits, so k * P1 and k * P2 are exact for |k| < 2^20.
const PIO2_1 = 1.5707963267341256;
const PIO2_2 = 6.077100506303966e-11;
const PIO2_3 = 2.0222662487959506e-21;
const PIO2 = 1.5707963267948966;
const TWO_OVER_PI = 0.6366197723675814;

/** sin r (c = 0) or cos r (c = 1) for |r| <= pi/4, negated when q >= 2, for quadrant q = (k + c) mod 4. */
function trigPoly(r: number, q: number): number {
  const s = r * r;
  const v = (q & 1) === 0
    ? r * (1 + s * (SIN_S[0] + s * (SIN_S[1] + s * (SIN_S[2] + s * SIN_S[3])))) // sin(-0) = -0
    : 1 - 0.5 * s + s * s * (COS_C[0] + s * (COS_C[1] + s * (COS_C[2] + s * COS_C[3])));
  return q >= 2 ? -v : v;
}

/** sin x (c = 0) or cos x (c = 1) with float32 accuracy for every float32 x. */
function trig32(x: number, c: number): number {
  if (x > -1048576 && x < 1048576) {
    // Cody-Waite: k < 2^20, so k * P1 and k * P2 are exact and x - k P1 is exact (Sterbenz);
    // r errs by < 2^-53 |r| + 2^-66, far below float32 resolution of sin or cos of r.
    const k = x * TWO_OVER_PI + ROUND - ROUND;
    const r = ((x - k * PIO2_1) - k * PIO2_2) - k * PIO2_3;
    return trigPoly(r, (k + c) & 3);
  }
  if (x !== x || x === Infinity || x === -Infinity) return NaN;
  const [k, r] = reduceLarge(x);
  return trigPoly(r, (k + c) & 3);
}

export function sin32(x: number): number {
  return trig32(x, 0);
}

export function cos32(x: number): number {
  return trig32(x, 1);
}

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
  const r = f * PIO2;
  return neg ? [(4 - k) & 3, -r] : [k, r];
}

// ---------------------------------------------------------------- erf
/** erf x with float32 accuracy. */
export function erf32(x: number): number {
  const a = x < 0 ? -x : x;
  if (a <= 1) {
    const s = x * x;
    return x * (ERF_E[0] + s * (ERF_E[1] + s * (ERF_E[2] + s * (ERF_E[3] + s * (ERF_E[4] + s * (ERF_E[5] + s * (ERF_E[6] + s * ERF_E[7])))))));
  }
  if (a !== a) return x;
  if (a >= 4) return x < 0 ? -1 : 1; // erfc(4) = 1.5e-8: erf rounds to 1 in float32 from 3.92 on
  // erfc a = e^(-a^2) R(1/a); a^2 is exact (a float32 has 24 bits).
  const t = 1 / a;
  const R = ERFC_R[0] + t * (ERFC_R[1] + t * (ERFC_R[2] + t * (ERFC_R[3] + t * (ERFC_R[4] + t * (ERFC_R[5] + t * (ERFC_R[6] + t * (ERFC_R[7] + t * (ERFC_R[8] + t * (ERFC_R[9] + t * ERFC_R[10])))))))));
  const v = 1 - exp32(-a * a) * R;
  return x < 0 ? -v : v;
}

/**
 * erf x in float64 (there is no Math.erf), accurate to a few 1e-16: the Taylor series below 2,
 * 1 - erfc by its continued fraction above. Uses Math.exp, so, like the other float64 kernels,
 * its last bit may differ between JS engines.
 */
export function erf64(x: number): number {
  const a = Math.abs(x);
  if (a !== a) return x;
  if (a < 2) {
    // erf x = 2/sqrt(pi) sum_n (-1)^n x^(2n+1) / (n! (2n+1)); terms shrink after n ~ x^2.
    const s = x * x;
    let term = x, sum = x;
    for (let n = 1; n < 80; n++) {
      term *= -s / n;
      const d = term / (2 * n + 1);
      sum += d;
      if (Math.abs(d) < 1e-17 * Math.abs(sum)) break;
    }
    return 1.1283791670955126 * sum;
  }
  if (a > 6) return x < 0 ? -1 : 1;
  // erfc a = e^(-a^2) / sqrt(pi) * 1 / (a + (1/2) / (a + 1 / (a + (3/2) / (a + 2 / (a + ...))))),
  // evaluated from a fixed depth back up.
  let f = a;
  for (let n = 80; n >= 1; n--) f = a + n / 2 / f;
  const v = 1 - Math.exp(-a * a) / (1.7724538509055159 * f);
  return x < 0 ? -v : v;
}
