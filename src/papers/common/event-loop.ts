/**
 * Letting the event loop run during long synchronous training loops.
 *
 * A training loop on the CPU backend never gives the event loop a turn (`await t.data()` resolves
 * as a microtask), so a run of a minute or more blocks whatever else shares the thread: vitest's
 * worker RPC ("Timeout calling onTaskUpdate"), worker-thread progress messages, timers.
 * `breathe()` yields one macrotask turn (setTimeout 0) when at least `everyMs` have passed since
 * the last yield, so calling it once per minibatch or epoch costs next to nothing.
 *
 * Generic helper (not specific to one paper): papers/common.
 */
let last = 0;

export async function breathe(everyMs = 100): Promise<void> {
  const now = performance.now();
  if (now - last < everyMs) return;
  await new Promise<void>((resolve) => setTimeout(resolve, 0));
  last = performance.now();
}
