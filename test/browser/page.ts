// Runs in Chromium: opens WebGPU through navigator.gpu, trains the MLP, and leaves the result in
// window.__papergrad for the test to collect. The page is served with a strict CSP (no eval).
import * as pg from '../../src/autograd/index.js';
import { trainMlp } from './train.js';

type Result = { done: true; ok: true; losses: number[]; adapter: string } | { done: true; ok: false; skip: boolean; reason: string };
const w = window as unknown as { __papergrad?: Result };

(async () => {
  const init = await pg.initWebGPU();
  if (!init.ok) {
    w.__papergrad = { done: true, ok: false, skip: true, reason: init.reason };
    return;
  }
  try {
    const losses = await trainMlp('webgpu');
    w.__papergrad = { done: true, ok: true, losses, adapter: `${init.info.vendor} ${init.info.architecture} ${init.info.description}`.trim() };
  } catch (e) {
    w.__papergrad = { done: true, ok: false, skip: false, reason: `${(e as Error).name}: ${(e as Error).message}` };
  }
})();
