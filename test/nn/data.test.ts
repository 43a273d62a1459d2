import { describe, expect, it } from 'vitest';
import * as pg from '../../src/index.js';
import {
  DataLoader,
  applyShift,
  dyckLanguage,
  gaussianMixture,
  injectLabelNoise,
  markovLanguage,
  normalCdf,
  plantNearDuplicates,
  proceduralImages,
  IMAGE_CLASSES,
} from '../../src/nn/data/index.js';

const ints = (t: pg.Tensor) => Array.from(t.dataSync());

function tinyData(n = 10) {
  const x = pg.arange(n * 2, { dtype: 'float32' }).reshape(n, 2); // row i = [2i, 2i+1]
  const y = pg.arange(n).mul(3); // y_i = 3i (int32)
  return { x, y };
}

describe('DataLoader', () => {
  it('sequential batches, last one partial, len', () => {
    const loader = new DataLoader({ dataset: tinyData(10), batchSize: 4 });
    expect(loader.len).toBe(3);
    const batches = [...loader];
    expect(batches.map((b) => b.x.shape[0])).toEqual([4, 4, 2]);
    expect(ints(batches[2].index)).toEqual([8, 9]);
    expect(batches[2].index.dtype).toBe('int32');
    expect(batches[2].x.toArraySync()).toEqual([[16, 17], [18, 19]]);
    expect(ints(batches[2].y)).toEqual([24, 27]);
    batches.forEach((b) => b.dispose());
    const dl = new DataLoader({ dataset: tinyData(10), batchSize: 4, dropLast: true });
    expect(dl.len).toBe(2);
    expect([...dl].map((b) => b.x.shape[0])).toEqual([4, 4]);
  });

  it('shuffles with the generator: deterministic, a new permutation each epoch, rows match index', () => {
    const epochs = (seed: number) => {
      const loader = new DataLoader({ dataset: tinyData(10), batchSize: 3, shuffle: true, generator: new pg.Generator(seed) });
      return [0, 1, 2].map(() => [...loader].map((b) => {
        const idx = ints(b.index);
        // Per-sample bookkeeping: every row is the dataset row its index names.
        expect(b.x.toArraySync()).toEqual(idx.map((i) => [2 * i, 2 * i + 1]));
        expect(ints(b.y)).toEqual(idx.map((i) => 3 * i));
        b.dispose();
        return idx;
      }));
    };
    const a = epochs(1);
    expect(epochs(1)).toEqual(a);
    expect(epochs(2)).not.toEqual(a);
    for (const ep of a) expect(ep.flat().sort((p, q) => p - q)).toEqual([...Array(10).keys()]); // each epoch: a permutation
    expect(a[0].flat()).not.toEqual(a[1].flat());
    expect(a[0].map((b) => b.length)).toEqual([3, 3, 3, 1]);
    // It is pg.randperm with the generator.
    const perm = ints(pg.randperm(10, { generator: new pg.Generator(1) }));
    expect(a[0].flat()).toEqual(perm);
  });

  it('dropLast drops the n mod batchSize samples left over by the permutation', () => {
    const loader = new DataLoader({ dataset: tinyData(10), batchSize: 4, shuffle: true, dropLast: true, generator: new pg.Generator(3) });
    const seen = [...loader].flatMap((b) => ints(b.index));
    expect(seen.length).toBe(8);
    expect(new Set(seen).size).toBe(8);
    expect(loader.epochOrder().slice(0, 8)).toEqual(Int32Array.from(seen));
  });

  it('list datasets, resuming mid-epoch, nextBatch across epochs, validation', () => {
    const { x, y } = tinyData(7);
    const a = new DataLoader({ dataset: [x, y], batchSize: 2, shuffle: true, generator: new pg.Generator(9) });
    const first = a.nextBatch();
    expect(first.tensors.length).toBe(2);
    expect(first.x.shape).toEqual([2, 2]);
    expect(first.y.shape).toEqual([2]);
    a.nextBatch();
    const saved = JSON.parse(JSON.stringify(a.stateDict()));
    const rest = [...a].map((b) => ints(b.index));
    expect(rest.length).toBe(2);
    const nextEpoch = ints(a.nextBatch().index);
    const b = new DataLoader({ dataset: [x, y], batchSize: 2, shuffle: true, generator: new pg.Generator(12345) });
    b.loadStateDict(saved);
    expect(b.epoch).toBe(1);
    expect(b.position).toBe(2);
    expect([...b].map((bb) => ints(bb.index))).toEqual(rest);
    expect(ints(b.nextBatch().index)).toEqual(nextEpoch);
    expect(b.epoch).toBe(2);

    expect(() => new DataLoader({ dataset: { x, y: pg.zeros([3]) }, batchSize: 2 })).toThrow(/first dimension/);
    expect(() => new DataLoader({ dataset: { x, index: y }, batchSize: 2 })).toThrow(/reserved/);
    expect(() => new DataLoader({ dataset: { x }, batchSize: 0 })).toThrow(/batchSize/);
  });

  it('iterating with dispose keeps memory flat', () => {
    const loader = new DataLoader({ dataset: tinyData(50), batchSize: 8, shuffle: true, generator: new pg.Generator(0) });
    for (const b of loader) b.dispose();
    const before = pg.memory();
    for (let e = 0; e < 20; e++) for (const b of loader) b.dispose();
    expect(pg.memory().tensors).toBe(before.tensors);
    expect(pg.memory().bytes.cpu).toBe(before.bytes.cpu);
  });
});

