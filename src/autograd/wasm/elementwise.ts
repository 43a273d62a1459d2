// Elementwise kernels in WebAssembly SIMD, emitted for an expression over strided, broadcast
// operands: one op (the kernel map's unary/binary/where entries) or a chain of them (fusion,
// fusion.ts). Every node rounds as the pure-JS kernels round (each op's result is stored as its
// dtype before the next op reads it), so a fused chain has the bits of the ops run one by one.
//
// Lanes: float32 values are computed 4 at a time as f32x4 where one wasm instruction is the op
// (+ - * / sqrt, bit operations: f32x4 arithmetic is IEEE float32, i.e. the correctly rounded
// result the JS kernels get by rounding a double), and 2 at a time in float64 where the JS kernel
// computes in doubles (the math library, mathlib.ts; 1/sqrt; x/(1+|x|)). float64 tensors use f64x2
// for the ops whose JS kernels are plain double arithmetic; their transcendentals call Math.* in
// JS (engine-dependent) and keep the JS kernel. Bools are lane masks (all ones or zero).
//
// The kernel: run(p0, outer0, inner0, p1, ..., y, rows, n) walks `rows` rows of `n` elements;
// operand k's element (r, j) is at p_k + r*outer_k + j*inner_k (bytes), the output is contiguous.
// Each operand's inner stride has a class fixed in the module (unit, zero: broadcast, any), so
// unit-stride operands load 16 bytes at once.
import type { DType } from '../dtype.js';
import type { FusedNode } from '../fusion.js';
import {
  F64, I32, V128, ModuleBuilder, block, brIf, call, f32, f32x4, f64, f64x2, get, i16x8, i32, i32x4, i64, i64x2, i8x16, ifElse,
  loop, seq, set, v128, type Code, type Func,
} from './emit.js';
import * as M from './mathlib.js';
import { copysign, i64x2Const } from './mathlib.js';
import { EXP_Q, LN2_HI, LN2_LO, cos32, erf32, exp32, expm1_32, log1p32, log32, sigmoid32, sin32, tanh32 } from '../math.js';

/** An expression: an input operand, or an op-table op (by name) of other nodes, with its dtype. */
export type Node = FusedNode;

export type StrideClass = 'unit' | 'zero' | 'any';
export interface Operand { readonly dtype: DType; readonly stride: StrideClass }

const GELU_C = Math.sqrt(2 / Math.PI);
const GELU_K = -2 * GELU_C;

/**
 * The float32 ops computed in float64 lanes: their JS kernels' per-element formulas (the host
 * function, also what runs for lanes outside the main path), the main path for two lanes, and
 * which lanes are outside it.
 */
