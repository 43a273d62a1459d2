// Storage lifetime: reference counts, tidy scopes and a FinalizationRegistry safety net.
// A storage is released the moment its last tensor lets go of it: by dispose(), at the end of
// a tidy() scope, when backward() frees saved values, or (late, as a safety net) by the GC.
import type { Storage } from './backend.js';
import { bytesPerElement } from './dtype.js';

/** What memory.ts needs of a tensor. `_gcArmed`: registered with the GC safety net. */
interface Tracked {
  dispose(): void;
  readonly isDisposed: boolean;
  readonly storage: Storage;
  _gcArmed?: boolean;
  /** A tensor's autograd state: the node that made it joins the safety net with it (arm). */
  readonly _meta?: { node: { arm(): void } | null };
}

const live = { tensors: 0, storages: 0, bytes: new Map<string, number>() };

/**
 * A storage's bookkeeping, apart from the storage itself, made when one of its tensors joins the GC
 * safety net: from then on its reference count lives here. The safety net holds the cell, not the
 * storage, for storages whose memory the JS garbage collector frees by itself (typed arrays): a
 * tensor dropped without dispose() then takes its typed array with it as soon as the GC runs, even
 * inside a long synchronous loop, where finalization callbacks (which only run between tasks)
 * cannot. Storages that must be released explicitly (GPU buffers) are kept in the cell and
 * released by the callback. Storages of tensors that never leave a tidy scope get no cell.
 */
interface Cell {
  refs: number;
  bytes: number;
  device: string;
  /** The storage, when only an explicit release frees its memory; null for typed-array storages. */
  explicit: Storage | null;
}

function bytesOf(s: Storage): number {
  return s.size * bytesPerElement(s.dtype);
}

function cellOf(s: Storage): Cell {
  let c = s.gcCell as Cell | undefined;
  if (!c) {
    c = { refs: s.refs, bytes: bytesOf(s), device: s.backend.device, explicit: s.backend.releasedByGc ? null : s };
    s.gcCell = c;
  }
  return c;
}

function counted(device: string, bytes: number, sign: 1 | -1): void {
  live.storages += sign;
  live.bytes.set(device, (live.bytes.get(device) ?? 0) + sign * bytes);
}

export function storageRetained(s: Storage): void {
  const c = s.gcCell as Cell | undefined;
  const refs = c ? ++c.refs : ++s.refs;
  if (c) s.refs = refs;
  if (refs === 1) {
    const bytes = bytesOf(s);
    if (!Number.isSafeInteger(bytes) || bytes < 0) {
      if (c) c.refs--;
      s.refs = 0;
      throw new Error(`internal: storage of ${String(s.size)} ${s.dtype} elements`);
    }
    counted(s.backend.device, bytes, 1);
  }
}

export function storageReleased(s: Storage): void {
  const c = s.gcCell as Cell | undefined;
  const before = c ? c.refs : s.refs;
  if (before <= 0) throw new Error('internal: storage released twice');
  if (c) c.refs--;
  s.refs = before - 1;
  if (before === 1) {
    counted(s.backend.device, bytesOf(s), -1);
    s.gcCell = undefined;
    if (s.pending) { // deferred by pg.compile and never read: never computed
      const p = s.pending;
      s.pending = undefined;
      p.drop();
    }
    s.backend.release(s);
  }
}

/** Computes a storage deferred by pg.compile (fusion.ts) now, if it is. Every read of a storage's data goes through here first. */
export function realize(s: Storage): void {
  const p = s.pending;
  if (p) {
    s.pending = undefined;
    p.run();
  }
}

// Tensors that are garbage-collected without dispose() still give their storage back.
function collected(c: Cell): void {
  live.tensors--;
  // A typed-array storage is gone with its last tensor; its cell only keeps the counts.
  if (c.refs <= 0) throw new Error('internal: storage released twice');
  c.refs--;
  if (c.explicit) c.explicit.refs = c.refs;
  if (c.refs === 0) {
    counted(c.device, c.bytes, -1);
    if (c.explicit) {
      c.explicit.gcCell = undefined;
      c.explicit.backend.release(c.explicit);
    }
  }
}
// The held value: one tensor's cell, or the cells of the tensors a group owner holds (armGroup).
const registry =
  typeof FinalizationRegistry !== 'undefined'
    ? new FinalizationRegistry<Cell | Cell[]>((c) => {
        if (Array.isArray(c)) c.forEach(collected);
        else collected(c);
      })
    : null;

// A tensor created inside a tidy scope is held by the scope, which disposes it or hands it on, so it
// joins the GC safety net only when it leaves the scopes (returned from the outermost one, or kept):
// registering every temporary with the FinalizationRegistry cost ~13% of a small op.
function arm(t: Tracked, s: Storage): void {
  if (!registry) return;
  registry.register(t, cellOf(s), t);
  t._gcArmed = true;
  // The graph node behind a tensor that leaves the tidy scopes may now be dropped without a release.
  t._meta?.node?.arm();
}

/**
 * Tensors created during the current outermost op call (args.ts's op wrapper), so that a call that
 * throws can free what it allocated: outputs, casts, scalars, graph aliases. The array keeps its
 * capacity between calls; its slots are cleared after each call so it holds no tensor alive.
 */
