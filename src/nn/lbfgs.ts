// L-BFGS (torch.optim.LBFGS's algorithm and option meanings), with an optional strong-Wolfe line
// search. Unlike the other optimizers, LBFGS re-evaluates the loss several times per step, so
// step() takes a closure and is async; it works on flat float64 vectors on the host.
import * as pg from '../autograd/index.js';

type Tensor = pg.Tensor;

export interface LBFGSOptions {
  /** Step length: the first iteration's step is min(1, 1/|g|_1) * lr, later ones lr (or the line search's). */
  lr: number;
  /** Iterations per step() call. */
  maxIter: number;
  /** Loss evaluations per step() call (default floor(maxIter * 5 / 4), as PyTorch). */
  maxEval: number;
  /** Stop when the gradient's largest |g_i| is at most this. */
  toleranceGrad: number;
  /** Stop when the step's largest |t d_i| or the change of the loss is below this. */
  toleranceChange: number;
  /** How many (s, y) pairs the inverse-Hessian approximation keeps. */
  historySize: number;
  /** null: fixed step t (one evaluation per iteration); 'strong_wolfe': a strong-Wolfe line search. */
  lineSearchFn: null | 'strong_wolfe';
}

/** Computes the loss: zeroes the gradients, runs forward and backward, returns the loss (a one-element tensor). */
export type LBFGSClosure = () => Tensor | Promise<Tensor>;

/** LBFGS's hyper-parameters as stateDict() gives them, with `params` as parameter indices. */
export type LBFGSGroupState = { [K in keyof LBFGSOptions]: LBFGSOptions[K] } & { params: number[] };

/**
 * LBFGS's state (global, kept under parameter 0 as PyTorch does), PyTorch's entries in camelCase:
 * counters funcEvals and nIter, the last direction d and step t, the history oldDirs (the y's),
 * oldStps (the s's) and ro (1 / y·s), hDiag (the initial inverse-Hessian scale), prevFlatGrad and
 * prevLoss. Vectors are flat float64 CPU tensors over all parameters in order, made fresh by each
 * stateDict() call (the caller owns them).
 */
export type LBFGSParamState = {
  funcEvals: number;
  nIter: number;
  d?: Tensor;
  t?: number;
  oldDirs?: Tensor[];
  oldStps?: Tensor[];
  ro?: number[];
  hDiag?: number;
  prevFlatGrad?: Tensor;
  prevLoss?: number;
};

export type LBFGSStateDict = {
  optimizer: 'LBFGS';
  state: { [param: string]: LBFGSParamState };
  paramGroups: LBFGSGroupState[];
};

/** The host-side state between step() calls. */
interface Memory {
  funcEvals: number;
  nIter: number;
  d: Float64Array | null;
  t: number;
  oldDirs: Float64Array[];
  oldStps: Float64Array[];
  ro: number[];
  hDiag: number;
  prevFlatGrad: Float64Array | null;
  prevLoss: number;
}

const OPTION_NAMES = ['lr', 'maxIter', 'maxEval', 'toleranceGrad', 'toleranceChange', 'historySize', 'lineSearchFn'];

function describe(v: unknown): string {
  if (v === null || v === undefined) return String(v);
  if (v instanceof pg.Tensor) return `a tensor [${v.shape}] ${v.dtype}`;
  if (Array.isArray(v)) return `an array of ${v.length}`;
  if (typeof v === 'string') return JSON.stringify(v);
  if (typeof v === 'function') return 'a function';
  if (typeof v === 'object') return 'an object';
  return `${typeof v} ${String(v)}`;
}

function freshMemory(): Memory {
  return { funcEvals: 0, nIter: 0, d: null, t: 0, oldDirs: [], oldStps: [], ro: [], hDiag: 1, prevFlatGrad: null, prevLoss: 0 };
}

// ------------------------------------------------------------------------- flat vector helpers

function dot(a: Float64Array, b: Float64Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! * b[i]!;
  return s;
}

function maxAbs(a: Float64Array): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]!));
  return m;
}

function sumAbs(a: Float64Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += Math.abs(a[i]!);
  return s;
}

/** y += alpha * x, in place. */
function axpy(y: Float64Array, alpha: number, x: Float64Array): void {
  for (let i = 0; i < y.length; i++) y[i] = y[i]! + alpha * x[i]!;
}

