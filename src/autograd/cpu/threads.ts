/**
 * Optional worker threads for the CPU backend's large matrix products.
 *
 * The CPU backend is synchronous (`dataSync` must return), so a product is split into row (or
 * column) blocks: worker threads get theirs through one SharedArrayBuffer, the calling thread
 * computes its own block meanwhile and then blocks in `Atomics.wait` until the workers are done.
 *
 * Determinism: the split only ever happens on products that take matmul.ts's packed path, and in
 * that path every output element's sum is formed in the same order (KC panels ascending, k
 * ascending inside a panel) whatever block it lands in. Results are therefore bit-identical for
 * any number of threads, and to `matmulKernel` single-threaded (a test checks this).
 *
 * Where it works: Node (worker_threads), and a Web Worker on a cross-origin-isolated page
 * (SharedArrayBuffer and Atomics.wait are available there). A browser's main thread may not block,
 * so there `initCpuThreads` reports why and the backend stays single-threaded.
 *
 * Usage (Node):
 *   import { Worker } from 'node:worker_threads';
 *   await pg.initCpuThreads({ Worker, threads: 2 });
 *
 * initCpuThreads and stopCpuThreads run one at a time, in call order (each waits for the previous
 * call to finish), so calls made without awaiting still end in the state of the last one, and a
 * pool that a later call replaces is always terminated: no worker is left running unowned.
 */
import { matmulKernel, packedMatmul, usesPackedPath, type FloatArray } from './matmul.js';

/** What the pool needs of a Worker: Node's worker_threads.Worker and the web's Worker both fit. */
export interface WorkerLike {
  postMessage(message: unknown): void;
  terminate(): unknown;
  /** Node style events (worker_threads). */
  on?(event: string, listener: (value: any) => void): unknown;
  /** Web style events. */
  addEventListener?(event: string, listener: (event: any) => void): unknown;
  /** Node: let the process exit while the worker idles. */
  unref?(): void;
}
export type WorkerConstructor = new (url: URL, options?: { type?: 'module'; name?: string }) => WorkerLike;

export interface CpuThreadsOptions {
  /** The Worker class: `Worker` from 'node:worker_threads', or the browser's `Worker` (inside a worker). */
  Worker: WorkerConstructor;
  /** Threads in all, the calling one included (default 2). 1 turns threading off. */
  threads?: number;
  /**
   * The worker script: dist/cpu-worker.js of this package (the default, found next to the bundle
   * that holds this module). Pass it when papergrad was re-bundled somewhere else: a URL, a URL
   * string ('file:///...', 'https://...'), or a file path (absolute, or relative to the working
   * directory in Node and to the page in a browser).
   */
  url?: URL | string;
  /** Products with fewer multiply-adds than this stay on one thread (default 2^20). */
  minMacs?: number;
  /** How long the workers may take to start (default 10 s). */
  startTimeoutMs?: number;
}

export interface CpuThreadsStatus {
  /** Threads that large products use, the calling one included (1 = single-threaded). */
  threads: number;
  /** Why threading is off or reduced, when it is. */
  reason?: string;
}

/** One job for one worker: views of `sab` (byte offsets, element lengths) and the product's shape. */
export interface MatmulJob {
  sab: SharedArrayBuffer;
  ctl: SharedArrayBuffer;
  slot: number;
  f64: boolean;
  a: number; aLen: number; ars: number; acs: number;
  b: number; bLen: number; brs: number; bcs: number;
  c: number; cLen: number;
  M: number; N: number; K: number;
}

/** ctl slot values. */
export const JOB_PENDING = 0, JOB_DONE = 1, JOB_FAILED = 2;

const MR = 4; // split points are multiples of the micro-tile so no block gets a ragged tile it would not otherwise have

interface Pool {
  workers: WorkerLike[];
  minMacs: number;
  ctl: Int32Array;
  sab: SharedArrayBuffer | null;
}
let pool: Pool | null = null;
let status: CpuThreadsStatus = { threads: 1 };

/** Calls of initCpuThreads / stopCpuThreads, chained so that each starts when the previous one has finished. */
let queue: Promise<unknown> = Promise.resolve();

function serial<T>(fn: () => Promise<T>): Promise<T> {
  const run = queue.then(fn, fn);
  queue = run.catch(() => undefined);
  return run;
}

const MAX_THREADS = 1024;

type CheckedOptions = Required<Omit<CpuThreadsOptions, 'url'>> & { url: URL | string | undefined };

