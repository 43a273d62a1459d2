// Optimizers: SGD, Adam, AdamW, RMSprop, Adagrad, Adamax, NAdam and RAdam with PyTorch's update rules (torch.optim, the default
// single-tensor "for-loop" implementations), parameter groups, and state dicts.
//
// Every update runs with tensor ops on the parameters' device, inside pg.noGrad and pg.tidy, and
// writes parameters back with `assign_` (a parameter keeps its Tensor object; only its storage is
// swapped) and state buffers by replacing (and disposing) them, so a step never reads values back
// to JavaScript and leaves no tensors behind. Adam and AdamW on the CPU backends instead run the
// backend's fused kernel in place, with the same bits, where no other tensor shares the storages.
// Parameters whose .grad is null are skipped (their step count does not advance).
import * as pg from '../autograd/index.js';
import { adamStepInPlace } from '../autograd/inplace.js';

type Tensor = pg.Tensor;

/** Options every optimizer has. */
export interface BaseOptions {
  lr: number;
  /** Ascend instead of descend (PyTorch's `maximize`). */
  maximize: boolean;
}

/** A parameter group: its tensors plus its own (mutable) hyper-parameters. */
export type ParamGroup<O> = O & {
  params: Tensor[];
  /** The learning rate schedules start from (PyTorch's `initial_lr`); set by the first schedule. */
  initialLr?: number;
};

/** What constructors accept: a list of parameters, or groups with per-group option overrides. */
export type ParamsArg<O> = Tensor[] | (Partial<O> & { params: Tensor[] })[];

/** Per-parameter state: step count plus named buffers (moments, momentum) and host scalars (NAdam's muProduct). */
export interface ParamState {
  step: number;
  buffers: Record<string, Tensor>;
  scalars?: Record<string, number>;
}

/**
 * An optimizer's state as plain data: `state[i]` holds the step count and buffers of parameter i
 * (parameters numbered across groups in order, as PyTorch does), `paramGroups` the groups'
 * hyper-parameters with `params` as lists of those indices. The buffers are the optimizer's live
 * tensors (as in PyTorch), valid until the next step(), which replaces and disposes them: serialise
 * them (e.g. with checkpoint.saveTrainingState) before stepping again, or clone them.
 */
export type OptimizerStateDict = {
  /** The optimizer's class name (SGD, Adam, ...); loadStateDict refuses another's. Absent in older states. */
  optimizer?: string;
  state: Record<string, Record<string, Tensor | number>>;
  paramGroups: Record<string, number | boolean | number[]>[];
};

/** What a parameter's state holds (see Optimizer.stateSpec). */
export interface StateSpec {
  /** Names of the tensor buffers (moments, momentum) this optimizer may keep. */
  buffers: string[];
  /** Names of host scalars (NAdam's muProduct). */
  scalars?: string[];
  /** Those a step with these hyper-parameters reads, so a state past step 0 must have them. */
  required: string[];
}

/** The object without its undefined entries (so {lr: undefined} keeps the default lr). */
function definedOnly<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

function isPlainRecord(v: unknown): v is Record<string, any> {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof pg.Tensor);
}

/** A value as an error message shows it: null, undefined, a string, a number, a tensor, ... */
function describeValue(v: unknown): string {
  if (v === null || v === undefined) return String(v);
  if (v instanceof pg.Tensor) return `a tensor [${v.shape}] ${v.dtype}`;
  if (Array.isArray(v)) return `an array of ${v.length}`;
  if (typeof v === 'string') return JSON.stringify(v);
  if (typeof v === 'object') return 'an object';
  return `${typeof v} ${String(v)}`;
}

/** A misspelt option (momentun, weight_decay) would otherwise be ignored silently. */
function checkOptionNames(who: string, defaults: object, opts: object, extra: string[] = []): void {
  for (const k of Object.keys(opts))
    if (!(k in defaults) && !extra.includes(k))
      throw new Error(`${who}: unknown option '${k}' (options: ${[...Object.keys(defaults), ...extra].join(', ')})`);
}

/** Whether a loaded hyper-parameter has the type of the default it replaces (numbers, booleans, number pairs). */
function sameKind(def: unknown, v: unknown): boolean {
  if (Array.isArray(def)) return Array.isArray(v) && v.length === def.length && v.every((e) => typeof e === 'number');
  return typeof v === typeof def;
}

function describeKind(def: unknown): string {
  return Array.isArray(def) ? `an array of ${def.length} numbers` : `a ${typeof def}`;
}

function isTensorList(p: unknown): p is Tensor[] {
  return Array.isArray(p) && p.every((t) => t instanceof pg.Tensor);
}

export abstract class Optimizer<O extends BaseOptions> {
  readonly defaults: O;
  paramGroups: ParamGroup<O>[] = [];
  protected readonly state = new Map<Tensor, ParamState>();
  /** Name used in error messages. */
  protected readonly name: string;

  constructor(name: string, params: ParamsArg<O>, defaults: O, opts: Partial<O> = {}) {
    this.name = name;
    if (opts === null || typeof opts !== 'object' || Array.isArray(opts)) throw new Error(`${name}: options must be an object, got ${describeValue(opts)}`);
    checkOptionNames(name, defaults, opts);
    this.defaults = { ...defaults, ...definedOnly(opts) };
    if (!Array.isArray(params) || params.length === 0) throw new Error(`${name}: got an empty parameter list`);
    const groups = (isTensorList(params) ? [{ params }] : params) as (Partial<O> & { params: Tensor[] })[];
    for (const g of groups) this.addParamGroup(g);
  }

