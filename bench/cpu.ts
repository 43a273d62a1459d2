// CPU benchmark: papergrad vs TensorFlow.js's CPU backend, measured in the same run.
// Run: bash bench/peers/install.sh && node scripts/run-ts.mjs bench/cpu.ts [--reps N]
// Prints medians and papergrad's speed-up over the peer. No timing is asserted anywhere.
//
// This machine's speed drifts by up to 2x over seconds (a shared VM), so the two libraries are
// timed in alternation, one run of each per round, and a ratio compares runs taken side by side.
import { createRequire } from 'node:module';
import { resolve } from 'node:path';
import { existsSync } from 'node:fs';
import { Worker } from 'node:worker_threads';
import * as pg from '../src/index.js';

const reps = Number(process.argv[process.argv.indexOf('--reps') + 1]) || 7;

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

function ms(fn: () => void): number {
  const t0 = performance.now();
  fn();
  return performance.now() - t0;
}

/** A workload: its papergrad run, the peer's run (if the peer is installed), and how to report a time. */
interface Workload {
  name: string;
  unit: string;
  /** Converts a median time in ms into the reported number. */
  score: (ms: number) => number;
  higherIsBetter: boolean;
  pg: () => void;
  peer: (() => void) | null;
  /** Rounds for this workload (the peer's 1024 matmul takes seconds). */
  rounds?: number;
  /** Setup to run before this workload and cleanup after it (CPU threads on/off). */
  before?: () => Promise<void>;
  after?: () => Promise<void>;
}

// ---------------------------------------------------------------- papergrad
const g = new pg.Generator(0);
const n = 1024;
const gflops = (t: number) => (2 * n ** 3) / (t * 1e6);
const ma = pg.randn([n, n], { generator: g }), mb = pg.randn([n, n], { generator: g });
const pgMatmul = () => pg.tidy(() => { ma.matmul(mb); });

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
const pgStep = pgMlp();
const ea = pg.randn([1 << 20], { generator: g }), eb = pg.randn([1 << 20], { generator: g }), ec = pg.randn([1 << 20], { generator: g });
const pgElementwise = () => pg.tidy(() => { ea.mul(eb).add(ec).relu(); });
const sm = pg.randn([1024, 1024], { generator: g });
const pgSoftmax = () => pg.tidy(() => { sm.softmax(-1); });

// ---------------------------------------------------------------- TensorFlow.js (CPU backend)
let tfMatmul: (() => void) | null = null, tfStep: (() => void) | null = null;
let tfElementwise: (() => void) | null = null, tfSoftmax: (() => void) | null = null;
const peerDir = resolve('bench/peers');
if (existsSync(resolve(peerDir, 'node_modules/@tensorflow/tfjs'))) {
  const req = createRequire(resolve(peerDir, 'package.json'));
  const tf = req('@tensorflow/tfjs');
  await tf.setBackend('cpu');
  await tf.ready();
  const a = tf.randomNormal([n, n]), b = tf.randomNormal([n, n]);
  tfMatmul = () => tf.tidy(() => { tf.matMul(a, b).dataSync(); });
  const dims = [784, 256, 256, 10];
  const vars: any[] = [];
  for (let i = 0; i < 3; i++) {
    vars.push(tf.variable(tf.mul(tf.randomNormal([dims[i], dims[i + 1]]), Math.sqrt(2 / dims[i]))));
    vars.push(tf.variable(tf.zeros([dims[i + 1]])));
  }
  const x = tf.randomNormal([128, 784]);
  const y = tf.oneHot(tf.randomUniform([128], 0, 10, 'int32'), 10);
  const opt = tf.train.sgd(0.01);
  tfStep = () => tf.tidy(() => {
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
  const fa = tf.randomNormal([1 << 20]), fb = tf.randomNormal([1 << 20]), fc = tf.randomNormal([1 << 20]);
  tfElementwise = () => tf.tidy(() => { tf.relu(tf.add(tf.mul(fa, fb), fc)).dataSync(); });
  const s = tf.randomNormal([1024, 1024]);
  tfSoftmax = () => tf.tidy(() => { tf.softmax(s).dataSync(); });
} else {
  console.log('peer: skipped (run `bash bench/peers/install.sh` to install TensorFlow.js into bench/peers/)');
}

// ---------------------------------------------------------------- run, alternating
// The threaded rows split large products across 2 threads (pg.initCpuThreads; bit-identical to one
// thread). TF.js's CPU backend has one thread, so they are compared with the same peer runs.
let threadsNote = '';
const threadsOn = async () => {
  const st = await pg.initCpuThreads({ Worker, threads: 2 });
  if (st.threads !== 2) threadsNote = `CPU threads unavailable (${st.reason}); the "2 threads" rows ran on one`;
};
const threadsOff = () => pg.stopCpuThreads();
const workloads: Workload[] = [
  { name: 'matmul 1024 (GFLOP/s)', unit: 'GFLOP/s', score: gflops, higherIsBetter: true, pg: pgMatmul, peer: tfMatmul, rounds: 5 },
  { name: 'matmul 1024, 2 threads (GFLOP/s)', unit: 'GFLOP/s', score: gflops, higherIsBetter: true, pg: pgMatmul, peer: tfMatmul, rounds: 5, before: threadsOn, after: threadsOff },
  { name: 'MLP 784-256-256-10 step, batch 128 (steps/s)', unit: 'steps/s', score: (t) => 1000 / t, higherIsBetter: true, pg: pgStep, peer: tfStep },
  { name: 'MLP step, 2 threads (steps/s)', unit: 'steps/s', score: (t) => 1000 / t, higherIsBetter: true, pg: pgStep, peer: tfStep, before: threadsOn, after: threadsOff },
  { name: 'relu(a*b+c), 1M elements (ms)', unit: 'ms', score: (t) => t, higherIsBetter: false, pg: pgElementwise, peer: tfElementwise },
  { name: 'softmax 1024x1024 (ms)', unit: 'ms', score: (t) => t, higherIsBetter: false, pg: pgSoftmax, peer: tfSoftmax },
];

const rows: { w: Workload; pg: number; peer: number | null }[] = [];
for (const w of workloads) {
  await w.before?.();
  const rounds = w.rounds ?? reps;
  w.pg(); w.pg(); // warm-up (JIT, buffer pools)
  w.peer?.();
  const tp: number[] = [], tq: number[] = [];
  for (let r = 0; r < rounds; r++) {
    tp.push(ms(w.pg));
    if (w.peer) tq.push(ms(w.peer));
  }
  await w.after?.();
  rows.push({ w, pg: w.score(median(tp)), peer: w.peer ? w.score(median(tq)) : null });
  process.stderr.write(`  ${w.name}: done\n`);
}

// ---------------------------------------------------------------- table
const fmt = (v: number | null) => (v === null ? '-' : v >= 100 ? v.toFixed(0) : v.toFixed(2));
console.log(`\npapergrad CPU benchmark (medians; papergrad and TF.js timed in alternation; node ${process.version})\n`);
console.log('| workload | papergrad | TF.js CPU | speed-up |');
console.log('| --- | ---: | ---: | ---: |');
for (const { w, pg: p, peer } of rows) {
  const ratio = peer === null ? null : w.higherIsBetter ? p / peer : peer / p;
  console.log(`| ${w.name} | ${fmt(p)} | ${fmt(peer)} | ${ratio === null ? '-' : ratio.toFixed(1) + 'x'} |`);
}
if (threadsNote) console.log(`\n${threadsNote}`);
