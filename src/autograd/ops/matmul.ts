// Matrix multiplication with NumPy semantics: 1-D operands are promoted and squeezed back,
// batch dims broadcast. The CPU kernel takes arbitrary strides, so transposes are free.
import { Tensor } from '../tensor.js';
import type { KernelDef } from '../opdef.js';
import type { View } from '../backend.js';
import { isFloat, promote, type FloatArray } from '../dtype.js';
import { broadcastShapes, broadcastStrides, fmt, sizeOf, contiguousStrides } from '../shape.js';
import { matmulCpu } from '../cpu/threads.js';
import { runOp, deviceOf, scoped } from './core.js';
import { cast } from './elementwise.js';
import { sumTo } from './reduce.js';
import { squeeze, transpose, unsqueeze } from './shape.js';

export const MATMUL: KernelDef<{ batch: number[] }> = {
  kind: 'kernel', name: 'matmul',
  cpu: ([a, b]: View[], out: View, { batch }) => {
    const M = a.shape[a.shape.length - 2], K = a.shape[a.shape.length - 1], N = b.shape[b.shape.length - 1];
    const ra = a.shape.length, rb = b.shape.length;
    const sa = broadcastStrides(a.shape.slice(0, -2), a.strides.slice(0, -2), batch);
    const sb = broadcastStrides(b.shape.slice(0, -2), b.strides.slice(0, -2), batch);
    const bstr = contiguousStrides(batch);
    const y = out.storage.data as FloatArray;
    const nb = sizeOf(batch);
    for (let i = 0; i < nb; i++) {
      let ao = a.offset, bo = b.offset, rem = i;
      for (let d = 0; d < batch.length; d++) {
        const k = Math.floor(rem / bstr[d]);
        rem -= k * bstr[d];
        ao += k * sa[d];
        bo += k * sb[d];
      }
      matmulCpu(a.storage.data, ao, a.strides[ra - 2], a.strides[ra - 1], b.storage.data, bo, b.strides[rb - 2], b.strides[rb - 1], y, i * M * N, M, N, K);
    }
  },
  grad: (dy, { inputs: [a, b] }) => [
    a.requiresGrad ? sumTo(matmul(dy, transpose(b)), a.shape) : null,
    b.requiresGrad ? sumTo(matmul(transpose(a), dy), b.shape) : null,
  ],
};

export const matmul = scoped(function matmul(a: Tensor, b: Tensor): Tensor {
  deviceOf('matmul', a, b);
  if (a.rank === 0 || b.rank === 0) throw new Error(`matmul: both operands need at least 1 dim, got ${fmt(a.shape)} @ ${fmt(b.shape)}`);
  let dtype = promote(a.dtype, b.dtype);
  if (!isFloat(dtype)) dtype = 'float32';
  const a2 = a.rank === 1 ? unsqueeze(a, 0) : a;
  const b2 = b.rank === 1 ? unsqueeze(b, -1) : b;
  const K = a2.shape[a2.rank - 1];
  if (b2.shape[b2.rank - 2] !== K) throw new Error(`matmul: inner dimensions differ: ${fmt(a.shape)} @ ${fmt(b.shape)}`);
  const batch = broadcastShapes('matmul', a2.shape.slice(0, -2), b2.shape.slice(0, -2));
  const shape = [...batch, a2.shape[a2.rank - 2], b2.shape[b2.rank - 1]];
  const ac = a2.dtype === dtype ? a2 : cast(a2, dtype);
  const bc = b2.dtype === dtype ? b2 : cast(b2, dtype);
  let out = runOp(MATMUL, [ac, bc], shape, dtype, { batch });
  if (a.rank === 1) out = squeeze(out, -2);
  if (b.rank === 1) out = squeeze(out, -1);
  return out;
});