function scaled(a: Float64Array, c: number): Float64Array {
  const out = new Float64Array(a.length);
  for (let i = 0; i < a.length; i++) out[i] = a[i]! * c;
  return out;
}

/**
 * The L-BFGS direction -H g by the two-loop recursion over the stored pairs (s_i, y_i), oldest
 * first, with rho_i = 1 / (y_i·s_i) and the initial inverse Hessian hDiag * I.
 */
function twoLoopDirection(g: Float64Array, oldStps: Float64Array[], oldDirs: Float64Array[], ro: number[], hDiag: number): Float64Array {
  const k = oldDirs.length;
  const alpha = new Array<number>(k);
  const q = scaled(g, -1);
  for (let i = k - 1; i >= 0; i--) {
    alpha[i] = dot(oldStps[i]!, q) * ro[i]!;
    axpy(q, -alpha[i]!, oldDirs[i]!);
  }
  const r = scaled(q, hDiag);
  for (let i = 0; i < k; i++) {
    const beta = dot(oldDirs[i]!, r) * ro[i]!;
    axpy(r, alpha[i]! - beta, oldStps[i]!);
  }
  return r;
}

// -------------------------------------------------------------------------------- line search

/**
 * The minimiser of the cubic through (x1, f1) and (x2, f2) with slopes g1, g2, clamped to
 * [lo, hi] (by default the interval between x1 and x2); the midpoint of [lo, hi] when the cubic
 * has no real minimiser.
 */
export function cubicMinimizer(x1: number, f1: number, g1: number, x2: number, f2: number, g2: number, bounds?: [number, number]): number {
  const [lo, hi] = bounds ?? (x1 <= x2 ? [x1, x2] : [x2, x1]);
  const d1 = g1 + g2 - (3 * (f1 - f2)) / (x1 - x2);
  const disc = d1 * d1 - g1 * g2;
  if (!(disc >= 0)) return (lo + hi) / 2;
  const d2 = Math.sqrt(disc);
  // Written from the end point on the right so that the division is well conditioned.
  const m = x1 <= x2 ? x2 - (x2 - x1) * ((g2 + d2 - d1) / (g2 - g1 + 2 * d2)) : x1 - (x1 - x2) * ((g1 + d2 - d1) / (g1 - g2 + 2 * d2));
  return Math.min(Math.max(m, lo), hi);
}

interface Probe {
  t: number;
  f: number;
  g: Float64Array;
  /** Directional derivative g·d at t. */
  gtd: number;
}

/**
 * A step t along d that satisfies the strong Wolfe conditions
 *   f(t) <= f(0) + c1 t f'(0)   and   |f'(t)| <= c2 |f'(0)|
 * (Nocedal & Wright, algorithms 3.5 and 3.6, as PyTorch runs them): grow t by cubic extrapolation
 * (within [t + 0.01 (t - t_prev), 10 t]) until an interval brackets such a point, then shrink the
 * interval by cubic interpolation, moving a trial that falls within 10% of an end away from it
 * (at once if it lies outside, on the second time in a row otherwise). At most maxLs evaluations
 * after the first; the zoom stops when the interval's length times max|d_i| is below 1e-9
 * (PyTorch's fixed default, not the optimizer's toleranceChange). Returns the best point found.
 */
