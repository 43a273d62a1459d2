// The portable math library of ../math.ts as WebAssembly SIMD (f64x2: two float64 lanes), the same
// double operations in the same order, so the same bits (test/wasm/mathlib.test.ts sweeps every
// function against the JS one, bit for bit).
//
// Each function below emits the main path of its JS twin for two lanes at once. Branches become
// lane selects: both sides are computed and each lane takes the one the JS code would take (the
// values are the same IEEE operations either way). Arguments outside a main path (infinities, NaN,
// |x| >= 700 for exp, |x| >= 2^20 for sin and cos, ...) are rare: the elementwise kernels then call
// the JS function itself for that pair of lanes (a host import), which is the reference by
// definition. `edge` below gives, per function, the lanes that need it.
//
// 2^k is built from its bits instead of read from a table: k comes out of the rounding trick
// t = x * c + 1.5 * 2^52 as the low bits of t, so k = bits(t) - bits(1.5 * 2^52) as an integer,
// and 2^k = ((k + 1023) << 52) as a double, exact for the k of the main paths (|k| <= 1022).
import {
  f64x2, get, i32, i64x2, set, seq, v128, V128, type Code, type Func,
} from './emit.js';
import { COS_C, ERF_P, ERF_R, EXP_Q, LOG_P, SIN_S } from '../math.js';

const MAGIC = 6755399441055744; // 1.5 * 2^52
const MAGIC_BITS = 0x4338000000000000n;
const SIGN = 0x8000000000000000n;

const C = (v: number): Code => f64x2.const(v);
const add = f64x2.add, sub = f64x2.sub, mul = f64x2.mul, div = f64x2.div;

/** A v128 constant of two equal 64-bit integer lanes. */
export function i64x2Const(v: bigint): Code {
  const bytes: number[] = [];
  const u = BigInt.asUintN(64, v);
  for (let lane = 0; lane < 2; lane++) for (let b = 0n; b < 8n; b++) bytes.push(Number((u >> (8n * b)) & 0xffn));
  return v128.const(bytes);
}

/** (x with the sign bit of s): bitselect on the sign bit. */
export function copysign(x: Code, s: Code): Code {
  return v128.bitselect(s, x, i64x2Const(SIGN));
}

/** 2^k for the integer k held in the low bits of t = (k + 1.5 * 2^52): bits ((k + 1023) << 52). */
function pow2FromMagic(t: Code): Code {
  return i64x2.shl(i64x2.add(i64x2.sub(t, i64x2Const(MAGIC_BITS)), i64x2Const(1023n)), i32.const(52));
}

/** e^r - 1 - r as r^2 Q(r) (expTail of math.ts). */
function expTail(r: number, r2: number): Code {
  const [Q0, Q1, Q2, Q3, Q4, Q5] = EXP_Q;
  return mul(get(r2), add(add(C(Q0), mul(get(r), C(Q1))), mul(get(r2), add(add(C(Q2), mul(get(r), C(Q3))), mul(get(r2), add(C(Q4), mul(get(r), C(Q5))))))));
}

/** Locals for one call of a library function (allocated once per kernel and reused). */
export class MathScratch {
  private readonly free: number[] = [];
  constructor(private readonly f: Func) {}
  take(): number {
    return this.free.pop() ?? this.f.local(V128);
  }
  give(...ls: number[]): void {
    this.free.push(...ls);
  }
}

/**
 * k, r and 2^k for e^x (x in local `x`): t = x log2(e) + M, k = t - M, r = x - k ln 2.
 * Leaves t, r in locals; returns [code, t, r].
 */
function reduceExp(s: MathScratch, x: Code): { code: Code; t: number; r: number } {
  const t = s.take(), r = s.take(), xl = s.take();
  const code = seq(
    set(xl, x),
    set(t, add(mul(get(xl), C(1.4426950408889634)), C(MAGIC))),
    set(r, sub(get(xl), mul(sub(get(t), C(MAGIC)), C(0.6931471805599453)))),
  );
  s.give(xl);
  return { code, t, r };
}

