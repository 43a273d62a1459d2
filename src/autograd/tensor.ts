// The Tensor: a strided view of a reference-counted storage, plus autograd bookkeeping.
// Methods are thin: t.add(u) is ops.add(t, u). All of the arithmetic lives in ops/*.ts.
import type { Device, Storage, View } from './backend.js';
import type { DType, TypedArray } from './dtype.js';
import { contiguousStrides, fmt, isContiguous, sizeOf } from './shape.js';
import { tensorCreated, tensorDisposed, tensorStorageSwapped, keep } from './memory.js';
import { O } from './dispatch.js';

/** One recorded op in the autograd graph. */
export interface Node {
  /** Creation order: a node's inputs always have smaller seq, so seq order is a topological order. */
  readonly seq: number;
  readonly name: string;
  /** Autograd state of each input (null for inputs that need no gradient). */
  readonly inputs: (AutogradMeta | null)[];
  /** Maps the output cotangent to one cotangent per input. */
  backward: (dy: Tensor) => (Tensor | null)[];
  /** Frees the values saved for backward. */
  release: () => void;
  released: boolean;
}

/**
 * Autograd state, shared by a tensor and the aliases of it that graph nodes save, so that a
 * gradient computed through an alias reaches the user's tensor (and its .grad).
 */
export class AutogradMeta {
  requiresGrad = false;
  node: Node | null = null;
  grad: Tensor | null = null;
  retainsGrad = false;
}

export type Scalar = number | boolean;
export type TensorLike = Tensor | Scalar;
export type Dims = number | readonly number[];
export type NestedArray = number | boolean | NestedArray[];

export class Tensor implements View {
  readonly storage: Storage;
  readonly dtype: DType;
  readonly shape: readonly number[];
  readonly strides: readonly number[];
  readonly offset: number;
  /** @internal */ _meta: AutogradMeta;
  private _disposed = false;
  /** @internal registered with the GC safety net (memory.ts) */ _gcArmed = false;

  constructor(storage: Storage, shape: readonly number[], strides?: readonly number[], offset = 0, meta?: AutogradMeta) {
    this.storage = storage;
    this.dtype = storage.dtype;
    this.shape = Object.freeze([...shape]);
    this.strides = Object.freeze(strides ? [...strides] : contiguousStrides(shape));
    this.offset = offset;
    this._meta = meta ?? new AutogradMeta();
    tensorCreated(this, storage);
  }

  // ---- metadata ----
  get device(): Device { return this.storage.backend.device; }
  get ndim(): number { return this.shape.length; }
  get rank(): number { return this.shape.length; }
  get size(): number { return sizeOf(this.shape); }
  numel(): number { return sizeOf(this.shape); }
  dim(): number { return this.shape.length; }
  get isDisposed(): boolean { return this._disposed; }
  get isContiguous(): boolean { return isContiguous(this.shape, this.strides); }
  toString(): string { return `Tensor(shape=${fmt(this.shape)}, dtype=${this.dtype}, device=${this.device}${this.requiresGrad ? ', requiresGrad' : ''})`; }

  // ---- autograd ----
  get requiresGrad(): boolean { return this._meta.requiresGrad; }
  set requiresGrad(v: boolean) { this.requiresGrad_(v); }
  requiresGrad_(v = true): this {
    if (v && this.dtype !== 'float32' && this.dtype !== 'float64')
      throw new Error(`requiresGrad: only float tensors can require gradients, got ${this.dtype}`);
    if (!v && this._meta.node) throw new Error('requiresGrad: cannot turn off gradients of a non-leaf tensor; use detach()');
    this._meta.requiresGrad = v;
    return this;
  }
  /** The accumulated gradient of a leaf tensor (or of a non-leaf after retainGrad()). */
  get grad(): Tensor | null { return this._meta.grad; }
  set grad(g: Tensor | null) { this._meta.grad = g === null ? null : keep(g); }
  get isLeaf(): boolean { return this._meta.node === null; }
  /** The op that produced this tensor (null for leaves). */
  get gradFn(): string | null { return this._meta.node?.name ?? null; }
  retainGrad(): this { this._meta.retainsGrad = true; return this; }
  backward(gradient?: Tensor, opts?: { retainGraph?: boolean; createGraph?: boolean }): void {
    O.backward(this, gradient, opts);
  }
  /** A tensor sharing this one's storage, cut from the graph. */
  detach(): Tensor {
    this.assertAlive('detach');
    return new Tensor(this.storage, this.shape, this.strides, this.offset);
  }
  /** @internal A new handle on the same storage and the same autograd state (used for saved values). */
  _alias(): Tensor {
    this.assertAlive('alias');
    return new Tensor(this.storage, this.shape, this.strides, this.offset, this._meta);
  }
  zeroGrad_(): this { if (this._meta.grad) { this._meta.grad.dispose(); this._meta.grad = null; } return this; }

