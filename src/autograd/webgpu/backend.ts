/// <reference types="@webgpu/types" />
// The WebGPU backend: storages are pooled GPU buffers (one 4-byte word per element; bool as u32),
// op-table entries run as WGSL kernels (kernels/index.ts) encoded into the batching queue, and
// readback is async.
import type { Backend, Capabilities, Kernel, KernelTable, Storage, View } from '../backend.js';
import type { RandomRequest } from '../random.js';
import { arrayFor, type DType, type TypedArray } from '../dtype.js';
import { contiguousStrides, isContiguous, sizeOf } from '../shape.js';
import { ErrorSink, WebGPUError, type DeviceInfo } from './device.js';
import { BufferPool, StagingPool, type PoolStats } from './pool.js';
import { Queue } from './queue.js';
import { PipelineCache } from './pipelines.js';
import { STATUS_NAMES, type Ctx } from './context.js';
import { wtype, type Params } from './wgsl.js';
import { copy } from './kernels/elementwise.js';
import { webgpuKernels } from './kernels/index.js';
import { randomFill } from './kernels/random.js';

export interface WebGPUStats {
  pool: PoolStats;
  pipelines: number;
  submits: number;
  dispatches: number;
  /** Storage bind groups reused from the cache, and created. */
  bindGroups: { hits: number; misses: number };
  stagingBuffers: number;
}

export class WebGPUBackend implements Backend, Ctx {
  readonly device = 'webgpu' as const;
  readonly caps: Capabilities = {
    dtypes: ['float32', 'int32', 'bool'],
    randomStreams: true, // random(): Philox on the GPU, the CPU's numbers
    threads: 'none',
    precision: ['fast'], // float32 sums in another order, WGSL math library: within each op's tolerance
  };
  readonly kernels: KernelTable;
  readonly errors = new ErrorSink();
  readonly queue: Queue;
  readonly pool: BufferPool;
  readonly staging: StagingPool;
  readonly pipelines: PipelineCache;
  readonly status: GPUBuffer;

  constructor(readonly gpu: GPUDevice, readonly info: DeviceInfo, private readonly keepAlive: unknown[] = []) {
    this.pipelines = new PipelineCache(gpu, this.errors);
    this.queue = new Queue(gpu, this.pipelines.paramLayout);
    this.pool = new BufferPool(gpu, this.errors, (b) => this.queue.destroyLater(b));
    this.staging = new StagingPool(gpu);
    this.status = this.pool.acquire(16);
    // Every kernel first surfaces errors the device reported since the last op (validation, loss).
    const map = { ...webgpuKernels(this) } as Record<string, Kernel>;
    for (const k of Object.keys(map)) {
      const run = map[k];
      map[k] = (inputs, out, attrs) => {
        this.errors.throwIfAny();
        run(inputs, out, attrs);
      };
    }
    this.kernels = map;
    this.queue.clear(this.status, 0, 16);
    gpu.lost.then((info) => {
      this.errors.lost = `the device was lost (${info.reason}): ${info.message || 'no message'}`;
    });
    gpu.onuncapturederror = (ev) => {
      const oom = ev.error.constructor?.name === 'GPUOutOfMemoryError';
      this.errors.report(new WebGPUError(oom ? 'out-of-memory' : 'validation', ev.error.message));
    };
  }

  // ---------------------------------------------------------------- Ctx
  launch(key: string, build: () => string, params: Params, vals: Record<string, number | readonly number[]>, buffers: GPUBuffer[], grid: readonly [number, number, number]): void {
    this.queue.dispatch(this.pipelines.get(key, build), params.pack(vals), buffers, grid);
  }

  buffer(v: View): GPUBuffer {
    const b = v.storage.data as GPUBuffer | null;
    if (!b) throw new Error('webgpu: storage was released');
    return b;
  }

  // ---------------------------------------------------------------- Backend
  alloc(dtype: DType, size: number): Storage {
    this.errors.throwIfAny();
    wtype(dtype);
    return { backend: this, dtype, size, data: this.pool.acquire(size * 4), refs: 0 };
  }

