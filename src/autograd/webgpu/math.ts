// A float32 math library in WGSL. WGSL's builtins are loosely specified (exp may be off by
// 3 + 2|x| ulp, log by 2^-21 absolute, sin/cos by 2^-11 absolute, and they differ by vendor), so
// the kernels shadow them with these functions, built from float32 + - * and bit operations only:
// the same code gives (up to FMA contraction) the same bits on every GPU, within 1-2 ulp of the
// correctly rounded value that the CPU backend computes. Shadowing is legal WGSL: a module-scope
// `fn exp(x: f32)` replaces the builtin of that name in its module.
//
// The polynomials were fitted for papergrad (weighted minimax by Lawson iteration in float64
// against 40-digit references, then rounded to float32) and are shared with the CPU's library,
// ../math.ts, which evaluates them in double; docs/webgpu.md has the measured errors.
import { COS_C, ERF_P, ERF_R, EXP_Q, LN2_HI, LN2_LO, LOG_P, PIO2_F32, SIN_S, TANH_T } from '../math.js';

/** A float32 value as a WGSL literal that denotes exactly that value. */
function lit(x: number): string {
  const s = String(Math.fround(x));
  return /[.e]/.test(s) ? s : s + '.0';
}

/** Horner evaluation of c[0] + c[1] v + c[2] v^2 + ... in float32. */
function horner(v: string, c: readonly number[]): string {
  let s = lit(c[c.length - 1]);
  for (let k = c.length - 2; k >= 0; k--) s = `${lit(c[k])} + ${v} * (${s})`;
  return s;
}

// The coefficient tables and Cody-Waite splits are the CPU's (../math.ts): one set of algorithms.
const PIO2 = PIO2_F32;

