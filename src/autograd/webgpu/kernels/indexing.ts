// gather, scatterAdd and argsort. Bad indices raise the device status word (the next readback
// throws a WebGPUError naming the op, the index and the dim), and read/contribute nothing.
import type { View } from '../../backend.js';
import { contiguousStrides, sizeOf } from '../../shape.js';
import { STATUS, statusWGSL, type Ctx } from '../context.js';
import { grid1d, main1d, params, prelude, unravel, wtype, type Params } from '../wgsl.js';

const WG = 256;
/** out[i] = x[i with coordinate `dim` replaced by index[i]] (torch.gather); moves raw bits. */
export function gather(ctx: Ctx, [x, index]: View[], out: View, { dim }: { dim: number }): void {
  const r = index.shape.length;
  const n = sizeOf(index.shape);
  const p = params(`gather:${r}`, () => [['n', 'u'], ['xn', 'u'], ['dim', 'u'], ['xoff', 'i'], ['ioff', 'i'], ['xsd', 'i'], ['sh', 'u', r], ['ist', 'i', r], ['xst', 'i', r]]);
  const xst = x.strides.map((s, i) => (i === dim ? 0 : s));
  const vals = { n, xn: x.shape[dim], dim, xoff: x.offset, ioff: index.offset, xsd: x.strides[dim], sh: index.shape, ist: index.strides, xst };
  const build = () => `${p.binding()}
@group(1) @binding(1) var<storage, read_write> pg_out: array<u32>;
@group(1) @binding(2) var<storage, read> pg_x: array<u32>;
@group(1) @binding(3) var<storage, read> pg_i: array<i32>;
${statusWGSL(4)}
${main1d(WG)}${p.decls()}  if (gi >= n) { return; }
${unravel('gi', r, 'sh', [{ o: 'io', base: 'ioff', strides: 'ist' }, { o: 'xo', base: 'xoff', strides: 'xst' }])}  let v = pg_i[u32(io)];
  var r = 0u;
  if (v < 0 || v >= i32(xn)) { pg_raise(${STATUS.gather}u, v, xn, dim); } else { r = pg_x[u32(xo + v * xsd)]; }
  pg_out[gi] = r;
}
`;
  ctx.launch(`gather:${r}`, build, p, vals, [ctx.buffer(out), ctx.buffer(x), ctx.buffer(index), ctx.status], grid1d(n, WG));
}

/**
 * out = x, plus src[p] added at every index position p (torch.scatter_add). Deterministic: one
 * thread per output element scans the index along `dim` and adds the matching src values in
 * index order, exactly the order of the CPU loop, so float32 results are bit-identical.
 * Cost: x.size * index.shape[dim] index reads.
 */
export function scatterAdd(ctx: Ctx, [x, index, src]: View[], out: View, { dim }: { dim: number }): void {
  const r = out.shape.length;
  const n = sizeOf(out.shape);
  const t = wtype(out.dtype);
  const p = params(`scatterAdd:${r}`, () => [['n', 'u'], ['dim', 'u'], ['len', 'u'], ['xoff', 'i'], ['ioff', 'i'], ['soff', 'i'], ['isd', 'i'], ['ssd', 'i'],
    ['sh', 'u', r], ['ish', 'i', r], ['xst', 'i', r], ['ist', 'i', r], ['sst', 'i', r]]);
  const ist = index.strides.map((s, i) => (i === dim ? 0 : s));
  const sst = src.strides.map((s, i) => (i === dim ? 0 : s));
  const vals = { n, dim, len: index.shape[dim], xoff: x.offset, ioff: index.offset, soff: src.offset, isd: index.strides[dim], ssd: src.strides[dim],
    sh: out.shape, ish: index.shape, xst: x.strides, ist, sst };
  ctx.launch(`scatterAdd:${r}:${t}`, () => scatterWGSL(p, r, t), p, vals, [ctx.buffer(out), ctx.buffer(x), ctx.buffer(index), ctx.buffer(src), ctx.status], grid1d(n, WG));
}

