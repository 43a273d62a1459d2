// Pure-JS CPU kernels, one workload at a time, timed in CPU time (process.cpuUsage: user + system
// of this process), which a machine shared with other jobs inflates far less than wall time.
// Run: node scripts/run-ts.mjs bench/kernels.ts [--reps N] [--only NAME,...]
// Prints the median and the minimum per workload in ms. No timing is asserted anywhere.
import * as pg from '../src/index.js';

const arg = (name: string) => { const i = process.argv.indexOf(name); return i > 0 ? process.argv[i + 1] : undefined; };
const reps = Number(arg('--reps')) || 15;
const only = arg('--only')?.split(',');

function cpuMs(fn: () => void): number {
  const t0 = process.cpuUsage();
  fn();
  const d = process.cpuUsage(t0);
  return (d.user + d.system) / 1000;
}

const g = new pg.Generator(0);
const N = 1 << 20;
const a = pg.randn([N], { generator: g }), b = pg.randn([N], { generator: g }), c = pg.randn([N], { generator: g });
const s = pg.randn([1024, 1024], { generator: g });

const workloads: [string, () => void][] = [
  ['relu(a*b+c) 2^20', () => pg.tidy(() => { a.mul(b).add(c).relu(); })],
  ['softmax 1024x1024', () => pg.tidy(() => { s.softmax(-1); })],
  ['logSoftmax 1024x1024', () => pg.tidy(() => { s.logSoftmax(-1); })],
  ['relu 2^20', () => pg.tidy(() => { a.relu(); })],
  ['abs 2^20', () => pg.tidy(() => { a.abs(); })],
  ['sign 2^20', () => pg.tidy(() => { a.sign(); })],
  ['add 2^20', () => pg.tidy(() => { a.add(b); })],
  ['exp 2^20', () => pg.tidy(() => { a.exp(); })],
  ['log 2^20', () => pg.tidy(() => { c.abs().log(); })],
  ['tanh 2^20', () => pg.tidy(() => { a.tanh(); })],
  ['sigmoid 2^20', () => pg.tidy(() => { a.sigmoid(); })],
  ['sin 2^20', () => pg.tidy(() => { a.sin(); })],
  ['gelu 2^20', () => pg.tidy(() => { a.gelu(); })],
];

const median = (xs: number[]) => [...xs].sort((p, q) => p - q)[xs.length >> 1];
console.log(`| workload | median ms (CPU) | min ms (CPU) |\n| --- | ---: | ---: |`);
for (const [name, fn] of workloads) {
  if (only && !only.some((o) => name.startsWith(o))) continue;
  fn(); fn(); // warm-up: JIT and the buffer pool
  const t: number[] = [];
  for (let r = 0; r < reps; r++) t.push(cpuMs(fn));
  console.log(`| ${name} | ${median(t).toFixed(2)} | ${Math.min(...t).toFixed(2)} |`);
}