async function strongWolfe(
  evalAt: (t: number) => Promise<{ f: number; g: Float64Array }>,
  d: Float64Array,
  t0: number,
  f0: number,
  g0: Float64Array,
  gtd0: number,
  maxLs: number,
): Promise<{ t: number; f: number; g: Float64Array; evals: number }> {
  const c1 = 1e-4, c2 = 0.9, tolChange = 1e-9;
  const dNorm = maxAbs(d);
  const probe = async (t: number): Promise<Probe> => {
    const { f, g } = await evalAt(t);
    evals++;
    return { t, f, g, gtd: dot(g, d) };
  };
  const armijoFails = (p: Probe) => p.f > f0 + c1 * p.t * gtd0;
  const curvatureHolds = (p: Probe) => Math.abs(p.gtd) <= -c2 * gtd0;

  let evals = 0;
  let cur = await probe(t0);
  let prev: Probe = { t: 0, f: f0, g: g0, gtd: gtd0 };
  let found: Probe | null = null; // a point that satisfies both conditions
  let bracket: [Probe, Probe] | null = null;
  let iter = 0;
  // Bracketing phase.
  while (iter < maxLs) {
    if (armijoFails(cur) || (iter > 1 && cur.f >= prev.f)) {
      bracket = [prev, cur];
      break;
    }
    if (curvatureHolds(cur)) {
      found = cur;
      break;
    }
    if (cur.gtd >= 0) {
      bracket = [prev, cur];
      break;
    }
    const next = cubicMinimizer(prev.t, prev.f, prev.gtd, cur.t, cur.f, cur.gtd, [cur.t + 0.01 * (cur.t - prev.t), cur.t * 10]);
    prev = cur;
    cur = await probe(next);
    iter++;
  }
  if (found) return { t: found.t, f: found.f, g: found.g, evals };
  // Out of evaluations while growing: the interval from 0 to the last trial (no zoom follows).
  if (iter === maxLs) bracket = [{ t: 0, f: f0, g: g0, gtd: gtd0 }, cur];
  const br = bracket!;

  // Zoom phase: br[lo] is the end with the lower loss (the first on ties).
  let lo = br[0].f <= br[1].f ? 0 : 1;
  let insufficientProgress = false;
  while (iter < maxLs) {
    if (Math.abs(br[1].t - br[0].t) * dNorm < tolChange) break;
    let t = cubicMinimizer(br[0].t, br[0].f, br[0].gtd, br[1].t, br[1].f, br[1].gtd);
    const tMax = Math.max(br[0].t, br[1].t), tMin = Math.min(br[0].t, br[1].t);
    const eps = 0.1 * (tMax - tMin);
    if (Math.min(tMax - t, t - tMin) < eps) {
      if (insufficientProgress || t >= tMax || t <= tMin) {
        t = Math.abs(t - tMax) < Math.abs(t - tMin) ? tMax - eps : tMin + eps;
        insufficientProgress = false;
      } else {
        insufficientProgress = true;
      }
    } else {
      insufficientProgress = false;
    }
    const p = await probe(t);
    iter++;
    const hi = 1 - lo;
    if (armijoFails(p) || p.f >= br[lo].f) {
      br[hi] = p;
      lo = br[0].f <= br[1].f ? 0 : 1;
    } else {
      const done = curvatureHolds(p);
      // Keep the minimiser bracketed: if the slope at p points towards the low end, the old low end becomes the high one.
      if (!done && p.gtd * (br[hi].t - br[lo].t) >= 0) br[hi] = br[lo];
      br[lo] = p;
      if (done) break;
    }
  }
  const best = br[lo];
  return { t: best.t, f: best.f, g: best.g, evals };
}

// -------------------------------------------------------------------------------------- LBFGS

/**
 * L-BFGS (torch.optim.LBFGS): `await opt.step(closure)` runs up to maxIter quasi-Newton iterations
 * and returns the loss tensor of the closure's first evaluation (the loss before the step).
 *
 * Each iteration: the direction d = -H g from the two-loop recursion over the last historySize
 * pairs s = t d, y = g_new - g_old (a pair is stored only when y·s > 1e-10; hDiag = y·s / y·y
 * scales the initial inverse Hessian), d = -g on the very first iteration. The step is t =
 * min(1, 1/|g|_1) lr on the first iteration ever, lr afterwards, or what the strong-Wolfe line
 * search finds (c1 = 1e-4, c2 = 0.9). It stops at maxIter iterations, maxEval evaluations,
 * max|g_i| <= toleranceGrad, max|t d_i| <= toleranceChange, |loss change| < toleranceChange, or
 * when d is not a descent direction (g·d > -toleranceChange).
 *
 * One parameter group only (as PyTorch). The vectors live on the host in float64: every closure
 * evaluation reads the loss and all gradients back (a GPU sync per evaluation on WebGPU), and
 * every move writes the parameters (assign_ under noGrad), rounded to float32 for float32
 * parameters. The loss tensors of evaluations after the first are left to the closure's owner.
 * Options: lr 1, maxIter 20, maxEval floor(maxIter * 5 / 4), toleranceGrad 1e-7, toleranceChange
 * 1e-9, historySize 100, lineSearchFn null.
 */
