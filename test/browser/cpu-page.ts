// Runs in Chromium: the 'cpu' device under the page's Content-Security-Policy (WebAssembly kernels
// where it allows 'wasm-unsafe-eval', the pure-JS ones where it does not), trains the MLP of
// train.ts, grows the heap past a live tensor's views, and leaves the result in window.__papergrad.
import * as pg from '../../src/autograd/index.js';
import { trainMlp } from './train.js';

type Result = { done: true; info: pg.CpuInfo; losses: number[]; grown: boolean; shared: boolean } | { done: true; error: string };
const w = window as unknown as { __papergrad?: Result };

(async () => {
  try {
    const losses = await trainMlp('cpu');
    // A tensor made before the memory grows must read the same afterwards (views re-made on growth).
    const x = pg.arange(1000).float();
    const before = x.dataSync().slice();
    const big = pg.zeros([16 << 20]); // 64 MiB: the heap grows
    const after = x.dataSync();
    const grown = before.every((v, i) => v === after[i]) && x.add(1).dataSync()[999] === 1000;
    big.dispose();
    w.__papergrad = { done: true, info: pg.cpuInfo(), losses, grown, shared: typeof SharedArrayBuffer !== 'undefined' };
  } catch (e) {
    w.__papergrad = { done: true, error: `${(e as Error).name}: ${(e as Error).message}` };
  }
})();
