// Random tensors drawn on the GPU (WGSL_RANDOM) against the CPU fills: same seeds, same offsets.
import { describe, expect, it } from 'vitest';
import * as pg from '../../src/index.js';
import { setupWebGPU } from './setup.js';
import { ulpDistance } from '../helpers/optable.js';

const gpu = await setupWebGPU();

async function both(draw: (device: 'cpu' | 'webgpu', g: pg.Generator) => pg.Tensor, seed = 7): Promise<[ArrayLike<number>, ArrayLike<number>]> {
  const gc = new pg.Generator(seed), gw = new pg.Generator(seed);
  const c = draw('cpu', gc), w = draw('webgpu', gw);
  expect(w.device).toBe('webgpu');
  expect(gw.offset).toBe(gc.offset);
  return [await w.data(), await c.data()];
}

function bits(a: ArrayLike<number>): Uint32Array {
  return new Uint32Array(Float32Array.from(a as ArrayLike<number>).buffer);
}

describe.skipIf(!gpu.ok)('WebGPU random numbers match the CPU', { timeout: 60_000 }, () => {
  it('golden values of docs/random.md', async () => {
    const g = new pg.Generator(0);
    expect(Array.from(await pg.rand([4], { generator: g, device: 'webgpu' }).data())).toEqual([0.3990464210510254, 0.8805201649665833, 0.7357127666473389, 0.6054818034172058]);
    const h = new pg.Generator(0);
    expect(Array.from(await pg.randn([4], { generator: h, device: 'webgpu' }).data())).toEqual([0.9911375045776367, -0.6176090836524963, -0.1536381095647812, 0.8317351341247559]);
  });

  it('rand is bit-exact, for several draws and ranges', async () => {
    for (const [shape, low, high] of [[[1000], 0, 1], [[37, 29], -3, 5.5], [[3], 1e-3, 2e-3], [[100003], -1, 1]] as const) {
      const [w, c] = await both((device, g) => {
        pg.rand([5], { generator: g, device }); // advance the stream first
        return pg.rand(shape as unknown as number[], { generator: g, device, low, high });
      });
      expect(bits(w)).toEqual(bits(c));
    }
  });

  it('randn is bit-exact (exact sqrt, same float32 steps; no FMA contraction on this adapter)', async () => {
    for (const [n, mean, std] of [[4096, 0, 1], [777, 3, 0.25], [100001, -1, 2]] as const) {
      const [w, c] = await both((device, g) => pg.randn([n], { generator: g, device, mean, std }));
      let worst = 0;
      for (let i = 0; i < c.length; i++) worst = Math.max(worst, ulpDistance(w[i], c[i]));
      // The promise across GPUs is 1 ulp (a driver may fuse a*b+c); lavapipe gives the same bits.
      expect(worst).toBeLessThanOrEqual(1);
      if (!gpu.fallback) continue;
      expect(bits(w)).toEqual(bits(c));
    }
  });

  it('randint and bernoulli are exact (all dtypes)', async () => {
    for (const [low, high] of [[0, 10], [-5, 3], [-2147483648, 0], [-1073741824, 1073741824], [0, 1]]) {
      const [w, c] = await both((device, g) => pg.randint(low, high, [999], { generator: g, device }));
      expect(Array.from(w)).toEqual(Array.from(c));
    }
    expect(() => pg.randint(-2147483648, 2147483647, [3], { device: 'webgpu' })).toThrow(/high - low <= 2\^31/);
    for (const dtype of ['float32', 'int32', 'bool'] as const) {
      const [w, c] = await both((device, g) => pg.bernoulli(0.3, [5000], { generator: g, device, dtype }));
      expect(Array.from(w)).toEqual(Array.from(c));
    }
    const [w, c] = await both((device, g) => pg.bernoulli(pg.rand([64], { generator: new pg.Generator(3) }).to(device), { generator: g }));
    expect(Array.from(w)).toEqual(Array.from(c));
  });

  it('dropout masks, normal_/uniform_ and randperm agree', async () => {
    const [w, c] = await both((device, g) => pg.dropout(pg.ones([20, 30], { device }), 0.25, { generator: g }));
    expect(Array.from(w)).toEqual(Array.from(c));
    const [w2, c2] = await both((device, g) => pg.uniform_(pg.zeros([300], { device }), -2, 2, { generator: g }));
    expect(bits(w2)).toEqual(bits(c2));
    const [w3, c3] = await both((device, g) => pg.randperm(50, { generator: g, device }));
    expect(Array.from(w3)).toEqual(Array.from(c3));
  });

  it('float64 draws fail clearly', () => {
    expect(() => pg.randn([3], { device: 'webgpu', dtype: 'float64' })).toThrow(/float64 is CPU-only/);
  });

  it('multinomial samples as the CPU does (same words; float32 boundaries aside) and keeps the generator in step', async () => {
    const probs = (device: pg.Device) => pg.tensor([[0.1, 0, 0.3, 0.6], [5, 1, 0, 4], [0.25, 0.25, 0.25, 0.25]], { device });
    for (const replacement of [true, false]) {
      const S = replacement ? 500 : 3;
      const [w, c] = await both((device, g) => pg.multinomial(probs(device), S, { generator: g, replacement }));
      let differ = 0;
      for (let i = 0; i < c.length; i++) if (w[i] !== c[i]) differ++;
      expect(differ).toBeLessThanOrEqual(1); // a draw within ~2^-24 of a boundary may fall either side
      // Zero-probability categories are never drawn.
      for (let s = 0; s < S; s++) { expect(w[s]).not.toBe(1); expect(w[S + s]).not.toBe(2); }
      // The next draw after multinomial is the same on both devices.
      const [w2, c2] = await both((device, g) => { pg.multinomial(probs(device), S, { generator: g, replacement }); return pg.rand([5], { generator: g, device }); });
      expect(bits(w2)).toEqual(bits(c2));
    }
    const [w1, c1] = await both((device, g) => pg.multinomial(probs(device), 1, { generator: g })); // argmin path
    expect(Array.from(w1)).toEqual(Array.from(c1));
    // 1-D probs give 1-D samples; without replacement every sample is distinct.
    const one = await pg.multinomial(pg.tensor([1, 2, 3, 4, 5], { device: 'webgpu' }), 5, { generator: new pg.Generator(1) }).data();
    expect([...one].sort()).toEqual([0, 1, 2, 3, 4]);
  });

  it('multinomial on webgpu marks invalid rows with -1 (no readback to throw from)', async () => {
    const p = pg.tensor([[1, -1, 2], [1, NaN, 2], [0, 0, 0], [1, 0, 0], [1, 1, 1]], { device: 'webgpu' });
    const withR = await pg.multinomial(p, 2, { replacement: true, generator: new pg.Generator(3) }).toArray() as number[][];
    expect(withR.slice(0, 3)).toEqual([[-1, -1], [-1, -1], [-1, -1]]);
    expect(withR[3]).toEqual([0, 0]);
    const without = await pg.multinomial(p, 2, { generator: new pg.Generator(3) }).toArray() as number[][];
    expect(without.slice(0, 4)).toEqual([[-1, -1], [-1, -1], [-1, -1], [-1, -1]]); // row 3 has one positive category
    expect(without[4][0]).not.toBe(without[4][1]);
  });
});
