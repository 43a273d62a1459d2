// Learning-rate schedules (torch.optim.lr_scheduler), written as closed forms of the step count:
// lr_t = f(t, baseLr) per parameter group, where baseLr is the group's `initialLr` (set to its lr by
// the first schedule built on the optimizer, as PyTorch's `initial_lr`). Building a schedule applies
// its lr at t = 0; each step() advances t by one and writes the groups' lr. A schedule only needs
// an object with `paramGroups: {lr, initialLr?}[]`, so it works with any optimizer here.

/** What a schedule drives: the optimizer's groups and their (mutable) learning rates. */
export interface OptimizerLike {
  paramGroups: { lr: number; initialLr?: number }[];
}

export interface SchedulerStateDict {
  lastEpoch: number;
  baseLrs: number[];
  [hyper: string]: number | number[] | boolean | string | SchedulerStateDict | SchedulerStateDict[] | null;
}

export abstract class LRScheduler {
  readonly optimizer: OptimizerLike;
  /** Each group's starting lr (its initialLr). */
  baseLrs: number[];
  /** Steps taken: 0 right after construction. */
  lastEpoch: number;
  protected lastLr: number[] = [];

  constructor(optimizer: OptimizerLike, opts: { lastEpoch?: number } = {}) {
    this.optimizer = optimizer;
    const last = opts.lastEpoch ?? -1;
    if (!Number.isInteger(last) || last < -1) throw new Error(`LRScheduler: lastEpoch must be an integer >= -1, got ${last}`);
    optimizer.paramGroups.forEach((g, i) => {
      if (g.initialLr === undefined) {
        // Resuming (lastEpoch >= 0) needs the base lrs from the first run, as in PyTorch.
        if (last !== -1) throw new Error(`LRScheduler: group ${i} has no initialLr; pass lastEpoch only when resuming`);
        g.initialLr = g.lr;
      }
    });
    this.baseLrs = optimizer.paramGroups.map((g) => g.initialLr!);
    this.lastEpoch = last;
  }

  /** Subclasses call this at the end of their constructor: the initial step to t = lastEpoch + 1. */
  protected init(): void {
    this.step();
  }

  /** The learning rate of group `group` (base lr `baseLr`) at step t (a pure function). */
  abstract lrAt(t: number, baseLr: number, group?: number): number;

  /** Advances one step (or jumps to `epoch`) and writes the groups' learning rates. */
  step(epoch?: number): void {
    this.lastEpoch = epoch ?? this.lastEpoch + 1;
    this.apply();
  }

  protected apply(): void {
    const groups = this.optimizer.paramGroups;
    if (groups.length !== this.baseLrs.length)
      throw new Error(`LRScheduler: the optimizer has ${groups.length} groups, the schedule ${this.baseLrs.length}`);
    this.lastLr = groups.map((g, i) => (g.lr = this.lrAt(this.lastEpoch, this.baseLrs[i], i)));
  }

  /** The learning rates the last step set, one per group. */
  getLastLr(): number[] {
    return [...this.lastLr];
  }

  /** Hyper-parameters to save besides lastEpoch and baseLrs. */
  protected abstract hyper(): Record<string, number | number[] | boolean | string | SchedulerStateDict | SchedulerStateDict[] | null>;
  protected abstract loadHyper(sd: SchedulerStateDict): void;

  stateDict(): SchedulerStateDict {
    return { lastEpoch: this.lastEpoch, baseLrs: [...this.baseLrs], ...this.hyper() };
  }

  /** Restores the step count, base lrs and hyper-parameters, and re-applies the lr at that step. */
  loadStateDict(sd: SchedulerStateDict): void {
    if (!sd || !Number.isInteger(sd.lastEpoch) || !Array.isArray(sd.baseLrs))
      throw new Error('LRScheduler.loadStateDict: expected {lastEpoch, baseLrs, ...}');
    if (sd.baseLrs.length !== this.optimizer.paramGroups.length)
      throw new Error(`LRScheduler.loadStateDict: state has ${sd.baseLrs.length} groups, the optimizer ${this.optimizer.paramGroups.length}`);
    this.loadHyper(sd);
    this.lastEpoch = sd.lastEpoch;
    this.baseLrs = [...sd.baseLrs];
    this.optimizer.paramGroups.forEach((g, i) => (g.initialLr = this.baseLrs[i]));
    this.apply();
  }
}