  /** Adds a group (e.g. a new head) with its own options; missing options come from the defaults. */
  addParamGroup(group: Partial<O> & { params: Tensor[] }): void {
    if (!group || !Array.isArray(group.params) || !isTensorList(group.params))
      throw new Error(`${this.name}: a parameter group needs {params: Tensor[]}`);
    checkOptionNames(this.name, this.defaults, group, ['params', 'initialLr']);
    const seen = new Set(this.paramGroups.flatMap((g) => g.params));
    for (const p of group.params) {
      if (seen.has(p)) throw new Error(`${this.name}: a parameter appears in more than one group (or twice in one)`);
      seen.add(p);
      if (p.dtype !== 'float32' && p.dtype !== 'float64')
        throw new Error(`${this.name}: parameters must be float32 or float64 tensors, got ${p.dtype}`);
    }
    const full = { ...this.defaults, ...definedOnly(group), params: [...group.params] } as ParamGroup<O>;
    this.validate(full);
    this.paramGroups.push(full);
  }

  /** Checks a group's hyper-parameters (throws on invalid values). */
  protected abstract validate(o: O): void;

  /**
   * One update of parameter p with gradient g (already negated when `maximize`), state st, group
   * options o. Runs inside noGrad and tidy; must write p with assign_ and buffers with setBuffer.
   */
  protected abstract update(p: Tensor, g: Tensor, st: ParamState, o: ParamGroup<O>): void;

  /** All parameters, across groups, in index order. */
  get params(): Tensor[] {
    return this.paramGroups.flatMap((g) => g.params);
  }

  /** Applies one update to every parameter with a gradient. */
  step(): void {
    pg.tidy(() =>
      pg.noGrad(() => {
        for (const group of this.paramGroups) {
          for (const p of group.params) {
            const grad = p.grad;
            if (grad === null) continue;
            if (grad.shape.join() !== p.shape.join())
              throw new Error(`${this.name}: gradient shape [${grad.shape}] does not match parameter [${p.shape}]`);
            let st = this.state.get(p);
            if (!st) this.state.set(p, (st = { step: 0, buffers: {} }));
            const g0 = grad.dtype === p.dtype ? grad : grad.cast(p.dtype);
            const g = group.maximize ? g0.neg() : g0;
            st.step += 1;
            this.update(p, g, st, group);
          }
        }
      }),
    );
  }

  /** Sets every parameter's .grad to null (PyTorch's zero_grad(set_to_none=True)). */
  zeroGrad(): void {
    pg.zeroGrad(this.params);
  }

  /**
   * Stores a state buffer computed during a step: the new tensor is kept past the step's tidy scope
   * and the previous one disposed. (Not assign_: the core's GC safety net releases a tensor's
   * original storage, so a tensor whose storage assign_ swapped must not be left to the GC.)
   */
  protected setBuffer(p: Tensor, st: ParamState, name: string, value: Tensor): void {
    // A value owned elsewhere (the gradient, another buffer) is copied, never shared.
    const owned = value === p.grad || Object.entries(st.buffers).some(([k, b]) => k !== name && b === value);
    const t = pg.keep(owned ? value.clone() : value);
    const old = st.buffers[name];
    st.buffers[name] = t;
    if (old && old !== t) old.dispose();
  }

  stateDict(): OptimizerStateDict {
    const state: OptimizerStateDict['state'] = {};
    const paramGroups: OptimizerStateDict['paramGroups'] = [];
    let i = 0;
    for (const group of this.paramGroups) {
      const ids: number[] = [];
      for (const p of group.params) {
        const st = this.state.get(p);
        if (st) state[String(i)] = { step: st.step, ...st.scalars, ...st.buffers };
        ids.push(i++);
      }
      const opts: Record<string, number | boolean | number[]> = {};
      for (const [k, v] of Object.entries(group)) {
        if (k === 'params' || v === undefined) continue;
        if (typeof v === 'number' || typeof v === 'boolean') opts[k] = v;
        else if (Array.isArray(v) && v.every((e) => typeof e === 'number')) opts[k] = [...v];
      }
      paramGroups.push({ ...opts, params: ids });
    }
    return { optimizer: this.name, state, paramGroups };
  }

