// Module: the base class of layers and models (torch.nn.Module).
//
// Registration is by assignment. A module's parameters, buffers and sub-modules are found by
// walking its own enumerable fields in insertion order:
//   - a Tensor field is a parameter, unless it was registered with registerBuffer();
//   - a Module field (ModuleList and Sequential included) is a child;
//   - an array field contributes its Tensor / Module elements as `field.0`, `field.1`, ...;
//   - anything else (numbers, options, generators, null) is ignored.
// Names are dotted paths in that order (a module's own tensors first, then each child's).
//
// Memory: parameters live until disposed or garbage-collected. Tensors created inside pg.tidy()
// are freed at the end of the scope, so layers pg.keep() the parameters they create; when you
// assign tensors to fields yourself inside a tidy, wrap them with parameter() (or build the model
// outside the scope).
import * as pg from '../autograd/index.js';
import type { Tensor, DType, Device } from '../autograd/index.js';

/** Marks a tensor as a trainable parameter (requiresGrad, kept out of tidy scopes): nn.Parameter. */
export function parameter(t: Tensor, requiresGrad = true): Tensor {
  pg.keep(t);
  if (requiresGrad && !t.requiresGrad) t.requiresGrad_(true);
  return t;
}

const BUFFERS = Symbol('buffers');
const NON_PERSISTENT = Symbol('nonPersistent');

type Member = [name: string, value: Tensor | Module];

function isTensor(v: unknown): v is Tensor {
  return v instanceof pg.Tensor;
}

function shapeStr(t: Tensor): string {
  return `[${t.shape.join(', ')}] ${t.dtype}`;
}

export interface LoadResult {
  missingKeys: string[];
  unexpectedKeys: string[];
}

/**
 * Runs each class's forward in its own tidy scope, so a built-in layer called outside a tidy leaves
 * only its output alive (its intermediates are freed on return; the autograd graph keeps what
 * backward needs). For layers whose forward stores no tensor it creates; subclasses that override
 * forward are not affected.
 */
export function scopeForward(...classes: { prototype: { forward(...args: any[]): any } }[]): void {
  for (const C of classes) {
    const f = C.prototype.forward;
    C.prototype.forward = function (this: unknown, ...args: unknown[]) {
      return pg.tidy(() => f.apply(this, args));
    };
  }
}

export abstract class Module {
  /** Train mode (dropout active, batch statistics in BatchNorm); switch with train() / eval(). */
  training = true;
  declare private [BUFFERS]: Set<string>;
  declare private [NON_PERSISTENT]: Set<string>;

  constructor() {
    Object.defineProperty(this, BUFFERS, { value: new Set<string>(), writable: true, enumerable: false });
    Object.defineProperty(this, NON_PERSISTENT, { value: new Set<string>(), writable: true, enumerable: false });
  }

  /** The computation. Subclasses narrow the signature (JS objects cannot be callable: use m.forward(x)). */
  abstract forward(...args: any[]): any;

  /** Same as forward (kept for call sites that read better as m.call(x)). */
  call(...args: Parameters<this['forward']>): ReturnType<this['forward']> {
    return this.forward(...args);
  }

  // ------------------------------------------------------------ registration
  /** Registers (or replaces) a parameter field explicitly; null registers an absent one (e.g. no bias). */
  registerParameter(name: string, t: Tensor | null): void {
    this[BUFFERS].delete(name);
    this[NON_PERSISTENT].delete(name);
    (this as any)[name] = t === null ? null : parameter(t);
  }

  /**
   * Registers a buffer: state that is not trained (BatchNorm running statistics, masks). Persistent
   * buffers are part of stateDict(); non-persistent ones only move with to() / clone().
   */
  registerBuffer(name: string, t: Tensor | null, opts: { persistent?: boolean } = {}): void {
    this[BUFFERS].add(name);
    if (opts.persistent === false) this[NON_PERSISTENT].add(name);
    else this[NON_PERSISTENT].delete(name);
    (this as any)[name] = t === null ? null : pg.keep(t);
  }

  /** Direct members (tensors and modules) in field order. */
  protected members(): Member[] {
    const out: Member[] = [];
    for (const key of Object.keys(this)) {
      const v = (this as any)[key];
      if (isTensor(v) || v instanceof Module) out.push([key, v]);
      else if (Array.isArray(v))
        v.forEach((e, i) => {
          if (isTensor(e) || e instanceof Module) out.push([`${key}.${i}`, e]);
        });
    }
    return out;
  }

  private isBuffer(name: string): boolean {
    return this[BUFFERS].has(name);
  }

  // ------------------------------------------------------------ traversal
  namedChildren(): [string, Module][] {
    return this.members().filter((m): m is [string, Module] => m[1] instanceof Module);
  }

