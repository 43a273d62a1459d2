// Elementwise primitives. Each entry: the CPU row loop, the WGSL expression, the gradient rule.
// Loops write into typed arrays, so a float32 result is rounded once, correctly, on store.
import { Tensor, type TensorLike } from '../tensor.js';
import type { BinaryDef, UnaryDef, KernelDef } from '../opdef.js';
import type { View } from '../backend.js';
import { floatOf, isFloat, promote, promoteScalar, type DType, type TypedArray } from '../dtype.js';
import { broadcastShapes, broadcastStrides } from '../shape.js';
import { forEachRow } from '../cpu/strided.js';
import { asTensor, deviceOf, disposeMade, runOp, scoped } from './core.js';
import { sumTo } from './reduce.js';

// ---------------------------------------------------------------- unary
const GELU_C = Math.sqrt(2 / Math.PI);

export const UNARY = {
  neg: { kind: 'unary', name: 'neg', wgsl: '-x',
    cpu: (x, xi, xs, y, yi, n) => { for (let i = 0; i < n; i++, xi += xs) y[yi + i] = -x[xi]; },
    grad: (dy) => [dy.neg()] },
  exp: { kind: 'unary', name: 'exp', wgsl: 'exp(x)',
    cpu: (x, xi, xs, y, yi, n) => { for (let i = 0; i < n; i++, xi += xs) y[yi + i] = Math.exp(x[xi]); },
    grad: (dy, { out }) => [dy.mul(out)] },
  log: { kind: 'unary', name: 'log', wgsl: 'log(x)',
    cpu: (x, xi, xs, y, yi, n) => { for (let i = 0; i < n; i++, xi += xs) y[yi + i] = Math.log(x[xi]); },
    grad: (dy, { inputs: [x] }) => [dy.div(x)] },
  log1p: { kind: 'unary', name: 'log1p', wgsl: 'log1p(x)', // the WebGPU backend supplies log1p and expm1
    cpu: (x, xi, xs, y, yi, n) => { for (let i = 0; i < n; i++, xi += xs) y[yi + i] = Math.log1p(x[xi]); },
    grad: (dy, { inputs: [x] }) => [dy.div(x.add(1))] },
  expm1: { kind: 'unary', name: 'expm1', wgsl: 'expm1(x)',
    cpu: (x, xi, xs, y, yi, n) => { for (let i = 0; i < n; i++, xi += xs) y[yi + i] = Math.expm1(x[xi]); },
    grad: (dy, { out }) => [dy.mul(out.add(1))] },
  sqrt: { kind: 'unary', name: 'sqrt', wgsl: 'sqrt(x)',
    cpu: (x, xi, xs, y, yi, n) => { for (let i = 0; i < n; i++, xi += xs) y[yi + i] = Math.sqrt(x[xi]); },
    grad: (dy, { out }) => [dy.div(out.mul(2))] },
  rsqrt: { kind: 'unary', name: 'rsqrt', wgsl: 'inverseSqrt(x)',
    cpu: (x, xi, xs, y, yi, n) => { for (let i = 0; i < n; i++, xi += xs) y[yi + i] = 1 / Math.sqrt(x[xi]); },
    grad: (dy, { out }) => [dy.mul(out.pow(3)).mul(-0.5)] },
  abs: { kind: 'unary', name: 'abs', wgsl: 'abs(x)',
    cpu: (x, xi, xs, y, yi, n) => { for (let i = 0; i < n; i++, xi += xs) y[yi + i] = Math.abs(x[xi]); },
    grad: (dy, { inputs: [x] }) => [dy.mul(x.sign())] },
  sign: { kind: 'unary', name: 'sign', wgsl: 'sign(x)',
    cpu: (x, xi, xs, y, yi, n) => { for (let i = 0; i < n; i++, xi += xs) y[yi + i] = Math.sign(x[xi]); },
    grad: () => [null] },
  sin: { kind: 'unary', name: 'sin', wgsl: 'sin(x)',
    cpu: (x, xi, xs, y, yi, n) => { for (let i = 0; i < n; i++, xi += xs) y[yi + i] = Math.sin(x[xi]); },
    grad: (dy, { inputs: [x] }) => [dy.mul(x.cos())] },
  cos: { kind: 'unary', name: 'cos', wgsl: 'cos(x)',
    cpu: (x, xi, xs, y, yi, n) => { for (let i = 0; i < n; i++, xi += xs) y[yi + i] = Math.cos(x[xi]); },
    grad: (dy, { inputs: [x] }) => [dy.mul(x.sin()).neg()] },
  tanh: { kind: 'unary', name: 'tanh', wgsl: 'tanh(x)',
    cpu: (x, xi, xs, y, yi, n) => { for (let i = 0; i < n; i++, xi += xs) y[yi + i] = Math.tanh(x[xi]); },
    grad: (dy, { out }) => [dy.mul(out.square().neg().add(1))] },
  sigmoid: { kind: 'unary', name: 'sigmoid', wgsl: 'select(pg_div(exp(x), 1.0 + exp(x)), pg_div(1.0, 1.0 + exp(-x)), x >= 0.0)',
    cpu: (x, xi, xs, y, yi, n) => {
      for (let i = 0; i < n; i++, xi += xs) {
        const v = x[xi];
        if (v >= 0) y[yi + i] = 1 / (1 + Math.exp(-v));
        else { const e = Math.exp(v); y[yi + i] = e / (1 + e); }
      }
    },
    grad: (dy, { out }) => [dy.mul(out.mul(out.neg().add(1)))] },
  relu: { kind: 'unary', name: 'relu', wgsl: 'select(T(0), x, x > T(0))', // T: the compute type (int32 too)
    cpu: (x, xi, xs, y, yi, n) => {
      let i = 0;
      if (xs === 1) { // unit stride, 4 at a time (see UNROLLED below)
        for (; i + 4 <= n; i += 4, xi += 4) {
          const v0 = x[xi], v1 = x[xi + 1], v2 = x[xi + 2], v3 = x[xi + 3];
          y[yi + i] = v0 > 0 ? v0 : 0; y[yi + i + 1] = v1 > 0 ? v1 : 0; y[yi + i + 2] = v2 > 0 ? v2 : 0; y[yi + i + 3] = v3 > 0 ? v3 : 0;
        }
      }
      for (; i < n; i++, xi += xs) { const v = x[xi]; y[yi + i] = v > 0 ? v : 0; }
    },
    grad: (dy, { inputs: [x] }) => [where(x.gt(0), dy, 0)] },
  // GELU with the tanh approximation (as GPT-2 and PyTorch's approximate='tanh').
  // WGSL: 0.5 (1 + tanh z) = 1 / (1 + e^(-2z)), which does not cancel for negative x in float32.
  gelu: { kind: 'unary', name: 'gelu', wgsl: `pg_div(x, 1.0 + exp(-2.0 * ${GELU_C} * (x + 0.044715 * x * x * x)))`,
    cpu: (x, xi, xs, y, yi, n) => {
      // 0.5 x (1 + tanh z) = x / (1 + e^(-2z)), as the WGSL: Math.exp is ~1.5x faster than Math.tanh in V8.
      for (let i = 0; i < n; i++, xi += xs) { const v = x[xi]; y[yi + i] = v / (1 + Math.exp(-2 * GELU_C * (v + 0.044715 * v * v * v))); }
    },
    // One fused pass (geluGrad below); the composite it replaced took ~12 elementwise passes.
    grad: (dy, { inputs: [x] }) => [geluBackward(x, dy)] },
  silu: { kind: 'unary', name: 'silu', wgsl: 'pg_div(x, 1.0 + exp(-x))',
    cpu: (x, xi, xs, y, yi, n) => { for (let i = 0; i < n; i++, xi += xs) { const v = x[xi]; y[yi + i] = v / (1 + Math.exp(-v)); } },
    grad: (dy, { inputs: [x] }) => { const s = x.sigmoid(); return [dy.mul(s.mul(x.mul(s.neg().add(1)).add(1)))]; } },
  // softplus(x) = log(1 + e^x), written so it neither overflows nor loses precision.
  softplus: { kind: 'unary', name: 'softplus', wgsl: 'max(x, 0.0) + log1p(exp(-abs(x)))',
    cpu: (x, xi, xs, y, yi, n) => { for (let i = 0; i < n; i++, xi += xs) { const v = x[xi]; y[yi + i] = Math.max(v, 0) + Math.log1p(Math.exp(-Math.abs(v))); } },
    grad: (dy, { inputs: [x] }) => [dy.mul(x.sigmoid())] },
  square: { kind: 'unary', name: 'square', wgsl: 'x * x',
    cpu: (x, xi, xs, y, yi, n) => { for (let i = 0; i < n; i++, xi += xs) { const v = x[xi]; y[yi + i] = v * v; } },
    grad: (dy, { inputs: [x] }) => [dy.mul(x).mul(2)] },
  reciprocal: { kind: 'unary', name: 'reciprocal', wgsl: 'pg_div(1.0, x)', // pg_div: correctly rounded (WGSL's / is not)
    cpu: (x, xi, xs, y, yi, n) => { for (let i = 0; i < n; i++, xi += xs) y[yi + i] = 1 / x[xi]; },
    grad: (dy, { out }) => [dy.mul(out.square()).neg()] },
  logicalNot: { kind: 'unary', name: 'logicalNot', wgsl: 'select(1u, 0u, x != 0u)',
    cpu: (x, xi, xs, y, yi, n) => { for (let i = 0; i < n; i++, xi += xs) y[yi + i] = x[xi] ? 0 : 1; } },
  // Casts: the typed-array store converts (float -> int truncates toward zero, as C and PyTorch do).
  copy: { kind: 'unary', name: 'copy', wgsl: 'x',
    cpu: (x, xi, xs, y, yi, n) => { for (let i = 0; i < n; i++, xi += xs) y[yi + i] = x[xi]; },
    grad: (dy, { inputs: [x] }) => [dy.dtype === x.dtype ? dy : cast(dy, x.dtype)] },
  toBool: { kind: 'unary', name: 'toBool', wgsl: 'select(0u, 1u, x != 0 || pg_isnan(x))', // NaN is true; WGSL may fold NaN != 0 to false
    cpu: (x, xi, xs, y, yi, n) => { for (let i = 0; i < n; i++, xi += xs) y[yi + i] = x[xi] !== 0 ? 1 : 0; } },
} satisfies Record<string, UnaryDef>;