interface MathOp {
  host: (x: number) => number;
  main: (s: M.MathScratch, x: number) => Code;
  edge?: (x: number) => Code;
}
const C = f64x2.const;
const outside = (x: number, lo: number, hi: number): Code => v128.not(v128.and(f64x2.gt(get(x), C(lo)), f64x2.lt(get(x), C(hi))));
const MATH32: Record<string, MathOp> = {
  exp: { host: exp32, main: (s, x) => M.exp(s, get(x)), edge: (x) => outside(x, -700, 700) },
  expm1: { host: expm1_32, main: (s, x) => v128.bitselect(get(x), M.expm1Core(s, get(x)), f64x2.eq(get(x), C(0))), edge: (x) => outside(x, -40, 700) },
  log: { host: log32, main: (s, x) => M.log(s, get(x)), edge: (x) => v128.not(v128.and(f64x2.ge(get(x), C(2.2250738585072014e-308)), f64x2.lt(get(x), C(1e300)))) },
  log1p: { host: log1p32, main: (s, x) => M.log1p(s, get(x)), edge: (x) => outside(x, -1, 1e300) },
  tanh: { host: tanh32, main: (s, x) => M.tanh(s, get(x)) },
  sigmoid: { host: sigmoid32, main: (s, x) => M.sigmoid(s, get(x)), edge: (x) => outside(x, -700, 700) },
  sin: { host: sin32, main: (s, x) => M.trig(s, get(x), 0), edge: (x) => outside(x, -1048576, 1048576) },
  cos: { host: cos32, main: (s, x) => M.trig(s, get(x), 1), edge: (x) => outside(x, -1048576, 1048576) },
  erf: { host: erf32, main: (s, x) => M.erf(s, get(x)), edge: (x) => f64x2.ne(get(x), get(x)) },
  // The CPU loops' formulas (cpu/elementwise.ts), operation for operation.
  gelu: {
    host: (v) => v / (1 + exp32(GELU_K * (v + 0.044715 * v * v * v))),
    main: (s, x) => f64x2.div(get(x), f64x2.add(C(1), M.exp(s, geluArg(x)))),
    edge: (x) => v128.not(v128.and(f64x2.gt(geluArg(x), C(-700)), f64x2.lt(geluArg(x), C(700)))),
  },
  silu: { host: (v) => v / (1 + exp32(-v)), main: (s, x) => f64x2.div(get(x), f64x2.add(C(1), M.exp(s, f64x2.neg(get(x))))), edge: (x) => outside(x, -700, 700) },
  softplus: {
    host: (v) => (v > 0 ? v : 0) + log1p32(exp32(v > 0 ? -v : v)),
    main: (s, x) => f64x2.add(
      v128.bitselect(get(x), C(0), f64x2.gt(get(x), C(0))),
      M.log1p(s, M.exp(s, v128.bitselect(f64x2.neg(get(x)), get(x), f64x2.gt(get(x), C(0)))))),
    edge: (x) => outside(x, -700, 700),
  },
  softsign: { host: (v) => v / (1 + Math.abs(v)), main: (_, x) => f64x2.div(get(x), f64x2.add(C(1), f64x2.abs(get(x)))) },
  rsqrt: { host: (v) => 1 / Math.sqrt(v), main: (_, x) => f64x2.div(C(1), f64x2.sqrt(get(x))) },
};
/** The host functions elementwise modules may import (js.<op>): the JS per-element formulas. */
export const HOST_FNS: Record<string, (x: number) => number> = Object.fromEntries(Object.entries(MATH32).map(([op, d]) => [op, d.host]));

function geluArg(x: number): Code {
  return f64x2.mul(C(GELU_K), f64x2.add(get(x), f64x2.mul(f64x2.mul(f64x2.mul(C(0.044715), get(x)), get(x)), get(x))));
}

const splat32 = (u: number): Code => v128.const(Array.from({ length: 16 }, (_, j) => (u >>> (8 * (j % 4))) & 0xff));
const F32_ONE = 0x3f800000;

/** Ops on 4 float32 lanes (f32x4), bools as i32 masks, by op name; `a` are the argument locals. */
const LANES4: Record<string, (a: number[]) => Code> = {
  add: ([x, y]) => f32x4.add(get(x), get(y)),
  sub: ([x, y]) => f32x4.sub(get(x), get(y)),
  mul: ([x, y]) => f32x4.mul(get(x), get(y)),
  div: ([x, y]) => f32x4.div(get(x), get(y)),
  // NaN wins, ties keep a (cpu: u >= v || u !== u ? u : v): pmax is u < v ? v : u; a NaN v is put back.
  maximum: ([x, y]) => v128.bitselect(get(y), f32x4.pmax(get(x), get(y)), f32x4.ne(get(y), get(y))),
  minimum: ([x, y]) => v128.bitselect(get(y), f32x4.pmin(get(x), get(y)), f32x4.ne(get(y), get(y))),
  eq: ([x, y]) => f32x4.eq(get(x), get(y)), ne: ([x, y]) => f32x4.ne(get(x), get(y)),
  lt: ([x, y]) => f32x4.lt(get(x), get(y)), le: ([x, y]) => f32x4.le(get(x), get(y)),
  gt: ([x, y]) => f32x4.gt(get(x), get(y)), ge: ([x, y]) => f32x4.ge(get(x), get(y)),
  logicalAnd: ([x, y]) => v128.and(get(x), get(y)), logicalOr: ([x, y]) => v128.or(get(x), get(y)),
  where: ([c, x, y]) => v128.bitselect(get(x), get(y), get(c)),
  neg: ([x]) => f32x4.neg(get(x)),
  abs: ([x]) => v128.and(get(x), splat32(0x7fffffff)),
  square: ([x]) => f32x4.mul(get(x), get(x)),
  reciprocal: ([x]) => f32x4.div(f32x4.const(1), get(x)),
  sqrt: ([x]) => f32x4.sqrt(get(x)),
  // The CPU's bit-pattern loops: relu clears negatives (sign bit set) and NaN; sign gives ±1 for
  // nonzero numbers and keeps 0, -0 and NaN.
  relu: ([x]) => v128.andnot(get(x), v128.or(i32x4.shr_s(get(x), i32.const(31)),
    i32x4.shr_s(i32x4.sub(splat32(0x7f800000), v128.and(get(x), splat32(0x7fffffff))), i32.const(31)))),
  sign: ([x]) => v128.bitselect(
    v128.or(splat32(F32_ONE), v128.and(get(x), splat32(0x80000000))), get(x),
    v128.andnot(i32x4.shr_s(i32x4.sub(v128.zero(), v128.and(get(x), splat32(0x7fffffff))), i32.const(31)),
      i32x4.shr_s(i32x4.sub(splat32(0x7f800000), v128.and(get(x), splat32(0x7fffffff))), i32.const(31)))),
  toBool: ([x]) => f32x4.ne(get(x), f32x4.const(0)), // NaN is true
  logicalNot: ([x]) => v128.not(get(x)),
  copy: ([x]) => get(x),
};