describe('gaussianMixture', () => {
  it('class balance, exact separation, class means and spread', () => {
    const K = 3, D = 5, n = 6000, std = 0.7;
    const m = gaussianMixture({ numClasses: K, dim: D, n, separation: 4, std, generator: new pg.Generator(1) });
    expect(m.x.shape).toEqual([n, D]);
    expect(m.x.dtype).toBe('float32');
    expect(m.y.dtype).toBe('int32');
    const y = ints(m.y);
    const x = m.x.dataSync();
    for (let k = 0; k < K; k++) {
      const count = y.filter((v) => v === k).length;
      expect(Math.abs(count - n / K)).toBeLessThan(4 * Math.sqrt((n * (1 / K) * (1 - 1 / K)))); // binomial, 4 sigma
      for (let j = k + 1; j < K; j++) {
        const d = Math.hypot(...m.means[k].map((v, i) => v - m.means[j][i]));
        expect(d).toBeCloseTo(4, 12);
      }
      // Empirical class mean within 4 standard errors of the true mean; spread ~ std.
      const rows = y.flatMap((v, i) => (v === k ? [i] : []));
      for (let d = 0; d < D; d++) {
        const vals = rows.map((i) => x[i * D + d]);
        const mu = vals.reduce((a, b) => a + b, 0) / vals.length;
        expect(Math.abs(mu - m.means[k][d])).toBeLessThan((4 * std) / Math.sqrt(vals.length));
        const sd = Math.sqrt(vals.reduce((a, b) => a + (b - mu) ** 2, 0) / (vals.length - 1));
        expect(Math.abs(sd - std)).toBeLessThan(0.05);
      }
    }
    // Seeded.
    const again = gaussianMixture({ numClasses: K, dim: D, n, separation: 4, std, generator: new pg.Generator(1) });
    expect(again.x.dataSync()).toEqual(m.x.dataSync());
  });

  it('non-uniform priors; more classes than dimensions', () => {
    const m = gaussianMixture({ numClasses: 2, dim: 2, n: 4000, priors: [3, 1], generator: new pg.Generator(2) });
    expect(m.priors).toEqual([0.75, 0.25]);
    const frac = ints(m.y).filter((v) => v === 0).length / 4000;
    expect(Math.abs(frac - 0.75)).toBeLessThan(4 * Math.sqrt((0.75 * 0.25) / 4000));
    const many = gaussianMixture({ numClasses: 10, dim: 64, n: 10, separation: 2, generator: new pg.Generator(3) });
    const wide = gaussianMixture({ numClasses: 40, dim: 8, n: 10, separation: 2, generator: new pg.Generator(3) });
    expect(many.means.length).toBe(10);
    let s = 0, c = 0;
    for (let i = 0; i < 40; i++)
      for (let j = i + 1; j < 40; j++) (s += Math.hypot(...wide.means[i].map((v, d) => v - wide.means[j][d])) ** 2), c++;
    expect(Math.sqrt(s / c)).toBeGreaterThan(1.7); // RMS pairwise distance ~ separation
    expect(Math.sqrt(s / c)).toBeLessThan(2.3);
  });

  it('truePosterior is the exact Bayes posterior (two classes: a logistic in x) and its accuracy is the Bayes rate', () => {
    const std = 1.2, sep = 2;
    const m = gaussianMixture({ numClasses: 2, dim: 3, n: 20000, separation: sep, std, priors: [1, 1], generator: new pg.Generator(4), dtype: 'float64' });
    const post = m.truePosterior(m.x);
    expect(post.shape).toEqual([20000, 2]);
    expect(post.dtype).toBe('float64');
    const p = post.dataSync();
    const x = m.x.dataSync();
    const [mu0, mu1] = m.means;
    for (let i = 0; i < 50; i++) {
      const xi = [x[3 * i], x[3 * i + 1], x[3 * i + 2]];
      const dot = (a: number[], b: number[]) => a.reduce((s, v, k) => s + v * b[k], 0);
      const logit = (dot(xi, mu1) - dot(xi, mu0) - (dot(mu1, mu1) - dot(mu0, mu0)) / 2) / (std * std);
      expect(p[2 * i + 1]).toBeCloseTo(1 / (1 + Math.exp(-logit)), 12);
      expect(p[2 * i] + p[2 * i + 1]).toBeCloseTo(1, 14);
    }
    const y = ints(m.y);
    let correct = 0;
    for (let i = 0; i < y.length; i++) if ((p[2 * i + 1] > 0.5 ? 1 : 0) === y[i]) correct++;
    const bayesErr = normalCdf(-sep / (2 * std));
    expect(m.pairwiseBayesError(0, 1)).toBeCloseTo(bayesErr, 14);
    expect(Math.abs(1 - correct / y.length - bayesErr)).toBeLessThan(4 * Math.sqrt((bayesErr * (1 - bayesErr)) / y.length));
    expect(normalCdf(0)).toBe(0.5);
    expect(normalCdf(-1.959963984540054)).toBeCloseTo(0.025, 14);
  });
});

