// Creating tensors: from data, constants (the `fill` op), ranges, and seeded random draws.
import { Tensor, type NestedArray } from '../tensor.js';
import type { Device } from '../backend.js';
import type { OpDef } from '../opdef.js';
import { normal as drawn } from '../opdef.js';
import { arrayFor, checkDType, dtypeOfArray, DTYPES, isFloat, type DType, type TypedArray } from '../dtype.js';
import { fmt, sizeOf } from '../shape.js';
import { getBackend, getDefaultDevice } from '../devices.js';
import { fromTyped, runOp, scoped } from './core.js';
import { realize } from '../memory.js';
import * as R from '../random.js';
import { checkInPlace } from '../engine.js';
import {
  op, CREATE, RANDOM, options, opt, either, tensor as tensorArg, shape as shapeArg, number, finite, nonNegative, prob, int, size,
  count, bool, dtype as dtypeArg, device as deviceArg, generator, oneOf, any, MAX_ELEMENTS, show, fail, asShape, type Rule,
} from '../args.js';

export interface CreateOpts {
  dtype?: DType;
  device?: Device;
  requiresGrad?: boolean;
}

function finish(t: Tensor, opts: CreateOpts): Tensor {
  if (opts.requiresGrad) t.requiresGrad_(true);
  return t;
}

function inferShape(data: NestedArray): number[] {
  const shape: number[] = [];
  let x: NestedArray = data;
  while (Array.isArray(x)) {
    shape.push(x.length);
    x = x[0];
  }
  return shape;
}

function flattenInto(data: NestedArray, shape: number[], d: number, out: TypedArray, at: { i: number }): void {
  if (d === shape.length) {
    if (Array.isArray(data)) throw new Error('tensor: ragged nested array (too deep at some position)');
    if (typeof data !== 'number' && typeof data !== 'boolean') throw new Error(`tensor: expected numbers or booleans, got ${show(data)}`);
    out[at.i++] = Number(data);
    return;
  }
  if (!Array.isArray(data) || data.length !== shape[d])
    throw new Error(`tensor: ragged nested array: expected length ${shape[d]} at depth ${d}, got ${Array.isArray(data) ? data.length : 'a scalar'}`);
  for (const v of data) flattenInto(v, shape, d + 1, out, at);
}

function firstLeaf(data: NestedArray): number | boolean | undefined {
  let x: NestedArray = data;
  while (Array.isArray(x)) {
    if (x.length === 0) return undefined;
    x = x[0];
  }
  return x;
}

/**
 * The values `dtype` must hold exactly, checked once over data being converted anyway: int32 takes
 * integers in its range (no truncation, no wrap-around), bool takes anything (nonzero is true, as
 * casts do); floats round as usual.
 */
function representable(op: string, dtype: DType, src: ArrayLike<number>): void {
  if (dtype !== 'int32') return;
  for (let i = 0; i < src.length; i++) {
    const v = src[i];
    if (!(Number.isInteger(v) && v >= -2147483648 && v <= 2147483647))
      throw new Error(`${op}: value ${show(v)} at index ${i} cannot be stored exactly as int32 (integers in [-2^31, 2^31) only; round or cast it first)`);
  }
}

/** The data of pg.tensor: a number, a boolean, a (nested) array of them, or a typed array. */
const tensorData: Rule = {
  kind: 'tensorData', types: ['number', 'boolean', 'array'], what: 'a number, a boolean, a nested array or a typed array', bad: [undefined, null, 'x', {}],
  check: (v, o, name) => {
    if (typeof v === 'number' || typeof v === 'boolean' || Array.isArray(v)) return v;
    if (v instanceof Float32Array || v instanceof Float64Array || v instanceof Int32Array || v instanceof Uint8Array) return v;
    return fail(o, name, 'a number, a boolean, a nested array or a Float32Array, Float64Array, Int32Array or Uint8Array', v);
  },
};

