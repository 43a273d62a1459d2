// CPU benchmark: papergrad vs TensorFlow.js's CPU backend, measured in the same run.
// Run: bash bench/peers/install.sh && node scripts/run-ts.mjs bench/cpu.ts [--reps N]
// Prints medians and papergrad's speed-up over the peer. No timing is asserted anywhere.
import { createRequire } from 'node:module';
import { resolve } from 'node:path';
import { existsSync } from 'node:fs';
import * as pg from '../src/index.js';

const reps = Number(process.argv[process.argv.indexOf('--reps') + 1]) || 7;

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

/** Median wall time in ms of fn over `reps` runs after 2 warm-ups. */
function time(fn: () => void, n = reps): number {
  fn();
  fn();
  const ts: number[] = [];
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    fn();
    ts.push(performance.now() - t0);
  }
  return median(ts);
}

type Row = { name: string; unit: string; pg: number; peer: number | null; higherIsBetter: boolean };
const rows: Row[] = [];

// ---------------------------------------------------------------- papergrad
const g = new pg.Generator(0);
{
  const n = 1024;
  const a = pg.randn([n, n], { generator: g }), b = pg.randn([n, n], { generator: g });
  const ms = time(() => pg.tidy(() => { a.matmul(b); }), 5);
  rows.push({ name: 'matmul 1024 (GFLOP/s)', unit: 'GFLOP/s', pg: (2 * n ** 3) / (ms * 1e6), peer: null, higherIsBetter: true });
}
function pgMlp() {
  const dims = [784, 256, 256, 10];
  const ps: pg.Tensor[] = [];
  for (let i = 0; i < 3; i++) {
    ps.push(pg.randn([dims[i], dims[i + 1]], { generator: g }).mul(Math.sqrt(2 / dims[i])).requiresGrad_());
    ps.push(pg.zeros([dims[i + 1]], { requiresGrad: true }));
  }
  const x = pg.randn([128, 784], { generator: g });
  const y = pg.randint(0, 10, [128, 1], { generator: g });
  return () =>
    pg.tidy(() => {
      let h = x;
      for (let i = 0; i < 3; i++) {
        h = h.matmul(ps[2 * i]).add(ps[2 * i + 1]);
        if (i < 2) h = h.relu();
      }
      const loss = h.logSoftmax(-1).gather(1, y).neg().mean();
      loss.backward();
      pg.noGrad(() => ps.forEach((p) => p.assign_(p.sub(p.grad!.mul(0.01)))));
      pg.zeroGrad(ps);
    });
}
{
  const ms = time(pgMlp());
  rows.push({ name: 'MLP 784-256-256-10 step, batch 128 (steps/s)', unit: 'steps/s', pg: 1000 / ms, peer: null, higherIsBetter: true });
}
{
  const a = pg.randn([1 << 20], { generator: g }), b = pg.randn([1 << 20], { generator: g }), c = pg.randn([1 << 20], { generator: g });
  rows.push({ name: 'relu(a*b+c), 1M elements (ms)', unit: 'ms', pg: time(() => pg.tidy(() => { a.mul(b).add(c).relu(); })), peer: null, higherIsBetter: false });
  const s = pg.randn([1024, 1024], { generator: g });
  rows.push({ name: 'softmax 1024x1024 (ms)', unit: 'ms', pg: time(() => pg.tidy(() => { s.softmax(-1); })), peer: null, higherIsBetter: false });
}

// ---------------------------------------------------------------- TensorFlow.js (CPU backend)
const peerDir = resolve('bench/peers');
if (existsSync(resolve(peerDir, 'node_modules/@tensorflow/tfjs'))) {
  const req = createRequire(resolve(peerDir, 'package.json'));
  const tf = req('@tensorflow/tfjs');
  await tf.setBackend('cpu');
  await tf.ready();
  const n = 1024;
  const a = tf.randomNormal([n, n]), b = tf.randomNormal([n, n]);
  const mmMs = time(() => tf.tidy(() => { tf.matMul(a, b).dataSync(); }), 3);
  rows[0].peer = (2 * n ** 3) / (mmMs * 1e6);
  const dims = [784, 256, 256, 10];
  const vars: any[] = [];
  for (let i = 0; i < 3; i++) {
    vars.push(tf.variable(tf.mul(tf.randomNormal([dims[i], dims[i + 1]]), Math.sqrt(2 / dims[i]))));
    vars.push(tf.variable(tf.zeros([dims[i + 1]])));
  }
  const x = tf.randomNormal([128, 784]);
  const y = tf.oneHot(tf.randomUniform([128], 0, 10, 'int32'), 10);
  const opt = tf.train.sgd(0.01);
  const step = () => tf.tidy(() => {
    opt.minimize(() => {
      let h = x;
      for (let i = 0; i < 3; i++) {
        h = tf.add(tf.matMul(h, vars[2 * i]), vars[2 * i + 1]);
        if (i < 2) h = tf.relu(h);
      }
      return tf.neg(tf.mean(tf.sum(tf.mul(tf.logSoftmax(h), y), -1)));
    }, false, vars);
    vars[0].dataSync();
  });
  rows[1].peer = 1000 / time(step, 5);
  const ea = tf.randomNormal([1 << 20]), eb = tf.randomNormal([1 << 20]), ec = tf.randomNormal([1 << 20]);
  rows[2].peer = time(() => tf.tidy(() => { tf.relu(tf.add(tf.mul(ea, eb), ec)).dataSync(); }));
  const s = tf.randomNormal([1024, 1024]);
  rows[3].peer = time(() => tf.tidy(() => { tf.softmax(s).dataSync(); }));
} else {
  console.log('peer: skipped (run `bash bench/peers/install.sh` to install TensorFlow.js into bench/peers/)');
}

// ---------------------------------------------------------------- table
const fmt = (v: number | null) => (v === null ? '-' : v >= 100 ? v.toFixed(0) : v.toFixed(2));
console.log(`\npapergrad CPU benchmark (median of ${reps} runs; node ${process.version})\n`);
console.log('| workload | papergrad | TF.js CPU | speed-up |');
console.log('| --- | ---: | ---: | ---: |');
for (const r of rows) {
  const ratio = r.peer === null ? null : r.higherIsBetter ? r.pg / r.peer : r.peer / r.pg;
  console.log(`| ${r.name} | ${fmt(r.pg)} | ${fmt(r.peer)} | ${ratio === null ? '-' : ratio.toFixed(1) + 'x'} |`);
}
