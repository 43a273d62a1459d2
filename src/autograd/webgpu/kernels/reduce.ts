// Reductions. The op hands over a view whose last dims are the reduced ones
// (attrs.n elements per output). Two strategies:
//  - 'tree': one workgroup per output row; each thread folds a strided subset, then a
//    shared-memory tree combines the partials (rows that are long and contiguous);
//  - 'seq': one thread per output row, folding sequentially (many short rows, and column sums
//    where neighbouring outputs are neighbours in memory).
// A few very long rows (a full sum of a big tensor) are split in two passes: the tree kernel folds
// fixed chunks of each row into partials, and a second reduction folds the partials.
// All orders are fixed by the shapes alone, so results are the same on every run.
import type { Storage, View } from '../../backend.js';
import { collapseDims, sizeOf } from '../../shape.js';
import type { Ctx } from '../context.js';
import { grid1d, main1d, params, prelude, unravel, wtype, type Params, type WType } from '../wgsl.js';

function layout(rk: number, rr: number): Params {
  return params(`reduce:${rk}:${rr}`, () => [['rows', 'u'], ['n', 'u'], ['off', 'i'], ['pinf', 'f'], ['chunks', 'u'], ['clen', 'u'],
    ['ks', 'u', rk], ['kst', 'i', rk], ['rs', 'u', rr], ['rst', 'i', rr]]);
}

/** The op's init expression for compute type t (WGSL has no `inf` literal). */
function initExpr(init: string, t: WType): string {
  if (t === 'f32') return init.replace(/\binf\b/g, 'pinf');
  return init.replace(/-\s*inf\b/g, '(-2147483647 - 1)').replace(/\binf\b/g, '2147483647');
}

/** A reduction in WGSL: the initial accumulator, and how to fold an element `v` (and its index `i`) into `acc`. */
export interface ReduceSpec {
  name: string;
  init: string;
  step: string;
  /** An argmax-like reduction: `step` is the condition to take `v` and its index. */
  index?: boolean;
}

export function reduce(ctx: Ctx, def: ReduceSpec, x: View, out: View, attrs: { n: number }): void {
  const rows = sizeOf(out.shape);
  const n: number = attrs.n;
  // Split x's dims into kept (leading) and reduced (trailing, n elements).
  let k = x.shape.length;
  let p = 1;
  while (k > 0 && p !== n) p *= x.shape[--k];
  const kept = collapseDims(x.shape.slice(0, k), [x.strides.slice(0, k)]);
  const red = collapseDims(x.shape.slice(k), [x.strides.slice(k)]);
  const rk = kept.shape.length, rr = red.shape.length;
  const pl = layout(rk, rr);
  const tin = wtype(x.dtype);
  const tc: WType = tin === 'f32' ? 'f32' : 'i32';
  const contiguousRows = red.strides[0][rr - 1] === 1;
  const tree = n >= 64 && (rows < 2048 || contiguousRows);
  const wg = tree ? (n >= 1024 ? 256 : 64) : 64;
  // Two passes for a few long rows: `chunks` partials per row, each folding `clen` elements.
  const chunks = tree && !def.index && rows <= 16 && n >= 65536 ? Math.min(256, Math.ceil(n / 8192)) : 1;
  const clen = Math.ceil(n / chunks);
  const vals = {
    rows, n, off: x.offset, pinf: Infinity, chunks, clen,
    ks: kept.shape, kst: kept.strides[0], rs: red.shape, rst: red.strides[0],
  };
  let dst = out;
  let partial: Storage | null = null;
  if (chunks > 1) {
    partial = ctx.alloc(tc === 'f32' ? 'float32' : 'int32', rows * chunks);
    dst = { storage: partial, dtype: partial.dtype, shape: [rows, chunks], strides: [chunks, 1], offset: 0 };
  }
  const tdst = wtype(dst.dtype);
  const key = `reduce:${def.name}:${tree ? 'tree' + wg : 'seq'}:${rk}:${rr}:${tin}>${tdst}`;
  const build = () => reduceWGSL(def, pl, rk, rr, tin, tc, tdst, tree, wg);
  const grid = tree ? grid1d(rows * chunks, 1) : grid1d(rows, wg);
  ctx.launch(key, build, pl, vals, [ctx.buffer(dst), ctx.buffer(x)], grid);
  if (partial) {
    reduce(ctx, def, dst, out, { n: chunks });
    ctx.release(partial);
  }
}

