// Creating tensors: from data, constants (the `fill` op), ranges, and seeded random draws.
import { Tensor, type NestedArray } from '../tensor.js';
import type { Device } from '../backend.js';
import type { OpDef } from '../opdef.js';
import { normal as drawn } from '../opdef.js';
import { arrayFor, checkDType, dtypeOfArray, DTYPES, isFloat, type DType, type TypedArray } from '../dtype.js';
import { fmt, sizeOf } from '../shape.js';
import { getBackend, getDefaultDevice } from '../devices.js';
import { fromTyped, runOp, scoped } from './core.js';
import * as R from '../random.js';

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
    if (typeof data !== 'number' && typeof data !== 'boolean') throw new Error(`tensor: expected numbers or booleans, got ${typeof data}`);
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

/** pg.tensor(nested arrays | typed array | number, {dtype, device, requiresGrad, shape}). */
export function tensor(data: NestedArray | TypedArray, opts: CreateOpts & { shape?: readonly number[] } = {}): Tensor {
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
    arr = arrayFor(dtype, sizeOf(nested));
    flattenInto(data, nested, 0, arr, { i: 0 });
    shape = opts.shape ?? nested;
    if (sizeOf(shape) !== arr.length) throw new Error(`tensor: ${arr.length} values do not fill shape ${fmt(shape)}`);
  }
  if (dtypeOfArray(arr) !== dtype) {
    const conv = arrayFor(dtype, arr.length);
    for (let i = 0; i < arr.length; i++) conv[i] = dtype === 'bool' ? (arr[i] ? 1 : 0) : arr[i];
    arr = conv;
  }
  return finish(fromTyped(arr, shape, dtype, device), opts);
}

/** Sets every element of the output to attrs.value (no inputs: runOp is told the device). */
export const FILL: OpDef<{ value: number }> = {
  kind: 'kernel', name: 'fill',
  check: { examples: [
    { note: 'like an input', inputs: [drawn([3, 4])], call: (x) => [fullLike(x, 2.5), zerosLike(x), onesLike(x, { dtype: 'int32' }), fullLike(x, 1, { dtype: 'bool' })] },
    { note: 'special values', inputs: [drawn([5])], call: (x) => [fullLike(x, -Infinity), fullLike(x, NaN), fullLike(x, -0), fullLike(x, 3e9, { dtype: 'int32' })], grad: false },
  ] },
};

export function full(shape: readonly number[], value: number, opts: CreateOpts = {}): Tensor {
  for (const d of shape) if (!Number.isInteger(d) || d < 0) throw new Error(`full: invalid shape ${fmt(shape)}`);
  const dtype = opts.dtype ?? (typeof value === 'boolean' ? 'bool' : 'float32');
  // The typed-array store's conversion, once, on the CPU: every backend then fills the same bits.
  const v = arrayFor(dtype, 1);
  v[0] = Number(value);
  return finish(runOp(FILL, [], shape, dtype, { value: v[0] }, { device: opts.device ?? getDefaultDevice() }), opts);
}

export const zeros = (shape: readonly number[], opts: CreateOpts = {}) => full(shape, 0, opts);
export const ones = (shape: readonly number[], opts: CreateOpts = {}) => full(shape, 1, opts);
const likeOpts = (t: Tensor, opts: CreateOpts): CreateOpts => ({ dtype: t.dtype, device: t.device, ...opts });
export const zerosLike = (t: Tensor, opts: CreateOpts = {}) => full(t.shape, 0, likeOpts(t, opts));
export const onesLike = (t: Tensor, opts: CreateOpts = {}) => full(t.shape, 1, likeOpts(t, opts));
export const fullLike = (t: Tensor, v: number, opts: CreateOpts = {}) => full(t.shape, v, likeOpts(t, opts));