const SIGN64 = 0x8000000000000000n;
/** Ops on 2 float64 lanes (f64x2), bools as i64 masks: the float64 kernels that are plain double arithmetic. */
const LANES2: Record<string, (a: number[]) => Code> = {
  add: ([x, y]) => f64x2.add(get(x), get(y)),
  sub: ([x, y]) => f64x2.sub(get(x), get(y)),
  mul: ([x, y]) => f64x2.mul(get(x), get(y)),
  div: ([x, y]) => f64x2.div(get(x), get(y)),
  maximum: ([x, y]) => v128.bitselect(get(y), f64x2.pmax(get(x), get(y)), f64x2.ne(get(y), get(y))),
  minimum: ([x, y]) => v128.bitselect(get(y), f64x2.pmin(get(x), get(y)), f64x2.ne(get(y), get(y))),
  eq: ([x, y]) => f64x2.eq(get(x), get(y)), ne: ([x, y]) => f64x2.ne(get(x), get(y)),
  lt: ([x, y]) => f64x2.lt(get(x), get(y)), le: ([x, y]) => f64x2.le(get(x), get(y)),
  gt: ([x, y]) => f64x2.gt(get(x), get(y)), ge: ([x, y]) => f64x2.ge(get(x), get(y)),
  logicalAnd: ([x, y]) => v128.and(get(x), get(y)), logicalOr: ([x, y]) => v128.or(get(x), get(y)),
  where: ([c, x, y]) => v128.bitselect(get(x), get(y), get(c)),
  neg: ([x]) => f64x2.neg(get(x)),
  abs: ([x]) => v128.andnot(get(x), i64x2Const(SIGN64)),
  square: ([x]) => f64x2.mul(get(x), get(x)),
  reciprocal: ([x]) => f64x2.div(C(1), get(x)),
  sqrt: ([x]) => f64x2.sqrt(get(x)),
  rsqrt: ([x]) => f64x2.div(C(1), f64x2.sqrt(get(x))),
  softsign: ([x]) => f64x2.div(get(x), f64x2.add(C(1), f64x2.abs(get(x)))),
  relu: ([x]) => v128.and(get(x), f64x2.gt(get(x), C(0))), // v > 0 ? v : 0
  sign: ([x]) => v128.bitselect(copysign(C(1), get(x)), get(x), v128.and(f64x2.ne(get(x), C(0)), f64x2.eq(get(x), get(x)))),
  toBool: ([x]) => f64x2.ne(get(x), C(0)),
  logicalNot: ([x]) => v128.not(get(x)),
  copy: ([x]) => get(x),
};