function scatterWGSL(p: Params, r: number, t: string): string {
  const covered = Array.from({ length: r }, (_, d) => `(${d}u == dim || u_c${d} < ish${d})`).join(' && ') || 'true';
  const here = Array.from({ length: r }, (_, d) => `  if (${d}u == dim) { here = u_c${d}; size = i32(sh${d}); }`).join('\n');
  return `${p.binding()}
@group(1) @binding(1) var<storage, read_write> pg_out: array<${t}>;
@group(1) @binding(2) var<storage, read> pg_x: array<${t}>;
@group(1) @binding(3) var<storage, read> pg_i: array<i32>;
@group(1) @binding(4) var<storage, read> pg_s: array<${t}>;
${statusWGSL(5)}
${main1d(WG)}${p.decls()}  if (gi >= n) { return; }
${unravel('gi', r, 'sh', [{ o: 'xo', base: 'xoff', strides: 'xst' }, { o: 'io', base: 'ioff', strides: 'ist' }, { o: 'so', base: 'soff', strides: 'sst' }])}  var acc = pg_x[u32(xo)];
  var here = 0;
  var size = 0;
${here}
  if (${covered}) {
    for (var k = 0u; k < len; k = k + 1u) {
      let v = pg_i[u32(io + i32(k) * isd)];
      if (v == here) { acc = acc + pg_s[u32(so + i32(k) * ssd)]; }
      else if (v < 0 || v >= size) { pg_raise(${STATUS.scatterAdd}u, v, u32(size), dim); }
    }
  }
  pg_out[gi] = acc;
}
`;
}

/**
 * argsort along `dim` by rank counting: the thread of element i counts the elements that sort
 * before it (smaller, or equal with a smaller index; NaN sorts last, as on the CPU) and writes i
 * at that rank. O(n^2) per row, one dispatch: used for rows up to BITONIC_MIN long.
 */
export function argsort(ctx: Ctx, [x]: View[], out: View, { dim, descending }: { dim: number; descending: boolean }): void {
  if (x.shape[dim] > BITONIC_MIN) return bitonicArgsort(ctx, x, out, dim, descending);
  const r = x.shape.length;
  const n = sizeOf(x.shape);
  const t = wtype(x.dtype);
  const p = params(`argsort:${r}`, () => [['n', 'u'], ['len', 'u'], ['xoff', 'i'], ['xsd', 'i'], ['osd', 'u'], ['sh', 'u', r], ['xst', 'i', r]]);
  const vals = { n, len: x.shape[dim], xoff: x.offset, xsd: x.strides[dim], osd: contiguousStrides(out.shape)[dim], sh: x.shape, xst: x.strides };
  const before = descending ? 'pg_less(ki, kj)' : 'pg_less(kj, ki)';
  const build = () => `${p.binding()}
@group(1) @binding(1) var<storage, read_write> pg_out: array<i32>;
@group(1) @binding(2) var<storage, read> pg_x: array<${t}>;
alias T = ${t};
${prelude('pg_isnan()', t)}
// a < b with NaN largest; pg_same: equal, or both NaN.
fn pg_less(a: T, b: T) -> bool { return !pg_isnan(a) && (pg_isnan(b) || a < b); }
fn pg_same(a: T, b: T) -> bool { return (pg_isnan(a) && pg_isnan(b)) || a == b; }
${main1d(WG)}${p.decls()}  if (gi >= n) { return; }
${unravel('gi', r, 'sh', [{ o: 'xo', base: 'xoff', strides: 'xst' }])}  let ci = u_c${dim};
  let ki = pg_x[u32(xo)];
  var rank = 0u;
  for (var j = 0; j < i32(len); j = j + 1) {
    let kj = pg_x[u32(xo + (j - ci) * xsd)];
    if (${before} || (pg_same(kj, ki) && j < ci)) { rank = rank + 1u; }
  }
  pg_out[u32(i32(gi) + (i32(rank) - ci) * i32(osd))] = ci;
}
`;
  ctx.launch(`argsort:${r}:${t}:${descending ? 'desc' : 'asc'}:${dim}`, build, p, vals, [ctx.buffer(out), ctx.buffer(x)], grid1d(n, WG));
}

/** Rows longer than this are sorted with the bitonic network (O(n log^2 n)) instead of rank counting. */
export const BITONIC_MIN = 256;

/**
 * argsort of long rows with a bitonic sorting network. Each row is copied into a power-of-two
 * scratch row of (key, index) pairs (padding pairs have index -1 and sort after everything),
 * sorted by log2(P)(log2(P)+1)/2 compare-exchange passes, and its indices written out. The order
 * is total: key (NaN largest, reversed when descending), then index, so the result is exactly the
 * stable sort the CPU and the rank-counting kernel produce.
 */