function num(sd: SchedulerStateDict, k: string): number {
  const v = sd[k];
  if (typeof v !== 'number') throw new Error(`LRScheduler.loadStateDict: '${k}' must be a number`);
  return v;
}

function checkPositiveInt(who: string, name: string, v: number): void {
  if (!Number.isInteger(v) || v <= 0) throw new Error(`${who}: ${name} must be a positive integer, got ${v}`);
}

/** StepLR: lr_t = base * gamma^floor(t / stepSize). */
export class StepLR extends LRScheduler {
  stepSize: number;
  gamma: number;
  constructor(optimizer: OptimizerLike, opts: { stepSize: number; gamma?: number; lastEpoch?: number }) {
    super(optimizer, opts);
    checkPositiveInt('StepLR', 'stepSize', opts.stepSize);
    this.stepSize = opts.stepSize;
    this.gamma = opts.gamma ?? 0.1;
    this.init();
  }
  lrAt(t: number, base: number): number {
    return base * Math.pow(this.gamma, Math.floor(t / this.stepSize));
  }
  protected hyper() {
    return { stepSize: this.stepSize, gamma: this.gamma };
  }
  protected loadHyper(sd: SchedulerStateDict): void {
    this.stepSize = num(sd, 'stepSize');
    this.gamma = num(sd, 'gamma');
  }
}

/**
 * CosineAnnealingLR: lr_t = etaMin + (base - etaMin) * (1 + cos(pi * t / tMax)) / 2.
 * (PyTorch's closed form; past tMax the cosine rises again, as PyTorch's does.)
 */
export class CosineAnnealingLR extends LRScheduler {
  tMax: number;
  etaMin: number;
  constructor(optimizer: OptimizerLike, opts: { tMax: number; etaMin?: number; lastEpoch?: number }) {
    super(optimizer, opts);
    checkPositiveInt('CosineAnnealingLR', 'tMax', opts.tMax);
    this.tMax = opts.tMax;
    this.etaMin = opts.etaMin ?? 0;
    this.init();
  }
  lrAt(t: number, base: number): number {
    return this.etaMin + ((base - this.etaMin) * (1 + Math.cos((Math.PI * t) / this.tMax))) / 2;
  }
  protected hyper() {
    return { tMax: this.tMax, etaMin: this.etaMin };
  }
  protected loadHyper(sd: SchedulerStateDict): void {
    this.tMax = num(sd, 'tMax');
    this.etaMin = num(sd, 'etaMin');
  }
}

/** PolyLR (torch PolynomialLR): lr_t = base * (1 - min(t, totalIters) / totalIters)^power. */
export class PolyLR extends LRScheduler {
  totalIters: number;
  power: number;
  constructor(optimizer: OptimizerLike, opts: { totalIters?: number; power?: number; lastEpoch?: number } = {}) {
    super(optimizer, opts);
    this.totalIters = opts.totalIters ?? 5;
    checkPositiveInt('PolyLR', 'totalIters', this.totalIters);
    this.power = opts.power ?? 1;
    this.init();
  }
  lrAt(t: number, base: number): number {
    return base * Math.pow(1 - Math.min(t, this.totalIters) / this.totalIters, this.power);
  }
  protected hyper() {
    return { totalIters: this.totalIters, power: this.power };
  }
  protected loadHyper(sd: SchedulerStateDict): void {
    this.totalIters = num(sd, 'totalIters');
    this.power = num(sd, 'power');
  }
}

/**
 * Linear warm-up, then another schedule (or a constant lr). For t < warmupSteps:
 *   lr_t = base * (startFactor + (1 - startFactor) * t / warmupSteps)
 * which is PyTorch's LinearLR(start_factor, end_factor=1, total_iters=warmupSteps) closed form
 * (default startFactor 1/3, as LinearLR). From t = warmupSteps on, `after.lrAt(t - warmupSteps)`
 * (PyTorch's SequentialLR with one milestone), or the base lr when there is no `after`.
 * Build `after` on the same optimizer first and step only the warm-up schedule.
 */