function floatInput(x: Tensor): Tensor {
  return isFloat(x.dtype) ? x : cast(x, 'float32');
}

function unaryFloat(def: UnaryDef) {
  return (x: Tensor): Tensor => {
    const xf = floatInput(x);
    return runOp(def, [xf], x.shape, xf.dtype, {});
  };
}

/** Ops that keep integer dtypes (neg, abs, sign, square) run in the input's dtype. */
function unarySame(def: UnaryDef) {
  return (x: Tensor): Tensor => runOp(def, [x.dtype === 'bool' ? cast(x, 'int32') : x], x.shape, x.dtype === 'bool' ? 'int32' : x.dtype, {});
}

export const neg = unarySame(UNARY.neg);
export const abs = unarySame(UNARY.abs);
export const sign = unarySame(UNARY.sign);
export const square = unarySame(UNARY.square);
export const relu = unarySame(UNARY.relu);
export const exp = unaryFloat(UNARY.exp);
export const log = unaryFloat(UNARY.log);
export const log1p = unaryFloat(UNARY.log1p);
export const expm1 = unaryFloat(UNARY.expm1);
export const sqrt = unaryFloat(UNARY.sqrt);
export const rsqrt = unaryFloat(UNARY.rsqrt);
export const sin = unaryFloat(UNARY.sin);
export const cos = unaryFloat(UNARY.cos);
export const tanh = unaryFloat(UNARY.tanh);
export const sigmoid = unaryFloat(UNARY.sigmoid);
export const gelu = unaryFloat(UNARY.gelu);
export const silu = unaryFloat(UNARY.silu);
export const softplus = unaryFloat(UNARY.softplus);
export const reciprocal = unaryFloat(UNARY.reciprocal);

