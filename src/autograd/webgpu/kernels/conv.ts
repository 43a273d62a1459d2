// unfold (im2col) and fold (col2im), the kernels behind conv2d and pooling. fold gathers: each
// output pixel sums the columns that cover it, in the CPU's (ki, kj) order, so it is bit-exact and
// needs no atomics.
import type { View } from '../../backend.js';
import { sizeOf } from '../../shape.js';
import type { Ctx } from '../context.js';
import { Params, grid1d, main1d } from '../wgsl.js';

interface UnfoldAttrs {
  C: number; H: number; W: number;
  k: [number, number]; stride: [number, number]; padding: [number, number]; dilation: [number, number];
  outH: number; outW: number;
}

const WG = 256;
const PARAMS = new Params([['n', 'u'], ['off', 'i'], ['C', 'i'], ['H', 'i'], ['W', 'i'], ['kh', 'i'], ['kw', 'i'], ['sh', 'i'], ['sw', 'i'],
  ['ph', 'i'], ['pw', 'i'], ['dh', 'i'], ['dw', 'i'], ['oh', 'i'], ['ow', 'i']]);

function vals(n: number, off: number, a: UnfoldAttrs) {
  return { n, off, C: a.C, H: a.H, W: a.W, kh: a.k[0], kw: a.k[1], sh: a.stride[0], sw: a.stride[1], ph: a.padding[0], pw: a.padding[1], dh: a.dilation[0], dw: a.dilation[1], oh: a.outH, ow: a.outW };
}

/** [N, C, H, W] (contiguous) -> [N, C*kh*kw, outH*outW], zero outside the image. */
export function unfold(ctx: Ctx, [x]: View[], out: View, a: UnfoldAttrs): void {
  const n = sizeOf(out.shape);
  const build = () => `${PARAMS.binding()}
@group(1) @binding(1) var<storage, read_write> pg_out: array<u32>;
@group(1) @binding(2) var<storage, read> pg_x: array<u32>;
${main1d(WG)}${PARAMS.decls()}  if (gi >= n) { return; }
  let L = oh * ow;
  let CK = C * kh * kw;
  let g = i32(gi);
  let p = g % L;
  let row = (g / L) % CK;
  let b = g / (L * CK);
  let c = row / (kh * kw);
  let ki = (row / kw) % kh;
  let kj = row % kw;
  let h = (p / ow) * sh - ph + ki * dh;
  let w = (p % ow) * sw - pw + kj * dw;
  var v = 0u;
  if (h >= 0 && h < H && w >= 0 && w < W) { v = pg_x[u32(off + ((b * C + c) * H + h) * W + w)]; }
  pg_out[gi] = v;
}
`;
  ctx.launch('unfold', build, PARAMS, vals(n, x.offset, a), [ctx.buffer(out), ctx.buffer(x)], grid1d(n, WG));
}

/** The adjoint: [N, C*kh*kw, L] (contiguous) -> [N, C, H, W], summing overlapping patches. */
export function fold(ctx: Ctx, [cols]: View[], out: View, a: UnfoldAttrs): void {
  const n = sizeOf(out.shape);
  const build = () => `${PARAMS.binding()}
@group(1) @binding(1) var<storage, read_write> pg_out: array<f32>;
@group(1) @binding(2) var<storage, read> pg_cols: array<f32>;
${main1d(WG)}${PARAMS.decls()}  if (gi >= n) { return; }
  let g = i32(gi);
  let w = g % W;
  let h = (g / W) % H;
  let c = (g / (W * H)) % C;
  let b = g / (W * H * C);
  let L = oh * ow;
  let base = off + b * C * kh * kw * L;
  var acc = 0.0;
  for (var ki = 0; ki < kh; ki = ki + 1) {
    let hh = h + ph - ki * dh;
    if (hh < 0 || hh % sh != 0 || hh / sh >= oh) { continue; }
    for (var kj = 0; kj < kw; kj = kj + 1) {
      let ww = w + pw - kj * dw;
      if (ww < 0 || ww % sw != 0 || ww / sw >= ow) { continue; }
      acc = acc + pg_cols[u32(base + ((c * kh + ki) * kw + kj) * L + (hh / sh) * ow + ww / sw)];
    }
  }
  pg_out[gi] = acc;
}
`;
  ctx.launch('fold', build, PARAMS, vals(n, cols.offset, a), [ctx.buffer(out), ctx.buffer(cols)], grid1d(n, WG));
}
