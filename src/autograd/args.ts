// The one validation layer every op goes through. Each public op is declared with op(name, args,
// fn), where `args` names its arguments in order with a rule each (tensor, size, dim, shape,
// options, ...), written beside the op in ops/*.ts the way the op table declares input domains.
// The wrapper, once per call and never per element:
//   - checks each argument against its rule; an error names the op and the argument:
//       "narrow: start must be an integer, got 0.5";
//   - keeps an op-name context: an error raised inside (by an inner primitive, a kernel, a typed
//     array) reaches the user under the name of the op they called, with the inner op in brackets:
//       "crossEntropy: index 5 is out of range for dim 1 of size 3 (in gather)";
//   - frees what a failing call allocated (memory.ts's op log), so errors leave memory() as it was.
// Rules may normalise a value (a size n given as a shape becomes [n]); the op sees the result.
import { Tensor } from './tensor.js';
import { DTYPES, type DType } from './dtype.js';
import { opLogBegin, opLogEnd, opLogFail } from './memory.js';

/** What an argument must be. `kind` lets the generated tests pick samples and bad values. */
export interface Rule {
  readonly kind: string;
  /** For messages: "must be <what>". */
  readonly what: string;
  /** Returns the value to pass on, or throws (use fail()). */
  readonly check: (v: unknown, op: string, name: string) => unknown;
  /** Values this rule refuses that are not tensors (the tests add tensor-valued ones by kind). */
  readonly bad: readonly unknown[];
  /** The rule this one wraps (opt, nullable), for the tests. */
  readonly inner?: Rule;
  /** The JS types it takes ('tensor', 'number', 'boolean', 'string', 'array', 'object', 'function'): either() picks by them. */
  readonly types: readonly string[];
}

/** The JS type of a value as rules name them. */
export function typeOf(v: unknown): string {
  if (v instanceof Tensor) return 'tensor';
  if (Array.isArray(v) || (ArrayBuffer.isView(v) && !(v instanceof DataView))) return 'array';
  if (v === null) return 'null';
  return typeof v;
}

/** A short, readable form of any value for an error message. */
export function show(v: unknown): string {
  if (v === undefined || v === null) return String(v);
  if (v instanceof Tensor) return v.isDisposed ? 'a disposed tensor' : `a tensor [${v.shape.join(',')}] ${v.dtype}`;
  if (typeof v === 'string') return JSON.stringify(v);
  if (typeof v === 'number') return Object.is(v, -0) ? '-0' : String(v);
  if (typeof v === 'boolean' || typeof v === 'bigint') return String(v);
  if (typeof v === 'function') return 'a function';
  if (Array.isArray(v)) {
    const s = `[${v.map((e) => (Array.isArray(e) ? '[...]' : show(e))).join(', ')}]`;
    return s.length > 60 ? `an array of ${v.length}` : s;
  }
  if (ArrayBuffer.isView(v)) return `a ${v.constructor.name}`;
  const ctor = (v as object).constructor;
  return ctor && ctor !== Object ? `a ${ctor.name}` : 'an object';
}

export function fail(op: string, name: string, what: string, v: unknown): never {
  throw new Error(`${op}: ${name} must be ${what}, got ${show(v)}`);
}

function rule(kind: string, types: readonly string[], what: string, bad: readonly unknown[], check: Rule['check']): Rule {
  return { kind, types, what, bad, check };
}

const NOT_NUMBERS = [undefined, null, '1', {}, [1], true];
const isInt = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v);

// ---------------------------------------------------------------------------- tensors
export const tensor = rule('tensor', ['tensor'], 'a Tensor', [undefined, null, 1, 'x', {}, [1, 2], true], (v, op, name) => {
  if (!(v instanceof Tensor)) fail(op, name, 'a Tensor', v);
  v.assertAlive(op);
  return v;
});

/** A tensor or a plain number / boolean (an operand of elementwise ops). */
export const tensorLike = rule('tensorLike', ['tensor', 'number', 'boolean'], 'a Tensor or a number', [undefined, null, 'x', {}, [1, 2], 1n], (v, op, name) => {
  if (v instanceof Tensor) v.assertAlive(op);
  else if (typeof v !== 'number' && typeof v !== 'boolean') fail(op, name, 'a Tensor or a number', v);
  return v;
});

