// Matrix multiplication with NumPy semantics: 1-D operands are promoted and squeezed back,
// batch dims broadcast. The kernels take arbitrary strides, so transposes are free.
import { Tensor } from '../tensor.js';
import type { OpDef } from '../opdef.js';
import { ints, normal } from '../opdef.js';
import { isFloat, promote } from '../dtype.js';
import { broadcastShapes, fmt } from '../shape.js';
import { runOp, deviceOf, scoped, sumTo } from './core.js';

/** [..., M, K] @ [..., K, N] with broadcast batch dims (attrs.batch: the output's). */
export const MATMUL = {
  kind: 'kernel', name: 'matmul',
  grad: (dy, { inputs: [a, b] }) => [
    a.requiresGrad ? sumTo(matmul(dy, b.transpose()), a.shape) : null,
    b.requiresGrad ? sumTo(matmul(a.transpose(), dy), b.shape) : null,
  ],
  check: { tol: { rel: 1e-5 }, examples: [
    { note: '2-D odd sizes', inputs: [normal([7, 5]), normal([5, 6])], call: (a, b) => matmul(a, b) },
    { note: 'vectors', inputs: [normal([4]), normal([4, 5]), normal([3, 4])], call: (v, b, a) => [matmul(v, b), matmul(a, v), matmul(v, v)] },
    { note: 'batched with broadcasting', inputs: [normal([2, 1, 3, 4]), normal([3, 4, 2])], call: (a, b) => matmul(a, b) },
    { note: 'transposed operands', inputs: [normal([4, 3]), normal([5, 4])], call: (a, b) => matmul(a.transpose(), b.transpose()) },
    { note: 'packed path (64 x 48 x 80)', inputs: [normal([64, 48]), normal([48, 80])], call: (a, b) => matmul(a, b), grad: false },
    { note: 'int inputs, empty K', inputs: [ints([6, 7], -5, 5), ints([7, 3], -5, 5), normal([4, 0]), normal([0, 3])], call: (a, b, c, d) => [matmul(a, b), matmul(c, d)], grad: false },
  ] },
} satisfies OpDef<{ batch: number[] }>;

export const matmul = scoped(function matmul(a: Tensor, b: Tensor): Tensor {
  deviceOf('matmul', a, b);
  if (a.rank === 0 || b.rank === 0) throw new Error(`matmul: both operands need at least 1 dim, got ${fmt(a.shape)} @ ${fmt(b.shape)}`);
  let dtype = promote(a.dtype, b.dtype);
  if (!isFloat(dtype)) dtype = 'float32';
  const a2 = a.rank === 1 ? a.unsqueeze(0) : a;
  const b2 = b.rank === 1 ? b.unsqueeze(-1) : b;
  const K = a2.shape[a2.rank - 1];
  if (b2.shape[b2.rank - 2] !== K) throw new Error(`matmul: inner dimensions differ: ${fmt(a.shape)} @ ${fmt(b.shape)}`);
  const batch = broadcastShapes('matmul', a2.shape.slice(0, -2), b2.shape.slice(0, -2));
  const shape = [...batch, a2.shape[a2.rank - 2], b2.shape[b2.rank - 1]];
  const ac = a2.dtype === dtype ? a2 : a2.cast(dtype);
  const bc = b2.dtype === dtype ? b2 : b2.cast(dtype);
  let out = runOp(MATMUL, [ac, bc], shape, dtype, { batch });
  if (a.rank === 1) out = out.squeeze(-2);
  if (b.rank === 1) out = out.squeeze(-1);
  return out;
});
