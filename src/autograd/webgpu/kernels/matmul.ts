// Batched matmul with arbitrary strides (so transposes are free) and broadcast batch dims.
// Three kernels:
//  - 'tile':   shared-memory tiles (TM x TN outputs per workgroup, BK-deep slices of K) with
//              register blocking: each thread accumulates RM x RN outputs. Operands are loaded
//              along whichever of their dims is contiguous (vec4 loads where shapes allow). When
//              the output has too few tiles to fill a GPU (a 128 x 256 layer output is 8 tiles), K
//              is split into S slices computed in parallel and summed in slice order afterwards.
//  - 'dot':    one workgroup per output element (tree reduction over K): small outputs with a long K,
//              e.g. matrix-vector products and the weight gradient of a 1-row batch.
//  - 'simple': one thread per output element: skinny outputs (a row or a column) with a short K.
import type { Storage, View } from '../../backend.js';
import { broadcastStrides, collapseDims, sizeOf } from '../../shape.js';
import type { Ctx } from '../context.js';
import { Params, grid1d, main1d, params, unravel } from '../wgsl.js';

interface Tile {
  name: string;
  TM: number; // rows of C per workgroup
  TN: number; // columns of C per workgroup
  RM: number; // rows per thread (a multiple of 4 when vec)
  RN: number; // columns per thread (a multiple of 4)
  BK: number; // depth of one shared-memory slice
  /**
   * Shared memory as vec4 (each thread owns groups of 4 adjacent rows and columns and reads them
   * with one 16-byte load), and threads laid out 8 x 4 per 32-wide warp so a warp's loads touch
   * 8 + 4 distinct vec4s. Scalar tiles read RM + RN scalars per k step; vec tiles (RM + RN) / 4.
   */
  vec?: boolean;
  /** Load the next K slice into registers while computing on the current one (register double-buffering). */
  prefetch?: boolean;
}
// All use 256 threads (16 x 16); 8 KiB of shared memory, 16 KiB for t128v16.
const SMALL: Tile = { name: 't64', TM: 64, TN: 64, RM: 4, RN: 4, BK: 16 };
// The large default is the vec4 variant: per k step a thread issues 4 shared-memory loads for 64
// multiply-adds instead of 16. It was chosen on that count and checked for correctness on lavapipe;
// no real GPU has timed it against t128 yet (bench/gpu.sh runs the sweep that decides).
const LARGE: Tile = { name: 't128v', TM: 128, TN: 128, RM: 8, RN: 8, BK: 8, vec: true };
/** The tiled kernels by name; `setMatmulTile` forces one (bench/webgpu.ts --sweep compares them). */
export const MATMUL_TILES: Record<string, Tile> = {
  t64: SMALL,
  t128: { name: 't128', TM: 128, TN: 128, RM: 8, RN: 8, BK: 8 },
  t128v: LARGE,
  t128v16: { name: 't128v16', TM: 128, TN: 128, RM: 8, RN: 8, BK: 16, vec: true },
  t64v: { name: 't64v', TM: 64, TN: 64, RM: 4, RN: 4, BK: 16, vec: true },
  t128vp: { name: 't128vp', TM: 128, TN: 128, RM: 8, RN: 8, BK: 8, vec: true, prefetch: true },
  t128vp16: { name: 't128vp16', TM: 128, TN: 128, RM: 8, RN: 8, BK: 16, vec: true, prefetch: true },
};
let forcedTile: Tile | null = null;

/**
 * Forces every tiled matmul to use one of MATMUL_TILES (null: choose by size, the default). For
 * benchmarking kernels against each other and for tests; not part of the public API.
 */
export function setMatmulTile(name: string | null): void {
  if (name !== null && !MATMUL_TILES[name]) throw new Error(`setMatmulTile: unknown tile '${name}' (have ${Object.keys(MATMUL_TILES).join(', ')})`);
  forcedTile = name === null ? null : MATMUL_TILES[name];
}