/** An int32 tensor of indices (a float tensor would be truncated silently). */
export const indexTensor = rule('indexTensor', ['tensor'], 'an int32 tensor of indices', [undefined, null, 1, [0, 1], {}], (v, op, name) => {
  if (!(v instanceof Tensor)) fail(op, name, 'an int32 tensor of indices', v);
  v.assertAlive(op);
  if (v.dtype !== 'int32') throw new Error(`${op}: ${name} must be an int32 tensor of indices, got ${v.dtype}${v.dtype === 'bool' ? '' : ' (indices are never rounded; cast with .int() if they are whole numbers)'}`);
  return v;
});

/** A non-empty array of tensors (cat, stack). */
export const tensors = rule('tensors', ['array'], 'an array of Tensors', [undefined, null, 1, {}, [], [1, 2]], (v, op, name) => {
  if (!Array.isArray(v) || v.length === 0) fail(op, name, 'a non-empty array of Tensors', v);
  v.forEach((t, i) => {
    if (!(t instanceof Tensor)) fail(op, `${name}[${i}]`, 'a Tensor', t);
    t.assertAlive(op);
  });
  return v;
});

// ---------------------------------------------------------------------------- numbers
/** Any number, NaN and ±Infinity included (fill values, clamp bounds). */
export const number = rule('number', ['number'], 'a number', NOT_NUMBERS, (v, op, name) => (typeof v === 'number' ? v : fail(op, name, 'a number', v)));

export const finite = rule('finite', ['number'], 'a finite number', [...NOT_NUMBERS, NaN, Infinity, -Infinity], (v, op, name) =>
  typeof v === 'number' && Number.isFinite(v) ? v : fail(op, name, 'a finite number', v));

export const positive = rule('positive', ['number'], 'a finite number > 0', [...NOT_NUMBERS, NaN, Infinity, 0, -1], (v, op, name) =>
  typeof v === 'number' && v > 0 && v < Infinity ? v : fail(op, name, 'a finite number > 0', v));

export const nonNegative = rule('nonNegative', ['number'], 'a finite number >= 0', [...NOT_NUMBERS, NaN, Infinity, -1], (v, op, name) =>
  typeof v === 'number' && v >= 0 && v < Infinity ? v : fail(op, name, 'a finite number >= 0', v));

/** A probability in [0, 1]. */
export const prob = rule('prob', ['number'], 'a number in [0, 1]', [...NOT_NUMBERS, NaN, -0.5, 1.5, Infinity], (v, op, name) =>
  typeof v === 'number' && v >= 0 && v <= 1 ? v : fail(op, name, 'a number in [0, 1]', v));

const INT_BAD = [...NOT_NUMBERS, 0.5, NaN, Infinity, -Infinity, 2 ** 60];
export const int = rule('int', ['number'], 'an integer', INT_BAD, (v, op, name) => (isInt(v) ? v : fail(op, name, 'an integer', v)));

/** A dim (an integer; its range against the tensor's rank is checked by normDim). */
export const dim = rule('dim', ['number'], 'an integer dim', INT_BAD, (v, op, name) => (isInt(v) ? v : fail(op, name, 'an integer', v)));

/** A size or an index from 0 up. */
export const size = rule('size', ['number'], 'a non-negative integer', [...INT_BAD, -1], (v, op, name) =>
  isInt(v) && v >= 0 ? v : fail(op, name, 'a non-negative integer', v));

/** A count from 1 up (chunks, samples, classes, kernel sizes, strides). */
export const count = rule('count', ['number'], 'a positive integer', [...INT_BAD, 0, -1], (v, op, name) =>
  isInt(v) && v >= 1 ? v : fail(op, name, 'a positive integer', v));

export const bool = rule('bool', ['boolean'], 'a boolean', [undefined, null, 1, 'true', {}], (v, op, name) => (typeof v === 'boolean' ? v : fail(op, name, 'a boolean', v)));

/** A list of integers (permutations, pads, reshape targets with -1). */
export const ints = rule('ints', ['array'], 'an array of integers', [undefined, null, 1, 'x', {}, [0.5], [NaN], ['1'], [[1]]], (v, op, name) => {
  if (!Array.isArray(v)) fail(op, name, 'an array of integers', v);
  v.forEach((d, i) => isInt(d) || fail(op, `${name}[${i}]`, 'an integer', d));
  return v;
});