  /**
   * Restores hyper-parameters and state saved by stateDict() into an optimizer built over the same
   * parameters (same group sizes, in the same order). Buffers are copied (cast to each parameter's
   * dtype and moved to its device, as PyTorch does), so the caller may dispose what it passed.
   *
   * Everything is checked before anything changes, and a refused load changes nothing (state and
   * hyper-parameters): another optimizer's state, unknown hyper-parameters or ones of the wrong
   * type, unknown buffer or scalar names, buffers a step of these hyper-parameters needs but the
   * state lacks, missing or bad step counts, wrong shapes, disposed tensors and null values are
   * errors. A hyper-parameter the saved group lacks keeps its current value.
   */
  loadStateDict(sd: OptimizerStateDict): void {
    const who = `${this.name}.loadStateDict`;
    const bad: (msg: string) => never = (msg) => {
      throw new Error(`${who}: ${msg}`);
    };
    if (!isPlainRecord(sd) || !Array.isArray(sd.paramGroups) || !isPlainRecord(sd.state))
      bad('expected {state, paramGroups} (as returned by stateDict())');
    if (sd.optimizer !== undefined && sd.optimizer !== this.name)
      bad(`the state was saved by ${typeof sd.optimizer === 'string' ? sd.optimizer : describeValue(sd.optimizer)}, not by ${this.name}`);
    if (sd.paramGroups.length !== this.paramGroups.length)
      bad(`the state has ${sd.paramGroups.length} parameter groups, the optimizer ${this.paramGroups.length}`);

    // Hyper-parameters: each saved group merged over the live one, type-checked and validated.
    const merged: ParamGroup<O>[] = [];
    const paramOf = new Map<string, Tensor>(); // saved parameter id -> this optimizer's parameter
    sd.paramGroups.forEach((g, gi) => {
      const mine = this.paramGroups[gi];
      if (!isPlainRecord(g)) bad(`group ${gi} is ${describeValue(g)}, expected an object`);
      const ids: unknown = g.params;
      if (!Array.isArray(ids) || ids.length !== mine.params.length)
        bad(`group ${gi} has ${Array.isArray(ids) ? ids.length : 'no list of'} parameters in the state, ${mine.params.length} in the optimizer`);
      ids.forEach((id, k) => {
        if (typeof id !== 'number' || !Number.isInteger(id) || id < 0) bad(`group ${gi}: parameter id ${describeValue(id)} is not an integer >= 0`);
        if (paramOf.has(String(id))) bad(`parameter id ${id} appears twice in paramGroups`);
        paramOf.set(String(id), mine.params[k]);
      });
      const next = { ...mine, params: mine.params } as unknown as Record<string, unknown>;
      for (const [k, v] of Object.entries(g)) {
        if (k === 'params') continue;
        const def = k === 'initialLr' ? 0 : (this.defaults as Record<string, unknown>)[k];
        if (def === undefined) bad(`group ${gi}: unknown hyper-parameter '${k}' (${this.name} has ${[...Object.keys(this.defaults), 'initialLr'].join(', ')}); is this another optimizer's state?`);
        if (!sameKind(def, v)) bad(`group ${gi}: hyper-parameter '${k}' is ${describeValue(v)}, expected ${describeKind(def)}`);
        if (k === 'initialLr' && !((v as number) >= 0 && (v as number) < Infinity)) bad(`group ${gi}: initialLr is ${String(v)}, expected a finite number >= 0`);
        next[k] = Array.isArray(v) ? [...v] : v;
      }
      try {
        this.validate(next as unknown as O);
      } catch (e) {
        bad(`group ${gi}: ${(e as Error).message}`);
      }
      merged.push(next as unknown as ParamGroup<O>);
    });
    const groupOf = new Map<Tensor, ParamGroup<O>>();
    merged.forEach((g, gi) => this.paramGroups[gi].params.forEach((p) => groupOf.set(p, g)));

    // Per-parameter state: names, kinds, step counts and shapes.
    const entries: [Tensor, Record<string, Tensor | number>][] = [];
    for (const key of Object.keys(sd.state)) {
      const p = paramOf.get(key);
      if (!p) bad(`state for parameter ${JSON.stringify(key)}, but the groups list parameters ${[...paramOf.keys()].join(', ')}`);
      const entry = sd.state[key];
      if (!isPlainRecord(entry)) bad(`parameter ${key}: state is ${describeValue(entry)}, expected an object`);
      const spec = this.stateSpec(groupOf.get(p)!);
      const step: unknown = entry.step;
      if (step === undefined) bad(`parameter ${key}: the state has no step count`);
      if (typeof step !== 'number' || !Number.isInteger(step) || step < 0) bad(`parameter ${key}: bad step ${describeValue(step)}`);
      for (const [name, v] of Object.entries(entry)) {
        if (name === 'step') continue;
        const isBuffer = spec.buffers.includes(name), isScalar = spec.scalars?.includes(name) ?? false;
        if (!isBuffer && !isScalar)
          bad(`parameter ${key}: unknown state '${name}' (${this.name} keeps ${[...spec.buffers, ...(spec.scalars ?? [])].join(', ') || 'no buffers'}); is this another optimizer's state?`);
        if (isScalar) {
          if (typeof v !== 'number') bad(`parameter ${key}: scalar '${name}' is ${describeValue(v)}, expected a number`);
          if (!Number.isFinite(v)) bad(`parameter ${key}: scalar '${name}' is ${v}`);
        } else if (!(v instanceof pg.Tensor)) {
          bad(`parameter ${key}: buffer '${name}' is ${describeValue(v)}, expected a Tensor`);
        } else if (v.isDisposed) {
          bad(`parameter ${key}: buffer '${name}' was disposed`);
        } else if (v.shape.join() !== p.shape.join()) {
          bad(`parameter ${key}: buffer '${name}' has shape [${v.shape}], the parameter [${p.shape}]`);
        } else if (v.dtype !== 'float32' && v.dtype !== 'float64') {
          bad(`parameter ${key}: buffer '${name}' is ${v.dtype}, expected a float tensor`);
        }
      }
      if (step > 0)
        for (const name of spec.required)
          if (!(name in entry)) bad(`parameter ${key}: the state is at step ${step} but has no '${name}', which ${this.name} needs with these hyper-parameters`);
      entries.push([p, entry]);
    }

    // Validated: copy the buffers (undoing the copies if one fails), then swap everything in.
    const fresh = new Map<Tensor, ParamState>();
    try {
      for (const [p, entry] of entries) {
        const st: ParamState = { step: entry.step as number, buffers: {} };
        fresh.set(p, st);
        for (const [name, v] of Object.entries(entry)) {
          if (name === 'step') continue;
          if (typeof v === 'number') (st.scalars ??= {})[name] = v;
          else st.buffers[name] = copyLike(v, p);
        }
      }
    } catch (e) {
      for (const st of fresh.values()) for (const b of Object.values(st.buffers)) b.dispose();
      throw e;
    }
    merged.forEach((g, gi) => Object.assign(this.paramGroups[gi], g));
    this.disposeState();
    for (const [p, st] of fresh) this.state.set(p, st);
  }

