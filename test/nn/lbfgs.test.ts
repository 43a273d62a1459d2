// optim.LBFGS against torch.optim.LBFGS trajectories (test/fixtures/torch/lbfgs.json, made by
// make_lbfgs.py: Rosenbrock, least squares and logistic regression, both line searches, a history
// that wraps), a closed-form minimiser, bad inputs, float32 parameters and state dicts.
import { describe, expect, it } from 'vitest';
import * as pg from '../../src/index.js';
import { LBFGS, cubicMinimizer, type LBFGSClosure } from '../../src/nn/lbfgs.js';
import { loadTrainingState, saveTrainingState } from '../../src/nn/checkpoint.js';
import { crossEntropy } from '../../src/nn/losses.js';
import { expectAllClose, torchFixture } from '../helpers/torch.js';

const fx = torchFixture('lbfgs.json');
type DT = 'float32' | 'float64';
const camel = (k: string) => k.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());

/** The fixture's problem as parameters (at torch's starting point) and its loss function. */
function problem(name: string, dtype: DT = 'float64'): { ps: pg.Tensor[]; loss: () => pg.Tensor } {
  const pr = fx.problems[name];
  const ps = pr.init.map((v: number[], i: number) => pg.tensor(v, { dtype, shape: pr.shapes[i] }).requiresGrad_());
  if (name === 'rosenbrock') {
    const [x] = ps;
    return { ps, loss: () => { const x0 = x.select(0, 0), x1 = x.select(0, 1); return pg.sub(1, x0).square().add(x1.sub(x0.mul(x0)).square().mul(100)); } };
  }
  const [W, b] = ps;
  const X = pg.tensor(pr.X, { dtype, shape: [pr.X.length / 5, 5] });
  if (name === 'lsq') {
    const Y = pg.tensor(pr.Y, { dtype, shape: [pr.Y.length / 3, 3] });
    return { ps, loss: () => X.matmul(W).add(b).sub(Y).square().mean() };
  }
  const labels = pg.tensor(pr.labels, { dtype: 'int32' });
  return { ps, loss: () => crossEntropy(X.matmul(W).add(b), labels).add(W.mul(W).sum().mul(0.05)) };
}

function closureFor(opt: LBFGS, loss: () => pg.Tensor, async = false): LBFGSClosure {
  const sync = () => { opt.zeroGrad(); const l = loss(); l.backward(); return l; };
  return async ? async () => sync() : sync;
}

const relErr = (a: number, b: number) => Math.abs(a - b) / Math.max(Math.abs(b), 1e-300);

describe('LBFGS against torch.optim.LBFGS (float64)', () => {
  fx.cases.forEach((c: any, ci: number) => {
    const opts = Object.fromEntries(Object.entries(c.opts).map(([k, v]) => [camel(k), v]));
    it(`${c.problem} ${JSON.stringify(opts)}`, async () => {
      const { ps, loss } = problem(c.problem);
      const opt = new LBFGS(ps, opts);
      const closure = closureFor(opt, loss, ci % 2 === 1); // every other case with an async closure
      let worstLoss = 0, worstParam = 0;
      for (const [k, want] of c.trace.entries()) {
        const ret = (await opt.step(closure)).itemSync();
        const after = pg.noGrad(() => loss()).itemSync();
        const what = `${c.problem} step ${k + 1}`;
        // Losses to 1e-10 relative, plus 1e-15 absolute for the losses torch drove to ~1e-7 and below
        // (Rosenbrock near its minimum, where f's relative error is |grad f| dx / f, not dx / x).
        expect(Math.abs(ret - want.returned), what).toBeLessThanOrEqual(1e-10 * Math.abs(want.returned) + 1e-15);
        expect(Math.abs(after - want.after), what).toBeLessThanOrEqual(1e-10 * Math.abs(want.after) + 1e-15);
        ps.forEach((p, i) => expectAllClose(p.dataSync(), want.params[i], { rtol: 1e-10, atol: 1e-12, what: `${what} param ${i}` }));
        const sd = opt.stateDict().state['0'];
        expect([sd.funcEvals, sd.nIter], what).toEqual([want.funcEvals, want.nIter]);
        worstLoss = Math.max(worstLoss, relErr(after, want.after), relErr(ret, want.returned));
        worstParam = Math.max(worstParam, ...ps.flatMap((p, i) => [...p.dataSync()].map((v, j) => relErr(v, want.params[i][j]))));
      }
      const st = opt.stateDict().state['0'];
      expect(st.oldDirs!.length).toBe(c.state.history);
      expect(relErr(st.t!, c.state.t)).toBeLessThan(1e-8);
      expect(relErr(st.hDiag!, c.state.hDiag)).toBeLessThan(1e-6);
      expect(Math.abs(st.prevLoss! - c.state.prevLoss)).toBeLessThanOrEqual(1e-10 * Math.abs(c.state.prevLoss) + 1e-15);
      console.log(`lbfgs fixture ${ci} ${c.problem}: worst relative error: losses ${worstLoss.toExponential(1)}, parameters ${worstParam.toExponential(1)}`);
    });
  });
});