export class LinearWarmup extends LRScheduler {
  warmupSteps: number;
  startFactor: number;
  readonly after: LRScheduler | null;
  constructor(optimizer: OptimizerLike, opts: { warmupSteps: number; startFactor?: number; after?: LRScheduler; lastEpoch?: number }) {
    super(optimizer, opts);
    checkPositiveInt('LinearWarmup', 'warmupSteps', opts.warmupSteps);
    this.warmupSteps = opts.warmupSteps;
    this.startFactor = opts.startFactor ?? 1 / 3;
    if (!(this.startFactor >= 0 && this.startFactor <= 1)) throw new Error(`LinearWarmup: startFactor must be in [0, 1], got ${this.startFactor}`);
    this.after = opts.after ?? null;
    if (this.after && this.after.optimizer !== optimizer) throw new Error('LinearWarmup: `after` must drive the same optimizer');
    this.init();
  }
  lrAt(t: number, base: number, group = 0): number {
    const w = this.warmupSteps;
    if (t < w) return base * (this.startFactor + ((1 - this.startFactor) * Math.max(t, 0)) / w);
    return this.after ? this.after.lrAt(t - w, base, group) : base;
  }
  protected override apply(): void {
    super.apply();
    // Keep the wrapped schedule's counter meaningful (its step count after the warm-up).
    if (this.after) {
      this.after.lastEpoch = Math.max(0, this.lastEpoch - this.warmupSteps);
      (this.after as unknown as { lastLr: number[] }).lastLr = this.getLastLr();
    }
  }
  protected hyper() {
    return { warmupSteps: this.warmupSteps, startFactor: this.startFactor, after: this.after ? this.after.stateDict() : null };
  }
  protected loadHyper(sd: SchedulerStateDict): void {
    this.warmupSteps = num(sd, 'warmupSteps');
    this.startFactor = num(sd, 'startFactor');
    const a = sd.after;
    if ((a === null || a === undefined) !== (this.after === null)) throw new Error('LinearWarmup.loadStateDict: `after` schedule present in only one of state and schedule');
    if (this.after && a && typeof a === 'object' && !Array.isArray(a)) this.after.loadStateDict(a as SchedulerStateDict);
  }
}

// ------------------------------------------------------------------------ more of torch's schedules

function nums(sd: SchedulerStateDict, k: string): number[] {
  const v = sd[k];
  if (!Array.isArray(v) || !v.every((e) => typeof e === 'number')) throw new Error(`LRScheduler.loadStateDict: '${k}' must be a list of numbers`);
  return [...(v as number[])];
}

/** One value per group: a number for all, or a list with one per group (as PyTorch's per-group arguments). */
function perGroup(who: string, name: string, v: number | number[], n: number): number[] {
  const a = Array.isArray(v) ? [...v] : new Array<number>(n).fill(v);
  if (a.length !== n) throw new Error(`${who}: expected ${n} values of ${name} (one per parameter group), got ${a.length}`);
  for (const x of a) if (typeof x !== 'number' || !Number.isFinite(x)) throw new Error(`${who}: ${name} must be finite numbers, got ${x}`);
  return a;
}

/**
 * LambdaLR: lr_t = base * lrLambda(t), with one function for all groups or one per group. The
 * functions are not part of stateDict() (as PyTorch, for plain functions): rebuild them on resume.
 */
export class LambdaLR extends LRScheduler {
  readonly lrLambdas: ((t: number) => number)[];
  constructor(optimizer: OptimizerLike, opts: { lrLambda: ((t: number) => number) | ((t: number) => number)[]; lastEpoch?: number }) {
    super(optimizer, opts);
    const n = optimizer.paramGroups.length, l = opts.lrLambda;
    this.lrLambdas = Array.isArray(l) ? [...l] : new Array(n).fill(l);
    if (this.lrLambdas.length !== n || !this.lrLambdas.every((f) => typeof f === 'function'))
      throw new Error(`LambdaLR: expected one function or ${n} (one per parameter group), got ${Array.isArray(l) ? `${l.length} values` : typeof l}`);
    this.init();
  }
  lrAt(t: number, base: number, group = 0): number {
    return base * this.lrLambdas[group](t);
  }
  protected hyper() {
    return {};
  }
  protected loadHyper(): void {}
}