function layout(rb: number): Params {
  return params(`matmul:${rb}`, () => [['M', 'u'], ['N', 'u'], ['K', 'u'], ['b0', 'u'], ['nb', 'u'], ['klen', 'u'], ['aoff', 'i'], ['boff', 'i'],
    ['ars', 'i'], ['acs', 'i'], ['brs', 'i'], ['bcs', 'i'], ['bsh', 'u', rb], ['bsa', 'i', rb], ['bsb', 'i', rb]]);
}

/** How an operand's tile is read: along a contiguous dim with vec4 loads, or scalar. */
type Load = 'scalar' | 'vecK' | 'vecMN';

export function matmul(ctx: Ctx, [a, b]: View[], out: View, attrs: { batch: number[] }): void {
  const ra = a.shape.length, rb = b.shape.length;
  const M = a.shape[ra - 2], K = a.shape[ra - 1], N = b.shape[rb - 1];
  const batch = attrs.batch;
  const sa = broadcastStrides(a.shape.slice(0, -2), a.strides.slice(0, -2), batch);
  const sb = broadcastStrides(b.shape.slice(0, -2), b.strides.slice(0, -2), batch);
  const cb = collapseDims(batch, [sa, sb]);
  const nb = sizeOf(batch);
  const pl = layout(cb.shape.length);
  const vals = {
    M, N, K, b0: 0, nb, klen: K, aoff: a.offset, boff: b.offset,
    ars: a.strides[ra - 2], acs: a.strides[ra - 1], brs: b.strides[rb - 2], bcs: b.strides[rb - 1],
    bsh: cb.shape, bsa: cb.strides[0], bsb: cb.strides[1],
  };
  const bufs = [ctx.buffer(out), ctx.buffer(a), ctx.buffer(b)];
  const rbk = cb.shape.length;
  if (M * N * nb <= 1024 && K >= 256) {
    const key = `matmul:dot:${rbk}`;
    ctx.launch(key, () => dotWGSL(pl, rbk), pl, vals, bufs, grid1d(M * N * nb, 1));
    return;
  }
  if (M === 1 || N === 1 || K === 0) {
    const key = `matmul:simple:${rbk}`;
    ctx.launch(key, () => simpleWGSL(pl, rbk), pl, vals, bufs, grid1d(M * N * nb, 64));
    return;
  }
  // 128x128 tiles only when there are enough of them to fill a large GPU.
  const t = forcedTile ?? (Math.ceil(M / LARGE.TM) * Math.ceil(N / LARGE.TN) * nb >= 128 ? LARGE : SMALL);
  // vec4 loads need 4-aligned offsets and strides and a multiple-of-4 extent along the load.
  const aligned = (v: View, bs: number[], along: number, other: number) =>
    v.strides[along] === 1 && v.shape[along] % 4 === 0 && v.strides[other] % 4 === 0 && v.offset % 4 === 0 &&
    bs.every((s, d) => cb.shape[d] === 1 || s % 4 === 0);
  const la: Load = aligned(a, cb.strides[0], ra - 1, ra - 2) ? 'vecK' : aligned(a, cb.strides[0], ra - 2, ra - 1) ? 'vecMN' : 'scalar';
  const lb: Load = aligned(b, cb.strides[1], rb - 2, rb - 1) ? 'vecK' : aligned(b, cb.strides[1], rb - 1, rb - 2) ? 'vecMN' : 'scalar';
  const key = `matmul:${t.name}:${la}:${lb}:${rbk}`;
  const gx = Math.ceil(N / t.TN), gy = Math.ceil(M / t.TM);
  // Split K into S slices of klen (a multiple of BK) when there are few tiles and K is long.
  const tiles = gx * gy * nb;
  let S = tiles < 64 && K >= 512 ? Math.min(Math.ceil(128 / tiles), Math.floor(K / 256)) : 1;
  const klen = Math.ceil(K / S / t.BK) * t.BK;
  S = Math.ceil(K / klen);
  let partial: Storage | null = null;
  if (S > 1) {
    partial = ctx.alloc('float32', S * nb * M * N);
    bufs[0] = partial.data as GPUBuffer;
  }
  const z = nb * S; // workgroup z = slice * nb + batch item
  for (let b0 = 0; b0 < z; b0 += 65535) {
    ctx.launch(key, () => tileWGSL(pl, rbk, t, la, lb), pl, { ...vals, b0, klen }, bufs, [gx, gy, Math.min(65535, z - b0)]);
  }
  if (partial) {
    const n = nb * M * N;
    ctx.launch('matmul:splitsum', splitSumWGSL, SPLIT_PARAMS, { n, S }, [ctx.buffer(out), partial.data as GPUBuffer], grid1d(n, 256));
    ctx.release(partial);
  }
}

