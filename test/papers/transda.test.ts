import { describe, expect, it } from 'vitest';
import * as pg from '../../src/autograd/index.js';
import { Linear } from '../../src/nn/layers.js';
import { crossEntropy } from '../../src/nn/losses.js';
import { validateResult, type ClaimCheck } from '../../src/experiment/index.js';
import {
  CLASS_NAMES,
  MILD_STYLE,
  NOISY_STYLE,
  NUM_CLASSES,
  SOURCE_STYLE,
  SegConvNet,
  SegTransformer,
  classColors,
  classFrequencies,
  classIoU,
  confusionMatrix,
  discrepancyWeights,
  flipRate,
  makeTask,
  makeTeacher,
  meanFlipRate,
  meanIoU,
  minMaxNormalize,
  normalizedEntropy,
  poolToGrid,
  pseudoLabels,
  rotateHue,
  selfTrain,
  toTensors,
  updateTeacher,
} from '../../src/papers/transda/index.js';
import {
  ADV_EFFECT, DDM_RANGE, FLIP_RATIO, MILD_GAIN, NOISY_GAP, SETTINGS, SOURCE_FIT, TEACHER_NO_GRAD,
  acrossSeeds, meanInterval, runSeed, seedResult, transda, type Settings,
} from '../../src/papers/transda/experiment.js';
import { claimNamed, expectSameClaims } from '../helpers/claims.js';

const arr = (t: pg.Tensor): number[] => Array.from(t.dataSync());

describe('transda: the momentum teacher', () => {
  const make = (seed: number) => new Linear(3, 2, { generator: new pg.Generator(seed) });

  it('decay 0 copies the student, decay 1 freezes the teacher, in between it is the EMA', () => {
    const student = make(1);
    const teacher = makeTeacher(make(2));
    const t0 = teacher.parameters().map(arr);
    updateTeacher(teacher, student, 1);
    expect(teacher.parameters().map(arr)).toEqual(t0);
    updateTeacher(teacher, student, 0);
    expect(teacher.parameters().map(arr)).toEqual(student.parameters().map(arr));
    const other = make(3);
    updateTeacher(teacher, other, 0.75);
    teacher.parameters().forEach((p, i) => {
      const want = arr(student.parameters()[i]!).map((v, j) => 0.75 * v + 0.25 * arr(other.parameters()[i]!)[j]!);
      pg.testing.assertClose(p, want, { rtol: 1e-6, atol: 1e-7 });
    });
  });

  it('no gradient reaches the teacher: its labels feed the student loss, its parameters stay grad-free', () => {
    const student = make(4);
    const teacher = makeTeacher(student);
    expect(teacher.parameters().every((p) => !p.requiresGrad)).toBe(true);
    const x = pg.randn([5, 3], { generator: new pg.Generator(5) });
    const y = pg.noGrad(() => teacher.forward(x).argmax(-1).int());
    const loss = crossEntropy(student.forward(x).add(teacher.forward(x)), y);
    loss.backward();
    expect(student.parameters().every((p) => p.grad !== null)).toBe(true);
    expect(teacher.parameters().every((p) => p.grad === null)).toBe(true);
  });
});

