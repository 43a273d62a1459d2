import { describe, expect, it } from 'vitest';
import * as pg from '../../src/index.js';
import { SGD, Adam } from '../../src/nn/optim.js';
import { CosineAnnealingLR, LinearWarmup, PolyLR, StepLR } from '../../src/nn/schedule.js';

/** A bare optimizer-like object with two groups. */
const groups = (...lrs: number[]) => ({ paramGroups: lrs.map((lr) => ({ lr }) as { lr: number; initialLr?: number }) });

/** lr after each of `steps` steps (index 0: right after construction). */
function trace(s: { step(): void; getLastLr(): number[] }, steps: number): number[][] {
  const out = [s.getLastLr()];
  for (let i = 0; i < steps; i++) {
    s.step();
    out.push(s.getLastLr());
  }
  return out;
}

describe('schedules (PyTorch closed forms)', () => {
  it('StepLR: base * gamma^floor(t / stepSize)', () => {
    const opt = groups(0.1, 1);
    const s = new StepLR(opt, { stepSize: 3, gamma: 0.5 });
    const tr = trace(s, 10);
    for (let t = 0; t <= 10; t++) {
      expect(tr[t][0]).toBeCloseTo(0.1 * 0.5 ** Math.floor(t / 3), 15);
      expect(tr[t][1]).toBeCloseTo(1 * 0.5 ** Math.floor(t / 3), 15);
    }
    expect(opt.paramGroups[1].lr).toBe(tr[10][1]);
    // Known values: torch StepLR(step_size=3, gamma=0.5), lr 1: [1, 1, 1, .5, .5, .5, .25, ...]
    expect(tr.slice(0, 7).map((r) => r[1])).toEqual([1, 1, 1, 0.5, 0.5, 0.5, 0.25]);
  });

  it('CosineAnnealingLR: etaMin + (base - etaMin)(1 + cos(pi t / tMax)) / 2', () => {
    const opt = groups(0.1);
    const s = new CosineAnnealingLR(opt, { tMax: 10, etaMin: 0.001 });
    const tr = trace(s, 20);
    for (let t = 0; t <= 20; t++) expect(tr[t][0]).toBeCloseTo(0.001 + (0.099 * (1 + Math.cos((Math.PI * t) / 10))) / 2, 15);
    expect(tr[0][0]).toBeCloseTo(0.1, 15);
    expect(tr[5][0]).toBeCloseTo(0.0505, 15);
    expect(tr[10][0]).toBeCloseTo(0.001, 15);
    expect(tr[20][0]).toBeCloseTo(0.1, 15); // the cosine comes back up past tMax, as in PyTorch
  });

  it('PolyLR: base * (1 - min(t, T) / T)^power', () => {
    const opt = groups(0.5);
    const s = new PolyLR(opt, { totalIters: 4, power: 2 });
    const tr = trace(s, 6);
    expect(tr.map((r) => r[0])).toEqual([0.5, 0.5 * 0.75 ** 2, 0.5 * 0.5 ** 2, 0.5 * 0.25 ** 2, 0, 0, 0]);
    // PyTorch's defaults: totalIters 5, power 1.
    const d = new PolyLR(groups(1));
    expect(trace(d, 5).map((r) => r[0])).toEqual([1, 0.8, 0.6, 0.4, 0.2, 0].map((v) => expect.closeTo(v, 15)));
  });

  it('LinearWarmup alone (torch LinearLR with end factor 1) and wrapping cosine (SequentialLR)', () => {
    const a = new LinearWarmup(groups(0.3), { warmupSteps: 4, startFactor: 0.25 });
    expect(trace(a, 6).map((r) => r[0])).toEqual(
      [0.25, 0.25 + 0.75 / 4, 0.25 + 0.75 / 2, 0.25 + 0.75 * 0.75, 1, 1, 1].map((f) => expect.closeTo(0.3 * f, 15)),
    );
    // Default start factor is LinearLR's 1/3.
    expect(new LinearWarmup(groups(0.3), { warmupSteps: 2 }).getLastLr()[0]).toBeCloseTo(0.1, 15);

    const opt = groups(0.1, 0.01);
    const cos = new CosineAnnealingLR(opt, { tMax: 5 });
    const w = new LinearWarmup(opt, { warmupSteps: 3, startFactor: 0, after: cos });
    const tr = trace(w, 10);
    for (let t = 0; t <= 10; t++)
      for (const [i, base] of [0.1, 0.01].entries()) {
        const want = t < 3 ? (base * t) / 3 : (base * (1 + Math.cos((Math.PI * (t - 3)) / 5))) / 2;
        expect(tr[t][i]).toBeCloseTo(want, 15);
      }
    expect(cos.lastEpoch).toBe(7);
  });

  it('drives a real optimizer through paramGroups (per-group base lrs)', () => {
    const p = pg.zeros([1], { requiresGrad: true });
    const q = pg.zeros([1], { requiresGrad: true });
    const opt = new SGD([{ params: [p], lr: 1 }, { params: [q], lr: 0.1 }]);
    const s = new StepLR(opt, { stepSize: 1, gamma: 0.5 });
    for (let i = 0; i < 3; i++) {
      p.grad = pg.ones([1]);
      q.grad = pg.ones([1]);
      opt.step();
      s.step();
    }
    // Updates with lr 1, 0.5, 0.25 and 0.1, 0.05, 0.025.
    expect(p.dataSync()[0]).toBeCloseTo(-1.75, 6);
    expect(q.dataSync()[0]).toBeCloseTo(-0.175, 6);
    expect(opt.paramGroups.map((g) => g.initialLr)).toEqual([1, 0.1]);
    p.dispose();
    q.dispose();
  });

  it('state dict round trip resumes the schedule (also through the optimizer state)', () => {
    const p = pg.zeros([1], { requiresGrad: true });
    const opt = new Adam([p], { lr: 0.2 });
    const cos = new CosineAnnealingLR(opt, { tMax: 8, etaMin: 0.01 });
    const w = new LinearWarmup(opt, { warmupSteps: 2, after: cos });
    for (let i = 0; i < 5; i++) w.step();
    const sd = JSON.parse(JSON.stringify(w.stateDict()));
    const optSd = opt.stateDict();
    const rest = trace(w, 6);

    const p2 = pg.zeros([1], { requiresGrad: true });
    const opt2 = new Adam([p2], { lr: 123 }); // a fresh process: built anew, then loaded
    opt2.loadStateDict(optSd);
    const cos2 = new CosineAnnealingLR(opt2, { tMax: 1 });
    const w2 = new LinearWarmup(opt2, { warmupSteps: 1, after: cos2 });
    w2.loadStateDict(sd);
    expect(w2.getLastLr()).toEqual(rest[0]);
    expect(trace(w2, 6)).toEqual(rest);
    expect(cos2.tMax).toBe(8);
    p.dispose();
    p2.dispose();
  });

  it('validates', () => {
    expect(() => new StepLR(groups(1), { stepSize: 0 })).toThrow(/stepSize/);
    expect(() => new CosineAnnealingLR(groups(1), { tMax: 1.5 })).toThrow(/tMax/);
    expect(() => new StepLR(groups(1), { stepSize: 2, lastEpoch: 3 })).toThrow(/initialLr/);
    expect(() => new LinearWarmup(groups(1), { warmupSteps: 2, after: new StepLR(groups(1), { stepSize: 1 }) })).toThrow(/same optimizer/);
  });
});
