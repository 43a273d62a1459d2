// papergrad's one WebAssembly byte emitter: kernels are written in TypeScript as wasm expressions
// and turned into a module's bytes at run time (no toolchain, no eval, no dependency). Used by the
// wasm backend (this folder) and by the pure-JS CPU backend's matmul panel (cpu/matmul.ts).
//
// Code is written as nested expressions in the order wasm evaluates them: `f64.add(a, b)` is the
// bytes of a, then of b, then the opcode. An expression is a byte array (`Code`); numbers in an
// argument list are raw bytes. Locals are numbered by Func.local(), control flow uses the helpers
// at the end (block, loop, ifElse, forRange), whose branch depths count the enclosing blocks.
//
// Only what the kernels use is here. The encodings follow the WebAssembly 2.0 binary format
// (sections, LEB128, the 0xfc and 0xfd prefixes of the bulk-memory, saturating-conversion and
// fixed-width SIMD instructions); a wrong byte is a CompileError, which the tests would show.

export type Code = number[];
type Part = Code | number;

/** Flattens code fragments (raw bytes or byte arrays) into one. */
export function seq(...parts: Part[]): Code {
  const out: Code = [];
  for (const p of parts) {
    if (typeof p === 'number') out.push(p);
    else for (let i = 0; i < p.length; i++) out.push(p[i]);
  }
  return out;
}

// ---------------------------------------------------------------- encodings
export function uleb(n: number): Code {
  const out: Code = [];
  do {
    let b = n & 0x7f;
    n = Math.floor(n / 128);
    if (n) b |= 0x80;
    out.push(b);
  } while (n);
  return out;
}

/** Signed LEB128 of a 32-bit integer. */
export function sleb(n: number): Code {
  n |= 0;
  const out: Code = [];
  for (;;) {
    const b = n & 0x7f;
    n >>= 7;
    const last = (n === 0 && !(b & 0x40)) || (n === -1 && (b & 0x40) !== 0);
    out.push(last ? b : b | 0x80);
    if (last) return out;
  }
}

/** Signed LEB128 of a 64-bit integer. */
function sleb64(n: bigint): Code {
  const out: Code = [];
  for (;;) {
    const b = Number(n & 0x7fn);
    n >>= 7n;
    const last = (n === 0n && !(b & 0x40)) || (n === -1n && (b & 0x40) !== 0);
    out.push(last ? b : b | 0x80);
    if (last) return out;
  }
}

const scratch = new DataView(new ArrayBuffer(16));
function f64Bytes(v: number): Code {
  scratch.setFloat64(0, v, true);
  return Array.from(new Uint8Array(scratch.buffer, 0, 8));
}
function f32Bytes(v: number): Code {
  scratch.setFloat32(0, v, true);
  return Array.from(new Uint8Array(scratch.buffer, 0, 4));
}

const str = (s: string): Code => [...uleb(s.length), ...Array.from(s, (c) => c.charCodeAt(0))];
const vec = (items: Code[]): Code => seq(uleb(items.length), ...items);
const section = (id: number, body: Code): Code => [id, ...uleb(body.length), ...body];

// ---------------------------------------------------------------- types
export const I32 = 0x7f, I64 = 0x7e, F32 = 0x7d, F64 = 0x7c, V128 = 0x7b;
export type ValType = typeof I32 | typeof I64 | typeof F32 | typeof F64 | typeof V128;
/** Block type of a block that yields nothing. */
const VOID = 0x40;

// ---------------------------------------------------------------- functions and modules
/** The function whose v128 constants are being hoisted now (Func.hoistConstants), if any. */
let hoisting: Func | null = null;

/** A function under construction: its signature, its locals, its body. */
export class Func {
  private readonly localTypes: ValType[] = [];
  readonly body: Code = [];
  constructor(readonly name: string | null, readonly params: readonly ValType[], readonly results: readonly ValType[],
    private readonly module?: ModuleBuilder) {}

  /** A new local of type t; returns its index. */
  local(t: ValType): number {
    this.localTypes.push(t);
    return this.params.length + this.localTypes.length - 1;
  }