/** The options, checked (every error names the option and the value given). */
function checkOptions(opts: CpuThreadsOptions): CheckedOptions {
  const fail = (msg: string): never => {
    throw new Error(`initCpuThreads: ${msg}`);
  };
  if (opts === null || typeof opts !== 'object') return fail(`expected an options object {Worker, threads?, url?, ...}, got ${opts === null ? 'null' : typeof opts}`);
  if (typeof opts.Worker !== 'function') return fail(`Worker must be a Worker class (e.g. Worker from 'node:worker_threads'), got ${opts.Worker === null ? 'null' : typeof opts.Worker}`);
  const threads = opts.threads === undefined ? 2 : opts.threads;
  if (typeof threads !== 'number' || !Number.isInteger(threads) || threads < 1 || threads > MAX_THREADS)
    fail(`threads must be a positive integer (at most ${MAX_THREADS}), got ${typeof threads === 'string' ? JSON.stringify(threads) : String(threads)}`);
  const minMacs = opts.minMacs === undefined ? 1 << 20 : opts.minMacs;
  if (typeof minMacs !== 'number' || !(minMacs >= 0) || minMacs === Infinity) fail(`minMacs must be a finite number >= 0, got ${String(minMacs)}`);
  const startTimeoutMs = opts.startTimeoutMs === undefined ? 10_000 : opts.startTimeoutMs;
  if (typeof startTimeoutMs !== 'number' || !(startTimeoutMs > 0) || startTimeoutMs === Infinity)
    fail(`startTimeoutMs must be a finite number > 0, got ${String(startTimeoutMs)}`);
  const url = opts.url;
  if (url !== undefined && !(url instanceof URL) && (typeof url !== 'string' || url === ''))
    fail(`url must be a URL, a URL string or a file path, got ${url === '' ? 'an empty string' : url === null ? 'null' : typeof url}`);
  return { Worker: opts.Worker, threads, minMacs, startTimeoutMs, url };
}

/** A string with a scheme ('file:', 'https:', 'blob:', ...; not a Windows drive 'C:\') is a URL, anything else a file path. */
async function resolveUrl(url: URL | string | undefined): Promise<URL> {
  if (url === undefined) return new URL('./cpu-worker.js', import.meta.url);
  if (url instanceof URL) return url;
  if (/^[a-zA-Z][a-zA-Z0-9+.-]+:/.test(url)) {
    try {
      return new URL(url);
    } catch {
      throw new Error(`initCpuThreads: url ${JSON.stringify(url)} is not a valid URL`);
    }
  }
  // A path. Node's pathToFileURL percent-encodes spaces, '#', '?' and '%', and resolves relative
  // paths against the working directory; in a browser a path is relative to the page.
  const spec = 'node:url';
  let toUrl: ((p: string) => URL) | null = null;
  try {
    toUrl = ((await import(/* @vite-ignore */ spec)) as { pathToFileURL(p: string): URL }).pathToFileURL;
  } catch {
    // not Node
  }
  if (toUrl) return toUrl(url);
  const base = (globalThis as { location?: { href: string } }).location?.href;
  if (!base) throw new Error(`initCpuThreads: cannot turn the path ${JSON.stringify(url)} into a URL here; pass a URL`);
  return new URL(url, base);
}

/**
 * Start `threads - 1` worker threads for large CPU matrix products. Resolves to the status; never
 * throws for a missing capability (no SharedArrayBuffer, no Atomics.wait, a worker that fails to
 * start): it then reports why and the CPU backend stays single-threaded. Invalid options are an
 * error (a rejected promise) and leave the current threads as they are.
 */
export async function initCpuThreads(opts: CpuThreadsOptions): Promise<CpuThreadsStatus> {
  const o = checkOptions(opts);
  return serial(() => start(o));
}

async function start(o: CheckedOptions): Promise<CpuThreadsStatus> {
  await terminate(detachPool());
  const { threads } = o;
  if (threads === 1) return (status = { threads: 1, reason: 'threads: 1 requested' });
  const missing = missingCapability();
  if (missing) return (status = { threads: 1, reason: missing });
  let url: URL;
  try {
    url = await resolveUrl(o.url);
  } catch (e) {
    return (status = { threads: 1, reason: (e as Error).message });
  }
  const workers: WorkerLike[] = [];
  try {
    for (let i = 0; i < threads - 1; i++) {
      const w = new o.Worker(url, { type: 'module', name: `papergrad-cpu-${i + 1}` });
      workers.push(w);
    }
    await Promise.all(workers.map((w) => waitReady(w, url, o.startTimeoutMs)));
  } catch (e) {
    await terminate({ workers });
    return (status = { threads: 1, reason: (e as Error).message });
  }
  for (const w of workers) w.unref?.();
  pool = { workers, minMacs: o.minMacs, ctl: new Int32Array(new SharedArrayBuffer(4 * workers.length)), sab: null };
  return (status = { threads });
}

/** Takes the pool out of use at once (large products run on the calling thread from here on). */
function detachPool(): Pool | null {
  const p = pool;
  pool = null;
  status = { threads: 1 };
  return p;
}