describe('label noise', () => {
  it('symmetric: rate within tolerance, flipped mask exact, new classes uniform over the others', () => {
    const n = 20000, K = 4, rate = 0.3;
    const y = pg.randint(0, K, [n], { generator: new pg.Generator(1) });
    const r = injectLabelNoise(y, { rate, numClasses: K, kind: 'symmetric', generator: new pg.Generator(2) });
    const clean = ints(y), noisy = ints(r.y), flipped = ints(r.flipped);
    expect(r.flipped.dtype).toBe('bool');
    expect(r.y.dtype).toBe('int32');
    let f = 0;
    const to = new Array(K).fill(0);
    for (let i = 0; i < n; i++) {
      expect(flipped[i]).toBe(noisy[i] !== clean[i] ? 1 : 0);
      if (flipped[i]) {
        f++;
        to[(noisy[i] - clean[i] + K) % K]++;
      }
    }
    expect(Math.abs(f / n - rate)).toBeLessThan(4 * Math.sqrt((rate * (1 - rate)) / n));
    expect(to[0]).toBe(0);
    for (let d = 1; d < K; d++) expect(Math.abs(to[d] / f - 1 / 3)).toBeLessThan(0.03);
    r.transition.forEach((row, i) => {
      expect(row.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 14);
      expect(row[i]).toBeCloseTo(0.7, 14);
    });
  });

  it('asymmetric (pair flips, or a custom mapping); rate 0 and 1', () => {
    const y = pg.tensor(new Int32Array(5000).map((_, i) => i % 3));
    const r = injectLabelNoise(y, { rate: 0.2, numClasses: 3, kind: 'asymmetric', generator: new pg.Generator(5) });
    const clean = ints(y), noisy = ints(r.y), fl = ints(r.flipped);
    for (let i = 0; i < clean.length; i++) expect(noisy[i]).toBe(fl[i] ? (clean[i] + 1) % 3 : clean[i]);
    expect(Math.abs(fl.reduce((a, b) => a + b, 0) / 5000 - 0.2)).toBeLessThan(0.025);
    expect(r.transition).toEqual([[0.8, 0.2, 0], [0, 0.8, 0.2], [0.2, 0, 0.8]]);
    const custom = injectLabelNoise(y, { rate: 1, numClasses: 3, kind: 'asymmetric', mapping: [2, 0, 1], generator: new pg.Generator(5) });
    expect(ints(custom.y)).toEqual(clean.map((c) => [2, 0, 1][c]));
    const none = injectLabelNoise(y, { rate: 0, numClasses: 3 });
    expect(ints(none.y)).toEqual(clean);
    expect(() => injectLabelNoise(y, { rate: 0.1, numClasses: 3, kind: 'asymmetric', mapping: [0, 1, 2] })).toThrow(/mapping/);
    expect(() => injectLabelNoise(y, { rate: 1.5, numClasses: 3 })).toThrow(/rate/);
    expect(() => injectLabelNoise(y, { rate: 0.1, numClasses: 2 })).toThrow(/outside/);
  });
});

