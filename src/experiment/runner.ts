/**
 * The runner (Node only): executes (experiment, seed) jobs in worker threads or in this thread,
 * and hands each experiment's seeds to makeReport once the last one has ended.
 */
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';
import { availableParallelism } from 'node:os';
import * as pg from '../autograd/index.js';
import { errorText, NAME_RE, validateResult } from './checks.js';
import { makeReport, type ExperimentReport } from './report.js';
import type { DeviceName, Experiment, Mode, SeedRun } from './types.js';

/**
 * Makes `device` the default device. For 'webgpu' it first calls pg.initWebGPU, with the GPU of
 * `navigator.gpu` or, in Node without one, of the `webgpu` package (Dawn); it throws with the
 * reason when no adapter opens.
 */
export async function prepareDevice(device: DeviceName): Promise<void> {
  if (device === 'webgpu') {
    const init = (pg as unknown as Record<string, unknown>)['initWebGPU'] as ((gpu?: unknown) => Promise<{ ok: boolean; reason?: string }>) | undefined;
    if (typeof init !== 'function') throw new Error("device 'webgpu': this build of papergrad has no WebGPU backend (pg.initWebGPU is missing)");
    let gpu: unknown;
    if (!(globalThis as { navigator?: { gpu?: unknown } }).navigator?.gpu) {
      try {
        const spec = 'webgpu'; // optional dependency, resolved at run time
        const mod = (await import(spec)) as { create(flags: string[]): unknown; globals: object };
        Object.assign(globalThis, mod.globals);
        gpu = mod.create([]);
      } catch (e) {
        throw new Error(`device 'webgpu': the 'webgpu' package did not load: ${e instanceof Error ? e.message : String(e)}`);
      }
    }
    const res = await init(gpu);
    if (!res || res.ok !== true) throw new Error(`device 'webgpu' is unavailable: ${res?.reason ?? 'initWebGPU failed'}`);
  }
  pg.setDefaultDevice(device);
}

/**
 * Whether `device` can be used here, without keeping anything open: null if so, else the reason.
 * For 'webgpu' it asks for an adapter (navigator.gpu, or Dawn through the `webgpu` package in
 * Node); the CLI calls it before any job runs, so a missing GPU is one message, not one per job.
 */
export async function probeDevice(device: DeviceName): Promise<string | null> {
  if (device !== 'webgpu') return null;
  let gpu = (globalThis as { navigator?: { gpu?: { requestAdapter(): Promise<unknown> } } }).navigator?.gpu;
  if (!gpu) {
    try {
      const spec = 'webgpu'; // optional dependency, resolved at run time
      const mod = (await import(spec)) as { create(flags: string[]): { requestAdapter(): Promise<unknown> }; globals: object };
      Object.assign(globalThis, mod.globals);
      gpu = mod.create([]);
    } catch (e) {
      return `the 'webgpu' package did not load: ${e instanceof Error ? e.message : String(e)}`;
    }
  }
  try {
    return (await gpu.requestAdapter()) ? null : 'no WebGPU adapter was found';
  } catch (e) {
    return `requesting a WebGPU adapter failed: ${e instanceof Error ? e.message : String(e)}`;
  }
}

export interface JobInfo {
  experiment: string;
  seed: number;
  seeds: number[];
  mode: Mode;
  device: DeviceName;
}

/** Runs one job in this thread: device setup, run(), validation. Never throws: errors go into the SeedRun. */
export async function runJob(exp: Experiment, job: JobInfo, onProgress: (fraction: number, message?: string) => void): Promise<SeedRun> {
  const t0 = performance.now();
  const prev = pg.getDefaultDevice();
  try {
    await prepareDevice(job.device);
    const raw = await exp.run({ seed: job.seed, seeds: job.seeds, mode: job.mode, device: job.device, onProgress });
    const result = validateResult(raw, `${exp.name} seed=${job.seed}`);
    return { seed: job.seed, seconds: (performance.now() - t0) / 1000, result };
  } catch (e) {
    return { seed: job.seed, seconds: (performance.now() - t0) / 1000, error: errorText(e) };
  } finally {
    try {
      pg.setDefaultDevice(prev);
    } catch {
      // the previous device is always registered; nothing to restore otherwise
    }
  }
}

const WORKER_KEY = 'papergradExperimentJob';

type WorkerMsg = { type: 'progress'; fraction: number; message?: string } | { type: 'done'; run: SeedRun };

