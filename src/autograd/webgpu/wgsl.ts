// WGSL building blocks shared by the kernels: element types, the parameter block, the thread
// index, strided index arithmetic, and a prelude of exact helper functions.
import type { DType } from '../dtype.js';
import { MATH, MATH_DEPENDS } from './math.js';

export type WType = 'f32' | 'i32' | 'u32';

/** How a dtype is stored on the GPU: bool takes one u32 per element. float64 never gets here. */
export function wtype(d: DType): WType {
  switch (d) {
    case 'float32': return 'f32';
    case 'int32': return 'i32';
    case 'bool': return 'u32';
    default: throw new Error(`webgpu: float64 is CPU-only (got a ${d} tensor); cast it with .float() first`);
  }
}

// ---------------------------------------------------------------- parameters
export type PKind = 'u' | 'i' | 'f';
export type PField = readonly [name: string, kind: PKind, count?: number];

/**
 * The layout of one kernel's parameter block: named u32 / i32 / f32 scalars and arrays packed
 * into a uniform array<vec4<u32>>. `decls()` declares each value as a WGSL `let` (arrays as
 * name0, name1, ...), `pack()` writes the same layout; both come from one field list.
 */
export class Params {
  /** count -1: a scalar; otherwise an array of `count` values (possibly none). */
  private readonly at = new Map<string, { at: number; kind: PKind; count: number }>();
  readonly words: number;

  constructor(fields: readonly PField[]) {
    let w = 0;
    for (const [name, kind, count] of fields) {
      this.at.set(name, { at: w, kind, count: count ?? -1 });
      w += count ?? 1;
    }
    this.words = Math.max(4, Math.ceil(w / 4) * 4);
  }

  /** WGSL: the uniform binding (binding 0). */
  binding(): string {
    return `struct PgParams { v: array<vec4<u32>, ${this.words / 4}> }\n@group(0) @binding(0) var<uniform> P: PgParams;\n`;
  }

  /** WGSL: `let` declarations of all fields (inside a function). */
  decls(): string {
    const out: string[] = [];
    const read = (w: number, kind: PKind) => {
      const raw = `P.v[${w >> 2}].${'xyzw'[w & 3]}`;
      return kind === 'u' ? raw : kind === 'i' ? `bitcast<i32>(${raw})` : `bitcast<f32>(${raw})`;
    };
    for (const [name, { at, kind, count }] of this.at) {
      if (count < 0) out.push(`  let ${name} = ${read(at, kind)};`);
      else for (let k = 0; k < count; k++) out.push(`  let ${name}${k} = ${read(at + k, kind)};`);
    }
    return out.join('\n') + '\n';
  }

  pack(vals: Record<string, number | readonly number[]>): Uint32Array {
    const u = new Uint32Array(this.words);
    const f = new Float32Array(u.buffer);
    const i = new Int32Array(u.buffer);
    for (const [name, { at, kind, count }] of this.at) {
      const v = vals[name];
      if (v === undefined) throw new Error(`internal: parameter '${name}' missing`);
      const list = typeof v === 'number' ? [v] : v;
      const n = count < 0 ? 1 : count;
      if (list.length < n) throw new Error(`internal: parameter '${name}' needs ${n} values, got ${list.length}`);
      for (let k = 0; k < n; k++) {
        if (kind === 'f') f[at + k] = list[k];
        else if (kind === 'i') i[at + k] = list[k];
        else u[at + k] = list[k] >>> 0;
      }
    }
    return u;
  }
}

const layouts = new Map<string, Params>();

/** The parameter layout named `key` (one per kernel and rank class), built once from `fields()`. */
export function params(key: string, fields: () => readonly PField[]): Params {
  let p = layouts.get(key);
  if (!p) layouts.set(key, (p = new Params(fields())));
  return p;
}

// ---------------------------------------------------------------- threads
/** Workgroups for `threads` invocations of size `wg`, folded into 2-D past 65535 groups. */
export function grid1d(threads: number, wg: number): [number, number, number] {
  const groups = Math.max(1, Math.ceil(threads / wg));
  if (groups <= 65535) return [groups, 1, 1];
  return [65535, Math.ceil(groups / 65535), 1];
}

/** The entry point of a 1-D kernel; `gi` is the global invocation index. */
export function main1d(wg: number): string {
  return `@compute @workgroup_size(${wg})
fn main(@builtin(workgroup_id) pg_wid: vec3<u32>, @builtin(num_workgroups) pg_nwg: vec3<u32>, @builtin(local_invocation_index) pg_lid: u32) {
  let gi = (pg_wid.y * pg_nwg.x + pg_wid.x) * ${wg}u + pg_lid;
`;
}