/** A reshape / view target: an array of integers (one may be -1), or one integer. */
export const newShape = rule('newShape', ['number', 'array'], 'a shape (integers, one of them may be -1)', [undefined, null, 'x', {}, 1.5, NaN, [1.5], [NaN], ['2'], [[2]]], (v, op, name) => {
  if (isInt(v)) return [v];
  if (!Array.isArray(v)) fail(op, name, 'a shape (an array of integers, one of them may be -1)', v);
  v.forEach((d, i) => isInt(d) || fail(op, `${name}[${i}]`, 'an integer', d));
  return v;
});

/** A dim or a list of dims. */
export const dims = rule('dims', ['number', 'array'], 'an integer or an array of integers', [null, 'x', {}, 0.5, NaN, [0.5], ['1']], (v, op, name) => {
  if (isInt(v)) return v;
  if (!Array.isArray(v)) fail(op, name, 'an integer or an array of integers', v);
  v.forEach((d, i) => isInt(d) || fail(op, `${name}[${i}]`, 'an integer', d));
  return v;
});

/** Largest element count of one tensor: typed arrays hold at most 2^32 - 1 elements. */
export const MAX_ELEMENTS = 2 ** 32 - 1;

function checkSizes(v: unknown[], op: string, name: string): number[] {
  let n = 1;
  v.forEach((d, i) => {
    if (!isInt(d) || d < 0) fail(op, `${name}[${i}]`, 'a non-negative integer', d);
    n *= d;
  });
  if (n > MAX_ELEMENTS) throw new Error(`${op}: ${name} [${v.join(', ')}] has ${n} elements, more than a tensor can hold (${MAX_ELEMENTS})`);
  return v as number[];
}

/** A shape: a list of sizes, or one size (PyTorch's zeros(3) = zeros([3])). */
export const shape = rule('shape', ['number', 'array'], 'a shape (an array of non-negative integers)', [undefined, null, 'x', {}, -1, 1.5, NaN, [-1], [1.5], [NaN], [Infinity], ['2'], [[2]], [2 ** 20, 2 ** 20]], (v, op, name) => {
  if (isInt(v) && v >= 0) return [v];
  if (!Array.isArray(v)) fail(op, name, 'a shape (an array of non-negative integers)', v);
  return checkSizes(v, op, name);
});

/** A list of sizes (repeat counts, split sections). */
export const sizes = rule('sizes', ['array'], 'an array of non-negative integers', [undefined, null, 'x', {}, [-1], [1.5], [NaN], ['2']], (v, op, name) => {
  if (!Array.isArray(v)) fail(op, name, 'an array of non-negative integers', v);
  v.forEach((d, i) => (isInt(d) && d >= 0) || fail(op, `${name}[${i}]`, 'a non-negative integer', d));
  return v;
});

/** One value or a pair, each passing `r` (conv and pooling sizes): kernelSize 3 or [3, 2]. */
export function pair(r: Rule): Rule {
  return rule(`pair:${r.kind}`, [...r.types, 'array'], `${r.what} or a pair of them`, [...r.bad.filter((b) => b !== undefined && !Array.isArray(b)), [1], [1, 2, 3], ...r.bad.filter((b) => b !== undefined).map((b) => [b, b])], (v, op, name) => {
    if (Array.isArray(v)) {
      if (v.length !== 2) fail(op, name, `${r.what} or a pair of them`, v);
      return [r.check(v[0], op, `${name}[0]`), r.check(v[1], op, `${name}[1]`)];
    }
    return r.check(v, op, name);
  });
}

// ---------------------------------------------------------------------------- others
export const dtype = rule('dtype', ['string'], `one of ${DTYPES.join(', ')}`, [null, 'float16', 'int64', '', 3, {}], (v, op, name) =>
  typeof v === 'string' && (DTYPES as readonly string[]).includes(v) ? (v as DType) : fail(op, name, `one of ${DTYPES.join(', ')}`, v));

/** A float dtype (random draws, ops that only compute in floats). */
export const floatDtype = rule('floatDtype', ['string'], 'float32 or float64', [null, 'int32', 'bool', 'float16', 3], (v, op, name) =>
  v === 'float32' || v === 'float64' ? v : fail(op, name, 'float32 or float64', v));