/** arange(end) or arange(start, end, step); int32 when all arguments are integers. */
export function arange(a: number, b?: number | CreateOpts, c?: number | CreateOpts, d?: CreateOpts): Tensor {
  const nums = [a, b, c].filter((v): v is number => typeof v === 'number');
  const opts = ([b, c, d].find((v) => typeof v === 'object') ?? {}) as CreateOpts;
  const [start, end, step] = nums.length === 1 ? [0, nums[0], 1] : nums.length === 2 ? [nums[0], nums[1], 1] : nums;
  if (step === 0) throw new Error('arange: step must be non-zero');
  const n = Math.max(0, Math.ceil((end - start) / step));
  const dtype = opts.dtype ?? (nums.every(Number.isInteger) ? 'int32' : 'float32');
  const arr = arrayFor(dtype, n);
  for (let i = 0; i < n; i++) arr[i] = start + i * step;
  return finish(fromTyped(arr, [n], dtype, opts.device ?? getDefaultDevice()), opts);
}

export function linspace(start: number, end: number, steps: number, opts: CreateOpts = {}): Tensor {
  if (!Number.isInteger(steps) || steps < 0) throw new Error(`linspace: steps must be a non-negative integer, got ${steps}`);
  const dtype = opts.dtype ?? 'float32';
  const arr = arrayFor(dtype, steps);
  for (let i = 0; i < steps; i++) arr[i] = steps === 1 ? start : start + ((end - start) * i) / (steps - 1);
  return finish(fromTyped(arr, [steps], dtype, opts.device ?? getDefaultDevice()), opts);
}

export function eye(n: number, m = n, opts: CreateOpts = {}): Tensor {
  const dtype = opts.dtype ?? 'float32';
  const arr = arrayFor(dtype, n * m);
  for (let i = 0; i < Math.min(n, m); i++) arr[i * m + i] = 1;
  return finish(fromTyped(arr, [n, m], dtype, opts.device ?? getDefaultDevice()), opts);
}

/** Moves to another device or converts to another dtype. */
export function to(x: Tensor, target: Device | DType): Tensor {
  if (!(DTYPES as readonly string[]).includes(target)) {
    if (x.device === target) return x;
    // Crossing devices goes through a synchronous CPU read where possible; WebGPU -> CPU needs toAsync.
    const src = x.storage.backend;
    if (!src.readSync) throw new Error(`to: moving from ${x.device} to ${target} needs a readback; use await pg.toDevice(t, '${target}')`);
    const out = fromTyped(src.readSync(x), x.shape, x.dtype, target);
    return out;
  }
  return x.cast(checkDType(target, 'to'));
}

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
  const d = opts.dtype ?? 'float32';
  if (!isFloat(d)) throw new Error(`random: dtype must be float32 or float64, got ${d}`);
  return d;
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

/** Uniform [0, 1) (or [low, high)). Element i uses Philox word i of the draw (see docs/random.md). */
export function rand(shape: readonly number[], opts: RandOpts & { low?: number; high?: number } = {}): Tensor {
  const g = gen(opts);
  const n = sizeOf(shape);
  const off = g.next(n);
  const low = opts.low ?? 0, high = opts.high ?? 1;
  return randomTensor(shape, floatDType(opts), opts, (a) => R.fillUniform(g.seed, off, a as Float32Array, low, high),
    { kind: 'uniform', seed: g.seed, offset: off, a: low, b: high });
}

/** Standard normal (or mean/std). Element i uses words 2i and 2i+1 (Box-Muller). */
export function randn(shape: readonly number[], opts: RandOpts & { mean?: number; std?: number } = {}): Tensor {
  const g = gen(opts);
  const n = sizeOf(shape);
  const off = g.next(2 * n);
  const mean = opts.mean ?? 0, std = opts.std ?? 1;
  return randomTensor(shape, floatDType(opts), opts, (a) => R.fillNormal(g.seed, off, a as Float32Array, mean, std),
    { kind: 'normal', seed: g.seed, offset: off, a: mean, b: std });
}

export const normal = (mean: number, std: number, shape: readonly number[], opts: RandOpts = {}) => randn(shape, { ...opts, mean, std });
export const uniform = (low: number, high: number, shape: readonly number[], opts: RandOpts = {}) => rand(shape, { ...opts, low, high });

