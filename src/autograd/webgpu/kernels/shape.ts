// Shape kernels that move data: place (pad, and the adjoint of slicing) and cat. They copy raw
// 32-bit words, so every dtype (and every NaN payload) comes through unchanged.
import type { View } from '../../backend.js';
import { collapseDims, contiguousStrides, sizeOf } from '../../shape.js';
import type { Ctx } from '../context.js';
import { grid1d, main1d, params, unravel, wtype } from '../wgsl.js';

const WG = 256;

/** The bits of `value` stored as dtype `d` (float32, int32 or bool). */
export function bitsOf(value: number, d: View['dtype']): number {
  const t = wtype(d);
  if (t === 'f32') return new Uint32Array(new Float32Array([value]).buffer)[0];
  if (t === 'i32') return value | 0;
  return value ? 1 : 0;
}

/** out = value everywhere, except out[starts + i*steps] = x[i]. */
export function place(ctx: Ctx, [x]: View[], out: View, a: { starts: number[]; steps: number[]; value: number }): void {
  const r = out.shape.length;
  const p = params(`place:${r}`, () => [['n', 'u'], ['fill', 'u'], ['xoff', 'i'], ['sh', 'u', r], ['xsh', 'i', r], ['start', 'i', r], ['step', 'i', r], ['xst', 'i', r]]);
  const n = sizeOf(out.shape);
  const vals = { n, fill: bitsOf(a.value, out.dtype), xoff: x.offset, sh: out.shape, xsh: x.shape, start: a.starts, step: a.steps, xst: x.strides };
  const build = () => {
    const checks: string[] = [];
    for (let d = 0; d < r; d++)
      checks.push(`  { let t = u_c${d} - start${d}; if (t < 0 || t % step${d} != 0 || t / step${d} >= xsh${d}) { inside = false; } xo = xo + (t / step${d}) * xst${d}; }`);
    return `${p.binding()}
@group(1) @binding(1) var<storage, read_write> pg_out: array<u32>;
@group(1) @binding(2) var<storage, read> pg_x: array<u32>;
${main1d(WG)}${p.decls()}  if (gi >= n) { return; }
${unravel('gi', r, 'sh', [])}  var inside = true;
  var xo = xoff;
${checks.join('\n')}
  var v = fill;
  if (inside) { v = pg_x[u32(xo)]; }
  pg_out[gi] = v;
}
`;
  };
  ctx.launch(`place:${r}`, build, p, vals, [ctx.buffer(out), ctx.buffer(x)], grid1d(n, WG));
}

/** Copies view x into out's elements at oOff + sum(i_d * oStrides_d). */
export function copyInto(ctx: Ctx, x: View, out: View, oStrides: readonly number[], oOff: number): void {
  const n = sizeOf(x.shape);
  if (n === 0) return;
  const c = collapseDims(x.shape, [x.strides, oStrides]);
  const r = c.shape.length;
  const p = params(`copyInto:${r}`, () => [['n', 'u'], ['xoff', 'i'], ['ooff', 'i'], ['sh', 'u', r], ['xst', 'i', r], ['ost', 'i', r]]);
  const build = () => `${p.binding()}
@group(1) @binding(1) var<storage, read_write> pg_out: array<u32>;
@group(1) @binding(2) var<storage, read> pg_x: array<u32>;
${main1d(WG)}${p.decls()}  if (gi >= n) { return; }
${unravel('gi', r, 'sh', [{ o: 'xo', base: 'xoff', strides: 'xst' }, { o: 'oo', base: 'ooff', strides: 'ost' }])}  pg_out[u32(oo)] = pg_x[u32(xo)];
}
`;
  ctx.launch(`copyInto:${r}`, build, p, { n, xoff: x.offset, ooff: oOff, sh: c.shape, xst: c.strides[0], ost: c.strides[1] }, [ctx.buffer(out), ctx.buffer(x)], grid1d(n, WG));
}

/** cat: one strided copy per input into its slab of the output. */
export function cat(ctx: Ctx, xs: View[], out: View, { dim }: { dim: number }): void {
  const os = contiguousStrides(out.shape);
  let at = 0;
  for (const x of xs) {
    copyInto(ctx, x, out, os, at * os[dim]);
    at += x.shape[dim];
  }
}
