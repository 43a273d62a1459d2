// Tensor methods: t.add(u) is add(t, u). They are installed on Tensor.prototype here, above the
// op table, so that tensor.ts needs nothing from the ops (no import cycle), and op files call each
// other's ops as methods instead of importing each other.
import { Tensor, type Dims, type TensorLike } from '../tensor.js';
import type { Device } from '../backend.js';
import type { DType } from '../dtype.js';
import { fmt } from '../shape.js';
import { backward, checkInPlace } from '../engine.js';
import * as E from './elementwise.js';
import * as R from './reduce.js';
import * as S from './shape.js';
import * as I from './indexing.js';
import * as C from './creation.js';
import { matmul } from './matmul.js';
import { logSoftmax, softmax } from './nn.js';

type Shape = number[] | [readonly number[]];
const flat = (a: Shape): number[] => (a.length === 1 && Array.isArray(a[0]) ? [...(a[0] as readonly number[])] : (a as number[]));

const methods = {
  // ---- autograd, conversion, memory ----
  backward(this: Tensor, gradient?: Tensor | { retainGraph?: boolean; createGraph?: boolean }, opts?: { retainGraph?: boolean; createGraph?: boolean }): void { backward(this, gradient, opts); },
  to(this: Tensor, target: Device | DType): Tensor { return C.to(this, target); },
  cast(this: Tensor, dtype: DType): Tensor { return E.cast(this, dtype); },
  float(this: Tensor): Tensor { return E.cast(this, 'float32'); },
  double(this: Tensor): Tensor { return E.cast(this, 'float64'); },
  int(this: Tensor): Tensor { return E.cast(this, 'int32'); },
  bool(this: Tensor): Tensor { return E.cast(this, 'bool'); },
  clone(this: Tensor): Tensor { return E.clone(this); },
  contiguous(this: Tensor): Tensor { return E.contiguous(this); },
  /**
   * Replaces this tensor's values with `src`'s (same shape and dtype) without a copy where it can:
   * this tensor takes a reference to src's storage. Used by optimizers; not recorded by autograd,
   * so refused outside noGrad on a tensor that requires grad (engine.ts, checkInPlace).
   */
  assign_(this: Tensor, src: Tensor): Tensor {
    this.assertAlive('assign_');
    if (!(src instanceof Tensor)) throw new Error(`assign_: expected a Tensor, got ${src === null ? 'null' : typeof src}`);
    src.assertAlive('assign_');
    checkInPlace('assign_', this, src);
    if (src.dtype !== this.dtype || src.shape.join() !== this.shape.join())
      throw new Error(`assign_: expected ${fmt(this.shape)} ${this.dtype}, got ${fmt(src.shape)} ${src.dtype}`);
    if (src.device !== this.device) throw new Error(`assign_: device mismatch (${this.device} vs ${src.device})`);
    const c = src.isContiguous && src.offset === 0 && src.storage.size === this.size ? src : E.clone(src.detach());
    this._adopt(c);
    if (c !== src) c.dispose();
    return this;
  },

  // ---- elementwise ----
  add(this: Tensor, o: TensorLike): Tensor { return E.add(this, o); },
  sub(this: Tensor, o: TensorLike): Tensor { return E.sub(this, o); },
  mul(this: Tensor, o: TensorLike): Tensor { return E.mul(this, o); },
  div(this: Tensor, o: TensorLike): Tensor { return E.div(this, o); },
  pow(this: Tensor, o: TensorLike): Tensor { return E.pow(this, o); },
  maximum(this: Tensor, o: TensorLike): Tensor { return E.maximum(this, o); },
  minimum(this: Tensor, o: TensorLike): Tensor { return E.minimum(this, o); },
  eq(this: Tensor, o: TensorLike): Tensor { return E.eq(this, o); },
  ne(this: Tensor, o: TensorLike): Tensor { return E.ne(this, o); },
  lt(this: Tensor, o: TensorLike): Tensor { return E.lt(this, o); },
  le(this: Tensor, o: TensorLike): Tensor { return E.le(this, o); },
  gt(this: Tensor, o: TensorLike): Tensor { return E.gt(this, o); },
  ge(this: Tensor, o: TensorLike): Tensor { return E.ge(this, o); },
  logicalAnd(this: Tensor, o: TensorLike): Tensor { return E.logicalAnd(this, o); },
  logicalOr(this: Tensor, o: TensorLike): Tensor { return E.logicalOr(this, o); },
  logicalNot(this: Tensor): Tensor { return E.logicalNot(this); },
  neg(this: Tensor): Tensor { return E.neg(this); },
  exp(this: Tensor): Tensor { return E.exp(this); },
  log(this: Tensor): Tensor { return E.log(this); },
  log1p(this: Tensor): Tensor { return E.log1p(this); },
  expm1(this: Tensor): Tensor { return E.expm1(this); },
  sqrt(this: Tensor): Tensor { return E.sqrt(this); },
  rsqrt(this: Tensor): Tensor { return E.rsqrt(this); },
  abs(this: Tensor): Tensor { return E.abs(this); },
  sign(this: Tensor): Tensor { return E.sign(this); },
  sin(this: Tensor): Tensor { return E.sin(this); },
  cos(this: Tensor): Tensor { return E.cos(this); },
  tanh(this: Tensor): Tensor { return E.tanh(this); },
  sigmoid(this: Tensor): Tensor { return E.sigmoid(this); },
  erf(this: Tensor): Tensor { return E.erf(this); },
  relu(this: Tensor): Tensor { return E.relu(this); },
  gelu(this: Tensor, opts?: E.GeluOpts): Tensor { return E.gelu(this, opts); },
  silu(this: Tensor): Tensor { return E.silu(this); },
  softplus(this: Tensor): Tensor { return E.softplus(this); },
  softsign(this: Tensor): Tensor { return E.softsign(this); },
  square(this: Tensor): Tensor { return E.square(this); },
  reciprocal(this: Tensor): Tensor { return E.reciprocal(this); },
  clamp(this: Tensor, min?: number | null, max?: number | null): Tensor { return E.clamp(this, min, max); },
  where(this: Tensor, cond: Tensor, other: TensorLike): Tensor { return E.where(cond, this, other); },
  maskedFill(this: Tensor, mask: Tensor, value: number): Tensor { return E.maskedFill(this, mask, value); },

  // ---- reductions ----
  sum(this: Tensor, dim?: Dims, keepdim = false): Tensor { return R.sum(this, dim, keepdim); },
  mean(this: Tensor, dim?: Dims, keepdim = false): Tensor { return R.mean(this, dim, keepdim); },
  prod(this: Tensor, dim?: Dims, keepdim = false): Tensor { return R.prod(this, dim, keepdim); },
  max(this: Tensor, dim?: Dims, keepdim = false): Tensor { return R.max(this, dim, keepdim); },
  min(this: Tensor, dim?: Dims, keepdim = false): Tensor { return R.min(this, dim, keepdim); },
  argmax(this: Tensor, dim?: number, keepdim = false): Tensor { return R.argmax(this, dim, keepdim); },
  argmin(this: Tensor, dim?: number, keepdim = false): Tensor { return R.argmin(this, dim, keepdim); },
  var(this: Tensor, dim?: Dims, opts?: { keepdim?: boolean; correction?: number }): Tensor { return R.variance(this, dim, opts); },
  std(this: Tensor, dim?: Dims, opts?: { keepdim?: boolean; correction?: number }): Tensor { return R.std(this, dim, opts); },
  logsumexp(this: Tensor, dim?: Dims, keepdim = false): Tensor { return R.logsumexp(this, dim, keepdim); },
  cumsum(this: Tensor, dim: number): Tensor { return R.cumsum(this, dim); },
  softmax(this: Tensor, dim = -1): Tensor { return softmax(this, dim); },
  logSoftmax(this: Tensor, dim = -1): Tensor { return logSoftmax(this, dim); },

  // ---- linear algebra ----
  matmul(this: Tensor, o: Tensor): Tensor { return matmul(this, o); },

  // ---- shape ----
  reshape(this: Tensor, ...shape: Shape): Tensor { return S.reshape(this, flat(shape)); },
  view(this: Tensor, ...shape: Shape): Tensor { return S.view(this, flat(shape)); },
  flatten(this: Tensor, startDim = 0, endDim = -1): Tensor { return S.flatten(this, startDim, endDim); },
  squeeze(this: Tensor, dim?: Dims): Tensor { return S.squeeze(this, dim); },
  unsqueeze(this: Tensor, dim: number): Tensor { return S.unsqueeze(this, dim); },
  transpose(this: Tensor, d0 = -2, d1 = -1): Tensor { return S.transpose(this, d0, d1); },
  /** All dims reversed. */
  get T(): Tensor { const t = this as unknown as Tensor; return S.permute(t, t.shape.map((_, i) => t.shape.length - 1 - i)); },
  permute(this: Tensor, ...dims: Shape): Tensor { return S.permute(this, flat(dims)); },
  expand(this: Tensor, ...shape: Shape): Tensor { return S.expand(this, flat(shape)); },
  expandAs(this: Tensor, o: Tensor): Tensor { return S.expand(this, o.shape); },
  slice(this: Tensor, dim: number, start?: number, end?: number, step = 1): Tensor { return S.slice(this, dim, start, end, step); },
  narrow(this: Tensor, dim: number, start: number, length: number): Tensor { return S.narrow(this, dim, start, length); },
  select(this: Tensor, dim: number, index: number): Tensor { return S.select(this, dim, index); },
  split(this: Tensor, sizeOrSections: number | number[], dim = 0): Tensor[] { return S.split(this, sizeOrSections, dim); },
  chunk(this: Tensor, chunks: number, dim = 0): Tensor[] { return S.chunk(this, chunks, dim); },
  flip(this: Tensor, dims: Dims): Tensor { return S.flip(this, dims); },
  repeat(this: Tensor, ...reps: Shape): Tensor { return S.repeat(this, flat(reps)); },
  pad(this: Tensor, pads: readonly number[], value = 0): Tensor { return S.pad(this, pads, value); },

  // ---- indexing ----
  gather(this: Tensor, dim: number, index: Tensor): Tensor { return I.gather(this, dim, index); },
  indexSelect(this: Tensor, dim: number, index: Tensor): Tensor { return I.indexSelect(this, dim, index); },
  scatterAdd(this: Tensor, dim: number, index: Tensor, src: Tensor): Tensor { return I.scatterAdd(this, dim, index, src); },
  argsort(this: Tensor, dim = -1, descending = false): Tensor { return I.argsort(this, dim, descending); },
  topk(this: Tensor, k: number, dim = -1, largest = true): { values: Tensor; indices: Tensor } { return I.topk(this, k, dim, largest); },
  sort(this: Tensor, dim = -1, descending = false): { values: Tensor; indices: Tensor } { return I.sort(this, dim, descending); },
};

/** The methods every Tensor has (installed on Tensor.prototype below). */
export type TensorMethods = typeof methods;

declare module '../tensor.js' {
  // eslint-disable-next-line @typescript-eslint/no-empty-object-type
  interface Tensor extends TensorMethods {}
}

Object.defineProperties(Tensor.prototype, Object.getOwnPropertyDescriptors(methods));
