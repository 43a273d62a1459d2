/**
 * Entry point of a CPU worker thread (built to dist/cpu-worker.js; see cpu/threads.ts). It waits
 * for jobs, computes its block with the same kernel as the calling thread (a matmul block with the
 * JS kernel on copies in a SharedArrayBuffer, or, for the wasm backend, a wasm kernel (matmul,
 * softmax rows) on the shared wasm memory itself), and signals completion through the job's control word, which the calling
 * thread waits on with Atomics.wait (it cannot receive messages while it blocks).
 */
import { packedMatmul } from './matmul.js';
import { JOB_DONE, JOB_FAILED, floatView, type MatmulJob } from './threads.js';
import { HOST_FNS } from '../wasm/elementwise.js';

/** A job of the wasm backend: call `fn` of the module `key` (instantiated once on the shared memory). */
interface WasmJob { kind: 'wasm'; key: string; module: WebAssembly.Module; memory: WebAssembly.Memory; fn: string; args: number[]; ctl: SharedArrayBuffer; slot: number }
const instances = new Map<string, Record<string, (...args: number[]) => void>>();

function runWasm(job: WasmJob): void {
  let fns = instances.get(job.key);
  if (!fns) {
    // js: the host functions a kernel may import (the reference math for lanes outside its main path)
    fns = new WebAssembly.Instance(job.module, { m: { mem: job.memory }, js: HOST_FNS }).exports as Record<string, (...args: number[]) => void>;
    instances.set(job.key, fns);
  }
  fns[job.fn](...job.args);
}

function run(job: MatmulJob | WasmJob): void {
  const ctl = new Int32Array(job.ctl);
  try {
    if ('kind' in job) {
      runWasm(job);
      Atomics.store(ctl, job.slot, JOB_DONE);
      Atomics.notify(ctl, job.slot);
      return;
    }
    const a = floatView(job.f64, job.sab, job.a, job.aLen);
    const b = floatView(job.f64, job.sab, job.b, job.bLen);
    const c = floatView(job.f64, job.sab, job.c, job.cLen);
    packedMatmul(a, 0, job.ars, job.acs, b, 0, job.brs, job.bcs, c, 0, job.N, job.M, job.N, job.K);
    Atomics.store(ctl, job.slot, JOB_DONE);
  } catch (e) {
    Atomics.store(ctl, job.slot, JOB_FAILED);
    console.error('papergrad cpu worker:', e);
  }
  Atomics.notify(ctl, job.slot);
}

type Port = { postMessage(m: unknown): void; on(ev: 'message', fn: (m: MatmulJob | WasmJob) => void): void };
declare const self: { postMessage(m: unknown): void; addEventListener(ev: 'message', fn: (e: { data: MatmulJob | WasmJob }) => void): void };

if (typeof process !== 'undefined' && process.versions?.node) {
  const { parentPort } = (await import('node:worker_threads')) as { parentPort: Port | null };
  if (!parentPort) throw new Error('papergrad cpu-worker.js must be started as a worker thread');
  parentPort.on('message', run);
  parentPort.postMessage('papergrad-cpu-worker-ready');
} else {
  self.addEventListener('message', (e) => run(e.data));
  self.postMessage('papergrad-cpu-worker-ready');
}
