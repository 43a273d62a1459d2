// The papers kit (src/papers/common): seeded permutations, accuracy, checks on the mean over seeds,
// and the README check tables written from a run.
import { describe, expect, it } from 'vitest';
import * as pg from '../../src/autograd/index.js';
import type { AggregatedClaim } from '../../src/experiment/aggregate.js';
import type { ExperimentReport } from '../../src/experiment/report.js';
import { argmaxAccuracy } from '../../src/papers/common/metrics.js';
import { drawSeed, permutation } from '../../src/papers/common/random.js';
import { checkOnMean, meanInterval, tCritical95, valuesOf } from '../../src/papers/common/seeds.js';
import { checksMarkdown, seedRanges } from '../../scripts/readme-checks.js';

describe('papers/common', () => {
  it('permutation is a seeded permutation of 0..n−1; drawSeed is reproducible', () => {
    const a = permutation(50, new pg.Generator(3));
    expect(Array.from(a).sort((x, y) => x - y)).toEqual(Array.from({ length: 50 }, (_, i) => i));
    expect(Array.from(permutation(50, new pg.Generator(3)))).toEqual(Array.from(a));
    expect(Array.from(permutation(50, new pg.Generator(4)))).not.toEqual(Array.from(a));
    expect(drawSeed(new pg.Generator(7))).toBe(drawSeed(new pg.Generator(7)));
  });

  it('argmaxAccuracy counts rows whose largest logit is the label', async () => {
    const logits = pg.tensor([[1, 0], [0, 1], [2, 3], [5, -1]]);
    const y = pg.tensor([0, 1, 0, 1], { dtype: 'int32' });
    expect(await argmaxAccuracy(() => logits, y)).toBe(0.5);
  });

  it('t critical values and the 95% interval of a mean', () => {
    expect(tCritical95(1)).toBe(12.706);
    expect(tCritical95(19)).toBe(2.093);
    expect(tCritical95(1000)).toBeCloseTo(1.9623, 3); // t_{0.975, 1000}
    expect(() => tCritical95(0)).toThrow();
    const iv = meanInterval([1, 2, 3, 4]);
    const half = (3.182 * Math.sqrt(5 / 3)) / 2; // s = √(5/3), n = 4
    expect(iv.mean).toBe(2.5);
    expect(iv.lo).toBeCloseTo(2.5 - half, 12);
    expect(iv.hi).toBeCloseTo(2.5 + half, 12);
    expect(Number.isNaN(meanInterval([7]).lo)).toBe(true);
  });

  it('checkOnMean checks the side of the interval that must clear the threshold; one value is checked as it is', () => {
    const vals = [1, 2, 3, 4].map((value, i) => ({ label: i, value }));
    const ge = checkOnMean('m', vals, '>=', 0, 'x');
    expect(ge.value).toBeCloseTo(meanInterval([1, 2, 3, 4]).lo, 12);
    expect(ge.pass).toBe(true);
    const le = checkOnMean('m', vals, '<', 4, 'x');
    expect(le.value).toBeCloseTo(meanInterval([1, 2, 3, 4]).hi, 12);
    expect(le.pass).toBe(false);
    const one = checkOnMean('m', [{ label: 5, value: 0.3 }], '>=', 0.1, 'x');
    expect(one.value).toBe(0.3);
    expect(one.detail).toMatch(/one value/);
  });

  it('valuesOf reads a check of any kind from every run', () => {
    const result = (v: number) => ({ tables: [], series: [], claims: [], findings: [{ name: 'f', value: v, comparison: '>=' as const, threshold: 0, pass: v >= 0 }] });
    expect(valuesOf([{ seed: 3, result: result(1) }, { seed: 4, result: result(-1) }], 'f')).toEqual([{ label: 3, value: 1 }, { label: 4, value: -1 }]);
  });
});

describe('scripts/readme-checks', () => {
  it('seedRanges', () => {
    expect(seedRanges([20, 21, 22, 23, 25, 27, 28])).toBe('20–23, 25, 27–28');
    expect(seedRanges([0])).toBe('0');
  });

  it('writes one table per kind of check, with the seeds it is from', () => {
    const claim = (name: string, values: number[], pass: boolean[]): AggregatedClaim => ({
      name,
      description: `${name} holds`,
      comparison: '>=',
      threshold: 0.5,
      kind: 'seed',
      value: values.reduce((a, b) => a + b, 0) / values.length,
      values: values.map((value, i) => ({ seed: 20 + i, value, pass: pass[i]! })),
      pass: pass.every(Boolean),
    });
    const report = {
      name: 'paper',
      mode: 'quick',
      device: 'cpu',
      seeds: [20, 21],
      aggregate: { claims: [claim('a', [0.6, 0.7], [true, true])], sanity: [], findings: [claim('f', [0.4, 0.6], [false, true])] },
    } as unknown as ExperimentReport;
    const md = checksMarkdown(report);
    expect(md).toContain('seeds 20–21');
    expect(md).toContain('| `a` | a holds | ≥ 0.5 | 0.65 | 0.6 … 0.7 | 2/2 ✓ |');
    expect(md).toContain('| `f` | f holds | ≥ 0.5 | 0.5 | 0.4 … 0.6 | 1/2 |');
    expect(md).not.toContain('Sanity checks');
  });
});
