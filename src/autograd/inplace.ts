// Fused optimizer updates that write in place (for pg.nn's optimizers; not part of the public API).
// Ops never write their inputs: an optimizer's op path makes new tensors and swaps them in
// (assign_). A backend's fused update (Backend.adamStep) instead overwrites the parameter and its
// state buffers, which is the same thing only when no other tensor can see those storages.
import type { AdamScalars } from './backend.js';
import type { Tensor } from './tensor.js';
import { checkInPlace } from './engine.js';
import { realize } from './memory.js';

/**
 * Adam's update of p (gradient g, moments m and v) by its backend's fused kernel, in place: where
 * the backend has one, the four tensors share it, and p, m and v are each the only tensor on their
 * storage (a view, an alias a graph node saved, or a tensor handed out elsewhere makes its
 * refcount > 1: the caller's op path then keeps the usual semantics). Counts an in-place write of
 * p, m and v (their versions), as assign_ does. Returns false, writing nothing, where it does not apply.
 */
export function adamStepInPlace(p: Tensor, g: Tensor, m: Tensor, v: Tensor, c: AdamScalars): boolean {
  const b = p.storage.backend;
  if (!b.adamStep || g.storage.backend !== b || m.storage.backend !== b || v.storage.backend !== b) return false;
  for (const t of [p, g, m, v]) t.assertAlive('Adam.step');
  // Four distinct tensors, and p, m and v each alone on its storage: then no two share memory.
  if (new Set([p, g, m, v]).size !== 4 || p.storage.refs !== 1 || m.storage.refs !== 1 || v.storage.refs !== 1) return false;
  checkInPlace('Adam.step', p, g);
  for (const t of [p, g, m, v]) realize(t.storage);
  // A gradient that arrives as a strided view (a weight's, from a transposed product) is copied
  // into p's layout first: the kernel walks all four in one order.
  const gc = g.isContiguous ? g : g.contiguous();
  try {
    if (!b.adamStep(p, gc, m, v, c)) return false;
  } finally {
    if (gc !== g) gc.dispose();
  }
  for (const t of [p, m, v]) t._meta.version++;
  return true;
}