describe('near-duplicates', () => {
  it('copies sit close to their sources, with their labels and group ids', () => {
    const m = gaussianMixture({ numClasses: 3, dim: 8, n: 100, generator: new pg.Generator(1) });
    const r = plantNearDuplicates(m.x, m.y, { groups: 5, copies: 3, noise: 0.01, generator: new pg.Generator(2) });
    expect(r.x.shape).toEqual([115, 8]);
    expect(r.y.shape).toEqual([115]);
    expect(new Set(r.sources).size).toBe(5);
    const x = r.x.dataSync(), y = ints(r.y), gid = ints(r.groupId), src = ints(r.sourceIndex);
    const x0 = m.x.dataSync();
    expect(Array.from(x.subarray(0, 800))).toEqual(Array.from(x0)); // originals untouched
    for (let j = 100; j < 115; j++) {
      const s = src[j];
      expect(r.sources[gid[j]]).toBe(s);
      expect(gid[s]).toBe(gid[j]);
      expect(y[j]).toBe(y[s]);
      let maxDiff = 0, far = Infinity;
      for (let d = 0; d < 8; d++) maxDiff = Math.max(maxDiff, Math.abs(x[j * 8 + d] - x[s * 8 + d]));
      expect(maxDiff).toBeLessThan(0.06); // 6 sigma
      expect(maxDiff).toBeGreaterThan(0);
      // Much closer to its source than to any other original.
      for (let i = 0; i < 100; i++) {
        if (i === s) continue;
        far = Math.min(far, Math.hypot(...Array.from({ length: 8 }, (_, d) => x[j * 8 + d] - x[i * 8 + d])));
      }
      expect(far).toBeGreaterThan(10 * maxDiff);
    }
    expect(gid.filter((g) => g === -1).length).toBe(95);
    const img = proceduralImages({ n: 4, size: 16, generator: new pg.Generator(1) });
    const c = plantNearDuplicates(img.x, img.y, { groups: 2, copies: 2, noise: 0.5, clamp: [0, 1], generator: new pg.Generator(3) });
    const cv = c.x.dataSync();
    expect(Math.min(...cv)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...cv)).toBeLessThanOrEqual(1);
  });
});