/** pg.tensor(nested arrays | typed array | number, {dtype, device, requiresGrad, shape}). */
export const tensor = op('tensor', { data: tensorData, opts: options({ ...CREATE, shape: opt(shapeArg) }) }, function tensor(data: NestedArray | TypedArray, opts: CreateOpts & { shape?: readonly number[] } = {}): Tensor {
  const device = opts.device ?? getDefaultDevice();
  let arr: TypedArray;
  let shape: readonly number[];
  let dtype: DType;
  if (ArrayBuffer.isView(data)) {
    dtype = opts.dtype ? checkDType(opts.dtype, 'tensor') : dtypeOfArray(data);
    shape = opts.shape ?? [data.length];
    if (sizeOf(shape) !== data.length) throw new Error(`tensor: ${data.length} values do not fill shape ${fmt(shape)}`);
    arr = data;
  } else {
    const nested = inferShape(data);
    const leaf = firstLeaf(data);
    dtype = opts.dtype ? checkDType(opts.dtype, 'tensor') : typeof leaf === 'boolean' ? 'bool' : 'float32';
    // Integer and bool tensors are staged in float64, so that the values can be checked (int32) or
    // read as truth values (bool: 2 is true, not a bool byte holding 2).
    arr = arrayFor(isFloat(dtype) ? dtype : 'float64', sizeOf(nested));
    flattenInto(data, nested, 0, arr, { i: 0 });
    shape = opts.shape ?? nested;
    if (sizeOf(shape) !== arr.length) throw new Error(`tensor: ${arr.length} values do not fill shape ${fmt(shape)}`);
  }
  if (dtypeOfArray(arr) !== dtype) {
    representable('tensor', dtype, arr);
    const conv = arrayFor(dtype, arr.length);
    for (let i = 0; i < arr.length; i++) conv[i] = dtype === 'bool' ? (arr[i] ? 1 : 0) : arr[i];
    arr = conv;
  }
  return finish(fromTyped(arr, shape, dtype, device), opts);
});

/** Sets every element of the output to attrs.value (no inputs: runOp is told the device). */
export const FILL: OpDef<{ value: number }> = {
  kind: 'kernel', name: 'fill',
  check: { examples: [
    { note: 'like an input', inputs: [drawn([3, 4])], call: (x) => [fullLike(x, 2.5), zerosLike(x), onesLike(x, { dtype: 'int32' }), fullLike(x, 1, { dtype: 'bool' })] },
    { note: 'special values', inputs: [drawn([5])], call: (x) => [fullLike(x, -Infinity), fullLike(x, NaN), fullLike(x, -0), fullLike(x, 2 ** 31 - 1, { dtype: 'int32' }), fullLike(x, -(2 ** 31), { dtype: 'int32' })], grad: false },
  ] },
};

/** A fill value: a number or a boolean. */
const fillValue = either(number, bool);

function fill(op: string, shape: readonly number[], value: number | boolean, opts: CreateOpts): Tensor {
  const dtype = opts.dtype ?? (typeof value === 'boolean' ? 'bool' : 'float32');
  // The typed-array store's conversion, once, on the CPU: every backend then fills the same bits.
  const v = arrayFor(dtype, 1);
  const num = Number(value);
  representable(op, dtype, [num]);
  v[0] = dtype === 'bool' ? (num ? 1 : 0) : num;
  return finish(runOp(FILL, [], shape, dtype, { value: v[0] }, { device: opts.device ?? getDefaultDevice() }), opts);
}

/** shape: an array of sizes, or one size (zeros(3) is zeros([3]), as in PyTorch). */
export const full = op('full', { shape: shapeArg, value: fillValue, opts: options(CREATE) },
  (shape: number | readonly number[], value: number | boolean, opts: CreateOpts = {}): Tensor => fill('full', asShape(shape), value, opts));
export const zeros = op('zeros', { shape: shapeArg, opts: options(CREATE) },
  (shape: number | readonly number[], opts: CreateOpts = {}): Tensor => fill('zeros', asShape(shape), 0, opts));
export const ones = op('ones', { shape: shapeArg, opts: options(CREATE) },
  (shape: number | readonly number[], opts: CreateOpts = {}): Tensor => fill('ones', asShape(shape), 1, opts));
const likeOpts = (t: Tensor, opts: CreateOpts): CreateOpts => ({ dtype: t.dtype, device: t.device, ...opts });
export const zerosLike = op('zerosLike', { t: tensorArg, opts: options(CREATE) },
  (t: Tensor, opts: CreateOpts = {}): Tensor => fill('zerosLike', t.shape, 0, likeOpts(t, opts)));
