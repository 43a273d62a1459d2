// The CPU's elementwise kernels: one row loop per op, and the drivers that run a loop over
// strided, broadcast operands. A loop is a whole row, not a per-element callback: one shared
// loop calling many different callbacks becomes a megamorphic call V8 cannot inline.
//
// float32 results: the loops compute in doubles and the Float32Array store rounds once. For
// + - * / and sqrt that is the correctly rounded float32 result; the transcendentals come from
// ../math.ts (the same bits in every JS engine, within 1 ulp); float64 tensors use Math.*.
import type { Kernel, View } from '../backend.js';
import type { TypedArray } from '../dtype.js';
import { broadcastStrides, isContiguous, shapesEqual, sizeOf } from '../shape.js';
import { cos32, erf32, erf64, exp32, expm1_32, log1p32, log32, sigmoid32, sin32, tanh32 } from '../math.js';
import { forEachRow } from './strided.js';

/** y[yi + k] = f(x[xi + k*xs]) for k < n. */
export type UnaryLoop = (x: TypedArray, xi: number, xs: number, y: TypedArray, yi: number, n: number) => void;
/** y[yi + k] = a[ai + k*as] (op) b[bi + k*bs] for k < n. */
export type BinaryLoop = (a: TypedArray, ai: number, as: number, b: TypedArray, bi: number, bs: number, y: TypedArray, yi: number, n: number) => void;

// ---------------------------------------------------------------- drivers
/** A unary kernel from its loop (and a float64 loop where float64 uses other code). */
export function unary(loop: UnaryLoop, loop64: UnaryLoop = loop): Kernel {
  return ([x], out) => {
    const f = out.dtype === 'float64' ? loop64 : loop;
    const xd = x.storage.data as TypedArray, y = out.storage.data as TypedArray;
    // Contiguous input: one row of all elements (skips the stride bookkeeping small ops pay for).
    if (isContiguous(x.shape, x.strides)) return f(xd, x.offset, 1, y, 0, sizeOf(out.shape));
    forEachRow(out.shape, [x.strides], [x.offset], (o, n, s, row) => f(xd, o[0], s[0], y, row * n, n));
  };
}

/**
 * A unary kernel whose float32 loop works on the bit patterns (Int32Array views of the same
 * memory): relu, abs and sign without a data-dependent branch, which on random signs mispredicts
 * half the time (measured ~5x slower than an add on 2^20 elements).
 */
function unaryBits(bits32: UnaryLoop, other: UnaryLoop): Kernel {
  const plain = unary(other);
  return (inputs, out, attrs) => {
    const [x] = inputs;
    if (out.dtype !== 'float32') return plain(inputs, out, attrs);
    const xd = x.storage.data as Float32Array, yd = out.storage.data as Float32Array;
    const xb = new Int32Array(xd.buffer, xd.byteOffset, xd.length), yb = new Int32Array(yd.buffer, yd.byteOffset, yd.length);
    if (isContiguous(x.shape, x.strides)) return bits32(xb, x.offset, 1, yb, 0, sizeOf(out.shape));
    forEachRow(out.shape, [x.strides], [x.offset], (o, n, s, row) => bits32(xb, o[0], s[0], yb, row * n, n));
  };
}

export function binary(loop: BinaryLoop): Kernel {
  return ([a, b], out) => {
    const y = out.storage.data as TypedArray;
    const ad = a.storage.data as TypedArray, bd = b.storage.data as TypedArray;
    // Same shape (or a scalar operand) and contiguous: one row, no broadcast bookkeeping.
    const ca = a.shape.length === 0 ? 0 : shapesEqual(a.shape, out.shape) && isContiguous(a.shape, a.strides) ? 1 : -1;
    const cb = b.shape.length === 0 ? 0 : shapesEqual(b.shape, out.shape) && isContiguous(b.shape, b.strides) ? 1 : -1;
    if (ca >= 0 && cb >= 0) return loop(ad, a.offset, ca, bd, b.offset, cb, y, 0, sizeOf(out.shape));
    const sa = broadcastStrides(a.shape, a.strides, out.shape), sb = broadcastStrides(b.shape, b.strides, out.shape);
    forEachRow(out.shape, [sa, sb], [a.offset, b.offset], (o, n, s, row) => loop(ad, o[0], s[0], bd, o[1], s[1], y, row * n, n));
  };
}