/** exp32's main path (x in (-700, 700)): ((1 + r) + r^2 Q(r)) * 2^k. */
export function exp(s: MathScratch, x: Code): Code {
  const { code, t, r } = reduceExp(s, x);
  const r2 = s.take();
  const out = seq(code, set(r2, mul(get(r), get(r))),
    mul(add(add(C(1), get(r)), expTail(r, r2)), pow2FromMagic(get(t))));
  s.give(t, r, r2);
  return out;
}

/** expm1Core: s p + (s - 1) with p = r + r^2 Q(r), s = 2^k (|x| < 700). */
export function expm1Core(s: MathScratch, x: Code): Code {
  const { code, t, r } = reduceExp(s, x);
  const r2 = s.take(), p2 = s.take();
  const out = seq(code, set(r2, mul(get(r), get(r))), set(p2, pow2FromMagic(get(t))),
    add(mul(get(p2), add(get(r), expTail(r, r2))), sub(get(p2), C(1))));
  s.give(t, r, r2, p2);
  return out;
}

/** ln(1 + f) for f in [sqrt(1/2)-1, sqrt(2)-1] (log1pCore). */
function log1pCore(s: MathScratch, fx: Code): Code {
  const [P0, P1, P2, P3, P4, P5, P6, P7] = LOG_P;
  const f = s.take(), z = s.take();
  const out = seq(
    set(f, fx), set(z, mul(get(f), get(f))),
    add(sub(get(f), mul(C(0.5), get(z))),
      mul(mul(get(f), get(z)),
        add(add(add(C(P0), mul(get(f), C(P1))), mul(get(z), add(C(P2), mul(get(f), C(P3))))),
          mul(mul(get(z), get(z)), add(add(C(P4), mul(get(f), C(P5))), mul(get(z), add(C(P6), mul(get(f), C(P7))))))))),
  );
  s.give(f, z);
  return out;
}

/**
 * log32's main path (x normal, below 2^1000): x = 2^e m, e from the high word w with one more
 * where the mantissa exceeds sqrt(2); e ln 2 + ln(1 + (x 2^-e - 1)).
 */
export function log(s: MathScratch, x: Code): Code {
  const xl = s.take(), e = s.take();
  const w = i64x2.shr_s(get(xl), i32.const(32)); // the high word, sign-extended
  const out = seq(
    set(xl, x),
    // e = ((w >> 20) - 1023) - ((0x6a09e - (w & 0xfffff)) >> 63)
    set(e, i64x2.sub(
      i64x2.sub(i64x2.shr_s(w, i32.const(20)), i64x2Const(1023n)),
      i64x2.shr_s(i64x2.sub(i64x2Const(0x6a09en), v128.and(w, i64x2Const(0xfffffn))), i32.const(63)))),
    add(
      mul(sub(i64x2.add(get(e), i64x2Const(MAGIC_BITS)), C(MAGIC)), C(0.6931471805599453)), // e as a double
      log1pCore(s, sub(mul(get(xl), i64x2.shl(i64x2.sub(i64x2Const(1023n), get(e)), i32.const(52))), C(1))),
    ),
  );
  s.give(xl, e);
  return out;
}

/** log1p32 for x > -1 (and x below 2^1000): log1pCore near 0, else log32(1 + x). */
export function log1p(s: MathScratch, x: Code): Code {
  const xl = s.take(), near = s.take();
  const out = seq(
    set(xl, x),
    set(near, v128.and(f64x2.ge(get(xl), C(-0.2928932188134524)), f64x2.le(get(xl), C(0.41421356237309515)))),
    v128.bitselect(log1pCore(s, get(xl)), log(s, add(C(1), get(xl))), get(near)),
  );
  s.give(xl, near);
  return out;
}

/** tanh32: sign(x) E / (E + 2), E = expm1(2 min(|x|, 9.1)). */
export function tanh(s: MathScratch, x: Code): Code {
  const xl = s.take(), E = s.take();
  const out = seq(
    set(xl, x),
    set(E, expm1Core(s, mul(C(2), f64x2.min(f64x2.abs(get(xl)), C(9.1))))),
    copysign(div(get(E), add(get(E), C(2))), get(xl)),
  );
  s.give(xl, E);
  return out;
}

