// Elementwise primitives: each entry declares the op's gradient rule, where useful an equivalent
// composite of other primitives, and the examples the tests run it on. The kernels live in the
// backends' kernel maps (cpu/elementwise.ts, webgpu/kernels/index.ts), under the same names.
import { Tensor, type TensorLike } from '../tensor.js';
import type { Domain, Example, OpDef } from '../opdef.js';
import { bools, ints, normal, uniform, values } from '../opdef.js';
import { floatOf, isFloat, promote, promoteScalar, type DType } from '../dtype.js';
import { broadcastShapes } from '../shape.js';
import { asTensor, deviceOf, disposeMade, runOp, scoped, sumTo } from './core.js';

// ---------------------------------------------------------------- examples
/**
 * A unary op's examples: a [3, 4] input from `d` (gradient-checked), the same through a transposed
 * view (strided), a dense [64, 64] draw for the backends' ulp statistics, and int32 inputs for the
 * ops that keep integer dtypes.
 */
function unaryExamples(f: (x: Tensor) => Tensor, d: (shape: number[]) => Domain, opts: { ints?: boolean; grad?: boolean } = {}): Example[] {
  const ex: Example[] = [
    { inputs: [d([3, 4])], call: f, grad: opts.grad },
    { note: 'strided', inputs: [d([4, 3])], call: (x) => f(x.transpose()), grad: opts.grad },
    { note: 'dense', inputs: [d([64, 64])], call: f, grad: false },
  ];
  if (opts.ints) ex.push({ note: 'int32', inputs: [ints([5, 6], -20, 20)], call: f, grad: false });
  return ex;
}

/** A binary op's examples: same shapes, broadcasting both ways, rank 3 against a row, a scalar operand, and int32. */
function binaryExamples(f: (a: Tensor, b: TensorLike) => Tensor, da: (s: number[]) => Domain, db: (s: number[]) => Domain = da, opts: { ints?: boolean; grad?: boolean } = {}): Example[] {
  const ex: Example[] = [
    { inputs: [da([3, 4]), db([3, 4])], call: f, grad: opts.grad },
    { note: 'broadcast [3,1] x [1,4]', inputs: [da([3, 1]), db([1, 4])], call: f, grad: opts.grad },
    { note: 'broadcast [2,3,4] x [4]', inputs: [da([2, 3, 4]), db([4])], call: f, grad: opts.grad },
    { note: 'a 0-d operand', inputs: [da([4]), db([])], call: f, grad: opts.grad },
    { note: 'transposed operand', inputs: [da([4, 3]), db([3, 4])], call: (a, b) => f(a.transpose(), b), grad: opts.grad },
    { note: 'dense', inputs: [da([64, 64]), db([64, 64])], call: f, grad: false },
  ];
  if (opts.ints) ex.push({ note: 'int32', inputs: [ints([6, 8], -1000, 1000), ints([8], -1000, 1000)], call: f, grad: false });
  return ex;
}

const real = (scale = 1, away = 0) => (s: number[]) => normal(s, scale, away);
const between = (lo: number, hi: number) => (s: number[]) => uniform(s, lo, hi);

// ---------------------------------------------------------------- unary
const GELU_C = Math.sqrt(2 / Math.PI);