export function logicalNot(x: Tensor): Tensor {
  const b = toBoolTensor(x);
  const out = runOp(UNARY.logicalNot, [b], x.shape, 'bool', {});
  disposeMade([b], [x]);
  return out;
}

function toBoolTensor(x: Tensor): Tensor {
  return x.dtype === 'bool' ? x : cast(x, 'bool');
}

/** Converts to `dtype` (a copy; gradients flow between float dtypes). */
export function cast(x: Tensor, dtype: DType): Tensor {
  if (x.dtype === dtype) return x;
  if (dtype === 'bool') return runOp(UNARY.toBool, [x], x.shape, 'bool', {});
  return runOp(UNARY.copy, [x], x.shape, dtype, {}, isFloat(dtype) && isFloat(x.dtype) ? undefined : []);
}

/** A contiguous copy (or x itself when it already is contiguous). Differentiable. */
export function contiguous(x: Tensor): Tensor {
  if (x.isContiguous) return x;
  return runOp(UNARY.copy, [x], x.shape, x.dtype, {});
}

/** A fresh contiguous copy. Differentiable. */
export function clone(x: Tensor): Tensor {
  return runOp(UNARY.copy, [x], x.shape, x.dtype, {});
}

// ---------------------------------------------------------------- binary
// UNROLLED: the hottest loops (add sub mul div, relu) have a unit-stride path that handles 4
// elements per iteration. V8 re-checks a typed array's map and reloads its data pointer on every
// access in a loop (it does not hoist these checks); in straight-line code it checks once, so
// 4 elements per iteration measured ~35% faster on 1M float32 elements. The result bits are the
// same as the plain loop's (each element is still one operation, rounded once on store).
// The loops are written out per op on purpose: one shared loop taking the operator as a function
// would give every op the same call site, which V8 then stops inlining (a call per element).
export const BINARY = {
  add: { kind: 'binary', name: 'add', wgsl: 'a + b',
    cpu: (a, ai, as, b, bi, bs, y, yi, n) => {
      let i = 0;
      if (as === 1 && bs === 1) { // unit stride, 4 at a time (see UNROLLED above)
        for (; i + 4 <= n; i += 4, ai += 4, bi += 4) {
          const a0 = a[ai], a1 = a[ai + 1], a2 = a[ai + 2], a3 = a[ai + 3];
          const b0 = b[bi], b1 = b[bi + 1], b2 = b[bi + 2], b3 = b[bi + 3];
          y[yi + i] = a0 + b0; y[yi + i + 1] = a1 + b1; y[yi + i + 2] = a2 + b2; y[yi + i + 3] = a3 + b3;
        }
      }
      for (; i < n; i++, ai += as, bi += bs) y[yi + i] = a[ai] + b[bi];
    },
    grad: (dy, { inputs: [a, b] }) => [sumTo(dy, a.shape), sumTo(dy, b.shape)] },
  sub: { kind: 'binary', name: 'sub', wgsl: 'a - b',
    cpu: (a, ai, as, b, bi, bs, y, yi, n) => {
      let i = 0;
      if (as === 1 && bs === 1) { // unit stride, 4 at a time (see UNROLLED above)
        for (; i + 4 <= n; i += 4, ai += 4, bi += 4) {
          const a0 = a[ai], a1 = a[ai + 1], a2 = a[ai + 2], a3 = a[ai + 3];
          const b0 = b[bi], b1 = b[bi + 1], b2 = b[bi + 2], b3 = b[bi + 3];
          y[yi + i] = a0 - b0; y[yi + i + 1] = a1 - b1; y[yi + i + 2] = a2 - b2; y[yi + i + 3] = a3 - b3;
        }
      }
      for (; i < n; i++, ai += as, bi += bs) y[yi + i] = a[ai] - b[bi];
    },
    grad: (dy, { inputs: [a, b] }) => [sumTo(dy, a.shape), b.requiresGrad ? sumTo(dy.neg(), b.shape) : null] },
  mul: { kind: 'binary', name: 'mul', wgsl: 'a * b',
    cpu: (a, ai, as, b, bi, bs, y, yi, n) => {
      let i = 0;
      if (as === 1 && bs === 1) { // unit stride, 4 at a time (see UNROLLED above)
        for (; i + 4 <= n; i += 4, ai += 4, bi += 4) {
          const a0 = a[ai], a1 = a[ai + 1], a2 = a[ai + 2], a3 = a[ai + 3];
          const b0 = b[bi], b1 = b[bi + 1], b2 = b[bi + 2], b3 = b[bi + 3];
          y[yi + i] = a0 * b0; y[yi + i + 1] = a1 * b1; y[yi + i + 2] = a2 * b2; y[yi + i + 3] = a3 * b3;
        }
      }
      for (; i < n; i++, ai += as, bi += bs) y[yi + i] = a[ai] * b[bi];
    },
    grad: (dy, { inputs: [a, b] }) => [a.requiresGrad ? sumTo(dy.mul(b), a.shape) : null, b.requiresGrad ? sumTo(dy.mul(a), b.shape) : null] },
  div: { kind: 'binary', name: 'div', wgsl: 'pg_div(a, b)', // pg_div: correctly rounded (WGSL's / is not)
    cpu: (a, ai, as, b, bi, bs, y, yi, n) => {
      let i = 0;
      if (as === 1 && bs === 1) { // unit stride, 4 at a time (see UNROLLED above)
        for (; i + 4 <= n; i += 4, ai += 4, bi += 4) {
          const a0 = a[ai], a1 = a[ai + 1], a2 = a[ai + 2], a3 = a[ai + 3];
          const b0 = b[bi], b1 = b[bi + 1], b2 = b[bi + 2], b3 = b[bi + 3];
          y[yi + i] = a0 / b0; y[yi + i + 1] = a1 / b1; y[yi + i + 2] = a2 / b2; y[yi + i + 3] = a3 / b3;
        }
      }
      for (; i < n; i++, ai += as, bi += bs) y[yi + i] = a[ai] / b[bi];
    },
    grad: (dy, { inputs: [a, b], out }) => [
      a.requiresGrad ? sumTo(dy.div(b), a.shape) : null,
      b.requiresGrad ? sumTo(dy.mul(out).div(b).neg(), b.shape) : null] },
  pow: { kind: 'binary', name: 'pow', wgsl: 'pow_real(a, b)',
    cpu: (a, ai, as, b, bi, bs, y, yi, n) => { for (let i = 0; i < n; i++, ai += as, bi += bs) y[yi + i] = Math.pow(a[ai], b[bi]); },
    grad: (dy, { inputs: [a, b], out }) => [
      a.requiresGrad ? sumTo(dy.mul(b).mul(pow(a, b.sub(1))), a.shape) : null,
      // d/db a^b = a^b log a; defined as 0 where a <= 0 (the real power is not differentiable in b there).
      b.requiresGrad ? sumTo(where(a.gt(0), dy.mul(out).mul(a.log()), 0), b.shape) : null] },
  // Ties split the gradient evenly between the two inputs.
  maximum: { kind: 'binary', name: 'maximum', wgsl: 'select(b, a, a >= b || pg_isnan(a))', // as the CPU: NaN wins
    cpu: (a, ai, as, b, bi, bs, y, yi, n) => { for (let i = 0; i < n; i++, ai += as, bi += bs) { const u = a[ai], v = b[bi]; y[yi + i] = u >= v || u !== u ? u : v; } },
    grad: (dy, { inputs: [a, b] }) => {
      const w = where(a.gt(b), 1, where(a.eq(b), 0.5, 0));
      return [sumTo(dy.mul(w), a.shape), sumTo(dy.mul(w.neg().add(1)), b.shape)];
    } },
  minimum: { kind: 'binary', name: 'minimum', wgsl: 'select(b, a, a <= b || pg_isnan(a))',
    cpu: (a, ai, as, b, bi, bs, y, yi, n) => { for (let i = 0; i < n; i++, ai += as, bi += bs) { const u = a[ai], v = b[bi]; y[yi + i] = u <= v || u !== u ? u : v; } },
    grad: (dy, { inputs: [a, b] }) => {
      const w = where(a.lt(b), 1, where(a.eq(b), 0.5, 0));
      return [sumTo(dy.mul(w), a.shape), sumTo(dy.mul(w.neg().add(1)), b.shape)];
    } },
  eq: { kind: 'binary', name: 'eq', wgsl: 'a == b',
    cpu: (a, ai, as, b, bi, bs, y, yi, n) => { for (let i = 0; i < n; i++, ai += as, bi += bs) y[yi + i] = a[ai] === b[bi] ? 1 : 0; } },
  ne: { kind: 'binary', name: 'ne', wgsl: 'a != b || pg_isnan(a) || pg_isnan(b)',
    cpu: (a, ai, as, b, bi, bs, y, yi, n) => { for (let i = 0; i < n; i++, ai += as, bi += bs) y[yi + i] = a[ai] !== b[bi] ? 1 : 0; } },
  lt: { kind: 'binary', name: 'lt', wgsl: 'a < b',
    cpu: (a, ai, as, b, bi, bs, y, yi, n) => { for (let i = 0; i < n; i++, ai += as, bi += bs) y[yi + i] = a[ai] < b[bi] ? 1 : 0; } },
  le: { kind: 'binary', name: 'le', wgsl: 'a <= b',
    cpu: (a, ai, as, b, bi, bs, y, yi, n) => { for (let i = 0; i < n; i++, ai += as, bi += bs) y[yi + i] = a[ai] <= b[bi] ? 1 : 0; } },
  gt: { kind: 'binary', name: 'gt', wgsl: 'a > b',
    cpu: (a, ai, as, b, bi, bs, y, yi, n) => { for (let i = 0; i < n; i++, ai += as, bi += bs) y[yi + i] = a[ai] > b[bi] ? 1 : 0; } },
  ge: { kind: 'binary', name: 'ge', wgsl: 'a >= b',
    cpu: (a, ai, as, b, bi, bs, y, yi, n) => { for (let i = 0; i < n; i++, ai += as, bi += bs) y[yi + i] = a[ai] >= b[bi] ? 1 : 0; } },
  logicalAnd: { kind: 'binary', name: 'logicalAnd', wgsl: 'a != 0u && b != 0u',
    cpu: (a, ai, as, b, bi, bs, y, yi, n) => { for (let i = 0; i < n; i++, ai += as, bi += bs) y[yi + i] = a[ai] && b[bi] ? 1 : 0; } },
  logicalOr: { kind: 'binary', name: 'logicalOr', wgsl: 'a != 0u || b != 0u',
    cpu: (a, ai, as, b, bi, bs, y, yi, n) => { for (let i = 0; i < n; i++, ai += as, bi += bs) y[yi + i] = a[ai] || b[bi] ? 1 : 0; } },
  // gelu's backward: geluGrad(x, dy) = dy · gelu'(x), with z = c(x + 0.044715 x³), t = tanh z,
  //   gelu'(x) = (1 + t)/2 + x (1 − t²) z'/2,  z' = c(1 + 3 · 0.044715 x²).
  // Both backends use s = (1 + t)/2 = 1/(1 + e^(−2z)) and 1 − t² = 4s(1 − s): gelu' = s + 2x s(1 − s) z',
  // which does not cancel for negative x in float32 (as gelu's own WGSL), and Math.exp is faster
  // than Math.tanh. Internal: reached through gelu's gradient only.
  geluGrad: { kind: 'binary', name: 'geluGrad',
    wgsl: `b * (pg_div(1.0, 1.0 + exp(-2.0 * ${GELU_C} * (a + 0.044715 * a * a * a))) * (1.0 + 2.0 * a * (1.0 - pg_div(1.0, 1.0 + exp(-2.0 * ${GELU_C} * (a + 0.044715 * a * a * a)))) * ${GELU_C} * (1.0 + ${3 * 0.044715} * a * a)))`,
    cpu: (a, ai, as, b, bi, bs, y, yi, n) => {
      for (let i = 0; i < n; i++, ai += as, bi += bs) {
        const v = a[ai], s = 1 / (1 + Math.exp(-2 * GELU_C * (v + 0.044715 * v * v * v)));
        y[yi + i] = b[bi] * (s + 2 * v * s * (1 - s) * GELU_C * (1 + 3 * 0.044715 * v * v));
      }
    },
    // Differentiable again (higher-order gradients): d/dx = dy · gelu''(x), d/d(dy) = gelu'(x).
    grad: (g, { inputs: [x, dy] }) => [
      x.requiresGrad ? sumTo(g.mul(dy).mul(geluSecond(x)), x.shape) : null,
      dy.requiresGrad ? sumTo(geluBackward(x, g), dy.shape) : null] },
} satisfies Record<string, BinaryDef>;

