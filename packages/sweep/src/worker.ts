/**
 * `npm run sweep-worker -- --queue URL`: takes jobs from the queue of its device and runs each in
 * a worker thread (papergrad's runInWorker), so this thread stays free to renew the jobs' locks.
 * A job names a registered experiment; nothing else is taken from the queue (no code).
 *
 * A worker that dies mid-job (SIGKILL, a lost machine) stops renewing its lock; after `lockMs`
 * another worker's stalled-job check (every `stalledMs`) puts the job back on the queue. A job
 * whose experiment throws fails; BullMQ retries it (the enqueuing side chose how many tries).
 */
import type { Job, Worker } from 'bullmq';
import { availableParallelism, hostname } from 'node:os';
import { errorText, probeDevice, runInWorker, toJson, type DeviceName, type Experiment, type OutStream } from '../../../src/experiment/node.js';
import { connect, ensureReachable, parseQueueUrl, QueueUrlError, redact } from './connection.js';
import { checkJobData, codeVersion, jobError, OUTPUT_SCHEMA, queueName, type JobData, type JobOutput } from './jobs.js';
import type { JobProgress } from './queue.js';

export interface WorkerConfig {
  url: string;
  device: DeviceName;
  /** Jobs at once (each in its own thread); default: the cores on the CPU, 1 on WebGPU. */
  concurrency?: number;
  /** Shown with every job it runs (results.json: runs[].worker); default host:pid. */
  name?: string;
  /** The lock a running job holds, renewed every lockMs/2 (default 30 s): how long a dead worker's job waits. */
  lockMs?: number;
  /** How often this worker looks for jobs whose worker died (default 30 s). */
  stalledMs?: number;
  /** The experiments this worker may run, by name. */
  registry: readonly Experiment[];
  /** The script a job's worker thread loads: a bundle that calls workerMain(registry) (see sweep-worker.ts). */
  workerScript: URL | string;
  /** Progress lines are sent at most this often per job (ms, default 1000). */
  progressMs?: number;
  log(line: string): void;
}

export interface RunningWorker {
  name: string;
  /** Takes no new jobs; waits for the running ones unless `force`, then disconnects. */
  close(force?: boolean): Promise<void>;
  /** Resolves when the worker has stopped (after close(), or on a job from other code). */
  stopped: Promise<{ reason: 'closed' | 'other-code' }>;
}

/** Connects and starts taking jobs; throws (with the reason, never the password) when Redis cannot be used. */
export async function startWorker(cfg: WorkerConfig): Promise<RunningWorker> {
  const addr = parseQueueUrl(cfg.url);
  const log = (line: string): void => cfg.log(redact(line, addr));
  const name = cfg.name ?? `${hostname()}:${process.pid}`;
  const code = codeVersion();
  const concurrency = cfg.concurrency ?? (cfg.device === 'webgpu' ? 1 : availableParallelism());
  let closing: Promise<void> | null = null;
  const client = await connect(addr, `papergrad-worker-${name}`, (up, reason) => {
    if (closing) return;
    log(up ? `sweep-worker ${name}: connected to Redis at ${addr.where} again` : `sweep-worker ${name}: lost the connection to Redis at ${addr.where}${reason ? ` (${reason})` : ''}; retrying`);
  });
  await ensureReachable(client, addr);
  const { Worker, DelayedError, UnrecoverableError } = await import('bullmq');
  const qname = queueName(cfg.device);
  let stop!: (r: { reason: 'closed' | 'other-code' }) => void;
  const stopped = new Promise<{ reason: 'closed' | 'other-code' }>((r) => (stop = r));
  let worker: Worker | null = null;

  const processor = async (job: Job, token?: string): Promise<string> => {
    // Refusals fail the job at once (no retries); their text is the whole error (no stack of ours).
    const refuse = (why: string): Error => Object.assign(new UnrecoverableError(why), { stack: why });
    const d = checkJobData(job.data);
    if (typeof d === 'string') throw refuse(`job ${job.id}: ${d}`);
    const label = `[${d.experiment} seed=${d.seed}${d.mode === 'full' ? ' full' : ''}]`;
    if (d.code !== code) {
      // Enqueued from another checkout: back on the queue for a worker with that code; this one stops.
      await job.moveToDelayed(Date.now() + 1000, token);
      log(
        `sweep-worker ${name}: job ${job.id} was enqueued from papergrad code ${d.code}, but this worker runs code ${code} (its src/ differs): ` +
          'it went back on the queue; this worker stops. Run the same commit on every machine.',
      );
      void shutdown(false, 'other-code');
      throw new DelayedError();
    }
    const exp = cfg.registry.find((e) => e.name === d.experiment);
    if (!exp) throw refuse(`no experiment named ${JSON.stringify(d.experiment)} is registered on worker ${name} (registered: ${cfg.registry.map((e) => e.name).join(', ')})`);
    const tries = job.opts.attempts ?? 1;
    log(`${label} started on ${name} (try ${job.attemptsMade + 1} of ${tries})`);
    let lastSent = -Infinity;
    const minGap = cfg.progressMs ?? 1000;
    const send = (p: JobProgress): void => {
      void job.updateProgress(p as unknown as object).catch(() => {}); // progress is best effort
    };
    send({ fraction: 0, message: 'started', worker: name });
    const run = await runInWorker(cfg.workerScript, jobInfo(d), (fraction, message) => {
      const now = performance.now();
      if (now - lastSent < minGap && fraction < 1) return;
      lastSent = now;
      const p: JobProgress = { fraction, worker: name };
      if (message !== undefined) p.message = message;
      send(p);
    });
    if (run.error !== undefined) {
      log(`${label} failed on ${name} after ${run.seconds.toFixed(1)} s (try ${job.attemptsMade + 1} of ${tries}): ${run.error.split('\n')[0]}`);
      throw jobError(run.error);
    }
    log(`${label} done on ${name} in ${run.seconds.toFixed(1)} s`);
    const out: JobOutput = { schema: OUTPUT_SCHEMA, run, worker: name, code };
    return toJson(out);
  };

  worker = new Worker(qname, processor, {
    connection: client,
    name,
    concurrency,
    lockDuration: cfg.lockMs ?? 30_000,
    stalledInterval: cfg.stalledMs ?? 30_000,
    // A job found without its worker twice is not retried a third time (it may kill workers).
    maxStalledCount: 2,
    autorun: false,
  });
  worker.on('error', () => {}); // connection trouble: reported by the client (connect() above)
  void worker.run().catch((e) => log(`sweep-worker ${name}: ${errorText(e).split('\n')[0]}`));

  const shutdown = (force: boolean, reason: 'closed' | 'other-code'): Promise<void> => {
    closing ??= (async () => {
      await worker!.close(force).catch(() => {});
      client.disconnect();
      stop({ reason });
    })();
    return closing;
  };

  log(`sweep-worker ${name}: running ${cfg.device} jobs from ${qname} at ${addr.where}, ${concurrency} at a time (papergrad code ${code})`);
  return { name, close: (force = false) => shutdown(force, 'closed'), stopped };
}

