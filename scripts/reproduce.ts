/**
 * npm run reproduce [-- flags]: runs the registered experiments and writes out/.
 *
 *   --paper <name>   only these experiments (repeatable, or a comma list)
 *   --list           list the experiments and their claims, run nothing
 *   --full           full settings (default: quick)
 *   --seeds <n>      seeds 0..n-1 (default 1 quick, 3 full, or an experiment's defaultSeeds if more)
 *   --seeds <a,b,c>  exactly these seeds; a range a-b stands for a..b, e.g. --seeds 10-19 or 0,5-7
 *   --seed <s>       the single seed s
 *   --device <d>     cpu (default) or webgpu
 *   --jobs <n>       parallel worker threads (default: available cores on cpu, 1 on webgpu; capped by the job count)
 *   --in-process     run the jobs one after another in this thread (no workers)
 *   --out <dir>      output folder (default out/)
 *   --resume         keep the (experiment, seed) results already in the output folder (same mode and
 *                    device) and run only the missing jobs; the reports are rebuilt from all of them
 *   --queue <url>    run the jobs on a Redis queue (redis://host:port or rediss://…) that workers on
 *                    any number of machines take them from (npm run sweep-worker), and wait for them;
 *                    needs packages/sweep installed (npm ci --prefix packages/sweep), see its README
 *
 * Each (experiment, seed) runs as its own job in a worker thread; the worker loads this same
 * bundle, which calls workerMain() instead of main(). Each job's result is saved as it ends, and an
 * experiment's folder replaces the earlier one only when all its jobs have ended (see
 * src/experiment/files.ts). Exit status: 0 when every claim and sanity check of every experiment
 * passes, 1 when one fails or a job throws, 2 when the run cannot start (a usage error, an output
 * folder that cannot be written, a device that is not there).
 */
import { isMainThread } from 'node:worker_threads';
import { availableParallelism } from 'node:os';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  beginExperimentFiles,
  findSeedRun,
  formatReport,
  isExperimentWorker,
  OutDirError,
  prepareOutDir,
  probeDevice,
  runExperiments,
  workerMain,
  writeExperimentFiles,
  writeIndex,
  writeSeedRun,
  type DeviceName,
  type Experiment,
  type ExperimentReport,
  type RunnerOptions,
  type Mode,
  type SeedRun,
} from '../src/experiment/node.js';
import { createProgress, type OutStream } from '../src/experiment/node.js';
import { experiments as registered } from '../src/papers/registry.js';

export interface CliOptions {
  papers: string[];
  list: boolean;
  help: boolean;
  mode: Mode;
  seeds: number[];
  device: DeviceName;
  jobs?: number;
  inProcess: boolean;
  out: string;
  resume: boolean;
  /** --queue: the Redis URL the jobs go to (packages/sweep). */
  queue?: string;
  /** No --seeds / --seed: each experiment may raise the count (Experiment.defaultSeeds). */
  defaultSeeds?: boolean;
}

/** The seeds an experiment runs: the asked-for ones, or the default count raised to its defaultSeeds. */
export function seedsFor(o: CliOptions, e: Experiment): number[] {
  if (!o.defaultSeeds || !(e.defaultSeeds! > o.seeds.length)) return o.seeds;
  return Array.from({ length: e.defaultSeeds! }, (_, i) => i);
}

/** A mistake in the command line; the message starts with the flag it is about. */
export class UsageError extends Error {}

export const USAGE = `usage: npm run reproduce -- [--paper name[,name]] [--full] [--seeds n | --seeds a,b,c | --seeds a-b | --seed s]
                          [--device cpu|webgpu] [--jobs n] [--in-process] [--out dir] [--resume] [--list]
                          [--queue redis://host:port]`;

function intArg(flag: string, v: string | undefined, min: number): number {
  if (v === undefined || !/^\d+$/.test(v)) throw new UsageError(`${flag} needs a non-negative integer, got ${v === undefined ? 'nothing' : JSON.stringify(v)}`);
  const n = Number(v);
  if (!Number.isSafeInteger(n)) throw new UsageError(`${flag}: ${v} is too large`);
  if (n < min) throw new UsageError(`${flag} must be ≥ ${min}, got ${v}`);
  return n;
}

