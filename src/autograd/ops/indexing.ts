// Indexing: gather and scatterAdd are the primitives (each other's adjoint); indexSelect,
// embedding, oneHot, sort and topk are built from them and from argsort.
import { Tensor } from '../tensor.js';
import type { KernelDef } from '../opdef.js';
import type { View } from '../backend.js';
import type { TypedArray } from '../dtype.js';
import { fmt, normDim, sizeOf } from '../shape.js';
import { forEachRow } from '../cpu/strided.js';
import { cpuBackend } from '../cpu/backend.js';
import { deviceOf, runOp, scoped } from './core.js';
import { cast, contiguous } from './elementwise.js';
import { expand, reshape, slice, unsqueeze } from './shape.js';
import { arange, zeros } from './creation.js';

function checkIndex(op: string, x: Tensor, dim: number, index: Tensor, other?: Tensor): number {
  deviceOf(op, x, index, ...(other ? [other] : []));
  if (index.dtype !== 'int32') throw new Error(`${op}: index must be int32, got ${index.dtype}`);
  if (index.rank !== x.rank) throw new Error(`${op}: index ${fmt(index.shape)} must have the same rank as input ${fmt(x.shape)}`);
  const d = normDim(op, dim, x.rank);
  for (let i = 0; i < x.rank; i++)
    if (i !== d && index.shape[i] > x.shape[i])
      throw new Error(`${op}: index ${fmt(index.shape)} is larger than input ${fmt(x.shape)} at dim ${i}`);
  return d;
}

function outOfRange(op: string, v: number, n: number, dim: number): Error {
  return new Error(`${op}: index ${v} is out of range for dim ${dim} of size ${n}`);
}

export const GATHER: KernelDef<{ dim: number }> = {
  kind: 'kernel', name: 'gather',
  cpu: ([x, index]: View[], out: View, { dim }) => {
    const xd = x.storage.data as TypedArray, id = index.storage.data as Int32Array, y = out.storage.data as TypedArray;
    const n = x.shape[dim], xsd = x.strides[dim];
    // x's strides with the gathered dim zeroed: the index supplies that coordinate.
    const xs = x.strides.map((s, i) => (i === dim ? 0 : s));
    forEachRow(index.shape, [index.strides, xs], [index.offset, x.offset], (o, len, s, row) => {
      let ii = o[0], xi = o[1];
      for (let k = 0; k < len; k++, ii += s[0], xi += s[1]) {
        const v = id[ii];
        if (v < 0 || v >= n) throw outOfRange('gather', v, n, dim);
        y[row * len + k] = xd[xi + v * xsd];
      }
    });
  },
  grad: (dy, { inputs: [x, index], attrs: { dim } }) => [scatterAdd(zerosOf(x), dim, index, dy), null],
};

export const SCATTER_ADD: KernelDef<{ dim: number }> = {
  kind: 'kernel', name: 'scatterAdd',
  cpu: ([x, index, src]: View[], out: View, { dim }) => {
    const y = out.storage.data as TypedArray;
    y.set(cpuBackend.readSync(x));
    const id = index.storage.data as Int32Array, sd = src.storage.data as TypedArray;
    const n = out.shape[dim], ysd = out.strides[dim];
    const ys = out.strides.map((s, i) => (i === dim ? 0 : s));
    // Sequential in index order: deterministic.
    forEachRow(index.shape, [index.strides, src.strides, ys], [index.offset, src.offset, 0], (o, len, s) => {
      let ii = o[0], si = o[1], yi = o[2];
      for (let k = 0; k < len; k++, ii += s[0], si += s[1], yi += s[2]) {
        const v = id[ii];
        if (v < 0 || v >= n) throw outOfRange('scatterAdd', v, n, dim);
        y[yi + v * ysd] += sd[si];
      }
    });
  },
  grad: (dy, { inputs: [, index, src], attrs: { dim } }) => [dy, null, src.requiresGrad ? gather(dy, dim, index) : null],
};

// Not x.mul(0): that is NaN where x is ±inf or NaN.
function zerosOf(x: Tensor): Tensor {
  return zeros(x.shape, { dtype: x.dtype, device: x.device });
}

/** out[i][j] = x[index[i][j]][j] (for dim 0), and so on: torch.gather. */
export function gather(x: Tensor, dim: number, index: Tensor): Tensor {
  const d = checkIndex('gather', x, dim, index);
  return runOp(GATHER, [x, index], index.shape, x.dtype, { dim: d });
}

