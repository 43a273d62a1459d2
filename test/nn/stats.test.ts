import { describe, expect, it } from 'vitest';
import * as pg from '../../src/index.js';
import {
  betaInc,
  bootstrapCI,
  klDivergence,
  logGamma,
  studentTCdf,
  welchTTest,
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

describe('stats: Student t and Welch', () => {
  // Reference values from mpmath (40 digits): loggamma, betainc(a, b, 0, x, regularized=True),
  // and the one-sided tail 0.5·I_{df/(df+t²)}(df/2, 1/2).
  it('logGamma and betaInc match mpmath to ~1e-14', () => {
    for (const [x, want] of [
      [0.5, 0.57236494292470009],
      [7.25, 7.0521854507385394],
      [123.4, 469.33609744219056],
      [1e-3, 6.9071788853838537],
      [1, 0],
    ] as const)
      expect(Math.abs(logGamma(x) - want)).toBeLessThan(1e-13 * Math.max(1, Math.abs(want)));
    for (const [x, a, b, want] of [
      [0.3, 2.5, 0.5, 0.018927124071945652],
      [0.45, 30, 40, 0.64474800855856811],
      [0.05, 0.7, 3.2, 0.28238389969270649],
    ] as const)
      expect(Math.abs(betaInc(x, a, b) - want)).toBeLessThan(1e-13);
    expect(betaInc(0, 2, 3)).toBe(0);
    expect(betaInc(1, 2, 3)).toBe(1);
    expect(() => betaInc(1.5, 2, 3)).toThrow(/x must be in \[0, 1\], got 1.5/);
    expect(() => logGamma(0)).toThrow(/x must be > 0, got 0/);
  });

  it('studentTCdf: upper tails vs mpmath, symmetry, Cauchy at df = 1', () => {
    for (const [t, df, upper] of [
      [1.5, 3, 0.11529193262241151],
      [2.0, 7.3, 0.041970519667051578],
      [-0.7, 4.2, 0.73961643537971328],
      [0, 5, 0.5],
      [3.1, 1, 0.099326092199118536],
      [1.2, 50.5, 0.11786938007177303],
      [10, 2.5, 0.0022207478836537125],
    ] as const) {
      expect(Math.abs(1 - studentTCdf(t, df) - upper)).toBeLessThan(1e-13);
      expect(studentTCdf(-t, df)).toBeCloseTo(1 - studentTCdf(t, df), 14);
    }
    expect(studentTCdf(3.1, 1)).toBeCloseTo(0.5 + Math.atan(3.1) / Math.PI, 14);
    expect(() => studentTCdf(1, 0)).toThrow(/df must be > 0, got 0/);
  });

  it('welchTTest matches mpmath (t, Welch–Satterthwaite df, one-sided p) and handles constant samples', () => {
    const cases = [
      [[1.2, 2.3, 3.1, 2.2, 2.9], [0.5, 1.1, 0.9, 1.7, 0.2, 1.0], 3.6544613858419277, 6.9733743737949558, 0.0040919462709008566],
      [[0.31, 0.35, 0.29, 0.4, 0.33], [0.3, 0.36, 0.41, 0.28, 0.38], -0.32410186177608214, 7.5219440940176632, 0.6226558129855484],
      [[5, 6], [1, 2, 3, 10], 0.71374642714632971, 3.334784329244163, 0.26105766337604634],
    ] as const;
    for (const [a, b, t, df, pGreater] of cases) {
      const r = welchTTest(a, b, 'greater');
      expect(r.t).toBeCloseTo(t, 12);
      expect(r.df).toBeCloseTo(df, 12);
      expect(Math.abs(r.p - pGreater)).toBeLessThan(1e-13);
      expect(welchTTest(a, b, 'less').p).toBeCloseTo(1 - pGreater, 13);
      expect(welchTTest(a, b).p).toBeCloseTo(2 * Math.min(pGreater, 1 - pGreater), 13);
      expect(welchTTest(b, a, 'less').p).toBeCloseTo(pGreater, 13);
    }
    expect(welchTTest([1, 1], [0, 0], 'greater')).toMatchObject({ t: Infinity, p: 0 });
    expect(welchTTest([1, 1], [0, 0], 'less').p).toBe(1);
    expect(Number.isNaN(welchTTest([1, 1], [1, 1], 'greater').p)).toBe(true);
    expect(() => welchTTest([1], [1, 2])).toThrow(/welchTTest \(first sample\): need at least 2 values, got 1/);
  });
});