  /** Several new locals of type t. */
  locals(t: ValType, n: number): number[] {
    return Array.from({ length: n }, () => this.local(t));
  }

  emit(...parts: Part[]): this {
    const c = seq(...parts);
    for (let i = 0; i < c.length; i++) this.body.push(c[i]);
    return this;
  }

  /** Code that sets the hoisted constants' locals, run before the body. */
  private prologue: Code = [];
  private consts: Map<string, number> | null = null;

  /**
   * Runs build() with this function's v128 constants hoisted: every v128.const built meanwhile
   * (other than all-zero and all-one bits, which cost one instruction) becomes a local, read at the
   * function's start from a mutable global of the module. V8 materialises a v128.const wherever it
   * is used (a 64-bit immediate moved in and broadcast: three instructions, inside the loop), and
   * propagates a constant set into a local the same way; a global read is not a constant to it, so
   * the value stays in a register (or one load from the stack when registers run out).
   */
  hoistConstants<T>(build: () => T): T {
    if (!this.module) throw new Error('internal: hoistConstants needs a function of a ModuleBuilder');
    const outer = hoisting;
    this.consts ??= new Map();
    hoisting = this;
    try { return build(); } finally { hoisting = outer; }
  }

  /** The local holding constant `bytes` (hoistConstants). */
  constLocal(bytes: readonly number[]): number {
    const key = bytes.join();
    let l = this.consts!.get(key);
    if (l === undefined) {
      l = this.local(V128);
      this.consts!.set(key, l);
      this.prologue.push(0x23, ...uleb(this.module!.constGlobal(bytes)), 0x21, ...uleb(l)); // global.get, local.set
    }
    return l;
  }

  /** The code section entry: locals (run-length by type) and body. */
  encode(): Code {
    const runs: Code[] = [];
    for (let i = 0; i < this.localTypes.length;) {
      let j = i;
      while (j < this.localTypes.length && this.localTypes[j] === this.localTypes[i]) j++;
      runs.push([...uleb(j - i), this.localTypes[i]]);
      i = j;
    }
    const body = seq(vec(runs), this.prologue, this.body, 0x0b);
    return [...uleb(body.length), ...body];
  }
}

interface Import { module: string; name: string; kind: 'func' | 'memory'; type?: number; mem?: { min: number; max?: number; shared: boolean } }

/** A module: imported memory and functions, defined functions (exported by name). */
export class ModuleBuilder {
  private readonly types: Code[] = [];
  private readonly imports: Import[] = [];
  private readonly funcs: Func[] = [];
  private importedFuncs = 0;
  /** Mutable v128 globals holding constants (Func.hoistConstants), by their bytes. */
  private readonly globals = new Map<string, { index: number; bytes: readonly number[] }>();

  /** The index of a mutable v128 global initialised to `bytes` (one per distinct constant). */
  constGlobal(bytes: readonly number[]): number {
    const key = bytes.join();
    let g = this.globals.get(key);
    if (!g) this.globals.set(key, (g = { index: this.globals.size, bytes }));
    return g.index;
  }

  private typeIndex(params: readonly ValType[], results: readonly ValType[]): number {
    const t = [0x60, ...vec(params.map((p) => [p])), ...vec(results.map((r) => [r]))];
    const key = t.join();
    const at = this.types.findIndex((x) => x.join() === key);
    if (at >= 0) return at;
    this.types.push(t);
    return this.types.length - 1;
  }

  /** Imports a memory as `module.name` (pages of 64 KiB). */
  importMemory(module: string, name: string, min: number, max: number | undefined, shared: boolean): this {
    this.imports.push({ module, name, kind: 'memory', mem: { min, max, shared } });
    return this;
  }

  /** Imports a host function; returns its function index (imports come before defined functions). */
  importFunc(module: string, name: string, params: readonly ValType[], results: readonly ValType[]): number {
    if (this.funcs.length) throw new Error('internal: wasm imports must be declared before functions');
    this.imports.push({ module, name, kind: 'func', type: this.typeIndex(params, results) });
    return this.importedFuncs++;
  }

