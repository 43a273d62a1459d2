/// <reference types="@webgpu/types" />
// Random tensors drawn on the GPU with WGSL_RANDOM (random.ts): element i is a pure function of
// (seed, offset, i), computed by the same integer and float32 steps as the CPU fill functions.
// One thread computes one Philox block (four words): four uniform/randint/bernoulli elements or
// two normals (Box-Muller uses words 2i and 2i+1).
import type { Storage } from '../../backend.js';
import { WGSL_RANDOM, type RandomRequest } from '../../random.js';
import type { Ctx } from '../context.js';
import { Params, grid1d, main1d, prelude, wtype } from '../wgsl.js';

type RandomKind = RandomRequest['kind'];

const WG = 64;
const PARAMS = new Params([['n', 'u'], ['bl', 'u'], ['bh', 'u'], ['k0', 'u'], ['k1', 'u'], ['fa', 'f'], ['fb', 'f'], ['ia', 'i'], ['ub', 'u']]);
const TWO_32 = 4294967296;

// Element value from word(s) w, for each kind (scaling in the CPU's float32 order).
const VALUE: Record<RandomKind, (w: string[]) => string> = {
  uniform: ([w]) => `fa + fb * uniform_from_word(${w})`,
  normal: ([w0, w1]) => `fa + fb * normal_from_words(${w0}, ${w1})`,
  randint: ([w]) => `randint_from_word(${w}, ia, ub)`,
  bernoulli: ([w]) => `select(0u, 1u, uniform_from_word(${w}) < fa)`,
};

export function randomFill(ctx: Ctx, req: RandomRequest, out: Storage): void {
  if (req.offset % 4 !== 0) throw new Error(`internal: random offset ${req.offset} is not a multiple of 4`);
  if (req.n === 0) return;
  const tout = wtype(req.dtype);
  const perBlock = req.kind === 'normal' ? 2 : 4;
  const block = req.offset / 4;
  let vals: Record<string, number>;
  const base = { n: req.n, bl: block % TWO_32, bh: Math.floor(block / TWO_32), k0: req.seed % TWO_32, k1: Math.floor(req.seed / TWO_32), fa: 0, fb: 0, ia: 0, ub: 0 };
  switch (req.kind) {
    case 'uniform': {
      const lo = Math.fround(req.a);
      vals = { ...base, fa: lo, fb: Math.fround(Math.fround(req.b) - lo) };
      break;
    }
    case 'normal': vals = { ...base, fa: req.a, fb: req.b }; break;
    case 'randint': vals = { ...base, ia: req.a, ub: req.b - req.a }; break;
    case 'bernoulli': vals = { ...base, fa: req.a }; break;
  }
  const key = `random:${req.kind}:${tout}`;
  const build = () => {
    const lanes = ['pg_w.x', 'pg_w.y', 'pg_w.z', 'pg_w.w'];
    const stores: string[] = [];
    for (let j = 0; j < perBlock; j++) {
      const words = req.kind === 'normal' ? lanes.slice(2 * j, 2 * j + 2) : [lanes[j]];
      stores.push(`  if (gi * ${perBlock}u + ${j}u < n) { pg_out[gi * ${perBlock}u + ${j}u] = ${tout}(${VALUE[req.kind](words)}); }`);
    }
    return `${PARAMS.binding()}
@group(1) @binding(1) var<storage, read_write> pg_out: array<${tout}>;
${WGSL_RANDOM}
${prelude(WGSL_RANDOM, 'f32')}
${main1d(WG)}${PARAMS.decls()}  if (gi >= (n + ${perBlock - 1}u) / ${perBlock}u) { return; }
  let pg_lo = bl + gi;
  let pg_w = philox4x32(vec4<u32>(pg_lo, bh + select(0u, 1u, pg_lo < bl), 0u, 0u), vec2<u32>(k0, k1));
${stores.join('\n')}
}
`;
  };
  ctx.launch(key, build, PARAMS, vals, [out.data as GPUBuffer], grid1d(Math.ceil(req.n / perBlock), WG));
}