type Mode = 'arith' | 'float' | 'compare' | 'logical';

/** dy · gelu'(x) (gelu's backward, one pass). Not exported: only gelu's gradient rule uses it. */
function geluBackward(x: Tensor, dy: Tensor): Tensor {
  return geluBackwardOp(x, dy);
}

/**
 * gelu''(x) = (1 − t²) (z' + x (z'' − 2 t z'²) / 2) with z, t, z' as in geluGrad and z'' = 6 · 0.044715 c x,
 * composed from primitives (so third derivatives work too).
 */
function geluSecond(x: Tensor): Tensor {
  const x2 = x.square();
  const t = x.add(x.mul(x2).mul(0.044715)).mul(GELU_C).tanh();
  const z1 = x2.mul(3 * 0.044715).add(1).mul(GELU_C);
  const z2 = x.mul(6 * 0.044715 * GELU_C);
  return t.square().neg().add(1).mul(z1.add(x.mul(z2.sub(t.mul(z1.square()).mul(2))).mul(0.5)));
}

/** The common dtype of two operands, with plain numbers treated as weak (they never widen a float tensor). */
export function resultType(a: TensorLike, b: TensorLike): DType {
  if (a instanceof Tensor && b instanceof Tensor) return promote(a.dtype, b.dtype);
  if (a instanceof Tensor) return promoteScalar(a.dtype, Number(b));
  if (b instanceof Tensor) return promoteScalar(b.dtype, Number(a));
  return Number.isInteger(a) && Number.isInteger(b) ? 'int32' : 'float32';
}

