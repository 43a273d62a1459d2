/**
 * Speed-up of a queued sweep with 1, 2, 3 … local workers: for each count, a fresh redis-server
 * (so no result is reused), that many `sweep-worker --concurrency 1` processes, and
 * `npm run reproduce -- --queue` of the example experiment (quick) over a few seeds, timed from
 * the jobs being enqueued to the command's exit (report written). Prints a Markdown table with the load average at each start.
 *
 *   node scripts/run-ts.mjs packages/sweep/bench/speedup.ts [--seeds 0-5] [--workers 1,2,3] [--paper example]
 *
 * Wall-clock times: run it on a quiet machine (the load average column says how quiet it was).
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { availableParallelism, cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { REPO_ROOT, startRedis, SWEEP_DIR } from '../test/redis.js';

const arg = (flag: string, dflt: string): string => {
  const i = process.argv.indexOf(flag);
  return i > 0 && process.argv[i + 1] ? process.argv[i + 1]! : dflt;
};
// (Not parsed here: importing scripts/reproduce.ts would run its CLI in this bundle; the command checks it.)
const seeds = arg('--seeds', '0-5');
/** User + system CPU seconds of a process and its threads so far (NaN without /proc). */
function cpuSeconds(pid: number): number {
  try {
    const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return (Number(f[11]) + Number(f[12])) / 100; // utime, stime in clock ticks (USER_HZ = 100)
  } catch {
    return NaN;
  }
}
const counts = arg('--workers', '1,2,3').split(',').map(Number);
const paper = arg('--paper', 'example');

const { bundleTs } = (await import(pathToFileURL(join(REPO_ROOT, 'scripts/bundle-ts.mjs')).href)) as { bundleTs(entry: string): Promise<string> };
const workerBundle = await bundleTs(join(SWEEP_DIR, 'src/sweep-worker.ts'));

console.log(`${paper} (quick), seeds ${seeds}; ${availableParallelism()} cores (${cpus()[0]?.model ?? '?'})`);
const rows: string[] = [];
let base = 0;
for (const n of counts) {
  const redis = await startRedis();
  const url = `redis://127.0.0.1:${redis.port}`;
  const workers = Array.from({ length: n }, (_, i) =>
    spawn(process.execPath, [workerBundle, '--queue', url, '--concurrency', '1', '--name', `w${i + 1}`], { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'inherit'] }),
  );
  await Promise.all(
    workers.map(
      (w) =>
        new Promise<void>((res) => {
          let out = '';
          w.stdout!.on('data', (d) => {
            out += d;
            if (/running cpu jobs/.test(out)) res();
          });
        }),
    ),
  );
  const out = mkdtempSync(join(tmpdir(), 'papergrad-speedup-'));
  const load = loadavg()[0]!;
  // The real command; timed from its "queue: N job(s)" line (jobs enqueued) to its exit.
  const cli = spawn(process.execPath, ['scripts/run-ts.mjs', 'scripts/reproduce.ts', '--paper', paper, '--seeds', seeds, '--queue', url, '--out', out], { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  let text = '';
  let t0 = 0;
  cli.stdout.on('data', (d) => {
    text += d;
    if (!t0 && /\nqueue: \d+ job/.test(text)) t0 = performance.now();
  });
  cli.stderr.on('data', (d) => (text += d));
  const code = await new Promise<number | null>((r) => cli.on('exit', r));
  const secs = (performance.now() - t0) / 1000;
  if (code !== 0 || !t0) throw new Error(`reproduce --queue exited with ${code}:\n${text}`);
  // Each job's own wall time (measured by its worker) and the workers' CPU time (Linux: /proc).
  const report = JSON.parse(readFileSync(join(out, paper, 'results.json'), 'utf8')) as { runs: { seconds: number }[] };
  const jobSecs = report.runs.reduce((a, r) => a + r.seconds, 0) / report.runs.length;
  const cpu = workers.reduce((a, w) => a + cpuSeconds(w.pid!), 0);
  for (const w of workers) w.kill('SIGTERM');
  await Promise.all(workers.map((w) => new Promise((r) => (w.exitCode !== null ? r(null) : w.once('exit', r)))));
  await redis.dispose();
  rmSync(out, { recursive: true, force: true });
  if (!base) base = secs;
  rows.push(`| ${n} | ${secs.toFixed(1)} | ${(base / secs).toFixed(2)}× | ${jobSecs.toFixed(1)} | ${Number.isNaN(cpu) ? '?' : cpu.toFixed(1)} | ${load.toFixed(1)} |`);
  console.log(rows[rows.length - 1]);
}
console.log(['', '| workers | wall s | speed-up | mean job s | workers\' CPU s | load avg (1 min) at start |', '|---|---|---|---|---|---|', ...rows].join('\n'));
