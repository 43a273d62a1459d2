// The pieces of the TransDA reproduction's training step on the CPU, at the shapes its quick mode
// uses (batch 16 images of 16x16, patch 2 -> an 8x8 grid of 32-d tokens, 4x4 windows, 2 heads).
// Run: node scripts/run-ts.mjs bench/transda.ts [--reps N] [--cpu]
// Prints the median time of the forward pass and of forward + backward per row, and the
// multiply-add rate of forward + backward (taken as 3x the forward's multiply-adds). With --cpu the
// times are process CPU time (what the quick-mode budget counts) instead of wall time.
import * as pg from '../src/index.js';
import { SegConvNet, SegTransformer } from '../src/papers/transda/models.js';

const argv = process.argv;
const reps = Number(argv[argv.indexOf('--reps') + 1]) || 15;
const useCpu = argv.includes('--cpu');
const now = (): number => (useCpu ? (() => { const c = process.cpuUsage(); return (c.user + c.system) / 1000; })() : performance.now());

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}
function time(fn: () => void): number {
  fn();
  fn(); // warm-up
  const ts: number[] = [];
  for (let r = 0; r < reps; r++) {
    const t0 = now();
    fn();
    ts.push(now() - t0);
  }
  return median(ts);
}

const g = new pg.Generator(0);
const B = 16, S = 16, P = 2, D = 32, grid = S / P;
const rnd = (...shape: number[]) => pg.keep(pg.randn(shape, { generator: g }));
const param = (...shape: number[]) => rnd(...shape).mul(0.1).requiresGrad_();

interface Row { name: string; macs: number; fwd: () => pg.Tensor; params: pg.Tensor[] }
/** Forward only, then forward + backward of sum(out · r) (so every output element gets a gradient). */
function measure(r: Row): { fwd: number; both: number } {
  const fwd = time(() => pg.tidy(() => { pg.noGrad(() => r.fwd()); }));
  const both = time(() =>
    pg.tidy(() => {
      const y = r.fwd();
      y.mul(pg.onesLike(y).mul(0.5)).sum().backward();
      pg.zeroGrad(r.params);
    }),
  );
  return { fwd, both };
}

const rows: Row[] = [];
{
  const x = rnd(B * grid * grid, D).requiresGrad_(), w = param(3 * D, D);
  rows.push({ name: `matmul [${B * grid * grid}, ${D}] @ [${D}, ${3 * D}] (qkv)`, macs: B * grid * grid * D * 3 * D, fwd: () => x.matmul(w.transpose(0, 1)), params: [x, w] });
}
{
  const T = 16, nW = B * (grid / 4) ** 2, H = 2, hd = D / H;
  const q = rnd(nW, H, T, hd).requiresGrad_(), k = rnd(nW, H, T, hd).requiresGrad_(), v = rnd(nW, H, T, hd).requiresGrad_();
  rows.push({ name: `attention core [${nW}, ${H}, ${T}, ${hd}] (QK^T, softmax, AV)`, macs: 2 * nW * H * T * T * hd, fwd: () => pg.nn.scaledDotProductAttention(q, k, v), params: [q, k, v] });
}
for (const shift of [0, 2]) {
  const m = new pg.nn.WindowAttention(D, 2, 4, { shift, generator: g });
  const x = rnd(B, grid, grid, D).requiresGrad_();
  const n = B * grid * grid;
  rows.push({ name: `WindowAttention [${B}, ${grid}, ${grid}, ${D}], window 4, shift ${shift}`, macs: 4 * n * D * D + 2 * n * 16 * D, fwd: () => m.forward(x), params: [x, ...m.parameters()] });
}
{
  const m = new pg.nn.WindowTransformerBlock(D, 2, 4, { mlpRatio: 2, generator: g });
  const x = rnd(B, grid, grid, D).requiresGrad_();
  const n = B * grid * grid;
  rows.push({ name: `WindowTransformerBlock (mlpRatio 2)`, macs: 4 * n * D * D + 2 * n * 16 * D + 4 * n * D * D, fwd: () => m.forward(x), params: [x, ...m.parameters()] });
}
{
  const ln = new pg.nn.LayerNorm(D);
  const x = rnd(B * grid * grid, D).requiresGrad_();
  rows.push({ name: `LayerNorm [${B * grid * grid}, ${D}]`, macs: 0, fwd: () => ln.forward(x), params: [x, ...ln.parameters()] });
  const h = rnd(B * grid * grid, 2 * D).requiresGrad_();
  rows.push({ name: `gelu [${B * grid * grid}, ${2 * D}]`, macs: 0, fwd: () => h.gelu(), params: [h] });
}
{
  const x = rnd(B, D, grid, grid).requiresGrad_(), w = param(D, D, 3, 3), b = param(D);
  rows.push({ name: `conv2d 3x3 [${B}, ${D}, ${grid}, ${grid}] -> ${D}`, macs: B * grid * grid * D * D * 9, fwd: () => pg.conv2d(x, w, b, { padding: 1 }), params: [x, w, b] });
  const xs = rnd(B, 3, S, S).requiresGrad_(), ws = param(16, 3, 3, 3), bs = param(16);
  rows.push({ name: `conv2d 3x3 stem [${B}, 3, ${S}, ${S}] -> 16`, macs: B * S * S * 3 * 16 * 9, fwd: () => pg.conv2d(xs, ws, bs, { padding: 1 }), params: [xs, ws, bs] });
}
{
  const vit = new SegTransformer({ size: S, patch: P, dim: D, heads: 2, window: 4, depth: 2, mlpRatio: 2, numClasses: 4, shifted: true }, { generator: g });
  const conv = new SegConvNet({ size: S, patch: P, stem: 16, dim: D, depth: 2, numClasses: 4 }, { generator: g });
  const x = rnd(2 * B, 3, S, S);
  const n = 2 * B * grid * grid;
  const blockMacs = 8 * n * D * D + 2 * n * 16 * D;
  rows.push({ name: `SegTransformer forward, ${2 * B} images`, macs: 2 * blockMacs + n * D * (12 + 4 * 4), fwd: () => vit.forward(x), params: vit.parameters() });
  rows.push({ name: `SegConvNet forward, ${2 * B} images`, macs: 2 * B * S * S * 27 * 16 + n * (16 * 4 * D + 2 * 9 * D * D + 16 * D), fwd: () => conv.forward(x), params: conv.parameters() });
}

console.log(`\nTransDA pieces on the CPU (${useCpu ? 'process CPU' : 'wall'} time, medians of ${reps}; node ${process.version})\n`);
console.log('| piece | forward (ms) | forward + backward (ms) | GFLOP/s (fwd + bwd) |');
console.log('| --- | ---: | ---: | ---: |');
for (const r of rows) {
  const t = measure(r);
  const rate = r.macs ? ((3 * 2 * r.macs) / (t.both * 1e6)).toFixed(2) : '-';
  console.log(`| ${r.name} | ${t.fwd.toFixed(2)} | ${t.both.toFixed(2)} | ${rate} |`);
}
