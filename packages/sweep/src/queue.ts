/**
 * The waiting side of `npm run reproduce -- --queue URL`: puts every (experiment, seed) job on the
 * queue of its device, waits while the workers (sweep-worker, on any machine) run them, and turns
 * what they return into the same runner events as a local run (start, progress, end, report), so
 * that scripts/reproduce.ts writes the same output folder, reports and index.html.
 */
import type { Job, Queue, QueueEvents } from 'bullmq';
import type { Redis } from 'ioredis';
import {
  fromJson,
  jobBook,
  validateResult,
  type ExperimentReport,
  type JobInfo,
  type RunnerEvent,
  type RunnerOptions,
  type SeedRun,
} from '../../../src/experiment/node.js';
import type { QueueRunner } from '../../../scripts/reproduce.js';
import { connect, ensureReachable, parseQueueUrl, reasonOf, redact, type QueueAddress } from './connection.js';
import { codeVersion, DEFAULT_ATTEMPTS, jobId, KEEP_SECONDS, OUTPUT_SCHEMA, queueName, RETRY_DELAY_MS, type JobData, type JobOutput } from './jobs.js';

export interface QueueOptions {
  /** Tries of a job that throws before it counts as failed (default 3). */
  attempts?: number;
  /** How often the jobs' states are read back, in ms (default 1000; sooner after an event). */
  pollMs?: number;
  /** After this long without any job running, say how to start a worker (ms, default 20 s). */
  idleHintMs?: number;
}

/** Progress a worker reports for a running job (job.updateProgress). */
export interface JobProgress {
  fraction: number;
  message?: string;
  worker: string;
}

/**
 * Checks that Redis at `url` answers (throws with the reason otherwise, before any work); each
 * run() then opens its own connections and closes them when it returns.
 */