/** sigmoid32: 1 / (1 + exp32(-x)). */
export function sigmoid(s: MathScratch, x: Code): Code {
  return div(C(1), add(C(1), exp(s, f64x2.neg(x))));
}

/**
 * sin (c = 0) or cos (c = 1), |x| < 2^20: Cody-Waite with pi/2 in three parts, then the sine or
 * cosine polynomial by quadrant q = (k + c) & 3 (odd: cosine), negated for q >= 2.
 */
export function trig(s: MathScratch, x: Code, c: 0 | 1): Code {
  const [S0, S1, S2, S3] = SIN_S;
  const [C0, C1, C2, C3] = COS_C;
  const xl = s.take(), t = s.take(), k = s.take(), r = s.take(), z = s.take(), z2 = s.take(), q = s.take();
  const out = seq(
    set(xl, x),
    set(t, add(mul(get(xl), C(0.6366197723675814)), C(MAGIC))),
    set(k, sub(get(t), C(MAGIC))),
    set(r, sub(sub(sub(get(xl), mul(get(k), C(1.5707963267341256))), mul(get(k), C(6.077100506303966e-11))), mul(get(k), C(2.0222662487959506e-21)))),
    set(q, v128.and(i64x2.add(i64x2.sub(get(t), i64x2Const(MAGIC_BITS)), i64x2Const(BigInt(c))), i64x2Const(3n))),
    set(z, mul(get(r), get(r))), set(z2, mul(get(z), get(z))),
    v128.xor(
      v128.bitselect(
        add(sub(C(1), mul(C(0.5), get(z))), mul(get(z2), add(add(C(C0), mul(get(z), C(C1))), mul(get(z2), add(C(C2), mul(get(z), C(C3))))))), // cos r
        mul(get(r), add(C(1), mul(get(z), add(add(C(S0), mul(get(z), C(S1))), mul(get(z2), add(C(S2), mul(get(z), C(S3)))))))), // sin r
        i64x2.eq(v128.and(get(q), i64x2Const(1n)), i64x2Const(1n))),
      i64x2.shl(v128.and(get(q), i64x2Const(2n)), i32.const(62))), // q >= 2: flip the sign (a multiply by -1)
  );
  s.give(xl, t, k, r, z, z2, q);
  return out;
}

/** erf32 for non-NaN x: a + a P(a^2) below 1, 1 - e^(-a^2) R(a - 1) below 3.92, 1 above; x's sign. */
export function erf(s: MathScratch, x: Code): Code {
  const [E0, E1, E2, E3, E4, E5, E6] = ERF_P;
  const [R0, R1, R2, R3, R4, R5, R6, R7, R8] = ERF_R;
  const xl = s.take(), a = s.take(), t = s.take(), t2 = s.take(), u = s.take(), u2 = s.take(), u4 = s.take(), lo = s.take(), mid = s.take();
  const out = seq(
    set(xl, x), set(a, f64x2.abs(get(xl))),
    set(t, mul(get(a), get(a))), set(t2, mul(get(t), get(t))),
    set(lo, add(get(a), mul(get(a), add(add(add(C(E0), mul(get(t), C(E1))), mul(get(t2), add(C(E2), mul(get(t), C(E3))))),
      mul(mul(get(t2), get(t2)), add(add(C(E4), mul(get(t), C(E5))), mul(get(t2), C(E6)))))))),
    set(u, sub(get(a), C(1))), set(u2, mul(get(u), get(u))), set(u4, mul(get(u2), get(u2))),
    set(mid, sub(C(1), mul(exp(s, f64x2.neg(mul(get(a), get(a)))),
      add(add(add(C(R0), mul(get(u), C(R1))), mul(get(u2), add(C(R2), mul(get(u), C(R3))))),
        mul(get(u4), add(add(add(C(R4), mul(get(u), C(R5))), mul(get(u2), add(C(R6), mul(get(u), C(R7))))), mul(get(u4), C(R8)))))))),
    copysign(
      v128.bitselect(get(lo), v128.bitselect(get(mid), C(1), f64x2.lt(get(a), C(3.92))), f64x2.lt(get(a), C(1))),
      get(xl)),
  );
  s.give(xl, a, t, t2, u, u2, u4, lo, mid);
  return out;
}