const jobInfo = (d: JobData): Parameters<typeof runInWorker>[1] => ({ experiment: d.experiment, seed: d.seed, seeds: d.seeds, mode: d.mode, device: d.device });

export const WORKER_USAGE = `usage: npm run sweep-worker -- --queue redis://[user:password@]host:port [--device cpu|webgpu] [--concurrency n] [--name s]
                              [--lock-ms n] [--stalled-ms n]`;

export interface WorkerCliDeps {
  registry: readonly Experiment[];
  workerScript: URL | string;
  stdout?: OutStream;
  stderr?: OutStream;
  /** Called with the running worker (tests stop it; the CLI stops it on SIGINT / SIGTERM). */
  onStarted?(w: RunningWorker): void;
}

function intFlag(flag: string, v: string | undefined, min: number): number {
  if (v === undefined || !/^\d+$/.test(v) || Number(v) < min) throw new QueueUrlError(`${flag} needs an integer ≥ ${min}`);
  return Number(v);
}

/** The sweep-worker command; resolves with the exit status once the worker has stopped. */
export async function workerCli(argv: readonly string[], deps: WorkerCliDeps): Promise<number> {
  const out = deps.stdout ?? process.stdout;
  const err = deps.stderr ?? process.stderr;
  let url: string | undefined;
  const cfg: Partial<WorkerConfig> = { device: 'cpu' };
  try {
    for (let i = 0; i < argv.length; i++) {
      let a = argv[i]!;
      let inline: string | undefined;
      const eq = a.indexOf('=');
      if (a.startsWith('--') && eq > 0) [a, inline] = [a.slice(0, eq), a.slice(eq + 1)];
      const value = (): string => {
        const v = inline ?? argv[++i];
        if (v === undefined || v.startsWith('--')) throw new QueueUrlError(`${a} needs a value`);
        return v;
      };
      if (a === '--queue') url = value();
      else if (a === '--device') {
        const d = value();
        if (d !== 'cpu' && d !== 'webgpu') throw new QueueUrlError(`--device must be cpu or webgpu, got ${JSON.stringify(d)}`);
        cfg.device = d;
      } else if (a === '--concurrency') cfg.concurrency = intFlag(a, value(), 1);
      else if (a === '--name') cfg.name = value();
      else if (a === '--lock-ms') cfg.lockMs = intFlag(a, value(), 100);
      else if (a === '--stalled-ms') cfg.stalledMs = intFlag(a, value(), 100);
      else if (a === '-h' || a === '--help') {
        out.write(WORKER_USAGE + '\n');
        return 0;
      } else throw new QueueUrlError(a.startsWith('-') ? `unknown flag ${a}` : `unexpected argument ${JSON.stringify(a)}`);
    }
    if (url === undefined) throw new QueueUrlError('--queue is required (the Redis URL the sweep was enqueued on)');
    parseQueueUrl(url); // a bad URL is a usage error
  } catch (e) {
    if (!(e instanceof QueueUrlError)) throw e;
    err.write(`sweep-worker: ${e.message}\n${WORKER_USAGE}\n`);
    return 2;
  }
  const noDevice = await probeDevice(cfg.device!);
  if (noDevice !== null) {
    err.write(`sweep-worker: --device ${cfg.device}: ${noDevice}\n`);
    return 2;
  }
  let w: RunningWorker;
  try {
    w = await startWorker({ ...cfg, url, registry: deps.registry, workerScript: deps.workerScript, log: (line) => out.write(line + '\n') } as WorkerConfig);
  } catch (e) {
    err.write(`sweep-worker: ${e instanceof Error ? e.message : String(e)}\n`);
    return 2;
  }
  deps.onStarted?.(w);
  const { reason } = await w.stopped;
  return reason === 'other-code' ? 2 : 0;
}