  /** Declares a function (exported when named); returns it and its index (to call it). */
  func(name: string | null, params: readonly ValType[], results: readonly ValType[] = []): { f: Func; index: number } {
    const f = new Func(name, params, results, this);
    this.funcs.push(f);
    return { f, index: this.importedFuncs + this.funcs.length - 1 };
  }

  bytes(): Uint8Array<ArrayBuffer> {
    const imports = this.imports.map((im) => {
      const head = [...str(im.module), ...str(im.name)];
      if (im.kind === 'func') return [...head, 0x00, ...uleb(im.type!)];
      const m = im.mem!;
      const flags = (m.max !== undefined ? 1 : 0) | (m.shared ? 2 : 0);
      return [...head, 0x02, flags, ...uleb(m.min), ...(m.max !== undefined ? uleb(m.max) : [])];
    });
    const funcTypes = this.funcs.map((f) => uleb(this.typeIndex(f.params, f.results)));
    const exports = this.funcs
      .map((f, i) => (f.name === null ? null : [...str(f.name), 0x00, ...uleb(this.importedFuncs + i)]))
      .filter((e): e is Code => e !== null);
    const bytes = [
      0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
      ...section(1, vec(this.types)),
      ...(imports.length ? section(2, vec(imports)) : []),
      ...section(3, vec(funcTypes)),
      // globals: v128, mutable, initialised by a constant expression (v128.const bytes, end)
      ...(this.globals.size ? section(6, vec([...this.globals.values()].map((g) => [V128, 0x01, 0xfd, 0x0c, ...g.bytes, 0x0b]))) : []),
      ...(exports.length ? section(7, vec(exports)) : []),
      ...section(10, vec(this.funcs.map((f) => f.encode()))),
    ];
    return new Uint8Array(bytes);
  }
}

// ---------------------------------------------------------------- instructions
const un = (...op: number[]) => (a: Part): Code => seq(a, ...op);
const bin = (...op: number[]) => (a: Part, b: Part): Code => seq(a, b, ...op);
const simdOp = (op: number): Code => [0xfd, ...uleb(op)];
const sun = (op: number) => (a: Part): Code => seq(a, simdOp(op));
const sbin = (op: number) => (a: Part, b: Part): Code => seq(a, b, simdOp(op));
/** memarg: alignment (log2, a hint) and offset. */
const memarg = (align: number, offset: number): Code => [align, ...uleb(offset)];

export const get = (l: number): Code => [0x20, ...uleb(l)];
export const set = (l: number, v: Part): Code => seq(v, 0x21, ...uleb(l));
export const tee = (l: number, v: Part): Code => seq(v, 0x22, ...uleb(l));
export const call = (fn: number, ...args: Part[]): Code => seq(...args, 0x10, ...uleb(fn));
export const drop = (v: Part): Code => seq(v, 0x1a);
/** c ? a : b, evaluating all three (scalar types). */
export const select = (a: Part, b: Part, c: Part): Code => seq(a, b, c, 0x1b);
export const ret = (v?: Part): Code => seq(v ?? [], 0x0f);
export const unreachable: Code = [0x00];

export const i32 = {
  const: (n: number): Code => [0x41, ...sleb(n)],
  load: (addr: Part, offset = 0) => seq(addr, 0x28, ...memarg(2, offset)),
  load8u: (addr: Part, offset = 0) => seq(addr, 0x2d, ...memarg(0, offset)),
  /** A 32-bit constant given as its bit pattern (any uint32). */
  bits: (u: number): Code => [0x41, ...sleb(u | 0)],
  store: (addr: Part, v: Part, offset = 0) => seq(addr, v, 0x36, ...memarg(2, offset)),
  store8: (addr: Part, v: Part, offset = 0) => seq(addr, v, 0x3a, ...memarg(0, offset)),
  eqz: un(0x45), eq: bin(0x46), ne: bin(0x47), lt_s: bin(0x48), lt_u: bin(0x49), gt_s: bin(0x4a), gt_u: bin(0x4b),
  le_s: bin(0x4c), le_u: bin(0x4d), ge_s: bin(0x4e), ge_u: bin(0x4f),
  add: bin(0x6a), sub: bin(0x6b), mul: bin(0x6c), div_s: bin(0x6d), div_u: bin(0x6e), rem_s: bin(0x6f), rem_u: bin(0x70),
  and: bin(0x71), or: bin(0x72), xor: bin(0x73), shl: bin(0x74), shr_s: bin(0x75), shr_u: bin(0x76),
  wrap_i64: un(0xa7),
  trunc_sat_f64_s: un(0xfc, 0x02),
  reinterpret_f32: un(0xbc),
};

