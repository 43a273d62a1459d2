// Safety, class "optimizer and module state": generated corruptions of valid state dicts, tried on
// every optimizer and on a module. Each must be refused with an error that names the loader, and a
// refused load must change nothing (state buffers, step counts, hyper-parameters, parameters) and
// leave no tensor behind.
import { describe, expect, it } from 'vitest';
import * as pg from '../../src/index.js';
import { Adagrad, Adam, Adamax, AdamW, NAdam, RAdam, RMSprop, SGD, type Optimizer, type OptimizerStateDict } from '../../src/nn/optim.js';
import { BatchNorm1d, Linear, Sequential } from '../../src/nn/layers.js';

type Make = (p: pg.Tensor[][]) => Optimizer<any>;
/** Every optimizer, configured so that it keeps every buffer it can (momentum, amsgrad, centered, ...). */
const OPTIMIZERS: [string, Make][] = [
  ['SGD', (g) => new SGD(g.map((params) => ({ params })), { lr: 0.1, momentum: 0.9 })],
  ['Adam', (g) => new Adam(g.map((params) => ({ params })), { lr: 0.1, amsgrad: true })],
  ['AdamW', (g) => new AdamW(g.map((params) => ({ params })), { lr: 0.1 })],
  ['RMSprop', (g) => new RMSprop(g.map((params) => ({ params })), { lr: 0.1, centered: true, momentum: 0.5 })],
  ['Adagrad', (g) => new Adagrad(g.map((params) => ({ params })), { lr: 0.1 })],
  ['Adamax', (g) => new Adamax(g.map((params) => ({ params })), { lr: 0.1 })],
  ['NAdam', (g) => new NAdam(g.map((params) => ({ params })), { lr: 0.1 })],
  ['RAdam', (g) => new RAdam(g.map((params) => ({ params })), { lr: 0.1 })],
];

/** Two groups, two float64 parameters each; two steps with fixed gradients. */
function trained(make: Make): { opt: Optimizer<any>; params: pg.Tensor[]; dispose: () => void } {
  const gen = new pg.Generator(5);
  const shapes = [[3], [2, 2], [4], []];
  const params = shapes.map((s) => pg.randn(s, { dtype: 'float64', generator: gen }).requiresGrad_());
  const opt = make([params.slice(0, 2), params.slice(2)]);
  for (let k = 0; k < 2; k++) {
    for (const p of params) p.grad = pg.randn(p.shape, { dtype: 'float64', generator: gen });
    opt.step();
    opt.zeroGrad();
  }
  return { opt, params, dispose: () => { opt.dispose(); params.forEach((p) => p.dispose()); } };
}

/** Everything a load could change, as plain data. */
function fingerprint(opt: Optimizer<any>, params: pg.Tensor[]): string {
  const sd = opt.stateDict();
  const state = Object.fromEntries(Object.entries(sd.state).map(([k, e]) => [k, Object.fromEntries(Object.entries(e).map(([n, v]) => [n, v instanceof pg.Tensor ? Array.from(v.dataSync()) : v]))]));
  return JSON.stringify({ groups: sd.paramGroups, state, params: params.map((p) => Array.from(p.dataSync())) });
}

/** A deep copy of a state dict that shares its tensors (corruptions replace entries, never tensors). */
function copySd(sd: OptimizerStateDict): OptimizerStateDict {
  return {
    ...sd,
    state: Object.fromEntries(Object.entries(sd.state).map(([k, e]) => [k, { ...e }])),
    paramGroups: sd.paramGroups.map((g) => ({ ...g, params: [...(g.params as number[])] })),
  };
}

/** Values that are never a valid state entry, buffer or hyper-parameter. */
const BAD_VALUES: [string, () => unknown][] = [
  ['null', () => null],
  ['undefined', () => undefined],
  ['a string', () => '1'],
  ['an object', () => ({})],
  ['an array', () => [1, 2]],
  ['NaN', () => NaN],
  ['-1', () => -1],
  ['1.5', () => 1.5],
  ['true', () => true],
];

interface Corruption {
  what: string;
  apply: (sd: OptimizerStateDict, tmp: pg.Tensor[]) => unknown;
}