/**
 * WGSL that decomposes the linear index `idx` over a shape of `rank` dims (param names
 * `${shape}0..`) and accumulates i32 offsets `${o}` = `${base}` + sum(coord_d * `${strides}d`) for
 * each operand. Declares `var` offsets named by `ops[k].o`.
 */
export function unravel(idx: string, rank: number, shape: string, ops: { o: string; base: string; strides: string }[], tag = 'u'): string {
  const lines = ops.map((p) => `  var ${p.o}: i32 = ${p.base};`);
  if (rank === 0) return lines.join('\n') + '\n';
  lines.push(`  var ${tag}_r: u32 = ${idx};`);
  for (let d = rank - 1; d >= 0; d--) {
    const c = `${tag}_c${d}`;
    if (d > 0) lines.push(`  let ${c} = i32(${tag}_r % ${shape}${d}); ${tag}_r = ${tag}_r / ${shape}${d};`);
    else lines.push(`  let ${c} = i32(${tag}_r);`);
    for (const p of ops) lines.push(`  ${p.o} = ${p.o} + ${c} * ${p.strides}${d};`);
  }
  return lines.join('\n') + '\n';
}

// ---------------------------------------------------------------- prelude
// Exact helpers. WGSL lets `/` and `sqrt` err by a few ulp and lets compilers assume NaN never
// occurs (so `v != v` may fold to false); these work on the bit patterns instead, so they give
// the IEEE-754 correctly rounded result (round to nearest even, subnormals included) everywhere.

