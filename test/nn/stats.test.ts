import { describe, expect, it } from 'vitest';
import * as pg from '../../src/index.js';
import {
  bootstrapCI,
  klDivergence,
  mean,
  median,
  pearson,
  quantile,
  ranks,
  spearman,
  std,
  stdErr,
  sum,
  totalVariation,
  variance,
} from '../../src/nn/stats.js';

describe('stats', () => {
  it('mean, variance, std, stdErr', () => {
    expect(mean([1, 2, 3, 4])).toBe(2.5);
    expect(variance([1, 2, 3, 4])).toBeCloseTo(5 / 3, 15);
    expect(variance([1, 2, 3, 4], 0)).toBeCloseTo(1.25, 15);
    expect(std([1, 2, 3, 4])).toBeCloseTo(1.2909944487358056, 15);
    expect(stdErr([1, 2, 3, 4])).toBeCloseTo(0.6454972243679028, 15);
    expect(sum([1e16, 1, -1e16])).toBe(1); // compensated
    expect(mean(new Float32Array([0.5, 1.5]))).toBe(1);
    expect(() => mean([])).toThrow(/at least 1/);
    expect(() => stdErr([1])).toThrow(/at least 2/);
  });

  it('quantiles (numpy linear interpolation) and ranks with ties', () => {
    expect(quantile([3, 1, 2, 4], 0.5)).toBe(2.5);
    expect(median([5, 1, 3])).toBe(3);
    expect(quantile([1, 2, 3, 4, 5], 0.1)).toBeCloseTo(1.4, 15);
    expect(quantile([1, 2], 1)).toBe(2);
    expect(Array.from(ranks([10, 20, 20, 5]))).toEqual([2, 3.5, 3.5, 1]);
  });

  it('pearson and spearman vs known values', () => {
    expect(pearson([1, 2, 3, 4, 5], [2, 4, 5, 4, 5])).toBeCloseTo(0.7745966692414834, 14);
    expect(pearson([1, 2, 3], [3, 2, 1])).toBeCloseTo(-1, 15);
    expect(pearson([1, 1, 1], [1, 2, 3])).toBeNaN();
    // Ties get average ranks: r of [1, 2.5, 2.5, 4] and [1, 3, 2, 4] = 4.5 / sqrt(22.5).
    expect(spearman([1, 2, 2, 3], [1, 3, 2, 4])).toBeCloseTo(0.9486832980505138, 14);
    expect(spearman([1, 2, 3, 4], [1, 8, 27, 64])).toBe(1); // monotone, not linear
    expect(spearman([1, 2, 3, 4], [10, 9, 1, 0])).toBe(-1);
    // scipy.stats.spearmanr([1, 2, 3, 4, 5], [5, 6, 7, 8, 7]) = 0.8207826816681233
    expect(spearman([1, 2, 3, 4, 5], [5, 6, 7, 8, 7])).toBeCloseTo(0.8207826816681233, 14);
    expect(() => pearson([1], [1, 2])).toThrow(/lengths differ/);
  });

  it('bootstrapCI: seeded, covers the mean, about +-1.96 standard errors wide', () => {
    const g = new pg.Generator(5);
    const xs = Array.from(pg.randn([400], { generator: g, mean: 3, std: 2 }).dataSync());
    const ci = bootstrapCI(xs, { iters: 2000, generator: new pg.Generator(1) });
    expect(ci.estimate).toBeCloseTo(mean(xs), 12);
    expect(ci.lo).toBeLessThan(ci.estimate);
    expect(ci.hi).toBeGreaterThan(ci.estimate);
    const se = stdErr(xs);
    expect((ci.hi - ci.lo) / (2 * 1.96 * se)).toBeGreaterThan(0.85);
    expect((ci.hi - ci.lo) / (2 * 1.96 * se)).toBeLessThan(1.15);
    const again = bootstrapCI(xs, { iters: 2000, generator: new pg.Generator(1) });
    expect([again.lo, again.hi]).toEqual([ci.lo, ci.hi]);
    const med = bootstrapCI(xs, { stat: median, iters: 500, alpha: 0.1, generator: new pg.Generator(2) });
    expect(med.estimate).toBe(median(xs));
    expect(med.lo).toBeLessThan(med.hi);
    expect(med.samples.length).toBe(500);
    expect(() => bootstrapCI([], {})).toThrow();
  });

  it('totalVariation and klDivergence', () => {
    expect(totalVariation([0.5, 0.5], [0.9, 0.1])).toBeCloseTo(0.4, 15);
    expect(totalVariation([1, 0, 0], [0, 0, 1])).toBe(1);
    expect(klDivergence([0.5, 0.5], [0.9, 0.1])).toBeCloseTo(0.5108256237659907, 15);
    expect(klDivergence([0.2, 0.8], [0.2, 0.8])).toBe(0);
    expect(klDivergence([0, 1], [0.5, 0.5])).toBeCloseTo(Math.LN2, 15);
    expect(klDivergence([0.5, 0.5], [1, 0])).toBe(Infinity);
    expect(() => klDivergence([0.5, -0.5], [1, 0])).toThrow(/non-negative/);
  });
});