/** "3" (a count), or a comma list of seeds and ranges "a-b": "0,5-7" is 0, 5, 6, 7. */
export function parseSeeds(flag: string, v: string): { count: number } | { seeds: number[] } {
  if (/^\d+$/.test(v)) {
    const count = intArg(flag, v, 1);
    if (count > 10000) throw new UsageError(`${flag}: ${count} seeds is more than 10000`);
    return { count };
  }
  const seeds: number[] = [];
  for (const item of v.split(',')) {
    const s = item.trim();
    const range = /^(\d+)-(\d+)$/.exec(s);
    if (range) {
      const [a, b] = [intArg(flag, range[1], 0), intArg(flag, range[2], 0)];
      if (b < a) throw new UsageError(`${flag}: the range ${s} runs backwards`);
      if (b - a >= 10000) throw new UsageError(`${flag}: the range ${s} has more than 10000 seeds`);
      for (let k = a; k <= b; k++) seeds.push(k);
    } else if (/^\d+$/.test(s)) seeds.push(intArg(flag, s, 0));
    else if (s === '') throw new UsageError(`${flag}: an empty item in ${JSON.stringify(v)}`);
    else throw new UsageError(`${flag}: ${JSON.stringify(s)} in ${JSON.stringify(v)} is not a seed (use a count n, a list a,b,c or a range a-b)`);
  }
  const dup = seeds.find((x, i) => seeds.indexOf(x) !== i);
  if (dup !== undefined) throw new UsageError(`${flag}: seed ${dup} is given twice in ${JSON.stringify(v)}`);
  return { seeds };
}

export function parseArgs(argv: readonly string[]): CliOptions {
  const o: CliOptions = { papers: [], list: false, help: false, mode: 'quick', seeds: [], device: 'cpu', inProcess: false, out: 'out', resume: false };
  let seedsArg: number[] | null = null;
  let seedCount: number | null = null;
  for (let i = 0; i < argv.length; i++) {
    let a = argv[i]!;
    let inline: string | undefined;
    const eq = a.indexOf('=');
    if (a.startsWith('--') && eq > 0) {
      inline = a.slice(eq + 1);
      a = a.slice(0, eq);
    }
    const value = (): string => {
      if (inline !== undefined) return inline;
      const v = argv[++i];
      if (v === undefined || v.startsWith('--')) throw new UsageError(`${a} needs a value`);
      return v;
    };
    const flag = (): void => {
      if (inline !== undefined) throw new UsageError(`${a} takes no value, got ${JSON.stringify(argv[i])}`);
    };
    switch (a) {
      case '--paper':
      case '--papers': {
        const v = value();
        const names = v.split(',').map((s) => s.trim());
        if (names.some((n) => n === '')) throw new UsageError(`${a} needs experiment names, got ${JSON.stringify(v)}`);
        o.papers.push(...names);
        break;
      }
      case '--list':
        flag();
        o.list = true;
        break;
      case '--full':
        flag();
        o.mode = 'full';
        break;
      case '--quick':
        flag();
        o.mode = 'quick';
        break;
      case '--seeds': {
        const got = parseSeeds('--seeds', value());
        if ('count' in got) (seedCount = got.count), (seedsArg = null);
        else (seedsArg = got.seeds), (seedCount = null);
        break;
      }
      case '--seed':
        seedsArg = [intArg('--seed', value(), 0)];
        seedCount = null;
        break;
      case '--device': {
        const d = value();
        if (d !== 'cpu' && d !== 'webgpu') throw new UsageError(`--device must be cpu or webgpu, got ${JSON.stringify(d)}`);
        o.device = d;
        break;
      }
      case '--jobs':
        o.jobs = intArg('--jobs', value(), 1);
        break;
      case '--in-process':
        flag();
        o.inProcess = true;
        break;
      case '--out': {
        const v = value();
        if (!v.trim()) throw new UsageError('--out needs a folder, got ""');
        o.out = v;
        break;
      }
      case '--resume':
        flag();
        o.resume = true;
        break;
      case '--queue': {
        // Never echo the value: the URL may carry a password.
        const v = value();
        if (!/^rediss?:\/\/./.test(v)) throw new UsageError('--queue needs a redis:// or rediss:// URL, e.g. redis://host:6379');
        o.queue = v;
        break;
      }
      case '-h':
      case '--help':
        o.help = true;
        break;
      default:
        throw new UsageError(
          a.startsWith('-') ? `unknown flag ${a}` : `unexpected argument ${JSON.stringify(argv[i])} (flags start with --, e.g. --paper ${argv[i]})`,
        );
    }
  }
  if (o.queue !== undefined && (o.jobs !== undefined || o.inProcess)) throw new UsageError(`${o.inProcess ? '--in-process' : '--jobs'} does not apply with --queue (each sweep-worker has --concurrency)`);
  if (seedsArg) {
    o.seeds = seedsArg;
  } else {
    const n = seedCount ?? (o.mode === 'full' ? 3 : 1);
    o.seeds = Array.from({ length: n }, (_, i) => i);
    if (seedCount === null) o.defaultSeeds = true;
  }
  return o;
}