export class LBFGS {
  /** The single group (an array so that LR schedules, which read paramGroups[i].lr, work with LBFGS). */
  paramGroups: (LBFGSOptions & { params: Tensor[]; initialLr?: number })[];
  readonly defaults: LBFGSOptions;
  private memory: Memory = freshMemory();

  constructor(params: Tensor[] | (Partial<LBFGSOptions> & { params: Tensor[] })[], opts: Partial<LBFGSOptions> = {}) {
    if (opts === null || typeof opts !== 'object' || Array.isArray(opts)) throw new Error(`LBFGS: options must be an object, got ${describe(opts)}`);
    if (!Array.isArray(params) || params.length === 0) throw new Error(`LBFGS: got ${Array.isArray(params) ? 'an empty parameter list' : describe(params)}, expected a list of parameters`);
    let group: Partial<LBFGSOptions> & { params: Tensor[] };
    if (params.every((p) => p instanceof pg.Tensor)) group = { params: params as Tensor[] };
    else {
      if (params.length !== 1)
        throw new Error(`LBFGS doesn't support per-parameter options (parameter groups): got ${params.length} groups, give one list of parameters`);
      group = params[0] as Partial<LBFGSOptions> & { params: Tensor[] };
      if (!group || typeof group !== 'object' || !Array.isArray(group.params) || !group.params.every((p) => p instanceof pg.Tensor))
        throw new Error(`LBFGS: expected a list of parameters or one group {params: Tensor[]}, got ${describe(group)}`);
    }
    const given = { ...opts, ...group } as Record<string, unknown>;
    for (const k of Object.keys(given))
      if (k !== 'params' && !OPTION_NAMES.includes(k)) throw new Error(`LBFGS: unknown option '${k}' (options: ${OPTION_NAMES.join(', ')})`);
    const maxIter = (given.maxIter ?? 20) as number;
    const defaults: LBFGSOptions = {
      lr: 1,
      maxIter,
      maxEval: typeof maxIter === 'number' ? Math.floor((maxIter * 5) / 4) : NaN,
      toleranceGrad: 1e-7,
      toleranceChange: 1e-9,
      historySize: 100,
      lineSearchFn: null,
    };
    const o = { ...defaults } as Record<string, unknown>;
    for (const k of OPTION_NAMES) if (given[k] !== undefined) o[k] = given[k];
    validate(o as unknown as LBFGSOptions);
    this.defaults = o as unknown as LBFGSOptions;
    const seen = new Set<Tensor>();
    for (const p of group.params) {
      if (seen.has(p)) throw new Error('LBFGS: a parameter appears twice in the list');
      seen.add(p);
      if (p.dtype !== 'float32' && p.dtype !== 'float64') throw new Error(`LBFGS: parameters must be float32 or float64 tensors, got ${p.dtype}`);
    }
    this.paramGroups = [{ ...this.defaults, params: [...group.params] }];
  }

  get params(): Tensor[] {
    return this.paramGroups[0]!.params;
  }

  /** Sets every parameter's .grad to null. */
  zeroGrad(): void {
    pg.zeroGrad(this.params);
  }

  /** Frees the history (the next step starts from scratch, as a fresh optimizer). */
  disposeState(): void {
    this.memory = freshMemory();
  }

  dispose(): void {
    this.disposeState();
  }