export const UNARY = {
  neg: { kind: 'unary', name: 'neg',
    grad: (dy) => [dy.neg()],
    composite: ([x]) => x.mul(-1),
    check: { examples: unaryExamples((x) => neg(x), real(), { ints: true }) } },
  exp: { kind: 'unary', name: 'exp',
    grad: (dy, { out }) => [dy.mul(out)],
    check: { examples: unaryExamples((x) => exp(x), real(3)), tol: { ulp: 2 } } },
  log: { kind: 'unary', name: 'log',
    grad: (dy, { inputs: [x] }) => [dy.div(x)],
    check: { examples: unaryExamples((x) => log(x), between(0.05, 50)), tol: { ulp: 2 } } },
  log1p: { kind: 'unary', name: 'log1p',
    grad: (dy, { inputs: [x] }) => [dy.div(x.add(1))],
    check: { examples: unaryExamples((x) => log1p(x), between(-0.9, 5)), tol: { ulp: 2 } } },
  expm1: { kind: 'unary', name: 'expm1',
    grad: (dy, { out }) => [dy.mul(out.add(1))],
    check: { examples: unaryExamples((x) => expm1(x), real(2)), tol: { ulp: 2 } } },
  sqrt: { kind: 'unary', name: 'sqrt',
    grad: (dy, { out }) => [dy.div(out.mul(2))],
    check: { examples: unaryExamples((x) => sqrt(x), between(0.05, 4)) } },
  rsqrt: { kind: 'unary', name: 'rsqrt',
    grad: (dy, { out }) => [dy.mul(out.pow(3)).mul(-0.5)],
    composite: ([x]) => x.sqrt().reciprocal(),
    check: { examples: unaryExamples((x) => rsqrt(x), between(0.05, 100)), tol: { ulp: 2 } } },
  abs: { kind: 'unary', name: 'abs',
    grad: (dy, { inputs: [x] }) => [dy.mul(x.sign())],
    check: { examples: unaryExamples((x) => abs(x), real(1, 0.05), { ints: true }) } },
  // WGSL's sign of NaN is unspecified: the special values skip NaN (examples below cover the rest).
  sign: { kind: 'unary', name: 'sign',
    grad: () => [null],
    check: { special: false, examples: [...unaryExamples((x) => sign(x), real(1, 0.05), { ints: true }),
      { note: 'zeros and infinities', inputs: [values([0, -0, 2, -3, Infinity, -Infinity, 1e-20, -1e-30])], call: (x) => sign(x), grad: false }] } },
  // sin/cos on WebGPU degrade beyond |x| = 12868 (docs/webgpu.md), so special values stop at 1000.
  sin: { kind: 'unary', name: 'sin',
    grad: (dy, { inputs: [x] }) => [dy.mul(x.cos())],
    check: { special: false, tol: { ulp: 2 }, examples: [...unaryExamples((x) => sin(x), real(3)),
      { note: 'large arguments', inputs: [uniform([200], -1000, 1000)], call: (x) => sin(x), grad: false },
      { note: 'extremes', inputs: [values([0, -0, 1e-30, -1e-30, Infinity, -Infinity, NaN, 1e-6])], call: (x) => sin(x), grad: false }] } },
  cos: { kind: 'unary', name: 'cos',
    grad: (dy, { inputs: [x] }) => [dy.mul(x.sin()).neg()],
    check: { special: false, tol: { ulp: 2 }, examples: [...unaryExamples((x) => cos(x), real(3)),
      { note: 'large arguments', inputs: [uniform([200], -1000, 1000)], call: (x) => cos(x), grad: false },
      { note: 'extremes', inputs: [values([0, -0, 1e-30, -1e-30, Infinity, -Infinity, NaN, 1e-6])], call: (x) => cos(x), grad: false }] } },
  tanh: { kind: 'unary', name: 'tanh',
    grad: (dy, { out }) => [dy.mul(out.square().neg().add(1))],
    check: { examples: unaryExamples((x) => tanh(x), real(3)), tol: { ulp: 2 } } },
  sigmoid: { kind: 'unary', name: 'sigmoid',
    grad: (dy, { out }) => [dy.mul(out.mul(out.neg().add(1)))],
    composite: ([x]) => x.neg().exp().add(1).reciprocal(),
    check: { examples: unaryExamples((x) => sigmoid(x), real(5)), tol: { ulp: 3 } } },
  erf: { kind: 'unary', name: 'erf',
    grad: (dy, { inputs: [x] }) => [dy.mul(x.square().neg().exp().mul(2 / Math.sqrt(Math.PI)))],
    check: { examples: unaryExamples((x) => erf(x), real(2)), tol: { ulp: 1 } } },
  relu: { kind: 'unary', name: 'relu',
    grad: (dy, { inputs: [x] }) => [where(x.gt(0), dy, 0)],
    check: { examples: unaryExamples((x) => relu(x), real(1, 0.05), { ints: true }) } },
  // GELU with the tanh approximation (as GPT-2 and PyTorch's approximate='tanh'): gelu(x, {approximate:
  // 'tanh'}). The default, exact gelu is a composite of erf (below).
  gelu: { kind: 'unary', name: 'gelu',
    grad: (dy, { inputs: [x] }) => {
      const x2 = x.square();
      const t = x.add(x.mul(x2).mul(0.044715)).mul(GELU_C).tanh();
      const dt = t.square().neg().add(1).mul(x2.mul(3 * 0.044715).add(1)).mul(GELU_C);
      return [dy.mul(t.add(1).mul(0.5).add(x.mul(dt).mul(0.5)))];
    },
    // x / (1 + e^(-2z)) = 0.5 x (1 + tanh z), without the cancellation of 1 + tanh z for x < 0.
    composite: ([x]) => x.div(x.add(x.pow(3).mul(0.044715)).mul(-2 * GELU_C).exp().add(1)),
    // Float32 code (WebGPU, the composite) rounds the argument z, which costs about 2|z| ulp: more
    // than 32 below x = -5, where |gelu x| < 1e-12 and an absolute 1e-12 (`tiny`) applies.
    check: { examples: unaryExamples((x) => gelu(x, { approximate: 'tanh' }), real(2)), tol: { ulp: 32, tiny: 1e-12 } } },
  silu: { kind: 'unary', name: 'silu',
    grad: (dy, { inputs: [x] }) => { const s = x.sigmoid(); return [dy.mul(s.mul(x.mul(s.neg().add(1)).add(1)))]; },
    composite: ([x]) => x.mul(x.sigmoid()),
    check: { examples: unaryExamples((x) => silu(x), real(5)), tol: { ulp: 4 } } },
  // softplus(x) = log(1 + e^x), written so it neither overflows nor loses precision.
  softplus: { kind: 'unary', name: 'softplus',
    grad: (dy, { inputs: [x] }) => [dy.mul(x.sigmoid())],
    composite: ([x]) => x.maximum(0).add(x.abs().neg().exp().log1p()),
    check: { examples: unaryExamples((x) => softplus(x), real(5)), tol: { ulp: 3 } } },
  // softsign(x) = x / (1 + |x|): the worked example of docs/engine.md (adding a unary op).
  softsign: { kind: 'unary', name: 'softsign',
    grad: (dy, { inputs: [x] }) => [dy.div(x.abs().add(1).square())],
    composite: ([x]) => x.div(x.abs().add(1)),
    check: { examples: unaryExamples((x) => softsign(x), real(3)), tol: { ulp: 1 } } },
  square: { kind: 'unary', name: 'square',
    grad: (dy, { inputs: [x] }) => [dy.mul(x).mul(2)],
    composite: ([x]) => x.mul(x),
    check: { examples: unaryExamples((x) => square(x), real(), { ints: true }) } },
  reciprocal: { kind: 'unary', name: 'reciprocal',
    grad: (dy, { out }) => [dy.mul(out.square()).neg()],
    composite: ([x]) => div(1, x),
    check: { examples: unaryExamples((x) => reciprocal(x), real(1, 0.2)) } },
  logicalNot: { kind: 'unary', name: 'logicalNot',
    check: { examples: [{ inputs: [bools([5, 7])], call: (x) => logicalNot(x) }, { note: 'from floats', inputs: [values([0, 1.5, NaN, -0, -2])], call: (x) => logicalNot(x) }] } },
  // Casts and copies: the typed-array store converts (float -> int truncates toward zero, as C and PyTorch do).
  copy: { kind: 'unary', name: 'copy',
    grad: (dy, { inputs: [x] }) => [dy.dtype === x.dtype ? dy : cast(dy, x.dtype)],
    check: { examples: [
      { note: 'clone', inputs: [normal([3, 4])], call: (x) => clone(x) },
      { note: 'contiguous copy of a view', inputs: [normal([4, 3])], call: (x) => contiguous(x.transpose()) },
      { note: 'float -> int32 -> float', inputs: [normal([30], 40)], call: (x) => [cast(x, 'int32'), cast(cast(x, 'int32'), 'float32')], grad: false },
      { note: 'bool and int32 -> float', inputs: [bools([9]), ints([9], -3, 3)], call: (b, i) => [cast(b, 'float32'), cast(b, 'int32'), cast(i, 'float32')], grad: false },
    ] } },
  // NaN is true, as in PyTorch.
  toBool: { kind: 'unary', name: 'toBool',
    check: { examples: [{ inputs: [normal([30], 40)], call: (x) => cast(x, 'bool') }, { note: 'int32', inputs: [ints([9], -3, 3)], call: (x) => cast(x, 'bool') }] } },
} satisfies Record<string, OpDef>;

