/// <reference types="@webgpu/types" />
// Storage-buffer pool, bucketed by size class.
//
// Reuse is safe as soon as a tensor lets go of its buffer: every write to a pooled buffer
// (kernel outputs, and uploads, which the queue encodes as copies or orders after a flush) goes
// through the one command stream, in order, so a later command cannot overtake an earlier reader.
// What must wait for the GPU is destruction: a buffer the pool does not keep (past its byte limit)
// is destroyed only after the work submitted so far has finished (Queue.destroyLater).
import type { ErrorSink } from './device.js';
import { WebGPUError } from './device.js';

// GPUBufferUsage flags (values from the WebGPU spec; the GPUBufferUsage global may not exist in Node).
export const USAGE = { MAP_READ: 0x0001, COPY_SRC: 0x0004, COPY_DST: 0x0008, UNIFORM: 0x0040, STORAGE: 0x0080 } as const;
export const STORAGE_USAGE = USAGE.STORAGE | USAGE.COPY_SRC | USAGE.COPY_DST;

/** Size classes: 256 B, then four steps per power of two (at most 25% slack). */
export function sizeClass(bytes: number): number {
  if (bytes <= 256) return 256;
  const p = 2 ** Math.floor(Math.log2(bytes));
  const step = p / 4;
  return Math.min(Math.ceil(bytes / step) * step, 2 * p);
}

export interface PoolStats {
  /** GPU buffers created by the pool and not yet destroyed (in use + pooled). */
  buffers: number;
  bytes: number;
  /** Of those, how many sit idle in the pool. */
  pooledBuffers: number;
  pooledBytes: number;
  /** Acquisitions served from the pool, and those that created a buffer. */
  hits: number;
  misses: number;
}

export class BufferPool {
  private free = new Map<number, GPUBuffer[]>();
  private stats: PoolStats = { buffers: 0, bytes: 0, pooledBuffers: 0, pooledBytes: 0, hits: 0, misses: 0 };

  constructor(
    private device: GPUDevice,
    private errors: ErrorSink,
    private destroyLater: (b: GPUBuffer) => void,
    /** Idle bytes kept for reuse; beyond this, released buffers are destroyed. */
    private limitBytes = 512 * 1024 * 1024,
  ) {}

  acquire(bytes: number): GPUBuffer {
    const size = sizeClass(Math.max(bytes, 4));
    const list = this.free.get(size);
    const b = list?.pop();
    if (b) {
      this.stats.hits++;
      this.stats.pooledBuffers--;
      this.stats.pooledBytes -= size;
      return b;
    }
    const max = this.device.limits.maxStorageBufferBindingSize;
    if (size > max || size > this.device.limits.maxBufferSize)
      throw new WebGPUError('out-of-memory', `a buffer of ${bytes} bytes exceeds the device limit of ${Math.min(max, this.device.limits.maxBufferSize)} bytes per buffer`);
    this.device.pushErrorScope('out-of-memory');
    const buf = this.device.createBuffer({ size, usage: STORAGE_USAGE });
    this.errors.watch(this.device, 'out-of-memory', () => `allocating ${size} bytes`);
    this.stats.misses++;
    this.stats.buffers++;
    this.stats.bytes += size;
    return buf;
  }

  release(b: GPUBuffer): void {
    const size = b.size;
    if (this.stats.pooledBytes + size > this.limitBytes) {
      this.stats.buffers--;
      this.stats.bytes -= size;
      this.destroyLater(b);
      return;
    }
    let list = this.free.get(size);
    if (!list) this.free.set(size, (list = []));
    list.push(b);
    this.stats.pooledBuffers++;
    this.stats.pooledBytes += size;
  }

  snapshot(): PoolStats {
    return { ...this.stats };
  }
}

/** MAP_READ staging buffers for readback, reused once unmapped. */
export class StagingPool {
  private free = new Map<number, GPUBuffer[]>();
  created = 0;

  constructor(private device: GPUDevice) {}

  acquire(bytes: number): GPUBuffer {
    const size = sizeClass(bytes);
    const b = this.free.get(size)?.pop();
    if (b) return b;
    this.created++;
    return this.device.createBuffer({ size, usage: USAGE.MAP_READ | USAGE.COPY_DST });
  }

  release(b: GPUBuffer): void {
    let list = this.free.get(b.size);
    if (!list) this.free.set(b.size, (list = []));
    if (list.length < 4) list.push(b);
    else b.destroy();
  }
}
