/// <reference types="@webgpu/types" />
// The command stream. Dispatches are encoded into one open compute pass of the current command
// encoder; flush() submits. Each dispatch's parameters (shapes, strides, offsets) and every small
// upload are appended to a CPU-side arena, written to one GPU buffer with a single writeBuffer just
// before the submit; uploads are then encoded as copies out of the arena, so they stay ordered with
// the kernels around them. Large uploads flush first and use writeBuffer, which the queue orders
// after everything submitted before it.
import { USAGE } from './pool.js';
import { BindGroupCache, PARAM_WINDOW, type Pipeline } from './pipelines.js';

const ARENA_BYTES = 1 << 20;
/** A dispatch's parameters sit at multiples of this (WebGPU's minUniformBufferOffsetAlignment). */
const PARAM_ALIGN = 256;
/** Submit after this many dispatches even without a readback, so the GPU starts early. */
const MAX_DISPATCHES = 512;
/** Uploads up to this size go through the arena; larger ones through queue.writeBuffer. */
const SMALL_UPLOAD = 64 * 1024;

export interface QueueStats {
  submits: number;
  dispatches: number;
}

export class Queue {
  private encoder: GPUCommandEncoder | null = null;
  private pass: GPUComputePassEncoder | null = null;
  private readonly arena = new Uint8Array(ARENA_BYTES);
  private readonly arenaBuf: GPUBuffer;
  private readonly paramGroup: GPUBindGroup;
  private used = 0;
  private pending = 0;
  private doomed: GPUBuffer[] = [];
  readonly groups: BindGroupCache;
  readonly stats: QueueStats = { submits: 0, dispatches: 0 };

  constructor(private device: GPUDevice, paramLayout: GPUBindGroupLayout) {
    this.arenaBuf = device.createBuffer({ size: ARENA_BYTES, usage: USAGE.UNIFORM | USAGE.COPY_DST | USAGE.COPY_SRC });
    this.paramGroup = device.createBindGroup({ layout: paramLayout, entries: [{ binding: 0, resource: { buffer: this.arenaBuf, offset: 0, size: PARAM_WINDOW } }] });
    this.groups = new BindGroupCache(device);
  }

  private enc(): GPUCommandEncoder {
    if (!this.encoder) this.encoder = this.device.createCommandEncoder();
    return this.encoder;
  }

  private endPass(): void {
    if (this.pass) {
      this.pass.end();
      this.pass = null;
    }
  }

  /** Reserves `bytes` in the arena at `align` (with `window` bytes readable from there); flushes first when full. */
  private reserve(bytes: number, align: number, window = bytes): number {
    let at = Math.ceil(this.used / align) * align;
    if (at + Math.max(bytes, window) > ARENA_BYTES) {
      this.flush();
      at = 0;
    }
    this.used = at + bytes;
    return at;
  }

  /** Encodes one dispatch: params at a dynamic offset of group 0, `buffers` as group 1, bindings 1.. in order. */
  dispatch(p: Pipeline, params: Uint32Array, buffers: GPUBuffer[], grid: readonly [number, number, number]): void {
    if (params.byteLength > PARAM_WINDOW) throw new Error(`internal: ${params.byteLength} bytes of kernel parameters exceed ${PARAM_WINDOW}`);
    const at = this.reserve(params.byteLength, PARAM_ALIGN, PARAM_WINDOW);
    new Uint32Array(this.arena.buffer, at, params.length).set(params);
    const group = this.groups.get(p, buffers);
    if (!this.pass) this.pass = this.enc().beginComputePass();
    this.pass.setPipeline(p.pipeline);
    this.pass.setBindGroup(0, this.paramGroup, [at]);
    this.pass.setBindGroup(1, group);
    this.pass.dispatchWorkgroups(grid[0], grid[1], grid[2]);
    this.stats.dispatches++;
    if (++this.pending >= MAX_DISPATCHES) this.flush();
  }

  /** Writes `data` into `dst` at byteOffset, ordered after all work encoded so far. */
  upload(dst: GPUBuffer, data: ArrayBufferView, byteOffset = 0): void {
    const bytes = data.byteLength;
    if (bytes === 0) return;
    const src = new Uint8Array(data.buffer as ArrayBuffer, data.byteOffset, bytes);
    if (bytes > SMALL_UPLOAD) {
      this.flush();
      this.device.queue.writeBuffer(dst, byteOffset, src, 0, bytes);
      return;
    }
    const padded = Math.ceil(bytes / 4) * 4;
    const at = this.reserve(padded, 4);
    this.arena.set(src, at);
    this.endPass();
    this.enc().copyBufferToBuffer(this.arenaBuf, at, dst, byteOffset, padded);
  }

  copy(src: GPUBuffer, srcOffset: number, dst: GPUBuffer, dstOffset: number, bytes: number): void {
    this.endPass();
    this.enc().copyBufferToBuffer(src, srcOffset, dst, dstOffset, bytes);
  }

  clear(dst: GPUBuffer, byteOffset: number, bytes: number): void {
    this.endPass();
    this.enc().clearBuffer(dst, byteOffset, bytes);
  }

  /** Destroys `b` once the GPU has finished all work submitted up to the next flush. */
  destroyLater(b: GPUBuffer): void {
    this.groups.forget(b);
    this.doomed.push(b);
  }

  /** Submits everything encoded so far. */
  flush(): void {
    if (this.encoder) {
      this.endPass();
      if (this.used > 0) this.device.queue.writeBuffer(this.arenaBuf, 0, this.arena, 0, Math.ceil(this.used / 4) * 4);
      this.device.queue.submit([this.encoder.finish()]);
      this.stats.submits++;
      this.encoder = null;
    }
    this.used = 0;
    this.pending = 0;
    if (this.doomed.length) {
      const list = this.doomed;
      this.doomed = [];
      this.device.queue.onSubmittedWorkDone().then(() => { for (const b of list) b.destroy(); }, () => undefined);
    }
  }
}
