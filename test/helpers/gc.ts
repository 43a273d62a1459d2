// Runs the GC until finalizers stop freeing tensors (vitest.config.ts starts workers with --expose-gc).
import * as pg from '../../src/index.js';

export async function collectGarbage(): Promise<void> {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) throw new Error('this test needs node --expose-gc (see vitest.config.ts)');
  for (let i = 0, last = -1; i < 20 && pg.memory().tensors !== last; i++) {
    last = pg.memory().tensors;
    gc();
    await new Promise((r) => setTimeout(r, 10));
  }
}