  /**
   * Runs up to maxIter iterations (see the class comment) and returns the loss tensor the closure
   * returned first. `closure` must zero the gradients, compute the loss, call backward and return
   * the loss; it may be async.
   */
  async step(closure: LBFGSClosure): Promise<Tensor> {
    if (typeof closure !== 'function')
      throw new Error(`LBFGS.step: needs a closure (a function that zeroes the gradients, computes the loss, calls backward and returns the loss), got ${describe(closure)}`);
    if (this.paramGroups.length !== 1) throw new Error(`LBFGS doesn't support per-parameter options (parameter groups): has ${this.paramGroups.length} groups`);
    const o = this.paramGroups[0]!;
    validate(o);
    const m = this.memory;

    const first = await this.evaluate(closure);
    let loss = first.loss;
    let g = first.grad;
    let currentEvals = 1;
    m.funcEvals += 1;
    if (maxAbs(g) <= o.toleranceGrad) return first.tensor;

    let x = await this.readParams();
    let d = m.d ?? new Float64Array(0);
    let t = m.t;
    let iter = 0;
    while (iter < o.maxIter) {
      iter++;
      m.nIter++;
      if (m.nIter === 1) {
        d = scaled(g, -1);
        m.oldDirs = [];
        m.oldStps = [];
        m.ro = [];
        m.hDiag = 1;
      } else {
        const y = new Float64Array(g.length);
        for (let i = 0; i < g.length; i++) y[i] = g[i]! - m.prevFlatGrad![i]!;
        const s = scaled(d, t);
        const ys = dot(y, s);
        // Store the pair only when the curvature is positive enough (keeps H positive definite).
        if (ys > 1e-10) {
          if (m.oldDirs.length === o.historySize) {
            m.oldDirs.shift();
            m.oldStps.shift();
            m.ro.shift();
          }
          m.oldDirs.push(y);
          m.oldStps.push(s);
          m.ro.push(1 / ys);
          m.hDiag = ys / dot(y, y);
        }
        d = twoLoopDirection(g, m.oldStps, m.oldDirs, m.ro, m.hDiag);
      }
      m.prevFlatGrad = g.slice();
      m.prevLoss = loss;
      t = m.nIter === 1 ? Math.min(1, 1 / sumAbs(g)) * o.lr : o.lr;

      const gtd = dot(g, d);
      if (gtd > -o.toleranceChange) break; // not a descent direction (or a vanishing one)

      let evals = 0;
      let optimal = false;
      if (o.lineSearchFn === 'strong_wolfe') {
        const base = x;
        const ls = await strongWolfe(
          async (tt) => {
            await this.writeParams(moved(base, tt, d));
            const e = await this.evaluate(closure);
            return { f: e.loss, g: e.grad };
          },
          d, t, loss, g, gtd, o.maxEval - currentEvals,
        );
        ({ t, f: loss, g, evals } = ls);
        x = await this.writeParams(moved(base, t, d));
        optimal = maxAbs(g) <= o.toleranceGrad;
      } else {
        x = await this.writeParams(moved(x, t, d));
        // PyTorch skips the evaluation after the last iteration (the next step() makes it).
        if (iter !== o.maxIter) {
          const e = await this.evaluate(closure);
          loss = e.loss;
          g = e.grad;
          optimal = maxAbs(g) <= o.toleranceGrad;
          evals = 1;
        }
      }
      currentEvals += evals;
      m.funcEvals += evals;

      if (iter === o.maxIter) break;
      if (currentEvals >= o.maxEval) break;
      if (optimal) break;
      if (maxAbs(d) * Math.abs(t) <= o.toleranceChange) break;
      if (Math.abs(loss - m.prevLoss) < o.toleranceChange) break;
    }
    m.d = d;
    m.t = t;
    return first.tensor;
  }

  /** Calls the closure and reads back its loss and the flat gradient (zeros for a parameter without .grad). */
  private async evaluate(closure: LBFGSClosure): Promise<{ tensor: Tensor; loss: number; grad: Float64Array }> {
    const out: unknown = await closure();
    if (!(out instanceof pg.Tensor)) throw new Error(`LBFGS.step: the closure must return the loss as a Tensor, got ${describe(out)}`);
    if (out.size !== 1) throw new Error(`LBFGS.step: the closure must return a scalar loss (one element), got ${describe(out)}`);
    const loss = (await out.data())[0]!;
    const grad = new Float64Array(this.size());
    let off = 0;
    for (const p of this.params) {
      const gp = p.grad;
      if (gp !== null) {
        if (gp.shape.join() !== p.shape.join()) throw new Error(`LBFGS.step: gradient shape [${gp.shape}] does not match parameter [${p.shape}]`);
        grad.set(await gp.data(), off);
      }
      off += p.size;
    }
    return { tensor: out, loss, grad };
  }

  private size(): number {
    let n = 0;
    for (const p of this.params) n += p.size;
    return n;
  }

  private async readParams(): Promise<Float64Array> {
    const x = new Float64Array(this.size());
    let off = 0;
    for (const p of this.params) {
      x.set(await p.data(), off);
      off += p.size;
    }
    return x;
  }