/** A copy of x with src added at the positions index names along dim (torch.scatter_add). */
export function scatterAdd(x: Tensor, dim: number, index: Tensor, src: Tensor): Tensor {
  const d = checkIndex('scatterAdd', x, dim, index, src);
  if (src.rank !== index.rank || index.shape.some((s, i) => s > src.shape[i]))
    throw new Error(`scatterAdd: src ${fmt(src.shape)} must cover index ${fmt(index.shape)}`);
  const s = src.dtype === x.dtype ? src : cast(src, x.dtype);
  return runOp(SCATTER_ADD, [x, index, s], x.shape, x.dtype, { dim: d });
}

/** Selects entries along dim by a 1-D int32 index (torch.index_select). */
export const indexSelect = scoped(function indexSelect(x: Tensor, dim: number, index: Tensor): Tensor {
  const d = normDim('indexSelect', dim, x.rank);
  if (index.rank !== 1) throw new Error(`indexSelect: index must be 1-D, got ${fmt(index.shape)}`);
  const shape = [...x.shape];
  shape[d] = index.shape[0];
  const view = x.shape.map((_, i) => (i === d ? index.shape[0] : 1));
  return gather(x, d, contiguous(expand(reshape(index, view), shape)));
});

/** Rows of `weight` [V, D] picked by integer ids of any shape: [...ids.shape, D]. */
export const embedding = scoped(function embedding(ids: Tensor, weight: Tensor): Tensor {
  if (weight.rank !== 2) throw new Error(`embedding: weight must be [numEmbeddings, dim], got ${fmt(weight.shape)}`);
  const flat = reshape(ids.dtype === 'int32' ? ids : cast(ids, 'int32'), [-1]);
  return reshape(indexSelect(weight, 0, flat), [...ids.shape, weight.shape[1]]);
});

/** One-hot encoding along a new last dim (int32 by default). */
export const oneHot = scoped(function oneHot(ids: Tensor, numClasses: number, opts: { dtype?: 'int32' | 'float32' | 'float64' } = {}): Tensor {
  if (ids.dtype !== 'int32') throw new Error(`oneHot: ids must be int32, got ${ids.dtype}`);
  if (ids.device === 'cpu' && ids.size > 0) {
    const d = ids.dataSync();
    for (const v of d) if (v < 0 || v >= numClasses) throw new Error(`oneHot: class ${v} is out of range for ${numClasses} classes`);
  }
  const m = unsqueeze(ids, -1).eq(arange(numClasses, { device: ids.device }));
  return cast(m, opts.dtype ?? 'int32');
});

// ---------------------------------------------------------------- sorting
export const ARGSORT: KernelDef<{ dim: number; descending: boolean }> = {
  kind: 'kernel', name: 'argsort',
  cpu: ([x]: View[], out: View, { dim, descending }) => {
    const xd = cpuBackend.readSync(x);
    const y = out.storage.data as Int32Array;
    const n = x.shape[dim], inner = sizeOf(x.shape.slice(dim + 1)), outer = sizeOf(x.shape.slice(0, dim));
    const idx = new Array<number>(n);
    const vals = new Float64Array(n);
    // NaN sorts as the largest value; ties keep index order (a stable sort).
    const key = (v: number) => (v !== v ? Infinity : v);
    for (let o = 0; o < outer; o++)
      for (let j = 0; j < inner; j++) {
        const base = o * n * inner + j;
        for (let k = 0; k < n; k++) { idx[k] = k; vals[k] = xd[base + k * inner]; }
        idx.sort((p, q) => {
          const a = key(vals[p]), b = key(vals[q]);
          const c = a === b ? (vals[p] !== vals[p] ? 1 : 0) - (vals[q] !== vals[q] ? 1 : 0) : a < b ? -1 : 1;
          return (descending ? -c : c) || p - q;
        });
        for (let k = 0; k < n; k++) y[base + k * inner] = idx[k];
      }
  },
};

export const argsort = scoped(function argsort(x: Tensor, dim = -1, descending = false): Tensor {
  const d = normDim('argsort', dim, x.rank);
  return runOp(ARGSORT, [x], x.shape, 'int32', { dim: d, descending });
});

export const sort = scoped(function sort(x: Tensor, dim = -1, descending = false): { values: Tensor; indices: Tensor } {
  const indices = argsort(x, dim, descending);
  return { values: gather(x, normDim('sort', dim, x.rank), indices), indices };
});

export const topk = scoped(function topk(x: Tensor, k: number, dim = -1, largest = true): { values: Tensor; indices: Tensor } {
  const d = normDim('topk', dim, x.rank);
  if (!Number.isInteger(k) || k < 0 || k > x.shape[d]) throw new Error(`topk: k=${k} is out of range for dim ${dim} of size ${x.shape[d]}`);
  const indices = contiguous(slice(argsort(x, d, largest), d, 0, k));
  return { values: gather(x, d, indices), indices };
});
