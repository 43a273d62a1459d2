// The backend interface: what the op table needs from a device. A backend owns storage (typed
// arrays on the CPU, GPU buffers on WebGPU), declares its capabilities, and gives one kernel per
// op-table entry: its kernel map, typed against the table (KernelMap in ops/table.ts), so that a
// missing kernel is a compile-time error. The ops know nothing of any backend.
import type { DType, TypedArray } from './dtype.js';
import type { RandomRequest } from './random.js';
import type { FusedNode } from './fusion.js';

/** 'cpu' and 'webgpu' come with papergrad; other names are backends registered by users and tests. */
export type Device = 'cpu' | 'webgpu' | (string & {});

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
  /** memory.ts's bookkeeping once a tensor of this storage joined the GC safety net. @internal */
  gcCell?: unknown;
  /** Inside pg.compile: the deferred elementwise computation of this storage (fusion.ts), until it runs. */
  pending?: { run(): void; drop(): void };
}

/** A strided window onto a storage: what kernels read and write. Tensors implement it. */
export interface View {
  readonly storage: Storage;
  readonly dtype: DType;
  readonly shape: readonly number[];
  readonly strides: readonly number[];
  readonly offset: number;
}

/** A kernel: reads `inputs` and writes every element of `out` (fresh and contiguous). */
export type Kernel<A = any> = (inputs: View[], out: View, attrs: A) => void;

/** In a kernel map: "run the op's composite of primitives" (the entry's `composite`), not a kernel. */
export const COMPOSITE = 'composite';

/** A kernel map as the engine reads it (backends type theirs with KernelMap, ops/table.ts). */
export type KernelTable = { readonly [op: string]: Kernel | typeof COMPOSITE | undefined };

/**
 * - 'reference': float results bit-identical to the CPU backend's (float64 accumulation in the CPU's
 *   order, the portable math library of math.ts);
 * - 'fast': deterministic from run to run, within each op's declared tolerance of those results
 *   (the op's `check.tol`).
 */
export type PrecisionMode = 'reference' | 'fast';

export interface Capabilities {
  /** The dtypes its storage holds. */
  readonly dtypes: readonly DType[];
  /** It draws seeded random streams itself (Backend.random); otherwise random tensors are filled on the CPU and uploaded. */
  readonly randomStreams: boolean;
  /** 'workers': big kernels can be split across worker threads (the CPU: pg.initCpuThreads). */
  readonly threads: 'none' | 'workers';
  /** The precision modes it can run; the first is its default. */
  readonly precision: readonly PrecisionMode[];
}

export interface Backend {
  readonly device: Device;
  readonly caps: Capabilities;
  /** One kernel per op-table entry, by op name (a stub backend may give only some). */
  readonly kernels: KernelTable;
  /** Uninitialised storage of `size` elements; kernels overwrite all of it. */
  alloc(dtype: DType, size: number): Storage;
  /** Storage holding a copy of `data`. */
  upload(dtype: DType, data: TypedArray): Storage;
  /** Called when refs reaches zero: returns memory to the pool. */
  release(s: Storage): void;
  /**
   * True when each storage's memory is a typed array of its own, which the JS garbage collector
   * frees with its last tensor (the pure-JS CPU backend); otherwise (GPU buffers, blocks of a wasm
   * heap) the GC safety net calls release() for tensors dropped without dispose(). Default false.
   */
  readonly releasedByGc?: boolean;
  /** The view's elements in row-major order (a fresh array). */
  read(v: View): Promise<TypedArray>;
  readSync?(v: View): TypedArray;
  /** Submits queued work (WebGPU); absent on the CPU. */
  flush?(): void;
  /** A random tensor drawn on the device (when caps.randomStreams): the same numbers as the CPU fills. */
  random?(req: RandomRequest): Storage;
  /**
   * Elementwise fusion (pg.compile, fusion.ts), optional: whether op `op` with these argument and
   * output dtypes can be a node of a fused kernel; whether an expression costs more to recompute
   * in each consumer than to store once (then it is not inlined); and running a fused expression
   * into out (contiguous) from inputs broadcast to out's shape, with the bits of its ops run one by one.
   */
  fusible?(op: string, args: readonly DType[], out: DType): boolean;
  fusionExpensive?(root: FusedNode): boolean;
  runFused?(root: FusedNode, inputs: readonly View[], out: View): void;
  /**
   * Optional fused kernel of the softmax composite (ops/nn.ts; with `log`, of logSoftmax's) over
   * the last dim, with the composite's bits on this backend: writes softmax(x) (logSoftmax(x)) into
   * out, exp(x - max) into e (x's shape; e may be out itself) and the row sums of e into s (x's
   * shape with a last dim of 1), all contiguous, and returns true; or returns false where it does
   * not apply (dtype, layout), writing nothing.
   */
  softmaxRows?(x: View, out: View, e: View, s: View, log?: boolean): boolean;
  /**
   * Optional fused Adam update in place (pg.nn's Adam and AdamW, cpu/adam.ts has the formula),
   * with the bits of the optimizer's op path on this backend: p, m and v (the moment buffers) are
   * overwritten, g is read; all four contiguous over their whole storage (g: contiguous), of one
   * float dtype. Returns false where it does not apply, writing nothing.
   */
  adamStep?(p: View, g: View, m: View, v: View, c: AdamScalars): boolean;
}

/**
 * The scalars of one Adam step (Backend.adamStep), as float64 numbers; a float32 update rounds each
 * to float32 first, as the op path's scalar operands are. m = m + (g - m) c1;
 * v = v b2 + g g c2; p = p + (m / (sqrt(v) / sqrtBc2 + eps)) negStep.
 */
export interface AdamScalars {
  /** 1 - beta1. */
  c1: number;
  b2: number;
  /** 1 - beta2. */
  c2: number;
  /** sqrt(1 - beta2^t). */
  sqrtBc2: number;
  eps: number;
  /** -lr / (1 - beta1^t). */
  negStep: number;
}