export const i64 = {
  const: (n: number | bigint): Code => [0x42, ...sleb64(BigInt(n))],
  load: (addr: Part, offset = 0) => seq(addr, 0x29, ...memarg(3, offset)),
  store: (addr: Part, v: Part, offset = 0) => seq(addr, v, 0x37, ...memarg(3, offset)),
  eq: bin(0x51), ne: bin(0x52),
  add: bin(0x7c), sub: bin(0x7d), mul: bin(0x7e), and: bin(0x83), or: bin(0x84), xor: bin(0x85),
  shl: bin(0x86), shr_s: bin(0x87), shr_u: bin(0x88),
  extend_i32_s: un(0xac), extend_i32_u: un(0xad),
  reinterpret_f64: un(0xbd),
};

export const f32 = {
  const: (v: number): Code => [0x43, ...f32Bytes(v)],
  load: (addr: Part, offset = 0) => seq(addr, 0x2a, ...memarg(2, offset)),
  store: (addr: Part, v: Part, offset = 0) => seq(addr, v, 0x38, ...memarg(2, offset)),
  eq: bin(0x5b), ne: bin(0x5c), lt: bin(0x5d), gt: bin(0x5e), le: bin(0x5f), ge: bin(0x60),
  abs: un(0x8b), neg: un(0x8c), sqrt: un(0x91),
  add: bin(0x92), sub: bin(0x93), mul: bin(0x94), div: bin(0x95), min: bin(0x96), max: bin(0x97), copysign: bin(0x98),
  demote_f64: un(0xb6), convert_i32_s: un(0xb2), reinterpret_i32: un(0xbe),
};

export const f64 = {
  const: (v: number): Code => [0x44, ...f64Bytes(v)],
  load: (addr: Part, offset = 0) => seq(addr, 0x2b, ...memarg(3, offset)),
  store: (addr: Part, v: Part, offset = 0) => seq(addr, v, 0x39, ...memarg(3, offset)),
  eq: bin(0x61), ne: bin(0x62), lt: bin(0x63), gt: bin(0x64), le: bin(0x65), ge: bin(0x66),
  abs: un(0x99), neg: un(0x9a), floor: un(0x9c), nearest: un(0x9e), sqrt: un(0x9f),
  add: bin(0xa0), sub: bin(0xa1), mul: bin(0xa2), div: bin(0xa3), min: bin(0xa4), max: bin(0xa5), copysign: bin(0xa6),
  promote_f32: un(0xbb), convert_i32_s: un(0xb7), reinterpret_i64: un(0xbf),
};

