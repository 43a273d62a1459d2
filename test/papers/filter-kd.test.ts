import { describe, expect, it } from 'vitest';
import * as pg from '../../src/autograd/index.js';
import { runJob, type Result } from '../../src/experiment/node.js';
import {
  FilterTable,
  distillLoss,
  filterUpdate,
  isZigZag,
  meanStep,
  oneHotDistances,
  rowDistances,
  temperedSoftmax,
} from '../../src/papers/filter-kd/index.js';
import { CLAIM, FINDING, filterKd, SETTINGS } from '../../src/papers/filter-kd/experiment.js';
import { claimNamed, expectReadmeNamesChecks, expectSameChecks } from '../helpers/claims.js';

const rows = async (t: pg.Tensor): Promise<number[][]> => {
  const d = Array.from(await t.data());
  const K = t.shape[1]!;
  return Array.from({ length: t.shape[0]! }, (_, i) => d.slice(i * K, (i + 1) * K));
};

describe('filter-kd: method functions', () => {
  it('filterUpdate moves only the batch rows: first visits copy p, later ones take (1 − α)q̄ + αp', async () => {
    const table = pg.full([4, 3], 1 / 3);
    const index = pg.tensor([2, 0], { dtype: 'int32' });
    const probs = pg.tensor([[0.5, 0.25, 0.25], [1, 0, 0]]);
    const first = pg.tensor([1, 0], { dtype: 'bool' });
    const out = await rows(filterUpdate(table, index, probs, 0.25, first));
    const u = 1 / 3;
    [out[1]!, out[3]!].forEach((r) => r.forEach((v) => expect(v).toBeCloseTo(u, 6)));
    expect(out[2]).toEqual([0.5, 0.25, 0.25].map((v) => expect.closeTo(v, 6)));
    expect(out[0]).toEqual([0.75 * u + 0.25, 0.75 * u, 0.75 * u].map((v) => expect.closeTo(v, 6)));
  });

  it('FilterTable: initialised with the first prediction, then an EMA per visit', async () => {
    const t = new FilterTable(3, 2, 0.1);
    const idx = pg.tensor([1], { dtype: 'int32' });
    await t.update(idx, pg.tensor([[0.8, 0.2]]));
    expect((await rows(t.table))[1]).toEqual([expect.closeTo(0.8, 6), expect.closeTo(0.2, 6)]);
    await t.update(idx, pg.tensor([[0, 1]]));
    expect((await rows(t.table))[1]).toEqual([expect.closeTo(0.72, 6), expect.closeTo(0.28, 6)]);
    expect((await rows(t.table))[0]).toEqual([expect.closeTo(0.5, 6), expect.closeTo(0.5, 6)]); // never visited
    t.dispose();
  });

  it('distillLoss is τ²·KL(q ‖ softmax(z/τ)) and vanishes when z/τ reproduces q', async () => {
    const q = pg.tensor([[0.7, 0.2, 0.1]]);
    const z = pg.tensor([[1, 0, -1]]);
    const tau = 2;
    const s = Array.from(await temperedSoftmax(z, tau).data());
    const qa = [0.7, 0.2, 0.1];
    const kl = qa.reduce((a, qi, i) => a + qi * Math.log(qi / s[i]!), 0);
    expect(await distillLoss(z, q, tau).item()).toBeCloseTo(tau * tau * kl, 5);
    const zq = pg.tensor([qa.map((v) => tau * Math.log(v))]);
    expect(await distillLoss(zq, q, tau).item()).toBeCloseTo(0, 6);
  });

  it('path statistics: distances, mean step and the zig-zag test', () => {
    expect(Array.from(rowDistances([1, 0, 0, 0.5], [0, 0, 0, 0.5], 2))).toEqual([1, 0]);
    expect(Array.from(oneHotDistances([0], [0.5, 0.5], 2))[0]).toBeCloseTo(Math.SQRT1_2, 12);
    // One sample, K = 2: steps of length √2·0.1 and √2·0.3.
    expect(meanStep([[0.5, 0.5], [0.6, 0.4], [0.3, 0.7]], 2)).toBeCloseTo(Math.SQRT2 * 0.2, 12);
    expect(meanStep([[0.5, 0.5], [0.6, 0.4], [0.3, 0.7]], 2, 1)).toBeCloseTo(Math.SQRT2 * 0.3, 12);
    expect(isZigZag([0.6, 0.3, 0.2, 0.5], 0.1)).toBe(true); // falls 0.4, rises 0.3
    expect(isZigZag([0.6, 0.4, 0.3, 0.2], 0.1)).toBe(false); // only falls
    expect(isZigZag([0.2, 0.3, 0.6], 0.1)).toBe(false); // only rises
    expect(isZigZag([0.6, 0.3, 0.35], 0.1)).toBe(false); // rises by less than δ
  });
});

describe('filter-kd: the experiment (quick, seed 0; 3 seeds inside the run)', () => {
  let result: Result;
  it('runs', async () => {
    const run = await runJob(filterKd, { experiment: 'filter-kd', seed: 0, seeds: [0], mode: 'quick', device: 'cpu' }, () => {});
    expect(run.error).toBeUndefined();
    result = run.result!;
    expect(SETTINGS.quick.repeats).toBe(3);
    expect(SETTINGS.quick.data.noise).toBe(0.3);
  }, 180_000);

  const claim = (name: string) => claimNamed(result.claims, name);
  it('every declared claim and finding is checked, and the README names them', () => {
    expectSameChecks(result, filterKd);
    expectReadmeNamesChecks('filter-kd', filterKd);
  });
  it('the filtered table is closer to p* than the noisy labels by ≥ 0.05', () => {
    expect(claim(CLAIM.tableCloserToPstar).threshold).toBe(0.05);
    expect(claim(CLAIM.tableCloserToPstar).pass).toBe(true);
  });
  it("the filtered path's steps are much smaller than the raw path's", () => expect(claim(CLAIM.filteredStepsSmaller).pass).toBe(true));
  it('flipped samples zig-zag far more often than clean ones', () => expect(claim(CLAIM.zigzagFlippedVsClean).pass).toBe(true));
  it('Filter-KD beats one-hot training by ≥ 3 points (mean of the 3 seeds)', () => expect(claim(CLAIM.beatsOneHot).pass).toBe(true));
  it('Filter-KD beats KD from the converged teacher by ≥ 3 points (mean of the 3 seeds)', () => expect(claim(CLAIM.beatsKd).pass).toBe(true));
  it('reports the ESKD comparison and draws simplex paths of clean and flipped samples', () => {
    // The paper's Filter-KD ≥ ESKD is a finding: its value is the measured mean difference of the table's rows.
    const acc = result.tables.find((t) => t.name === 'students: test accuracy')!;
    const row = (prefix: string): (string | number)[] => acc.rows.find((r) => String(r[0]).startsWith(prefix))!;
    const eskd = claimNamed(result.findings ?? [], FINDING.beatsEskd);
    const diffs = [2, 3, 4].map((j) => (row('Filter-KD')[j] as number) - (row('ESKD')[j] as number));
    expect(eskd.value).toBeCloseTo(diffs.reduce((a, b) => a + b, 0) / 3, 3);
    expect(eskd.comparison).toBe('>=');
    const simplex = result.series.filter((s) => s.kind === 'simplex');
    expect(simplex.length).toBe(3);
    for (const s of simplex) {
      const names = (s.data as { paths: { name: string }[] }).paths.map((p) => p.name);
      expect(names.some((n) => n.startsWith('clean'))).toBe(true);
      expect(names.some((n) => n.startsWith('flipped'))).toBe(true);
    }
  });
});