describe('proceduralImages', () => {
  it('shapes, ranges, labels, determinism, every class drawable', () => {
    const r = proceduralImages({ n: 140, size: 16, generator: new pg.Generator(1) });
    expect(r.x.shape).toEqual([140, 3, 16, 16]);
    expect(r.x.dtype).toBe('float32');
    expect(r.classNames.length).toBe(7);
    const x = r.x.dataSync();
    let lo = Infinity, hi = -Infinity;
    for (const v of x) (lo = Math.min(lo, v)), (hi = Math.max(hi, v));
    expect(lo).toBeGreaterThanOrEqual(0.1 - 1e-6);
    expect(hi).toBeLessThanOrEqual(1);
    const counts = new Array(7).fill(0);
    for (const c of ints(r.y)) counts[c]++;
    expect(Math.min(...counts)).toBeGreaterThan(5);
    expect(proceduralImages({ n: 140, size: 16, generator: new pg.Generator(1) }).x.dataSync()).toEqual(x);
    const all = proceduralImages({ n: 34, size: 32, classes: IMAGE_CLASSES, generator: new pg.Generator(2) });
    expect(all.x.shape).toEqual([34, 3, 32, 32]);
    expect(proceduralImages({ n: 2, classes: 'digits' }).classNames[9]).toBe('digit9');
    expect(proceduralImages({ n: 2, classes: 3 }).classNames).toEqual(['circle', 'square', 'triangle']);
    expect(() => proceduralImages({ n: 2, classes: ['blob'] })).toThrow(/unknown class/);
    expect(() => proceduralImages({ n: 2, size: 4 })).toThrow(/size/);
  });

  it('the classes are distinguishable (a nearest-centroid classifier beats chance by far)', () => {
    for (const classes of ['shapes', 'digits'] as const) {
      const train = proceduralImages({ n: 400, size: 16, classes, generator: new pg.Generator(3), maxRotation: 0.2 });
      const test = proceduralImages({ n: 200, size: 16, classes, generator: new pg.Generator(4), maxRotation: 0.2 });
      const K = train.classNames.length, P = 3 * 16 * 16;
      // Normalise each image (zero mean, unit norm) so colours matter less than the figure.
      const norm = (d: Float32Array | Float64Array | Int32Array | Uint8Array, i: number) => {
        const v = Array.from(d.subarray(i * P, (i + 1) * P));
        const mu = v.reduce((a, b) => a + b, 0) / P;
        const c = v.map((e) => e - mu);
        const s = Math.sqrt(c.reduce((a, b) => a + b * b, 0)) || 1;
        return c.map((e) => e / s);
      };
      const cent = Array.from({ length: K }, () => new Float64Array(P));
      const tx = train.x.dataSync(), ty = ints(train.y);
      ty.forEach((c, i) => norm(tx, i).forEach((v, j) => (cent[c][j] += v)));
      const ex = test.x.dataSync(), ey = ints(test.y);
      let correct = 0;
      ey.forEach((c, i) => {
        const v = norm(ex, i);
        let best = -1, bestS = -Infinity;
        cent.forEach((m, k) => {
          const s = v.reduce((a, e, j) => a + e * m[j], 0) / Math.sqrt(m.reduce((a, e) => a + e * e, 0));
          if (s > bestS) (bestS = s), (best = k);
        });
        if (best === c) correct++;
      });
      expect(correct / ey.length, classes).toBeGreaterThan(2.5 / K);
    }
  });

  it('shifts: invert, grayscale, swap, blur, noise', () => {
    const base = proceduralImages({ n: 8, size: 16, generator: new pg.Generator(5) });
    const b = base.x.dataSync();
    const inv = applyShift(base.x, { colorTransform: 'invert' }).dataSync();
    for (let i = 0; i < b.length; i += 7) expect(inv[i]).toBeCloseTo(1 - b[i], 6);
    const gray = applyShift(base.x, { colorTransform: 'grayscale' }).dataSync();
    const P = 256;
    for (let q = 0; q < P; q += 5) {
      expect(gray[q]).toBe(gray[P + q]);
      expect(gray[q]).toBeCloseTo(0.299 * b[q] + 0.587 * b[P + q] + 0.114 * b[2 * P + q], 6);
    }
    const swap = applyShift(base.x, { colorTransform: 'swap' }).dataSync();
    expect(swap[P + 3]).toBe(b[3]);
    // Same generator state, same images: the shift option equals applying it afterwards.
    const shifted = proceduralImages({ n: 8, size: 16, generator: new pg.Generator(5), shift: { colorTransform: 'invert' } });
    expect(shifted.x.dataSync()).toEqual(applyShift(base.x, { colorTransform: 'invert' }).dataSync());
    // Blur removes high frequencies: less energy in neighbour differences.
    const rough = (d: ArrayLike<number>) => {
      let s = 0;
      for (let i = 0; i < d.length; i++) if (i % 16 !== 15) s += (d[i + 1] - d[i]) ** 2;
      return s;
    };
    expect(rough(applyShift(base.x, { blur: 1 }).dataSync())).toBeLessThan(0.5 * rough(b));
    const noisy = applyShift(base.x, { noise: 0.1 }, { generator: new pg.Generator(1) }).dataSync();
    let d2 = 0;
    for (let i = 0; i < b.length; i++) d2 += (noisy[i] - b[i]) ** 2;
    expect(Math.sqrt(d2 / b.length)).toBeGreaterThan(0.07);
    expect(Math.sqrt(d2 / b.length)).toBeLessThan(0.11);
    expect(Math.min(...noisy)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...noisy)).toBeLessThanOrEqual(1);
  });
});

