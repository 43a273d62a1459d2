/**
 * Host-side random draws the papers share: a seeded permutation of 0..n−1 and a seed for a
 * separate generator, both drawn on the CPU from a pg.Generator (so the same numbers on every
 * device).
 *
 * Generic helper (not specific to one paper): papers/common.
 */
import * as pg from '../../autograd/index.js';

/** A seeded random permutation of 0..n−1 (host array). */
export function permutation(n: number, g: pg.Generator): Int32Array {
  const t = pg.randperm(n, { generator: g, device: 'cpu' });
  const a = Int32Array.from(t.dataSync() as ArrayLike<number>);
  t.dispose();
  return a;
}

/** A seed for a separate generator, drawn from g (uniform on [0, 2³¹ − 1)). */
export function drawSeed(g: pg.Generator): number {
  const t = pg.randint(0, 2 ** 31 - 1, [1], { generator: g, device: 'cpu' });
  const v = (t.dataSync() as ArrayLike<number>)[0]!;
  t.dispose();
  return v;
}