  /** Writes x into the parameters; returns x as stored (rounded to float32 where a parameter is float32). */
  private async writeParams(x: Float64Array): Promise<Float64Array> {
    pg.tidy(() =>
      pg.noGrad(() => {
        let off = 0;
        for (const p of this.params) {
          const part = x.subarray(off, off + p.size);
          const vals = p.dtype === 'float32' ? Float32Array.from(part) : part.slice();
          if (p.dtype === 'float32') part.set(vals);
          p.assign_(pg.tensor(vals, { shape: p.shape, dtype: p.dtype, device: p.device }));
          off += p.size;
        }
      }),
    );
    return x;
  }

  // ------------------------------------------------------------------------------ state dicts

  /** The hyper-parameters and the history (see LBFGSParamState); tensors are fresh copies. */
  stateDict(): LBFGSStateDict {
    const o = this.paramGroups[0]!;
    const m = this.memory;
    const vec = (a: Float64Array) => pg.tensor(a.slice(), { dtype: 'float64', device: 'cpu' });
    const group: LBFGSGroupState = {
      lr: o.lr, maxIter: o.maxIter, maxEval: o.maxEval, toleranceGrad: o.toleranceGrad,
      toleranceChange: o.toleranceChange, historySize: o.historySize, lineSearchFn: o.lineSearchFn,
      params: o.params.map((_, i) => i),
    };
    if (o.initialLr !== undefined) (group as Record<string, unknown>).initialLr = o.initialLr;
    const state: LBFGSStateDict['state'] = {};
    if (m.funcEvals > 0) {
      const st: LBFGSParamState = { funcEvals: m.funcEvals, nIter: m.nIter };
      if (m.nIter > 0) {
        Object.assign(st, {
          d: vec(m.d!), t: m.t, oldDirs: m.oldDirs.map(vec), oldStps: m.oldStps.map(vec), ro: [...m.ro],
          hDiag: m.hDiag, prevFlatGrad: vec(m.prevFlatGrad!), prevLoss: m.prevLoss,
        });
      }
      state['0'] = st;
    }
    return { optimizer: 'LBFGS', state, paramGroups: [group] };
  }