function binary(def: BinaryDef, mode: Mode) {
  return (a: TensorLike, b: TensorLike): Tensor => {
    const device = deviceOf(def.name, a, b);
    let dtype: DType = mode === 'logical' ? 'bool' : resultType(a, b);
    if (mode === 'float') dtype = floatOf(dtype);
    if (dtype === 'bool' && mode === 'arith') dtype = 'int32';
    const ta = castTo(asTensor(a, dtype, device), dtype);
    const tb = castTo(asTensor(b, dtype, device), dtype);
    const shape = broadcastShapes(def.name, ta.shape, tb.shape);
    const outDtype = mode === 'compare' || mode === 'logical' ? 'bool' : dtype;
    const out = runOp(def, [ta, tb], shape, outDtype, {});
    disposeMade([ta, tb], [a, b]);
    return out;
  };
}

function castTo(t: Tensor, dtype: DType): Tensor {
  return t.dtype === dtype ? t : cast(t, dtype);
}

export const add = binary(BINARY.add, 'arith');
export const sub = binary(BINARY.sub, 'arith');
export const mul = binary(BINARY.mul, 'arith');
export const div = binary(BINARY.div, 'float');
export const pow = binary(BINARY.pow, 'float');
export const maximum = binary(BINARY.maximum, 'arith');
export const minimum = binary(BINARY.minimum, 'arith');
export const eq = binary(BINARY.eq, 'compare');
export const ne = binary(BINARY.ne, 'compare');
export const lt = binary(BINARY.lt, 'compare');
export const le = binary(BINARY.le, 'compare');
export const gt = binary(BINARY.gt, 'compare');
export const ge = binary(BINARY.ge, 'compare');
export const logicalAnd = binary(BINARY.logicalAnd, 'logical');
export const logicalOr = binary(BINARY.logicalOr, 'logical');
const geluBackwardOp = binary(BINARY.geluGrad, 'float');

