// Fusion of elementwise chains: pg.compile(fn) runs fn with the elementwise ops (the table's unary,
// binary and where entries) deferred. Each such op returns at once a tensor whose storage is
// allocated but not yet computed: it holds the op's expression over its inputs. An elementwise op
// that reads a deferred tensor element for element (same shape, the whole storage) takes that
// expression into its own, so a chain such as relu(a * b + c) becomes one expression, and one
// kernel pass over memory, when something reads it: any other op (a reduction, a matmul), a
// readback (data, dataSync, to), or the end of the compiled call, which computes every deferred
// tensor still alive. Deferred tensors that die first are never computed.
//
// Results do not change: a fused kernel rounds every node to its dtype as the op's own kernel
// does (the backends' contract, tested against eager runs bit for bit). The graph does not change
// either: every op is recorded for autograd as in eager mode, so backward works the same (and its
// own elementwise ops fuse too). Backends opt in with `fusible` and `runFused` (the wasm backend);
// on others compile(fn) runs fn eagerly, with the same results.
//
// Why a scope and not lazy evaluation everywhere: a deferred result holds its inputs' memory
// until it is computed, which would change when tidy() and dispose() free memory in eager code;
// the end of the compiled call is a point where every deferred result is computed, so outside
// compile() nothing is ever deferred.
import type { Backend, Storage, View } from './backend.js';
import type { DType } from './dtype.js';
import { realize, storageReleased, storageRetained, tidy } from './memory.js';

/** An expression: input operand i, or an op-table op of other expressions computing in `dtype`. */
export type FusedNode =
  | { readonly t: 'in'; readonly i: number }
  | { readonly t: 'op'; readonly op: string; readonly args: readonly FusedNode[]; readonly dtype: DType };

/** A deferred elementwise result (Storage.pending). */
export interface Pending {
  readonly root: FusedNode;
  /** The leaves: views of (retained) storages, each broadcast to the output's shape. */
  readonly inputs: readonly View[];
  /** Op nodes in root. */
  readonly size: number;
  /** Computes the storage (and forgets the inputs). */
  run(): void;
  /** Forgets the inputs without computing (the storage died first). */
  drop(): void;
}

/** Most op nodes in one fused expression. */
const MAX_NODES = 12;

let depth = 0;
/** Storages deferred in the current compiled call, to compute at its end. */
let deferred: Storage[] = [];

/** Whether ops are being deferred now (inside pg.compile). */
export function fusing(): boolean {
  return depth > 0;
}

/**
 * fn with its elementwise chains fused: compile(fn)(...args) computes what tidy(() => fn(...args))
 * computes, with the same bits, where the device's backend fuses (the wasm backend). Intermediate
 * tensors are freed as by tidy; returned ones are computed before the call returns. Nothing is
 * traced or cached per call: every call runs fn again (kernels are cached per expression).
 */
export function compile<A extends unknown[], R>(fn: (...args: A) => R): (...args: A) => R {
  return (...args: A): R => {
    if (depth > 0) return tidy(() => fn(...args));
    depth++;
    try {
      return tidy(() => fn(...args));
    } finally {
      depth--;
      const list = deferred;
      deferred = [];
      for (const s of list) if (s.refs > 0) realize(s);
    }
  };
}

function countOps(n: FusedNode): number {
  return n.t === 'in' ? 0 : 1 + n.args.reduce((a, x) => a + countOps(x), 0);
}

/** The node with its input indices shifted by `by` (a producer's expression moved into a consumer's). */
function shift(n: FusedNode, map: readonly number[]): FusedNode {
  return n.t === 'in' ? { t: 'in', i: map[n.i] } : { t: 'op', op: n.op, dtype: n.dtype, args: n.args.map((a) => shift(a, map)) };
}

/** Whether the consumer reads view x of a deferred storage element for element (no broadcast, no stride, all of it). */
function aligned(x: View, shape: readonly number[]): boolean {
  if (x.offset !== 0 || x.shape.length !== shape.length) return false;
  let n = 1;
  for (let d = shape.length - 1; d >= 0; d--) {
    if (x.shape[d] !== shape[d]) return false;
    if (shape[d] !== 1 && x.strides[d] !== n) return false;
    n *= shape[d];
  }
  return n === x.storage.size;
}

/**
 * Defers op `name` over `inputs` into `out` (already allocated, of the op's shape and dtype), or
 * returns false when the backend cannot run this op in a fused kernel (then the caller runs it).
 * `expensive` producers (those the backend says cost more to recompute than to store) stay
 * separate kernels: a consumer reads their results instead of recomputing them.
 */
export function defer(backend: Backend, name: string, inputs: readonly View[], out: View): boolean {
  const argDt = inputs.map((v) => v.dtype);
  if (!backend.fusible?.(name, argDt, out.dtype)) return false;
  const leaves: View[] = [];
  const leaf = (v: View): FusedNode => {
    let i = leaves.findIndex((l) => l.storage === v.storage && l.offset === v.offset && sameList(l.shape, v.shape) && sameList(l.strides, v.strides));
    if (i < 0) {
      storageRetained(v.storage);
      leaves.push({ storage: v.storage, dtype: v.dtype, shape: v.shape, strides: v.strides, offset: v.offset });
      i = leaves.length - 1;
    }
    return { t: 'in', i };
  };
  let size = 1;
  const args = inputs.map((x) => {
    const p = x.storage.pending as Pending | undefined;
    if (p && aligned(x, out.shape) && size + p.size <= MAX_NODES && !backend.fusionExpensive?.(p.root)) {
      size += p.size;
      return shift(p.root, p.inputs.map((v) => (leaf(v) as { i: number }).i));
    }
    return leaf(x);
  });
  const root: FusedNode = { t: 'op', op: name, args, dtype: out.dtype };
  const storage = out.storage;
  const view: View = { storage, dtype: out.dtype, shape: out.shape, strides: out.strides, offset: out.offset };
  let live = true;
  const drop = () => {
    if (!live) return;
    live = false;
    for (const v of leaves) storageReleased(v.storage);
  };
  const pending: Pending = {
    root, inputs: leaves, size: countOps(root),
    run() {
      for (const v of leaves) realize(v.storage);
      backend.runFused!(root, leaves, view);
      drop();
    },
    drop,
  };
  storage.pending = pending;
  deferred.push(storage);
  return true;
}

function sameList(a: readonly number[], b: readonly number[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