/** ExponentialLR: lr_t = base * gamma^t. */
export class ExponentialLR extends LRScheduler {
  gamma: number;
  constructor(optimizer: OptimizerLike, opts: { gamma: number; lastEpoch?: number }) {
    super(optimizer, opts);
    if (typeof opts.gamma !== 'number' || !(opts.gamma > 0)) throw new Error(`ExponentialLR: gamma must be a positive number, got ${opts.gamma}`);
    this.gamma = opts.gamma;
    this.init();
  }
  lrAt(t: number, base: number): number {
    return base * Math.pow(this.gamma, t);
  }
  protected hyper() {
    return { gamma: this.gamma };
  }
  protected loadHyper(sd: SchedulerStateDict): void {
    this.gamma = num(sd, 'gamma');
  }
}

/** MultiStepLR: lr_t = base * gamma^(number of milestones <= t); a repeated milestone counts each time, as PyTorch's. */
export class MultiStepLR extends LRScheduler {
  milestones: number[];
  gamma: number;
  constructor(optimizer: OptimizerLike, opts: { milestones: number[]; gamma?: number; lastEpoch?: number }) {
    super(optimizer, opts);
    if (!Array.isArray(opts.milestones) || !opts.milestones.every((m) => Number.isInteger(m) && m >= 0))
      throw new Error(`MultiStepLR: milestones must be a list of integers >= 0, got ${JSON.stringify(opts.milestones)}`);
    this.milestones = [...opts.milestones].sort((a, b) => a - b);
    this.gamma = opts.gamma ?? 0.1;
    this.init();
  }
  lrAt(t: number, base: number): number {
    return base * Math.pow(this.gamma, this.milestones.filter((m) => m <= t).length);
  }
  protected hyper() {
    return { milestones: [...this.milestones], gamma: this.gamma };
  }
  protected loadHyper(sd: SchedulerStateDict): void {
    this.milestones = nums(sd, 'milestones');
    this.gamma = num(sd, 'gamma');
  }
}

/** LinearLR: lr_t = base * (startFactor + (endFactor - startFactor) * min(t, totalIters) / totalIters). */
export class LinearLR extends LRScheduler {
  startFactor: number;
  endFactor: number;
  totalIters: number;
  constructor(optimizer: OptimizerLike, opts: { startFactor?: number; endFactor?: number; totalIters?: number; lastEpoch?: number } = {}) {
    super(optimizer, opts);
    this.startFactor = opts.startFactor ?? 1 / 3;
    this.endFactor = opts.endFactor ?? 1;
    this.totalIters = opts.totalIters ?? 5;
    if (!(this.startFactor > 0 && this.startFactor <= 1)) throw new Error(`LinearLR: startFactor must be in (0, 1], got ${this.startFactor}`);
    if (!(this.endFactor >= 0 && this.endFactor <= 1)) throw new Error(`LinearLR: endFactor must be in [0, 1], got ${this.endFactor}`);
    checkPositiveInt('LinearLR', 'totalIters', this.totalIters);
    this.init();
  }
  lrAt(t: number, base: number): number {
    return base * (this.startFactor + ((this.endFactor - this.startFactor) * Math.min(t, this.totalIters)) / this.totalIters);
  }
  protected hyper() {
    return { startFactor: this.startFactor, endFactor: this.endFactor, totalIters: this.totalIters };
  }
  protected loadHyper(sd: SchedulerStateDict): void {
    this.startFactor = num(sd, 'startFactor');
    this.endFactor = num(sd, 'endFactor');
    this.totalIters = num(sd, 'totalIters');
  }
}

/** ConstantLR: lr_t = base * factor for t < totalIters, then base. */
export class ConstantLR extends LRScheduler {
  factor: number;
  totalIters: number;
  constructor(optimizer: OptimizerLike, opts: { factor?: number; totalIters?: number; lastEpoch?: number } = {}) {
    super(optimizer, opts);
    this.factor = opts.factor ?? 1 / 3;
    this.totalIters = opts.totalIters ?? 5;
    if (!(this.factor >= 0 && this.factor <= 1)) throw new Error(`ConstantLR: factor must be in [0, 1], got ${this.factor}`);
    checkPositiveInt('ConstantLR', 'totalIters', this.totalIters);
    this.init();
  }
  lrAt(t: number, base: number): number {
    return t < this.totalIters ? base * this.factor : base;
  }
  protected hyper() {
    return { factor: this.factor, totalIters: this.totalIters };
  }
  protected loadHyper(sd: SchedulerStateDict): void {
    this.factor = num(sd, 'factor');
    this.totalIters = num(sd, 'totalIters');
  }
}