describe('transda: dynamic discrepancy weights', () => {
  it('min-max normalisation spans [0, 1]; a constant batch gets weight 1 everywhere', () => {
    expect(arr(minMaxNormalize(pg.tensor([2, 4, 3])))).toEqual([0, 1, 0.5]);
    expect(arr(minMaxNormalize(pg.tensor([0.3, 0.3])))).toEqual([1, 1]);
  });

  it('source weights rise with entropy and fall with P(source); target weights the other way; all in [0, 1]', () => {
    const g = new pg.Generator(6);
    const H = pg.rand([2, 4, 4], { generator: g }), d = pg.rand([2, 4, 4], { generator: g });
    for (const dom of ['source', 'target'] as const) {
      const w = arr(discrepancyWeights(H, d, dom));
      expect(Math.min(...w)).toBe(0);
      expect(Math.max(...w)).toBe(1);
      expect(w.every((v) => v >= 0 && v <= 1)).toBe(true);
    }
    const ws = arr(discrepancyWeights(pg.tensor([0.1, 0.9, 0.5]), pg.tensor([0.5, 0.5, 0.3]), 'source'));
    expect(ws.indexOf(1)).toBe(1); // highest entropy − P(source) = 0.4
    const wt = arr(discrepancyWeights(pg.tensor([0.1, 0.9, 0.5]), pg.tensor([0.5, 0.5, 0.3]), 'target'));
    expect(wt.indexOf(1)).toBe(0); // most confident and most source-looking
    expect(wt[1]).toBe(0);
  });

  it('normalised entropy is 1 for uniform logits and near 0 for confident ones; poolToGrid averages patches', () => {
    const e = arr(normalizedEntropy(pg.tensor([[0, 0, 0, 0], [20, 0, 0, 0]])));
    expect(e[0]).toBeCloseTo(1, 6);
    expect(e[1]).toBeLessThan(1e-6);
    const m = pg.arange(16).float().reshape([1, 4, 4]);
    expect(arr(poolToGrid(m, 2))).toEqual([2.5, 4.5, 10.5, 12.5]);
  });
});

describe('transda: metrics on hand-made masks', () => {
  it('confusion matrix, per-class IoU, mIoU (absent classes skipped), flip rate', () => {
    // label: 0 0 1 1 2 2 ; prediction: 0 1 1 1 2 0
    const label = [0, 0, 1, 1, 2, 2], pred = [0, 1, 1, 1, 2, 0];
    const conf = confusionMatrix(pred, label, 4);
    expect(Array.from(conf)).toEqual([1, 1, 0, 0, 0, 2, 0, 0, 1, 0, 1, 0, 0, 0, 0, 0]);
    const iou = classIoU(conf, 4);
    expect(iou[0]).toBeCloseTo(1 / 3, 12); // TP 1, FN 1, FP 1
    expect(iou[1]).toBeCloseTo(2 / 3, 12); // TP 2, FP 1
    expect(iou[2]).toBeCloseTo(1 / 2, 12); // TP 1, FN 1
    expect(iou[3]).toBeNaN(); // never present, never predicted
    expect(meanIoU(iou)).toBeCloseTo((1 / 3 + 2 / 3 + 1 / 2) / 3, 12);
    expect(classIoU(confusionMatrix([0, 1], [0, 1], 2), 2)).toEqual([1, 1]);
    expect(Array.from(confusionMatrix([0, 1], [-1, 1], 2))).toEqual([0, 0, 0, 1]); // ignored label
    expect(flipRate([0, 1, 2, 3], [0, 1, 3, 3])).toBe(0.25);
    expect(meanFlipRate([[0, 0], [0, 1], [1, 1]])).toBe(0.5);
    expect(() => flipRate([0], [0, 1])).toThrow(/flipRate/);
  });

  it('pseudo-labels: argmax, −1 where the labeller is less sure than the threshold', () => {
    const model = { forward: (x: pg.Tensor) => x } as unknown as Parameters<typeof pseudoLabels>[0];
    const logits = pg.tensor([[[[5, 0, 0, 0], [0.1, 0, 0, 0]]]]); // [1, 1, 2, 4]
    expect(arr(pseudoLabels(model, logits, 0.9))).toEqual([0, -1]);
    expect(arr(pseudoLabels(model, logits, 0))).toEqual([0, 0]);
  });
});