/** where(c, a, b): moves values, so it is exact for every dtype. */
export const where: Kernel = ([c, a, b]: View[], out: View) => {
  const y = out.storage.data as TypedArray;
  const cd = c.storage.data as TypedArray, ad = a.storage.data as TypedArray, bd = b.storage.data as TypedArray;
  const s = [c, a, b].map((v) => broadcastStrides(v.shape, v.strides, out.shape));
  forEachRow(out.shape, s, [c.offset, a.offset, b.offset], (o, n, st, row) => {
    let ci = o[0], ai = o[1], bi = o[2];
    const cs = st[0], as = st[1], bs = st[2], yi = row * n;
    for (let i = 0; i < n; i++, ci += cs, ai += as, bi += bs) y[yi + i] = cd[ci] ? ad[ai] : bd[bi];
  });
};

// ---------------------------------------------------------------- unary loops
// Every op has its own loop, written out (see UNROLLED below for why not a shared loop taking a
// function); they handle 4 elements per iteration at unit stride (see UNROLLED below: ~1.5x on
// exp). Loops read the math functions into locals first (`const f = exp32`): a module binding is
// checked for initialisation at every use.
const GELU_C = Math.sqrt(2 / Math.PI);

// float32 bit-pattern loops: b is the int32 view of a float32.
// relu: 0 for a set sign bit or a NaN (as `v > 0 ? v : 0` did), the bits otherwise.
const reluBits: UnaryLoop = (x, xi, xs, y, yi, n) => {
  for (let i = 0; i < n; i++, xi += xs) {
    const b = x[xi];
    y[yi + i] = b & ~((b >> 31) | ((0x7f800000 - (b & 0x7fffffff)) >> 31));
  }
};
const absBits: UnaryLoop = (x, xi, xs, y, yi, n) => {
  for (let i = 0; i < n; i++, xi += xs) y[yi + i] = x[xi] & 0x7fffffff;
};
// sign: ±1.0 (0x3f800000 with x's sign bit) for nonzero numbers; 0, -0 and NaN stay as they are.
const signBits: UnaryLoop = (x, xi, xs, y, yi, n) => {
  for (let i = 0; i < n; i++, xi += xs) {
    const b = x[xi], a = b & 0x7fffffff;
    const m = ((-a) >> 31) & ~((0x7f800000 - a) >> 31); // -1 when 0 < a <= inf
    y[yi + i] = (m & (0x3f800000 | (b & 0x80000000))) | (~m & b);
  }
};

