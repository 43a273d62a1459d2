// The pure-TypeScript CPU backend: typed arrays in a size-keyed pool, and the kernel map of
// kernels.ts. It is the reference: other backends are tested against its results.
import type { Backend, Capabilities, Storage, View } from '../backend.js';
import { arrayFor, bytesPerElement, type DType, type TypedArray } from '../dtype.js';
import { isContiguous, sizeOf } from '../shape.js';
import { copyStrided } from './strided.js';
import { cpuKernels } from './kernels.js';

const POOL_LIMIT_BYTES = 256 * 1024 * 1024;

class CpuBackend implements Backend {
  readonly device = 'cpu' as const;
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
    const src = v.storage.data as TypedArray;
    if (!src) throw new Error('read: storage was released');
    const n = sizeOf(v.shape);
    if (isContiguous(v.shape, v.strides)) return src.slice(v.offset, v.offset + n);
    const out = arrayFor(v.dtype, n);
    copyStrided(v, out);
    return out;
  }

  async read(v: View): Promise<TypedArray> {
    return this.readSync(v);
  }
}

export const cpuBackend = new CpuBackend();
