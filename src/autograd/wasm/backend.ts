// The wasm backend: tensors in one WebAssembly.Memory (heap.ts), kernels emitted as wasm bytes at
// run time (kernels.ts), and the pure-JS CPU kernels, run on views of the same memory, for the ops
// where a wasm kernel is not worth it. It serves the 'cpu' device wherever WebAssembly compiles
// (src/autograd/index.ts); under a Content-Security-Policy without 'wasm-unsafe-eval' the pure-JS
// backend (cpu/) serves it instead.
//
// Determinism contract (docs/engine.md, "The wasm backend"): in 'reference' precision (the
// default) every result has the pure-JS backend's bits; in 'fast' precision float32 matmul
// accumulates in float32 (a fixed order: the same bits from run to run and for any thread count),
// within each op's declared tolerance of the reference.
import type { AdamScalars, Backend, Capabilities, PrecisionMode, Storage, View } from '../backend.js';
import type { DType, TypedArray } from '../dtype.js';
import { readView } from '../cpu/strided.js';
import { heap } from './runtime.js';
import { adamStep, runFusedExpr, softmaxRows, wasmKernels } from './kernels.js';
import { supported, usesMath } from './elementwise.js';
import type { FusedNode } from '../fusion.js';

export class WasmBackend implements Backend {
  readonly kernels = wasmKernels;
  /** The precision its kernels run in (kernels read it from their output's storage). */
  precision: PrecisionMode;

  constructor(readonly device: string, precision: PrecisionMode = 'reference') {
    this.precision = precision;
  }

  get caps(): Capabilities {
    return {
      dtypes: ['float32', 'float64', 'int32', 'bool'],
      randomStreams: false, // random fills are the CPU's (random.ts), written into the heap
      threads: 'workers', // pg.initCpuThreads: matmul blocks on worker threads over the shared memory
      precision: this.precision === 'reference' ? ['reference', 'fast'] : ['fast', 'reference'],
    };
  }

  alloc(dtype: DType, size: number): Storage {
    return heap().alloc(this, dtype, size);
  }

  upload(dtype: DType, src: TypedArray): Storage {
    const s = this.alloc(dtype, src.length);
    (s.data as TypedArray).set(src);
    return s;
  }

  release(s: Storage): void {
    heap().release(s);
  }

  readSync(v: View): TypedArray {
    return readView(v);
  }

  async read(v: View): Promise<TypedArray> {
    return this.readSync(v);
  }

  // Elementwise fusion (pg.compile): any chain of ops that have wasm lanes runs as one kernel.
  fusible(op: string, args: readonly DType[], out: DType): boolean {
    return supported(op, args, out);
  }

  fusionExpensive(root: FusedNode): boolean {
    return usesMath(root);
  }

  runFused(root: FusedNode, inputs: readonly View[], out: View): void {
    runFusedExpr(root, inputs, out);
  }

  softmaxRows(x: View, out: View, e: View, s: View, log?: boolean): boolean {
    return softmaxRows(x, out, e, s, log);
  }

  adamStep(p: View, g: View, m: View, v: View, c: AdamScalars): boolean {
    return adamStep(p, g, m, v, c);
  }
}