export const v128 = {
  load: (addr: Part, offset = 0): Code => seq(addr, simdOp(0x00), ...memarg(4, offset)),
  /** Two float32s (8 bytes) into the low lanes, the high lanes zero. */
  load64_zero: (addr: Part, offset = 0): Code => seq(addr, simdOp(0x5d), ...memarg(3, offset)),
  load32_splat: (addr: Part, offset = 0): Code => seq(addr, simdOp(0x09), ...memarg(2, offset)),
  load64_splat: (addr: Part, offset = 0): Code => seq(addr, simdOp(0x0a), ...memarg(3, offset)),
  store: (addr: Part, v: Part, offset = 0): Code => seq(addr, v, simdOp(0x0b), ...memarg(4, offset)),
  /** Stores lane 0 (of 64 bits): the low two float32 lanes. */
  store64_lane0: (addr: Part, v: Part, offset = 0): Code => seq(addr, v, simdOp(0x5b), ...memarg(3, offset), 0),
  /** Stores 32-bit lane 0: one float32, or four bytes. */
  store32_lane0: (addr: Part, v: Part, offset = 0): Code => seq(addr, v, simdOp(0x5a), ...memarg(2, offset), 0),
  /** Four bytes into lane 0, the rest zero. */
  load32_zero: (addr: Part, offset = 0): Code => seq(addr, simdOp(0x5c), ...memarg(2, offset)),
  /** Bytes of a and b (0-15 from a, 16-31 from b) picked by 16 lane indices. */
  shuffle: (a: Part, b: Part, lanes: readonly number[]): Code => seq(a, b, simdOp(0x0d), ...lanes),
  const: (bytes: readonly number[]): Code => {
    if (hoisting && bytes.some((b) => b !== bytes[0] || (b !== 0 && b !== 0xff))) return get(hoisting.constLocal(bytes));
    return [...simdOp(0x0c), ...bytes];
  },
  zero: (): Code => [...simdOp(0x0c), ...new Array(16).fill(0)],
  not: sun(0x4d), and: sbin(0x4e), andnot: sbin(0x4f), or: sbin(0x50), xor: sbin(0x51),
  /** Lanes of a where mask's bits are set, of b elsewhere. */
  bitselect: (a: Part, b: Part, mask: Part): Code => seq(a, b, mask, simdOp(0x52)),
  any_true: sun(0x53),
};

export const i8x16 = {
  narrow_i16x8_u: sbin(0x66),
};

export const i16x8 = {
  narrow_i32x4_u: sbin(0x86),
  extend_low_i8x16_u: sun(0x89),
};

export const i32x4 = {
  splat: sun(0x11),
  extract_lane: (v: Part, lane: number): Code => seq(v, simdOp(0x1b), lane),
  replace_lane: (v: Part, lane: number, x: Part): Code => seq(v, x, simdOp(0x1c), lane),
  extend_low_i16x8_u: sun(0xa9),
  eq: sbin(0x37), ne: sbin(0x38), lt_s: sbin(0x39), gt_s: sbin(0x3b),
  all_true: sun(0xa3), bitmask: sun(0xa4),
  shl: sbin(0xab), shr_s: sbin(0xac), shr_u: sbin(0xad), add: sbin(0xae), sub: sbin(0xb1), mul: sbin(0xb5),
  trunc_sat_f64x2_s_zero: sun(0xfc),
  trunc_sat_f32x4_s: sun(0xf8),
};

export const i64x2 = {
  splat: sun(0x12),
  extract_lane: (v: Part, lane: number): Code => seq(v, simdOp(0x1d), lane),
  replace_lane: (v: Part, lane: number, x: Part): Code => seq(v, x, simdOp(0x1e), lane),
  all_true: sun(0xc3), bitmask: sun(0xc4),
  shl: sbin(0xcb), shr_s: sbin(0xcc), shr_u: sbin(0xcd), add: sbin(0xce), sub: sbin(0xd1),
  eq: sbin(0xd6), ne: sbin(0xd7), lt_s: sbin(0xd8), gt_s: sbin(0xd9),
};

export const f32x4 = {
  splat: sun(0x13),
  const: (v: number): Code => v128.const([...f32Bytes(v), ...f32Bytes(v), ...f32Bytes(v), ...f32Bytes(v)]),
  extract_lane: (v: Part, lane: number): Code => seq(v, simdOp(0x1f), lane),
  replace_lane: (v: Part, lane: number, x: Part): Code => seq(v, x, simdOp(0x20), lane),
  eq: sbin(0x41), ne: sbin(0x42), lt: sbin(0x43), gt: sbin(0x44), le: sbin(0x45), ge: sbin(0x46),
  abs: sun(0xe0), neg: sun(0xe1), sqrt: sun(0xe3),
  add: sbin(0xe4), sub: sbin(0xe5), mul: sbin(0xe6), div: sbin(0xe7), min: sbin(0xe8), max: sbin(0xe9), pmin: sbin(0xea), pmax: sbin(0xeb),
  demote_f64x2_zero: sun(0x5e),
  convert_i32x4_s: sun(0xfa),
  nearest: sun(0x6a),
};