/** Generated corruptions of one optimizer's state dict (every entry x every bad value, plus structure). */
function corruptions(sd: OptimizerStateDict, name: string, others: Map<string, OptimizerStateDict>): Corruption[] {
  const out: Corruption[] = [];
  const add = (what: string, apply: Corruption['apply']) => out.push({ what, apply });
  // The whole thing.
  for (const [v, make] of BAD_VALUES) add(`state dict = ${v}`, () => make());
  add('no paramGroups', (s) => ({ state: s.state }));
  add('state = null', (s) => ({ ...s, state: null }));
  add('one group fewer', (s) => ({ ...s, paramGroups: s.paramGroups.slice(1) }));
  add('a parameter id twice', (s) => { s.paramGroups[1].params = [0, 0]; return s; });
  add('a fractional parameter id', (s) => { s.paramGroups[0].params = [0.5, 1]; return s; });
  add('state for a parameter not in the groups', (s) => { s.state['9'] = { ...s.state['0'] }; return s; });
  // Another optimizer's whole state (with and without its name).
  for (const [other, osd] of others) {
    if (other === name) continue;
    add(`${other}'s state`, () => copySd(osd));
    // Adam and AdamW keep the same buffers and hyper-parameters: only the name tells them apart.
    if (!((name === 'Adam' && other === 'AdamW') || (name === 'AdamW' && other === 'Adam')))
      add(`${other}'s state without its name`, () => { const c = copySd(osd); delete c.optimizer; return c; });
  }
  // Hyper-parameters: every key of every group x every bad value, and an unknown key.
  sd.paramGroups.forEach((g, gi) => {
    for (const k of Object.keys(g)) {
      if (k === 'params') continue;
      for (const [v, make] of BAD_VALUES) {
        const val = make();
        if (val === undefined) continue; // absent = keep the current value, by design
        // A number (other than NaN) may be in range, a boolean is a legal flag: only the other kinds are corruptions here.
        if (typeof g[k] === 'number' && typeof val === 'number' && !Number.isNaN(val)) continue;
        if (typeof g[k] === 'boolean' && typeof val === 'boolean') continue;
        add(`group ${gi} ${k} = ${v}`, (s) => { (s.paramGroups[gi] as any)[k] = val; return s; });
      }
    }
    add(`group ${gi} unknown hyper-parameter`, (s) => { (s.paramGroups[gi] as any).momentumm = 0.9; return s; });
  });
  // Per-parameter state: delete each entry, replace it by each bad value, add unknown names.
  for (const [key, entry] of Object.entries(sd.state)) {
    add(`parameter ${key}: state = null`, (s) => { (s.state as any)[key] = null; return s; });
    for (const n of Object.keys(entry)) {
      add(`parameter ${key}: no ${n}`, (s) => { delete s.state[key][n]; return s; });
      for (const [v, make] of BAD_VALUES) {
        const val = make();
        if (n === 'step' && typeof val === 'number' && Number.isInteger(val) && val >= 0) continue;
        if (n !== 'step' && typeof entry[n] === 'number' && typeof val === 'number' && Number.isFinite(val)) continue; // a scalar such as muProduct
        add(`parameter ${key}: ${n} = ${v}`, (s) => { (s.state[key] as any)[n] = val; return s; });
      }
      if (entry[n] instanceof pg.Tensor) {
        const t = entry[n] as pg.Tensor;
        add(`parameter ${key}: ${n} of the wrong shape`, (s, tmp) => { const w = pg.zeros([t.size + 1], { dtype: 'float64' }); tmp.push(w); s.state[key][n] = w; return s; });
        add(`parameter ${key}: ${n} disposed`, (s) => { const w = pg.zeros(t.shape, { dtype: 'float64' }); w.dispose(); s.state[key][n] = w; return s; });
        add(`parameter ${key}: ${n} int32`, (s, tmp) => { const w = pg.zeros(t.shape, { dtype: 'int32' }); tmp.push(w); s.state[key][n] = w; return s; });
      }
    }
    add(`parameter ${key}: unknown buffer`, (s, tmp) => {
      const ref = Object.values(entry).find((v) => v instanceof pg.Tensor) as pg.Tensor | undefined;
      const w = ref ? pg.zerosLike(ref) : pg.zeros([1]);
      tmp.push(w);
      (s.state[key] as any).exp_avg = w;
      return s;
    });
    add(`parameter ${key}: step = Infinity`, (s) => { s.state[key].step = Infinity; return s; });
  }
  return out;
}

