import { describe, expect, it } from 'vitest';
import * as pg from '../../src/autograd/index.js';
import { runJob, type Result } from '../../src/experiment/node.js';
import { Linear } from '../../src/nn/layers.js';
import {
  byteDiff,
  energy,
  energyPerSample,
  featureMetrics,
  headProbe,
  makeBackbone,
  makeHead,
  makeTasks,
  peakDrop,
  stateBytes,
} from '../../src/papers/head-probing/index.js';
import { CLAIM, headProbing, SANITY, SETTINGS } from '../../src/papers/head-probing/experiment.js';
import { claimNamed, expectReadmeNamesChecks, expectSameChecks } from '../helpers/claims.js';

describe('head-probing: method functions', () => {
  it('energy of a uniform prediction is sqrt(1 − 1/K); of a perfect one ≈ 0', async () => {
    const y = pg.tensor([0, 3, 1], { dtype: 'int32' });
    const e = energyPerSample(pg.zeros([3, 4]), y);
    for (const v of await e.data()) expect(v).toBeCloseTo(Math.sqrt(1 - 1 / 4), 6);
    const sharp = pg.oneHot(y, 4, { dtype: 'float32' }).mul(40);
    for (const v of await energyPerSample(sharp, y).data()) expect(v).toBeLessThan(1e-6);
    // A hand case: logits (0, ln 3) for class 0: p = (1/4, 3/4), ‖(3/4, −3/4)‖ = 3/4·√2.
    const one = energyPerSample(pg.tensor([[0, Math.log(3)]]), pg.tensor([0], { dtype: 'int32' }));
    expect((await one.data())[0]).toBeCloseTo(0.75 * Math.SQRT2, 6);
  });

  it('featureMetrics matches hand-computed Euclidean / cosine / dot / norm', async () => {
    const z0 = pg.tensor([[3, 4], [1, 0]]);
    const z = pg.tensor([[6, 8], [0, 2]]);
    const m = await featureMetrics(z, z0);
    // rows: ‖(3,4)‖ = 5 and ‖(−1,2)‖ = √5; cos 1 and 0; dot 50 and 0; ‖z‖ 10 and 2.
    expect(m.euclidean).toBeCloseTo((5 + Math.sqrt(5)) / 2, 5);
    expect(m.cosine).toBeCloseTo(0.5, 6);
    expect(m.dot).toBeCloseTo(25, 5);
    expect(m.norm).toBeCloseTo(6, 5);
  });

  it('peakDrop finds interior peaks in energy order and gives 0 for an end-point peak', () => {
    // Energies deliberately unsorted: sorted values are 10, 12, 11.
    const p = peakDrop([0.5, 0.1, 0.9], [12, 10, 11]);
    expect(p.peak).toBe(1);
    expect(p.dropLow).toBeCloseTo(2 / 12, 12);
    expect(p.dropHigh).toBeCloseTo(1 / 12, 12);
    expect(p.minDrop).toBeCloseTo(1 / 12, 12);
    const end = peakDrop([0.1, 0.5, 0.9], [5, 4, 3]);
    expect(end.peak).toBe(0);
    expect(end.minDrop).toBe(0);
  });

  it('stateBytes / byteDiff see a one-ulp change of one parameter', async () => {
    const g = new pg.Generator(3);
    const m = new Linear(4, 3, { generator: g });
    const a = await stateBytes(m);
    expect(a.length).toBe((4 * 3 + 3) * 4);
    const c = m.clone();
    expect(byteDiff(a, await stateBytes(c))).toBe(0);
    const arr = Float32Array.from(c.bias!.dataSync());
    const bits = new Uint32Array(arr.buffer);
    bits[0] = bits[0]! + 1; // the next float32 after bias[0]
    pg.noGrad(() => c.bias!.assign_(pg.tensor(arr)));
    expect(byteDiff(a, await stateBytes(c))).toBeGreaterThan(0);
  });

  it('makeTasks: downstream labels merge the source classes through mergeMap', async () => {
    const g = new pg.Generator(1);
    const cfg = { ...SETTINGS.quick.task, nSource: 64, nTrain: 32, nVal: 32 };
    const t = makeTasks(cfg, g);
    expect(t.mergeMap.length).toBe(cfg.sourceClasses);
    // Each downstream class collects sourceClasses / downstreamClasses source classes.
    for (let k = 0; k < cfg.downstreamClasses; k++) expect(t.mergeMap.filter((m) => m === k).length).toBe(cfg.sourceClasses / cfg.downstreamClasses);
    expect(t.source.x.shape).toEqual([64, cfg.inputDim]);
    const ys = Array.from(await t.train.y.data());
    expect(Math.max(...ys)).toBeLessThan(cfg.downstreamClasses);
    t.dispose();
  });

  it('headProbe trains only the head and returns one snapshot per τ', async () => {
    const g = new pg.Generator(2);
    const cfg = { ...SETTINGS.quick.task, nSource: 32, nTrain: 64, nVal: 16 };
    const t = makeTasks(cfg, g);
    const bb = makeBackbone(cfg.inputDim, [16, 16], g);
    const head = makeHead(16, cfg.downstreamClasses, g);
    const before = await stateBytes(bb);
    const headBefore = await stateBytes(head);
    const e0 = await energy(bb, head, t.train);
    const snaps = await headProbe(bb, head, t.train, { epochs: 0, batch: 32, lr: 0.1, momentum: 0.9 }, [0, 3, 10], g);
    expect([...snaps.keys()]).toEqual([0, 3, 10]);
    expect(byteDiff(before, await stateBytes(bb))).toBe(0);
    expect(byteDiff(headBefore, await stateBytes(snaps.get(0)!))).toBe(0);
    expect(byteDiff(headBefore, await stateBytes(head))).toBeGreaterThan(0);
    expect(await energy(bb, snaps.get(10)!, t.train)).toBeLessThan(e0);
    expect(bb.parameters().every((p) => p.requiresGrad)).toBe(true); // restored after probing
    for (const m of [...snaps.values(), bb, head]) m.dispose();
    t.dispose();
  });
});