/**
 * 'fast' precision: float32 ops computed in float32 lanes with the WebGPU backend's algorithms
 * (webgpu/math.ts: the same reduction and coefficient tables, evaluated in float32), within the
 * op's declared tolerance of the reference and 4 lanes at a time instead of 2.
 */
const FAST4: Record<string, (a: number[], t: number[]) => Code> = {
  // e^x = 2^k (1 + r + r^2 Q(r)), k = round(x log2 e), r = x - k ln 2 (Cody-Waite, two parts);
  // 2^k applied in two exact steps (k = k1 + k2), so results near the ends round once.
  // x is first clamped to [-150, 128] (pmin/pmax keep a NaN x), where those steps overflow to inf
  // and underflow to 0 by themselves: no selects at the end. Q(r) by Estrin's scheme, not Horner's:
  // a shorter dependency chain (the loop is latency-bound: measured 1.4x with the clamp).
  exp: ([x], [k, r, ki]) => {
    const [Q0, Q1, Q2, Q3, Q4, Q5] = EXP_Q;
    const C4 = f32x4.const, add = f32x4.add, mul = f32x4.mul;
    const pow2 = (e: Code) => i32x4.shl(i32x4.add(e, splat32(127)), i32.const(23));
    // k holds the clamped x until r is known, then r^2 (locals are scarce: the caller gives three)
    return seq(
      set(k, f32x4.pmax(f32x4.pmin(get(x), C4(128)), C4(-150))),
      // k = round(x log2 e) by adding 1.5 * 2^23 (its low bits then hold k), r = x - k ln 2
      set(ki, add(mul(get(k), C4(Math.LOG2E)), C4(12582912))),
      set(r, f32x4.sub(get(ki), C4(12582912))),
      set(r, f32x4.sub(f32x4.sub(get(k), mul(get(r), C4(LN2_HI))), mul(get(r), C4(LN2_LO)))),
      set(ki, i32x4.sub(get(ki), splat32(0x4b400000))),
      set(k, mul(get(r), get(r))),
      set(r, add(C4(1), add(get(r), mul(get(k), add(add(add(C4(Q0), mul(get(r), C4(Q1))), mul(get(k), add(C4(Q2), mul(get(r), C4(Q3))))),
        mul(mul(get(k), get(k)), add(C4(Q4), mul(get(r), C4(Q5))))))))),
      mul(mul(get(r), pow2(i32x4.shr_s(get(ki), i32.const(1)))), pow2(i32x4.sub(get(ki), i32x4.shr_s(get(ki), i32.const(1))))),
    );
  },
};

/**
 * A float64-lane op on the two lanes in local x, into local r: the main path, then, if a lane is
 * outside it, the host function (import index `host`) for both lanes.
 */
export function mathLanes(s: M.MathScratch, op: string, host: number, x: number, r: number): Code {
  const def = MATH32[op];
  return seq(
    set(r, def.main(s, x)),
    def.edge ? ifElse(v128.any_true(def.edge(x)), [
      set(r, f64x2.replace_lane(f64x2.splat(call(host, f64x2.extract_lane(get(x), 0))), 1, call(host, f64x2.extract_lane(get(x), 1)))),
    ]) : [],
  );
}

/**
 * The four float32 lanes of local a through a float64-lane computation (x -> r, two lanes at a
 * time), rounded back to float32 lanes: the value of the code. tmp: three v128 scratch locals.
 */
export function viaF64(a: number, tmp: readonly number[], op2: (x: number, r: number) => Code): Code {
  const [lo, hi, r] = tmp;
  return seq(
    set(lo, f64x2.promote_low_f32x4(get(a))),
    op2(lo, r), set(lo, get(r)),
    set(hi, f64x2.promote_low_f32x4(v128.shuffle(get(a), get(a), [8, 9, 10, 11, 12, 13, 14, 15, 8, 9, 10, 11, 12, 13, 14, 15]))),
    op2(hi, r),
    v128.shuffle(f32x4.demote_f64x2_zero(get(lo)), f32x4.demote_f64x2_zero(get(r)), [0, 1, 2, 3, 4, 5, 6, 7, 16, 17, 18, 19, 20, 21, 22, 23]),
  );
}