export const UNARY_LOOPS = {
  neg: unary((x, xi, xs, y, yi, n) => {
    let i = 0;
    if (xs === 1) {
      for (; i + 4 <= n; i += 4, xi += 4) {
        const v0 = x[xi], v1 = x[xi + 1], v2 = x[xi + 2], v3 = x[xi + 3];
        y[yi + i] = -v0; y[yi + i + 1] = -v1; y[yi + i + 2] = -v2; y[yi + i + 3] = -v3;
      }
    }
    for (; i < n; i++, xi += xs) y[yi + i] = -x[xi];
  }),
  exp: unary(
    (x, xi, xs, y, yi, n) => {
      const f = exp32;
      let i = 0;
      if (xs === 1) {
        for (; i + 4 <= n; i += 4, xi += 4) {
          const v0 = f(x[xi]), v1 = f(x[xi + 1]), v2 = f(x[xi + 2]), v3 = f(x[xi + 3]);
          y[yi + i] = v0; y[yi + i + 1] = v1; y[yi + i + 2] = v2; y[yi + i + 3] = v3;
        }
      }
      for (; i < n; i++, xi += xs) y[yi + i] = f(x[xi]);
    },
    (x, xi, xs, y, yi, n) => { for (let i = 0; i < n; i++, xi += xs) y[yi + i] = Math.exp(x[xi]); }),
  log: unary(
    (x, xi, xs, y, yi, n) => {
      const f = log32;
      let i = 0;
      if (xs === 1) {
        for (; i + 4 <= n; i += 4, xi += 4) {
          const v0 = f(x[xi]), v1 = f(x[xi + 1]), v2 = f(x[xi + 2]), v3 = f(x[xi + 3]);
          y[yi + i] = v0; y[yi + i + 1] = v1; y[yi + i + 2] = v2; y[yi + i + 3] = v3;
        }
      }
      for (; i < n; i++, xi += xs) y[yi + i] = f(x[xi]);
    },
    (x, xi, xs, y, yi, n) => { for (let i = 0; i < n; i++, xi += xs) y[yi + i] = Math.log(x[xi]); }),
  log1p: unary(
    (x, xi, xs, y, yi, n) => {
      const f = log1p32;
      let i = 0;
      if (xs === 1) {
        for (; i + 4 <= n; i += 4, xi += 4) {
          const v0 = f(x[xi]), v1 = f(x[xi + 1]), v2 = f(x[xi + 2]), v3 = f(x[xi + 3]);
          y[yi + i] = v0; y[yi + i + 1] = v1; y[yi + i + 2] = v2; y[yi + i + 3] = v3;
        }
      }
      for (; i < n; i++, xi += xs) y[yi + i] = f(x[xi]);
    },
    (x, xi, xs, y, yi, n) => { for (let i = 0; i < n; i++, xi += xs) y[yi + i] = Math.log1p(x[xi]); }),
  expm1: unary(
    (x, xi, xs, y, yi, n) => {
      const f = expm1_32;
      let i = 0;
      if (xs === 1) {
        for (; i + 4 <= n; i += 4, xi += 4) {
          const v0 = f(x[xi]), v1 = f(x[xi + 1]), v2 = f(x[xi + 2]), v3 = f(x[xi + 3]);
          y[yi + i] = v0; y[yi + i + 1] = v1; y[yi + i + 2] = v2; y[yi + i + 3] = v3;
        }
      }
      for (; i < n; i++, xi += xs) y[yi + i] = f(x[xi]);
    },
    (x, xi, xs, y, yi, n) => { for (let i = 0; i < n; i++, xi += xs) y[yi + i] = Math.expm1(x[xi]); }),
  // sqrt is correctly rounded by IEEE-754, in every engine.
  sqrt: unary((x, xi, xs, y, yi, n) => { for (let i = 0; i < n; i++, xi += xs) y[yi + i] = Math.sqrt(x[xi]); }),
  rsqrt: unary((x, xi, xs, y, yi, n) => { for (let i = 0; i < n; i++, xi += xs) y[yi + i] = 1 / Math.sqrt(x[xi]); }),
  abs: unaryBits(absBits, (x, xi, xs, y, yi, n) => {
    if (y instanceof Int32Array) { // |v| as (v ^ m) - m with m the sign mask, branch-free
      for (let i = 0; i < n; i++, xi += xs) { const v = x[xi], m = v >> 31; y[yi + i] = (v ^ m) - m; }
    } else for (let i = 0; i < n; i++, xi += xs) y[yi + i] = Math.abs(x[xi]);
  }),
  sign: unaryBits(signBits, (x, xi, xs, y, yi, n) => {
    if (y instanceof Int32Array) { // -1, 0, 1 from the sign bit and the sign bit of -v, branch-free
      for (let i = 0; i < n; i++, xi += xs) { const v = x[xi]; y[yi + i] = (v >> 31) | (-v >>> 31); }
    } else for (let i = 0; i < n; i++, xi += xs) y[yi + i] = Math.sign(x[xi]);
  }),
  sin: unary(
    (x, xi, xs, y, yi, n) => {
      const f = sin32;
      let i = 0;
      if (xs === 1) {
        for (; i + 4 <= n; i += 4, xi += 4) {
          const v0 = f(x[xi]), v1 = f(x[xi + 1]), v2 = f(x[xi + 2]), v3 = f(x[xi + 3]);
          y[yi + i] = v0; y[yi + i + 1] = v1; y[yi + i + 2] = v2; y[yi + i + 3] = v3;
        }
      }
      for (; i < n; i++, xi += xs) y[yi + i] = f(x[xi]);
    },
    (x, xi, xs, y, yi, n) => { for (let i = 0; i < n; i++, xi += xs) y[yi + i] = Math.sin(x[xi]); }),
  cos: unary(
    (x, xi, xs, y, yi, n) => {
      const f = cos32;
      let i = 0;
      if (xs === 1) {
        for (; i + 4 <= n; i += 4, xi += 4) {
          const v0 = f(x[xi]), v1 = f(x[xi + 1]), v2 = f(x[xi + 2]), v3 = f(x[xi + 3]);
          y[yi + i] = v0; y[yi + i + 1] = v1; y[yi + i + 2] = v2; y[yi + i + 3] = v3;
        }
      }
      for (; i < n; i++, xi += xs) y[yi + i] = f(x[xi]);
    },
    (x, xi, xs, y, yi, n) => { for (let i = 0; i < n; i++, xi += xs) y[yi + i] = Math.cos(x[xi]); }),
  tanh: unary(
    (x, xi, xs, y, yi, n) => {
      const f = tanh32;
      let i = 0;
      if (xs === 1) {
        for (; i + 4 <= n; i += 4, xi += 4) {
          const v0 = f(x[xi]), v1 = f(x[xi + 1]), v2 = f(x[xi + 2]), v3 = f(x[xi + 3]);
          y[yi + i] = v0; y[yi + i + 1] = v1; y[yi + i + 2] = v2; y[yi + i + 3] = v3;
        }
      }
      for (; i < n; i++, xi += xs) y[yi + i] = f(x[xi]);
    },
    (x, xi, xs, y, yi, n) => { for (let i = 0; i < n; i++, xi += xs) y[yi + i] = Math.tanh(x[xi]); }),
  sigmoid: unary(
    (x, xi, xs, y, yi, n) => {
      const f = sigmoid32;
      let i = 0;
      if (xs === 1) {
        for (; i + 4 <= n; i += 4, xi += 4) {
          const v0 = f(x[xi]), v1 = f(x[xi + 1]), v2 = f(x[xi + 2]), v3 = f(x[xi + 3]);
          y[yi + i] = v0; y[yi + i + 1] = v1; y[yi + i + 2] = v2; y[yi + i + 3] = v3;
        }
      }
      for (; i < n; i++, xi += xs) y[yi + i] = f(x[xi]);
    },
    (x, xi, xs, y, yi, n) => {
      for (let i = 0; i < n; i++, xi += xs) {
        const v = x[xi];
        if (v >= 0) y[yi + i] = 1 / (1 + Math.exp(-v));
        else { const e = Math.exp(v); y[yi + i] = e / (1 + e); }
      }
    }),
  erf: unary(
    (x, xi, xs, y, yi, n) => {
      const f = erf32;
      let i = 0;
      if (xs === 1) {
        for (; i + 4 <= n; i += 4, xi += 4) {
          const v0 = f(x[xi]), v1 = f(x[xi + 1]), v2 = f(x[xi + 2]), v3 = f(x[xi + 3]);
          y[yi + i] = v0; y[yi + i + 1] = v1; y[yi + i + 2] = v2; y[yi + i + 3] = v3;
        }
      }
      for (; i < n; i++, xi += xs) y[yi + i] = f(x[xi]);
    },
    (x, xi, xs, y, yi, n) => { for (let i = 0; i < n; i++, xi += xs) y[yi + i] = erf64(x[xi]); }),
  relu: unaryBits(reluBits, (x, xi, xs, y, yi, n) => {
    if (y instanceof Int32Array) { // v & ~(sign mask): branch-free
      for (let i = 0; i < n; i++, xi += xs) { const v = x[xi]; y[yi + i] = v & ~(v >> 31); }
    } else for (let i = 0; i < n; i++, xi += xs) { const v = x[xi]; y[yi + i] = v > 0 ? v : 0; }
  }),
  // float32: 0.5 x (1 + tanh z) = x / (1 + e^(-2z)), which does not cancel for negative x.
  gelu: unary(
    (x, xi, xs, y, yi, n) => {
      const e = exp32, c = -2 * GELU_C, f = (v: number) => v / (1 + e(c * (v + 0.044715 * v * v * v)));
      let i = 0;
      if (xs === 1) {
        for (; i + 4 <= n; i += 4, xi += 4) {
          const v0 = f(x[xi]), v1 = f(x[xi + 1]), v2 = f(x[xi + 2]), v3 = f(x[xi + 3]);
          y[yi + i] = v0; y[yi + i + 1] = v1; y[yi + i + 2] = v2; y[yi + i + 3] = v3;
        }
      }
      for (; i < n; i++, xi += xs) y[yi + i] = f(x[xi]);
    },
    (x, xi, xs, y, yi, n) => { for (let i = 0; i < n; i++, xi += xs) { const v = x[xi]; y[yi + i] = 0.5 * v * (1 + Math.tanh(GELU_C * (v + 0.044715 * v * v * v))); } }),
  silu: unary(
    (x, xi, xs, y, yi, n) => {
      const e = exp32, f = (v: number) => v / (1 + e(-v));
      let i = 0;
      if (xs === 1) {
        for (; i + 4 <= n; i += 4, xi += 4) {
          const v0 = f(x[xi]), v1 = f(x[xi + 1]), v2 = f(x[xi + 2]), v3 = f(x[xi + 3]);
          y[yi + i] = v0; y[yi + i + 1] = v1; y[yi + i + 2] = v2; y[yi + i + 3] = v3;
        }
      }
      for (; i < n; i++, xi += xs) y[yi + i] = f(x[xi]);
    },
    (x, xi, xs, y, yi, n) => { for (let i = 0; i < n; i++, xi += xs) { const v = x[xi]; y[yi + i] = v / (1 + Math.exp(-v)); } }),
  // softplus(x) = max(x, 0) + log1p(e^-|x|): neither overflows nor loses precision.
  softplus: unary(
    (x, xi, xs, y, yi, n) => {
      const e = exp32, l = log1p32, f = (v: number) => (v > 0 ? v : 0) + l(e(v > 0 ? -v : v));
      let i = 0;
      if (xs === 1) {
        for (; i + 4 <= n; i += 4, xi += 4) {
          const v0 = f(x[xi]), v1 = f(x[xi + 1]), v2 = f(x[xi + 2]), v3 = f(x[xi + 3]);
          y[yi + i] = v0; y[yi + i + 1] = v1; y[yi + i + 2] = v2; y[yi + i + 3] = v3;
        }
      }
      for (; i < n; i++, xi += xs) y[yi + i] = f(x[xi]);
    },
    (x, xi, xs, y, yi, n) => { for (let i = 0; i < n; i++, xi += xs) { const v = x[xi]; y[yi + i] = Math.max(v, 0) + Math.log1p(Math.exp(-Math.abs(v))); } }),
  softsign: unary((x, xi, xs, y, yi, n) => {
    for (let i = 0; i < n; i++, xi += xs) { const v = x[xi]; y[yi + i] = v / (1 + Math.abs(v)); }
  }),
  square: unary((x, xi, xs, y, yi, n) => {
    let i = 0;
    if (xs === 1) {
      for (; i + 4 <= n; i += 4, xi += 4) {
        const v0 = x[xi], v1 = x[xi + 1], v2 = x[xi + 2], v3 = x[xi + 3];
        y[yi + i] = v0 * v0; y[yi + i + 1] = v1 * v1; y[yi + i + 2] = v2 * v2; y[yi + i + 3] = v3 * v3;
      }
    }
    for (; i < n; i++, xi += xs) { const v = x[xi]; y[yi + i] = v * v; }
  }),
  reciprocal: unary((x, xi, xs, y, yi, n) => { for (let i = 0; i < n; i++, xi += xs) y[yi + i] = 1 / x[xi]; }),
  logicalNot: unary((x, xi, xs, y, yi, n) => { for (let i = 0; i < n; i++, xi += xs) y[yi + i] = x[xi] ? 0 : 1; }),
  // Casts: the typed-array store converts (float -> int truncates toward zero, as C and PyTorch do).
  copy: unary((x, xi, xs, y, yi, n) => {
    let i = 0;
    if (xs === 1) {
      for (; i + 4 <= n; i += 4, xi += 4) {
        const v0 = x[xi], v1 = x[xi + 1], v2 = x[xi + 2], v3 = x[xi + 3];
        y[yi + i] = v0; y[yi + i + 1] = v1; y[yi + i + 2] = v2; y[yi + i + 3] = v3;
      }
    }
    for (; i < n; i++, xi += xs) y[yi + i] = x[xi];
  }),
  toBool: unary((x, xi, xs, y, yi, n) => { for (let i = 0; i < n; i++, xi += xs) y[yi + i] = x[xi] !== 0 ? 1 : 0; }), // NaN: true
} satisfies Record<string, Kernel>;