const SPLIT_PARAMS = new Params([['n', 'u'], ['S', 'u']]);

/** out[i] = sum over slices s (in order) of partial[s * n + i]. */
function splitSumWGSL(): string {
  return `${SPLIT_PARAMS.binding()}
@group(1) @binding(1) var<storage, read_write> pg_c: array<f32>;
@group(1) @binding(2) var<storage, read> pg_p: array<f32>;
${main1d(256)}${SPLIT_PARAMS.decls()}  if (gi >= n) { return; }
  var acc = 0.0;
  for (var s = 0u; s < S; s = s + 1u) { acc = acc + pg_p[s * n + gi]; }
  pg_c[gi] = acc;
}
`;
}

function header(params: Params, la: Load = 'scalar', lb: Load = 'scalar'): string {
  return `${params.binding()}
@group(1) @binding(1) var<storage, read_write> pg_c: array<f32>;
@group(1) @binding(2) var<storage, read> pg_a: array<${la === 'scalar' ? 'f32' : 'vec4<f32>'}>;
@group(1) @binding(3) var<storage, read> pg_b: array<${lb === 'scalar' ? 'f32' : 'vec4<f32>'}>;
`;
}

/** WGSL computing a's and b's base offsets (pg_ao, pg_bo) for batch item `z`. */
function batchOffsets(rb: number, z: string): string {
  return unravel(z, rb, 'bsh', [{ o: 'pg_ao', base: 'aoff', strides: 'bsa' }, { o: 'pg_bo', base: 'boff', strides: 'bsb' }], 'z');
}

function simpleWGSL(params: Params, rb: number): string {
  return `${header(params)}
${main1d(64)}${params.decls()}  if (gi >= M * N * nb) { return; }
  let z = gi / (M * N);
  let m = i32((gi / N) % M);
  let n = i32(gi % N);
${batchOffsets(rb, 'z')}  var acc = 0.0;
  var ai = pg_ao + m * ars;
  var bi = pg_bo + n * bcs;
  for (var k = 0u; k < K; k = k + 1u) {
    acc = acc + pg_a[u32(ai)] * pg_b[u32(bi)];
    ai = ai + acs;
    bi = bi + brs;
  }
  pg_c[gi] = acc;
}
`;
}

function dotWGSL(params: Params, rb: number): string {
  const wg = 64;
  return `${header(params)}
var<workgroup> pg_s: array<f32, ${wg}>;
@compute @workgroup_size(${wg})
fn main(@builtin(workgroup_id) pg_wid: vec3<u32>, @builtin(num_workgroups) pg_nwg: vec3<u32>, @builtin(local_invocation_index) pg_lid: u32) {
  let o = pg_wid.y * pg_nwg.x + pg_wid.x;
${params.decls()}  if (o >= M * N * nb) { return; }
  let z = o / (M * N);
  let m = i32((o / N) % M);
  let n = i32(o % N);
${batchOffsets(rb, 'z')}  var acc = 0.0;
  for (var k = pg_lid; k < K; k = k + ${wg}u) {
    acc = acc + pg_a[u32(pg_ao + m * ars + i32(k) * acs)] * pg_b[u32(pg_bo + i32(k) * brs + n * bcs)];
  }
  pg_s[pg_lid] = acc;
  workgroupBarrier();
  for (var s = ${wg / 2}u; s > 0u; s = s >> 1u) {
    if (pg_lid < s) { pg_s[pg_lid] = pg_s[pg_lid] + pg_s[pg_lid + s]; }
    workgroupBarrier();
  }
  if (pg_lid == 0u) { pg_c[o] = pg_s[0]; }
}
`;
}