/**
 * SequentialLR: schedulers[k] from milestone k - 1 on, counting its own steps from there:
 * lr_t = schedulers[k].lrAt(t - milestones[k - 1]) with k the number of milestones <= t (PyTorch's
 * SequentialLR, which restarts each scheduler at its milestone). Build the schedulers on the same
 * optimizer first, then step only the SequentialLR.
 */
export class SequentialLR extends LRScheduler {
  readonly schedulers: LRScheduler[];
  milestones: number[];
  constructor(optimizer: OptimizerLike, opts: { schedulers: LRScheduler[]; milestones: number[]; lastEpoch?: number }) {
    super(optimizer, opts);
    const { schedulers, milestones } = opts;
    if (!Array.isArray(schedulers) || schedulers.length === 0 || !schedulers.every((s) => s instanceof LRScheduler))
      throw new Error('SequentialLR: schedulers must be a non-empty list of schedules');
    if (schedulers.some((s) => s.optimizer !== optimizer)) throw new Error('SequentialLR: every scheduler must drive the same optimizer');
    if (!Array.isArray(milestones) || milestones.length !== schedulers.length - 1)
      throw new Error(`SequentialLR: expected ${schedulers.length - 1} milestones for ${schedulers.length} schedulers, got ${JSON.stringify(milestones)}`);
    if (!milestones.every((m, i) => Number.isInteger(m) && m > 0 && (i === 0 || m >= milestones[i - 1])))
      throw new Error(`SequentialLR: milestones must be positive, non-decreasing integers, got ${JSON.stringify(milestones)}`);
    this.schedulers = [...schedulers];
    this.milestones = [...milestones];
    this.init();
  }
  /** The active scheduler at step t and the step it started at. */
  private active(t: number): [LRScheduler, number] {
    const k = this.milestones.filter((m) => m <= t).length;
    return [this.schedulers[k], k > 0 ? this.milestones[k - 1] : 0];
  }
  lrAt(t: number, base: number, group = 0): number {
    const [s, start] = this.active(t);
    return s.lrAt(t - start, base, group);
  }
  protected override apply(): void {
    super.apply();
    const [s, start] = this.active(this.lastEpoch);
    s.lastEpoch = this.lastEpoch - start;
    (s as unknown as { lastLr: number[] }).lastLr = this.getLastLr();
  }
  protected hyper() {
    return { milestones: [...this.milestones], schedulers: this.schedulers.map((s) => s.stateDict()) };
  }
  protected loadHyper(sd: SchedulerStateDict): void {
    const list = sd.schedulers;
    if (!Array.isArray(list) || list.length !== this.schedulers.length || !list.every((e) => typeof e === 'object' && e !== null))
      throw new Error(`SequentialLR.loadStateDict: expected ${this.schedulers.length} scheduler states`);
    this.milestones = nums(sd, 'milestones');
    (list as SchedulerStateDict[]).forEach((e, i) => this.schedulers[i].loadStateDict(e));
  }
}

/** A group's momentum as OneCycleLR cycles it: Adam-style betas[0], or SGD / RMSprop-style momentum. */
type MomentumGroup = { lr: number; betas?: [number, number]; momentum?: number };

/**
 * OneCycleLR (torch.optim.lr_scheduler.OneCycleLR): from maxLr / divFactor up to maxLr over the first
 * pctStart of totalSteps, then down to maxLr / (divFactor * finalDivFactor) (threePhase: back to the
 * start first, then down), annealing by cosine or linearly; momentum (or Adam's beta1) cycles the
 * other way between maxMomentum and baseMomentum. Phase k ends at step pctStart * totalSteps - 1,
 * (threePhase) 2 pctStart totalSteps - 2, and totalSteps - 1; within it pct = (t - start) / (end - start)
 * and cos anneals as end + (start - end) (1 + cos(pi pct)) / 2. Stepping past totalSteps is an error.
 * The optimizer's own lr is ignored: the groups' initialLr become maxLr / divFactor.
 */
export class OneCycleLR extends LRScheduler {
  maxLrs: number[];
  totalSteps: number;
  pctStart: number;
  annealStrategy: 'cos' | 'linear';
  cycleMomentum: boolean;
  baseMomentums: number[];
  maxMomentums: number[];
  divFactor: number;
  finalDivFactor: number;
  threePhase: boolean;

