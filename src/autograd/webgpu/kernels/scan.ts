// cumsum: one thread per line along `dim`, a sequential float32 (or int32) running sum. The CPU
// keeps its running sum in a double, so float32 results agree to a relative tolerance, not bits.
import type { View } from '../../backend.js';
import { contiguousStrides, sizeOf } from '../../shape.js';
import type { Ctx } from '../context.js';
import { grid1d, main1d, params, unravel, wtype } from '../wgsl.js';

const WG = 64;

export function cumsum(ctx: Ctx, [x]: View[], out: View, { dim }: { dim: number }): void {
  const len = x.shape[dim];
  const lines = len === 0 ? 0 : sizeOf(x.shape) / len;
  if (lines === 0) return;
  const os = contiguousStrides(out.shape);
  const keep = x.shape.map((_, i) => i).filter((i) => i !== dim);
  const r = keep.length;
  const pl = params(`cumsum:${r}`, () => [['lines', 'u'], ['len', 'u'], ['xoff', 'i'], ['xsd', 'i'], ['osd', 'i'], ['sh', 'u', r], ['xst', 'i', r], ['ost', 'i', r]]);
  const t = wtype(out.dtype);
  const vals = { lines, len, xoff: x.offset, xsd: x.strides[dim], osd: os[dim], sh: keep.map((i) => x.shape[i]), xst: keep.map((i) => x.strides[i]), ost: keep.map((i) => os[i]) };
  const build = () => `${pl.binding()}
@group(1) @binding(1) var<storage, read_write> pg_out: array<${t}>;
@group(1) @binding(2) var<storage, read> pg_x: array<${wtype(x.dtype)}>;
${main1d(WG)}${pl.decls()}  if (gi >= lines) { return; }
${unravel('gi', r, 'sh', [{ o: 'xo', base: 'xoff', strides: 'xst' }, { o: 'oo', base: '0', strides: 'ost' }])}  var acc = ${t}(0);
  for (var k = 0u; k < len; k = k + 1u) {
    acc = acc + ${t}(pg_x[u32(xo)]);
    pg_out[u32(oo)] = acc;
    xo = xo + xsd;
    oo = oo + osd;
  }
}
`;
  ctx.launch(`cumsum:${r}:${t}`, build, pl, vals, [ctx.buffer(out), ctx.buffer(x)], grid1d(lines, WG));
}
