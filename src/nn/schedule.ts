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
  [hyper: string]: number | number[] | boolean | string | SchedulerStateDict | null;
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

  /** The learning rate of a group with base lr `baseLr` at step t (a pure function). */
  abstract lrAt(t: number, baseLr: number): number;

  /** Advances one step (or jumps to `epoch`) and writes the groups' learning rates. */
  step(epoch?: number): void {
    this.lastEpoch = epoch ?? this.lastEpoch + 1;
    this.apply();
  }

  protected apply(): void {
    const groups = this.optimizer.paramGroups;
    if (groups.length !== this.baseLrs.length)
      throw new Error(`LRScheduler: the optimizer has ${groups.length} groups, the schedule ${this.baseLrs.length}`);
    this.lastLr = groups.map((g, i) => (g.lr = this.lrAt(this.lastEpoch, this.baseLrs[i])));
  }

  /** The learning rates the last step set, one per group. */
  getLastLr(): number[] {
    return [...this.lastLr];
  }

  /** Hyper-parameters to save besides lastEpoch and baseLrs. */
  protected abstract hyper(): Record<string, number | boolean | string | SchedulerStateDict | null>;
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
  lrAt(t: number, base: number): number {
    const w = this.warmupSteps;
    if (t < w) return base * (this.startFactor + ((1 - this.startFactor) * Math.max(t, 0)) / w);
    return this.after ? this.after.lrAt(t - w, base) : base;
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