describe('head-probing: the experiment (quick, seed 0; 4 seeds inside the run)', () => {
  let result: Result;
  it('runs', async () => {
    const run = await runJob(headProbing, { experiment: 'head-probing', seed: 0, seeds: [0], mode: 'quick', device: 'cpu' }, () => {});
    expect(run.error).toBeUndefined();
    result = run.result!;
    expect(SETTINGS.quick.taus[0]).toBe(0);
    expect(SETTINGS.quick.taus[SETTINGS.quick.taus.length - 1]).toBe(512);
  }, 180_000);

  const claim = (name: string) => claimNamed([...result.claims, ...(result.sanity ?? [])], name);
  it('every declared claim and sanity check is checked, and the README names them', () => {
    expectSameChecks(result, headProbing);
    expectReadmeNamesChecks('head-probing', headProbing);
  });
  it('energy decreases monotonically with τ in every seed', () => expect(claim(CLAIM.energyDecreases).pass).toBe(true));
  it('Spearman(energy, ‖z − z₀‖) ≥ 0.9 in ≥ 3 of 4 seeds', () => {
    const c = claim(CLAIM.spearmanEuclidean);
    expect(c.threshold).toBe(3);
    expect(c.pass).toBe(true);
  });
  it('Spearman(energy, 1 − cos) ≥ 0.85 in ≥ 3 of 4 seeds', () => expect(claim(CLAIM.spearmanCosine).pass).toBe(true));
  it('zᵀz₀ peaks at an interior energy with ≥ 0.5% drops on both sides', () => expect(claim(CLAIM.dotInteriorPeak).pass).toBe(true));
  it('‖z‖ peaks at an interior energy with ≥ 0.5% drops on both sides', () => expect(claim(CLAIM.normInteriorPeak).pass).toBe(true));
  it('the backbone is bit-identical during head probing (and finetuning does change it)', () => {
    expect(claim(SANITY.backboneBitIdentical).pass).toBe(true);
    const perSeed = result.tables.find((t) => t.name === 'per seed')!;
    for (const row of perSeed.rows) expect(row[row.length - 1] as number).toBeGreaterThan(0);
  });
  it('reports the best τ and the label-smoothing variant', () => {
    expect(result.notes!.some((n) => /best downstream accuracy .* at τ = \d+/.test(n))).toBe(true);
    const ls = result.tables.find((t) => t.name.startsWith('label smoothing'))!;
    expect(ls.rows.length).toBe(3);
    // Smoothing keeps the energy of a long-probed head well above the plain head's.
    expect(ls.rows[2]![1] as number).toBeGreaterThan(ls.rows[1]![1] as number);
    expect(result.series.map((s) => s.name)).toEqual(
      expect.arrayContaining(['euclidean-vs-energy', 'cosine-vs-energy', 'dot-vs-energy', 'norm-vs-energy']),
    );
  });
});