describe('optimizer loadStateDict: generated corruptions are refused, atomically', () => {
  const states = new Map<string, OptimizerStateDict>();
  const keep: (() => void)[] = [];
  for (const [name, make] of OPTIMIZERS) {
    const r = trained(make);
    states.set(name, r.opt.stateDict());
    keep.push(r.dispose);
  }

  for (const [name, make] of OPTIMIZERS)
    it(`${name}`, () => {
      const { opt, params, dispose } = trained(make);
      // A target whose hyper-parameters differ from the saved ones, so a half-applied load would show.
      for (const g of opt.paramGroups) g.lr = 0.123;
      const before = fingerprint(opt, params);
      const live = pg.memory().tensors;
      const cases = corruptions(states.get(name)!, name, states);
      expect(cases.length).toBeGreaterThan(60);
      let n = 0;
      for (const c of cases) {
        const tmp: pg.Tensor[] = [];
        const bad = c.apply(copySd(states.get(name)!), tmp);
        let msg = '';
        try {
          opt.loadStateDict(bad as OptimizerStateDict);
        } catch (e) {
          msg = (e as Error).message;
        }
        if (process.env.SHOW_MSGS) console.log(c.what, "=>", msg);
        expect(msg, `${name}: ${c.what} was accepted`).toMatch(new RegExp(`^${name}\\.loadStateDict: `));
        expect(msg, `${name}: ${c.what}`).not.toMatch(/Cannot read|undefined is not|is not a function|TypeError/);
        expect(fingerprint(opt, params), `${name}: ${c.what} changed something`).toBe(before);
        tmp.forEach((t) => t.dispose());
        expect(pg.memory().tensors, `${name}: ${c.what} left tensors behind`).toBe(live);
        n++;
      }
      expect(n).toBe(cases.length);
      // The uncorrupted state still loads, and brings its hyper-parameters with it.
      opt.loadStateDict(states.get(name)!);
      expect(opt.paramGroups[0].lr).toBe(0.1);
      dispose();
    });

  it('a saved group without a hyper-parameter keeps the current value; the step count is required', () => {
    const { opt, params, dispose } = trained(OPTIMIZERS[1][1]);
    const sd = copySd(opt.stateDict());
    delete (sd.paramGroups[0] as any).eps;
    opt.paramGroups[0].eps = 1e-3;
    opt.loadStateDict(sd);
    expect(opt.paramGroups[0].eps).toBe(1e-3);
    const noStep = copySd(opt.stateDict());
    delete (noStep.state['0'] as any).step;
    expect(() => opt.loadStateDict(noStep)).toThrow(/Adam\.loadStateDict: parameter 0: the state has no step count/);
    const noBuf = copySd(opt.stateDict());
    delete noBuf.state['1'].maxExpAvgSq;
    expect(() => opt.loadStateDict(noBuf)).toThrow(/parameter 1: the state is at step 2 but has no 'maxExpAvgSq'/);
    expect(params.length).toBe(4);
    dispose();
  });

  it('the state names its optimizer', () => {
    const { opt, dispose } = trained(OPTIMIZERS[0][1]);
    expect(opt.stateDict().optimizer).toBe('SGD');
    const adamw = trained(OPTIMIZERS[2][1]);
    expect(() => adamw.opt.loadStateDict(states.get('Adam')!)).toThrow(/AdamW\.loadStateDict: the state was saved by Adam, not by AdamW/);
    adamw.dispose();
    dispose();
    keep.forEach((f) => f());
  });
});