  children(): Module[] {
    return this.namedChildren().map(([, m]) => m);
  }

  /** This module ('' or prefix) and all its descendants, pre-order, each module once. */
  namedModules(prefix = '', memo = new Set<Module>()): [string, Module][] {
    if (memo.has(this)) return [];
    memo.add(this);
    const out: [string, Module][] = [[prefix, this]];
    for (const [name, child] of this.namedChildren()) out.push(...child.namedModules(prefix ? `${prefix}.${name}` : name, memo));
    return out;
  }

  modules(): Module[] {
    return this.namedModules().map(([, m]) => m);
  }

  private namedTensors(kind: 'param' | 'buffer', opts: { prefix?: string; recurse?: boolean; removeDuplicate?: boolean; persistentOnly?: boolean }): [string, Tensor][] {
    const removeDuplicate = opts.removeDuplicate ?? true;
    const mods: [string, Module][] = opts.recurse === false ? [[opts.prefix ?? '', this]] : this.namedModules(opts.prefix ?? '', removeDuplicate ? new Set() : new DupMemo());
    const seen = new Set<Tensor>();
    const out: [string, Tensor][] = [];
    for (const [mp, m] of mods)
      for (const [name, v] of m.members()) {
        if (!isTensor(v)) continue;
        const root = name.split('.')[0];
        if (m.isBuffer(root) !== (kind === 'buffer')) continue;
        if (kind === 'buffer' && opts.persistentOnly && m[NON_PERSISTENT].has(root)) continue;
        if (removeDuplicate) {
          if (seen.has(v)) continue;
          seen.add(v);
        }
        out.push([mp ? `${mp}.${name}` : name, v]);
      }
    return out;
  }

  /** [dotted name, parameter] pairs in a deterministic order; a tensor shared by two fields appears once. */
  namedParameters(opts: { prefix?: string; recurse?: boolean; removeDuplicate?: boolean } = {}): [string, Tensor][] {
    return this.namedTensors('param', opts);
  }

  parameters(opts: { recurse?: boolean } = {}): Tensor[] {
    return this.namedParameters(opts).map(([, p]) => p);
  }

  /** Buffers; persistentOnly leaves out the non-persistent ones (those outside stateDict()). */
  namedBuffers(opts: { prefix?: string; recurse?: boolean; removeDuplicate?: boolean; persistentOnly?: boolean } = {}): [string, Tensor][] {
    return this.namedTensors('buffer', opts);
  }

  buffers(opts: { recurse?: boolean } = {}): Tensor[] {
    return this.namedBuffers(opts).map(([, b]) => b);
  }

  /** Number of scalar parameters (counting shared tensors once). */
  numParameters(opts: { trainableOnly?: boolean } = {}): number {
    return this.parameters()
      .filter((p) => !opts.trainableOnly || p.requiresGrad)
      .reduce((a, p) => a + p.size, 0);
  }

  // ------------------------------------------------------------ modes and gradients
  train(mode = true): this {
    for (const m of this.modules()) m.training = mode;
    return this;
  }

  eval(): this {
    return this.train(false);
  }

  /** Turns gradients of every parameter on or off (freezing: m.requiresGrad_(false)). */
  requiresGrad_(requiresGrad = true): this {
    for (const p of this.parameters()) p.requiresGrad_(requiresGrad);
    return this;
  }

  zeroGrad(): void {
    for (const p of this.parameters()) p.zeroGrad_();
  }

  // ------------------------------------------------------------ state
  /**
   * Parameters and persistent buffers by dotted name (tied tensors appear under every name, as in
   * PyTorch). The values are detached handles on the module's storage: no copy is made, and since
   * papergrad never mutates storage in place (updates swap it through assign_), they keep the
   * values of the moment stateDict() was called. Disposing them never affects the module.
   */
  stateDict(): Record<string, Tensor> {
    const out: Record<string, Tensor> = {};
    for (const [k, t] of this.namedTensors('param', { removeDuplicate: false })) out[k] = t.detach();
    for (const [k, t] of this.namedTensors('buffer', { removeDuplicate: false, persistentOnly: true })) out[k] = t.detach();
    return out;
  }