/** True in a worker thread started by the runner (the entry script then calls workerMain). */
export function isExperimentWorker(): boolean {
  return !isMainThread && workerData !== null && typeof workerData === 'object' && WORKER_KEY in (workerData as object);
}

/**
 * The worker side: finds the job's experiment in `registry`, runs it and posts progress and the
 * result back. The entry script (the same bundle as the main thread) calls this when
 * isExperimentWorker() is true.
 */
export async function workerMain(registry: readonly Experiment[]): Promise<void> {
  const job = (workerData as Record<string, JobInfo>)[WORKER_KEY]!;
  const port = parentPort!;
  const exp = registry.find((e) => e.name === job.experiment);
  let last = 0;
  let lastMsg: string | undefined;
  const post = (m: WorkerMsg): void => port.postMessage(m);
  if (!exp) {
    post({ type: 'done', run: { seed: job.seed, seconds: 0, error: `no experiment named ${JSON.stringify(job.experiment)} in the worker's registry` } });
    return;
  }
  const run = await runJob(exp, job, (fraction, message) => {
    const now = performance.now();
    // At most ~20 messages a second, but never drop a change of message text for long.
    if (now - last < 50 && message === lastMsg && fraction < 1) return;
    last = now;
    lastMsg = message;
    const m: WorkerMsg = { type: 'progress', fraction };
    if (message !== undefined) m.message = message;
    post(m);
  });
  post({ type: 'done', run });
}

export type RunnerEvent =
  | { type: 'start'; experiment: string; seed: number }
  | { type: 'resumed'; experiment: string; seed: number; run: SeedRun }
  | { type: 'progress'; experiment: string; seed: number; fraction: number; message?: string }
  | { type: 'end'; experiment: string; seed: number; run: SeedRun }
  | { type: 'report'; report: ExperimentReport };

export interface RunnerOptions {
  experiments: readonly Experiment[];
  mode: Mode;
  device: DeviceName;
  seeds: number[];
  /** The seeds of one experiment, where they differ from `seeds` (a CLI default per experiment). */
  seedsOf?(e: Experiment): number[];
  /**
   * The script a worker thread loads: a bundle whose top level calls workerMain(registry) when
   * isExperimentWorker(). Without it the jobs run one after another in this thread.
   */
  workerScript?: URL | string;
  /**
   * Jobs at once in worker mode; default os.availableParallelism() on the CPU and 1 on WebGPU
   * (jobs would only queue on the one GPU), capped by the job count.
   */
  concurrency?: number;
  /**
   * A job's result from an earlier invocation (--resume): a SeedRun returned here is used as it
   * is and the job does not run.
   */
  completed?(experiment: string, seed: number): SeedRun | undefined;
  onEvent?(e: RunnerEvent): void;
}

/** Runs one job in a new worker thread loading `script` (see workerMain); never throws: errors go into the SeedRun. */
export function runInWorker(script: URL | string, job: JobInfo, onProgress: (fraction: number, message?: string) => void): Promise<SeedRun> {
  const t0 = performance.now();
  return new Promise((resolve) => {
    let settled = false;
    // Source maps on, so stack traces from a bundle name the .ts files and lines.
    const execArgv = [...process.execArgv.filter((a) => a !== '--enable-source-maps'), '--enable-source-maps'];
    const worker = new Worker(script, { workerData: { [WORKER_KEY]: job }, execArgv });
    const finish = (run: SeedRun): void => {
      if (settled) return;
      settled = true;
      resolve(run);
      void worker.terminate();
    };
    const fail = (why: string): void => finish({ seed: job.seed, seconds: (performance.now() - t0) / 1000, error: why });
    worker.on('message', (m: WorkerMsg) => {
      if (m.type === 'progress') onProgress(m.fraction, m.message);
      else if (m.type === 'done') finish(m.run);
    });
    worker.on('error', (e) => fail(`the worker thread crashed: ${errorText(e)}`));
    worker.on('exit', (code) => fail(`the worker thread exited (code ${code}) without a result`));
  });
}

/** The bookkeeping of a run, shared by runExperiments and packages/sweep's queue (see jobBook). */
export interface JobBook {
  /** The jobs still to run: all but those an earlier invocation finished (RunnerOptions.completed). */
  todo: JobInfo[];
  /** A job starts (event 'start'); an experiment's clock starts with its first job. */
  start(job: JobInfo): void;
  /** A job ended (event 'end'); after the last seed of its experiment, its report is made (event 'report'). */
  end(job: JobInfo, run: SeedRun): void;
  /** One report per experiment, in the given order (once every job has ended). */
  reports(): ExperimentReport[];
}

