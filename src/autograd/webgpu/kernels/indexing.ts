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
 * at that rank. O(n^2) per row: meant for the short rows of topk/sort in models.
 */
export function argsort(ctx: Ctx, [x]: View[], out: View, { dim, descending }: { dim: number; descending: boolean }): void {
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
