/**
 * npm run reproduce [-- flags]: runs the registered experiments and writes out/.
 *
 *   --paper <name>   only these experiments (repeatable, or a comma list)
 *   --list           list the experiments and their claims, run nothing
 *   --full           full settings (default: quick)
 *   --seeds <n>      seeds 0..n-1 (default 1 quick, 3 full); a comma list gives the seeds themselves
 *   --seed <s>       a single seed s
 *   --device <d>     cpu (default) or webgpu
 *   --jobs <n>       parallel worker threads (default: available cores on cpu, 1 on webgpu; capped by the job count)
 *   --in-process     run the jobs one after another in this thread (no workers)
 *   --out <dir>      output folder (default out/)
 *
 * Each (experiment, seed) runs as its own job in a worker thread; the worker loads this same
 * bundle, which calls workerMain() instead of main(). Exit status: 0 when every claim of every
 * experiment passes, 1 when a claim fails or an experiment throws, 2 on a usage error.
 */
import { isMainThread } from 'node:worker_threads';
import { availableParallelism } from 'node:os';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  formatReport,
  isExperimentWorker,
  runExperiments,
  workerMain,
  writeExperimentFiles,
  writeIndex,
  type DeviceName,
  type Experiment,
  type Mode,
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
}

export class UsageError extends Error {}

export const USAGE = `usage: npm run reproduce -- [--paper name[,name]] [--full] [--seeds n | --seeds a,b | --seed s]
                          [--device cpu|webgpu] [--jobs n] [--in-process] [--out dir] [--list]`;

function intArg(flag: string, v: string | undefined, min: number): number {
  if (v === undefined || !/^\d+$/.test(v)) throw new UsageError(`${flag} needs a non-negative integer, got ${v === undefined ? 'nothing' : JSON.stringify(v)}`);
  const n = Number(v);
  if (!Number.isSafeInteger(n) || n < min) throw new UsageError(`${flag} must be ≥ ${min}, got ${v}`);
  return n;
}

export function parseArgs(argv: readonly string[]): CliOptions {
  const o: CliOptions = { papers: [], list: false, help: false, mode: 'quick', seeds: [], device: 'cpu', inProcess: false, out: 'out' };
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
    switch (a) {
      case '--paper':
      case '--papers':
        o.papers.push(...value().split(',').map((s) => s.trim()).filter(Boolean));
        break;
      case '--list':
        o.list = true;
        break;
      case '--full':
        o.mode = 'full';
        break;
      case '--quick':
        o.mode = 'quick';
        break;
      case '--seeds': {
        const v = value();
        if (v.includes(',')) {
          seedsArg = v.split(',').filter((s) => s.trim() !== '').map((s) => intArg('--seeds', s.trim(), 0));
          seedCount = null;
        } else {
          seedCount = intArg('--seeds', v, 1);
          seedsArg = null;
        }
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
        o.inProcess = true;
        break;
      case '--out':
        o.out = value();
        break;
      case '-h':
      case '--help':
        o.help = true;
        break;
      default:
        throw new UsageError(`unknown argument ${JSON.stringify(argv[i])}`);
    }
  }
  if (seedsArg) {
    if (!seedsArg.length) throw new UsageError('--seeds: no seeds given');
    if (new Set(seedsArg).size !== seedsArg.length) throw new UsageError(`--seeds: repeated seed in ${seedsArg.join(',')}`);
    o.seeds = seedsArg;
  } else {
    const n = seedCount ?? (o.mode === 'full' ? 3 : 1);
    o.seeds = Array.from({ length: n }, (_, i) => i);
  }
  return o;
}

export function selectExperiments(all: readonly Experiment[], names: string[]): Experiment[] {
  if (!names.length) return [...all];
  const unknown = names.filter((n) => !all.some((e) => e.name === n));
  if (unknown.length) throw new UsageError(`unknown experiment${unknown.length > 1 ? 's' : ''} ${unknown.join(', ')}; registered: ${all.map((e) => e.name).join(', ') || '(none)'}`);
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
}

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
    if (!chosen.length) throw new UsageError('no experiments are registered (src/papers/registry.ts)');
  } catch (e) {
    if (e instanceof UsageError) {
      err.write(`reproduce: ${e.message}\n${USAGE}\n`);
      return 2;
    }
    throw e;
  }

  const outDir = resolve(opts.out);
  const total = chosen.length * opts.seeds.length;
  const progress = createProgress(out, { total });
  const workerScript = opts.inProcess ? undefined : deps.workerScript;
  const lanes = opts.jobs ?? (opts.device === 'webgpu' ? 1 : availableParallelism());
  const where = workerScript ? `${Math.min(total, lanes)} worker thread(s)` : 'in-process';
  progress.log(`reproduce: ${chosen.map((e) => e.name).join(', ')}; ${opts.mode} mode, ${opts.device}, seed${opts.seeds.length > 1 ? 's' : ''} ${opts.seeds.join(',')}; ${total} job(s), ${where}; output in ${outDir}`);
  let failures = 0;
  let claimsPassed = 0;
  let claimsTotal = 0;
  const t0 = performance.now();
  try {
    const runnerOpts: Parameters<typeof runExperiments>[0] = {
      experiments: chosen,
      mode: opts.mode,
      device: opts.device,
      seeds: opts.seeds,
      onEvent(ev) {
        if (ev.type === 'start') progress.start(`${ev.experiment}/${ev.seed}`, `${ev.experiment} seed=${ev.seed}`);
        else if (ev.type === 'progress') progress.update(`${ev.experiment}/${ev.seed}`, ev.fraction, ev.message);
        else if (ev.type === 'end') {
          progress.end(`${ev.experiment}/${ev.seed}`, ev.run.error === undefined ? 'ok' : 'failed');
          if (ev.run.error !== undefined) progress.log(`ERROR: experiment ${ev.experiment} (seed ${ev.seed}) threw:\n${ev.run.error}`);
        } else {
          const r = ev.report;
          let files: string[] = [];
          try {
            files = writeExperimentFiles(r, outDir);
          } catch (e) {
            progress.log(`ERROR: could not write the files of ${r.name}: ${String(e)}`);
            failures++;
          }
          claimsPassed += r.aggregate.claims.filter((c) => c.pass).length;
          claimsTotal += r.aggregate.claims.length;
          if (!r.pass) failures++;
          progress.log(`\n${formatReport(r)}\n\nwrote ${files.length} file(s) to ${resolve(outDir, r.name)}\n`);
        }
      },
    };
    if (workerScript !== undefined) runnerOpts.workerScript = workerScript;
    if (opts.jobs !== undefined) runnerOpts.concurrency = opts.jobs;
    await runExperiments(runnerOpts);
  } finally {
    progress.close();
  }
  const index = writeIndex(outDir, registry.map((e) => e.name));
  const secs = ((performance.now() - t0) / 1000).toFixed(1);
  out.write(
    `${failures ? '✗' : '✓'} ${chosen.length - failures}/${chosen.length} experiment(s) passed, ${claimsPassed}/${claimsTotal} claim checks pass (${secs} s); report: ${index}\n`,
  );
  return failures ? 1 : 0;
}

// Entry point: a worker thread runs its job; the main thread runs the CLI when this file is the
// script being run (run-ts.mjs sets process.argv[1] to the bundle), not when a test imports it.
if (isExperimentWorker()) {
  await workerMain(registered);
} else if (isMainThread && process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  process.exitCode = await main(process.argv.slice(2), { workerScript: new URL(import.meta.url) });
}
