// Safety, class "resource hygiene" (CPU threads): option values are checked, a path or a URL finds
// the worker script, and any interleaving of initCpuThreads / stopCpuThreads calls made without
// awaiting ends in the state of the last call with no worker left running unowned.
import { Worker } from 'node:worker_threads';
import { resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as pg from '../../src/index.js';
// @ts-expect-error plain .mjs build script without type declarations
import { buildCpuWorker } from '../../scripts/build-cpu-worker.mjs';

/** A Worker that only says it is ready (after a random-ish delay) and counts who is alive. */
const alive = new Set<FakeWorker>();
const urls: string[] = [];
class FakeWorker {
  private listeners: ((m: unknown) => void)[] = [];
  constructor(url: URL) {
    alive.add(this);
    urls.push(url.href);
    setTimeout(() => this.listeners.forEach((l) => l('papergrad-cpu-worker-ready')), (alive.size * 7) % 5);
  }
  on(event: string, l: (m: unknown) => void) {
    if (event === 'message') this.listeners.push(l);
  }
  postMessage() {}
  terminate() {
    alive.delete(this);
  }
}
const Fake = FakeWorker as unknown as pg.CpuThreadsOptions['Worker'];

afterAll(() => pg.stopCpuThreads());

describe('initCpuThreads options', () => {
  const BAD: [string, Partial<pg.CpuThreadsOptions> | null, RegExp][] = [];
  for (const threads of [0, -1, 1.5, NaN, Infinity, -Infinity, 1e9, '2', null, true, [2], {}])
    BAD.push([`threads ${String(threads)}`, { threads: threads as number }, /initCpuThreads: threads must be a positive integer/]);
  for (const minMacs of [-1, NaN, Infinity, '5', null])
    BAD.push([`minMacs ${String(minMacs)}`, { minMacs: minMacs as number }, /initCpuThreads: minMacs must be/]);
  for (const startTimeoutMs of [0, -5, NaN, Infinity, '10'])
    BAD.push([`startTimeoutMs ${String(startTimeoutMs)}`, { startTimeoutMs: startTimeoutMs as number }, /initCpuThreads: startTimeoutMs must be/]);
  for (const url of ['', null, 5, {}, true])
    BAD.push([`url ${JSON.stringify(url)}`, { url: url as string }, /initCpuThreads: url must be a URL, a URL string or a file path/]);
  for (const W of [undefined, null, 'Worker', {}])
    BAD.push([`Worker ${String(W)}`, { Worker: W as any }, /initCpuThreads: Worker must be a Worker class/]);

  it('bad values are errors that name the option, and leave running threads alone', async () => {
    expect(await pg.initCpuThreads({ Worker: Fake, threads: 3 })).toEqual({ threads: 3 });
    for (const [what, opts, re] of BAD) {
      await expect(pg.initCpuThreads({ Worker: Fake, ...opts } as pg.CpuThreadsOptions), what).rejects.toThrow(re);
      expect(pg.cpuThreads(), what).toEqual({ threads: 3 });
      expect(alive.size, what).toBe(2);
    }
    await expect(pg.initCpuThreads(null as any)).rejects.toThrow(/expected an options object/);
    await pg.stopCpuThreads();
    expect(alive.size).toBe(0);
  });

  it('url: a URL, a URL string, an absolute path or a relative path (with spaces, # and %)', async () => {
    urls.length = 0;
    await pg.initCpuThreads({ Worker: Fake, url: new URL('file:///srv/w.js') });
    await pg.initCpuThreads({ Worker: Fake, url: 'file:///srv/w.js' });
    await pg.initCpuThreads({ Worker: Fake, url: 'https://example.org/w.js' });
    await pg.initCpuThreads({ Worker: Fake, url: '/srv/my dir/#1/50%/w.js' });
    await pg.initCpuThreads({ Worker: Fake, url: 'dist/cpu-worker.js' });
    expect(urls).toEqual([
      'file:///srv/w.js',
      'file:///srv/w.js',
      'https://example.org/w.js',
      'file:///srv/my%20dir/%231/50%25/w.js',
      `file://${process.cwd()}/dist/cpu-worker.js`,
    ]);
    await pg.stopCpuThreads();
  });
});

describe('concurrent initCpuThreads / stopCpuThreads', () => {
  it('any interleaving ends in the last call\'s state with no orphaned worker (200 generated sequences)', async () => {
    // A small counter-based generator for the sequences (fixed seed).
    let seed = 12345;
    const next = (n: number) => {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      return (seed >>> 16) % n;
    };
    for (let run = 0; run < 200; run++) {
      const calls: Promise<unknown>[] = [];
      let last = 1;
      const len = 1 + next(6);
      for (let k = 0; k < len; k++) {
        if (next(4) === 0) {
          calls.push(pg.stopCpuThreads());
          last = 1;
        } else {
          const threads = 1 + next(4);
          calls.push(pg.initCpuThreads({ Worker: Fake, threads }));
          last = threads;
        }
        if (next(3) === 0) await calls[calls.length - 1];
      }
      await Promise.all(calls);
      expect(pg.cpuThreads().threads, `run ${run}`).toBe(last);
      expect(alive.size, `run ${run}`).toBe(last - 1);
    }
    await pg.stopCpuThreads();
    expect(alive.size).toBe(0);
  });
});

describe('a real worker found by a path', () => {
  let file = '';
  beforeAll(async () => {
    file = await buildCpuWorker(resolve(`.tmp/safety-cpu-worker.${process.pid}.js`));
  });
  it('runs threaded products with url given as a plain file path', async () => {
    expect(await pg.initCpuThreads({ Worker, threads: 2, url: file, minMacs: 1 })).toEqual({ threads: 2 });
    const a = pg.ones([64, 32]), b = pg.ones([32, 48]);
    expect(a.matmul(b).dataSync()[0]).toBe(32);
    await pg.stopCpuThreads();
  });
});