/**
 * Checks the options, lists the (experiment, seed) jobs, takes the ones an earlier invocation
 * finished (event 'resumed') and collects the seeds of each experiment as their jobs end.
 */
export function jobBook(opts: RunnerOptions, caller = 'runExperiments'): JobBook {
  for (const e of opts.experiments) if (!NAME_RE.test(e.name)) throw new Error(`experiment name ${JSON.stringify(e.name)}: use letters, digits, '-' and '_'`);
  const seedsOf = (e: Experiment): number[] => opts.seedsOf?.(e) ?? opts.seeds;
  for (const e of opts.experiments) if (!seedsOf(e).length) throw new Error(`${caller}: no seeds`);
  const emit = (e: RunnerEvent): void => opts.onEvent?.(e);
  const expOf = (name: string): Experiment => opts.experiments.find((e) => e.name === name)!;
  const runs = new Map<string, SeedRun[]>();
  const started = new Map<string, number>();
  const reports = new Map<string, ExperimentReport>();
  const resumed = new Map<string, number[]>();

  const record = (exp: Experiment, run: SeedRun): void => {
    const list = runs.get(exp.name) ?? [];
    list.push(run);
    runs.set(exp.name, list);
    const seeds = seedsOf(exp);
    if (list.length === seeds.length) {
      list.sort((a, b) => seeds.indexOf(a.seed) - seeds.indexOf(b.seed));
      const seconds = (performance.now() - started.get(exp.name)!) / 1000;
      const ctx: Parameters<typeof makeReport>[2] = { mode: opts.mode, device: opts.device, seeds, seconds };
      if (resumed.has(exp.name)) ctx.resumedSeeds = resumed.get(exp.name)!;
      const report = makeReport(exp, list, ctx);
      reports.set(exp.name, report);
      emit({ type: 'report', report });
    }
  };
  const clock = (name: string): void => {
    if (!started.has(name)) started.set(name, performance.now());
  };

  // Jobs finished by an earlier invocation count as done before anything runs.
  const todo: JobInfo[] = [];
  for (const e of opts.experiments) {
    const seeds = seedsOf(e);
    for (const seed of seeds) {
      const job: JobInfo = { experiment: e.name, seed, seeds, mode: opts.mode, device: opts.device };
      const done = opts.completed?.(job.experiment, job.seed);
      if (!done) {
        todo.push(job);
        continue;
      }
      clock(e.name);
      resumed.set(e.name, [...(resumed.get(e.name) ?? []), job.seed]);
      emit({ type: 'resumed', experiment: job.experiment, seed: job.seed, run: done });
      record(e, done);
    }
  }
  return {
    todo,
    start(job) {
      clock(job.experiment);
      emit({ type: 'start', experiment: job.experiment, seed: job.seed });
    },
    end(job, run) {
      clock(job.experiment);
      emit({ type: 'end', experiment: job.experiment, seed: job.seed, run });
      record(expOf(job.experiment), run);
    },
    reports: () => opts.experiments.map((e) => reports.get(e.name)!),
  };
}

/**
 * Runs every (experiment, seed) job and returns one report per experiment, in the given order.
 * A report is also emitted (event 'report') as soon as the last seed of its experiment ends.
 */
export async function runExperiments(opts: RunnerOptions): Promise<ExperimentReport[]> {
  const book = jobBook(opts);
  const jobs = book.todo;
  const doJob = async (job: JobInfo): Promise<void> => {
    const exp = opts.experiments.find((e) => e.name === job.experiment)!;
    book.start(job);
    const onProgress = (fraction: number, message?: string): void => {
      const ev: RunnerEvent = { type: 'progress', experiment: job.experiment, seed: job.seed, fraction: Math.min(1, Math.max(0, fraction)) };
      if (message !== undefined) ev.message = message;
      opts.onEvent?.(ev);
    };
    const run = opts.workerScript ? await runInWorker(opts.workerScript, job, onProgress) : await runJob(exp, job, onProgress);
    book.end(job, run);
  };

  if (!opts.workerScript) {
    for (const job of jobs) await doJob(job);
  } else {
    const width = Math.max(0, Math.min(jobs.length, opts.concurrency ?? (opts.device === 'webgpu' ? 1 : availableParallelism())));
    let next = 0;
    const lane = async (): Promise<void> => {
      while (next < jobs.length) await doJob(jobs[next++]!);
    };
    await Promise.all(Array.from({ length: width }, lane));
  }
  return book.reports();
}