export const MATH: Record<string, string> = {
  // y * 2^k for normal y and k in [-252, 254], in two exact steps (the second rounds once,
  // to a subnormal or to infinity where the result is one).
  pg_ldexp: `fn pg_ldexp(y: f32, k: i32) -> f32 {
  let k1 = k / 2;
  return (y * bitcast<f32>(u32(k1 + 127) << 23u)) * bitcast<f32>(u32(k - k1 + 127) << 23u);
}`,
  // e^r - 1 for |r| <= ln(2)/2 (plus a little).
  pg_expm1_core: `fn pg_expm1_core(r: f32) -> f32 { return r + (r * r) * (${horner('r', EXP_Q)}); }`,
  // k = round(x / ln 2) and r = x - k ln 2 (Cody-Waite).
  pg_exp_reduce: `fn pg_exp_reduce(x: f32) -> vec2<f32> {
  let k = round(x * ${lit(Math.LOG2E)});
  return vec2<f32>(k, (x - k * ${lit(LN2_HI)}) - k * ${lit(LN2_LO)});
}`,
  exp: `fn exp(x: f32) -> f32 {
  if (pg_isnan(x)) { return x; }
  if (x > 89.0) { return pg_bits(0x7f800000u); }
  if (x < -104.0) { return 0.0; }
  let kr = pg_exp_reduce(x);
  return pg_ldexp(1.0 + pg_expm1_core(kr.y), i32(kr.x));
}`,
  expm1: `fn expm1(x: f32) -> f32 {
  if (pg_isnan(x)) { return x; }
  if (x > 89.0) { return pg_bits(0x7f800000u); }
  if (x < -17.5) { return -1.0; }
  if (abs(x) <= 0.3466) { return pg_expm1_core(x); }
  let kr = pg_exp_reduce(x);
  let k = i32(kr.x);
  let p = pg_expm1_core(kr.y);
  if (k >= 25) { return pg_ldexp(1.0 + p, k); }
  if (k <= -2) { return pg_ldexp(1.0 + p, k) - 1.0; }
  // 2^k (1 + p) - 1 = 2^k ((1 - 2^-k) + p), where 1 - 2^-k is exact for -1 <= k <= 24.
  return pg_ldexp((1.0 - pg_ldexp(1.0, -k)) + p, k);
}`,
  // ln(1 + f) for f in [sqrt(1/2)-1, sqrt(2)-1], plus e ln 2; f itself is exact, so the
  // small terms are summed first and f and e ln 2 last.
  pg_log_core: `fn pg_log_core(f: f32, e: f32) -> f32 {
  let z = f * f;
  var y = (f * z) * (${horner('f', LOG_P)});
  y = y + e * ${lit(LN2_LO)};
  y = y - 0.5 * z;
  return (f + y) + e * ${lit(LN2_HI)};
}`,
  log: `fn log(x: f32) -> f32 {
  let u = bitcast<u32>(x);
  if (u == 0x7f800000u) { return x; }
  if ((u & 0x7fffffffu) == 0u) { return pg_bits(0xff800000u); }
  if (u > 0x7f800000u) { return pg_bits(0x7fc00000u); }
  var e = i32(u >> 23u) - 127;
  var mant = u & 0x7fffffu;
  if (e == -127) { let s = countLeadingZeros(mant) - 8u; mant = (mant << s) & 0x7fffffu; e = -126 - i32(s); }
  // Mantissa in [sqrt(1/2), sqrt(2)): 0x3504f3 is the mantissa field of sqrt(2).
  var m: f32;
  if (mant > 0x3504f3u) { m = bitcast<f32>(mant | 0x3f000000u); e = e + 1; } else { m = bitcast<f32>(mant | 0x3f800000u); }
  return pg_log_core(m - 1.0, f32(e));
}`,
  log1p: `fn log1p(x: f32) -> f32 {
  if (x >= ${lit(Math.SQRT1_2 - 1)} && x <= ${lit(Math.SQRT2 - 1)}) { return pg_log_core(x, 0.0); }
  if (pg_isnan(x)) { return x; }
  let u = 1.0 + x;
  // u is 1 + x rounded; (x - (u - 1)) / u corrects for that rounding to first order.
  return log(u) + (x - (u - 1.0)) / u;
}`,
  tanh: `fn tanh(x: f32) -> f32 {
  if (pg_isnan(x)) { return x; }
  let a = abs(x);
  var t: f32;
  if (a < 0.5625) {
    let s = x * x;
    return x + (x * s) * (${horner('s', TANH_T)});
  }
  if (a > 9.1) { t = 1.0; } else { t = 1.0 - pg_div(2.0, expm1(2.0 * a) + 2.0); }
  return select(t, -t, x < 0.0);
}`,
  // sin (c = 0) or cos (c = 1) of x: x = k pi/2 + r, then the polynomial of quadrant k + c.
  pg_trig: `fn pg_trig(x: f32, c: i32) -> f32 {
  if ((bitcast<u32>(x) & 0x7f800000u) == 0x7f800000u) { return pg_bits(0x7fc00000u); }
  let k = round(x * ${lit(2 / Math.PI)});
  let r = (((x - k * ${lit(PIO2[0])}) - k * ${lit(PIO2[1])}) - k * ${lit(PIO2[2])}) - k * ${lit(PIO2[3])};
  let s = r * r;
  let q = (i32(k) + c) & 3;
  var v: f32;
  if ((q & 1) == 0) { v = r + (r * s) * (${horner('s', SIN_S)}); }
  else { v = 1.0 - (0.5 * s - (s * s) * (${horner('s', COS_C)})); }
  return select(v, -v, q >= 2);
}`,
  sin: `fn sin(x: f32) -> f32 { return pg_trig(x, 0); }`,
  cos: `fn cos(x: f32) -> f32 { return pg_trig(x, 1); }`,
  // erf: a + a P(a^2) below 1, 1 - e^(-a^2) R(a - 1) up to 3.92, then 1 (../math.ts); odd: the
  // result takes x's sign bit (so erf(-0) = -0).
  erf: `fn erf(x: f32) -> f32 {
  if (pg_isnan(x)) { return x; }
  let a = abs(x);
  var r: f32 = 1.0;
  if (a < 1.0) {
    let t = a * a;
    r = a + a * (${horner('t', ERF_P)});
  } else if (a < 3.92) {
    let u = a - 1.0;
    r = 1.0 - exp(-(a * a)) * (${horner('u', ERF_R)});
  }
  return bitcast<f32>(bitcast<u32>(r) | (bitcast<u32>(x) & 0x80000000u));
}`,
  inverseSqrt: `fn inverseSqrt(x: f32) -> f32 { return pg_div(1.0, sqrt(x)); }`,
};

export const MATH_DEPENDS: Record<string, string[]> = {
  exp: ['pg_isnan', 'pg_bits', 'pg_exp_reduce', 'pg_expm1_core', 'pg_ldexp'],
  expm1: ['pg_isnan', 'pg_bits', 'pg_exp_reduce', 'pg_expm1_core', 'pg_ldexp'],
  log: ['pg_bits', 'pg_log_core'],
  log1p: ['log', 'pg_isnan', 'pg_log_core'],
  tanh: ['pg_isnan', 'pg_div', 'expm1'],
  sin: ['pg_trig'],
  cos: ['pg_trig'],
  pg_trig: ['pg_bits'],
  inverseSqrt: ['pg_div', 'sqrt'],
  erf: ['pg_isnan', 'exp'],
};