/** 'fast' float32 e^x of the four lanes of local x (FAST4.exp); tmp: three v128 scratch locals. */
export const fastExp4 = (x: number, tmp: number[]): Code => FAST4.exp([x], tmp);

const isF = (d: DType) => d === 'float32' || d === 'float64';
/** Float64-lane op code up to this size is inlined, up to a budget per module (see buildElementwise). */
const INLINE_BYTES = 700, INLINE_BUDGET = 2800;

/**
 * Whether this node's op, with these argument dtypes, has a wasm lane implementation: the dtypes
 * it computes on are float32 (4 lanes) or float64 (2 lanes) with bools beside them; int32 stays
 * with the JS kernels (their float-to-int conversions wrap, wasm's saturate).
 */
export function supported(op: string, args: readonly DType[], out: DType): boolean {
  const wide = out === 'float64' || args.includes('float64');
  const fl: DType = wide ? 'float64' : 'float32';
  if (args.some((d) => d !== fl && d !== 'bool') && !(op === 'copy' && args[0] === 'int32' && out === 'float32')) return false;
  if (out !== fl && out !== 'bool') return false;
  const table = wide ? LANES2 : LANES4;
  if (op === 'copy') return args[0] === out || (args[0] === 'bool' && isF(out)) || (args[0] === 'int32' && out === 'float32');
  if (op === 'where') return args[0] === 'bool' && args[1] === out && args[2] === out;
  if (op in table) {
    const boolOps = ['logicalAnd', 'logicalOr', 'logicalNot'];
    if (boolOps.includes(op)) return args.every((d) => d === 'bool') && out === 'bool';
    if (['eq', 'ne', 'lt', 'le', 'gt', 'ge', 'toBool'].includes(op)) return args.every((d) => d === fl) && out === 'bool';
    return args.every((d) => d === fl) && out === fl;
  }
  return !wide && op in MATH32 && args.length === 1 && args[0] === 'float32' && out === 'float32';
}

/** Bytes per element. */
const esOf = (d: DType) => (d === 'float64' ? 8 : d === 'bool' ? 1 : 4);

/** A canonical key of an expression alone. */
export function treeKey(n: Node): string {
  return n.t === 'in' ? `$${n.i}` : `${n.op}:${n.dtype}(${n.args.map(treeKey).join(',')})`;
}

/** Whether an expression holds a float32 op computed in float64 lanes (the math library): worth storing rather than recomputing. */
export function usesMath(n: Node): boolean {
  return n.t === 'op' && (n.op in MATH32 || n.args.some(usesMath));
}

/** A canonical key of an expression and its operands (the kernel cache key). */
export function exprKey(root: Node, ins: readonly Operand[], out: DType, fast = false): string {
  return `ew${fast ? ' fast' : ''} ${treeKey(root)} -> ${out} | ${ins.map((o) => `${o.dtype}/${o.stride}`).join(' ')}`;
}