export function selectExperiments(all: readonly Experiment[], names: string[]): Experiment[] {
  if (!names.length) return [...all];
  const unknown = names.filter((n) => !all.some((e) => e.name === n));
  if (unknown.length) throw new UsageError(`--paper: unknown experiment${unknown.length > 1 ? 's' : ''} ${unknown.join(', ')}; registered: ${all.map((e) => e.name).join(', ') || '(none)'}`);
  return all.filter((e) => names.includes(e.name));
}

function listText(all: readonly Experiment[]): string {
  const lines: string[] = [];
  for (const e of all) {
    lines.push(`${e.name}  ${e.paper.title} (${e.paper.authors}${e.paper.venue ? `, ${e.paper.venue}` : ''}${e.paper.arxiv ? `, arXiv:${e.paper.arxiv}` : ''})`);
    for (const c of e.claims) lines.push(`    - ${c.name}: ${c.description}`);
  }
  return lines.join('\n') + '\n';
}

export interface MainDeps {
  /** Experiments to choose from (default: src/papers/registry.ts). */
  registry?: readonly Experiment[];
  /** The bundle worker threads load; without it (or with --in-process) jobs run in this thread. */
  workerScript?: URL | string;
  stdout?: OutStream;
  stderr?: OutStream;
  /** Opens the --queue (default: packages/sweep, loaded only then, so papergrad itself needs no bullmq). */
  openQueue?: OpenQueue;
}

/** The jobs of a --queue run, on a Redis queue that sweep-workers take them from (packages/sweep). */
export interface QueueRunner {
  /** The queue's address as it may be shown (the password replaced by ***). */
  where: string;
  /** Like runExperiments: enqueues the jobs, waits for the workers, emits the same events. */
  run(opts: RunnerOptions, log: (line: string) => void): Promise<ExperimentReport[]>;
  close(): Promise<void>;
}
export type OpenQueue = (url: string) => Promise<QueueRunner>;

/** packages/sweep's openQueue, through its loader (a plain .mjs file, imported at run time). */
async function loadSweep(): Promise<OpenQueue> {
  const loader = new URL('../packages/sweep/load.mjs', import.meta.url);
  if (!existsSync(loader)) throw new Error(`the sweep package is not in this checkout (${fileURLToPath(loader)} is missing)`);
  const mod = (await import(loader.href)) as { loadOpenQueue(): Promise<OpenQueue> };
  return mod.loadOpenQueue();
}

/** The first line of an error's text (a stack's message line). */
const firstLine = (text: string): string => text.split('\n')[0]!;