  constructor(optimizer: OptimizerLike, opts: {
    maxLr: number | number[]; totalSteps?: number; epochs?: number; stepsPerEpoch?: number; pctStart?: number;
    annealStrategy?: 'cos' | 'linear'; cycleMomentum?: boolean; baseMomentum?: number | number[]; maxMomentum?: number | number[];
    divFactor?: number; finalDivFactor?: number; threePhase?: boolean; lastEpoch?: number;
  }) {
    super(optimizer, opts);
    const who = 'OneCycleLR', n = optimizer.paramGroups.length;
    if (opts.totalSteps !== undefined) checkPositiveInt(who, 'totalSteps', opts.totalSteps);
    else {
      if (opts.epochs === undefined || opts.stepsPerEpoch === undefined) throw new Error(`${who}: give totalSteps, or epochs and stepsPerEpoch`);
      checkPositiveInt(who, 'epochs', opts.epochs);
      checkPositiveInt(who, 'stepsPerEpoch', opts.stepsPerEpoch);
    }
    this.totalSteps = opts.totalSteps ?? opts.epochs! * opts.stepsPerEpoch!;
    this.pctStart = opts.pctStart ?? 0.3;
    if (!(this.pctStart >= 0 && this.pctStart <= 1)) throw new Error(`${who}: pctStart must be in [0, 1], got ${this.pctStart}`);
    this.annealStrategy = opts.annealStrategy ?? 'cos';
    if (this.annealStrategy !== 'cos' && this.annealStrategy !== 'linear') throw new Error(`${who}: annealStrategy must be 'cos' or 'linear', got ${JSON.stringify(this.annealStrategy)}`);
    this.maxLrs = perGroup(who, 'maxLr', opts.maxLr, n);
    this.cycleMomentum = opts.cycleMomentum ?? true;
    this.baseMomentums = perGroup(who, 'baseMomentum', opts.baseMomentum ?? 0.85, n);
    this.maxMomentums = perGroup(who, 'maxMomentum', opts.maxMomentum ?? 0.95, n);
    this.divFactor = opts.divFactor ?? 25;
    this.finalDivFactor = opts.finalDivFactor ?? 1e4;
    this.threePhase = opts.threePhase ?? false;
    if (this.cycleMomentum)
      (optimizer.paramGroups as MomentumGroup[]).forEach((g, i) => {
        if (!Array.isArray(g.betas) && typeof g.momentum !== 'number')
          throw new Error(`${who}: group ${i} has neither momentum nor betas to cycle (pass cycleMomentum: false)`);
      });
    if ((opts.lastEpoch ?? -1) === -1) {
      this.baseLrs = this.maxLrs.map((m) => m / this.divFactor);
      optimizer.paramGroups.forEach((g, i) => (g.initialLr = this.baseLrs[i]));
    }
    this.init();
  }

  /** The lr and momentum of group i at step t. */
  private at(t: number, i: number): { lr: number; momentum: number } {
    if (t > this.totalSteps) throw new Error(`OneCycleLR: tried to step ${t} times; totalSteps is ${this.totalSteps}`);
    const max = this.maxLrs[i], initial = max / this.divFactor, min = initial / this.finalDivFactor;
    const bm = this.baseMomentums[i], mm = this.maxMomentums[i], T = this.totalSteps, p = this.pctStart;
    // [end step, lr from, lr to, momentum from, momentum to]
    const phases = this.threePhase
      ? [[p * T - 1, initial, max, mm, bm], [2 * p * T - 2, max, initial, bm, mm], [T - 1, initial, min, mm, mm]]
      : [[p * T - 1, initial, max, mm, bm], [T - 1, max, min, bm, mm]];
    const anneal = this.annealStrategy === 'cos'
      ? (a: number, b: number, pct: number) => b + ((a - b) / 2) * (Math.cos(Math.PI * pct) + 1)
      : (a: number, b: number, pct: number) => (b - a) * pct + a;
    let start = 0;
    for (let k = 0; ; k++) {
      const [end, lr0, lr1, m0, m1] = phases[k];
      if (t <= end || k === phases.length - 1) {
        const pct = (t - start) / (end - start);
        return { lr: anneal(lr0, lr1, pct), momentum: anneal(m0, m1, pct) };
      }
      start = end;
    }
  }