/** Builds the module of one expression: export `run(p0, outer0, inner0, ..., y, rows, n)`. */
export function buildElementwise(m: ModuleBuilder, root: Node, ins: readonly Operand[], out: DType, fast = false): void {
  const nodes: Extract<Node, { t: 'op' }>[] = [];
  const seen = new Set<Node>();
  const visit = (n: Node) => {
    if (seen.has(n)) return;
    seen.add(n);
    if (n.t === 'op') { n.args.forEach(visit); nodes.push(n); }
  };
  visit(root);
  const wide = out === 'float64' || ins.some((o) => o.dtype === 'float64');
  const W = wide ? 2 : 4;

  // Host imports: the JS formula of each float64-lane op, for lanes outside its main path.
  const hostIndex = new Map<string, number>();
  const inFast = (n: Extract<Node, { t: 'op' }>) => fast && !wide && n.op in FAST4 && n.dtype === 'float32';
  for (const n of nodes) if (!wide && n.op in MATH32 && !inFast(n) && !hostIndex.has(n.op)) hostIndex.set(n.op, m.importFunc('js', n.op, [F64], [F64]));

  const mathCode = (s: M.MathScratch, op: string, x: number, r: number): Code => mathLanes(s, op, hostIndex.get(op)!, x, r);
  // Short ones are inlined where used (three times: two halves of a group, the tail; measured ~1.5x
  // on exp over a call per half); long ones are a function of the module, to stay under 4 KiB.
  const helper = new Map<string, number>();
  let inlined = 0; // bytes of inlined math code, each op's code appearing 4 times (2 halves, group and tail)
  for (const op of hostIndex.keys()) {
    const probe = new ModuleBuilder().func(null, [V128], [V128]).f;
    const bytes = mathCode(new M.MathScratch(probe), op, 0, probe.local(V128)).length;
    if (bytes <= INLINE_BYTES && inlined + 4 * bytes <= INLINE_BUDGET) { inlined += 4 * bytes; continue; }
    const { f: hf, index } = m.func(null, [V128], [V128]);
    const r = hf.local(V128);
    hf.hoistConstants(() => hf.emit(mathCode(new M.MathScratch(hf), op, 0, r), get(r)));
    helper.set(op, index);
  }

  const nIn = ins.length;
  const { f } = m.func('run', [...new Array(3 * nIn).fill(I32), I32, I32, I32]);
  const scratch = new M.MathScratch(f);
  const math2 = (op: string, x: number, r: number): Code => {
    const h = helper.get(op);
    return h === undefined ? mathCode(scratch, op, x, r) : set(r, call(h, get(x)));
  };
  const P = (k: number) => 3 * k, OUTER = (k: number) => 3 * k + 1, INNER = (k: number) => 3 * k + 2;
  const Y = 3 * nIn, ROWS = Y + 1, N = Y + 2;
  const cur = f.locals(I32, nIn);
  const [row, i, yp, end] = f.locals(I32, 4);
  const inVal = f.locals(V128, nIn);
  const val = new Map<Node, number>();
  const tmp = f.locals(V128, 3);
  const esOut = esOf(out);

  /** Loads operand k's next W elements (group) or its next one, splat to all lanes (single). */
  const loadIn = (k: number, single: boolean): Code => {
    const o = ins[k], es = esOf(o.dtype);
    const at = (j: number): Code => (j === 0 ? get(cur[k]) : i32.add(get(cur[k]), i32.mul(get(INNER(k)), i32.const(j))));
    if (o.dtype === 'bool') {
      // bytes -> lane masks
      if (single || o.stride === 'zero') {
        const b = i32.load8u(get(cur[k]));
        return wide ? i64x2.ne(i64x2.splat(i64.extend_i32_u(b)), v128.zero()) : i32x4.ne(i32x4.splat(b), v128.zero());
      }
      if (wide) {
        const b1 = o.stride === 'unit' ? i32.load8u(get(cur[k]), 1) : i32.load8u(at(1));
        return i64x2.ne(i64x2.replace_lane(i64x2.splat(i64.extend_i32_u(i32.load8u(get(cur[k])))), 1, i64.extend_i32_u(b1)), v128.zero());
      }
      if (o.stride === 'unit') return i32x4.ne(i32x4.extend_low_i16x8_u(i16x8.extend_low_i8x16_u(v128.load32_zero(get(cur[k])))), v128.zero());
      let v = i32x4.splat(i32.load8u(get(cur[k])));
      for (let j = 1; j < 4; j++) v = i32x4.replace_lane(v, j, i32.load8u(at(j)));
      return i32x4.ne(v, v128.zero());
    }
    if (wide) { // float64, two lanes
      if (single || o.stride === 'zero') return v128.load64_splat(get(cur[k]));
      if (o.stride === 'unit') return v128.load(get(cur[k]));
      return f64x2.replace_lane(f64x2.splat(f64.load(get(cur[k]))), 1, f64.load(at(1)));
    }
    // float32 or int32, four lanes
    if (single || o.stride === 'zero') return v128.load32_splat(get(cur[k]));
    if (o.stride === 'unit') return v128.load(get(cur[k]));
    let v = v128.load32_splat(get(cur[k]));
    for (let j = 1; j < 4; j++) v = i32x4.replace_lane(v, j, i32.load(at(j)));
    void es;
    return v;
  };

  /** The node's value from its arguments' values (locals), in the lanes of this module. */
  const opCode = (n: Extract<Node, { t: 'op' }>, a: number[]): Code => {
    const argDt = n.args.map((x) => (x.t === 'in' ? ins[x.i].dtype : x.dtype));
    if (n.op === 'copy' && argDt[0] !== n.dtype) {
      if (argDt[0] === 'bool') return v128.and(get(a[0]), wide ? C(1) : f32x4.const(1));
      return f32x4.convert_i32x4_s(get(a[0])); // int32 -> float32 (round to nearest even)
    }
    if (inFast(n)) return FAST4[n.op](a, tmp);
    if (!wide && n.op in MATH32) return viaF64(a[0], tmp, (x, r) => math2(n.op, x, r));
    const impl = (wide ? LANES2 : LANES4)[n.op];
    if (!impl) throw new Error(`internal: no wasm lanes for ${n.op}`);
    return impl(a);
  };

  /** Evaluates the expression for the current position: loads, then nodes in order. */
  const evaluate = (single: boolean): Code => {
    const code: Code[] = ins.map((_, k) => set(inVal[k], loadIn(k, single)));
    for (const n of nodes) {
      let l = val.get(n);
      if (l === undefined) { l = f.local(V128); val.set(n, l); }
      code.push(set(l, opCode(n, n.args.map((x) => (x.t === 'in' ? inVal[x.i] : val.get(x)!)))));
    }
    return seq(...code);
  };
  const rootVal = (): Code => get(root.t === 'in' ? inVal[root.i] : val.get(root)!);

  /** Stores the group's W results (or the single's lane 0) at yp. */
  const store = (single: boolean): Code => {
    if (out === 'bool') {
      if (single) return i32.store8(get(yp), i32.and(wide ? i32.wrap_i64(i64x2.extract_lane(rootVal(), 0)) : i32x4.extract_lane(rootVal(), 0), i32.const(1)));
      if (wide) return seq(
        i32.store8(get(yp), i32.and(i32.wrap_i64(i64x2.extract_lane(rootVal(), 0)), i32.const(1))),
        i32.store8(get(yp), i32.and(i32.wrap_i64(i64x2.extract_lane(rootVal(), 1)), i32.const(1)), 1));
      const ones = v128.and(rootVal(), splat32(1));
      return v128.store32_lane0(get(yp), i8x16.narrow_i16x8_u(i16x8.narrow_i32x4_u(ones, ones), v128.zero()));
    }
    if (single) return wide ? f64.store(get(yp), f64x2.extract_lane(rootVal(), 0)) : v128.store32_lane0(get(yp), rootVal());
    return v128.store(get(yp), rootVal());
  };

  /** Advances every operand by `count` elements. */
  const advance = (count: number): Code => seq(
    ...ins.map((o, k) => (o.stride === 'zero' ? [] : set(cur[k], i32.add(get(cur[k]),
      o.stride === 'unit' ? i32.const(count * esOf(o.dtype)) : i32.mul(get(INNER(k)), i32.const(count)))))),
    set(yp, i32.add(get(yp), i32.const(count * esOut))),
  );

  f.hoistConstants(() => f.emit(
    set(yp, get(Y)),
    set(row, i32.const(0)),
    block(loop(
      brIf(1, i32.ge_u(get(row), get(ROWS))),
      ...ins.map((_, k) => set(cur[k], i32.add(get(P(k)), i32.mul(get(row), get(OUTER(k)))))),
      set(i, i32.const(0)),
      set(end, i32.sub(get(N), i32.const(W - 1))),
      block(loop( // groups of W
        brIf(1, i32.ge_s(get(i), get(end))),
        evaluate(false), store(false), advance(W),
        set(i, i32.add(get(i), i32.const(W))),
        [0x0c, 0], // br 0
      )),
      block(loop( // the rest, one by one
        brIf(1, i32.ge_s(get(i), get(N))),
        evaluate(true), store(true), advance(1),
        set(i, i32.add(get(i), i32.const(1))),
        [0x0c, 0],
      )),
      set(row, i32.add(get(row), i32.const(1))),
      [0x0c, 0],
    )),
  ));
  void f32; void (null as unknown as Func);
}
