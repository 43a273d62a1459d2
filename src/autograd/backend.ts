// The backend interface: what the op table needs from a device. A backend owns storage
// (typed arrays on the CPU, GPU buffers on WebGPU) and runs kernels of each op family.
import type { DType, TypedArray } from './dtype.js';
import type { OpDef } from './opdef.js';

export type Device = 'cpu' | 'webgpu';

/** Reference-counted memory holding the elements of one or more tensor views. */
export interface Storage {
  readonly backend: Backend;
  readonly dtype: DType;
  /** Number of elements. */
  readonly size: number;
  /** Float32Array & co on the CPU, a GPUBuffer on WebGPU. */
  data: any;
  /** Number of live tensors (and saved graph values) using this storage. */
  refs: number;
}

/** A strided window onto a storage: what kernels read and write. Tensors implement it. */
export interface View {
  readonly storage: Storage;
  readonly dtype: DType;
  readonly shape: readonly number[];
  readonly strides: readonly number[];
  readonly offset: number;
}

export interface Backend {
  readonly device: Device;
  /** Uninitialised storage of `size` elements; kernels overwrite all of it. */
  alloc(dtype: DType, size: number): Storage;
  /** Storage holding a copy of `data`. */
  upload(dtype: DType, data: TypedArray): Storage;
  /** Called when refs reaches zero: returns memory to the pool. */
  release(s: Storage): void;
  /** The view's elements in row-major order (a fresh array). */
  read(v: View): Promise<TypedArray>;
  readSync?(v: View): TypedArray;
  /** Runs the kernel of `def` (whatever its family) writing into `out` (contiguous, fresh). */
  run(def: OpDef, inputs: View[], out: View, attrs: any): void;
  /** Submits queued work (WebGPU); a no-op on the CPU. */
  flush?(): void;
}