describe('LBFGS on a convex quadratic', () => {
  // f(x) = 1/2 x^T A x - b^T x with A SPD, so the minimiser is x* = A^-1 b; b is built as A x*.
  const A = [[4, 1, 0.5, 0], [1, 3, 0, 0.2], [0.5, 0, 2, 0.3], [0, 0.2, 0.3, 1]];
  const xStar = [1.5, -2, 0.25, 3];
  const b = A.map((row) => row.reduce((s, a, j) => s + a * xStar[j], 0));
  // Tolerance on x: with the defaults both stop ~1e-8 from x*, where the loss (terms of size ~10)
  // changes by less than its rounding, ~1e-15. Without line search, stopping on the gradient alone
  // (toleranceChange 0) gets to 1e-11; the strong-Wolfe search cannot go past that point, as its
  // sufficient-decrease test compares losses (|x - x*| ~ sqrt(1e-15 / lambda_min) ~ 3e-8).
  const cases = [
    { lineSearchFn: null, opts: { toleranceGrad: 1e-12, toleranceChange: 0 }, tol: 1e-11 },
    { lineSearchFn: null, opts: {}, tol: 1e-7 },
    { lineSearchFn: 'strong_wolfe', opts: {}, tol: 1e-7 },
  ] as const;
  for (const { lineSearchFn, opts, tol } of cases)
    it(`reaches the closed-form minimiser to ${tol} (lineSearchFn ${lineSearchFn}, ${JSON.stringify(opts)})`, async () => {
      const x = pg.zeros([4], { dtype: 'float64' }).requiresGrad_();
      const At = pg.tensor(A, { dtype: 'float64' }), bt = pg.tensor(b, { dtype: 'float64' });
      const opt = new LBFGS([x], { lineSearchFn, maxIter: 50, ...opts });
      const closure = closureFor(opt, () => x.matmul(At).mul(x).sum().mul(0.5).sub(x.mul(bt).sum()));
      for (let k = 0; k < 3; k++) await opt.step(closure);
      expectAllClose(x.dataSync(), xStar, { rtol: tol, atol: tol, what: 'x' });
    });
});