describe('transda: the synthetic task', () => {
  const sizes = { size: 16, nSource: 6, nTargetTrain: 4, nTargetTest: 3 };

  it('is deterministic under a seed and differs across seeds', () => {
    const a = makeTask(sizes, 3), b = makeTask(sizes, 3), c = makeTask(sizes, 4);
    expect(a.source.images).toEqual(b.source.images);
    expect(a.targets.noisy.train.labels).toEqual(b.targets.noisy.train.labels);
    expect(a.targets.mild.test.images).toEqual(b.targets.mild.test.images);
    expect(a.source.labels).not.toEqual(c.source.labels);
  });

  it('has every class, the three domain styles, and the hue rotation is a rotation about grey', () => {
    const t = makeTask({ ...sizes, nSource: 32 }, 0);
    const f = classFrequencies(t.source.labels);
    expect(f.length).toBe(CLASS_NAMES.length);
    f.forEach((p) => expect(p).toBeGreaterThan(0.01));
    expect(rotateHue([0.5, 0.5, 0.5], 1)).toEqual([0.5, 0.5, 0.5].map((v) => expect.closeTo(v, 12)));
    expect(rotateHue([0.9, 0.2, 0.3], 2 * Math.PI).map((v) => +v.toFixed(9))).toEqual([0.9, 0.2, 0.3]);
    // Distances to grey are kept by the rotation; overlap pulls the class colours together.
    const spread = (cs: number[][]) => cs.reduce((a, c) => a + Math.hypot(c[0]! - cs[0]![0]!, c[1]! - cs[0]![1]!, c[2]! - cs[0]![2]!), 0);
    expect(spread(classColors(NOISY_STYLE))).toBeLessThan(spread(classColors(MILD_STYLE)));
    expect(spread(classColors({ ...SOURCE_STYLE, hue: 1 }))).toBeCloseTo(spread(classColors(SOURCE_STYLE)), 9);
    const s = toTensors(t.source);
    expect(s.x.shape).toEqual([32, 3, 16, 16]);
    expect(s.y.dtype).toBe('int32');
  });
});

describe('transda: models and one short self-training run', () => {
  const vitCfg = { size: 16, patch: 2, dim: 8, heads: 2, window: 4, depth: 2, mlpRatio: 2, numClasses: NUM_CLASSES, shifted: true };

  it('both segmenters map [N, 3, S, S] to logits [N, S, S, K] through features on the patch grid', () => {
    const x = pg.randn([2, 3, 16, 16], { generator: new pg.Generator(1) });
    const vit = new SegTransformer(vitCfg, { generator: new pg.Generator(2) });
    const conv = new SegConvNet({ size: 16, patch: 2, stem: 4, dim: 8, depth: 1, numClasses: NUM_CLASSES }, { generator: new pg.Generator(3) });
    for (const m of [vit, conv]) {
      expect(m.features(x).shape).toEqual([2, 8, 8, 8]);
      expect(m.forward(x).shape).toEqual([2, 16, 16, NUM_CLASSES]);
    }
    expect(() => new SegTransformer({ ...vitCfg, size: 15 })).toThrow(/not a multiple of patch/);
  });

  it('selfTrain: checkpoints every round, the teacher stays grad-free, DDM weights in [0, 1], init untouched', async () => {
    const t = makeTask({ size: 16, nSource: 8, nTargetTrain: 8, nTargetTest: 4 }, 0);
    const src = toTensors(t.source), tgt = toTensors(t.targets.noisy.train), te = toTensors(t.targets.noisy.test);
    const init = new SegTransformer(vitCfg, { generator: new pg.Generator(4) });
    const before = init.parameters().map(arr);
    const res = await selfTrain(init, { xs: src.x, ys: src.y, xt: tgt.x, xProbe: tgt.x.narrow(0, 0, 2), xTest: te.x, yTest: t.targets.noisy.test.labels, numClasses: NUM_CLASSES },
      { batch: 2, lr: 1e-3, weightDecay: 0, rounds: 2, roundSteps: 2, evalEvery: 2, labeller: 'teacher', decay: 0.9, pseudoWeight: 1, threshold: 0, labelEvery: 'round',
        augment: { noise: 0.1, jitter: 0.1 }, alignment: 'weighted', advWeight: 0.01, lrD: 1e-3, discHidden: 8 }, new pg.Generator(5));
    expect(res.checkpoints.map((c) => c.step)).toEqual([0, 2, 4]);
    expect(res.checkpoints.map((c) => c.eval !== null)).toEqual([true, false, true]); // evalEvery 2, and the last round
    expect(res.checkpoints[0]!.studentLabels).toEqual(res.checkpoints[0]!.teacherLabels); // the teacher starts as a copy
    expect(res.checkpoints[0]!.studentLabels.length).toBe(2 * 256);
    expect(res.teacherGradFree).toBe(true);
    expect(res.weightRange![0]).toBeGreaterThanOrEqual(0);
    expect(res.weightRange![1]).toBeLessThanOrEqual(1);
    expect(init.parameters().map(arr)).toEqual(before);
    res.model.dispose();
  }, 60_000);
});

