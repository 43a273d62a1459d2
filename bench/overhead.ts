// Per-op overhead: CPU time of one op call on tiny tensors, where the kernel costs next to nothing
// and what is measured is the op's bookkeeping (argument checks, shape logic, allocation, the
// autograd record). Run: node scripts/run-ts.mjs bench/overhead.ts [--rounds N] [--calls N] [--json]
//
// CPU time (process.cpuUsage, user + system), not wall time: this machine is shared. Each number is
// the minimum over rounds of (CPU time of `calls` calls) / calls, in microseconds: the least
// disturbed round, which is the most repeatable statistic here.
//
// Columns: `op` is the public call (pg.add(a, b)); where the op is declared with op() (the
// validation layer, src/autograd/args.ts), `unchecked` is the same body without the wrapper, timed
// in alternation in the same process, and `layer` is the difference: what validation costs per call.
import * as pg from '../src/index.js';

const arg = (name: string, dflt: number) => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? Number(process.argv[i + 1]) : dflt;
};
const rounds = arg('--rounds', 15);
const calls = arg('--calls', 3000);

const g = new pg.Generator(0);
const a = pg.randn([4, 4], { generator: g });
const b = pg.randn([4, 4], { generator: g });
const v = pg.randn([8], { generator: g });
const idx = pg.tensor([[0, 1, 2, 3]], { dtype: 'int32' });
const w = pg.randn([4, 4], { generator: g }).requiresGrad_();

// [label, op name (for the unchecked body), arguments]
const OPS: [string, string, () => unknown[]][] = [
  ['add', 'add', () => [a, b]],
  ['mul scalar', 'mul', () => [a, 2]],
  ['exp', 'exp', () => [a]],
  ['matmul 4x4', 'matmul', () => [a, b]],
  ['sum(-1)', 'sum', () => [a, -1]],
  ['softmax(-1)', 'softmax', () => [a, -1]],
  ['reshape', 'reshape', () => [a, [2, 8]]],
  ['transpose', 'transpose', () => [a, 0, 1]],
  ['slice', 'slice', () => [a, 1, 0, 2]],
  ['narrow', 'narrow', () => [a, 1, 1, 2]],
  ['split', 'split', () => [v, 2]],
  ['gather', 'gather', () => [a, 0, idx]],
  ['zeros([4, 4])', 'zeros', () => [[4, 4]]],
  ['randn([4, 4])', 'randn', () => [[4, 4], { generator: g }]],
  ['tensor(number[])', 'tensor', () => [[1, 2, 3, 4]]],
  ['mul, recorded', 'mul', () => [w, a]],
];

function cpuMicros(): number {
  const u = process.cpuUsage();
  return u.user + u.system;
}

/** Minimum over rounds of the CPU time per call of f (each round in its own tidy scope). */
function time(f: () => unknown, per: number[]): void {
  pg.tidy(() => {
    const t0 = cpuMicros();
    for (let i = 0; i < calls; i++) f();
    per.push((cpuMicros() - t0) / calls);
  });
}

// (Absent before the validation layer existed: then only the `op` column is measured.)
const layer = (await import('../src/autograd/args.js').catch(() => null)) as
  | { OPS: Map<string, { raw: (...x: unknown[]) => unknown }>; asInnerCall: <T>(f: () => T) => T }
  | null;
const registry = layer?.OPS;
const results: Record<string, { op: number; unchecked?: number }> = {};
for (const [label, name, args] of OPS) {
  const xs = args();
  const pub = (pg as unknown as Record<string, (...x: unknown[]) => unknown>)[name];
  const raw = registry?.get(name)?.raw;
  const f = () => pub(...xs);
  // The body alone, called as if inside an op: no checks, no op log, inner ops skip the layer too.
  const r = raw ? () => layer!.asInnerCall(() => raw(...xs)) : null;
  pg.tidy(() => { for (let i = 0; i < calls; i++) { f(); r?.(); } }); // warm up (JIT)
  const pf: number[] = [], pr: number[] = [];
  for (let k = 0; k < rounds; k++) {
    time(f, pf);
    if (r) time(r, pr);
  }
  results[label] = { op: Math.min(...pf), ...(r ? { unchecked: Math.min(...pr) } : {}) };
}
const fwdBwd: number[] = [];
for (let k = 0; k < rounds; k++) time(() => { w.mul(a).sum().backward(); w.zeroGrad_(); }, fwdBwd);
results['fwd+bwd (w*a).sum()'] = { op: Math.min(...fwdBwd) };

if (process.argv.includes('--json')) console.log(JSON.stringify(results));
else {
  console.log(`${'op'.padEnd(22)} ${'op µs'.padStart(8)} ${'unchecked'.padStart(10)} ${'layer'.padStart(7)}`);
  for (const [k, { op, unchecked }] of Object.entries(results))
    console.log(`${k.padEnd(22)} ${op.toFixed(2).padStart(8)} ${unchecked === undefined ? '' : unchecked.toFixed(2).padStart(10)} ${unchecked === undefined ? '' : (op - unchecked).toFixed(2).padStart(7)}`);
}