/** A device name; whether it exists is checked when the op uses it. */
export const device = rule('device', ['string'], 'a device name', [null, '', 3, {}], (v, op, name) => (typeof v === 'string' && v !== '' ? v : fail(op, name, "a device name ('cpu', 'webgpu')", v)));

/** A Generator (random streams). */
export const generator = rule('generator', ['object'], 'a Generator', [null, 3, 'seed', {}], (v, op, name) => {
  const g = v as { next?: unknown; seed?: unknown } | null;
  if (!g || typeof g !== 'object' || typeof g.next !== 'function' || typeof g.seed !== 'number') fail(op, name, 'a Generator', v);
  return v;
});

export const fn = rule('fn', ['function'], 'a function', [undefined, null, 1, 'f', {}], (v, op, name) => (typeof v === 'function' ? v : fail(op, name, 'a function', v)));

/** No check (arguments whose meaning depends on the others; the op checks them itself). */
export const any = rule('any', ['any'], 'anything', [], (v) => v);

export function oneOf<T extends string | number | boolean>(...values: T[]): Rule {
  const what = `one of ${values.map((x) => JSON.stringify(x)).join(', ')}`;
  return rule('oneOf', [...new Set(values.map((x) => typeof x))], what, [null, 'x', 99, {}], (v, op, name) => (values.includes(v as T) ? v : fail(op, name, what, v)));
}

/**
 * One of several rules, picked by the value's JS type (a number goes to the number rule, so
 * `bernoulli(1.5, ...)` reports the probability's range, not "must be a Tensor or ...").
 */
export function either(...rs: Rule[]): Rule {
  const what = rs.map((r) => r.what).join(' or ');
  return {
    kind: `either:${rs.map((r) => r.kind).join('|')}`, types: [...new Set(rs.flatMap((r) => r.types))], what,
    bad: [...new Set(rs.flatMap((r) => r.bad))].filter((b) => rs.every((r) => { try { r.check(b, '', ''); return false; } catch { return true; } })),
    check: (v, op, name) => {
      const t = typeOf(v);
      const r = rs.find((x) => x.types.includes(t) || x.types.includes('any'));
      return r ? r.check(v, op, name) : fail(op, name, what, v);
    },
  };
}

/** Absent allowed (the op's default applies). */
export function opt(r: Rule): Rule {
  return { kind: `opt:${r.kind}`, types: [...r.types, 'undefined'], what: `${r.what} (or absent)`, bad: r.bad.filter((b) => b !== undefined), inner: r,
    check: (v, op, name) => (v === undefined ? v : r.check(v, op, name)) };
}

/** Absent or null allowed. */
export function nullable(r: Rule): Rule {
  return { kind: `nullable:${r.kind}`, types: [...r.types, 'undefined', 'null'], what: `${r.what}, null or absent`, bad: r.bad.filter((b) => b !== undefined && b !== null), inner: r,
    check: (v, op, name) => (v === undefined || v === null ? v : r.check(v, op, name)) };
}

/**
 * An options object (or absent). Every key is checked by its rule; an unknown key is an error
 * that lists the known ones (a misspelt `requires_grad` would otherwise be ignored).
 */
export function options(spec: Record<string, Rule>): Rule & { readonly spec: Record<string, Rule> } {
  const keys = Object.keys(spec);
  return {
    kind: 'options', types: ['object', 'undefined'], what: 'an options object', spec,
    bad: [null, 3, 'x', [1], { noSuchOption: 1 }, ...keys.flatMap((k) => spec[k].bad.filter((b) => b !== undefined).slice(0, 2).map((b) => ({ [k]: b })))],
    check: (v, op, name) => {
      if (v === undefined) return v;
      if (v === null || typeof v !== 'object' || Array.isArray(v) || v instanceof Tensor) fail(op, name, `an options object {${keys.join(', ')}}`, v);
      for (const k in v as Record<string, unknown>) {
        const r = spec[k];
        if (!r) throw new Error(`${op}: unknown option '${k}' (${keys.length ? `options: ${keys.join(', ')}` : 'it takes none'})`);
        r.check((v as Record<string, unknown>)[k], op, k);
      }
      return v;
    },
  };
}

/** The options every creation op takes. */
export const CREATE = { dtype: opt(dtype), device: opt(device), requiresGrad: opt(bool) };
export const RANDOM = { ...CREATE, dtype: opt(floatDtype), generator: opt(generator) };

