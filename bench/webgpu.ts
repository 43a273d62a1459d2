// WebGPU benchmark: matmul GFLOP/s, an MLP training step and a small transformer training step.
// Run:   node scripts/run-ts.mjs bench/webgpu.ts [--quick] [--cpu] [--reps N]
//   --quick  tiny sizes (a software adapter such as lavapipe runs at about 1 GFLOP/s);
//   --cpu    also times papergrad's CPU backend on the same workloads (skipped above 1024^3 FLOP-ish sizes).
//   --sweep  also times every tiled matmul kernel (MATMUL_TILES) at 2048 and 4096, to pick the default.
//   --tile T forces tiled matmul kernel T for the whole run (any name in MATMUL_TILES).
// bench/torch_reference.py times the same workloads with PyTorch (fp32, TF32 off) on the same machine.
// On a GPU machine (see /work/shared/gpu/README): bundle here with
//   npx esbuild bench/webgpu.ts --bundle --platform=node --format=esm --external:webgpu --outfile=.tmp/bench-webgpu.mjs
// then carry [".gpu", ".tmp/bench-webgpu.mjs"] and run: bash .gpu/remote.sh node .tmp/bench-webgpu.mjs
// Times are medians of wall time to GPU completion (queue.onSubmittedWorkDone). Nothing is asserted.
import * as pg from '../src/index.js';
import { webgpuBackend } from '../src/autograd/webgpu/index.js';
import { MATMUL_TILES, setMatmulTile } from '../src/autograd/webgpu/kernels/matmul.js';

const args = process.argv.slice(2);
const quick = args.includes('--quick');
const withCpu = args.includes('--cpu');
const reps = Number(args[args.indexOf('--reps') + 1]) || (quick ? 3 : 10);
const sweep = args.includes('--sweep');
if (args.includes('--tile')) setMatmulTile(args[args.indexOf('--tile') + 1]);

const mod = await import(process.env.PAPERGRAD_WEBGPU_MODULE ?? 'webgpu');
Object.assign(globalThis, mod.globals);
const init = await pg.initWebGPU(mod.create([]));
if (!init.ok) {
  console.log(`WebGPU unavailable (${init.reason}): nothing to benchmark`);
  process.exit(0);
}
const backend = webgpuBackend()!;
console.log(`device: ${init.info.description || init.info.device || init.info.vendor}${init.info.fallback ? ' (software adapter: correctness only, not speed)' : ''}`);

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

/** Median ms per call of `step` on `device`, after two warm-up calls, timed to GPU completion. */
async function time(device: pg.Device, step: () => void, n = reps): Promise<number> {
  const sync = async () => { if (device === 'webgpu') await backend.sync(); };
  step();
  step();
  await sync();
  const ts: number[] = [];
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    step();
    await sync();
    ts.push(performance.now() - t0);
  }
  return median(ts);
}

interface Row { workload: string; size: string; gflop: number; ms: Record<string, number | null> }
const rows: Row[] = [];

// ---------------------------------------------------------------- matmul
/** Median ms of an n x n @ n x n product on `device`. */
async function matmulMs(n: number, device: pg.Device): Promise<number> {
  const g = new pg.Generator(0);
  const a = pg.randn([n, n], { generator: g, device }), b = pg.randn([n, n], { generator: g, device });
  const ms = await time(device, () => pg.tidy(() => { a.matmul(b); }), n >= 2048 ? Math.min(reps, 5) : reps);
  a.dispose();
  b.dispose();
  return ms;
}

async function matmulRow(n: number) {
  const row: Row = { workload: 'matmul', size: `${n}x${n} @ ${n}x${n}`, gflop: (2 * n ** 3) / 1e9, ms: {} };
  for (const device of ['webgpu', 'cpu'] as const)
    row.ms[device] = device === 'cpu' && (!withCpu || n > 1024) ? null : await matmulMs(n, device);
  rows.push(row);
}

// ---------------------------------------------------------------- MLP training step
function mlpStep(device: pg.Device, batch: number, dims: number[]): () => void {
  const g = new pg.Generator(1);
  const ps: pg.Tensor[] = [];
  for (let i = 0; i + 1 < dims.length; i++) {
    ps.push(pg.randn([dims[i], dims[i + 1]], { generator: g, device, std: Math.sqrt(2 / dims[i]) }).requiresGrad_());
    ps.push(pg.zeros([dims[i + 1]], { device, requiresGrad: true }));
  }
  const x = pg.randn([batch, dims[0]], { generator: g, device });
  const y = pg.randint(0, dims[dims.length - 1], [batch, 1], { generator: g, device });
  return () => pg.tidy(() => {
    let h = x;
    for (let i = 0; i < ps.length / 2; i++) {
      h = h.matmul(ps[2 * i]).add(ps[2 * i + 1]);
      if (i < ps.length / 2 - 1) h = h.relu();
    }
    const loss = h.logSoftmax(-1).gather(1, y).neg().mean();
    loss.backward();
    pg.noGrad(() => ps.forEach((p) => p.assign_(p.sub(p.grad!.mul(0.01)))));
    pg.zeroGrad(ps);
  });
}

