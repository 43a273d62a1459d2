// CPU worker threads for large matrix products (src/autograd/cpu/threads.ts): results must be
// bit-identical to the single-threaded kernel for every split, stride pattern and dtype.
import { Worker } from 'node:worker_threads';
import { execFileSync } from 'node:child_process';
import { resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import * as pg from '../../src/index.js';
import { matmulKernel } from '../../src/autograd/cpu/matmul.js';
// @ts-expect-error plain .mjs build script without type declarations
import { buildCpuWorker } from '../../scripts/build-cpu-worker.mjs';

let workerUrl: URL;
beforeAll(async () => {
  const file: string = await buildCpuWorker(resolve(`.tmp/test-cpu-worker.${process.pid}.js`));
  workerUrl = new URL(`file://${file}`);
});
afterAll(() => pg.stopCpuThreads());

/** Bits-equal check of two float arrays, naming the first differing index. */
function expectSameBits(got: ArrayLike<number>, want: ArrayLike<number>): void {
  expect(got.length).toBe(want.length);
  for (let i = 0; i < want.length; i++) {
    if (!Object.is(got[i], want[i])) throw new Error(`element ${i}: ${got[i]} !== ${want[i]}`);
  }
}

/** Reference: the single-threaded kernel on contiguous copies (strides do not change the bits). */
function reference(a: pg.Tensor, b: pg.Tensor): Float32Array | Float64Array {
  const [M, K] = a.shape, N = b.shape[1];
  const A = a.contiguous().dataSync() as Float32Array | Float64Array;
  const B = b.contiguous().dataSync() as Float32Array | Float64Array;
  const out = new (A.constructor as typeof Float32Array)(M * N);
  matmulKernel(A, 0, K, 1, B, 0, N, 1, out, 0, M, N, K);
  return out;
}

describe('CPU threads', () => {
  it('reports why threading is off', async () => {
    expect(pg.cpuThreads()).toEqual({ threads: 1 });
    expect(await pg.initCpuThreads({ Worker, threads: 1 })).toEqual({ threads: 1, reason: 'threads: 1 requested' });
    await expect(pg.initCpuThreads({ Worker, threads: 0 })).rejects.toThrow(/threads must be a positive integer/);
    const bad = await pg.initCpuThreads({ Worker, url: new URL('file:///nonexistent/cpu-worker.js') });
    expect(bad.threads).toBe(1);
    expect(bad.reason).toMatch(/nonexistent\/cpu-worker\.js/);
    expect(pg.cpuThreads().threads).toBe(1);
  });

  describe('with 3 threads', () => {
    beforeAll(async () => {
      expect(await pg.initCpuThreads({ Worker, threads: 3, url: workerUrl, minMacs: 1 })).toEqual({ threads: 3 });
    });

    const g = new pg.Generator(7);
    const cases: [string, number, number, number][] = [
      ['row split, ragged', 37, 29, 50],
      ['column split', 8, 300, 17],
      ['row split, several K panels', 130, 70, 600],
      ['column split, several K panels', 20, 131, 513],
      ['square', 96, 96, 96],
    ];
    for (const [name, M, N, K] of cases) {
      it(`${name}: ${M}x${K} @ ${K}x${N}, float32 and float64, plain and transposed`, () => {
        for (const dtype of ['float32', 'float64'] as const) {
          const a = pg.randn([M, K], { generator: g, dtype }), b = pg.randn([K, N], { generator: g, dtype });
          expectSameBits(a.matmul(b).dataSync(), reference(a, b));
          const at = pg.randn([K, M], { generator: g, dtype }).transpose(0, 1);
          const bt = pg.randn([N, K], { generator: g, dtype }).transpose(0, 1);
          expectSameBits(at.matmul(bt).dataSync(), reference(at, bt));
          const bs = pg.randn([K, 2 * N], { generator: g, dtype }).slice(1, 0, 2 * N, 2); // strided columns
          expectSameBits(a.matmul(bs).dataSync(), reference(a, bs));
        }
      });
    }

    it('batched products and an MLP training run give the same bits as one thread', async () => {
      const run = () => {
        const gen = new pg.Generator(3);
        const w1 = pg.randn([64, 48], { generator: gen }).mul(0.1).requiresGrad_();
        const w2 = pg.randn([48, 10], { generator: gen }).mul(0.1).requiresGrad_();
        const x = pg.randn([4, 40, 64], { generator: gen });
        const y = pg.randint(0, 10, [4, 40, 1], { generator: gen });
        const losses: number[] = [];
        for (let step = 0; step < 3; step++) {
          const loss = x.matmul(w1).relu().matmul(w2).logSoftmax(-1).gather(2, y).neg().mean();
          loss.backward();
          losses.push(loss.dataSync()[0]);
          pg.noGrad(() => [w1, w2].forEach((p) => p.assign_(p.sub(p.grad!.mul(0.5)))));
          pg.zeroGrad([w1, w2]);
        }
        return [...losses, ...w1.dataSync()];
      };
      const threaded = run();
      await pg.stopCpuThreads();
      const single = run();
      expectSameBits(threaded, single);
      await pg.initCpuThreads({ Worker, threads: 3, url: workerUrl, minMacs: 1 });
    });

    it('softmax rows split across the threads give the bits of one thread (both precisions)', async () => {
      if (pg.cpuInfo().kernels !== 'wasm') return; // the fused kernel is the wasm backend's
      const x = pg.randn([37, 130], { generator: g }).mul(20);
      const bits = () => (['reference', 'fast'] as const).map((mode) => {
        pg.setCpuPrecision(mode);
        try { return pg.tidy(() => x.softmax(-1).dataSync()); } finally { pg.setCpuPrecision('reference'); }
      });
      const threaded = bits();
      expect(pg.cpuThreads().threads).toBe(3); // no worker failed (a failure turns threading off)
      await pg.stopCpuThreads();
      const single = bits();
      threaded.forEach((t, i) => expectSameBits(t, single[i]));
      await pg.initCpuThreads({ Worker, threads: 3, url: workerUrl, minMacs: 1 });
    });

    it('products below minMacs or of vector shape stay on the calling thread', async () => {
      await pg.initCpuThreads({ Worker, threads: 2, url: workerUrl, minMacs: 1 << 30 });
      const a = pg.randn([50, 60], { generator: g }), b = pg.randn([60, 70], { generator: g });
      expectSameBits(a.matmul(b).dataSync(), reference(a, b));
      await pg.initCpuThreads({ Worker, threads: 3, url: workerUrl, minMacs: 1 });
      const v = pg.randn([60, 1], { generator: g });
      expectSameBits(a.matmul(v).dataSync(), reference(a, v));
    });
  });

  it('a failing worker: the product is still right, a warning says so, threading turns off', async () => {
    const url = new URL('../fixtures/failing-cpu-worker.mjs', import.meta.url);
    expect(await pg.initCpuThreads({ Worker, threads: 2, url, minMacs: 1 })).toEqual({ threads: 2 });
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    const g = new pg.Generator(9);
    const a = pg.randn([40, 30], { generator: g }), b = pg.randn([30, 20], { generator: g });
    expectSameBits(a.matmul(b).dataSync(), reference(a, b));
    expect(warn).toHaveBeenCalledWith(expect.stringMatching(/CPU worker thread failed/));
    warn.mockRestore();
    expect(pg.cpuThreads()).toEqual({ threads: 1, reason: 'a worker thread failed' });
  });

  it('a process with idle CPU threads still exits', () => {
    const out = execFileSync(process.execPath, ['scripts/run-ts.mjs', 'test/fixtures/threads-exit.ts'], { encoding: 'utf8', timeout: 60_000 });
    expect(JSON.parse(out.trim().split('\n').pop()!)).toEqual({ threads: 2, value: 64 });
  });
});