export const onesLike = op('onesLike', { t: tensorArg, opts: options(CREATE) },
  (t: Tensor, opts: CreateOpts = {}): Tensor => fill('onesLike', t.shape, 1, likeOpts(t, opts)));
export const fullLike = op('fullLike', { t: tensorArg, value: fillValue, opts: options(CREATE) },
  (t: Tensor, v: number | boolean, opts: CreateOpts = {}): Tensor => fill('fullLike', t.shape, v, likeOpts(t, opts)));

/** Fills a float64 staging array, checks it fits `dtype` and uploads it. */
function fromValues(op: string, values: Float64Array, shape: readonly number[], dtype: DType, opts: CreateOpts): Tensor {
  representable(op, dtype, values);
  const arr = isFloat(dtype) && dtype === 'float64' ? values : arrayFor(dtype, values.length);
  if (arr !== values) for (let i = 0; i < values.length; i++) arr[i] = dtype === 'bool' ? (values[i] ? 1 : 0) : values[i];
  return finish(fromTyped(arr, shape, dtype, opts.device ?? getDefaultDevice()), opts);
}

const createOpts = options(CREATE);
const finiteOrOpts = opt(either(finite, createOpts));

/** arange(end) or arange(start, end, step); int32 when all arguments are integers. */
export const arange = op('arange', { a: finite, b: finiteOrOpts, c: finiteOrOpts, opts: createOpts },
  function arange(a: number, b?: number | CreateOpts, c?: number | CreateOpts, d?: CreateOpts): Tensor {
    const nums = [a, b, c].filter((v): v is number => typeof v === 'number');
    const opts = ([b, c, d].find((v) => typeof v === 'object') ?? {}) as CreateOpts;
    const [start, end, step] = nums.length === 1 ? [0, nums[0], 1] : nums.length === 2 ? [nums[0], nums[1], 1] : nums;
    if (step === 0) throw new Error('arange: step must be non-zero');
    const n = Math.max(0, Math.ceil((end - start) / step));
    if (n > MAX_ELEMENTS) throw new Error(`arange: [${start}, ${end}) in steps of ${step} has ${n} elements, more than a tensor can hold (${MAX_ELEMENTS})`);
    const dtype = opts.dtype ?? (nums.every(Number.isInteger) ? 'int32' : 'float32');
    const values = new Float64Array(n);
    for (let i = 0; i < n; i++) values[i] = start + i * step;
    return fromValues('arange', values, [n], dtype, opts);
  });

export const linspace = op('linspace', { start: finite, end: finite, steps: size, opts: createOpts },
  function linspace(start: number, end: number, steps: number, opts: CreateOpts = {}): Tensor {
    const values = new Float64Array(steps);
    for (let i = 0; i < steps; i++) values[i] = steps === 1 ? start : start + ((end - start) * i) / (steps - 1);
    return fromValues('linspace', values, [steps], opts.dtype ?? 'float32', opts);
  });

/** eye(n), eye(n, m), eye(n, opts) or eye(n, m, opts). */
export const eye = op('eye', { n: size, m: opt(either(size, createOpts)), opts: createOpts },
  function eye(n: number, m?: number | CreateOpts, opts: CreateOpts = {}): Tensor {
    if (typeof m === 'object') [m, opts] = [n, m];
    const cols = m ?? n;
    if (n * cols > MAX_ELEMENTS) throw new Error(`eye: ${n} x ${cols} has ${n * cols} elements, more than a tensor can hold (${MAX_ELEMENTS})`);
    const dtype = opts.dtype ?? 'float32';
    const arr = arrayFor(dtype, n * cols);
    for (let i = 0; i < Math.min(n, cols); i++) arr[i * cols + i] = 1;
    return finish(fromTyped(arr, [n, cols], dtype, opts.device ?? getDefaultDevice()), opts);
  });

/** Moves to another device or converts to another dtype. */
export const to = op('to', { x: tensorArg, target: deviceArg }, function to(x: Tensor, target: Device | DType): Tensor {
  if (!(DTYPES as readonly string[]).includes(target)) {
    if (x.device === target) return x;
    // Crossing devices goes through a synchronous CPU read where possible; WebGPU -> CPU needs toAsync.
    const src = x.storage.backend;
    if (!src.readSync) throw new Error(`to: moving from ${x.device} to ${target} needs a readback; use await pg.toDevice(t, '${target}')`);
    realize(x.storage);
    const out = fromTyped(src.readSync(x), x.shape, x.dtype, target);
    return out;
  }
  return x.cast(checkDType(target, 'to'));
});