/** The CLI; returns the exit status instead of exiting (tests call it directly). */
export async function main(argv: readonly string[], deps: MainDeps = {}): Promise<number> {
  const out: OutStream = deps.stdout ?? process.stdout;
  const err: OutStream = deps.stderr ?? process.stderr;
  const registry = deps.registry ?? registered;
  let opts: CliOptions;
  let chosen: Experiment[];
  try {
    opts = parseArgs(argv);
    if (opts.help) {
      out.write(USAGE + '\n');
      return 0;
    }
    if (opts.list) {
      out.write(listText(registry));
      return 0;
    }
    chosen = selectExperiments(registry, opts.papers);
    if (!chosen.length) throw new UsageError('--paper: no experiments are registered (src/papers/registry.ts)');
  } catch (e) {
    if (e instanceof UsageError) {
      err.write(`reproduce: ${e.message}\n${USAGE}\n`);
      return 2;
    }
    throw e;
  }

  // Before any work: the output folder must take files, and the device must be there.
  let outDir: string;
  try {
    outDir = prepareOutDir(opts.out);
  } catch (e) {
    if (!(e instanceof OutDirError)) throw e;
    err.write(`reproduce: --out ${opts.out}: ${e.message}\n`);
    return 2;
  }
  // With --queue the device is the workers' business; the queue must answer instead.
  let queue: QueueRunner | undefined;
  if (opts.queue !== undefined) {
    try {
      queue = await (deps.openQueue ?? (await loadSweep()))(opts.queue);
    } catch (e) {
      err.write(`reproduce: --queue: ${e instanceof Error ? e.message : String(e)}; nothing was run\n`);
      return 2;
    }
  }
  const noDevice = queue ? null : await probeDevice(opts.device);
  if (noDevice !== null) {
    err.write(`reproduce: --device ${opts.device}: ${noDevice}; nothing was run\n`);
    return 2;
  }

  // --resume: the jobs whose complete result is already in the output folder.
  const earlier = new Map<string, SeedRun>();
  for (const e of chosen) {
    beginExperimentFiles(outDir, e.name, { resume: opts.resume });
    if (!opts.resume) continue;
    for (const seed of seedsFor(opts, e)) {
      const run = findSeedRun(outDir, e.name, seed, opts.mode, opts.device);
      if (run) earlier.set(`${e.name}/${seed}`, run);
    }
  }
  const total = chosen.reduce((n, e) => n + seedsFor(opts, e).length, 0) - earlier.size;
  const progress = createProgress(out, { total });
  const workerScript = opts.inProcess ? undefined : deps.workerScript;
  const lanes = opts.jobs ?? (opts.device === 'webgpu' ? 1 : availableParallelism());
  const where = queue ? `on the queue at ${queue.where}` : workerScript ? `${Math.min(total, lanes)} worker thread(s)` : 'in-process';
  const resumed = earlier.size ? ` (${earlier.size} more from the output folder, --resume)` : '';
  const more = chosen.filter((e) => seedsFor(opts, e) !== opts.seeds).map((e) => `${e.name}: seeds 0-${seedsFor(opts, e).length - 1}`);
  progress.log(
    `reproduce: ${chosen.map((e) => e.name).join(', ')}; ${opts.mode} mode, ${opts.device}, seed${opts.seeds.length > 1 ? 's' : ''} ${opts.seeds.join(',')}${more.length ? ` (${more.join('; ')}: their claims are stated over that many seeds)` : ''}; ${total} job(s)${resumed}, ${where}; output in ${outDir}`,
  );
  let failures = 0;
  let claimsPassed = 0;
  let claimsTotal = 0;
  const errorsSeen = new Map<string, { first: string; jobs: number }>(); // an error's first line → where it was first shown, how often
  const kept: string[] = [];
  const t0 = performance.now();
  try {
    const runnerOpts: Parameters<typeof runExperiments>[0] = {
      experiments: chosen,
      mode: opts.mode,
      device: opts.device,
      seeds: opts.seeds,
      seedsOf: (e) => seedsFor(opts, e),
      completed: (name, seed) => earlier.get(`${name}/${seed}`),
      onEvent(ev) {
        if (ev.type === 'start') progress.start(`${ev.experiment}/${ev.seed}`, `${ev.experiment} seed=${ev.seed}`);
        else if (ev.type === 'resumed') progress.log(`[${ev.experiment} seed=${ev.seed}] from the earlier run in ${outDir} (--resume)`);
        else if (ev.type === 'progress') progress.update(`${ev.experiment}/${ev.seed}`, ev.fraction, ev.message);
        else if (ev.type === 'end') {
          progress.end(`${ev.experiment}/${ev.seed}`, ev.run.error === undefined ? 'ok' : 'failed');
          if (ev.run.error !== undefined) {
            // The whole stack once per distinct error; later jobs with the same error get one line.
            const line = firstLine(ev.run.error);
            const seen = errorsSeen.get(line);
            if (seen) {
              seen.jobs++;
              progress.log(`ERROR: ${ev.experiment} (seed ${ev.seed}): ${line} (as ${seen.first}, stack above)`);
            } else {
              errorsSeen.set(line, { first: `${ev.experiment} seed ${ev.seed}`, jobs: 1 });
              progress.log(`ERROR: experiment ${ev.experiment} (seed ${ev.seed}) threw:\n${ev.run.error}`);
            }
          }
          try {
            writeSeedRun(outDir, ev.experiment, opts, ev.run);
          } catch (e) {
            progress.log(`ERROR: could not save the result of ${ev.experiment} seed ${ev.seed}: ${e instanceof Error ? e.message : String(e)}`);
          }
        } else {
          const r = ev.report;
          let files: string[] = [];
          let keptMsg: string | undefined;
          try {
            const w = writeExperimentFiles(r, outDir);
            files = w.written;
            keptMsg = w.kept;
          } catch (e) {
            progress.log(`ERROR: could not write the files of ${r.name}: ${e instanceof Error ? e.message : String(e)}`);
            failures++;
          }
          claimsPassed += r.aggregate.claims.filter((c) => c.pass).length;
          claimsTotal += r.aggregate.claims.length;
          if (!r.pass) failures++;
          if (keptMsg) kept.push(keptMsg);
          const where = keptMsg ? `${keptMsg}; its finished jobs are kept for --resume` : `wrote ${files.length} file(s) to ${resolve(outDir, r.name)}`;
          progress.log(`\n${formatReport(r)}\n\n${where}\n`);
        }
      },
    };
    if (workerScript !== undefined) runnerOpts.workerScript = workerScript;
    if (opts.jobs !== undefined) runnerOpts.concurrency = opts.jobs;
    if (queue) await queue.run(runnerOpts, (line) => progress.log(line));
    else await runExperiments(runnerOpts);
  } finally {
    progress.close();
    await queue?.close();
  }
  const index = writeIndex(outDir, registry.map((e) => e.name));
  const secs = ((performance.now() - t0) / 1000).toFixed(1);
  out.write(
    `${failures ? '✗' : '✓'} ${chosen.length - failures}/${chosen.length} experiment(s) passed, ${claimsPassed}/${claimsTotal} claim checks pass (${secs} s); report: ${index}\n`,
  );
  if (errorsSeen.size) {
    const n = [...errorsSeen.values()].reduce((a, e) => a + e.jobs, 0);
    const lines = [...errorsSeen].map(([line, e]) => `  ${line} (${e.jobs} job${e.jobs > 1 ? 's' : ''}, first ${e.first})`);
    err.write(`reproduce: ${n} job${n > 1 ? 's' : ''} failed:\n${lines.join('\n')}\n`);
  }
  for (const k of kept) err.write(`reproduce: ${k}\n`);
  return failures ? 1 : 0;
}

// Entry point: a worker thread runs its job; the main thread runs the CLI when this file is the
// script being run (run-ts.mjs sets process.argv[1] to the bundle), not when a test imports it.
if (isExperimentWorker()) {
  await workerMain(registered);
} else if (isMainThread && process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  process.once('SIGINT', () => {
    process.stderr.write(
      process.argv.some((a) => a === '--queue' || a.startsWith('--queue='))
        ? '\nreproduce: interrupted; the queued jobs go on on the workers: run the same command again to wait for them and write the report\n'
        : '\nreproduce: interrupted; the finished jobs are saved: run the same command with --resume to continue\n',
    );
    process.exit(130);
  });
  process.exitCode = await main(process.argv.slice(2), { workerScript: new URL(import.meta.url) });
}