// ---------------------------------------------------------------- where (ternary)
export const WHERE: KernelDef = {
  kind: 'kernel', name: 'where', wgsl: 'select(b, a, c != 0u)',
  cpu: ([c, a, b]: View[], out: View) => {
    const y = out.storage.data as TypedArray;
    const cd = c.storage.data as TypedArray, ad = a.storage.data as TypedArray, bd = b.storage.data as TypedArray;
    const s = [c, a, b].map((v) => broadcastStrides(v.shape, v.strides, out.shape));
    forEachRow(out.shape, s, [c.offset, a.offset, b.offset], (o, n, st, row) => {
      let ci = o[0], ai = o[1], bi = o[2];
      const cs = st[0], as = st[1], bs = st[2], yi = row * n;
      for (let i = 0; i < n; i++, ci += cs, ai += as, bi += bs) y[yi + i] = cd[ci] ? ad[ai] : bd[bi];
    });
  },
  grad: (dy, { inputs: [c, a, b] }) => [
    null,
    a.requiresGrad ? sumTo(where(c, dy, 0), a.shape) : null,
    b.requiresGrad ? sumTo(where(c, 0, dy), b.shape) : null,
  ],
};

/** where(cond, a, b): a where cond is true, else b; broadcasts all three. */
export function where(cond: Tensor, a: TensorLike, b: TensorLike): Tensor {
  const device = deviceOf('where', cond, a, b);
  const dtype = resultType(a, b);
  const ta = castTo(asTensor(a, dtype, device), dtype);
  const tb = castTo(asTensor(b, dtype, device), dtype);
  const c = toBoolTensor(cond);
  const shape = broadcastShapes('where', c.shape, ta.shape, tb.shape);
  const out = runOp(WHERE, [c, ta, tb], shape, dtype, {});
  disposeMade([c, ta, tb], [cond, a, b]);
  return out;
}

export function maskedFill(x: Tensor, mask: Tensor, value: number): Tensor {
  return where(mask, value, x);
}

export const clamp = scoped(function clamp(x: Tensor, min?: number | null, max?: number | null): Tensor {
  let y = x;
  if (min !== undefined && min !== null) y = maximum(y, min);
  if (max !== undefined && max !== null) y = minimum(y, max);
  return y;
});
