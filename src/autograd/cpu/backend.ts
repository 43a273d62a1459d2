// The pure-TypeScript CPU backend: typed arrays in a size-keyed pool, and the kernel map of
// kernels.ts. It is the reference: other backends are tested against its results. It is always
// registered as the 'js' device, and serves the 'cpu' device where WebAssembly does not compile
// (a Content-Security-Policy without 'wasm-unsafe-eval'); elsewhere the wasm backend serves 'cpu'.
import type { AdamScalars, Backend, Capabilities, Storage, View } from '../backend.js';
import { arrayFor, bytesPerElement, type DType, type TypedArray } from '../dtype.js';
import { readView } from './strided.js';
import { cpuKernels } from './kernels.js';
import { adamStepJs } from './adam.js';

const POOL_LIMIT_BYTES = 256 * 1024 * 1024;

export class CpuBackend implements Backend {
  constructor(readonly device: string = 'cpu') {}
  /** Every storage is a typed array of its own: the GC frees a dropped tensor's memory itself. */
  readonly releasedByGc = true;
  readonly caps: Capabilities = {
    dtypes: ['float32', 'float64', 'int32', 'bool'],
    randomStreams: false, // the CPU fills are the reference the others reproduce (random.ts)
    threads: 'workers', // matmul, with pg.initCpuThreads
    precision: ['reference'],
  };
  readonly kernels = cpuKernels;
  private pool = new Map<string, TypedArray[]>();
  private pooledBytes = 0;

  alloc(dtype: DType, size: number): Storage {
    const list = this.pool.get(`${dtype}:${size}`);
    let data = list?.pop();
    if (data) this.pooledBytes -= size * bytesPerElement(dtype);
    else data = arrayFor(dtype, size);
    return { backend: this, dtype, size, data, refs: 0 };
  }

  upload(dtype: DType, src: TypedArray): Storage {
    const s = this.alloc(dtype, src.length);
    (s.data as TypedArray).set(src);
    return s;
  }

  release(s: Storage): void {
    const bytes = s.size * bytesPerElement(s.dtype);
    if (s.size === 0 || this.pooledBytes + bytes > POOL_LIMIT_BYTES) return;
    const key = `${s.dtype}:${s.size}`;
    let list = this.pool.get(key);
    if (!list) this.pool.set(key, (list = []));
    list.push(s.data);
    this.pooledBytes += bytes;
    s.data = null;
  }

  readSync(v: View): TypedArray {
    return readView(v);
  }

  async read(v: View): Promise<TypedArray> {
    return this.readSync(v);
  }

  adamStep(p: View, g: View, m: View, v: View, c: AdamScalars): boolean {
    return adamStepJs(p, g, m, v, c);
  }
}

/** The pure-JS backend under its own name, 'js' (the reference the wasm backend is tested against). */
export const jsBackend = new CpuBackend('js');