  /**
   * The state a parameter carries under these hyper-parameters: the names of its tensor buffers and
   * host scalars, and those a step needs once the step count is above 0 (loadStateDict refuses a
   * state without them).
   */
  protected abstract stateSpec(o: O): StateSpec;

  /** Frees the state buffers (the optimizer starts from scratch at the next step). */
  disposeState(): void {
    for (const st of this.state.values()) for (const b of Object.values(st.buffers)) b.dispose();
    this.state.clear();
  }

  dispose(): void {
    this.disposeState();
  }
}

/** A fresh tensor with t's values, with p's dtype and on p's device. */
function copyLike(t: Tensor, p: Tensor): Tensor {
  return pg.keep(
    pg.tidy(() =>
      pg.noGrad(() => {
        let c = t.device === p.device ? t : t.to(p.device);
        if (c.dtype !== p.dtype) c = c.cast(p.dtype);
        return c === t ? t.clone() : c.contiguous();
      }),
    ),
  );
}

function checkNonNeg(who: string, name: string, v: number): void {
  if (typeof v !== 'number' || !(v >= 0) || v === Infinity) throw new Error(`${who}: invalid ${name} ${v} (need a finite number >= 0)`);
}

function checkUnit(who: string, name: string, v: number): void {
  if (typeof v !== 'number' || !(v >= 0 && v < 1)) throw new Error(`${who}: invalid ${name} ${v} (need 0 <= ${name} < 1)`);
}

// ---------------------------------------------------------------------------------------- SGD

export interface SGDOptions extends BaseOptions {
  momentum: number;
  dampening: number;
  nesterov: boolean;
  weightDecay: number;
}

/**
 * Stochastic gradient descent (torch.optim.SGD), per parameter and step t:
 *
 *   g = grad + weightDecay * p                              (if weightDecay != 0)
 *   if momentum != 0:
 *     b = g                                  at t = 1      (the buffer starts as a copy of g)
 *     b = momentum * b + (1 - dampening) * g at t > 1
 *     g = g + momentum * b                   if nesterov
 *     g = b                                  otherwise
 *   p = p - lr * g
 *
 * Nesterov needs momentum > 0 and dampening = 0. Defaults: lr 1e-3, everything else 0 / false.
 */
export class SGD extends Optimizer<SGDOptions> {
  constructor(params: ParamsArg<SGDOptions>, opts: Partial<SGDOptions> = {}) {
    super('SGD', params, { lr: 1e-3, momentum: 0, dampening: 0, nesterov: false, weightDecay: 0, maximize: false }, opts);
  }
  protected validate(o: SGDOptions): void {
    checkNonNeg('SGD', 'lr', o.lr);
    checkNonNeg('SGD', 'momentum', o.momentum);
    checkNonNeg('SGD', 'weightDecay', o.weightDecay);
    if (typeof o.dampening !== 'number' || !Number.isFinite(o.dampening)) throw new Error(`SGD: invalid dampening ${o.dampening}`);
    if (o.nesterov && (o.momentum <= 0 || o.dampening !== 0)) throw new Error('SGD: Nesterov momentum requires a momentum > 0 and zero dampening');
  }
  protected stateSpec(o: SGDOptions): StateSpec {
    return { buffers: ['momentumBuffer'], required: o.momentum !== 0 ? ['momentumBuffer'] : [] };
  }
  protected update(p: Tensor, grad: Tensor, st: ParamState, o: ParamGroup<SGDOptions>): void {
    let g = o.weightDecay !== 0 ? grad.add(p.mul(o.weightDecay)) : grad;
    if (o.momentum !== 0) {
      const prev = st.buffers.momentumBuffer;
      // torch: buf.mul_(momentum).add_(grad, alpha=1 - dampening)
      const b = prev ? prev.mul(o.momentum).add(g.mul(1 - o.dampening)) : g;
      this.setBuffer(p, st, 'momentumBuffer', b);
      g = o.nesterov ? g.add(b.mul(o.momentum)) : b;
    }
    // torch: param.add_(grad, alpha=-lr)
    p.assign_(p.add(g.mul(-o.lr)));
  }
}

// --------------------------------------------------------------------------------- Adam / AdamW

export interface AdamOptions extends BaseOptions {
  betas: [number, number];
  eps: number;
  weightDecay: number;
  amsgrad: boolean;
}

/**
 * The Adam update shared by Adam and AdamW (torch.optim.Adam / AdamW, single-tensor path), at step t:
 *
 *   m = m + (1 - beta1) * (g - m)            (torch: exp_avg.lerp_(grad, 1 - beta1) = beta1 m + (1 - beta1) g)
 *   v = beta2 * v + (1 - beta2) * g * g
 *   vmax = max(vmax, v); v_used = vmax       (amsgrad only; else v_used = v)
 *   stepSize = lr / (1 - beta1^t)
 *   denom = sqrt(v_used) / sqrt(1 - beta2^t) + eps
 *   p = p - stepSize * m / denom
 *
 * m, v (and vmax) start at zero; the bias corrections are computed in float64 on the host.
 */
