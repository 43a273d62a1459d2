// The Tensor: a strided view of a reference-counted storage, plus autograd bookkeeping.
// Its arithmetic methods (t.add(u) is ops.add(t, u)) are installed by ops/methods.ts: this file
// knows nothing of the op table, which sits above it.
import type { Device, Storage, View } from './backend.js';
import type { DType, TypedArray } from './dtype.js';
import { contiguousStrides, fmt, isContiguous, sizeOf } from './shape.js';
import { tensorCreated, tensorDisposed, tensorStorageSwapped, keep, realize } from './memory.js';

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
  /**
   * Called when no tensor the user holds has this node's output state and no unreleased node uses
   * it: backward can never reach the node again, so it may be released now (engine.ts).
   */
  unreachable: () => void;
  /**
   * Registers the node's saved tensors with the GC safety net (once), for when the node is dropped
   * without a release: done when its output leaves the tidy scopes, or is disposed while nodes
   * downstream still use it (engine.ts, record).
   */
  arm: () => void;
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
  /**
   * In-place writes so far (assign_ and the ops built on it). Graph nodes note the version of each
   * tensor they save and backward refuses to run a node whose saved tensors have moved on.
   */
  version = 0;
  /**
   * Tensors with this state that someone holds: every tensor made with it, except the aliases a
   * graph node saves for its gradient rule (Tensor._savedAlias).
   */
  handles = 0;
  /** Unreleased graph nodes that have this state as an input. */
  uses = 0;
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
  /** @internal false for an alias a graph node saved (it does not count in _meta.handles) */ _handle = true;

  constructor(storage: Storage, shape: readonly number[], strides?: readonly number[], offset = 0, meta?: AutogradMeta) {
    this.storage = storage;
    this.dtype = storage.dtype;
    // Frozen lists (another tensor's) are shared, not copied: a tensor is made per op, and per alias.
    this.shape = Object.isFrozen(shape) ? shape : Object.freeze(shape.slice());
    this.strides = strides ? (Object.isFrozen(strides) ? strides : Object.freeze(strides.slice())) : Object.freeze(contiguousStrides(shape));
    this.offset = offset;
    this._meta = meta ?? new AutogradMeta();
    this._meta.handles++;
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
  set grad(g: Tensor | null) {
    if (g !== null && !(g instanceof Tensor)) throw new Error(`grad: expected a Tensor or null, got ${g === undefined ? 'undefined' : typeof g}`);
    if (g !== null && (g.shape.join() !== this.shape.join() || g.device !== this.device))
      throw new Error(`grad: a gradient ${fmt(g.shape)} on ${g.device} assigned to a tensor ${fmt(this.shape)} on ${this.device}; they must match`);
    this._meta.grad = g === null ? null : keep(g);
  }
  /** How many in-place writes this tensor has had (PyTorch's t._version). */
  get _version(): number { return this._meta.version; }
  get isLeaf(): boolean { return this._meta.node === null; }
  /** The op that produced this tensor (null for leaves). */
  get gradFn(): string | null { return this._meta.node?.name ?? null; }
  retainGrad(): this { this._meta.retainsGrad = true; return this; }
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
  /**
   * @internal An alias a graph node saves: it keeps the storage, not the graph (it is not one of
   * _meta.handles), so the graph can be freed once the tensors people hold are gone (engine.ts).
   */
  _savedAlias(): Tensor {
    const t = this._alias();
    t._handle = false;
    this._meta.handles--;
    return t;
  }
  zeroGrad_(): this { if (this._meta.grad) { this._meta.grad.dispose(); this._meta.grad = null; } return this; }

  // ---- memory ----
  dispose(): void {
    if (this._disposed) return;
    this._disposed = true;
    tensorDisposed(this, this.storage);
    // The last tensor held with this state: if no unreleased node uses it either, backward can never
    // reach the node that made it (as PyTorch frees a graph with its last reference).
    const m = this._meta;
    if (this._handle && --m.handles === 0 && m.node && !m.node.released) {
      if (m.uses === 0) m.node.unreachable();
      else m.node.arm(); // alive only through the nodes downstream: the GC may drop it with them
    }
  }
  /** @internal */
  assertAlive(op: string): void {
    if (this._disposed) throw new Error(`${op}: tensor ${fmt(this.shape)} ${this.dtype} was disposed`);
  }
  /**
   * Replaces this tensor's storage with `src`'s (same shape and dtype, contiguous, covering its whole
   * storage) without a copy, and counts an in-place write (the version). Used by assign_
   * (ops/methods.ts), which checks the write and makes such a src first.
   * @internal
   */
  _adopt(src: Tensor): this {
    const self = this as unknown as { storage: Storage; strides: readonly number[]; offset: number };
    const old = this.storage;
    self.storage = src.storage;
    self.strides = Object.freeze(contiguousStrides(this.shape));
    self.offset = 0;
    tensorStorageSwapped(this, old, src.storage);
    this._meta.version++;
    return this;
  }

  // ---- reading ----
  async data(): Promise<TypedArray> { this.assertAlive('data'); realize(this.storage); return this.storage.backend.read(this); }
  dataSync(): TypedArray {
    this.assertAlive('dataSync');
    realize(this.storage);
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