/** Integers uniform in [low, high). */
export function randint(low: number, high: number, shape: readonly number[], opts: RandOpts = {}): Tensor {
  if (!Number.isInteger(low) || !Number.isInteger(high) || high <= low) throw new Error(`randint: need integers low < high, got ${low}, ${high}`);
  if (low < -(2 ** 31) || high > 2 ** 31 || high - low > 2 ** 31)
    throw new RangeError(`randint: need -2^31 <= low < high <= 2^31 and high - low <= 2^31, got [${low}, ${high})`);
  const g = gen(opts);
  const off = g.next(sizeOf(shape));
  return randomTensor(shape, 'int32', opts, (a) => R.fillRandint(g.seed, off, a as Int32Array, low, high),
    { kind: 'randint', seed: g.seed, offset: off, a: low, b: high });
}

/** Bernoulli draws: with a number p, 1 with probability p; with a tensor, elementwise probabilities. */
export const bernoulli = scoped(function bernoulli(p: number | Tensor, shapeOrOpts?: readonly number[] | RandOpts, maybeOpts: RandOpts = {}): Tensor {
  if (p instanceof Tensor) {
    const opts = (shapeOrOpts ?? {}) as RandOpts;
    const u = rand(p.shape, { generator: opts.generator, device: p.device, dtype: p.dtype === 'float64' ? 'float64' : 'float32' });
    return u.lt(p).cast(opts.dtype ?? (isFloat(p.dtype) ? p.dtype : 'float32'));
  }
  const shape = shapeOrOpts as readonly number[];
  const opts = maybeOpts;
  if (!(p >= 0 && p <= 1)) throw new Error(`bernoulli: p must be in [0, 1], got ${p}`);
  const g = gen(opts);
  const off = g.next(sizeOf(shape));
  return randomTensor(shape, opts.dtype ?? 'float32', opts, (a) => R.fillBernoulli(g.seed, off, a, p),
    { kind: 'bernoulli', seed: g.seed, offset: off, a: p, b: 0 });
});

/** A random permutation of 0..n-1 (int32). */
export function randperm(n: number, opts: RandOpts = {}): Tensor {
  const g = gen(opts);
  const off = g.next(n);
  return finish(fromTyped(R.randperm(g.seed, off, n), [n], 'int32', opts.device ?? getDefaultDevice()), opts);
}

/** Samples category indices from (unnormalised) probabilities [..., K] -> [..., numSamples]. */
export const multinomial = scoped(function multinomial(probs: Tensor, numSamples: number, opts: RandOpts & { replacement?: boolean } = {}): Tensor {
  if (probs.rank < 1 || probs.rank > 2) throw new Error(`multinomial: probs must be 1-D or 2-D, got ${fmt(probs.shape)}`);
  const cols = probs.shape[probs.rank - 1];
  const rows = probs.rank === 2 ? probs.shape[0] : 1;
  const replacement = opts.replacement ?? false;
  if (!replacement && numSamples > cols) throw new Error(`multinomial: cannot draw ${numSamples} samples without replacement from ${cols} categories`);
  if (cols === 0) throw new Error('multinomial: need at least one category');
  const p = probs.storage.backend.readSync ? probs.storage.backend.readSync(probs) : null;
  if (!p) return multinomialOnDevice(probs.rank === 2 ? probs : probs.unsqueeze(0), numSamples, replacement, gen(opts), probs.rank);
  for (const v of p) if (!(v >= 0) || v === Infinity) throw new Error(`multinomial: probabilities must be finite and non-negative, got ${v}`);
  const g = gen(opts);
  const off = g.next(R.multinomialWordCount(rows, cols, numSamples, replacement));
  const out = R.multinomial(g.seed, off, p as Float32Array, rows, cols, numSamples, replacement);
  const shape = probs.rank === 2 ? [rows, numSamples] : [numSamples];
  return fromTyped(out, shape, 'int32', probs.device);
});

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
export const categorical = (probs: Tensor, numSamples = 1, opts: RandOpts & { replacement?: boolean } = {}) =>
  multinomial(probs, numSamples, { replacement: true, ...opts });

/** In-place fills (used by initialisers): replace x's values with a random draw. */
export function normal_(x: Tensor, mean = 0, std = 1, opts: RandOpts = {}): Tensor {
  return x.assign_(randn(x.shape, { ...opts, mean, std, dtype: x.dtype, device: x.device }));
}
export function uniform_(x: Tensor, low = 0, high = 1, opts: RandOpts = {}): Tensor {
  return x.assign_(rand(x.shape, { ...opts, low, high, dtype: x.dtype, device: x.device }));
}