/**
 * The tiled kernel. Thread (tx, ty) of a (TN/RN) x (TM/RM) workgroup owns rows ty + i*TY and
 * columns tx + j*TX of the tile, so neighbouring threads read neighbouring shared-memory words
 * and write neighbouring outputs. Shared memory holds As[k][m] and Bs[k][n].
 */
function tileWGSL(params: Params, rb: number, t: Tile, la: Load, lb: Load): string {
  if (t.vec) return tileVecWGSL(params, rb, t, la, lb);
  const { TM, TN, RM, RN, BK } = t;
  const TX = TN / RN, TY = TM / RM, WG = TX * TY;
  const NQ = RN / 4; // vec4 accumulators per row
  // ---- loading As (TM x BK) and Bs (BK x TN): each thread loads (TM*BK)/WG (resp. (BK*TN)/WG) elements.
  const loadA = tileLoader('a', la, TM, BK, WG, 'tm0', 'M', 'ars', 'acs', 'pg_ao', 'As', false);
  const loadB = tileLoader('b', lb, TN, BK, WG, 'tn0', 'N', 'bcs', 'brs', 'pg_bo', 'Bs', false);
  const accDecl: string[] = [];
  for (let i = 0; i < RM; i++) for (let q = 0; q < NQ; q++) accDecl.push(`  var acc${i}_${q} = vec4<f32>(0.0);`);
  const inner: string[] = [];
  for (let q = 0; q < NQ; q++)
    inner.push(`      let bv${q} = vec4<f32>(${[0, 1, 2, 3].map((j) => `Bs[kk * ${TN}u + tx + ${(4 * q + j) * TX}u]`).join(', ')});`);
  for (let i = 0; i < RM; i++) {
    inner.push(`      let av${i} = As[kk * ${TM}u + ty + ${i * TY}u];`);
    for (let q = 0; q < NQ; q++) inner.push(`      acc${i}_${q} = acc${i}_${q} + av${i} * bv${q};`);
  }
  const stores: string[] = [];
  for (let i = 0; i < RM; i++)
    for (let j = 0; j < RN; j++)
      stores.push(`  { let m = tm0 + ty + ${i * TY}u; let n = tn0 + tx + ${j * TX}u; if (m < M && n < N) { pg_c[cbase + m * N + n] = acc${i}_${j >> 2}[${j & 3}]; } }`);
  const smem = `var<workgroup> As: array<f32, ${TM * BK}>;\nvar<workgroup> Bs: array<f32, ${TN * BK}>;`;
  const layout = `  let tx = lid % ${TX}u;\n  let ty = lid / ${TX}u;`;
  return tileKernel(params, rb, la, lb, t, WG, smem, layout, accDecl, [loadA, loadB], inner, stores);
}

/**
 * WGSL moving one operand's tile into shared memory `dst` laid out [k][r] (r = row of A / column
 * of B, `T` of them; `rs`/`ks` are the operand's strides along r and k; `lim` bounds r), in two
 * halves: `fetch(kb)` reads the tile starting at k = kb from global memory into per-thread
 * registers (`decls`), and `store` writes those registers into shared memory. Plain kernels run
 * them back to back; prefetching kernels fetch the next tile while computing on this one.
 */
