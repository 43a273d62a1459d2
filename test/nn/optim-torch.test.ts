// Adagrad, Adamax, NAdam and RAdam against parameter trajectories and final state recorded from
// torch.optim (test/fixtures/torch/optimizers.json: two float64 parameters, 8 steps of fixed gradients).
import { describe, expect, it } from 'vitest';
import * as pg from '../../src/index.js';
import { Adagrad, Adamax, NAdam, RAdam, type Optimizer } from '../../src/nn/optim.js';
import { loadTrainingState, saveTrainingState } from '../../src/nn/checkpoint.js';
import { expectAllClose, torchFixture } from '../helpers/torch.js';

const fx = torchFixture('optimizers.json');
const MAKE: Record<string, (ps: pg.Tensor[], o: any) => Optimizer<any>> = {
  Adagrad: (ps, o) => new Adagrad(ps, o),
  Adamax: (ps, o) => new Adamax(ps, o),
  NAdam: (ps, o) => new NAdam(ps, o),
  RAdam: (ps, o) => new RAdam(ps, o),
};
const camel = (k: string) => k.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());
const params = (): pg.Tensor[] => fx.p0.map((v: number[], i: number) => pg.tensor(v, { dtype: 'float64', shape: fx.shapes[i] }).requiresGrad_());
const setGrads = (ps: pg.Tensor[], t: number) => ps.forEach((p, i) => (p.grad = pg.tensor(fx.grads[t][i], { dtype: 'float64', shape: fx.shapes[i] })));

describe('optimizers against torch.optim (float64)', () => {
  for (const c of fx.cases) {
    const opts = Object.fromEntries(Object.entries(c.opts).map(([k, v]) => [camel(k), v]));
    it(`${c.name} ${JSON.stringify(opts)}`, () => {
      const ps = params();
      const opt = MAKE[c.name](ps, opts);
      c.trace.forEach((want: number[][], t: number) => {
        setGrads(ps, t);
        opt.step();
        opt.zeroGrad();
        ps.forEach((p, i) => expectAllClose(p.dataSync(), want[i], { rtol: 1e-13, atol: 1e-15, what: `${c.name} step ${t + 1} param ${i}` }));
      });
      // The state holds torch's entries under camelCase names, with the same values.
      const sd = opt.stateDict();
      c.state.forEach((st: Record<string, number | number[]>, i: number) => {
        expect(Object.keys(sd.state[String(i)]).sort()).toEqual(Object.keys(st).sort());
        for (const [k, v] of Object.entries(st)) {
          const got = sd.state[String(i)][k];
          if (typeof v === 'number') expect(got as number).toBeCloseTo(v, 13);
          else expectAllClose((got as pg.Tensor).dataSync(), v, { rtol: 1e-13, atol: 1e-15, what: `${c.name} state ${k}` });
        }
      });
      opt.dispose();
    });
  }
});

describe('state dicts of the new optimizers', () => {
  for (const name of Object.keys(MAKE))
    it(`${name}: saving after 4 steps and resuming gives the same trajectory`, () => {
      const c = fx.cases.find((k: any) => k.name === name && Object.keys(k.opts).length > 1) ?? fx.cases.find((k: any) => k.name === name);
      const opts = Object.fromEntries(Object.entries(c.opts).map(([k, v]) => [camel(k), v]));
      const ps = params();
      const opt = MAKE[name](ps, opts);
      for (let t = 0; t < 4; t++) { setGrads(ps, t); opt.step(); }
      const bytes = saveTrainingState({ optimizer: opt.stateDict(), params: Object.fromEntries(ps.map((p, i) => [String(i), p])) });
      for (let t = 4; t < 8; t++) { setGrads(ps, t); opt.step(); }

      const loaded = loadTrainingState<{ optimizer: any; params: Record<string, pg.Tensor> }>(bytes);
      const qs = params();
      qs.forEach((q, i) => pg.noGrad(() => q.assign_(loaded.params[String(i)].clone())));
      const opt2 = MAKE[name](qs, { lr: 123 });
      opt2.loadStateDict(loaded.optimizer);
      expect(opt2.paramGroups[0].lr).toBe(opts.lr);
      for (let t = 4; t < 8; t++) { setGrads(qs, t); opt2.step(); }
      qs.forEach((q, i) => expect(Array.from(q.dataSync())).toEqual(Array.from(ps[i].dataSync())));
      opt.dispose();
      opt2.dispose();
    });

  it('steps leave no tensors behind', () => {
    for (const name of Object.keys(MAKE)) {
      const ps = params();
      const opt = MAKE[name](ps, { lr: 0.01 });
      const grads = [0, 1].map((i) => pg.tensor(fx.grads[0][i], { dtype: 'float64', shape: fx.shapes[i] }));
      let live = 0;
      for (let t = 0; t < 30; t++) {
        ps.forEach((p, i) => (p.grad = grads[i]));
        opt.step();
        if (t === 1) live = pg.memory().tensors;
      }
      expect(pg.memory().tensors, name).toBe(live);
      opt.dispose();
    }
  });

  it('validate their options, naming the optimizer', () => {
    const p = [pg.zeros([2], { requiresGrad: true })];
    expect(() => new Adagrad(p, { lrDecay: -1 })).toThrow(/Adagrad: invalid lrDecay -1/);
    expect(() => new Adamax(p, { betas: [1, 0.9] })).toThrow(/Adamax: invalid beta1 1/);
    expect(() => new NAdam(p, { momentumDecay: -0.1 })).toThrow(/NAdam: invalid momentumDecay -0.1/);
    expect(() => new RAdam(p, { eps: -1 })).toThrow(/RAdam: invalid eps -1/);
    const opt = new NAdam(p);
    expect(() => opt.loadStateDict({ state: { 0: { step: 1, muProduct: NaN } }, paramGroups: [{ params: [0] }] } as any)).toThrow(/NAdam.loadStateDict: parameter 0: scalar 'muProduct' is NaN/);
  });
});