  lrAt(t: number, _base: number, group = 0): number {
    return this.at(t, group).lr;
  }

  protected override apply(): void {
    super.apply();
    if (!this.cycleMomentum) return;
    (this.optimizer.paramGroups as MomentumGroup[]).forEach((g, i) => {
      const m = this.at(this.lastEpoch, i).momentum;
      if (Array.isArray(g.betas)) g.betas = [m, g.betas[1]];
      else g.momentum = m;
    });
  }

  protected hyper() {
    return {
      maxLrs: [...this.maxLrs], totalSteps: this.totalSteps, pctStart: this.pctStart, annealStrategy: this.annealStrategy,
      cycleMomentum: this.cycleMomentum, baseMomentums: [...this.baseMomentums], maxMomentums: [...this.maxMomentums],
      divFactor: this.divFactor, finalDivFactor: this.finalDivFactor, threePhase: this.threePhase,
    };
  }
  protected loadHyper(sd: SchedulerStateDict): void {
    const n = this.optimizer.paramGroups.length;
    const lists = ['maxLrs', 'baseMomentums', 'maxMomentums'].map((k) => nums(sd, k));
    if (lists.some((l) => l.length !== n)) throw new Error(`OneCycleLR.loadStateDict: expected per-group lists of ${n}`);
    [this.maxLrs, this.baseMomentums, this.maxMomentums] = lists;
    this.totalSteps = num(sd, 'totalSteps');
    this.pctStart = num(sd, 'pctStart');
    this.divFactor = num(sd, 'divFactor');
    this.finalDivFactor = num(sd, 'finalDivFactor');
    if (sd.annealStrategy !== 'cos' && sd.annealStrategy !== 'linear') throw new Error("OneCycleLR.loadStateDict: annealStrategy must be 'cos' or 'linear'");
    this.annealStrategy = sd.annealStrategy;
    this.cycleMomentum = sd.cycleMomentum === true;
    this.threePhase = sd.threePhase === true;
  }
}

export interface ReduceLROnPlateauStateDict {
  lastEpoch: number;
  best: number;
  numBadEpochs: number;
  cooldownCounter: number;
  mode: 'min' | 'max';
  factor: number;
  patience: number;
  threshold: number;
  thresholdMode: 'rel' | 'abs';
  cooldown: number;
  minLrs: number[];
  eps: number;
}

/**
 * ReduceLROnPlateau: step(metric) after each evaluation. When the metric has not improved for more
 * than `patience` steps, every group's lr becomes max(lr * factor, minLr) (unless that changes it by
 * eps or less), followed by `cooldown` steps in which bad steps are not counted. Improvement (mode
 * 'min'): metric < best (1 - threshold) ('rel') or metric < best - threshold ('abs'); mirrored for
 * 'max'. PyTorch's rules, with the same defaults. It reads and writes the groups' current lr, so it is
 * not a closed form of the step count (and cannot be part of a SequentialLR, as in PyTorch).
 */
export class ReduceLROnPlateau {
  readonly optimizer: OptimizerLike;
  mode: 'min' | 'max';
  factor: number;
  patience: number;
  threshold: number;
  thresholdMode: 'rel' | 'abs';
  cooldown: number;
  minLrs: number[];
  eps: number;
  best: number;
  numBadEpochs = 0;
  cooldownCounter = 0;
  lastEpoch = 0;
  private lastLr: number[];