describe('LBFGS bad inputs', () => {
  const p = () => pg.zeros([2], { dtype: 'float64' }).requiresGrad_();
  it('refuses a missing or non-function closure', async () => {
    const opt = new LBFGS([p()]);
    await expect((opt as any).step()).rejects.toThrow(/LBFGS\.step: needs a closure .*got undefined/);
    await expect((opt as any).step(3)).rejects.toThrow(/LBFGS\.step: needs a closure .*got number 3/);
  });
  it('refuses a closure that returns a non-tensor or a non-scalar', async () => {
    const x = p();
    const opt = new LBFGS([x]);
    await expect(opt.step((() => 1.5) as any)).rejects.toThrow(/LBFGS\.step: the closure must return the loss as a Tensor, got number 1\.5/);
    await expect(opt.step(async () => undefined as any)).rejects.toThrow(/LBFGS\.step: .*got undefined/);
    await expect(opt.step(() => { const l = x.mul(2); l.sum().backward(); return l; })).rejects.toThrow(/LBFGS\.step: the closure must return a scalar loss .*got a tensor \[2\] float64/);
  });
  it('refuses two parameter groups, as PyTorch', () => {
    expect(() => new LBFGS([{ params: [p()] }, { params: [p()] }] as any)).toThrow(/LBFGS doesn't support per-parameter options \(parameter groups\): got 2 groups/);
    expect(() => new LBFGS([{ params: [p()], lr: 0.5 }])).not.toThrow();
  });
  it('refuses invalid options, naming the value', () => {
    expect(() => new LBFGS([p()], { lr: 0 })).toThrow(/LBFGS: invalid lr number 0/);
    expect(() => new LBFGS([p()], { lr: -1 })).toThrow(/LBFGS: invalid lr number -1/);
    expect(() => new LBFGS([p()], { historySize: 0 })).toThrow(/LBFGS: invalid historySize number 0/);
    expect(() => new LBFGS([p()], { maxIter: 2.5 })).toThrow(/LBFGS: invalid maxIter number 2.5/);
    expect(() => new LBFGS([p()], { lineSearchFn: 'wolfe' as any })).toThrow(/LBFGS: invalid lineSearchFn "wolfe"/);
    expect(() => new LBFGS([p()], { toleranceGrad: -1 })).toThrow(/LBFGS: invalid toleranceGrad number -1/);
    expect(() => new LBFGS([p()], { line_search_fn: 'strong_wolfe' } as any)).toThrow(/LBFGS: unknown option 'line_search_fn'/);
    expect(() => new LBFGS([])).toThrow(/LBFGS: got an empty parameter list/);
    expect(() => new LBFGS([pg.zeros([2], { dtype: 'int32' })])).toThrow(/LBFGS: parameters must be float32 or float64 tensors, got int32/);
  });
  it('is pg.optim.LBFGS; defaults as PyTorch (maxEval = floor(maxIter * 5 / 4))', () => {
    expect(pg.optim.LBFGS).toBe(LBFGS);
    const o = new LBFGS([p()], { maxIter: 7 }).paramGroups[0];
    expect([o.lr, o.maxIter, o.maxEval, o.toleranceGrad, o.toleranceChange, o.historySize, o.lineSearchFn]).toEqual([1, 7, 8, 1e-7, 1e-9, 100, null]);
  });
});

describe('LBFGS with float32 parameters', () => {
  for (const c of [fx.cases[3], fx.cases[7]])
    it(`${c.problem} ${c.opts.line_search_fn ?? 'no line search'}: within float32 tolerance of torch's float64 run`, async () => {
      const opts = Object.fromEntries(Object.entries(c.opts).map(([k, v]) => [camel(k), v]));
      const { ps, loss } = problem(c.problem, 'float32');
      const opt = new LBFGS(ps, opts);
      const closure = closureFor(opt, loss);
      for (let k = 0; k < c.trace.length; k++) await opt.step(closure);
      expect(ps.every((q) => q.dtype === 'float32')).toBe(true);
      const want = c.trace[c.trace.length - 1];
      // Both runs end at the same minimiser; the loss there agrees to float32 precision.
      expect(relErr(pg.noGrad(() => loss()).itemSync(), want.after)).toBeLessThan(1e-6);
      ps.forEach((q, i) => expectAllClose(q.dataSync(), want.params[i], { rtol: 1e-3, atol: 1e-3, what: `param ${i}` }));
    });
});

describe('LBFGS state dicts', () => {
  it('saving after two steps (through a training-state file) and resuming gives the same trajectory', async () => {
    const c = fx.cases[7]; // logreg, strong_wolfe, historySize 3 (a full, wrapped history)
    const opts = Object.fromEntries(Object.entries(c.opts).map(([k, v]) => [camel(k), v]));
    const a = problem(c.problem);
    const optA = new LBFGS(a.ps, { ...opts, maxIter: 3 });
    const closureA = closureFor(optA, a.loss);
    for (let k = 0; k < 2; k++) await optA.step(closureA);
    const bytes = saveTrainingState({ optimizer: optA.stateDict() as any, params: a.ps });
    for (let k = 0; k < 2; k++) await optA.step(closureA);

    const loaded = loadTrainingState<{ optimizer: any; params: pg.Tensor[] }>(bytes);
    const b = problem(c.problem);
    b.ps.forEach((q, i) => pg.noGrad(() => q.assign_(loaded.params[i].clone())));
    const optB = new LBFGS(b.ps, { ...opts, maxIter: 3 });
    optB.loadStateDict(loaded.optimizer);
    expect(optB.stateDict().state['0'].oldDirs!.length).toBe(3);
    const closureB = closureFor(optB, b.loss);
    for (let k = 0; k < 2; k++) await optB.step(closureB);
    b.ps.forEach((q, i) => expect([...q.dataSync()]).toEqual([...a.ps[i].dataSync()]));
    expect(optB.stateDict().state['0'].funcEvals).toBe(optA.stateDict().state['0'].funcEvals);
  });
  it('a fresh optimizer has no state; a refused load changes nothing', async () => {
    const x = pg.tensor([-1.5, 2], { dtype: 'float64' }).requiresGrad_();
    const opt = new LBFGS([x], { lr: 0.5 });
    expect(opt.stateDict()).toMatchObject({ optimizer: 'LBFGS', state: {}, paramGroups: [{ lr: 0.5, params: [0] }] });
    const good = opt.stateDict();
    expect(() => opt.loadStateDict({ ...good, optimizer: 'Adam' as any })).toThrow(/LBFGS\.loadStateDict: the state was saved by "Adam"/);
    expect(() => opt.loadStateDict({ ...good, paramGroups: [{ ...good.paramGroups[0], lr: -2 }] })).toThrow(/LBFGS\.loadStateDict: LBFGS: invalid lr number -2/);
    expect(() => opt.loadStateDict({ ...good, state: { '0': { funcEvals: 3, nIter: 2 } } })).toThrow(/the state is at iteration 2 but has no 'd'/);
    expect(() => opt.loadStateDict({ ...good, state: { '0': { funcEvals: 1, nIter: 0, foo: 1 } as any } })).toThrow(/unknown state 'foo'/);
    expect(opt.paramGroups[0].lr).toBe(0.5);
  });
});

describe('cubicMinimizer', () => {
  it('finds the minimiser of a cubic from two points and slopes, and clamps to the bounds', () => {
    // f(x) = x^3 - 3x has its local minimum at x = 1; f' = 3x^2 - 3.
    const f = (x: number) => x ** 3 - 3 * x, df = (x: number) => 3 * x * x - 3;
    expect(cubicMinimizer(0, f(0), df(0), 2, f(2), df(2))).toBeCloseTo(1, 12);
    expect(cubicMinimizer(2, f(2), df(2), 0, f(0), df(0))).toBeCloseTo(1, 12);
    expect(cubicMinimizer(0, f(0), df(0), 2, f(2), df(2), [1.5, 3])).toBe(1.5);
    // No real minimiser (d1^2 < g1 g2): the midpoint of the bounds.
    expect(cubicMinimizer(0, 0, 1, 1, 2 / 3, 1)).toBe(0.5);
  });
});