function adamUpdate(p: Tensor, g: Tensor, st: ParamState, o: AdamOptions, set: (name: string, v: Tensor) => void): void {
  if (!o.amsgrad && adamFused(p, g, st, o, set)) return;
  adamOpsFused(p, g, st, o, set);
}

/**
 * The backend's fused Adam kernel, in place (the wasm and pure-JS CPU backends: one pass, no new
 * tensors), with the op path's bits (test/nn/optim.test.ts compares). It applies where p and its
 * moments are each the only tensor on their storage, so the write cannot be seen elsewhere
 * (autograd/inplace.ts); else the op path runs. Measured on one [256, 256] + [256] layer: see
 * bench/RESULTS.md.
 */
function adamFused(p: Tensor, g: Tensor, st: ParamState, o: AdamOptions, set: (name: string, v: Tensor) => void): boolean {
  if (!pg.getBackend(p.device).adamStep) return false;
  if (!st.buffers.expAvg) set('expAvg', pg.zerosLike(p));
  if (!st.buffers.expAvgSq) set('expAvgSq', pg.zerosLike(p));
  const [beta1, beta2] = o.betas;
  const t = st.step;
  const bc1 = 1 - Math.pow(beta1, t), bc2 = 1 - Math.pow(beta2, t);
  return adamStepInPlace(p, g, st.buffers.expAvg!, st.buffers.expAvgSq!,
    { c1: 1 - beta1, b2: beta2, c2: 1 - beta2, sqrtBc2: Math.sqrt(bc2), eps: o.eps, negStep: -(o.lr / bc1) });
}

/** The op path, under pg.compile (on the wasm backend its chains run as fused kernels). */
const adamOpsFused = pg.compile(adamOps);

function adamOps(p: Tensor, g: Tensor, st: ParamState, o: AdamOptions, set: (name: string, v: Tensor) => void): void {
  const [beta1, beta2] = o.betas;
  const t = st.step;
  const m0 = st.buffers.expAvg ?? pg.zerosLike(p);
  const v0 = st.buffers.expAvgSq ?? pg.zerosLike(p);
  const m = m0.add(g.sub(m0).mul(1 - beta1));
  const v = v0.mul(beta2).add(g.mul(g).mul(1 - beta2));
  set('expAvg', m);
  set('expAvgSq', v);
  let vUsed = v;
  if (o.amsgrad) {
    const prev = st.buffers.maxExpAvgSq;
    vUsed = prev ? prev.maximum(v) : v;
    set('maxExpAvgSq', vUsed);
  }
  const bc1 = 1 - Math.pow(beta1, t);
  const bc2 = 1 - Math.pow(beta2, t);
  const stepSize = o.lr / bc1;
  const denom = vUsed.sqrt().div(Math.sqrt(bc2)).add(o.eps);
  // torch: param.addcdiv_(exp_avg, denom, value=-step_size)
  p.assign_(p.add(m.div(denom).mul(-stepSize)));
}

function adamSpec(o: AdamOptions): StateSpec {
  return { buffers: ['expAvg', 'expAvgSq', 'maxExpAvgSq'], required: ['expAvg', 'expAvgSq', ...(o.amsgrad ? ['maxExpAvgSq'] : [])] };
}

function validateAdam(who: string, o: AdamOptions): void {
  checkNonNeg(who, 'lr', o.lr);
  checkNonNeg(who, 'eps', o.eps);
  checkNonNeg(who, 'weightDecay', o.weightDecay);
  if (!Array.isArray(o.betas) || o.betas.length !== 2) throw new Error(`${who}: betas must be [beta1, beta2]`);
  checkUnit(who, 'beta1', o.betas[0]);
  checkUnit(who, 'beta2', o.betas[1]);
}

/**
 * Adam (torch.optim.Adam). Weight decay is the classic L2 form, folded into the gradient before
 * the moments: g = grad + weightDecay * p. Defaults: lr 1e-3, betas [0.9, 0.999], eps 1e-8,
 * weightDecay 0, amsgrad false.
 */
export class Adam extends Optimizer<AdamOptions> {
  constructor(params: ParamsArg<AdamOptions>, opts: Partial<AdamOptions> = {}) {
    super('Adam', params, { lr: 1e-3, betas: [0.9, 0.999], eps: 1e-8, weightDecay: 0, amsgrad: false, maximize: false }, opts);
  }
  protected validate(o: AdamOptions): void {
    validateAdam(this.name, o);
  }
  protected stateSpec(o: AdamOptions): StateSpec {
    return adamSpec(o);
  }
  protected update(p: Tensor, grad: Tensor, st: ParamState, o: ParamGroup<AdamOptions>): void {
    const g = o.weightDecay !== 0 ? grad.add(p.mul(o.weightDecay)) : grad;
    adamUpdate(p, g, st, o, (n, v) => this.setBuffer(p, st, n, v));
  }
}

/**
 * AdamW (torch.optim.AdamW): Adam with decoupled weight decay. Before the Adam step,
 *   p = p * (1 - lr * weightDecay)
 * and the gradient is left alone. Defaults as Adam, but weightDecay 1e-2.
 */