function floatInput(x: Tensor): Tensor {
  return isFloat(x.dtype) ? x : cast(x, 'float32');
}

function unaryFloat(def: OpDef) {
  return (x: Tensor): Tensor => {
    const xf = floatInput(x);
    return runOp(def, [xf], x.shape, xf.dtype, {});
  };
}

/** Ops that keep integer dtypes (neg, abs, sign, square, relu) run in the input's dtype (bool as int32). */
function unarySame(def: OpDef) {
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
export const erf = unaryFloat(UNARY.erf);
const geluTanh = unaryFloat(UNARY.gelu);
export const silu = unaryFloat(UNARY.silu);
export const softplus = unaryFloat(UNARY.softplus);
export const softsign = unaryFloat(UNARY.softsign);
export const reciprocal = unaryFloat(UNARY.reciprocal);

export interface GeluOpts {
  /** 'none' (default, as PyTorch): x Φ(x) = x (1 + erf(x / √2)) / 2; 'tanh': GPT-2's approximation. */
  approximate?: 'none' | 'tanh';
}

const geluErf = scoped(function gelu(x: Tensor): Tensor {
  const xf = floatInput(x);
  return xf.mul(0.5).mul(erf(xf.mul(Math.SQRT1_2)).add(1));
});

/** GELU: exact (erf) by default, or the tanh approximation with {approximate: 'tanh'}. */
export function gelu(x: Tensor, opts: GeluOpts = {}): Tensor {
  const a = opts.approximate ?? 'none';
  if (a === 'tanh') return geluTanh(x);
  if (a !== 'none') throw new Error(`gelu: approximate must be 'none' or 'tanh', got ${JSON.stringify(a)}`);
  return geluErf(x);
}

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
  return runOp(UNARY.copy, [x], x.shape, dtype, {}, isFloat(dtype) && isFloat(x.dtype) ? undefined : { gradInputs: [] });
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
const nonzero = (s: number[]) => normal(s, 1, 0.3);

export const BINARY = {
  add: { kind: 'binary', name: 'add',
    grad: (dy, { inputs: [a, b] }) => [sumTo(dy, a.shape), sumTo(dy, b.shape)],
    check: { examples: [...binaryExamples((a, b) => add(a, b), real(10), real(0.1), { ints: true }), { note: 'scalar', inputs: [normal([3, 4])], call: (a) => add(a, 2.5) }] } },
  sub: { kind: 'binary', name: 'sub',
    grad: (dy, { inputs: [a, b] }) => [sumTo(dy, a.shape), b.requiresGrad ? sumTo(dy.neg(), b.shape) : null],
    check: { examples: [...binaryExamples((a, b) => sub(a, b), real(10), real(0.1), { ints: true }), { note: 'scalar first', inputs: [normal([3, 4])], call: (b) => sub(-3, b) }] } },
  mul: { kind: 'binary', name: 'mul',
    grad: (dy, { inputs: [a, b] }) => [a.requiresGrad ? sumTo(dy.mul(b), a.shape) : null, b.requiresGrad ? sumTo(dy.mul(a), b.shape) : null],
    check: { examples: [...binaryExamples((a, b) => mul(a, b), real(10), real(0.1), { ints: true }), { note: 'scalar', inputs: [normal([3, 4])], call: (a) => mul(a, 2.5) }] } },
  div: { kind: 'binary', name: 'div',
    grad: (dy, { inputs: [a, b], out }) => [
      a.requiresGrad ? sumTo(dy.div(b), a.shape) : null,
      b.requiresGrad ? sumTo(dy.mul(out).div(b).neg(), b.shape) : null],
    check: { examples: [...binaryExamples((a, b) => div(a, b), real(10), nonzero),
      { note: 'int32 -> float32', inputs: [ints([5, 6], -100, 100), ints([6], 1, 9)], call: (a, b) => div(a, b), grad: false },
      { note: 'scalar', inputs: [normal([3, 4])], call: (a) => div(a, 7) }] } },
  pow: { kind: 'binary', name: 'pow',
    grad: (dy, { inputs: [a, b], out }) => [
      a.requiresGrad ? sumTo(dy.mul(b).mul(pow(a, b.sub(1))), a.shape) : null,
      // d/db a^b = a^b log a; defined as 0 where a <= 0 (the real power is not differentiable in b there).
      b.requiresGrad ? sumTo(where(a.gt(0), dy.mul(out).mul(a.log()), 0), b.shape) : null],
    // exp(b log a) in float32 on WebGPU; integer exponents 2 and 3 are exact there.
    check: { special: false, tol: { ulp: 16 }, examples: [
      ...binaryExamples((a, b) => pow(a, b), between(0.5, 2), real()),
      { note: 'real exponents', inputs: [uniform([20, 20], 0.1, 10), uniform([20], -3, 3)], call: (a, b) => pow(a, b), grad: false },
      { note: 'integer exponents', inputs: [normal([20], 3)], call: (a) => [pow(a, 2), pow(a, 3), pow(a, 1), pow(a, 0)] },
      { note: 'negative base, integer exponent', inputs: [uniform([4, 5], -4, -0.25), values([-3, -2, 3, 4, 5])], call: (a, b) => pow(a, b), grad: false }] } },
  // Ties split the gradient evenly between the two inputs; NaN wins.
  maximum: { kind: 'binary', name: 'maximum',
    grad: (dy, { inputs: [a, b] }) => {
      const w = where(a.gt(b), 1, where(a.eq(b), 0.5, 0));
      return [sumTo(dy.mul(w), a.shape), sumTo(dy.mul(w.neg().add(1)), b.shape)];
    },
    check: { examples: [...binaryExamples((a, b) => maximum(a, b), real(), real(), { ints: true }),
      { note: 'NaN and ties', inputs: [values([1, NaN, 2, NaN, 0, -0, 3]), values([NaN, 1, 2, NaN, -0, 0, -3])], call: (a, b) => maximum(a, b), grad: false }] } },
  minimum: { kind: 'binary', name: 'minimum',
    grad: (dy, { inputs: [a, b] }) => {
      const w = where(a.lt(b), 1, where(a.eq(b), 0.5, 0));
      return [sumTo(dy.mul(w), a.shape), sumTo(dy.mul(w.neg().add(1)), b.shape)];
    },
    check: { examples: [...binaryExamples((a, b) => minimum(a, b), real(), real(), { ints: true }),
      { note: 'NaN and ties', inputs: [values([1, NaN, 2, NaN, 0, -0, 3]), values([NaN, 1, 2, NaN, -0, 0, -3])], call: (a, b) => minimum(a, b), grad: false }] } },
  eq: { kind: 'binary', name: 'eq', check: { examples: compareExamples((a, b) => eq(a, b)) } },
  ne: { kind: 'binary', name: 'ne', check: { examples: compareExamples((a, b) => ne(a, b)) } },
  lt: { kind: 'binary', name: 'lt', check: { examples: compareExamples((a, b) => lt(a, b)) } },
  le: { kind: 'binary', name: 'le', check: { examples: compareExamples((a, b) => le(a, b)) } },
  gt: { kind: 'binary', name: 'gt', check: { examples: compareExamples((a, b) => gt(a, b)) } },
  ge: { kind: 'binary', name: 'ge', check: { examples: compareExamples((a, b) => ge(a, b)) } },
  logicalAnd: { kind: 'binary', name: 'logicalAnd',
    check: { examples: [{ inputs: [bools([4, 1]), bools([5])], call: (a, b) => logicalAnd(a, b) }, { note: 'from numbers', inputs: [values([0, 1.5, NaN, -2]), ints([3, 1], 0, 2)], call: (a, b) => logicalAnd(a, b) }] } },
  logicalOr: { kind: 'binary', name: 'logicalOr',
    check: { examples: [{ inputs: [bools([4, 1]), bools([5])], call: (a, b) => logicalOr(a, b) }, { note: 'from numbers', inputs: [values([0, 1.5, NaN, -2]), ints([3, 1], 0, 2)], call: (a, b) => logicalOr(a, b) }] } },
} satisfies Record<string, OpDef>;

/** Comparisons: NaN, -0 and infinities against a column, equal integers, and bools. */
function compareExamples(f: (a: Tensor, b: Tensor) => Tensor): Example[] {
  return [
    { inputs: [values([1, 2, NaN, 3, -0, Infinity]), values([1, NaN, 0], 'float', [3, 1])], call: f },
    { note: 'int32 with ties', inputs: [ints([10], 0, 3), ints([10], 0, 3)], call: f },
    { note: 'bool', inputs: [bools([2]), bools([3, 1])], call: f },
    { note: 'dense', inputs: [normal([64, 64]), normal([64])], call: f },
  ];
}

type Mode = 'arith' | 'float' | 'compare' | 'logical';

/** The common dtype of two operands, with plain numbers treated as weak (they never widen a float tensor). */
export function resultType(a: TensorLike, b: TensorLike): DType {
  if (a instanceof Tensor && b instanceof Tensor) return promote(a.dtype, b.dtype);
  if (a instanceof Tensor) return promoteScalar(a.dtype, Number(b));
  if (b instanceof Tensor) return promoteScalar(b.dtype, Number(a));
  return Number.isInteger(a) && Number.isInteger(b) ? 'int32' : 'float32';
}

function binary(def: OpDef, mode: Mode) {
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

// ---------------------------------------------------------------- where (ternary)
export const WHERE = {
  kind: 'ternary', name: 'where',
  grad: (dy, { inputs: [c, a, b] }) => [
    null,
    a.requiresGrad ? sumTo(where(c, dy, 0), a.shape) : null,
    b.requiresGrad ? sumTo(where(c, 0, dy), b.shape) : null,
  ],
  check: { examples: [
    { note: 'broadcast', inputs: [bools([3, 1]), normal([1, 4]), normal([3, 4])], call: (c, a, b) => where(c, a, b) },
    { note: 'int32 and a scalar', inputs: [bools([3]), ints([3], 0, 9)], call: (c, a) => where(c, a, 7), grad: false },
    { note: 'maskedFill with -inf', inputs: [normal([5, 5]), bools([5, 5])], call: (x, m) => maskedFill(x, m, -Infinity), grad: false },
  ] },
} satisfies OpDef;

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