const F32_HELPERS: Record<string, string> = {
  // A float from its bits at run time (a constant NaN or infinity is a WGSL compile error).
  pg_bits: `fn pg_bits(u: u32) -> f32 { return bitcast<f32>(u); }`,
  pg_isnan: `fn pg_isnan(v: f32) -> bool { return (bitcast<u32>(v) & 0x7fffffffu) > 0x7f800000u; }`,
  // a / b correctly rounded, by long division of the 24-bit significands.
  pg_div: `fn pg_div(a: f32, b: f32) -> f32 {
  let ua = bitcast<u32>(a);
  let ub = bitcast<u32>(b);
  let sgn = (ua ^ ub) & 0x80000000u;
  let aa = ua & 0x7fffffffu;
  let ab = ub & 0x7fffffffu;
  if (aa > 0x7f800000u || ab > 0x7f800000u || (aa == ab && (aa == 0u || aa == 0x7f800000u))) { return pg_bits(0x7fc00000u); }
  if (aa == 0x7f800000u || ab == 0u) { return bitcast<f32>(sgn | 0x7f800000u); }
  if (aa == 0u || ab == 0x7f800000u) { return bitcast<f32>(sgn); }
  var ea = i32(aa >> 23u);
  var ma = aa & 0x7fffffu;
  if (ea == 0) { let s = countLeadingZeros(ma) - 8u; ma = ma << s; ea = 1 - i32(s); } else { ma = ma | 0x800000u; }
  var eb = i32(ab >> 23u);
  var mb = ab & 0x7fffffu;
  if (eb == 0) { let s = countLeadingZeros(mb) - 8u; mb = mb << s; eb = 1 - i32(s); } else { mb = mb | 0x800000u; }
  var e = ea - eb + 126;
  if (ma >= mb) { e = e + 1; } else { ma = ma << 1u; }
  // ma / mb is in [1, 2): 25 quotient bits (24 significant + 1 guard), remainder r.
  var q = 0u;
  var r = ma;
  for (var i = 0u; i < 25u; i = i + 1u) {
    q = q << 1u;
    if (r >= mb) { r = r - mb; q = q | 1u; }
    r = r << 1u;
  }
  if (e >= 255) { return bitcast<f32>(sgn | 0x7f800000u); }
  var sticky = r != 0u;
  var m: u32;
  var guard: u32;
  if (e >= 1) {
    m = q >> 1u;
    guard = q & 1u;
  } else {
    let s = u32(min(2 - e, 26));
    m = q >> s;
    guard = (q >> (s - 1u)) & 1u;
    sticky = sticky || (q & ((1u << (s - 1u)) - 1u)) != 0u;
  }
  if (guard == 1u && (sticky || (m & 1u) == 1u)) { m = m + 1u; }
  var bits = m;
  if (e >= 1) { bits = (u32(e - 1) << 23u) + m; }
  if (bits >= 0x7f800000u) { bits = 0x7f800000u; }
  return bitcast<f32>(sgn | bits);
}`,
  // sqrt(x) correctly rounded, by the digit-by-digit integer square root (shadows the builtin).
  sqrt: `fn sqrt(x: f32) -> f32 {
  let u = bitcast<u32>(x);
  if (u == 0u || u == 0x80000000u || u == 0x7f800000u) { return x; }
  if (u > 0x7f800000u) { return pg_bits(0x7fc00000u); }
  var e = i32(u >> 23u);
  var m = u & 0x7fffffu;
  if (e == 0) { let s = countLeadingZeros(m) - 8u; m = m << s; e = 1 - i32(s); } else { m = m | 0x800000u; }
  // x = m * 2^(e - 150); make the exponent even.
  var k = e - 150;
  if ((k & 1) != 0) { m = m << 1u; k = k - 1; }
  // root = floor(sqrt(m * 2^26)): m * 2^26 < 2^51 is fed two bits at a time from the top.
  var rem = 0u;
  var root = 0u;
  for (var i = 0; i < 26; i = i + 1) {
    let sh = 50 - 2 * i;
    var pair = 0u;
    if (sh >= 26) { pair = (m >> u32(sh - 26)) & 3u; }
    rem = (rem << 2u) | pair;
    let trial = (root << 2u) | 1u;
    root = root << 1u;
    if (rem >= trial) { rem = rem - trial; root = root | 1u; }
  }
  // sqrt(x) = root * 2^((k - 26) / 2); root has 25 or 26 bits.
  var half = (k - 26) / 2;
  var sig: u32;
  var guard: u32;
  var sticky = rem != 0u;
  if (root >= 0x2000000u) {
    sig = root >> 2u; guard = (root >> 1u) & 1u; sticky = sticky || (root & 1u) != 0u; half = half + 2;
  } else {
    sig = root >> 1u; guard = root & 1u; half = half + 1;
  }
  if (guard == 1u && (sticky || (sig & 1u) == 1u)) { sig = sig + 1u; }
  // value = sig * 2^half with sig in [2^23, 2^24] (a carry moves into the exponent field).
  return bitcast<f32>((u32(half + 149) << 23u) + sig);
}`,
  // Math.pow on reals: integer powers of negative bases, and the IEEE special cases.
  pow_real: `fn pow_real(a: f32, b: f32) -> f32 {
  if (b == 0.0) { return 1.0; }
  if (pg_isnan(a) || pg_isnan(b)) { return pg_bits(0x7fc00000u); }
  if (b == 1.0) { return a; }
  if (b == 2.0) { return a * a; }
  if (b == 3.0) { return a * a * a; }
  if (b == -1.0) { return pg_div(1.0, a); }
  if (b == 0.5 && a > 0.0) { return sqrt(a); }
  let isInt = floor(b) == b;
  let odd = isInt && abs(b) < 16777216.0 && (i32(b) & 1) != 0;
  if (a == 0.0) {
    if (b > 0.0) { return select(0.0, a, odd); }
    return select(pg_bits(0x7f800000u), pg_div(1.0, a), odd);
  }
  if (a < 0.0) {
    if (!isInt) { return pg_bits(0x7fc00000u); }
    let r = exp(b * log(-a));
    return select(r, -r, odd);
  }
  return exp(b * log(a));
}`,
};

const HELPERS: Record<string, string> = { ...F32_HELPERS, ...MATH };
const DEPENDS: Record<string, string[]> = {
  ...MATH_DEPENDS,
  pow_real: ['pg_isnan', 'pg_div', 'sqrt', 'pg_bits', 'exp', 'log'],
  pg_div: ['pg_bits'],
  sqrt: ['pg_bits'],
};
const CALL = Object.fromEntries(Object.keys(HELPERS).map((k) => [k, new RegExp(`\\b${k}\\s*\\(`)]));

/**
 * The helper functions `code` calls (with what they call in turn), for compute type `t`. The
 * float32 ones shadow WGSL's builtins of the same name (exp, log, sqrt, sin, cos, tanh,
 * inverseSqrt); pg_isnan of an integer type is always false.
 */
export function prelude(code: string, t: WType): string {
  const want = new Set<string>();
  const add = (name: string) => {
    if (want.has(name)) return;
    want.add(name);
    for (const d of DEPENDS[name] ?? []) add(d);
  };
  for (const name of Object.keys(HELPERS)) if (CALL[name].test(code)) add(name);
  const out: string[] = [];
  for (const name of Object.keys(HELPERS)) {
    if (!want.has(name)) continue;
    if (name === 'pg_isnan' && t !== 'f32') out.push(`fn pg_isnan(v: ${t}) -> bool { return false; }`);
    else out.push(HELPERS[name]);
  }
  return out.join('\n') + '\n';
}