export async function openQueue(url: string, qopts: QueueOptions = {}): Promise<QueueRunner> {
  const addr = parseQueueUrl(url);
  const probe = await connect(addr, 'papergrad-reproduce');
  await ensureReachable(probe, addr);
  probe.disconnect();
  return {
    where: addr.where,
    run: (opts, logLine) => runOnQueue(addr, opts, qopts, (line) => logLine(redact(line, addr))),
    close: async () => {},
  };
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function runOnQueue(addr: QueueAddress, opts: RunnerOptions, qopts: QueueOptions, log: (line: string) => void): Promise<ExperimentReport[]> {
  // The same bookkeeping as a local run: --resume, the events, a report when an experiment's last seed is in.
  const book = jobBook(opts, 'runOnQueue');
  const { Queue, QueueEvents } = await import('bullmq');
  const attempts = qopts.attempts ?? DEFAULT_ATTEMPTS;
  const code = codeVersion();
  const name = queueName(opts.device);
  // Commands wait while Redis is away (a restart pauses the sweep); one client says so.
  let closing = false;
  const client: Redis = await connect(addr, 'papergrad-reproduce', (up, reason) => {
    if (closing) return;
    log(up ? `queue: connected to Redis at ${addr.where} again` : `queue: lost the connection to Redis at ${addr.where}${reason ? ` (${reason})` : ''}; waiting for it to come back`);
  });
  const eventsClient: Redis = await connect(addr, 'papergrad-reproduce-events');
  // (Should Redis have gone away since openQueue, the clients keep trying and commands wait.)
  await Promise.all([client.connect().catch(() => {}), eventsClient.connect().catch(() => {})]);
  const queue: Queue = new Queue(name, { connection: client });
  const events: QueueEvents = new QueueEvents(name, { connection: eventsClient, autorun: false });
  // Connection trouble is reported by the client above; BullMQ re-emits it here.
  queue.on('error', () => {});
  events.on('error', () => {});
  const emit = (e: RunnerEvent): void => opts.onEvent?.(e);
  const dataOf = (job: JobInfo): JobData => ({ ...job, code });
  const enqueue = (job: JobInfo): Promise<unknown> =>
    // Adding an id that is already there changes nothing (BullMQ keeps the first job).
    queue.add('run', dataOf(job), {
      jobId: jobId(dataOf(job)),
      attempts,
      backoff: { type: 'fixed', delay: RETRY_DELAY_MS },
      removeOnComplete: { age: KEEP_SECONDS },
      removeOnFail: { age: KEEP_SECONDS },
    });

  interface Pending {
    job: JobInfo;
    /** The worker now running it, once it is seen running. */
    runningOn?: string;
  }
  const pending = new Map<string, Pending>();
  let reused = 0;
  let retried = 0;
  for (const job of book.todo) {
    const id = jobId(dataOf(job));
    await enqueue(job);
    const state = await queue.getJobState(id);
    if (state === 'completed') reused++;
    else if (state === 'failed') {
      // Failed in an earlier sweep: give it its tries again.
      try {
        await (await queue.getJob(id))?.retry('failed', { resetAttemptsMade: true, resetAttemptsStarted: true });
        retried++;
      } catch {
        // another sweep retried it a moment ago
      }
    }
    pending.set(id, { job });
  }
  const total = pending.size;
  log(
    `queue: ${total} job(s) on ${name} at ${addr.where} (code ${code})` +
      (reused ? `; ${reused} already done by an earlier sweep of the same code: their stored results are used` : '') +
      (retried ? `; ${retried} that failed in an earlier sweep run again` : ''),
  );

  // Events make the display live and wake the poll; the poll (job states in Redis) decides.
  let wake: (() => void) | null = null;
  const poke = (): void => {
    wake?.();
    wake = null;
  };
  /** Shows the job as running on `worker` (again, when another worker took it over). */
  const running = (p: Pending, worker: string | undefined): void => {
    const on = worker ?? 'a worker';
    if (p.runningOn === on) return;
    p.runningOn = on;
    book.start(p.job);
    emit({ type: 'progress', experiment: p.job.experiment, seed: p.job.seed, fraction: 0, message: `on ${on}` });
  };
  events.on('active', ({ jobId: id }) => {
    const p = pending.get(id);
    if (!p) return;
    void queue
      .getJob(id)
      .then((job) => running(p, job?.processedBy))
      .catch(() => {});
  });
  events.on('progress', ({ jobId: id, data }) => {
    const p = pending.get(id);
    if (!p || typeof data !== 'object' || data === null) return;
    const d = data as Partial<JobProgress>;
    if (typeof d.fraction !== 'number') return;
    if (typeof d.worker === 'string') running(p, d.worker);
    const message = [d.message, d.worker].filter((x) => typeof x === 'string' && x !== '').join(' · ');
    emit({ type: 'progress', experiment: p.job.experiment, seed: p.job.seed, fraction: Math.min(1, Math.max(0, d.fraction)), message });
  });
  events.on('completed', poke);
  events.on('failed', poke);
  void events.run().catch(() => {});

  const finish = (id: string, p: Pending, run: SeedRun): void => {
    pending.delete(id);
    if (p.runningOn === undefined) book.start(p.job); // finished by an earlier sweep, or too fast to be seen
    book.end(p.job, run);
  };

  const pollMs = qopts.pollMs ?? 1000;
  const idleHintMs = qopts.idleHintMs ?? 20_000;
  let lastActivity = performance.now();
  try {
    while (pending.size) {
      let anyRunning = false;
      for (const [id, p] of [...pending]) {
        const state = await queue.getJobState(id);
        if (state === 'completed' || state === 'failed') {
          const job = await queue.getJob(id);
          if (!job) continue; // removed meanwhile: it is re-added below
          finish(id, p, state === 'completed' ? runFromOutput(job, p.job.seed, addr) : runFromFailure(job, p.job.seed, attempts));
          lastActivity = performance.now();
        } else if (state === 'active') {
          anyRunning = true;
          if (p.runningOn === undefined) running(p, (await queue.getJob(id))?.processedBy);
        } else if (state === 'unknown') {
          // Gone from the queue (removed by hand, or Redis lost it): enqueue it again.
          await enqueue(p.job);
          log(`queue: ${p.job.experiment} seed ${p.job.seed} was no longer on the queue; enqueued it again`);
        }
      }
      if (!pending.size) break;
      if (anyRunning) lastActivity = performance.now();
      else if (performance.now() - lastActivity > idleHintMs) {
        const workers = await queue.getWorkersCount().catch(() => -1); // -1: the server does not say (CLIENT LIST not allowed)
        const start = `start one on each machine with: npm run sweep-worker -- --queue ${addr.where} --device ${opts.device}`;
        log(
          workers > 0
            ? `queue: ${pending.size} job(s) waiting; ${workers} worker(s) connected but none has taken one (a worker refuses jobs from other code: see its output)`
            : workers === 0
              ? `queue: ${pending.size} job(s) waiting and no worker is connected; ${start}`
              : `queue: ${pending.size} job(s) waiting and none has started for ${Math.round(idleHintMs / 1000)} s; ${start}`,
        );
        lastActivity = performance.now();
      }
      await Promise.race([sleep(pollMs), new Promise<void>((r) => (wake = r))]);
      wake = null;
    }
  } finally {
    closing = true;
    await events.close().catch(() => {});
    await queue.close().catch(() => {});
    client.disconnect();
    eventsClient.disconnect();
  }
  return book.reports();
}

/** A completed job's SeedRun, from its stored JSON; a malformed answer becomes an error. */
function runFromOutput(job: Job, seed: number, addr: QueueAddress): SeedRun {
  try {
    const out = fromJson<JobOutput>(String(job.returnvalue));
    if (out.schema !== OUTPUT_SCHEMA || !out.run || out.run.seed !== seed || !out.run.result) throw new Error('not a papergrad job result');
    const run: SeedRun = { ...out.run, result: validateResult(out.run.result, `job ${job.id}`) };
    run.worker = out.worker;
    return run;
  } catch (e) {
    return { seed, seconds: 0, error: `the result stored with job ${job.id} is unusable: ${reasonOf(e, addr)}` };
  }
}

/** A job that failed for good: its last error (the experiment's stack trace) and how often it was tried. */
function runFromFailure(job: Job, seed: number, attempts: number): SeedRun {
  const stack = job.stacktrace?.length ? job.stacktrace[job.stacktrace.length - 1]! : '';
  const text = stack.includes(job.failedReason ?? '') && stack ? stack : `${job.failedReason || 'failed'}${stack ? `\n${stack}` : ''}`;
  const tries = `failed on ${job.attemptsMade} of ${attempts} tries${job.processedBy ? `, the last on ${job.processedBy}` : ''}`;
  const run: SeedRun = { seed, seconds: 0, error: `${text}\n(${tries})` };
  if (job.processedBy) run.worker = job.processedBy;
  return run;
}