  // ---- memory ----
  dispose(): void {
    if (this._disposed) return;
    this._disposed = true;
    tensorDisposed(this, this.storage);
  }
  /** @internal */
  assertAlive(op: string): void {
    if (this._disposed) throw new Error(`${op}: tensor ${fmt(this.shape)} ${this.dtype} was disposed`);
  }
  /**
   * Replaces this tensor's values with `src`'s (same shape and dtype) without a copy: this tensor
   * takes a reference to src's storage. Used by optimizers; not recorded by autograd.
   */
  assign_(src: Tensor): this {
    this.assertAlive('assign_');
    if (src.dtype !== this.dtype || src.shape.join() !== this.shape.join())
      throw new Error(`assign_: expected ${fmt(this.shape)} ${this.dtype}, got ${fmt(src.shape)} ${src.dtype}`);
    if (src.device !== this.device) throw new Error(`assign_: device mismatch (${this.device} vs ${src.device})`);
    const c = src.isContiguous && src.offset === 0 && src.storage.size === this.size ? src : O.clone(src.detach());
    const self = this as unknown as { storage: Storage; strides: readonly number[]; offset: number };
    const old = this.storage;
    self.storage = c.storage;
    self.strides = Object.freeze(contiguousStrides(this.shape));
    self.offset = 0;
    tensorStorageSwapped(this, old, c.storage);
    if (c !== src) c.dispose();
    return this;
  }

  // ---- reading ----
  async data(): Promise<TypedArray> { this.assertAlive('data'); return this.storage.backend.read(this); }
  dataSync(): TypedArray {
    this.assertAlive('dataSync');
    const b = this.storage.backend;
    if (!b.readSync) throw new Error(`dataSync: not available on ${this.device}; use await t.data()`);
    return b.readSync(this);
  }
  async toArray(): Promise<NestedArray> { return nest(await this.data(), this.shape, this.dtype); }
  toArraySync(): NestedArray { return nest(this.dataSync(), this.shape, this.dtype); }
  async item(): Promise<number> {
    if (this.size !== 1) throw new Error(`item: tensor has ${this.size} elements ${fmt(this.shape)}, expected 1`);
    return (await this.data())[0];
  }
  itemSync(): number {
    if (this.size !== 1) throw new Error(`item: tensor has ${this.size} elements ${fmt(this.shape)}, expected 1`);
    return this.dataSync()[0];
  }

  // ---- conversion ----
  to(target: Device | DType): Tensor { return O.to(this, target); }
  cast(dtype: DType): Tensor { return O.cast(this, dtype); }
  float(): Tensor { return O.cast(this, 'float32'); }
  double(): Tensor { return O.cast(this, 'float64'); }
  int(): Tensor { return O.cast(this, 'int32'); }
  bool(): Tensor { return O.cast(this, 'bool'); }
  clone(): Tensor { return O.clone(this); }
  contiguous(): Tensor { return O.contiguous(this); }

  // ---- elementwise ----
  add(o: TensorLike): Tensor { return O.add(this, o); }
  sub(o: TensorLike): Tensor { return O.sub(this, o); }
  mul(o: TensorLike): Tensor { return O.mul(this, o); }
  div(o: TensorLike): Tensor { return O.div(this, o); }
  pow(o: TensorLike): Tensor { return O.pow(this, o); }
  maximum(o: TensorLike): Tensor { return O.maximum(this, o); }
  minimum(o: TensorLike): Tensor { return O.minimum(this, o); }
  eq(o: TensorLike): Tensor { return O.eq(this, o); }
  ne(o: TensorLike): Tensor { return O.ne(this, o); }
  lt(o: TensorLike): Tensor { return O.lt(this, o); }
  le(o: TensorLike): Tensor { return O.le(this, o); }
  gt(o: TensorLike): Tensor { return O.gt(this, o); }
  ge(o: TensorLike): Tensor { return O.ge(this, o); }
  logicalAnd(o: TensorLike): Tensor { return O.logicalAnd(this, o); }
  logicalOr(o: TensorLike): Tensor { return O.logicalOr(this, o); }
  logicalNot(): Tensor { return O.logicalNot(this); }
  neg(): Tensor { return O.neg(this); }
  exp(): Tensor { return O.exp(this); }
  log(): Tensor { return O.log(this); }
  log1p(): Tensor { return O.log1p(this); }
  expm1(): Tensor { return O.expm1(this); }
  sqrt(): Tensor { return O.sqrt(this); }
  rsqrt(): Tensor { return O.rsqrt(this); }
  abs(): Tensor { return O.abs(this); }
  sign(): Tensor { return O.sign(this); }
  sin(): Tensor { return O.sin(this); }
  cos(): Tensor { return O.cos(this); }
  tanh(): Tensor { return O.tanh(this); }
  sigmoid(): Tensor { return O.sigmoid(this); }
  relu(): Tensor { return O.relu(this); }
  gelu(opts?: { approximate?: 'none' | 'tanh' }): Tensor { return O.gelu(this, opts); }
  erf(): Tensor { return O.erf(this); }
  silu(): Tensor { return O.silu(this); }
  softplus(): Tensor { return O.softplus(this); }
  square(): Tensor { return O.square(this); }
  reciprocal(): Tensor { return O.reciprocal(this); }
  clamp(min?: number | null, max?: number | null): Tensor { return O.clamp(this, min, max); }
  where(cond: Tensor, other: TensorLike): Tensor { return O.where(cond, this, other); }
  maskedFill(mask: Tensor, value: number): Tensor { return O.maskedFill(this, mask, value); }