// ---------------------------------------------------------------- binary loops
// UNROLLED: the hottest loops (add sub mul div) have unit-stride paths (both operands, or a row
// against one broadcast value) that handle 4 elements per iteration. V8 re-checks a typed array's map and reloads its data pointer on every access in
// a loop (it does not hoist these checks); in straight-line code it checks once, so 4 elements per
// iteration measured ~35% faster on 1M float32 elements. The result bits are the same as the plain
// loop's (each element is still one operation, rounded once on store). The loops are written out
// per op on purpose: one shared loop taking the operator as a function would give every op the
// same call site, which V8 then stops inlining (a call per element).
export const BINARY_LOOPS = {
  add: binary((a, ai, as, b, bi, bs, y, yi, n) => {
    let i = 0;
    if (as === 1 && bs === 1) {
      for (; i + 4 <= n; i += 4, ai += 4, bi += 4) {
        const a0 = a[ai], a1 = a[ai + 1], a2 = a[ai + 2], a3 = a[ai + 3];
        const b0 = b[bi], b1 = b[bi + 1], b2 = b[bi + 2], b3 = b[bi + 3];
        y[yi + i] = a0 + b0; y[yi + i + 1] = a1 + b1; y[yi + i + 2] = a2 + b2; y[yi + i + 3] = a3 + b3;
      }
    } else if (as === 1 && bs === 0) { // a row against one value (softmax's x - max, e / sum)
      const bv = b[bi];
      for (; i + 4 <= n; i += 4, ai += 4) {
        const a0 = a[ai], a1 = a[ai + 1], a2 = a[ai + 2], a3 = a[ai + 3];
        y[yi + i] = a0 + bv; y[yi + i + 1] = a1 + bv; y[yi + i + 2] = a2 + bv; y[yi + i + 3] = a3 + bv;
      }
    }
    for (; i < n; i++, ai += as, bi += bs) y[yi + i] = a[ai] + b[bi];
  }),
  sub: binary((a, ai, as, b, bi, bs, y, yi, n) => {
    let i = 0;
    if (as === 1 && bs === 1) {
      for (; i + 4 <= n; i += 4, ai += 4, bi += 4) {
        const a0 = a[ai], a1 = a[ai + 1], a2 = a[ai + 2], a3 = a[ai + 3];
        const b0 = b[bi], b1 = b[bi + 1], b2 = b[bi + 2], b3 = b[bi + 3];
        y[yi + i] = a0 - b0; y[yi + i + 1] = a1 - b1; y[yi + i + 2] = a2 - b2; y[yi + i + 3] = a3 - b3;
      }
    } else if (as === 1 && bs === 0) { // a row against one value (softmax's x - max, e / sum)
      const bv = b[bi];
      for (; i + 4 <= n; i += 4, ai += 4) {
        const a0 = a[ai], a1 = a[ai + 1], a2 = a[ai + 2], a3 = a[ai + 3];
        y[yi + i] = a0 - bv; y[yi + i + 1] = a1 - bv; y[yi + i + 2] = a2 - bv; y[yi + i + 3] = a3 - bv;
      }
    }
    for (; i < n; i++, ai += as, bi += bs) y[yi + i] = a[ai] - b[bi];
  }),
  mul: binary((a, ai, as, b, bi, bs, y, yi, n) => {
    let i = 0;
    if (as === 1 && bs === 1) {
      for (; i + 4 <= n; i += 4, ai += 4, bi += 4) {
        const a0 = a[ai], a1 = a[ai + 1], a2 = a[ai + 2], a3 = a[ai + 3];
        const b0 = b[bi], b1 = b[bi + 1], b2 = b[bi + 2], b3 = b[bi + 3];
        y[yi + i] = a0 * b0; y[yi + i + 1] = a1 * b1; y[yi + i + 2] = a2 * b2; y[yi + i + 3] = a3 * b3;
      }
    } else if (as === 1 && bs === 0) { // a row against one value (softmax's x - max, e / sum)
      const bv = b[bi];
      for (; i + 4 <= n; i += 4, ai += 4) {
        const a0 = a[ai], a1 = a[ai + 1], a2 = a[ai + 2], a3 = a[ai + 3];
        y[yi + i] = a0 * bv; y[yi + i + 1] = a1 * bv; y[yi + i + 2] = a2 * bv; y[yi + i + 3] = a3 * bv;
      }
    }
    for (; i < n; i++, ai += as, bi += bs) y[yi + i] = a[ai] * b[bi];
  }),
  div: binary((a, ai, as, b, bi, bs, y, yi, n) => {
    let i = 0;
    if (as === 1 && bs === 1) {
      for (; i + 4 <= n; i += 4, ai += 4, bi += 4) {
        const a0 = a[ai], a1 = a[ai + 1], a2 = a[ai + 2], a3 = a[ai + 3];
        const b0 = b[bi], b1 = b[bi + 1], b2 = b[bi + 2], b3 = b[bi + 3];
        y[yi + i] = a0 / b0; y[yi + i + 1] = a1 / b1; y[yi + i + 2] = a2 / b2; y[yi + i + 3] = a3 / b3;
      }
    } else if (as === 1 && bs === 0) { // a row against one value (softmax's x - max, e / sum)
      const bv = b[bi];
      for (; i + 4 <= n; i += 4, ai += 4) {
        const a0 = a[ai], a1 = a[ai + 1], a2 = a[ai + 2], a3 = a[ai + 3];
        y[yi + i] = a0 / bv; y[yi + i + 1] = a1 / bv; y[yi + i + 2] = a2 / bv; y[yi + i + 3] = a3 / bv;
      }
    }
    for (; i < n; i++, ai += as, bi += bs) y[yi + i] = a[ai] / b[bi];
  }),
  // The engine's pow, rounded to float32 (not in the portable set: docs/engine.md).
  pow: binary((a, ai, as, b, bi, bs, y, yi, n) => { for (let i = 0; i < n; i++, ai += as, bi += bs) y[yi + i] = Math.pow(a[ai], b[bi]); }),
  // NaN wins; ties keep a.
  maximum: binary((a, ai, as, b, bi, bs, y, yi, n) => { for (let i = 0; i < n; i++, ai += as, bi += bs) { const u = a[ai], v = b[bi]; y[yi + i] = u >= v || u !== u ? u : v; } }),
  minimum: binary((a, ai, as, b, bi, bs, y, yi, n) => { for (let i = 0; i < n; i++, ai += as, bi += bs) { const u = a[ai], v = b[bi]; y[yi + i] = u <= v || u !== u ? u : v; } }),
  eq: binary((a, ai, as, b, bi, bs, y, yi, n) => { for (let i = 0; i < n; i++, ai += as, bi += bs) y[yi + i] = a[ai] === b[bi] ? 1 : 0; }),
  ne: binary((a, ai, as, b, bi, bs, y, yi, n) => { for (let i = 0; i < n; i++, ai += as, bi += bs) y[yi + i] = a[ai] !== b[bi] ? 1 : 0; }),
  lt: binary((a, ai, as, b, bi, bs, y, yi, n) => { for (let i = 0; i < n; i++, ai += as, bi += bs) y[yi + i] = a[ai] < b[bi] ? 1 : 0; }),
  le: binary((a, ai, as, b, bi, bs, y, yi, n) => { for (let i = 0; i < n; i++, ai += as, bi += bs) y[yi + i] = a[ai] <= b[bi] ? 1 : 0; }),
  gt: binary((a, ai, as, b, bi, bs, y, yi, n) => { for (let i = 0; i < n; i++, ai += as, bi += bs) y[yi + i] = a[ai] > b[bi] ? 1 : 0; }),
  ge: binary((a, ai, as, b, bi, bs, y, yi, n) => { for (let i = 0; i < n; i++, ai += as, bi += bs) y[yi + i] = a[ai] >= b[bi] ? 1 : 0; }),
  logicalAnd: binary((a, ai, as, b, bi, bs, y, yi, n) => { for (let i = 0; i < n; i++, ai += as, bi += bs) y[yi + i] = a[ai] && b[bi] ? 1 : 0; }),
  logicalOr: binary((a, ai, as, b, bi, bs, y, yi, n) => { for (let i = 0; i < n; i++, ai += as, bi += bs) y[yi + i] = a[ai] || b[bi] ? 1 : 0; }),
} satisfies Record<string, Kernel>;