function bitonicArgsort(ctx: Ctx, x: View, out: View, dim: number, descending: boolean): void {
  const r = x.shape.length;
  const len = x.shape[dim];
  const inner = sizeOf(x.shape.slice(dim + 1));
  const rows = sizeOf(x.shape) / len;
  let P = 1;
  while (P < len) P *= 2;
  const t = wtype(x.dtype);
  const keys = ctx.alloc(x.dtype, rows * P), idx = ctx.alloc('int32', rows * P);
  const kb = keys.data as GPUBuffer, ib = idx.data as GPUBuffer;
  const order = `alias T = ${t};
${prelude('pg_isnan()', t)}
fn pg_less(a: T, b: T) -> bool { return !pg_isnan(a) && (pg_isnan(b) || a < b); }
fn pg_same(a: T, b: T) -> bool { return (pg_isnan(a) && pg_isnan(b)) || a == b; }
// (ka, ia) sorts before (kb, ib): real entries before padding (index -1), then by key, then by index.
fn pg_before(ka: T, ia: i32, kb: T, ib: i32) -> bool {
  if (ia < 0 || ib < 0) { return ib < 0 && ia >= 0; }
  if (${descending ? 'pg_less(kb, ka)' : 'pg_less(ka, kb)'}) { return true; }
  return pg_same(ka, kb) && ia < ib;
}`;
  // 1. Scatter each row of x into its scratch row; pad with index -1.
  const pi = params(`bitonic-init:${r}`, () => [['n', 'u'], ['len', 'u'], ['inner', 'u'], ['pw', 'u'], ['xoff', 'i'], ['sh', 'u', r], ['xst', 'i', r]]);
  ctx.launch(`bitonic-init:${r}:${t}`, () => `${pi.binding()}
@group(1) @binding(1) var<storage, read_write> pg_k: array<${t}>;
@group(1) @binding(2) var<storage, read_write> pg_i: array<i32>;
@group(1) @binding(3) var<storage, read> pg_x: array<${t}>;
${main1d(WG)}${pi.decls()}  if (gi >= n) { return; }
  let row = gi / pw;
  let c = gi % pw;
  if (c >= len) { pg_i[gi] = -1; return; }
  let li = ((row / inner) * len + c) * inner + row % inner; // the element's index in x's logical order
${unravel('li', r, 'sh', [{ o: 'xo', base: 'xoff', strides: 'xst' }])}  pg_k[gi] = pg_x[u32(xo)];
  pg_i[gi] = i32(c);
}
`, pi, { n: rows * P, len, inner, pw: P, xoff: x.offset, sh: x.shape, xst: x.strides }, [kb, ib, ctx.buffer(x)], grid1d(rows * P, WG));
  // 2. The network: pass (k, j) compares positions lo and lo + j, ascending where lo & k == 0.
  const pp = params('bitonic-pass', () => [['n', 'u'], ['half', 'u'], ['k', 'u'], ['j', 'u']]);
  const pass = () => `${pp.binding()}
@group(1) @binding(1) var<storage, read_write> pg_k: array<T>;
@group(1) @binding(2) var<storage, read_write> pg_i: array<i32>;
${order}
${main1d(WG)}${pp.decls()}  if (gi >= n) { return; }
  let row = gi / half;
  let q = gi % half;
  let lo = (q / j) * 2u * j + q % j;
  let a = row * half * 2u + lo;
  let b = a + j;
  let ka = pg_k[a]; let ia = pg_i[a]; let kb = pg_k[b]; let ib = pg_i[b];
  let up = (lo & k) == 0u;
  if (select(pg_before(ka, ia, kb, ib), pg_before(kb, ib, ka, ia), up)) {
    pg_k[a] = kb; pg_i[a] = ib; pg_k[b] = ka; pg_i[b] = ia;
  }
}
`;
  for (let k = 2; k <= P; k *= 2)
    for (let j = k / 2; j >= 1; j /= 2)
      ctx.launch(`bitonic-pass:${t}:${descending ? 'desc' : 'asc'}`, pass, pp, { n: (rows * P) / 2, half: P / 2, k, j }, [kb, ib], grid1d((rows * P) / 2, WG));
  // 3. Indices out, along dim of the contiguous output.
  const po = params('bitonic-out', () => [['n', 'u'], ['len', 'u'], ['inner', 'u'], ['pw', 'u']]);
  ctx.launch('bitonic-out', () => `${po.binding()}
@group(1) @binding(1) var<storage, read_write> pg_out: array<i32>;
@group(1) @binding(2) var<storage, read> pg_i: array<i32>;
${main1d(WG)}${po.decls()}  if (gi >= n) { return; }
  let row = gi / len;
  let c = gi % len;
  pg_out[((row / inner) * len + c) * inner + row % inner] = pg_i[row * pw + c];
}
`, po, { n: rows * len, len, inner, pw: P }, [ctx.buffer(out), ib], grid1d(rows * len, WG));
  ctx.release(keys);
  ctx.release(idx);
}