  // ---- reductions ----
  sum(dim?: Dims, keepdim = false): Tensor { return O.sum(this, dim, keepdim); }
  mean(dim?: Dims, keepdim = false): Tensor { return O.mean(this, dim, keepdim); }
  prod(dim?: Dims, keepdim = false): Tensor { return O.prod(this, dim, keepdim); }
  max(dim?: Dims, keepdim = false): Tensor { return O.max(this, dim, keepdim); }
  min(dim?: Dims, keepdim = false): Tensor { return O.min(this, dim, keepdim); }
  argmax(dim?: number, keepdim = false): Tensor { return O.argmax(this, dim, keepdim); }
  argmin(dim?: number, keepdim = false): Tensor { return O.argmin(this, dim, keepdim); }
  var(dim?: Dims, opts?: { keepdim?: boolean; correction?: number }): Tensor { return O.variance(this, dim, opts); }
  std(dim?: Dims, opts?: { keepdim?: boolean; correction?: number }): Tensor { return O.std(this, dim, opts); }
  logsumexp(dim?: Dims, keepdim = false): Tensor { return O.logsumexp(this, dim, keepdim); }
  cumsum(dim: number): Tensor { return O.cumsum(this, dim); }
  softmax(dim = -1): Tensor { return O.softmax(this, dim); }
  logSoftmax(dim = -1): Tensor { return O.logSoftmax(this, dim); }

  // ---- linear algebra ----
  matmul(o: Tensor): Tensor { return O.matmul(this, o); }

  // ---- shape ----
  reshape(...shape: number[] | [readonly number[]]): Tensor { return O.reshape(this, flatArgs(shape)); }
  view(...shape: number[] | [readonly number[]]): Tensor { return O.view(this, flatArgs(shape)); }
  flatten(startDim = 0, endDim = -1): Tensor { return O.flatten(this, startDim, endDim); }
  squeeze(dim?: Dims): Tensor { return O.squeeze(this, dim); }
  unsqueeze(dim: number): Tensor { return O.unsqueeze(this, dim); }
  transpose(d0 = -2, d1 = -1): Tensor { return O.transpose(this, d0, d1); }
  get T(): Tensor { return O.permute(this, this.shape.map((_, i) => this.shape.length - 1 - i)); }
  permute(...dims: number[] | [readonly number[]]): Tensor { return O.permute(this, flatArgs(dims)); }
  expand(...shape: number[] | [readonly number[]]): Tensor { return O.expand(this, flatArgs(shape)); }
  expandAs(o: Tensor): Tensor { return O.expand(this, o.shape); }
  slice(dim: number, start?: number, end?: number, step = 1): Tensor { return O.slice(this, dim, start, end, step); }
  narrow(dim: number, start: number, length: number): Tensor { return O.narrow(this, dim, start, length); }
  select(dim: number, index: number): Tensor { return O.select(this, dim, index); }
  split(sizeOrSections: number | number[], dim = 0): Tensor[] { return O.split(this, sizeOrSections, dim); }
  chunk(chunks: number, dim = 0): Tensor[] { return O.chunk(this, chunks, dim); }
  flip(dims: Dims): Tensor { return O.flip(this, dims); }
  repeat(...reps: number[] | [readonly number[]]): Tensor { return O.repeat(this, flatArgs(reps)); }
  pad(pads: readonly number[], value = 0): Tensor { return O.pad(this, pads, value); }

  // ---- indexing ----
  gather(dim: number, index: Tensor): Tensor { return O.gather(this, dim, index); }
  indexSelect(dim: number, index: Tensor): Tensor { return O.indexSelect(this, dim, index); }
  scatterAdd(dim: number, index: Tensor, src: Tensor): Tensor { return O.scatterAdd(this, dim, index, src); }
  topk(k: number, dim = -1, largest = true): { values: Tensor; indices: Tensor } { return O.topk(this, k, dim, largest); }
  sort(dim = -1, descending = false): { values: Tensor; indices: Tensor } { return O.sort(this, dim, descending); }
}

function flatArgs(a: number[] | [readonly number[]]): number[] {
  return a.length === 1 && Array.isArray(a[0]) ? [...(a[0] as readonly number[])] : (a as number[]);
}

function nest(data: TypedArray, shape: readonly number[], dtype: DType): NestedArray {
  const conv = dtype === 'bool' ? (v: number) => v !== 0 : (v: number) => v;
  if (shape.length === 0) return conv(data[0]);
  const build = (d: number, off: number): NestedArray => {
    const n = shape[d];
    const stride = sizeOf(shape.slice(d + 1));
    const out: NestedArray[] = new Array(n);
    for (let i = 0; i < n; i++) out[i] = d === shape.length - 1 ? conv(data[off + i]) : build(d + 1, off + i * stride);
    return out;
  };
  return build(0, 0);
}