export const f64x2 = {
  splat: sun(0x14),
  const: (v: number): Code => v128.const([...f64Bytes(v), ...f64Bytes(v)]),
  extract_lane: (v: Part, lane: number): Code => seq(v, simdOp(0x21), lane),
  replace_lane: (v: Part, lane: number, x: Part): Code => seq(v, x, simdOp(0x22), lane),
  eq: sbin(0x47), ne: sbin(0x48), lt: sbin(0x49), gt: sbin(0x4a), le: sbin(0x4b), ge: sbin(0x4c),
  abs: sun(0xec), neg: sun(0xed), sqrt: sun(0xef),
  add: sbin(0xf0), sub: sbin(0xf1), mul: sbin(0xf2), div: sbin(0xf3), min: sbin(0xf4), max: sbin(0xf5), pmin: sbin(0xf6), pmax: sbin(0xf7),
  promote_low_f32x4: sun(0x5f),
  convert_low_i32x4_s: sun(0xfe),
};

// ---------------------------------------------------------------- control flow
/** A block: `br(0)` inside it (at its own level) jumps past its end. */
export const block = (...body: Part[]): Code => seq(0x02, VOID, ...body, 0x0b);
/** A loop: `br(0)` inside it (at its own level) jumps back to its start. */
export const loop = (...body: Part[]): Code => seq(0x03, VOID, ...body, 0x0b);
export const br = (depth: number): Code => [0x0c, ...uleb(depth)];
export const brIf = (depth: number, cond: Part): Code => seq(cond, 0x0d, ...uleb(depth));
/** if cond { then } else { otherwise } (no value). */
export const ifElse = (cond: Part, then: Part[], otherwise: Part[] = []): Code =>
  seq(cond, 0x04, VOID, ...then, ...(otherwise.length ? [0x05, ...seq(...otherwise)] : []), 0x0b);

/**
 * for (i = from; i < to; i += step) body, with i an i32 local and `to` re-evaluated each time (a
 * signed comparison). Inside `body`, depth 0 is the loop and depth 1 the block around it, so
 * br(1) breaks; blocks the body opens add to those depths.
 */
export function forRange(i: number, from: Part, to: Part, step: number, ...body: Part[]): Code {
  return seq(
    set(i, from),
    block(loop(
      brIf(1, i32.ge_s(get(i), to)),
      ...body,
      set(i, i32.add(get(i), i32.const(step))),
      br(0),
    )),
  );
}

// ---------------------------------------------------------------- compiling
let available: boolean | null = null;
let reason = '';

/**
 * Whether this JS engine compiles WebAssembly with SIMD here. False where there is no
 * WebAssembly, no SIMD, or compiling from bytes is refused (a Content-Security-Policy without
 * 'wasm-unsafe-eval'); `wasmUnavailableReason()` says which.
 */
export function wasmAvailable(): boolean {
  if (available !== null) return available;
  try {
    if (typeof WebAssembly === 'undefined') throw new Error('this JavaScript engine has no WebAssembly');
    const m = new ModuleBuilder();
    const { f } = m.func('probe', [], [F64]);
    f.emit(f64x2.extract_lane(f64x2.add(f64x2.const(1), f64x2.const(2)), 1));
    const inst = new WebAssembly.Instance(new WebAssembly.Module(m.bytes()), {});
    if ((inst.exports.probe as () => number)() !== 3) throw new Error('WebAssembly SIMD gave a wrong answer');
    available = true;
  } catch (e) {
    available = false;
    reason = e instanceof Error ? `${e.name}: ${e.message}` : String(e);
  }
  return available;
}

/** Why wasmAvailable() is false ('' when it is true). */
export function wasmUnavailableReason(): string {
  wasmAvailable();
  return reason;
}

/** For tests: pretend WebAssembly is refused (true) or probe again (false). */
export function simulateWasmRefused(refused: boolean): void {
  available = refused ? false : null;
  reason = refused ? 'simulated: WebAssembly refused' : '';
}
