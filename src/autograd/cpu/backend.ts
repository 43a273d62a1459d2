// The pure-TypeScript CPU backend: typed arrays, a size-keyed pool, and the family drivers that
// run the op table's CPU loops over strided, broadcast operands.
import type { Backend, Storage, View } from '../backend.js';
import type { OpDef } from '../opdef.js';
import { arrayFor, bytesPerElement, type DType, type TypedArray } from '../dtype.js';
import { broadcastStrides, contiguousStrides, isContiguous, shapesEqual, sizeOf } from '../shape.js';
import { forEachRow } from './strided.js';
import { columnSum, isLeadingReduction } from './colsum.js';

const POOL_LIMIT_BYTES = 256 * 1024 * 1024;

class CpuBackend implements Backend {
  readonly device = 'cpu' as const;
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

  run(def: OpDef, inputs: View[], out: View, attrs: any): void {
    const y = out.storage.data as TypedArray;
    switch (def.kind) {
      case 'unary': {
        const x = inputs[0];
        const xd = x.storage.data as TypedArray;
        const loop = def.cpu;
        // Contiguous input: one row of all elements (skips the stride bookkeeping small ops pay for).
        if (isContiguous(x.shape, x.strides)) return loop(xd, x.offset, 1, y, 0, sizeOf(out.shape));
        forEachRow(out.shape, [x.strides], [x.offset], (o, n, s, row) => loop(xd, o[0], s[0], y, row * n, n));
        return;
      }
      case 'binary': {
        const [a, b] = inputs;
        const ad = a.storage.data as TypedArray;
        const bd = b.storage.data as TypedArray;
        const loop0 = def.cpu;
        // Same shape (or a scalar operand) and contiguous: one row, no broadcast bookkeeping.
        const ca = a.shape.length === 0 ? 0 : shapesEqual(a.shape, out.shape) && isContiguous(a.shape, a.strides) ? 1 : -1;
        const cb = b.shape.length === 0 ? 0 : shapesEqual(b.shape, out.shape) && isContiguous(b.shape, b.strides) ? 1 : -1;
        if (ca >= 0 && cb >= 0) return loop0(ad, a.offset, ca, bd, b.offset, cb, y, 0, sizeOf(out.shape));
        const sa = broadcastStrides(a.shape, a.strides, out.shape);
        const sb = broadcastStrides(b.shape, b.strides, out.shape);
        const loop = def.cpu;
        forEachRow(out.shape, [sa, sb], [a.offset, b.offset], (o, n, s, row) =>
          loop(ad, o[0], s[0], bd, o[1], s[1], y, row * n, n),
        );
        return;
      }
      case 'reduce': {
        // Inputs arrive permuted so the reduced dims are last; rows of length attrs.n reduce to one value.
        const x = inputs[0];
        const n: number = attrs.n;
        const rows = sizeOf(out.shape);
        // A sum over the leading dims of a row-major tensor (bias gradients): add its rows in place.
        if (def.name === 'sum' && rows > 1 && isLeadingReduction(x.shape, x.strides, rows, n))
          return columnSum(x.storage.data as TypedArray, x.offset, n, rows, y);
        const xd = isContiguous(x.shape, x.strides) ? (x.storage.data as TypedArray) : this.readSync(x);
        const base = isContiguous(x.shape, x.strides) ? x.offset : 0;
        const f = def.cpu;
        for (let r = 0; r < rows; r++) y[r] = f(xd, base + r * n, n);
        return;
      }
      case 'kernel':
        def.cpu(inputs, out, attrs);
        return;
    }
  }
}

/** Copies a strided view into a contiguous array. */
export function copyStrided(v: View, out: TypedArray, outOff = 0): void {
  const src = v.storage.data as TypedArray;
  forEachRow(v.shape, [v.strides], [v.offset], (o, n, s, row) => {
    let xi = o[0];
    const xs = s[0];
    const base = outOff + row * n;
    for (let i = 0; i < n; i++, xi += xs) out[base + i] = src[xi];
  });
}

export { contiguousStrides };
export const cpuBackend = new CpuBackend();