  /**
   * Copies values from a state dict into this module's parameters and buffers, in place (the
   * tensor objects stay the same, so optimizers holding them keep working). Shape or dtype
   * mismatches are always an error; with strict (the default) missing and unexpected keys are
   * too. Nothing is modified when an error is thrown. Values are copied, never shared.
   */
  loadStateDict(sd: Record<string, Tensor>, opts: { strict?: boolean } = {}): LoadResult {
    const strict = opts.strict ?? true;
    const own = new Map<string, Tensor>([
      ...this.namedTensors('param', { removeDuplicate: false }),
      ...this.namedTensors('buffer', { removeDuplicate: false, persistentOnly: true }),
    ]);
    const missingKeys = [...own.keys()].filter((k) => !(k in sd));
    const unexpectedKeys = Object.keys(sd).filter((k) => !own.has(k));
    const mismatches: string[] = [];
    for (const [k, t] of own) {
      const s = sd[k];
      if (!s) continue;
      if (!isTensor(s)) mismatches.push(`${k}: expected a Tensor, got ${typeof s}`);
      else if (s.isDisposed) mismatches.push(`${k}: the given tensor was disposed`);
      else if (s.dtype !== t.dtype || s.shape.join() !== t.shape.join()) mismatches.push(`${k}: expected ${shapeStr(t)}, got ${shapeStr(s)}`);
    }
    if (mismatches.length || (strict && (missingKeys.length || unexpectedKeys.length))) {
      const lines = [`loadStateDict: error(s) loading the state dict into ${this.constructor.name}:`];
      if (strict && missingKeys.length) lines.push(`  missing keys (${missingKeys.length}): ${missingKeys.join(', ')}`);
      if (strict && unexpectedKeys.length) lines.push(`  unexpected keys (${unexpectedKeys.length}): ${unexpectedKeys.join(', ')}`);
      if (mismatches.length) lines.push(`  shape/dtype mismatches (${mismatches.length}):`, ...mismatches.map((m) => `    ${m}`));
      throw new Error(lines.join('\n'));
    }
    pg.tidy(() =>
      pg.noGrad(() => {
        for (const [k, t] of own) {
          const s = sd[k];
          if (!s) continue;
          t.assign_(s.device === t.device ? s.clone() : s.to(t.device));
        }
      }),
    );
    return { missingKeys, unexpectedKeys };
  }

  /**
   * Replaces every parameter and buffer field with fn(tensor) (a new leaf that keeps the
   * requiresGrad flag); the old tensors are disposed unless fn returns them unchanged.
   * Tensor objects change, so build optimizers after converting.
   */
  protected applyToTensors(fn: (t: Tensor, isBuffer: boolean) => Tensor): this {
    const memo = new Map<Tensor, Tensor>();
    for (const m of this.modules()) {
      for (const key of Object.keys(m)) {
        const conv = (v: unknown): unknown => {
          if (!isTensor(v)) return v;
          let r = memo.get(v);
          if (!r) {
            const out = pg.noGrad(() => fn(v, m.isBuffer(key)));
            if (out === v) r = v;
            else {
              r = pg.keep(out.isLeaf ? out : out.detach());
              if (v.requiresGrad) r.requiresGrad_(true);
              v.dispose();
            }
            memo.set(v, r);
          }
          return r;
        };
        const v = (m as any)[key];
        if (isTensor(v)) (m as any)[key] = conv(v);
        else if (Array.isArray(v) && v.some(isTensor)) (m as any)[key] = v.map(conv);
      }
    }
    return this;
  }

  /** Moves to a device, or casts floating-point parameters and buffers to a float dtype. */
  to(target: Device | DType): this {
    if (target !== 'float32' && target !== 'float64' && target !== 'int32' && target !== 'bool') {
      // A device. Check first, so a module is never left half moved.
      for (const t of this.tensorFields())
        if (t.device !== target && !t.storage.backend.readSync)
          throw new Error(`Module.to: moving from ${t.device} to ${target} needs a readback; use await model.toDevice('${target}')`);
      return this.applyToTensors((t) => (t.device === target ? t : t.to(target)));
    }
    if (target !== 'float32' && target !== 'float64') throw new Error(`Module.to: can only cast to float32 or float64, got ${target}`);
    return this.applyToTensors((t) => (t.dtype === target || (t.dtype !== 'float32' && t.dtype !== 'float64') ? t : t.cast(target as DType)));
  }

  /**
   * Moves every parameter and buffer to `device`, also from WebGPU to the CPU (which needs a
   * readback, so it is async; `to('cpu')` on a WebGPU module throws and points here).
   */
  async toDevice(device: Device): Promise<this> {
    const moved = new Map<Tensor, Tensor>();
    for (const t of this.tensorFields()) if (t.device !== device && !moved.has(t)) moved.set(t, await pg.toDevice(t, device));
    return this.applyToTensors((t) => moved.get(t) ?? t);
  }

  /** Every tensor held in a field (or a field's array) of this module and its submodules: what applyToTensors visits. */
  private *tensorFields(): Generator<Tensor> {
    for (const m of this.modules())
      for (const v of Object.values(m))
        for (const t of Array.isArray(v) ? v : [v]) if (isTensor(t)) yield t;
  }