/** Async device transfer (works from WebGPU to the CPU as well). */
export async function toDevice(x: Tensor, device: Device): Promise<Tensor> {
  if (x.device === device) return x;
  return fromTyped(await x.data(), x.shape, x.dtype, device);
}

// ---------------------------------------------------------------- random
export interface RandOpts extends CreateOpts {
  generator?: R.Generator;
}

function gen(opts: RandOpts): R.Generator {
  return opts.generator ?? R.defaultGenerator();
}

function floatDType(opts: RandOpts): DType {
  return opts.dtype ?? 'float32';
}

/**
 * Fills on the CPU, or, when the target backend draws random streams itself (caps.randomStreams,
 * e.g. WebGPU), there with the same numbers: nothing is generated on the CPU or uploaded.
 */
function randomTensor(shape: readonly number[], dtype: DType, opts: RandOpts, fill: (arr: TypedArray) => void, req?: Omit<R.RandomRequest, 'dtype' | 'n'>): Tensor {
  const device = opts.device ?? getDefaultDevice();
  const b = getBackend(device);
  if (req && b.caps.randomStreams && b.random) return finish(new Tensor(b.random({ ...req, dtype, n: sizeOf(shape) }), shape), opts);
  const arr = arrayFor(dtype, sizeOf(shape));
  fill(arr);
  return finish(fromTyped(arr, shape, dtype, device), opts);
}

function lowHigh(op: string, low: number, high: number): void {
  if (!(low <= high)) throw new Error(`${op}: low must be <= high, got [${low}, ${high})`);
}

/** Uniform [0, 1) (or [low, high)). Element i uses Philox word i of the draw (see docs/random.md). */
export const rand = op('rand', { shape: shapeArg, opts: options({ ...RANDOM, low: opt(finite), high: opt(finite) }) },
  function rand(shape: number | readonly number[], opts: RandOpts & { low?: number; high?: number } = {}): Tensor {
  shape = asShape(shape);
  lowHigh('rand', opts.low ?? 0, opts.high ?? 1);
  const g = gen(opts);
  const n = sizeOf(shape);
  const off = g.next(n);
  const low = opts.low ?? 0, high = opts.high ?? 1;
  return randomTensor(shape, floatDType(opts), opts, (a) => R.fillUniform(g.seed, off, a as Float32Array, low, high),
    { kind: 'uniform', seed: g.seed, offset: off, a: low, b: high });
});

/** Standard normal (or mean/std). Element i uses words 2i and 2i+1 (Box-Muller). */
export const randn = op('randn', { shape: shapeArg, opts: options({ ...RANDOM, mean: opt(finite), std: opt(nonNegative) }) },
  function randn(shape: number | readonly number[], opts: RandOpts & { mean?: number; std?: number } = {}): Tensor {
  shape = asShape(shape);
  const g = gen(opts);
  const n = sizeOf(shape);
  const off = g.next(2 * n);
  const mean = opts.mean ?? 0, std = opts.std ?? 1;
  return randomTensor(shape, floatDType(opts), opts, (a) => R.fillNormal(g.seed, off, a as Float32Array, mean, std),
    { kind: 'normal', seed: g.seed, offset: off, a: mean, b: std });
});

export const normal = op('normal', { mean: finite, std: nonNegative, shape: shapeArg, opts: options(RANDOM) },
  (mean: number, std: number, shape: number | readonly number[], opts: RandOpts = {}): Tensor => randn(shape, { ...opts, mean, std }));
export const uniform = op('uniform', { low: finite, high: finite, shape: shapeArg, opts: options(RANDOM) },
  (low: number, high: number, shape: number | readonly number[], opts: RandOpts = {}): Tensor => rand(shape, { ...opts, low, high }));

/** Options of the random ops that make int32 tensors. */
const INT_RANDOM = { device: opt(deviceArg), generator: opt(generator), dtype: opt(oneOf('int32')) };