// ---------------------------------------------------------------- transformer block training step
function layerNorm(x: pg.Tensor): pg.Tensor {
  const m = x.mean(-1, true);
  const d = x.sub(m);
  return d.div(d.square().mean(-1, true).add(1e-5).sqrt());
}

function transformerStep(device: pg.Device, B: number, T: number, D: number, H: number): () => void {
  const g = new pg.Generator(2);
  const w = (r: number, c: number) => pg.randn([r, c], { generator: g, device, std: 1 / Math.sqrt(r) }).requiresGrad_();
  const ps = [w(D, 3 * D), w(D, D), w(D, 4 * D), w(4 * D, D)];
  const x = pg.randn([B, T, D], { generator: g, device });
  const maskData = new Float32Array(T * T);
  for (let i = 0; i < T; i++) for (let j = i + 1; j < T; j++) maskData[i * T + j] = -1e9;
  const mask = pg.tensor(maskData, { shape: [T, T], device });
  const dh = D / H;
  return () => pg.tidy(() => {
    const [wqkv, wo, w1, w2] = ps;
    const qkv = layerNorm(x).matmul(wqkv).reshape(B, T, 3, H, dh).permute(2, 0, 3, 1, 4); // [3, B, H, T, dh]
    const [q, k, v] = [0, 1, 2].map((i) => qkv.select(0, i));
    const att = q.matmul(k.transpose(-1, -2)).mul(1 / Math.sqrt(dh)).add(mask).softmax(-1).matmul(v); // [B, H, T, dh]
    const x2 = x.add(att.transpose(1, 2).reshape(B, T, D).matmul(wo));
    const x3 = x2.add(layerNorm(x2).matmul(w1).gelu({ approximate: 'tanh' }).matmul(w2));
    const loss = x3.square().mean();
    loss.backward();
    pg.noGrad(() => ps.forEach((p) => p.assign_(p.sub(p.grad!.mul(0.01)))));
    pg.zeroGrad(ps);
  });
}

async function trainRow(workload: string, size: string, gflop: number, make: (device: pg.Device) => () => void, cpuOk: boolean) {
  const row: Row = { workload, size, gflop, ms: {} };
  for (const device of ['webgpu', 'cpu'] as const) {
    if (device === 'cpu' && (!withCpu || !cpuOk)) { row.ms[device] = null; continue; }
    row.ms[device] = await time(device, make(device));
  }
  rows.push(row);
}

for (const n of quick ? [64, 128, 256] : [512, 1024, 2048, 4096]) await matmulRow(n);
{
  const batch = quick ? 16 : 128, dims = [784, 256, 256, 10];
  let f = 0;
  for (let i = 0; i + 1 < dims.length; i++) f += 2 * batch * dims[i] * dims[i + 1];
  await trainRow('MLP train step', `${dims.join('-')}, batch ${batch}`, (3 * f) / 1e9, (d) => mlpStep(d, batch, dims), true);
}
{
  const [B, T, D, H] = quick ? [2, 16, 32, 2] : [8, 128, 256, 4];
  const f = 2 * B * T * (D * 3 * D + D * D + 8 * D * D) + 4 * B * T * T * D;
  await trainRow('transformer block train step', `B${B} T${T} D${D} H${H}`, (3 * f) / 1e9, (d) => transformerStep(d, B, T, D, H), quick);
}

const fmt = (v: number | null, digits = 2) => (v === null ? '-' : v >= 100 || digits === 2 ? v.toFixed(digits) : v.toPrecision(3));
console.log('\n| workload | size | webgpu ms | webgpu GFLOP/s | cpu ms | cpu GFLOP/s |');
console.log('| --- | --- | ---: | ---: | ---: | ---: |');
for (const r of rows) {
  const gw = r.ms.webgpu ? r.gflop / (r.ms.webgpu / 1e3) : null;
  const gc = r.ms.cpu ? r.gflop / (r.ms.cpu / 1e3) : null;
  console.log(`| ${r.workload} | ${r.size} | ${fmt(r.ms.webgpu ?? null)} | ${fmt(gw, 1)} | ${fmt(r.ms.cpu ?? null)} | ${fmt(gc, 1)} |`);
}
if (sweep) {
  // Each tiled kernel forced in turn (the 'default' row is the size-based choice the library makes).
  const sizes = quick ? [128, 256] : [2048, 4096];
  console.log(`\n| matmul kernel | ${sizes.map((n) => `${n} GFLOP/s`).join(' | ')} |`);
  console.log(`| --- | ${sizes.map(() => '---:').join(' | ')} |`);
  for (const tile of [null, ...Object.keys(MATMUL_TILES)]) {
    setMatmulTile(tile);
    const cells: string[] = [];
    for (const n of sizes) cells.push(((2 * n ** 3) / ((await matmulMs(n, 'webgpu')) * 1e6)).toFixed(1));
    console.log(`| ${tile ?? 'default'} | ${cells.join(' | ')} |`);
  }
  setMatmulTile(null);
}
const st = backend.stats();
console.log(`\n(${st.pipelines} pipelines compiled, ${st.submits} submits, ${st.dispatches} dispatches, pool ${(st.pool.bytes / 2 ** 20).toFixed(1)} MiB in ${st.pool.buffers} buffers)`);
process.exit(0);
