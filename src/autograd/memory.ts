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
}

const live = { tensors: 0, storages: 0, bytes: new Map<string, number>() };

export function storageRetained(s: Storage): void {
  if (s.refs === 0) {
    live.storages++;
    const dev = s.backend.device;
    live.bytes.set(dev, (live.bytes.get(dev) ?? 0) + s.size * bytesPerElement(s.dtype));
  }
  s.refs++;
}

export function storageReleased(s: Storage): void {
  if (s.refs <= 0) throw new Error('internal: storage released twice');
  if (--s.refs === 0) {
    if (s.pending) { // deferred by pg.compile and never read: never computed
      const p = s.pending;
      s.pending = undefined;
      p.drop();
    }
    live.storages--;
    const dev = s.backend.device;
    live.bytes.set(dev, (live.bytes.get(dev) ?? 0) - s.size * bytesPerElement(s.dtype));
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
const registry =
  typeof FinalizationRegistry !== 'undefined'
    ? new FinalizationRegistry<Storage>((s) => {
        live.tensors--;
        storageReleased(s);
      })
    : null;

// A tensor created inside a tidy scope is held by the scope, which disposes it or hands it on, so it
// joins the GC safety net only when it leaves the scopes (returned from the outermost one, or kept):
// registering every temporary with the FinalizationRegistry cost ~13% of a small op.
function arm(t: Tracked, s: Storage): void {
  if (!registry) return;
  registry.register(t, s, t);
  t._gcArmed = true;
}

export function tensorCreated(t: Tracked, s: Storage): void {
  live.tensors++;
  storageRetained(s);
  const scope = scopes[scopes.length - 1];
  if (scope && tracking) scope.add(t);
  else arm(t, s);
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