// ---------------------------------------------------------------------------- ops
export interface OpInfo {
  readonly name: string;
  readonly args: readonly (readonly [string, Rule])[];
  /** A valid call's arguments, where the rules' own samples would not make one (the tests start from it). */
  readonly example?: () => unknown[];
  /** The op without the wrapper (bench/overhead.ts times the difference). */
  readonly raw: (...a: any[]) => unknown;
}

/** Every op declared with op(), by name: the generated tests walk it. */
export const OPS = new Map<string, OpInfo>();

let depth = 0;

/** True inside an op (used by the tests). */
export function insideOp(): boolean {
  return depth > 0;
}

/** Runs fn as the inside of an op (the ops it calls skip the layer): bench/overhead.ts times ops without it. */
export function asInnerCall<T>(fn: () => T): T {
  const prev = depth;
  depth = 1;
  try {
    return fn();
  } finally {
    depth = prev;
  }
}

/** Most arguments an op declared with op() may take (the wrapper passes them without a rest array). */
const MAX_ARGS = 6;

/**
 * Declares a public op: `fn` with its arguments checked by `args` (in order), its errors named
 * after `name`, and what it allocated freed if it throws. The returned function has fn's type.
 *
 * Only the outermost call pays for this: an op called inside another op (a composite's inner
 * primitives, a method call in a gradient rule) goes straight to `fn`, since what it is given was
 * derived from arguments the outer op already checked, and the outer op names its errors and
 * frees its allocations. Rules that normalise (a size as a shape) are therefore mirrored by the
 * op body accepting both forms (asShape).
 */
export function op<F extends (...a: any[]) => any>(name: string, args: Record<string, Rule>, fn: F, meta: { example?: () => unknown[] } = {}): F {
  const names = Object.keys(args);
  const rules = names.map((k) => args[k]);
  const n = rules.length;
  if (n > MAX_ARGS) throw new Error(`op: ${name} declares ${n} arguments, more than ${MAX_ARGS}`);
  OPS.set(name, { name, args: names.map((k, i) => [k, rules[i]] as const), example: meta.example, raw: fn });
  const f = fn as unknown as (...a: unknown[]) => unknown;
  const r0 = rules[0], r1 = rules[1], r2 = rules[2], r3 = rules[3], r4 = rules[4], r5 = rules[5];
  const wrapped = function (a0?: unknown, a1?: unknown, a2?: unknown, a3?: unknown, a4?: unknown, a5?: unknown): unknown {
    if (depth !== 0) return f(a0, a1, a2, a3, a4, a5);
    depth = 1;
    opLogBegin();
    try {
      if (r0) a0 = r0.check(a0, name, names[0]);
      if (r1) a1 = r1.check(a1, name, names[1]);
      if (r2) a2 = r2.check(a2, name, names[2]);
      if (r3) a3 = r3.check(a3, name, names[3]);
      if (r4) a4 = r4.check(a4, name, names[4]);
      if (r5) a5 = r5.check(a5, name, names[5]);
      const out = f(a0, a1, a2, a3, a4, a5);
      opLogEnd();
      return out;
    } catch (e) {
      opLogFail();
      throw relabel(e, name);
    } finally {
      depth = 0;
    }
  };
  Object.defineProperty(wrapped, 'name', { value: name });
  return wrapped as unknown as F;
}

/** A shape given as one size or a list (the body's side of the `shape` and `newShape` rules). */
export function asShape(s: number | readonly number[]): readonly number[] {
  return typeof s === 'number' ? [s] : s;
}

const PREFIX = /^([A-Za-z_$][\w$.]*): /;

/** Puts the op the user called in front of an error raised inside it (keeping the inner op's name in brackets). */
export function relabel(e: unknown, name: string): unknown {
  if (!(e instanceof Error)) return e;
  const m = PREFIX.exec(e.message);
  if (m && m[1] === name) return e;
  const before = e.message;
  const stack = e.stack; // read first: V8 formats it lazily, from the message it has when first read
  e.message = m ? `${name}: ${before.slice(m[0].length)} (in ${m[1]})` : `${name}: ${before}`;
  if (typeof stack === 'string') e.stack = stack.replace(before, e.message);
  return e;
}
