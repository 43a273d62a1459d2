// fill: every 32-bit word of the output set to the value's bits in the output's dtype.
import type { View } from '../../backend.js';
import { sizeOf } from '../../shape.js';
import type { Ctx } from '../context.js';
import { grid1d, main1d, params } from '../wgsl.js';
import { bitsOf } from './shape.js';

const WG = 256;

export function fill(ctx: Ctx, _: View[], out: View, { value }: { value: number }): void {
  const p = params('fill', () => [['n', 'u'], ['w', 'u']]);
  const n = sizeOf(out.shape);
  const build = () => `${p.binding()}
@group(1) @binding(1) var<storage, read_write> pg_out: array<u32>;
${main1d(WG)}${p.decls()}  if (gi >= n) { return; }
  pg_out[gi] = w;
}
`;
  ctx.launch('fill', build, p, { n, w: bitsOf(value, out.dtype) >>> 0 }, [ctx.buffer(out)], grid1d(n, WG));
}