function reduceWGSL(def: ReduceSpec, params: Params, rk: number, rr: number, tin: WType, tc: WType, tout: WType, tree: boolean, wg: number): string {
  const { init, step, index } = def;
  const helpers = index
    ? `fn pg_better(acc: T, v: T, i: i32) -> bool { return (${step}) && !pg_isnan(acc); }`
    : `fn pg_step(acc: T, v: T, i: i32) -> T { return ${step}; }`;
  const head = `${params.binding()}
@group(1) @binding(1) var<storage, read_write> pg_out: array<${tout}>;
@group(1) @binding(2) var<storage, read> pg_x: array<${tin}>;
alias T = ${tc};
${prelude(`${step} pg_isnan()`, tc)}
${helpers}
`;
  const load = `${unravel('pg_k', rr, 'rs', [{ o: 'pg_o', base: 'pg_b', strides: 'rst' }], 'r')}    let v = T(pg_x[u32(pg_o)]);
    let i = i32(pg_k);
`;
  const fold = index
    ? `    if (pg_k == pg_first || pg_better(acc, v, i)) { acc = v; idx = i; }\n`
    : `    acc = pg_step(acc, v, i);\n`;
  const result = index ? `${tout}(idx)` : `${tout}(acc)`;
  if (!tree) {
    return `${head}
${main1d(wg)}${params.decls()}  if (gi >= rows) { return; }
${unravel('gi', rk, 'ks', [{ o: 'pg_b', base: 'off', strides: 'kst' }], 'k')}  var acc: T = T(${initExpr(init, tc)});
  var idx: i32 = 0;
  let pg_first = 0u;
  for (var pg_k: u32 = 0u; pg_k < n; pg_k = pg_k + 1u) {
${load}${fold}  }
  pg_out[gi] = ${result};
}
`;
  }
  const combine = index
    ? `      let av = pg_sv[pg_lid]; let ai = pg_si[pg_lid];
      let bv = pg_sv[pg_lid + s]; let bi = pg_si[pg_lid + s];
      if (bi >= 0 && (ai < 0 || pg_better(av, bv, bi) || (!pg_better(bv, av, ai) && bi < ai))) { pg_sv[pg_lid] = bv; pg_si[pg_lid] = bi; }
`
    : `      pg_sv[pg_lid] = pg_step(pg_sv[pg_lid], pg_sv[pg_lid + s], 0);\n`;
  return `${head}
var<workgroup> pg_sv: array<T, ${wg}>;
var<workgroup> pg_si: array<i32, ${wg}>;
@compute @workgroup_size(${wg})
fn main(@builtin(workgroup_id) pg_wid: vec3<u32>, @builtin(num_workgroups) pg_nwg: vec3<u32>, @builtin(local_invocation_index) pg_lid: u32) {
  let pg_id = pg_wid.y * pg_nwg.x + pg_wid.x;
${params.decls()}  if (pg_id >= rows * chunks) { return; }
  let row = pg_id / chunks;
  let pg_start = (pg_id % chunks) * clen;
  let pg_end = min(n, pg_start + clen);
${unravel('row', rk, 'ks', [{ o: 'pg_b', base: 'off', strides: 'kst' }], 'k')}  var acc: T = T(${initExpr(init, tc)});
  var idx: i32 = -1;
  let pg_first = pg_start + pg_lid;
  for (var pg_k: u32 = pg_first; pg_k < pg_end; pg_k = pg_k + ${wg}u) {
${load}${fold}  }
  pg_sv[pg_lid] = acc;
  pg_si[pg_lid] = idx;
  workgroupBarrier();
  for (var s = ${wg / 2}u; s > 0u; s = s >> 1u) {
    if (pg_lid < s) {
${combine}    }
    workgroupBarrier();
  }
  if (pg_lid == 0u) {
    let acc = pg_sv[0];
    let idx = pg_si[0];
    pg_out[pg_id] = ${result};
  }
}
`;
}