function tileLoader(op: 'a' | 'b', mode: Load, T: number, BK: number, WG: number, r0: string, lim: string, rs: string, ks: string, base: string, dst: string, vecSmem: boolean) {
  const src = `pg_${op}`;
  // One element into shared memory at [k][r]: a scalar array, or a vec4 array of 4 adjacent r.
  const put = (k: string, r: string, v: string) =>
    vecSmem ? `${dst}[(${k}) * ${T / 4}u + (${r}) / 4u][(${r}) % 4u] = ${v};` : `${dst}[(${k}) * ${T}u + ${r}] = ${v};`;
  const per = mode === 'scalar' ? (T * BK) / WG : (T * BK) / 4 / WG;
  const ty = mode === 'scalar' ? 'f32' : 'vec4<f32>';
  // Which (r, k) of the tile thread `lid` handles in its j-th load, coalesced along the contiguous dim.
  const where = (j: number) => {
    const e = `let e = lid + ${j * WG}u;`;
    if (mode === 'scalar') return `${e} var r: u32; var k: u32; if (${ks} == 1) { r = e / ${BK}u; k = e % ${BK}u; } else { k = e / ${T}u; r = e % ${T}u; }`;
    if (mode === 'vecK') return `${e} let r = e / ${BK / 4}u; let k = (e % ${BK / 4}u) * 4u;`; // 4 consecutive k of one r
    return `${e} let k = e / ${T / 4}u; let r = (e % ${T / 4}u) * 4u;`; // vecMN: 4 consecutive r of one k
  };
  const addr = mode === 'scalar' ? `u32(${base} + i32(gr) * ${rs} + i32(gk) * ${ks})`
    : mode === 'vecK' ? `u32(${base} + i32(gr) * ${rs} + i32(gk)) / 4u` : `u32(${base} + i32(gr) + i32(gk) * ${ks}) / 4u`;
  const reg = (j: number) => `pf_${op}${j}`;
  const decls: string[] = [], fetch: string[] = [], store: string[] = [];
  for (let j = 0; j < per; j++) {
    decls.push(`  var ${reg(j)}: ${ty};`);
    fetch.push(`    { ${where(j)} let gr = ${r0} + r; let gk = KB + k;
      ${reg(j)} = ${ty}(0.0); if (gr < ${lim} && gk < kend) { ${reg(j)} = ${src}[${addr}]; } }`);
    const v = reg(j);
    const w = mode === 'scalar' ? put('k', 'r', v)
      : mode === 'vecK' ? `${put('k', 'r', `${v}.x`)} ${put('k + 1u', 'r', `${v}.y`)} ${put('k + 2u', 'r', `${v}.z`)} ${put('k + 3u', 'r', `${v}.w`)}`
      : vecSmem ? `${dst}[k * ${T / 4}u + r / 4u] = ${v};`
      : `${dst}[k * ${T}u + r] = ${v}.x; ${dst}[k * ${T}u + r + 1u] = ${v}.y; ${dst}[k * ${T}u + r + 2u] = ${v}.z; ${dst}[k * ${T}u + r + 3u] = ${v}.w;`;
    store.push(`    { ${where(j)} ${w} }`);
  }
  return { decls: decls.join('\n'), fetch: (kb: string) => fetch.join('\n').replaceAll('KB + k', `${kb} + k`) + '\n', store: store.join('\n') + '\n' };
}

/**
 * The tiled kernel with vec4 shared memory. Thread (tx, ty) owns the 4-row groups ty + i*TY
 * (i < RM/4) and the 4-column groups tx + q*TX (q < RN/4) of the tile; per k step it reads RM/4
 * vec4s of As and RN/4 of Bs and does RM*RN multiply-adds. Within each 32 threads, tx takes 8
 * values and ty 4, so a warp's shared-memory loads are 8 + 4 distinct 16-byte words.
 */