async function terminate(p: Pick<Pool, 'workers'> | null): Promise<void> {
  if (p) await Promise.all(p.workers.map((w) => Promise.resolve().then(() => w.terminate()).catch(() => undefined)));
}

/** Stop the worker threads; large products run on the calling thread again. */
export async function stopCpuThreads(): Promise<void> {
  return serial(() => terminate(detachPool()));
}

/** How many threads large CPU matrix products use now, and why not more. */
export function cpuThreads(): CpuThreadsStatus {
  return { ...status };
}

function missingCapability(): string | null {
  if (typeof SharedArrayBuffer === 'undefined') {
    return 'SharedArrayBuffer is not available (in a browser the page must be cross-origin isolated)';
  }
  try {
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 1, 0);
  } catch {
    return "Atomics.wait is not allowed on this thread (a browser's main thread); run papergrad in a Web Worker to use CPU threads";
  }
  return null;
}

function waitReady(w: WorkerLike, url: URL, timeoutMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`initCpuThreads: worker ${url.href} did not start within ${timeoutMs} ms`)), timeoutMs);
    const onMessage = (m: unknown) => {
      if (m === 'papergrad-cpu-worker-ready') {
        clearTimeout(timer);
        resolve();
      }
    };
    const onError = (e: any) => {
      clearTimeout(timer);
      reject(new Error(`initCpuThreads: worker ${url.href} failed to start: ${e?.message ?? e}`));
    };
    if (w.on) {
      w.on('message', onMessage);
      w.on('error', onError);
    } else if (w.addEventListener) {
      w.addEventListener('message', (ev: MessageEvent) => onMessage(ev.data));
      w.addEventListener('error', onError);
    } else {
      clearTimeout(timer);
      reject(new Error('initCpuThreads: the Worker has neither on() nor addEventListener()'));
    }
  });
}

/**
 * Same contract as matmulKernel (cpu/matmul.ts); large products are split across the pool's
 * threads, with bit-identical results.
 */
export function matmulCpu(
  a: FloatArray, aOff: number, ars: number, acs: number,
  b: FloatArray, bOff: number, brs: number, bcs: number,
  out: FloatArray, outOff: number, M: number, N: number, K: number,
): void {
  const p = paused ? null : pool;
  const sameKind = a.constructor === out.constructor && b.constructor === out.constructor;
  if (!p || !sameKind || M * N * K < p.minMacs || !usesPackedPath(M, N, K)) {
    matmulKernel(a, aOff, ars, acs, b, bOff, brs, bcs, out, outOff, M, N, K);
    return;
  }
  // Split the longer of M and N into one block per thread, at multiples of MR.
  const byRows = M >= N;
  const len = byRows ? M : N;
  const T = Math.min(p.workers.length + 1, Math.floor(len / MR));
  if (T < 2) {
    matmulKernel(a, aOff, ars, acs, b, bOff, brs, bcs, out, outOff, M, N, K);
    return;
  }
  const cut = (t: number) => Math.round((len * t) / T / MR) * MR;
  // Block [lo, lo + w) of the split dim as a sub-product: where its A, B and out start, its M x N.
  const block = (lo: number, w: number) => byRows
    ? { aOff: aOff + lo * ars, bOff, outOff: outOff + lo * N, M: w, N }
    : { aOff, bOff: bOff + lo * bcs, outOff: outOff + lo, M, N: w };
  const compute = (blk: ReturnType<typeof block>) =>
    packedMatmul(a, blk.aOff, ars, acs, b, blk.bOff, brs, bcs, out, blk.outOff, N, blk.M, blk.N, K);

  // Shared layout: the operand every worker needs in full (B when splitting rows, A when splitting
  // columns), then per worker its slice of the other operand and its output block, all row-major.
  const f64 = out instanceof Float64Array;
  const bytes = f64 ? 8 : 4;
  const whole = byRows ? K * N : M * K;
  const parts: { blk: ReturnType<typeof block>; slice: number; c: number }[] = [];
  let used = whole * bytes;
  for (let t = 1; t < T; t++) {
    const lo = cut(t), hi = t === T - 1 ? len : cut(t + 1);
    const blk = block(lo, hi - lo);
    const sliceLen = byRows ? blk.M * K : K * blk.N;
    parts.push({ blk, slice: used, c: used + sliceLen * bytes });
    used += (sliceLen + blk.M * blk.N) * bytes;
  }
  if (!p.sab || p.sab.byteLength < used) p.sab = new SharedArrayBuffer(Math.max(used, (p.sab?.byteLength ?? 0) * 2));
  const sab = p.sab;
  const view = (byteOff: number, n: number) => floatView(f64, sab, byteOff, n);

  // Copy the inputs the workers need and post their jobs.
  if (byRows) copyMatrix(b, bOff, brs, bcs, K, N, view(0, whole));
  else copyMatrix(a, aOff, ars, acs, M, K, view(0, whole));
  const ctl = p.ctl.buffer as SharedArrayBuffer;
  for (let t = 0; t < parts.length; t++) {
    const { blk, slice, c } = parts[t];
    const { M: m, N: n } = blk;
    // The worker's A is [a slice or the shared whole], its B [the shared whole or a slice].
    if (byRows) copyMatrix(a, blk.aOff, ars, acs, m, K, view(slice, m * K));
    else copyMatrix(b, blk.bOff, brs, bcs, K, n, view(slice, K * n));
    const job: MatmulJob = { sab, ctl, slot: t, f64,
      a: byRows ? slice : 0, aLen: m * K, ars: K, acs: 1,
      b: byRows ? 0 : slice, bLen: K * n, brs: n, bcs: 1,
      c, cLen: m * n, M: m, N: n, K };
    Atomics.store(p.ctl, t, JOB_PENDING);
    p.workers[t].postMessage(job);
  }

  // The calling thread's own block, straight from the source arrays into out.
  compute(block(0, cut(1)));

  // Wait for each worker and copy its block into place.
  let failed = false;
  for (let t = 0; t < parts.length; t++) {
    while (Atomics.load(p.ctl, t) === JOB_PENDING) Atomics.wait(p.ctl, t, JOB_PENDING);
    const { blk, c } = parts[t];
    if (Atomics.load(p.ctl, t) !== JOB_DONE) {
      // A worker threw (it should not; out of memory is the likely cause). Compute its block
      // here so the result is still right, and stop using the pool.
      failed = true;
      compute(blk);
      continue;
    }
    const res = view(c, blk.M * blk.N);
    for (let i = 0; i < blk.M; i++) out.set(res.subarray(i * blk.N, (i + 1) * blk.N), blk.outOff + i * N);
  }
  if (failed) {
    console.warn('papergrad: a CPU worker thread failed; large products run single-threaded from now on');
    void terminate(detachPool());
    status = { threads: 1, reason: 'a worker thread failed' };
  }
}

