// Indexing: gather and scatterAdd are the primitives (each other's adjoint); indexSelect,
// embedding, oneHot, sort and topk are built from them and from argsort.
import { Tensor } from '../tensor.js';
import type { OpDef } from '../opdef.js';
import { ints, normal, values } from '../opdef.js';
import { fmt, normDim } from '../shape.js';
import { deviceOf, runOp, scoped } from './core.js';
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

export const GATHER = {
  kind: 'kernel', name: 'gather',
  grad: (dy, { inputs: [x, index], attrs: { dim } }) => [scatterAdd(zerosOf(x), dim, index, dy), null],
  check: { examples: [
    { inputs: [normal([2, 3]), values([0, 0, 2, 1, 0, 1], 'int32', [2, 3])], call: (x, i) => gather(x, 1, i) },
    { note: 'both dims, indexSelect, embedding', inputs: [normal([6, 7]), ints([6, 3], 0, 7), ints([4, 7], 0, 6), ints([2, 3], 0, 6)],
      call: (x, i, j, k) => [gather(x, 1, i), gather(x, 0, j), indexSelect(x, 0, k.reshape([-1])), embedding(k, x)] },
    { note: 'strided input and index', inputs: [normal([7, 6]), ints([6, 3], 0, 7)], call: (x, i) => gather(x.transpose(), 1, i.transpose()) },
  ] },
} satisfies OpDef<{ dim: number }>;

export const SCATTER_ADD = {
  kind: 'kernel', name: 'scatterAdd',
  // src elements beyond the index's extent are not used: their gradient is 0 (padded at the ends).
  grad: (dy, { inputs: [, index, src], attrs: { dim } }) => {
    if (!src.requiresGrad) return [dy, null, null];
    const g = gather(dy, dim, index);
    const pads = src.shape.flatMap((_, i) => [0, src.shape[src.rank - 1 - i] - index.shape[src.rank - 1 - i]]);
    return [dy, null, pads.some((p) => p > 0) ? g.pad(pads) : g];
  },
  check: { examples: [
    { note: 'with duplicates', inputs: [normal([5, 4]), ints([9, 4], 0, 5), normal([9, 4])], call: (x, i, s) => scatterAdd(x, 0, i, s) },
    { note: 'dim 1, src larger than index', inputs: [normal([5, 4]), ints([3, 6], 0, 4), normal([5, 6])], call: (x, i, s) => scatterAdd(x, 1, i, s) },
    { note: 'int32', inputs: [ints([6], 0, 9), ints([20], 0, 6), ints([20], -5, 5)], call: (x, i, s) => scatterAdd(x, 0, i, s), grad: false },
  ] },
} satisfies OpDef<{ dim: number }>;

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
  const s = src.dtype === x.dtype ? src : src.cast(x.dtype);
  return runOp(SCATTER_ADD, [x, index, s], x.shape, x.dtype, { dim: d });
}

/** Selects entries along dim by a 1-D int32 index (torch.index_select). */
export const indexSelect = scoped(function indexSelect(x: Tensor, dim: number, index: Tensor): Tensor {
  const d = normDim('indexSelect', dim, x.rank);
  if (index.rank !== 1) throw new Error(`indexSelect: index must be 1-D, got ${fmt(index.shape)}`);
  const shape = [...x.shape];
  shape[d] = index.shape[0];
  const view = x.shape.map((_, i) => (i === d ? index.shape[0] : 1));
  return gather(x, d, index.reshape(view).expand(shape).contiguous());
});

/** Rows of `weight` [V, D] picked by integer ids of any shape: [...ids.shape, D]. */
export const embedding = scoped(function embedding(ids: Tensor, weight: Tensor): Tensor {
  if (weight.rank !== 2) throw new Error(`embedding: weight must be [numEmbeddings, dim], got ${fmt(weight.shape)}`);
  const flat = (ids.dtype === 'int32' ? ids : ids.cast('int32')).reshape([-1]);
  return indexSelect(weight, 0, flat).reshape([...ids.shape, weight.shape[1]]);
});

/** One-hot encoding along a new last dim (int32 by default). */
export const oneHot = scoped(function oneHot(ids: Tensor, numClasses: number, opts: { dtype?: 'int32' | 'float32' | 'float64' } = {}): Tensor {
  if (ids.dtype !== 'int32') throw new Error(`oneHot: ids must be int32, got ${ids.dtype}`);
  if (ids.storage.backend.readSync && ids.size > 0) {
    const d = ids.dataSync();
    for (const v of d) if (v < 0 || v >= numClasses) throw new Error(`oneHot: class ${v} is out of range for ${numClasses} classes`);
  }
  const m = ids.unsqueeze(-1).eq(arange(numClasses, { device: ids.device }));
  return m.cast(opts.dtype ?? 'int32');
});

// ---------------------------------------------------------------- sorting
/** Indices that sort x along dim; NaN sorts as the largest value; ties keep index order (stable). */
export const ARGSORT: OpDef<{ dim: number; descending: boolean }> = {
  kind: 'kernel', name: 'argsort',
  check: { examples: [
    { note: 'ties', inputs: [ints([4, 25], 0, 6)], call: (x) => { const f = x.float(); return [argsort(f, -1), argsort(f, 0, true), sort(f, 1, true).values, topk(f, 3).indices, topk(f, 3, 0, false).values]; } },
    { note: 'NaN, -0, strided', inputs: [values([3, NaN, -0, 0, -Infinity, NaN, 1]), normal([6, 5])], call: (x, y) => [argsort(x), argsort(x, 0, true), argsort(y.transpose(), 1)] },
    { note: 'sort and topk values (differentiable through gather)', inputs: [normal([3, 4])], call: (x) => [sort(x, 1).values, topk(x, 2, 0).values] },
  ] },
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
  const indices = argsort(x, d, largest).slice(d, 0, k).contiguous();
  return { values: gather(x, d, indices), indices };
});
