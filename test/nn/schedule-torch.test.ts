// LambdaLR, ExponentialLR, MultiStepLR, LinearLR, ConstantLR, OneCycleLR, ReduceLROnPlateau and
// SequentialLR against learning rates (and momenta) recorded from PyTorch's schedulers, step by step
// (test/fixtures/torch/schedules.json: index 0 is right after construction).
import { describe, expect, it } from 'vitest';
import * as pg from '../../src/index.js';
import { Adam, SGD } from '../../src/nn/optim.js';
import {
  ConstantLR, CosineAnnealingLR, ExponentialLR, LambdaLR, LinearLR, MultiStepLR, OneCycleLR, ReduceLROnPlateau, SequentialLR,
  type OptimizerLike,
} from '../../src/nn/schedule.js';
import { expectAllClose, torchFixture } from '../helpers/torch.js';

const fx = torchFixture('schedules.json');
const groups = (...lrs: number[]): OptimizerLike => ({ paramGroups: lrs.map((lr) => ({ lr })) });

/** SGD over two one-element parameters with lrs 0.1 and 0.05 (as the fixture script's). */
function sgd(momentum = 0): SGD {
  const ps = [0, 1].map(() => pg.zeros([1], { dtype: 'float64', requiresGrad: true }));
  return new SGD([{ params: [ps[0]], lr: 0.1 }, { params: [ps[1]], lr: 0.05 }], { momentum });
}

type Stepper = { step(metric?: number): void; getLastLr(): number[] };
function trace(opt: OptimizerLike, s: Stepper, steps: number, metrics?: number[]) {
  const lr = [s.getLastLr()], momentum = [momenta(opt)];
  for (let t = 0; t < steps; t++) {
    s.step(metrics?.[t]);
    lr.push(s.getLastLr());
    momentum.push(momenta(opt));
    expect(opt.paramGroups.map((g) => g.lr)).toEqual(lr[lr.length - 1]);
  }
  return { lr, momentum };
}
function momenta(opt: OptimizerLike): number[] {
  return (opt.paramGroups as { betas?: number[]; momentum?: number }[]).map((g) => (g.betas ? g.betas[0] : g.momentum ?? NaN));
}
function expectTrace(got: number[][], want: number[][], what: string, rtol = 1e-13): void {
  expect(got.length).toBe(want.length);
  got.forEach((row, t) => expectAllClose(row, want[t], { rtol, atol: 1e-17, what: `${what} at step ${t}` }));
}

describe('schedules against PyTorch, step by step', () => {
  const closedForms: [string, (o: OptimizerLike) => Stepper][] = [
    ['LambdaLR', (o) => new LambdaLR(o, { lrLambda: (t) => Math.pow(0.95, t) })],
    ['LambdaLR per group', (o) => new LambdaLR(o, { lrLambda: [(t) => 1 / (1 + 0.5 * t), (t) => Math.pow(0.9, t)] })],
    ['ExponentialLR', (o) => new ExponentialLR(o, { gamma: 0.9 })],
    ['MultiStepLR', (o) => new MultiStepLR(o, { milestones: [3, 6, 6, 9], gamma: 0.5 })],
    ['LinearLR', (o) => new LinearLR(o, { startFactor: 0.2, endFactor: 0.9, totalIters: 4 })],
    ['ConstantLR', (o) => new ConstantLR(o, { factor: 0.5, totalIters: 3 })],
    ['SequentialLR', (o) => new SequentialLR(o, {
      schedulers: [new LinearLR(o, { startFactor: 0.1, totalIters: 3 }), new ExponentialLR(o, { gamma: 0.9 }), new MultiStepLR(o, { milestones: [2, 4], gamma: 0.5 })],
      milestones: [3, 7],
    })],
    ['SequentialLR constant then cosine', (o) => new SequentialLR(o, {
      schedulers: [new ConstantLR(o, { factor: 0.5, totalIters: 2 }), new CosineAnnealingLR(o, { tMax: 6, etaMin: 0.001 })],
      milestones: [4],
    })],
  ];
  for (const [name, make] of closedForms)
    it(name, () => {
      const o = groups(0.1, 0.05);
      expectTrace(trace(o, make(o), fx[name].lr.length - 1).lr, fx[name].lr, name);
    });

  it('OneCycleLR (cos) cycles lr and SGD momentum', () => {
    const name = 'OneCycleLR cos, SGD momentum';
    const opt = sgd(0.9);
    const tr = trace(opt, new OneCycleLR(opt, { maxLr: [0.1, 0.2], totalSteps: 20 }), 20);
    expectTrace(tr.lr, fx[name].lr, 'lr');
    expectTrace(tr.momentum, fx[name].momentum, 'momentum');
    expect(opt.paramGroups.map((g) => g.initialLr)).toEqual([0.1 / 25, 0.2 / 25]);
  });

  it("OneCycleLR (linear, threePhase) cycles Adam's beta1", () => {
    const name = 'OneCycleLR linear three-phase, Adam betas';
    const opt = new Adam([pg.zeros([1], { requiresGrad: true })], { lr: 1 });
    const s = new OneCycleLR(opt, { maxLr: 0.05, epochs: 3, stepsPerEpoch: 5, pctStart: 0.25, annealStrategy: 'linear', threePhase: true, divFactor: 10, finalDivFactor: 100, baseMomentum: 0.8, maxMomentum: 0.9 });
    const tr = trace(opt, s, 15);
    expectTrace(tr.lr, fx[name].lr, 'lr');
    expectTrace(tr.momentum, fx[name].momentum, 'beta1');
    expect(opt.paramGroups[0].betas[1]).toBe(0.999);
    expect(() => s.step()).toThrow(/OneCycleLR: tried to step 16 times; totalSteps is 15/);
  });

  it('ReduceLROnPlateau (min, rel, cooldown, per-group minLr) and (max, abs)', () => {
    let name = 'ReduceLROnPlateau min rel';
    let o = groups(0.1, 0.05);
    let s = new ReduceLROnPlateau(o, { mode: 'min', factor: 0.5, patience: 2, threshold: 0.01, cooldown: 1, minLr: [0.01, 0.001] });
    expectTrace(trace(o, s, fx[name].metrics.length, fx[name].metrics).lr, fx[name].lr, name, 0);
    name = 'ReduceLROnPlateau max abs';
    o = groups(0.1, 0.05);
    s = new ReduceLROnPlateau(o, { mode: 'max', factor: 0.2, patience: 1, threshold: 0.02, thresholdMode: 'abs' });
    expectTrace(trace(o, s, fx[name].metrics.length, fx[name].metrics).lr, fx[name].lr, name, 0);
  });
});

