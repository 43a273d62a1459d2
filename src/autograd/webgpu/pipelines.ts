/// <reference types="@webgpu/types" />
// Compute pipelines, cached by a key naming the op, the rank class, the dtypes and the variant.
// Shapes, strides and offsets are never baked into the WGSL (they travel in the parameter block),
// so a training loop compiles each pipeline once.
//
// Every pipeline has the same two bind groups: group 0 is the parameter block (one uniform binding
// into the queue's arena, with a dynamic offset, so a single bind group serves every dispatch);
// group 1 holds the storage buffers, declared by the kernel as `@group(1) @binding(k)`, k = 1, 2, ...
// Group-1 layouts are shared by kernels with the same binding signature, and their bind groups are
// cached by buffer (a training step that reuses pooled buffers reuses its bind groups too).
import type { ErrorSink } from './device.js';

/** Bytes of the parameter window bound at each dispatch's dynamic offset. */
export const PARAM_WINDOW = 1024;

export interface Pipeline {
  pipeline: GPUComputePipeline;
  /** The group-1 layout, and a small id naming it in bind-group cache keys. */
  storage: GPUBindGroupLayout;
  storageId: number;
  code: string;
}

const COMPUTE = 0x4; // GPUShaderStage.COMPUTE

export class PipelineCache {
  private readonly cache = new Map<string, Pipeline>();
  private readonly storageLayouts = new Map<string, { layout: GPUBindGroupLayout; id: number }>();
  readonly paramLayout: GPUBindGroupLayout;

  constructor(private device: GPUDevice, private errors: ErrorSink) {
    this.paramLayout = device.createBindGroupLayout({
      entries: [{ binding: 0, visibility: COMPUTE, buffer: { type: 'uniform', hasDynamicOffset: true } }],
    });
  }

  /** The group-1 layout of the storage bindings that `code` declares. */
  private storageLayout(code: string): { layout: GPUBindGroupLayout; id: number } {
    const entries: GPUBindGroupLayoutEntry[] = [];
    for (const m of code.matchAll(/@group\(1\) @binding\((\d+)\) var<storage, (read_write|read)>/g))
      entries.push({ binding: Number(m[1]), visibility: COMPUTE, buffer: { type: m[2] === 'read' ? 'read-only-storage' : 'storage' } });
    entries.sort((a, b) => a.binding - b.binding);
    const sig = entries.map((e) => `${e.binding}${e.buffer!.type === 'storage' ? 'w' : 'r'}`).join(',');
    let hit = this.storageLayouts.get(sig);
    if (!hit) this.storageLayouts.set(sig, (hit = { layout: this.device.createBindGroupLayout({ entries }), id: this.storageLayouts.size }));
    return hit;
  }

  get(key: string, build: () => string): Pipeline {
    const hit = this.cache.get(key);
    if (hit) return hit;
    const code = build();
    this.device.pushErrorScope('validation');
    const storage = this.storageLayout(code);
    const layout = this.device.createPipelineLayout({ bindGroupLayouts: [this.paramLayout, storage.layout] });
    const module = this.device.createShaderModule({ code, label: key });
    const pipeline = this.device.createComputePipeline({ layout, compute: { module, entryPoint: 'main' }, label: key });
    this.errors.watch(this.device, 'validation', () => `compiling kernel '${key}'`, async () => {
      const info = await module.getCompilationInfo();
      return info.messages.filter((m) => m.type === 'error').map((m) => `line ${m.lineNum}: ${m.message}`).join('; ');
    });
    const p = { pipeline, storage: storage.layout, storageId: storage.id, code };
    this.cache.set(key, p);
    return p;
  }

  get size(): number {
    return this.cache.size;
  }
}

/** Bind groups of storage buffers, cached by (layout, buffers). */
export class BindGroupCache {
  private readonly ids = new WeakMap<GPUBuffer, number>();
  private readonly groups = new Map<string, GPUBindGroup>();
  private readonly byBuffer = new Map<number, string[]>();
  private next = 1;
  hits = 0;
  misses = 0;

  constructor(private device: GPUDevice, private limit = 8192) {}

  private id(b: GPUBuffer): number {
    let i = this.ids.get(b);
    if (i === undefined) this.ids.set(b, (i = this.next++));
    return i;
  }

  get(p: Pipeline, buffers: GPUBuffer[]): GPUBindGroup {
    const ids = buffers.map((b) => this.id(b));
    const key = `${p.storageId}:${ids.join(',')}`;
    const hit = this.groups.get(key);
    if (hit) {
      this.hits++;
      return hit;
    }
    this.misses++;
    if (this.groups.size >= this.limit) this.clear();
    const group = this.device.createBindGroup({ layout: p.storage, entries: buffers.map((buffer, k) => ({ binding: k + 1, resource: { buffer } })) });
    this.groups.set(key, group);
    for (const i of new Set(ids)) {
      let keys = this.byBuffer.get(i);
      if (!keys) this.byBuffer.set(i, (keys = []));
      keys.push(key);
    }
    return group;
  }

  /** Drops the bind groups that use `b` (before it is destroyed). */
  forget(b: GPUBuffer): void {
    const i = this.ids.get(b);
    if (i === undefined) return;
    for (const key of this.byBuffer.get(i) ?? []) this.groups.delete(key);
    this.byBuffer.delete(i);
  }

  clear(): void {
    this.groups.clear();
    this.byBuffer.clear();
  }
}