/** Threads large products may use (the calling one included) and the size from which they split; null without a pool. */
export function threadPool(): { threads: number; minMacs: number } | null {
  return pool && !paused ? { threads: pool.workers.length + 1, minMacs: pool.minMacs } : null;
}

let paused = false;
/** For benchmarks: keep the workers but run every product on the calling thread (true), or use them again (false). */
export function pauseCpuThreads(on: boolean): void {
  paused = on;
}

/**
 * Runs jobs[t] on worker t (at most one per worker; each job gets the pool's `ctl` and its `slot`),
 * `own()` on the calling thread meanwhile, then waits for every worker. A job a worker failed is
 * run here by `redo(t)`, with a warning, and the pool stops (as matmulCpu does). Used by the wasm
 * backend, whose workers run kernels on the shared wasm memory (cpu/worker.ts).
 */
export function runJobs(jobs: Record<string, unknown>[], own: () => void, redo: (t: number) => void): void {
  const p = pool;
  if (!p || jobs.length > p.workers.length) throw new Error('internal: runJobs without enough worker threads');
  const ctl = p.ctl.buffer as SharedArrayBuffer;
  for (let t = 0; t < jobs.length; t++) {
    Atomics.store(p.ctl, t, JOB_PENDING);
    p.workers[t].postMessage({ ...jobs[t], ctl, slot: t });
  }
  own();
  let failed = false;
  for (let t = 0; t < jobs.length; t++) {
    while (Atomics.load(p.ctl, t) === JOB_PENDING) Atomics.wait(p.ctl, t, JOB_PENDING);
    if (Atomics.load(p.ctl, t) !== JOB_DONE) {
      failed = true;
      redo(t);
    }
  }
  if (failed) {
    console.warn('papergrad: a CPU worker thread failed; large products run single-threaded from now on');
    void stopCpuThreads();
    status = { threads: 1, reason: 'a worker thread failed' };
  }
}

/** A float32 or float64 view of shared memory. */
export function floatView(f64: boolean, sab: SharedArrayBuffer, byteOffset: number, length: number): FloatArray {
  return f64 ? new Float64Array(sab, byteOffset, length) : new Float32Array(sab, byteOffset, length);
}

/** dst (rows x cols, row-major) = the strided source matrix. */
function copyMatrix(src: FloatArray, off: number, rs: number, cs: number, rows: number, cols: number, dst: FloatArray): void {
  let d = 0;
  for (let i = 0; i < rows; i++) {
    let s = off + i * rs;
    for (let j = 0; j < cols; j++) {
      dst[d++] = src[s];
      s += cs;
    }
  }
}