  constructor(optimizer: OptimizerLike, opts: {
    mode?: 'min' | 'max'; factor?: number; patience?: number; threshold?: number; thresholdMode?: 'rel' | 'abs';
    cooldown?: number; minLr?: number | number[]; eps?: number;
  } = {}) {
    const who = 'ReduceLROnPlateau';
    this.optimizer = optimizer;
    this.mode = opts.mode ?? 'min';
    if (this.mode !== 'min' && this.mode !== 'max') throw new Error(`${who}: mode must be 'min' or 'max', got ${JSON.stringify(this.mode)}`);
    this.factor = opts.factor ?? 0.1;
    if (!(this.factor >= 0 && this.factor < 1)) throw new Error(`${who}: factor must be in [0, 1), got ${this.factor}`);
    this.patience = opts.patience ?? 10;
    if (!Number.isInteger(this.patience) || this.patience < 0) throw new Error(`${who}: patience must be an integer >= 0, got ${this.patience}`);
    this.threshold = opts.threshold ?? 1e-4;
    this.thresholdMode = opts.thresholdMode ?? 'rel';
    if (this.thresholdMode !== 'rel' && this.thresholdMode !== 'abs') throw new Error(`${who}: thresholdMode must be 'rel' or 'abs', got ${JSON.stringify(this.thresholdMode)}`);
    this.cooldown = opts.cooldown ?? 0;
    if (!Number.isInteger(this.cooldown) || this.cooldown < 0) throw new Error(`${who}: cooldown must be an integer >= 0, got ${this.cooldown}`);
    this.minLrs = perGroup(who, 'minLr', opts.minLr ?? 0, optimizer.paramGroups.length);
    this.eps = opts.eps ?? 1e-8;
    this.best = this.mode === 'min' ? Infinity : -Infinity;
    this.lastLr = optimizer.paramGroups.map((g) => g.lr);
  }

  private isBetter(a: number): boolean {
    const { best, threshold } = this;
    if (this.mode === 'min') return this.thresholdMode === 'rel' ? a < best * (1 - threshold) : a < best - threshold;
    return this.thresholdMode === 'rel' ? a > best * (threshold + 1) : a > best + threshold;
  }

  /** Records one evaluation of the metric (a number: read a loss tensor back first). */
  step(metric: number): void {
    if (typeof metric !== 'number') throw new Error(`ReduceLROnPlateau.step: metric must be a number, got ${typeof metric}`);
    this.lastEpoch += 1;
    if (this.isBetter(metric)) {
      this.best = metric;
      this.numBadEpochs = 0;
    } else this.numBadEpochs += 1;
    if (this.cooldownCounter > 0) {
      this.cooldownCounter -= 1;
      this.numBadEpochs = 0;
    }
    if (this.numBadEpochs > this.patience) {
      this.optimizer.paramGroups.forEach((g, i) => {
        const lr = Math.max(g.lr * this.factor, this.minLrs[i]);
        if (g.lr - lr > this.eps) g.lr = lr;
      });
      this.cooldownCounter = this.cooldown;
      this.numBadEpochs = 0;
    }
    this.lastLr = this.optimizer.paramGroups.map((g) => g.lr);
  }

  getLastLr(): number[] {
    return [...this.lastLr];
  }

  /** The counters and settings (the lrs themselves are in the optimizer's state, as in PyTorch). */
  stateDict(): ReduceLROnPlateauStateDict {
    const { lastEpoch, best, numBadEpochs, cooldownCounter, mode, factor, patience, threshold, thresholdMode, cooldown, eps } = this;
    return { lastEpoch, best, numBadEpochs, cooldownCounter, mode, factor, patience, threshold, thresholdMode, cooldown, minLrs: [...this.minLrs], eps };
  }

  loadStateDict(sd: ReduceLROnPlateauStateDict): void {
    const keys = ['lastEpoch', 'best', 'numBadEpochs', 'cooldownCounter', 'factor', 'patience', 'threshold', 'cooldown', 'eps'] as const;
    for (const k of keys) if (typeof sd?.[k] !== 'number') throw new Error(`ReduceLROnPlateau.loadStateDict: '${k}' must be a number`);
    if (!Array.isArray(sd.minLrs) || sd.minLrs.length !== this.optimizer.paramGroups.length)
      throw new Error(`ReduceLROnPlateau.loadStateDict: minLrs must have one value per group (${this.optimizer.paramGroups.length})`);
    if (sd.mode !== 'min' && sd.mode !== 'max') throw new Error("ReduceLROnPlateau.loadStateDict: mode must be 'min' or 'max'");
    if (sd.thresholdMode !== 'rel' && sd.thresholdMode !== 'abs') throw new Error("ReduceLROnPlateau.loadStateDict: thresholdMode must be 'rel' or 'abs'");
    for (const k of keys) this[k] = sd[k];
    this.mode = sd.mode;
    this.thresholdMode = sd.thresholdMode;
    this.minLrs = [...sd.minLrs];
    this.lastLr = this.optimizer.paramGroups.map((g) => g.lr);
  }
}