describe('Module.loadStateDict: generated bad values are refused, atomically', () => {
  function model(seed: number) {
    const g = new pg.Generator(seed);
    return new Sequential(new Linear(3, 4, { generator: g }), new BatchNorm1d(4), new Linear(4, 2, { generator: g }));
  }
  const snapshot = (m: Sequential) => {
    const sd = m.stateDict();
    const s = JSON.stringify(Object.entries(sd).map(([k, t]) => [k, Array.from(t.dataSync())]));
    Object.values(sd).forEach((t) => t.dispose());
    return s;
  };

  it('bad values x every key, missing and unexpected keys, a failing copy', () => {
    const m = model(1);
    const src = model(2);
    const good = src.stateDict();
    const before = snapshot(m);
    const live = pg.memory().tensors;
    const cases: [string, () => Record<string, unknown>, { strict?: boolean }?][] = [];
    for (const k of Object.keys(good)) {
      for (const [v, make] of BAD_VALUES) cases.push([`${k} = ${v}`, () => ({ ...good, [k]: make() })]);
      for (const [v, make] of BAD_VALUES) cases.push([`${k} = ${v} (strict false)`, () => ({ ...good, [k]: make() }), { strict: false }]);
      const t = good[k];
      cases.push([`${k} wrong shape`, () => ({ ...good, [k]: pg.zeros([t.size + 1], { dtype: t.dtype }) })]);
      cases.push([`${k} wrong dtype`, () => ({ ...good, [k]: pg.zeros(t.shape, { dtype: t.dtype === 'int32' ? 'float32' : 'int32' }) })]);
      cases.push([`${k} disposed`, () => { const d = pg.zeros(t.shape, { dtype: t.dtype }); d.dispose(); return { ...good, [k]: d }; }]);
      cases.push([`${k} missing`, () => { const c: Record<string, unknown> = { ...good }; delete c[k]; return c; }]);
    }
    cases.push(['unexpected key', () => ({ ...good, 'extra.weight': pg.zeros([1]) })]);
    cases.push(['a misspelt buffer name', () => { const c: Record<string, unknown> = { ...good }; c['1.running_mean'] = c['1.runningMean']; delete c['1.runningMean']; return c; }]);
    for (const [v, make] of BAD_VALUES) cases.push([`state dict = ${v}`, () => make() as any]);
    // The last tensor's copy fails (as a device move might): the ones copied before must not be written.
    cases.push(['a copy that fails', () => {
      const keys = Object.keys(good);
      const t = good[keys[keys.length - 1]].detach();
      (t as any).clone = () => { throw new Error('copy failed'); };
      return { ...good, [keys[keys.length - 1]]: t };
    }]);
    for (const [what, make, opts] of cases) {
      const sd = make();
      let msg = '';
      try {
        m.loadStateDict(sd as any, opts);
      } catch (e) {
        msg = (e as Error).message;
      }
      expect(msg, `${what} was accepted`).toMatch(/loadStateDict|copy failed/);
      expect(snapshot(m), `${what} changed the module`).toBe(before);
      const ours = new Set(Object.values(good));
      if (sd && typeof sd === 'object') for (const t of Object.values(sd)) if (t instanceof pg.Tensor && !ours.has(t) && !t.isDisposed) t.dispose();
      expect(pg.memory().tensors, `${what} left tensors behind`).toBe(live);
    }
    m.loadStateDict(good);
    expect(snapshot(m)).toBe(snapshot(src));
    m.dispose();
    src.dispose();
  });
});

describe('optimizer options', () => {
  it('unknown option names and bad hyper-parameter values are errors naming the optimizer (constructor and addParamGroup)', () => {
    const p = pg.zeros([2], { requiresGrad: true });
    const q = pg.zeros([2], { requiresGrad: true });
    let n = 0;
    for (const [name, make] of OPTIMIZERS) {
      const opt = make([[p]]);
      const Ctor = opt.constructor as new (params: pg.Tensor[], opts?: object) => Optimizer<any>;
      expect(() => new Ctor([p], { lr: 0.1, weight_decay: 0.1 }), name).toThrow(new RegExp(`^${name}: unknown option 'weight_decay' \\(options: lr, `));
      expect(() => opt.addParamGroup({ params: [q], momentun: 0.9 } as any), name).toThrow(new RegExp(`^${name}: unknown option 'momentun'`));
      for (const [k, v] of Object.entries(opt.defaults)) {
        if (typeof v === 'boolean') continue;
        for (const bad of [null, 'x', NaN, -1]) {
          if (k === 'dampening' && bad === -1) continue; // any finite dampening is allowed (as PyTorch)
          expect(() => new Ctor([p], { [k]: bad }), `${name} ${k} = ${String(bad)}`).toThrow(new RegExp(`^${name}: `));
          n++;
        }
      }
      expect(() => new Ctor([p], 3 as any)).toThrow(new RegExp(`^${name}: options must be an object`));
      opt.dispose();
    }
    expect(n).toBeGreaterThan(80);
  });
});