/** Integers uniform in [low, high). */
export const randint = op('randint', { low: int, high: int, shape: shapeArg, opts: options(INT_RANDOM) },
  function randint(low: number, high: number, shape: number | readonly number[], opts: RandOpts = {}): Tensor {
  shape = asShape(shape);
  if (!Number.isInteger(low) || !Number.isInteger(high) || high <= low) throw new Error(`randint: need integers low < high, got ${low}, ${high}`);
  if (low < -(2 ** 31) || high > 2 ** 31 || high - low > 2 ** 31)
    throw new RangeError(`randint: need -2^31 <= low < high <= 2^31 and high - low <= 2^31, got [${low}, ${high})`);
  const g = gen(opts);
  const off = g.next(sizeOf(shape));
  return randomTensor(shape, 'int32', opts, (a) => R.fillRandint(g.seed, off, a as Int32Array, low, high),
    { kind: 'randint', seed: g.seed, offset: off, a: low, b: high });
}, { example: () => [0, 5, [2, 3]] });

/** Bernoulli draws: with a number p, 1 with probability p; with a tensor, elementwise probabilities. */
const bernoulliOpts = options({ ...RANDOM, dtype: opt(dtypeArg) });
/** bernoulli(p: number, shape, opts) or bernoulli(p: Tensor, opts). */
export const bernoulli = op('bernoulli', { p: either(tensorArg, prob), shapeOrOpts: any, opts: bernoulliOpts }, scoped(function bernoulli(p: number | Tensor, shapeOrOpts?: number | readonly number[] | RandOpts, maybeOpts: RandOpts = {}): Tensor {
  if (p instanceof Tensor) {
    const opts = bernoulliOpts.check(shapeOrOpts, 'bernoulli', 'opts') as RandOpts ?? {};
    const u = rand(p.shape, { generator: opts.generator, device: p.device, dtype: p.dtype === 'float64' ? 'float64' : 'float32' });
    return u.lt(p).cast(opts.dtype ?? (isFloat(p.dtype) ? p.dtype : 'float32'));
  }
  const shape = shapeArg.check(shapeOrOpts, 'bernoulli', 'shape') as readonly number[];
  const opts = maybeOpts;
  const g = gen(opts);
  const off = g.next(sizeOf(shape));
  return randomTensor(shape, opts.dtype ?? 'float32', opts, (a) => R.fillBernoulli(g.seed, off, a, p),
    { kind: 'bernoulli', seed: g.seed, offset: off, a: p, b: 0 });
}), { example: () => [0.5, [2, 3]] });

/** A random permutation of 0..n-1 (int32). */
export const randperm = op('randperm', { n: size, opts: options(INT_RANDOM) }, function randperm(n: number, opts: RandOpts = {}): Tensor {
  const g = gen(opts);
  const off = g.next(n);
  return finish(fromTyped(R.randperm(g.seed, off, n), [n], 'int32', opts.device ?? getDefaultDevice()), opts);
});

/** Samples category indices from (unnormalised) probabilities [..., K] -> [..., numSamples]. */
const multinomialOpts = options({ generator: opt(generator), replacement: opt(bool) });
export const multinomial = op('multinomial', { probs: tensorArg, numSamples: count, opts: multinomialOpts }, scoped(function multinomial(probs: Tensor, numSamples: number, opts: RandOpts & { replacement?: boolean } = {}): Tensor {
  if (probs.rank < 1 || probs.rank > 2) throw new Error(`multinomial: probs must be 1-D or 2-D, got ${fmt(probs.shape)}`);
  const cols = probs.shape[probs.rank - 1];
  const rows = probs.rank === 2 ? probs.shape[0] : 1;
  const replacement = opts.replacement ?? false;
  if (!replacement && numSamples > cols) throw new Error(`multinomial: cannot draw ${numSamples} samples without replacement from ${cols} categories`);
  if (cols === 0) throw new Error('multinomial: need at least one category');
  realize(probs.storage);
  const p = probs.storage.backend.readSync ? probs.storage.backend.readSync(probs) : null;
  if (!p) return multinomialOnDevice(probs.rank === 2 ? probs : probs.unsqueeze(0), numSamples, replacement, gen(opts), probs.rank);
  for (const v of p) if (!(v >= 0) || v === Infinity) throw new Error(`multinomial: probabilities must be finite and non-negative, got ${v}`);
  const g = gen(opts);
  const off = g.next(R.multinomialWordCount(rows, cols, numSamples, replacement));
  const out = R.multinomial(g.seed, off, p as Float32Array, rows, cols, numSamples, replacement);
  const shape = probs.rank === 2 ? [rows, numSamples] : [numSamples];
  return fromTyped(out, shape, 'int32', probs.device);
}), { example: () => [tensor([0.2, 0.3, 0.5]), 2] });