const opLog: (Tracked | null)[] = [];
let opLogLength = 0;
let logging = false;

export function opLogBegin(): void {
  opLogLength = 0;
  logging = true;
}

export function opLogEnd(): void {
  logging = false;
  for (let i = 0; i < opLogLength; i++) opLog[i] = null;
  opLogLength = 0;
}

/** The call failed: dispose everything it created that is still alive. */
export function opLogFail(): void {
  logging = false;
  for (let i = 0; i < opLogLength; i++) {
    const t = opLog[i]!;
    opLog[i] = null;
    if (!t.isDisposed) t.dispose();
  }
  opLogLength = 0;
}

export function tensorCreated(t: Tracked, s: Storage): void {
  storageRetained(s);
  live.tensors++;
  if (logging) opLog[opLogLength++] = t;
  const scope = scopes[scopes.length - 1];
  if (scope && tracking) scope.add(t);
  else if (arming) arm(t, s);
}

/** A tensor switched storage (assign_): retain the new one, release the old, re-arm the GC net. */
export function tensorStorageSwapped(t: Tracked, from: Storage, to: Storage): void {
  storageRetained(to);
  if (t._gcArmed) {
    registry?.unregister(t);
    arm(t, to);
  }
  storageReleased(from);
}

export function tensorDisposed(t: Tracked, s: Storage): void {
  live.tensors--;
  if (t._gcArmed) {
    registry?.unregister(t);
    t._gcArmed = false;
  }
  storageReleased(s);
}

/** Live tensors, storages and bytes per device: the numbers memory tests read. */
export function memory(): { tensors: number; storages: number; bytes: Record<string, number> } {
  return { tensors: live.tensors, storages: live.storages, bytes: Object.fromEntries(live.bytes) };
}

const scopes: Set<Tracked>[] = [];
let tracking = true;
/** False inside owned(): new tensors join the GC safety net through their owner (armGroup), not one by one. */
let arming = true;

/** Stops tracking `t` in the enclosing tidy scopes, so it outlives them. */
export function keep<T>(t: T): T {
  const x = t as unknown as Tracked;
  for (const s of scopes) s.delete(x);
  if (x && typeof x === 'object' && 'storage' in x && !x._gcArmed && !x.isDisposed) arm(x, x.storage);
  return t;
}

/** Runs fn with tensor creation hidden from tidy scopes (for values the autograd graph owns). */
export function untracked<T>(fn: () => T): T {
  const prev = tracking;
  tracking = false;
  try {
    return fn();
  } finally {
    tracking = prev;
  }
}

/**
 * Runs fn creating tensors that belong to one owner object (an autograd graph node's saved
 * aliases): hidden from tidy scopes, as untracked(), and not registered with the GC safety net one
 * by one; the caller registers them together with armGroup(owner, tensors), and disposes them
 * after disarmGroup(owner). One registration per node instead of one per saved tensor: those were
 * 5% of a small training step's profile.
 */
export function owned<T>(fn: () => T): T {
  const prev = tracking, prevArming = arming;
  tracking = false;
  arming = false;
  try {
    return fn();
  } finally {
    tracking = prev;
    arming = prevArming;
  }
}

/** When `owner` is garbage-collected, the storages of `ts` (made under owned(), not disposed) are released. */
export function armGroup(owner: object, ts: readonly Tracked[]): void {
  registry?.register(owner, ts.map((t) => cellOf(t.storage)), owner);
}

/** The owner is about to dispose its tensors itself: the GC safety net forgets them. */
export function disarmGroup(owner: object): void {
  registry?.unregister(owner);
}

function collect(x: unknown, into: Set<unknown>): void {
  if (x === null || typeof x !== 'object') return;
  if (into.has(x)) return;
  if ('isDisposed' in (x as object) && 'dispose' in (x as object)) {
    into.add(x);
    return;
  }
  if (Array.isArray(x)) for (const v of x) collect(v, into);
  else if (Object.getPrototypeOf(x) === Object.prototype) for (const v of Object.values(x as object)) collect(v, into);
}

/**
 * Runs fn and disposes every tensor created inside it, except those it returns
 * (found in returned arrays and plain objects too) and those passed to keep().
 * Returned tensors move to the enclosing scope, if any.
 */
export function tidy<T>(fn: () => T): T {
  const scope = new Set<Tracked>();
  scopes.push(scope);
  let result: T;
  try {
    result = fn();
  } catch (e) {
    scopes.pop();
    for (const t of scope) if (!t.isDisposed) t.dispose();
    throw e;
  }
  scopes.pop();
  if (result instanceof Promise) throw new Error('tidy: fn must be synchronous (it returned a Promise)');
  const returned = new Set<unknown>();
  collect(result, returned);
  const parent = scopes[scopes.length - 1];
  for (const t of scope) {
    if (returned.has(t)) {
      if (parent) parent.add(t);
      else if (!t.isDisposed && !t._gcArmed) arm(t, t.storage);
    } else if (!t.isDisposed) t.dispose();
  }
  return result;
}
