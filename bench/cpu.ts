// CPU benchmark: papergrad's 'cpu' device (the wasm backend: 'reference' and 'fast' precision, one
// and two threads, eager and pg.compile) against TensorFlow.js's wasm backend and jax-js's wasm
// backend (eager and jit), all in the same run. No timing is asserted anywhere.
//
//   npm run bench                      installs the peers (bench/peers/install.sh), then runs this
//   node scripts/run-ts.mjs bench/cpu.ts [--reps N] [--clock wall|cpu] [--only substring]
//
// Every round runs each contender of a workload once, in turn, so the libraries are compared on
// runs taken side by side (a shared machine's speed drifts). Cells are medians over the rounds.
// --clock cpu measures this process's CPU time (all its threads) instead of wall time: use it on a
// machine shared with other jobs, where wall time measures the contention; the 2-thread cells are
// then the CPU time of both threads together, not a speed-up (compare them with --clock wall on a
// quiet machine).
import { createRequire } from 'node:module';
import { resolve } from 'node:path';
import { existsSync, readFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { Worker } from 'node:worker_threads';
import * as pg from '../src/index.js';
import { pauseCpuThreads } from '../src/autograd/cpu/threads.js';

const arg = (name: string) => { const i = process.argv.indexOf(name); return i >= 0 ? process.argv[i + 1] : undefined; };
const reps = Number(arg('--reps')) || 9;
const clock = (arg('--clock') ?? 'wall') as 'wall' | 'cpu';
const only = arg('--only');

type Fn = () => void | Promise<void>;
/** A contender's column. */
const COLUMNS = ['pg reference', 'pg fast', 'pg reference 2T', 'pg fast 2T', 'pg compile', 'TF.js wasm', 'jax-js', 'jax-js jit'] as const;
type Column = (typeof COLUMNS)[number];
interface Workload {
  name: string;
  /** Converts a median time (ms) into the reported number. */
  score: (ms: number) => number;
  higherIsBetter: boolean;
  runs: Partial<Record<Column, Fn>>;
}

// ---------------------------------------------------------------- shared inputs
const g = new pg.Generator(0);
const n = 1024, N = 1 << 20;
const gflops = (t: number) => (2 * n ** 3) / (t * 1e6);
const host = (t: pg.Tensor) => t.dataSync() as Float32Array;
const mA = pg.randn([n, n], { generator: g }), mB = pg.randn([n, n], { generator: g });
const eA = pg.randn([N], { generator: g }), eB = pg.randn([N], { generator: g }), eC = pg.randn([N], { generator: g });
const sm = pg.randn([n, n], { generator: g });
const dims = [784, 256, 256, 10], batch = 128;
const mlpW = dims.slice(0, 3).map((d, i) => pg.randn([d, dims[i + 1]], { generator: g }).mul(Math.sqrt(2 / d)));
const mlpX = pg.randn([batch, 784], { generator: g });
const mlpY = pg.randint(0, 10, [batch], { generator: g });
/** The MLP's parameter shapes (weights and biases), for the optimizer workload. */
const mlpShapes = dims.slice(0, 3).flatMap((d, i) => [[d, dims[i + 1]], [dims[i + 1]]]);

/** Runs fn with the 'cpu' device in a precision mode and with (or without) the worker threads. */
const withMode = (mode: pg.PrecisionMode, threads: boolean, fn: Fn): Fn => () => {
  pg.setCpuPrecision(mode);
  pauseCpuThreads(!threads);
  try { return fn(); } finally { pg.setCpuPrecision('reference'); pauseCpuThreads(true); }
};

// ---------------------------------------------------------------- papergrad
function pgMlpStep(): Fn {
  const ps: pg.Tensor[] = [];
  for (let i = 0; i < 3; i++) ps.push(pg.keep(mlpW[i].clone().requiresGrad_()), pg.keep(pg.zeros([dims[i + 1]], { requiresGrad: true })));
  const y = mlpY.reshape([batch, 1]);
  return () => pg.tidy(() => {
    let h = mlpX;
    for (let i = 0; i < 3; i++) {
      h = h.matmul(ps[2 * i]).add(ps[2 * i + 1]);
      if (i < 2) h = h.relu();
    }
    h.logSoftmax(-1).gather(1, y).neg().mean().backward();
    pg.noGrad(() => ps.forEach((p) => p.assign_(p.sub(p.grad!.mul(0.01)))));
    pg.zeroGrad(ps);
  });
}
const pgCompile = pg.compile;
const pgMatmul: Fn = () => pg.tidy(() => { mA.matmul(mB); });
const pgRelu: Fn = () => pg.tidy(() => { eA.mul(eB).add(eC).relu(); });
const pgSoftmax: Fn = () => pg.tidy(() => { sm.softmax(-1); });
const pgSum: Fn = () => pg.tidy(() => { eA.sum(); });
const pgStep = pgMlpStep();
/** One Adam update of the MLP's parameters (their gradients set once; Backend.adamStep on the CPU). */
function pgAdamStep(): Fn {
  const ps = mlpShapes.map((s) => pg.keep(pg.randn(s, { generator: g }).requiresGrad_()));
  ps.forEach((p) => (p.grad = pg.randn(p.shape, { generator: g }).mul(0.01)));
  const opt = new pg.nn.Adam(ps, { lr: 1e-3 });
  return () => opt.step();
}
const pgAdam = pgAdamStep();

// ---------------------------------------------------------------- peers
const peerDir = resolve('bench/peers');
const req = createRequire(resolve(peerDir, 'package.json'));
const versions: string[] = [];
let tfRuns: Partial<Record<string, Fn>> = {};
if (existsSync(resolve(peerDir, 'node_modules/@tensorflow/tfjs-backend-wasm'))) {
  const tf = req('@tensorflow/tfjs');
  req('@tensorflow/tfjs-backend-wasm');
  await tf.setBackend('wasm');
  await tf.ready();
  versions.push(`@tensorflow/tfjs-backend-wasm ${req('@tensorflow/tfjs-backend-wasm/package.json').version} (SIMD ${tf.env().getBool('WASM_HAS_SIMD_SUPPORT')}, threads ${tf.env().getBool('WASM_HAS_MULTITHREAD_SUPPORT')})`);
  const t = (x: pg.Tensor, shape: number[]) => tf.tensor(host(x), shape);
  const a = t(mA, [n, n]), b = t(mB, [n, n]), x = t(eA, [N]), y = t(eB, [N]), z = t(eC, [N]), s = t(sm, [n, n]);
  const vars: unknown[] = [];
  for (let i = 0; i < 3; i++) vars.push(tf.variable(t(mlpW[i], [dims[i], dims[i + 1]])), tf.variable(tf.zeros([dims[i + 1]])));
  const mx = t(mlpX, [batch, 784]), my = tf.oneHot(tf.tensor(mlpY.dataSync(), [batch], 'int32'), 10);
  const opt = tf.train.sgd(0.01);
  // Adam on variables of the MLP's shapes, found by name by applyGradients, with fixed gradients.
  mlpShapes.forEach((sh, i) => tf.variable(tf.randomNormal(sh), true, `adam${i}`));
  const adamGrads = Object.fromEntries(mlpShapes.map((sh, i) => [`adam${i}`, tf.mul(tf.randomNormal(sh), 0.01)]));
  const adam = tf.train.adam(1e-3);
  tfRuns = {
    adam: () => { adam.applyGradients(adamGrads); },
    matmul: () => tf.tidy(() => { tf.matMul(a, b); }),
    relu: () => tf.tidy(() => { tf.relu(tf.add(tf.mul(x, y), z)); }),
    softmax: () => tf.tidy(() => { tf.softmax(s); }),
    sum: () => tf.tidy(() => { tf.sum(x); }),
    mlp: () => tf.tidy(() => {
      opt.minimize(() => {
        let h = mx;
        for (let i = 0; i < 3; i++) {
          h = tf.add(tf.matMul(h, vars[2 * i]), vars[2 * i + 1]);
          if (i < 2) h = tf.relu(h);
        }
        return tf.neg(tf.mean(tf.sum(tf.mul(tf.logSoftmax(h), my), -1)));
      }, false, vars);
    }),
  };
} else console.log('TF.js wasm: skipped (run `bash bench/peers/install.sh`)');

let jaxRuns: Partial<Record<string, Fn>> = {};
if (existsSync(resolve(peerDir, 'node_modules/@jax-js/jax'))) {
  const jax = await import(resolve(peerDir, 'node_modules/@jax-js/jax/dist/index.js'));
  const { numpy: np, nn, jit, valueAndGrad, blockUntilReady } = jax;
  await jax.init('wasm');
  jax.defaultDevice('wasm');
  versions.push(`@jax-js/jax ${JSON.parse(readFileSync(resolve(peerDir, 'node_modules/@jax-js/jax/package.json'), 'utf8')).version} (wasm, ${typeof (globalThis as { Worker?: unknown }).Worker === 'undefined' ? 'one thread: Node has no global Worker' : 'workers'})`);
  const t = (x: pg.Tensor, shape: number[]) => np.array(host(x)).reshape(shape);
  const a = t(mA, [n, n]), b = t(mB, [n, n]), x = t(eA, [N]), y = t(eB, [N]), z = t(eC, [N]), s = t(sm, [n, n]);
  const done = async (r: { dispose(): void }) => { (await blockUntilReady(r)).dispose(); };
  const reluJit = jit((p: any, q: any, r: any) => nn.relu(p.mul(q).add(r)));
  const softmaxJit = jit((p: any) => nn.softmax(p, -1));
  const loss = (params: any[], xb: any, yb: any) => {
    let h = xb;
    for (let i = 0; i < 3; i++) {
      h = np.matmul(h, params[2 * i]).add(params[2 * i + 1]);
      if (i < 2) h = nn.relu(h);
    }
    return nn.logSoftmax(h, -1).mul(yb).sum().mul(-1 / batch);
  };
  const sgd = (params: any[], xb: any, yb: any) => {
    const [l, grads] = valueAndGrad(loss)(params.map((p) => p.ref), xb, yb);
    l.dispose();
    return params.map((p, i) => p.sub(grads[i].mul(0.01)));
  };
  const init = () => {
    const ps: any[] = [];
    for (let i = 0; i < 3; i++) ps.push(t(mlpW[i], [dims[i], dims[i + 1]]), np.zeros([dims[i + 1]]));
    return ps;
  };
  const mx = t(mlpX, [batch, 784]);
  const my = np.array(Float32Array.from({ length: batch * 10 }, (_, k) => (mlpY.dataSync()[Math.floor(k / 10)] === k % 10 ? 1 : 0))).reshape([batch, 10]);
  let eager = init(), jitted = init();
  const sgdJit = jit(sgd);
  jaxRuns = {
    matmul: () => done(np.matmul(a.ref, b.ref)),
    relu: () => done(nn.relu(x.ref.mul(y.ref).add(z.ref))),
    reluJit: () => done(reluJit(x.ref, y.ref, z.ref)),
    softmax: () => done(nn.softmax(s.ref, -1)),
    softmaxJit: () => done(softmaxJit(s.ref)),
    sum: () => done(x.ref.sum()),
    mlp: async () => { eager = await blockUntilReady(sgd(eager, mx.ref, my.ref)); },
    mlpJit: async () => { jitted = await blockUntilReady(sgdJit(jitted, mx.ref, my.ref)); },
  };
} else console.log('jax-js: skipped (run `bash bench/peers/install.sh`)');

// ---------------------------------------------------------------- workloads
const threadsOn = await pg.initCpuThreads({ Worker, threads: 2 });
pauseCpuThreads(true);
const ms2 = (t: number) => t;
/** A papergrad run under pg.compile; `f` returns the result, which is read back in place (computed) and freed. */
const compiled = (f: () => pg.Tensor | void): Fn | undefined => {
  if (!pgCompile) return undefined;
  const c = pgCompile(f);
  return () => { const r = c(); if (r) r.dispose(); };
};
const workloads: Workload[] = [
  { name: 'matmul 1024x1024 (GFLOP/s)', score: gflops, higherIsBetter: true, runs: {
    'pg reference': withMode('reference', false, pgMatmul), 'pg fast': withMode('fast', false, pgMatmul),
    'pg reference 2T': withMode('reference', true, pgMatmul), 'pg fast 2T': withMode('fast', true, pgMatmul),
    'TF.js wasm': tfRuns.matmul, 'jax-js': jaxRuns.matmul } },
  { name: 'relu(a*b+c), 2^20 float32 (ms)', score: ms2, higherIsBetter: false, runs: {
    'pg reference': withMode('reference', false, pgRelu), 'pg compile': compiled(() => eA.mul(eB).add(eC).relu()),
    'TF.js wasm': tfRuns.relu, 'jax-js': jaxRuns.relu, 'jax-js jit': jaxRuns.reluJit } },
  { name: 'softmax rows of 1024x1024 (ms)', score: ms2, higherIsBetter: false, runs: {
    'pg reference': withMode('reference', false, pgSoftmax), 'pg fast': withMode('fast', false, pgSoftmax),
    'pg reference 2T': withMode('reference', true, pgSoftmax), 'pg fast 2T': withMode('fast', true, pgSoftmax),
    'TF.js wasm': tfRuns.softmax, 'jax-js': jaxRuns.softmax, 'jax-js jit': jaxRuns.softmaxJit } },
  { name: 'sum of 2^20 float32 (ms)', score: ms2, higherIsBetter: false, runs: {
    'pg reference': withMode('reference', false, pgSum), 'TF.js wasm': tfRuns.sum, 'jax-js': jaxRuns.sum } },
  { name: 'MLP 784-256-256-10 SGD step, batch 128 (steps/s)', score: (t) => 1000 / t, higherIsBetter: true, runs: {
    'pg reference': withMode('reference', false, pgStep), 'pg fast': withMode('fast', false, pgStep),
    'pg reference 2T': withMode('reference', true, pgStep), 'pg fast 2T': withMode('fast', true, pgStep),
    'pg compile': compiled(pgStep as () => void),
    'TF.js wasm': tfRuns.mlp, 'jax-js': jaxRuns.mlp, 'jax-js jit': jaxRuns.mlpJit } },
  { name: 'Adam update of the MLP parameters, 269,322 (µs)', score: (t) => t * 1000, higherIsBetter: false, runs: {
    'pg reference': withMode('reference', false, pgAdam), 'TF.js wasm': tfRuns.adam } },
];

// ---------------------------------------------------------------- run, alternating
async function time(fn: Fn): Promise<{ wall: number; cpu: number }> {
  const c0 = process.cpuUsage(), w0 = performance.now();
  await fn();
  const c = process.cpuUsage(c0);
  return { wall: performance.now() - w0, cpu: (c.user + c.system) / 1000 };
}
const median = (xs: number[]) => { const s = [...xs].sort((a, b) => a - b); return s[Math.floor(s.length / 2)]; };

const results: { w: Workload; cells: Partial<Record<Column, number>> }[] = [];
for (const w of workloads) {
  if (only && !w.name.includes(only)) continue;
  const entries = COLUMNS.map((c) => [c, w.runs[c]] as const).filter((e): e is readonly [Column, Fn] => !!e[1]);
  for (const [, fn] of entries) { await fn(); await fn(); } // warm-up: compilation, pools
  const times = new Map<Column, number[]>(entries.map(([c]) => [c, []]));
  for (let r = 0; r < reps; r++) for (const [c, fn] of entries) times.get(c)!.push((await time(fn))[clock]);
  const cells: Partial<Record<Column, number>> = {};
  for (const [c, ts] of times) cells[c] = w.score(median(ts));
  results.push({ w, cells });
  process.stderr.write(`  ${w.name}: done\n`);
}
await pg.stopCpuThreads();

// ---------------------------------------------------------------- table
const fmt = (v: number | undefined) => (v === undefined ? '-' : v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v.toFixed(2));
console.log(`\npapergrad CPU benchmark: medians of ${reps} rounds, contenders alternated within each round; clock: ${clock === 'cpu' ? 'CPU time of this process (all threads)' : 'wall'}`);
console.log(`machine: ${cpus()[0]?.model ?? '?'} x${cpus().length}, load average ${loadavg().map((x) => x.toFixed(1)).join(' ')}; node ${process.version}`);
console.log(`peers: ${versions.join('; ') || 'none installed'}`);
if (threadsOn.threads !== 2) console.log(`papergrad threads unavailable (${threadsOn.reason}): the 2T columns ran on one thread`);
console.log(`\n| workload | ${COLUMNS.join(' | ')} |`);
console.log(`| --- |${COLUMNS.map(() => ' ---: |').join('')}`);
for (const { w, cells } of results) console.log(`| ${w.name} | ${COLUMNS.map((c) => fmt(cells[c])).join(' | ')} |`);

// The targets, as ratios (higher is better for papergrad).
const ratio = (w: Workload | undefined, ours: Column, theirs: Column) => {
  const a = w && results.find((r) => r.w === w)?.cells;
  if (!a || a[ours] === undefined || a[theirs] === undefined) return '-';
  return (w!.higherIsBetter ? a[ours]! / a[theirs]! : a[theirs]! / a[ours]!).toFixed(2);
};
const [mm, relu, soft, sum, mlp, adamW] = workloads;
console.log('\ntargets (papergrad / peer; >= target is met):');
console.log(`  matmul: reference 1T / TF.js ${ratio(mm, 'pg reference', 'TF.js wasm')} (0.6), reference 2T / TF.js ${ratio(mm, 'pg reference 2T', 'TF.js wasm')} (1.1), fast 1T / TF.js ${ratio(mm, 'pg fast', 'TF.js wasm')} (1.1)`);
console.log(`  relu(a*b+c): reference / TF.js ${ratio(relu, 'pg reference', 'TF.js wasm')}, compile / TF.js ${ratio(relu, 'pg compile', 'TF.js wasm')} (1.0)`);
console.log(`  softmax: reference / TF.js ${ratio(soft, 'pg reference', 'TF.js wasm')}, fast / TF.js ${ratio(soft, 'pg fast', 'TF.js wasm')}, reference 2T / TF.js ${ratio(soft, 'pg reference 2T', 'TF.js wasm')}, fast 2T / TF.js ${ratio(soft, 'pg fast 2T', 'TF.js wasm')} (1.0)`);
console.log(`  sum: reference / TF.js ${ratio(sum, 'pg reference', 'TF.js wasm')} (about 1)`);
console.log(`  MLP step: fast 2T / jax-js jit ${ratio(mlp, 'pg fast 2T', 'jax-js jit')} (1.0), reference / TF.js ${ratio(mlp, 'pg reference', 'TF.js wasm')} (2.0)`);
console.log(`  (no target) Adam update: reference / TF.js ${ratio(adamW, 'pg reference', 'TF.js wasm')}`);