/**
 * multinomial where probs cannot be read synchronously (WebGPU), built from device ops so nothing
 * waits for the GPU. It takes the same generator words as the CPU reference (random.ts), so later
 * draws stay in step and the samples are the CPU's except where a draw falls within float32
 * rounding (~2^-24 relative) of a category boundary: the CPU's running sums are float64 and use all
 * 32 bits of a word, these are float32 and use the top 24 (`rand`'s uniform).
 *  - with replacement: sample s of row r is the number of categories whose running sum is <= u*total;
 *  - without: the exponential race, keys -log(u + 2^-24) / p_k sorted ascending (ties by index).
 * Errors cannot be thrown without a readback, so a row whose probabilities are negative, NaN or
 * infinite, or too few of them positive, gives -1 samples, which an embedding or gather then
 * reports as an out-of-range index.
 */
function multinomialOnDevice(p: Tensor, S: number, replacement: boolean, g: R.Generator, rank: number): Tensor {
  const [rows, cols] = p.shape;
  const device = p.device;
  const invalid = p.lt(0).logicalOr(p.ne(p)).logicalOr(p.eq(Infinity)).float().sum(-1, true).gt(0); // [rows, 1]
  const positive = p.gt(0);
  const npos = positive.float().sum(-1, true);
  let idx: Tensor;
  const bad = invalid.logicalOr(npos.lt(replacement ? 1 : S));
  if (replacement) {
    const u = rand([rows, S], { generator: g, device });
    const cdf = p.cumsum(-1);
    const t = u.mul(cdf.narrow(1, cols - 1, 1)); // [rows, S]
    idx = cdf.unsqueeze(1).le(t.unsqueeze(2)).int().sum(-1); // categories passed: [rows, S]
    // A draw rounded up onto the total would pass them all: keep it on the last positive category.
    const lastPositive = arange(cols, { device }).where(positive, -1).max(-1, true);
    idx = idx.minimum(lastPositive);
  } else {
    const u = rand([rows, cols], { generator: g, device });
    const keys = u.add(2 ** -24).log().neg().div(p).where(positive, Infinity);
    idx = S === 1 ? keys.argmin(-1, true) : keys.argsort(-1).narrow(1, 0, S); // argmin: first of equal keys, as the stable sort
  }
  const out = idx.maskedFill(bad, -1).int();
  return rank === 2 ? out : out.squeeze(0);
}
export const categorical = op('categorical', { probs: tensorArg, numSamples: opt(count), opts: multinomialOpts },
  (probs: Tensor, numSamples = 1, opts: RandOpts & { replacement?: boolean } = {}): Tensor => multinomial(probs, numSamples, { replacement: true, ...opts }),
  { example: () => [tensor([0.2, 0.3, 0.5]), 2] });

const genOnly = options({ generator: opt(generator) });

/** In-place fills (used by initialisers): replace x's values with a random draw. */
export const normal_ = op('normal_', { x: tensorArg, mean: opt(finite), std: opt(nonNegative), opts: genOnly }, function normal_(x: Tensor, mean = 0, std = 1, opts: RandOpts = {}): Tensor {
  checkInPlace('normal_', x);
  if (!isFloat(x.dtype)) throw new Error(`normal_: x must be a float tensor, got ${x.dtype}`);
  return x.assign_(randn(x.shape, { ...opts, mean, std, dtype: x.dtype, device: x.device }));
});
export const uniform_ = op('uniform_', { x: tensorArg, low: opt(finite), high: opt(finite), opts: genOnly }, function uniform_(x: Tensor, low = 0, high = 1, opts: RandOpts = {}): Tensor {
  checkInPlace('uniform_', x);
  if (!isFloat(x.dtype)) throw new Error(`uniform_: x must be a float tensor, got ${x.dtype}`);
  return x.assign_(rand(x.shape, { ...opts, low, high, dtype: x.dtype, device: x.device }));
});