  /**
   * Restores what stateDict() saved into an LBFGS over parameters of the same sizes. Everything is
   * checked first and a refused load changes nothing. Tensors are read with dataSync (CPU tensors,
   * as loadTrainingState gives them) and copied.
   */
  loadStateDict(sd: LBFGSStateDict): void {
    const bad = (msg: string): never => {
      throw new Error(`LBFGS.loadStateDict: ${msg}`);
    };
    if (!sd || typeof sd !== 'object' || !Array.isArray(sd.paramGroups) || !sd.state || typeof sd.state !== 'object')
      bad('expected {state, paramGroups} (as returned by stateDict())');
    if (sd.optimizer !== 'LBFGS') bad(`the state was saved by ${describe(sd.optimizer)}, not by LBFGS`);
    if (sd.paramGroups.length !== 1) bad(`the state has ${sd.paramGroups.length} parameter groups; LBFGS has one`);
    const g = sd.paramGroups[0] as Record<string, unknown>;
    const mine = this.paramGroups[0]!;
    if (!Array.isArray(g.params) || g.params.length !== mine.params.length)
      bad(`the state lists ${Array.isArray(g.params) ? g.params.length : 'no'} parameters, the optimizer has ${mine.params.length}`);
    const next: Record<string, unknown> = { ...mine };
    for (const [k, v] of Object.entries(g)) {
      if (k === 'params') continue;
      if (k !== 'initialLr' && !OPTION_NAMES.includes(k)) bad(`unknown hyper-parameter '${k}' (LBFGS has ${OPTION_NAMES.join(', ')}, initialLr)`);
      next[k] = v;
    }
    try {
      validate(next as unknown as LBFGSOptions);
    } catch (e) {
      bad((e as Error).message);
    }
    const keys = Object.keys(sd.state);
    const n = this.size();
    const mem = freshMemory();
    if (keys.length > 1 || (keys.length === 1 && keys[0] !== '0')) bad(`LBFGS keeps its state under parameter "0", got ${keys.map((k) => JSON.stringify(k)).join(', ')}`);
    const st = sd.state['0'] as Record<string, unknown> | undefined;
    if (st !== undefined) {
      if (!st || typeof st !== 'object') bad(`state "0" is ${describe(st)}, expected an object`);
      const known = ['funcEvals', 'nIter', 'd', 't', 'oldDirs', 'oldStps', 'ro', 'hDiag', 'prevFlatGrad', 'prevLoss'];
      for (const k of Object.keys(st)) if (!known.includes(k)) bad(`unknown state '${k}' (LBFGS keeps ${known.join(', ')})`);
      const count = (k: string): number => {
        const v = st[k];
        if (typeof v !== 'number' || !Number.isInteger(v) || v < 0) bad(`'${k}' is ${describe(v)}, expected an integer >= 0`);
        return v as number;
      };
      const num = (k: string): number => {
        const v = st[k];
        if (typeof v !== 'number' || !Number.isFinite(v)) bad(`'${k}' is ${describe(v)}, expected a finite number`);
        return v as number;
      };
      const vector = (v: unknown, what: string): Float64Array => {
        if (!(v instanceof pg.Tensor)) bad(`'${what}' is ${describe(v)}, expected a Tensor`);
        const tv = v as Tensor;
        if (tv.size !== n) bad(`'${what}' has ${tv.size} values, the parameters ${n}`);
        return Float64Array.from(tv.dataSync());
      };
      mem.funcEvals = count('funcEvals');
      mem.nIter = count('nIter');
      if (mem.nIter > 0) {
        for (const k of ['d', 't', 'oldDirs', 'oldStps', 'ro', 'hDiag', 'prevFlatGrad', 'prevLoss'])
          if (!(k in st)) bad(`the state is at iteration ${mem.nIter} but has no '${k}'`);
        mem.d = vector(st.d, 'd');
        mem.t = num('t');
        mem.hDiag = num('hDiag');
        mem.prevLoss = num('prevLoss');
        mem.prevFlatGrad = vector(st.prevFlatGrad, 'prevFlatGrad');
        const { oldDirs, oldStps, ro } = st;
        if (!Array.isArray(oldDirs) || !Array.isArray(oldStps) || !Array.isArray(ro) || oldDirs.length !== oldStps.length || ro.length !== oldDirs.length)
          bad('oldDirs, oldStps and ro must be lists of the same length');
        const k = (oldDirs as unknown[]).length;
        if (k > (next.historySize as number)) bad(`the history holds ${k} pairs, more than historySize ${String(next.historySize)}`);
        mem.oldDirs = (oldDirs as unknown[]).map((v, i) => vector(v, `oldDirs[${i}]`));
        mem.oldStps = (oldStps as unknown[]).map((v, i) => vector(v, `oldStps[${i}]`));
        mem.ro = (ro as unknown[]).map((v, i) => {
          if (typeof v !== 'number' || !Number.isFinite(v)) bad(`ro[${i}] is ${describe(v)}, expected a finite number`);
          return v as number;
        });
      }
    }
    Object.assign(mine, next);
    this.memory = mem;
  }
}

/** x + t d as a new vector. */
function moved(x: Float64Array, t: number, d: Float64Array): Float64Array {
  const out = new Float64Array(x.length);
  for (let i = 0; i < x.length; i++) out[i] = x[i]! + t * d[i]!;
  return out;
}

function validate(o: LBFGSOptions): void {
  const positiveInt = (k: 'maxIter' | 'maxEval' | 'historySize') => {
    const v = o[k];
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 1) throw new Error(`LBFGS: invalid ${k} ${describe(v)} (need an integer >= 1)`);
  };
  if (typeof o.lr !== 'number' || !(o.lr > 0) || o.lr === Infinity) throw new Error(`LBFGS: invalid lr ${describe(o.lr)} (need a finite number > 0)`);
  positiveInt('maxIter');
  positiveInt('maxEval');
  positiveInt('historySize');
  for (const k of ['toleranceGrad', 'toleranceChange'] as const) {
    const v = o[k];
    if (typeof v !== 'number' || !(v >= 0) || v === Infinity) throw new Error(`LBFGS: invalid ${k} ${describe(v)} (need a finite number >= 0)`);
  }
  if (o.lineSearchFn !== null && o.lineSearchFn !== 'strong_wolfe')
    throw new Error(`LBFGS: invalid lineSearchFn ${describe(o.lineSearchFn)} (need null or 'strong_wolfe')`);
}
