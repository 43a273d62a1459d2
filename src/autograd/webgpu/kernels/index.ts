// The WebGPU backend's kernel map: one kernel per op-table entry. Elementwise ops are a WGSL
// expression pasted into one strided kernel (elementwise.ts), reductions an init and a step;
// the rest have kernels of their own. `satisfies` makes a missing entry a compile-time error.
import type { Kernel } from '../../backend.js';
import type { KernelMap, OpsOfKind } from '../../ops/table.js';
import type { Ctx } from '../context.js';
import { wtype } from '../wgsl.js';
import { binarySpec, copy, map, unarySpec, whereSpec } from './elementwise.js';
import { reduce, type ReduceSpec } from './reduce.js';
import { matmul } from './matmul.js';
import { cat, place } from './shape.js';
import { argsort, gather, scatterAdd } from './indexing.js';
import { cumsum } from './scan.js';
import { fold, unfold } from './conv.js';
import { fill } from './fill.js';

const GELU_C = Math.sqrt(2 / Math.PI);

/**
 * WGSL expressions of `x` (the element, in the compute type `T`). exp, log, sin, ... are the math
 * library's (math.ts), which shadows WGSL's loosely specified builtins; pg_div is the correctly
 * rounded division (WGSL's `/` is not).
 */
export const UNARY_WGSL = {
  neg: '-x',
  exp: 'exp(x)',
  log: 'log(x)',
  log1p: 'log1p(x)',
  expm1: 'expm1(x)',
  sqrt: 'sqrt(x)',
  rsqrt: 'inverseSqrt(x)',
  abs: 'abs(x)',
  sign: 'sign(x)',
  sin: 'sin(x)',
  cos: 'cos(x)',
  tanh: 'tanh(x)',
  sigmoid: 'select(pg_div(exp(x), 1.0 + exp(x)), pg_div(1.0, 1.0 + exp(-x)), x >= 0.0)',
  erf: 'erf(x)',
  relu: 'select(T(0), x, x > T(0))', // T: the compute type (int32 too)
  // 0.5 (1 + tanh z) = 1 / (1 + e^(-2z)), which does not cancel for negative x in float32.
  gelu: `pg_div(x, 1.0 + exp(-2.0 * ${GELU_C} * (x + 0.044715 * x * x * x)))`,
  silu: 'pg_div(x, 1.0 + exp(-x))',
  softplus: 'max(x, 0.0) + log1p(exp(-abs(x)))',
  softsign: 'pg_div(x, 1.0 + abs(x))',
  square: 'x * x',
  reciprocal: 'pg_div(1.0, x)',
  logicalNot: 'select(1u, 0u, x != 0u)',
  copy: 'x',
  toBool: 'select(0u, 1u, x != 0 || pg_isnan(x))', // NaN is true; WGSL may fold NaN != 0 to false
} satisfies Record<OpsOfKind<'unary'>, string>;

/** WGSL expressions of `a` and `b`. */
export const BINARY_WGSL = {
  add: 'a + b',
  sub: 'a - b',
  mul: 'a * b',
  div: 'pg_div(a, b)',
  pow: 'pow_real(a, b)',
  maximum: 'select(b, a, a >= b || pg_isnan(a))', // as the CPU: NaN wins
  minimum: 'select(b, a, a <= b || pg_isnan(a))',
  eq: 'a == b',
  ne: 'a != b || pg_isnan(a) || pg_isnan(b)',
  lt: 'a < b',
  le: 'a <= b',
  gt: 'a > b',
  ge: 'a >= b',
  logicalAnd: 'a != 0u && b != 0u',
  logicalOr: 'a != 0u || b != 0u',
} satisfies Record<OpsOfKind<'binary'>, string>;

/** Reductions: the initial accumulator and how an element `v` (index `i`) folds into `acc`. */
export const REDUCE_WGSL = {
  sum: { init: '0.0', step: 'acc + v' },
  prod: { init: '1.0', step: 'acc * v' },
  max: { init: '-inf', step: 'select(acc, v, v > acc || pg_isnan(v))' },
  min: { init: 'inf', step: 'select(acc, v, v < acc || pg_isnan(v))' },
  argmax: { init: '-inf', step: 'v > acc || pg_isnan(v)', index: true },
  argmin: { init: 'inf', step: 'v < acc || pg_isnan(v)', index: true },
} satisfies Record<OpsOfKind<'reduce'>, Omit<ReduceSpec, 'name'>>;

/** One kernel per expression/spec of `table`, named by its key. */
function each<T extends Record<string, unknown>>(table: T, make: (name: string, v: T[keyof T]) => Kernel): { [K in keyof T]: Kernel } {
  const out = {} as { [K in keyof T]: Kernel };
  for (const k of Object.keys(table) as (keyof T & string)[]) out[k] = make(k, table[k]);
  return out;
}

export function webgpuKernels(ctx: Ctx): KernelMap {
  return {
    ...each(UNARY_WGSL, (name, expr) => (inputs, out) =>
      map(ctx, unarySpec(name, expr, wtype(inputs[0].dtype), wtype(out.dtype)), inputs, out)),
    // A same-dtype copy moves bits (NaN payloads and -0 survive); casts convert with `x`.
    copy: (inputs, out) => inputs[0].dtype === out.dtype
      ? copy(ctx, inputs[0], out)
      : map(ctx, unarySpec('copy', UNARY_WGSL.copy, wtype(inputs[0].dtype), wtype(out.dtype)), inputs, out),
    ...each(BINARY_WGSL, (name, expr) => (inputs, out) =>
      map(ctx, binarySpec(name, expr, wtype(inputs[0].dtype), wtype(out.dtype)), inputs, out)),
    // where(c, a, b) selects bits, so it is exact for every dtype.
    where: (inputs, out) => map(ctx, whereSpec('select(b, a, c != 0u)'), inputs, out),
    ...each(REDUCE_WGSL, (name, spec) => (inputs, out, attrs) => reduce(ctx, { name, ...spec }, inputs[0], out, attrs)),
    cumsum: (inputs, out, attrs) => cumsum(ctx, inputs, out, attrs),
    matmul: (inputs, out, attrs) => matmul(ctx, inputs, out, attrs),
    place: (inputs, out, attrs) => place(ctx, inputs, out, attrs),
    cat: (inputs, out, attrs) => cat(ctx, inputs, out, attrs),
    gather: (inputs, out, attrs) => gather(ctx, inputs, out, attrs),
    scatterAdd: (inputs, out, attrs) => scatterAdd(ctx, inputs, out, attrs),
    argsort: (inputs, out, attrs) => argsort(ctx, inputs, out, attrs),
    unfold: (inputs, out, attrs) => unfold(ctx, inputs, out, attrs),
    fold: (inputs, out, attrs) => fold(ctx, inputs, out, attrs),
    fill: (inputs, out, attrs) => fill(ctx, inputs, out, attrs),
  } satisfies KernelMap;
}
