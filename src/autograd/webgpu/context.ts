/// <reference types="@webgpu/types" />
// What a kernel needs from the backend: pipelines, parameter blocks, buffers, dispatch.
import type { Storage, View } from '../backend.js';
import type { DType } from '../dtype.js';
import type { Params } from './wgsl.js';

export interface Ctx {
  readonly gpu: GPUDevice;
  /** Encodes one dispatch of the pipeline `key` (built by `build` on first use). */
  launch(key: string, build: () => string, params: Params, vals: Record<string, number | readonly number[]>, buffers: GPUBuffer[], grid: readonly [number, number, number]): void;
  /** The GPU buffer behind a view (throws if the storage was released). */
  buffer(v: View): GPUBuffer;
  /** The device-wide status word kernels raise on a bad index (read back with the next readback). */
  readonly status: GPUBuffer;
  /** Scratch storage; give it back with release(). */
  alloc(dtype: DType, size: number): Storage;
  release(s: Storage): void;
}

/** Error codes kernels write into the status buffer: [code, value, limit, dim]. */
export const STATUS = { gather: 1, scatterAdd: 2 } as const;
export const STATUS_NAMES: Record<number, string> = { 1: 'gather', 2: 'scatterAdd' };

/** WGSL declaring the status buffer at `binding` and a function raising it once. */
export function statusWGSL(binding: number): string {
  return `@group(1) @binding(${binding}) var<storage, read_write> pg_status: array<atomic<u32>, 4>;
fn pg_raise(code: u32, value: i32, limit: u32, dim: u32) {
  if (atomicCompareExchangeWeak(&pg_status[0], 0u, 0xffffffffu).exchanged) {
    atomicStore(&pg_status[1], bitcast<u32>(value));
    atomicStore(&pg_status[2], limit);
    atomicStore(&pg_status[3], dim);
    atomicStore(&pg_status[0], code);
  }
}
`;
}