function tileVecWGSL(params: Params, rb: number, t: Tile, la: Load, lb: Load): string {
  const { TM, TN, RM, RN, BK } = t;
  const TX = TN / RN, TY = TM / RM, WG = TX * TY;
  const GM = RM / 4, GN = RN / 4; // vec4 groups per thread along m and n
  if (TX % 8 !== 0 || (WG / 32) % (TX / 8) !== 0) throw new Error(`matmul tile ${t.name}: thread layout does not fit 8 x 4 warps`);
  const loadA = tileLoader('a', la, TM, BK, WG, 'tm0', 'M', 'ars', 'acs', 'pg_ao', 'As', true);
  const loadB = tileLoader('b', lb, TN, BK, WG, 'tn0', 'N', 'bcs', 'brs', 'pg_bo', 'Bs', true);
  const acc: string[] = [];
  for (let i = 0; i < RM; i++) for (let q = 0; q < GN; q++) acc.push(`  var acc${i}_${q} = vec4<f32>(0.0);`);
  const inner: string[] = [];
  for (let q = 0; q < GN; q++) inner.push(`      let bv${q} = Bs[kk * ${TN / 4}u + tx + ${q * TX}u];`);
  for (let g = 0; g < GM; g++) {
    inner.push(`      let av${g} = As[kk * ${TM / 4}u + ty + ${g * TY}u];`);
    for (let r = 0; r < 4; r++)
      for (let q = 0; q < GN; q++) inner.push(`      acc${g * 4 + r}_${q} = acc${g * 4 + r}_${q} + av${g}.${'xyzw'[r]} * bv${q};`);
  }
  const stores: string[] = [];
  for (let g = 0; g < GM; g++)
    for (let r = 0; r < 4; r++)
      for (let q = 0; q < GN; q++)
        for (let c = 0; c < 4; c++)
          stores.push(`  { let m = tm0 + (ty + ${g * TY}u) * 4u + ${r}u; let n = tn0 + (tx + ${q * TX}u) * 4u + ${c}u; if (m < M && n < N) { pg_c[cbase + m * N + n] = acc${g * 4 + r}_${q}.${'xyzw'[c]}; } }`);
  const smem = `var<workgroup> As: array<vec4<f32>, ${(TM * BK) / 4}>;\nvar<workgroup> Bs: array<vec4<f32>, ${(TN * BK) / 4}>;`;
  // 32 consecutive threads form an 8 (tx) x 4 (ty) block; the blocks tile TX x TY.
  const layout = `  let w = lid / 32u;
  let tx = (lid % 8u) + (w % ${TX / 8}u) * 8u;
  let ty = ((lid / 8u) % 4u) + (w / ${TX / 8}u) * 4u;`;
  return tileKernel(params, rb, la, lb, t, WG, smem, layout, acc, [loadA, loadB], inner, stores);
}

/**
 * The skeleton both tiled kernels share: workgroup (x, y) computes the TM x TN tile at (y, x);
 * workgroup z is (K slice, batch item). Per BK-deep step, all threads load the tiles, then each
 * runs `inner` BK times on its accumulators; `stores` writes them out, bounds-checked.
 */
function tileKernel(params: Params, rb: number, la: Load, lb: Load, t: Tile, WG: number, smem: string, layout: string,
  acc: string[], loaders: ReturnType<typeof tileLoader>[], inner: string[], stores: string[]): string {
  const { TM, TN, BK } = t;
  const decls = loaders.map((l) => l.decls).join('\n');
  const fetch = (kb: string) => loaders.map((l) => l.fetch(kb)).join('');
  const store = loaders.map((l) => l.store).join('');
  // Prefetch: the next tile's global loads are issued before this tile's multiply-adds, so their
  // latency hides behind the arithmetic; plain: load, then compute.
  const loop = t.prefetch
    ? `${fetch('kbeg')}  for (var k0 = kbeg; k0 < kend; k0 = k0 + ${BK}u) {
${store}    workgroupBarrier();
    if (k0 + ${BK}u < kend) {
${fetch(`k0 + ${BK}u`)}    }`
    : `  for (var k0 = kbeg; k0 < kend; k0 = k0 + ${BK}u) {
${fetch('k0')}${store}    workgroupBarrier();`;
  return `${header(params, la, lb)}
${smem}
@compute @workgroup_size(${WG})
fn main(@builtin(workgroup_id) pg_wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
${params.decls()}  let z = pg_wid.z + b0;
  let bz = z % nb;
  let kbeg = (z / nb) * klen;
  let kend = min(K, kbeg + klen);
  let tm0 = pg_wid.y * ${TM}u;
  let tn0 = pg_wid.x * ${TN}u;
${layout}
${batchOffsets(rb, 'bz')}  let cbase = z * M * N;
${acc.join('\n')}
${decls}
${loop}
    for (var kk = 0u; kk < ${BK}u; kk = kk + 1u) {
${inner.join('\n')}
    }
    workgroupBarrier();
  }
${stores.join('\n')}
}
`;
}