export class AdamW extends Optimizer<AdamOptions> {
  constructor(params: ParamsArg<AdamOptions>, opts: Partial<AdamOptions> = {}) {
    super('AdamW', params, { lr: 1e-3, betas: [0.9, 0.999], eps: 1e-8, weightDecay: 1e-2, amsgrad: false, maximize: false }, opts);
  }
  protected validate(o: AdamOptions): void {
    validateAdam(this.name, o);
  }
  protected stateSpec(o: AdamOptions): StateSpec {
    return adamSpec(o);
  }
  protected update(p: Tensor, g: Tensor, st: ParamState, o: ParamGroup<AdamOptions>): void {
    if (o.weightDecay !== 0) {
      // the product is disposed at once: p is then again the only tensor on its storage (see adamFused)
      const decayed = p.mul(1 - o.lr * o.weightDecay);
      p.assign_(decayed);
      decayed.dispose();
    }
    adamUpdate(p, g, st, o, (n, v) => this.setBuffer(p, st, n, v));
  }
}

// ------------------------------------------------------------------------------------- RMSprop

export interface RMSpropOptions extends BaseOptions {
  alpha: number;
  eps: number;
  weightDecay: number;
  momentum: number;
  centered: boolean;
}

/**
 * RMSprop (torch.optim.RMSprop), per parameter and step:
 *
 *   g = grad + weightDecay * p                      (if weightDecay != 0)
 *   v = alpha * v + (1 - alpha) * g * g
 *   if centered:
 *     gAvg = gAvg + (1 - alpha) * (g - gAvg)        (torch: grad_avg.lerp_(grad, 1 - alpha))
 *     avg = sqrt(v - gAvg * gAvg) + eps
 *   else:
 *     avg = sqrt(v) + eps
 *   if momentum > 0:
 *     b = momentum * b + g / avg;  p = p - lr * b
 *   else:
 *     p = p - lr * g / avg
 *
 * v, gAvg and b start at zero (note eps is added outside the square root, unlike Adam's).
 * Defaults: lr 1e-2, alpha 0.99, eps 1e-8, weightDecay 0, momentum 0, centered false.
 */
export class RMSprop extends Optimizer<RMSpropOptions> {
  constructor(params: ParamsArg<RMSpropOptions>, opts: Partial<RMSpropOptions> = {}) {
    super('RMSprop', params, { lr: 1e-2, alpha: 0.99, eps: 1e-8, weightDecay: 0, momentum: 0, centered: false, maximize: false }, opts);
  }
  protected validate(o: RMSpropOptions): void {
    checkNonNeg('RMSprop', 'lr', o.lr);
    checkNonNeg('RMSprop', 'eps', o.eps);
    checkNonNeg('RMSprop', 'weightDecay', o.weightDecay);
    checkNonNeg('RMSprop', 'momentum', o.momentum);
    checkNonNeg('RMSprop', 'alpha', o.alpha);
  }
  protected stateSpec(o: RMSpropOptions): StateSpec {
    return {
      buffers: ['squareAvg', 'gradAvg', 'momentumBuffer'],
      required: ['squareAvg', ...(o.centered ? ['gradAvg'] : []), ...(o.momentum > 0 ? ['momentumBuffer'] : [])],
    };
  }
  protected update(p: Tensor, grad: Tensor, st: ParamState, o: ParamGroup<RMSpropOptions>): void {
    const g = o.weightDecay !== 0 ? grad.add(p.mul(o.weightDecay)) : grad;
    const v0 = st.buffers.squareAvg ?? pg.zerosLike(p);
    // torch: square_avg.mul_(alpha).addcmul_(grad, grad, value=1 - alpha)
    const v = v0.mul(o.alpha).add(g.mul(g).mul(1 - o.alpha));
    this.setBuffer(p, st, 'squareAvg', v);
    let avg: Tensor;
    if (o.centered) {
      const a0 = st.buffers.gradAvg ?? pg.zerosLike(p);
      const a = a0.add(g.sub(a0).mul(1 - o.alpha));
      this.setBuffer(p, st, 'gradAvg', a);
      // torch: square_avg.addcmul(grad_avg, grad_avg, value=-1).sqrt_().add_(eps)
      avg = v.add(a.mul(a).mul(-1)).sqrt().add(o.eps);
    } else {
      avg = v.sqrt().add(o.eps);
    }
    if (o.momentum > 0) {
      const b0 = st.buffers.momentumBuffer ?? pg.zerosLike(p);
      // torch: buf.mul_(momentum).addcdiv_(grad, avg); param.add_(buf, alpha=-lr)
      const b = b0.mul(o.momentum).add(g.div(avg));
      this.setBuffer(p, st, 'momentumBuffer', b);
      p.assign_(p.add(b.mul(-o.lr)));
    } else {
      // torch: param.addcdiv_(grad, avg, value=-lr)
      p.assign_(p.add(g.div(avg).mul(-o.lr)));
    }
  }
}

// ------------------------------------------------------------------------------------- Adagrad

export interface AdagradOptions extends BaseOptions {
  lrDecay: number;
  weightDecay: number;
  initialAccumulatorValue: number;
  eps: number;
}

/**
 * Adagrad (torch.optim.Adagrad), per parameter and step t:
 *
 *   g = grad + weightDecay * p                          (if weightDecay != 0)
 *   clr = lr / (1 + (t - 1) * lrDecay)
 *   s = s + g * g                                       (s starts at initialAccumulatorValue)
 *   p = p - clr * g / (sqrt(s) + eps)
 *
 * Defaults: lr 1e-2, lrDecay 0, weightDecay 0, initialAccumulatorValue 0, eps 1e-10.
 */