  upload(dtype: DType, data: TypedArray): Storage {
    const s = this.alloc(dtype, data.length);
    let words: ArrayBufferView = data;
    if (dtype === 'bool') words = Uint32Array.from(data as Uint8Array, (v) => (v ? 1 : 0));
    else if (data.BYTES_PER_ELEMENT !== 4) words = (dtype === 'int32' ? Int32Array : Float32Array).from(data as ArrayLike<number>);
    this.queue.upload(s.data, words);
    return s;
  }

  release(s: Storage): void {
    if (s.data) this.pool.release(s.data as GPUBuffer);
    s.data = null;
  }

  async read(v: View): Promise<TypedArray> {
    if (this.errors.lost !== null) this.errors.throwIfAny();
    const n = sizeOf(v.shape);
    const statusBytes = 16;
    let src: View = v;
    let temp: Storage | null = null;
    if (n > 0 && !isContiguous(v.shape, v.strides)) {
      temp = this.alloc(v.dtype, n);
      src = { storage: temp, dtype: v.dtype, shape: v.shape, strides: [], offset: 0 };
      copy(this, v, { ...src, strides: contiguousStrides(v.shape) });
    }
    const bytes = n * 4;
    const staging = this.staging.acquire(bytes + statusBytes);
    if (n > 0) this.queue.copy(this.buffer(src), src.offset * 4, staging, 0, bytes);
    this.queue.copy(this.status, 0, staging, bytes, statusBytes);
    this.queue.clear(this.status, 0, statusBytes);
    if (temp) this.release(temp);
    this.queue.flush();
    try {
      await staging.mapAsync(0x0001 /* GPUMapMode.READ */, 0, bytes + statusBytes);
    } catch (e) {
      await this.errors.settle();
      throw new WebGPUError(this.errors.lost !== null ? 'device-lost' : 'internal', `readback failed: ${(e as Error).message}`);
    }
    const mapped = staging.getMappedRange(0, bytes + statusBytes);
    const words = new Uint32Array(mapped.slice(0));
    staging.unmap();
    this.staging.release(staging);
    await this.errors.settle();
    const st = words.subarray(n, n + 4);
    if (st[0] !== 0) {
      const op = STATUS_NAMES[st[0]] ?? 'kernel';
      throw new WebGPUError('index', `${op}: index ${st[1] | 0} is out of range for dim ${st[3]} of size ${st[2]}`);
    }
    return fromWords(v.dtype, words.subarray(0, n));
  }

  flush(): void {
    this.queue.flush();
  }

  /** Submits and waits until the GPU has finished everything queued (for timing). */
  async sync(): Promise<void> {
    this.queue.flush();
    await this.gpu.queue.onSubmittedWorkDone();
    await this.errors.settle();
  }

  /** Random tensors drawn on the GPU (same numbers as the CPU path, see kernels/random.ts). */
  random(req: RandomRequest): Storage {
    const s = this.alloc(req.dtype, req.n);
    randomFill(this, req, s);
    return s;
  }

  stats(): WebGPUStats {
    const q = this.queue;
    return { pool: this.pool.snapshot(), pipelines: this.pipelines.size, submits: q.stats.submits, dispatches: q.stats.dispatches,
      bindGroups: { hits: q.groups.hits, misses: q.groups.misses }, stagingBuffers: this.staging.created };
  }
}

function fromWords(dtype: DType, w: Uint32Array): TypedArray {
  switch (dtype) {
    case 'float32': return new Float32Array(w.buffer, w.byteOffset, w.length).slice();
    case 'int32': return new Int32Array(w.buffer, w.byteOffset, w.length).slice();
    default: {
      const out = arrayFor('bool', w.length);
      for (let i = 0; i < w.length; i++) out[i] = w[i] ? 1 : 0;
      return out;
    }
  }
}