  /** Casts floating-point parameters and buffers to float64 (for gradcheck). */
  double(): this {
    return this.to('float64');
  }

  float(): this {
    return this.to('float32');
  }

  /**
   * A deep copy: same structure, same values, independent storage, no gradients (requiresGrad
   * flags are kept). Tied tensors stay tied in the copy; Generators are copied too (with their
   * state); other non-tensor fields (numbers, options) are shared.
   */
  clone(): this {
    return cloneValue(this, new Map()) as this;
  }

  /** Frees every parameter and buffer; the module must not be used afterwards. */
  dispose(): void {
    for (const [, t] of this.namedTensors('param', {})) {
      t.zeroGrad_();
      t.dispose();
    }
    for (const [, t] of this.namedTensors('buffer', {})) t.dispose();
  }

  toString(): string {
    return describeModule(this, '');
  }
}

/** A Set that never reports membership: namedModules() with every path (removeDuplicate false). */
class DupMemo extends Set<Module> {
  override has(): boolean {
    return false;
  }
}

function cloneValue(v: unknown, memo: Map<unknown, unknown>): unknown {
  if (v === null || typeof v !== 'object') return v;
  if (memo.has(v)) return memo.get(v);
  if (isTensor(v)) {
    const c = pg.keep(pg.noGrad(() => v.clone()));
    if (v.requiresGrad) c.requiresGrad_(true);
    memo.set(v, c);
    return c;
  }
  if (v instanceof pg.Generator) {
    const g = v.clone();
    memo.set(v, g);
    return g;
  }
  if (Array.isArray(v)) {
    const a: unknown[] = [];
    memo.set(v, a);
    for (const e of v) a.push(cloneValue(e, memo));
    return a;
  }
  if (v instanceof Module) {
    const c = Object.create(Object.getPrototypeOf(v));
    memo.set(v, c);
    for (const key of Reflect.ownKeys(v)) {
      const d = Object.getOwnPropertyDescriptor(v, key)!;
      if ('value' in d) {
        const val = d.value;
        d.value = key === BUFFERS || key === NON_PERSISTENT ? new Set(val as Set<string>) : cloneValue(val, memo);
      }
      Object.defineProperty(c, key, d);
    }
    return c;
  }
  return v; // options objects, functions, ...: shared
}

function describeModule(m: Module, indent: string): string {
  const kids = m.namedChildren();
  const own = (m as unknown as { members(): Member[] }).members().filter((x) => isTensor(x[1])) as [string, Tensor][];
  const head = `${m.constructor.name}(${own.map(([n, t]) => `${n}: [${t.shape.join(', ')}]`).join(', ')}`;
  if (!kids.length) return `${head})`;
  const inner = kids.map(([n, c]) => `${indent}  (${n}): ${describeModule(c, indent + '  ')}`).join('\n');
  return `${head}\n${inner}\n${indent})`;
}

/**
 * Runs fn() with some of module's parameters / buffers (by dotted name) replaced by the given
 * tensors, restoring the module's own tensors afterwards, even if fn throws.
 */
export function withTensors<T>(module: Module, tensors: Record<string, Tensor>, fn: () => T): T {
  const mods = new Map(module.namedModules('', new DupMemo()));
  const restore: (() => void)[] = [];
  try {
    for (const [name, t] of Object.entries(tensors)) {
      const parts = name.split('.');
      // The name is a module path plus a field ('a.b.weight') or an array field and index ('a.extras.0').
      let owner: Module | undefined, field: string[] = [];
      for (let i = parts.length - 1; i >= 0; i--) {
        const m = mods.get(parts.slice(0, i).join('.'));
        if (m) { owner = m; field = parts.slice(i); break; }
      }
      const o = owner as any;
      if (o && field.length === 1 && isTensor(o[field[0]])) {
        const old = o[field[0]];
        o[field[0]] = t;
        restore.push(() => (o[field[0]] = old));
      } else if (o && field.length === 2 && Array.isArray(o[field[0]]) && isTensor(o[field[0]][+field[1]])) {
        const arr = o[field[0]], i = +field[1], old = arr[i];
        arr[i] = t;
        restore.push(() => (arr[i] = old));
      } else throw new Error(`withTensors: no tensor named '${name}'`);
    }
    return fn();
  } finally {
    for (const r of restore.reverse()) r();
  }
}

/**
 * module.forward(...args) with some parameters / buffers replaced by the given tensors
 * (torch.func.functional_call): differentiate with respect to parameters through pg.grad or
 * pg.testing.gradcheck.
 */
export function functionalCall<M extends Module>(module: M, tensors: Record<string, Tensor>, ...args: Parameters<M['forward']>): ReturnType<M['forward']> {
  return withTensors(module, tensors, () => module.forward(...args));
}