export class Adagrad extends Optimizer<AdagradOptions> {
  constructor(params: ParamsArg<AdagradOptions>, opts: Partial<AdagradOptions> = {}) {
    super('Adagrad', params, { lr: 1e-2, lrDecay: 0, weightDecay: 0, initialAccumulatorValue: 0, eps: 1e-10, maximize: false }, opts);
  }
  protected validate(o: AdagradOptions): void {
    for (const k of ['lr', 'lrDecay', 'weightDecay', 'initialAccumulatorValue', 'eps'] as const) checkNonNeg('Adagrad', k, o[k]);
  }
  protected stateSpec(o: AdagradOptions): StateSpec {
    return { buffers: ['sum'], required: ['sum'] };
  }
  protected update(p: Tensor, grad: Tensor, st: ParamState, o: ParamGroup<AdagradOptions>): void {
    const g = o.weightDecay !== 0 ? grad.add(p.mul(o.weightDecay)) : grad;
    const clr = o.lr / (1 + (st.step - 1) * o.lrDecay);
    const s0 = st.buffers.sum ?? pg.fullLike(p, o.initialAccumulatorValue);
    // torch: state_sum.addcmul_(grad, grad, value=1); param.addcdiv_(grad, state_sum.sqrt().add_(eps), value=-clr)
    const s = s0.add(g.mul(g));
    this.setBuffer(p, st, 'sum', s);
    p.assign_(p.add(g.div(s.sqrt().add(o.eps)).mul(-clr)));
  }
}

// -------------------------------------------------------------------------------------- Adamax

export type AdamaxOptions = Omit<AdamOptions, 'amsgrad'>;

/**
 * Adamax (torch.optim.Adamax), Adam with the infinity norm, at step t:
 *
 *   g = grad + weightDecay * p                          (if weightDecay != 0)
 *   m = m + (1 - beta1) * (g - m)
 *   u = max(beta2 * u, |g| + eps)
 *   p = p - lr / (1 - beta1^t) * m / u
 *
 * m and u start at zero. Defaults: lr 2e-3, betas [0.9, 0.999], eps 1e-8, weightDecay 0.
 */
export class Adamax extends Optimizer<AdamaxOptions> {
  constructor(params: ParamsArg<AdamaxOptions>, opts: Partial<AdamaxOptions> = {}) {
    super('Adamax', params, { lr: 2e-3, betas: [0.9, 0.999], eps: 1e-8, weightDecay: 0, maximize: false }, opts);
  }
  protected validate(o: AdamaxOptions): void {
    validateAdam(this.name, { ...o, amsgrad: false });
  }
  protected stateSpec(o: AdamaxOptions): StateSpec {
    return { buffers: ['expAvg', 'expInf'], required: ['expAvg', 'expInf'] };
  }
  protected update(p: Tensor, grad: Tensor, st: ParamState, o: ParamGroup<AdamaxOptions>): void {
    const [beta1, beta2] = o.betas;
    const g = o.weightDecay !== 0 ? grad.add(p.mul(o.weightDecay)) : grad;
    const m0 = st.buffers.expAvg ?? pg.zerosLike(p);
    const u0 = st.buffers.expInf ?? pg.zerosLike(p);
    const m = m0.add(g.sub(m0).mul(1 - beta1));
    const u = u0.mul(beta2).maximum(g.abs().add(o.eps));
    this.setBuffer(p, st, 'expAvg', m);
    this.setBuffer(p, st, 'expInf', u);
    const clr = o.lr / (1 - Math.pow(beta1, st.step));
    // torch: param.addcdiv_(exp_avg, exp_inf, value=-clr)
    p.assign_(p.add(m.div(u).mul(-clr)));
  }
}

// --------------------------------------------------------------------------------------- NAdam

export interface NAdamOptions extends BaseOptions {
  betas: [number, number];
  eps: number;
  weightDecay: number;
  momentumDecay: number;
  /** AdamW-style decay p = p (1 - lr weightDecay) instead of adding weightDecay * p to the gradient. */
  decoupledWeightDecay: boolean;
}

function validateNAdamLike(who: string, o: { lr: number; eps: number; weightDecay: number; betas: [number, number] }): void {
  validateAdam(who, { ...o, amsgrad: false, maximize: false });
}

/**
 * NAdam (torch.optim.NAdam), Adam with Nesterov momentum and Dozat's momentum schedule, at step t:
 *
 *   mu_t = beta1 (1 - 0.96^(t momentumDecay) / 2),  P_t = mu_1 ... mu_t   (muProduct, kept on the host)
 *   m = m + (1 - beta1) (g - m);  v = beta2 v + (1 - beta2) g²
 *   denom = sqrt(v / (1 - beta2^t)) + eps
 *   p = p - lr (1 - mu_t) / (1 - P_t) * g / denom
 *   p = p - lr mu_{t+1} / (1 - P_t mu_{t+1}) * m / denom
 *
 * Weight decay as Adam (added to g) or decoupled (p = p (1 - lr weightDecay) first). Defaults: lr 2e-3,
 * betas [0.9, 0.999], eps 1e-8, weightDecay 0, momentumDecay 4e-3, decoupledWeightDecay false.
 */