describe('state dicts and validation of the new schedules', () => {
  it('OneCycleLR and SequentialLR resume from their state dicts', () => {
    const a = sgd(0.9);
    const s = new OneCycleLR(a, { maxLr: 0.3, totalSteps: 12, threePhase: true });
    for (let i = 0; i < 5; i++) s.step();
    const sd = JSON.parse(JSON.stringify(s.stateDict()));
    const rest = trace(a, s, 7);
    const b = sgd(0.5);
    b.loadStateDict(a.stateDict()); // the groups' lr / momentum / initialLr
    const s2 = new OneCycleLR(b, { maxLr: 1, totalSteps: 100 });
    s2.loadStateDict(sd);
    const rest2 = trace(b, s2, 7);
    // the loaded schedule continues where the saved one was (a was stepped on, so compare with its trace)
    expect(rest2.lr.slice(1)).toEqual(rest.lr.slice(1));

    const o = groups(0.1);
    const q = new SequentialLR(o, { schedulers: [new ConstantLR(o, { factor: 0.5, totalIters: 2 }), new ExponentialLR(o, { gamma: 0.5 })], milestones: [3] });
    for (let i = 0; i < 4; i++) q.step();
    const qsd = JSON.parse(JSON.stringify(q.stateDict()));
    const o2 = groups(7);
    o2.paramGroups[0].initialLr = 0.1;
    const q2 = new SequentialLR(o2, { schedulers: [new ConstantLR(o2, { factor: 0.9 }), new ExponentialLR(o2, { gamma: 0.9 })], milestones: [9] });
    q2.loadStateDict(qsd);
    expect(q2.getLastLr()).toEqual(q.getLastLr());
    expect(trace(o2, q2, 3).lr).toEqual(trace(o, q, 3).lr);
  });

  it('ReduceLROnPlateau state round trip', () => {
    const o = groups(1);
    const s = new ReduceLROnPlateau(o, { patience: 0, cooldown: 2 });
    [3, 4, 5, 2, 6].forEach((m) => s.step(m));
    const sd = s.stateDict();
    const s2 = new ReduceLROnPlateau(o);
    s2.loadStateDict(sd);
    expect(s2.stateDict()).toEqual(sd);
    for (const m of [7, 8, 1, 9]) { s.step(m); s2.step(m); }
    expect(s2.stateDict()).toEqual(s.stateDict());
  });

  it('validates, naming the schedule and the value', () => {
    expect(() => new LambdaLR(groups(1, 2), { lrLambda: [() => 1] })).toThrow(/LambdaLR: expected one function or 2/);
    expect(() => new ExponentialLR(groups(1), { gamma: 0 })).toThrow(/ExponentialLR: gamma must be a positive number, got 0/);
    expect(() => new MultiStepLR(groups(1), { milestones: [1.5] })).toThrow(/MultiStepLR: milestones/);
    expect(() => new OneCycleLR(groups(1), { maxLr: 1, totalSteps: 10 })).toThrow(/OneCycleLR: group 0 has neither momentum nor betas/);
    expect(() => new OneCycleLR(groups(1), { maxLr: 1 })).toThrow(/OneCycleLR: give totalSteps, or epochs and stepsPerEpoch/);
    expect(() => new OneCycleLR(groups(1, 2), { maxLr: [1], totalSteps: 5, cycleMomentum: false })).toThrow(/OneCycleLR: expected 2 values of maxLr/);
    expect(() => new ReduceLROnPlateau(groups(1), { factor: 1 })).toThrow(/ReduceLROnPlateau: factor must be in \[0, 1\), got 1/);
    const o = groups(1);
    expect(() => new SequentialLR(o, { schedulers: [new ConstantLR(o), new ConstantLR(groups(1))], milestones: [2] })).toThrow(/same optimizer/);
    expect(() => new SequentialLR(o, { schedulers: [new ConstantLR(o), new ConstantLR(o)], milestones: [] })).toThrow(/expected 1 milestones for 2 schedulers/);
  });
});