describe('token languages', () => {
  it('Markov: stationary distribution, normalised likelihoods, entropy rate vs empirical', () => {
    const lang = markovLanguage({ vocab: 3, order: 2, concentration: 0.5, generator: new pg.Generator(1) });
    const V = 3, C = 9, P = lang.transition, pi = lang.stationary;
    for (let c = 0; c < C; c++) expect(P.subarray(c * V, (c + 1) * V).reduce((a, b) => a + b, 0)).toBeCloseTo(1, 14);
    // pi P = pi on the chain over contexts.
    const next = new Float64Array(C);
    for (let c = 0; c < C; c++) for (let v = 0; v < V; v++) next[(c * V + v) % C] += pi[c] * P[c * V + v];
    for (let c = 0; c < C; c++) expect(next[c]).toBeCloseTo(pi[c], 12);
    // Likelihoods of all 27 sequences of length 3 (and all 3 of length 1) sum to 1.
    let total = 0;
    for (let s = 0; s < 27; s++) total += Math.exp(lang.logProb([Math.floor(s / 9), Math.floor(s / 3) % 3, s % 3]));
    expect(total).toBeCloseTo(1, 12);
    expect([0, 1, 2].reduce((a, v) => a + Math.exp(lang.logProb([v])), 0)).toBeCloseTo(1, 12);
    // Hand-computed likelihood.
    const seq = [2, 0, 1, 1];
    const want = Math.log(pi[2 * 3 + 0]) + Math.log(P[(2 * 3 + 0) * V + 1]) + Math.log(P[(0 * 3 + 1) * V + 1]);
    expect(lang.logProb(seq)).toBeCloseTo(want, 12);

    const tokens = lang.sample(64, 200);
    expect(tokens.shape).toEqual([64, 200]);
    expect(tokens.dtype).toBe('int32');
    // The average true NLL of the sampled tokens estimates the entropy rate.
    const lps = lang.tokenLogProbs(tokens).flatMap((r) => Array.from(r.subarray(2)));
    const nll = -lps.reduce((a, b) => a + b, 0) / lps.length;
    const sd = Math.sqrt(lps.reduce((a, b) => a + (-b - nll) ** 2, 0) / lps.length);
    expect(lang.conditionalNll(tokens)).toBeCloseTo(nll, 12);
    expect(Math.abs(nll - lang.entropyRate)).toBeLessThan((5 * sd) / Math.sqrt(lps.length / 4)); // some autocorrelation slack
    // Plug-in estimate of the conditional entropy from counts.
    const counts = new Float64Array(C * V);
    const d = tokens.dataSync();
    for (let i = 0; i < 64; i++) for (let t = 2; t < 200; t++) counts[(d[i * 200 + t - 2] * 3 + d[i * 200 + t - 1]) * V + d[i * 200 + t]]++;
    let H = 0, n = 0;
    for (let c = 0; c < C; c++) {
      const row = counts.subarray(c * V, (c + 1) * V);
      const s = row.reduce((a, b) => a + b, 0);
      n += s;
      for (const k of row) if (k > 0) H -= k * Math.log(k / s);
    }
    expect(Math.abs(H / n - lang.entropyRate)).toBeLessThan(0.03);
    expect(lang.entropyRateBits).toBeCloseTo(lang.entropyRate / Math.LN2, 14);
    // Seeded sampling; peakier rows give a lower entropy rate; order 0 is i.i.d.
    expect(lang.sample(3, 10, { generator: new pg.Generator(7) }).dataSync()).toEqual(lang.sample(3, 10, { generator: new pg.Generator(7) }).dataSync());
    const peaky = markovLanguage({ vocab: 8, order: 1, concentration: 0.05, generator: new pg.Generator(2) });
    const flat = markovLanguage({ vocab: 8, order: 1, concentration: 50, generator: new pg.Generator(2) });
    expect(peaky.entropyRate).toBeLessThan(flat.entropyRate);
    expect(flat.entropyRate).toBeLessThanOrEqual(Math.log(8));
    expect(flat.entropyRate).toBeGreaterThan(Math.log(8) - 0.1);
    const iid = markovLanguage({ vocab: 4, order: 0, generator: new pg.Generator(3) });
    expect(iid.entropyRate).toBeCloseTo(-Array.from(iid.transition).reduce((a, q) => a + q * Math.log(q), 0), 14);
    expect(() => markovLanguage({ vocab: 1, order: 1 })).toThrow(/vocab/);
  });

  it('Dyck grammar: valid samples, exact probabilities summing to 1, entropy', () => {
    const lang = dyckLanguage({ types: 2, p: 0.35, maxLen: 9, generator: new pg.Generator(1) });
    expect(lang.vocab).toBe(6);
    expect(lang.maxPairs).toBe(4);
    // Enumerate every sentence (sum over m of Catalan(m) * 2^m = 275 of them): probabilities sum to 1.
    const all: number[][] = [];
    const gen = (prefix: number[], stack: number[], opens: number) => {
      if (stack.length === 0) all.push([...prefix, lang.eos]);
      if (prefix.length + stack.length + 2 + 1 <= 9 && opens < 4)
        for (const t of [0, 1]) gen([...prefix, 2 * t], [...stack, t], opens + 1);
      if (stack.length > 0) gen([...prefix, 2 * stack[stack.length - 1] + 1], stack.slice(0, -1), opens);
    };
    gen([], [], 0);
    expect(all.length).toBe(275);
    expect(all.reduce((a, s) => a + Math.exp(lang.logProb(s)), 0)).toBeCloseTo(1, 12);
    expect(-all.reduce((a, s) => a + Math.exp(lang.logProb(s)) * lang.logProb(s), 0)).toBeCloseTo(lang.entropy, 12);

    const { tokens, lengths } = lang.sample(4000);
    expect(tokens.shape).toEqual([4000, 9]);
    const d = tokens.dataSync();
    const pairCounts = new Array(5).fill(0);
    let nll = 0;
    const shapesOf2 = new Map<string, number>();
    for (let i = 0; i < 4000; i++) {
      const s = d.subarray(i * 9, (i + 1) * 9);
      const m = lang.pairsOf(s);
      expect(m).toBeGreaterThanOrEqual(0);
      expect(lengths[i]).toBe(2 * m + 1);
      pairCounts[m]++;
      nll -= lang.logProb(s);
      if (m === 2) {
        const shape = Array.from(s.subarray(0, 4), (v) => (v % 2 ? ')' : '(')).join('');
        shapesOf2.set(shape, (shapesOf2.get(shape) ?? 0) + 1);
      }
    }
    const emp = pairCounts.map((c) => c / 4000);
    emp.forEach((f, m) => expect(Math.abs(f - lang.pairsDistribution[m])).toBeLessThan(0.03));
    expect(Math.abs(nll / 4000 - lang.entropy)).toBeLessThan(0.1);
    // Within m = 2 the two bracket shapes (()) and ()() are equally likely.
    const [a, b] = [shapesOf2.get('(())') ?? 0, shapesOf2.get('()()') ?? 0];
    expect(Math.abs(a - b) / (a + b)).toBeLessThan(0.15);
    // Invalid sentences.
    expect(lang.logProb([0, 3, lang.eos])).toBe(-Infinity); // mismatched types
    expect(lang.logProb([0, 1])).toBe(-Infinity); // no EOS
    expect(lang.logProb([0, lang.eos])).toBe(-Infinity); // unbalanced
    expect(lang.logProb([lang.eos, 0])).toBe(-Infinity); // tokens after EOS
    expect(lang.logProb([lang.eos, lang.pad, lang.pad])).toBeCloseTo(Math.log(0.65) - lang.logZ, 14);
    expect(lang.isValid([0, 2, 3, 1, lang.eos])).toBe(true);
    expect(() => dyckLanguage({ p: 0.5 })).toThrow(/p must be/);
  });
});