export class NAdam extends Optimizer<NAdamOptions> {
  constructor(params: ParamsArg<NAdamOptions>, opts: Partial<NAdamOptions> = {}) {
    super('NAdam', params, { lr: 2e-3, betas: [0.9, 0.999], eps: 1e-8, weightDecay: 0, momentumDecay: 4e-3, decoupledWeightDecay: false, maximize: false }, opts);
  }
  protected validate(o: NAdamOptions): void {
    validateNAdamLike(this.name, o);
    checkNonNeg(this.name, 'momentumDecay', o.momentumDecay);
  }
  protected stateSpec(o: NAdamOptions): StateSpec {
    return { buffers: ['expAvg', 'expAvgSq'], scalars: ['muProduct'], required: ['expAvg', 'expAvgSq', 'muProduct'] };
  }
  protected update(p: Tensor, grad: Tensor, st: ParamState, o: ParamGroup<NAdamOptions>): void {
    const [beta1, beta2] = o.betas;
    const t = st.step;
    let g = grad;
    if (o.weightDecay !== 0) {
      if (o.decoupledWeightDecay) p.assign_(p.mul(1 - o.lr * o.weightDecay));
      else g = grad.add(p.mul(o.weightDecay));
    }
    const mu = beta1 * (1 - 0.5 * Math.pow(0.96, t * o.momentumDecay));
    const muNext = beta1 * (1 - 0.5 * Math.pow(0.96, (t + 1) * o.momentumDecay));
    const scalars = (st.scalars ??= {});
    const muProduct = (scalars.muProduct ?? 1) * mu;
    scalars.muProduct = muProduct;
    const m0 = st.buffers.expAvg ?? pg.zerosLike(p);
    const v0 = st.buffers.expAvgSq ?? pg.zerosLike(p);
    const m = m0.add(g.sub(m0).mul(1 - beta1));
    const v = v0.mul(beta2).add(g.mul(g).mul(1 - beta2));
    this.setBuffer(p, st, 'expAvg', m);
    this.setBuffer(p, st, 'expAvgSq', v);
    const denom = v.div(1 - Math.pow(beta2, t)).sqrt().add(o.eps);
    // torch: param.addcdiv_(grad, denom, value=-lr (1 - mu) / (1 - mu_product)), then the same with exp_avg
    const p1 = p.add(g.div(denom).mul((-o.lr * (1 - mu)) / (1 - muProduct)));
    p.assign_(p1.add(m.div(denom).mul((-o.lr * muNext) / (1 - muProduct * muNext))));
  }
}

// --------------------------------------------------------------------------------------- RAdam

export interface RAdamOptions extends BaseOptions {
  betas: [number, number];
  eps: number;
  weightDecay: number;
  /** AdamW-style decay p = p (1 - lr weightDecay) instead of adding weightDecay * p to the gradient. */
  decoupledWeightDecay: boolean;
}

/**
 * RAdam (torch.optim.RAdam), Adam with the variance rectification of Liu et al., at step t:
 *
 *   m = m + (1 - beta1) (g - m);  v = beta2 v + (1 - beta2) g²;  mhat = m / (1 - beta1^t)
 *   rho_inf = 2 / (1 - beta2) - 1;  rho_t = rho_inf - 2 t beta2^t / (1 - beta2^t)
 *   if rho_t > 5:  r = sqrt((rho_t - 4)(rho_t - 2) rho_inf / ((rho_inf - 4)(rho_inf - 2) rho_t))
 *                  p = p - mhat lr sqrt(1 - beta2^t) / (sqrt(v) + eps) r
 *   else:          p = p - mhat lr                        (SGD with momentum while the variance is unreliable)
 *
 * Weight decay as Adam or decoupled. Defaults: lr 1e-3, betas [0.9, 0.999], eps 1e-8, weightDecay 0.
 */
export class RAdam extends Optimizer<RAdamOptions> {
  constructor(params: ParamsArg<RAdamOptions>, opts: Partial<RAdamOptions> = {}) {
    super('RAdam', params, { lr: 1e-3, betas: [0.9, 0.999], eps: 1e-8, weightDecay: 0, decoupledWeightDecay: false, maximize: false }, opts);
  }
  protected validate(o: RAdamOptions): void {
    validateNAdamLike(this.name, o);
  }
  protected stateSpec(o: RAdamOptions): StateSpec {
    return { buffers: ['expAvg', 'expAvgSq'], required: ['expAvg', 'expAvgSq'] };
  }
  protected update(p: Tensor, grad: Tensor, st: ParamState, o: ParamGroup<RAdamOptions>): void {
    const [beta1, beta2] = o.betas;
    const t = st.step;
    let g = grad;
    if (o.weightDecay !== 0) {
      if (o.decoupledWeightDecay) p.assign_(p.mul(1 - o.lr * o.weightDecay));
      else g = grad.add(p.mul(o.weightDecay));
    }
    const m0 = st.buffers.expAvg ?? pg.zerosLike(p);
    const v0 = st.buffers.expAvgSq ?? pg.zerosLike(p);
    const m = m0.add(g.sub(m0).mul(1 - beta1));
    const v = v0.mul(beta2).add(g.mul(g).mul(1 - beta2));
    this.setBuffer(p, st, 'expAvg', m);
    this.setBuffer(p, st, 'expAvgSq', v);
    const bc1 = 1 - Math.pow(beta1, t), bc2 = 1 - Math.pow(beta2, t);
    const mhat = m.div(bc1);
    const rhoInf = 2 / (1 - beta2) - 1;
    const rhoT = rhoInf - (2 * t * Math.pow(beta2, t)) / bc2;
    if (rhoT > 5) {
      const rect = Math.sqrt(((rhoT - 4) * (rhoT - 2) * rhoInf) / ((rhoInf - 4) * (rhoInf - 2) * rhoT));
      const adaptive = pg.div(Math.sqrt(bc2), v.sqrt().add(o.eps));
      p.assign_(p.sub(mhat.mul(o.lr).mul(adaptive).mul(rect)));
    } else {
      p.assign_(p.sub(mhat.mul(o.lr)));
    }
  }
}