describe('transda: the experiment wiring (tiny settings, seed 0)', () => {
  const tiny: Settings = {
    ...SETTINGS.quick,
    data: { size: 16, nSource: 16, nTargetTrain: 8, nTargetTest: 8 },
    probe: 4,
    vit: { ...SETTINGS.quick.vit, dim: 8 },
    conv: { ...SETTINGS.quick.conv, stem: 4, dim: 8, depth: 1 },
    source: { ...SETTINGS.quick.source, steps: 4, batch: 4 },
    selfTrain: { ...SETTINGS.quick.selfTrain, batch: 2, rounds: 2, roundSteps: 2 },
    figure: { images: 1, columns: 3 },
  };

  it('runs, and every declared claim, sanity check and finding is checked', async () => {
    const o = await runSeed(tiny, 0, () => {});
    const r = validateResult(seedResult(o, tiny, true), 'transda');
    expect(r.claims).toEqual([]); // the claims are across seeds: aggregate()
    const agg = transda.aggregate!([{ seed: 0, result: r }, { seed: 1, result: r }], { mode: 'quick', device: 'cpu', seeds: [0, 1] }) as { claims: ClaimCheck[]; findings: ClaimCheck[] };
    expectSameClaims(agg.claims, transda.claims);
    expect(agg.findings.map((f) => f.name).sort()).toEqual(transda.findings!.map((f) => f.name).sort());
    expect(agg.findings.map((f) => f.name).sort()).toEqual([ADV_EFFECT, MILD_GAIN].sort());
    expect(r.sanity!.map((c) => c.name).sort()).toEqual([DDM_RANGE, SOURCE_FIT, TEACHER_NO_GRAD].sort());
    expect(claimNamed(r.sanity!, TEACHER_NO_GRAD).pass).toBe(true);
    expect(claimNamed(r.sanity!, DDM_RANGE).pass).toBe(true);
    expect(claimNamed(agg.claims, FLIP_RATIO).detail).toMatch(/only 2 seeds \(the claim is over 5\)/);
    claimNamed(agg.claims, NOISY_GAP);
    const maps = r.series.find((s) => s.name === 'label-maps')!;
    expect(maps.kind).toBe('heatmap');
    expect(r.series.map((s) => s.name)).toEqual(expect.arrayContaining(['miou-mild', 'miou-noisy', 'iou-mild', 'iou-noisy', 'flip-rate']));
  }, 120_000);

  it('across seeds: mean with a 95% t-interval', () => {
    const m = meanInterval([1, 2, 3]);
    expect(m.mean).toBe(2);
    expect(m.hi - m.mean).toBeCloseTo(4.303 / Math.sqrt(3), 9);
    expect(Number.isNaN(meanInterval([1]).lo)).toBe(true);
    // The side of the interval that must clear the threshold is checked: a mean of 0.2 over a wide
    // interval does not pass ≥ 0.15; a narrow one does; ≤ checks the upper end; one seed its value.
    const wide = acrossSeeds('x', [0.1, 0.3], [0, 1], '>=', 0.15);
    expect(wide.pass).toBe(false);
    expect(wide.value).toBeCloseTo(meanInterval([0.1, 0.3]).lo, 12);
    expect(wide.detail).toMatch(/lower end .* \(mean 0\.200\).*per seed 0: 0\.100, 1: 0\.300/);
    const narrow = acrossSeeds('x', [0.19, 0.2, 0.21], [0, 1, 2], '>=', 0.15);
    expect(narrow.pass).toBe(true);
    expect(narrow.value).toBeCloseTo(meanInterval([0.19, 0.2, 0.21]).lo, 12);
    expect(acrossSeeds('x', [0.19, 0.2, 0.21], [0, 1, 2], '<=', 0.2).value).toBeCloseTo(meanInterval([0.19, 0.2, 0.21]).hi, 12);
    const one = acrossSeeds('x', [0.2], [7], '>=', 0.15);
    expect([one.pass, one.value]).toEqual([true, 0.2]);
  });
});
