// Reverse-mode autodiff: recording ops (the tape), one topological walk backward, and the
// functional API (grad, valueAndGrad, noGrad, customOp). Below the op table: gradient rules are
// plain functions here, and the few tensors the engine makes itself come straight from storage.
import { Tensor, AutogradMeta, type Node } from './tensor.js';
import { armGroup, disarmGroup, keep, owned, tidy } from './memory.js';
import { fmt, shapesEqual, sizeOf } from './shape.js';
import { arrayFor } from './dtype.js';

/** What a gradient rule sees: the op's inputs, its output and its attributes (saved values). */
export interface GradCtx<A = any> {
  inputs: Tensor[];
  out: Tensor;
  attrs: A;
}

/**
 * A gradient rule returns one cotangent per input (null where an input gets none).
 * Rules are written with Tensor ops, so they are themselves differentiable (higher-order grads).
 */
export type GradRule<A = any> = (dy: Tensor, ctx: GradCtx<A>) => (Tensor | null)[];

let gradEnabled = true;
let seq = 0;

export function isGradEnabled(): boolean {
  return gradEnabled;
}

function withGradMode<T>(on: boolean, fn: () => T): T {
  const prev = gradEnabled;
  gradEnabled = on;
  try {
    return fn();
  } finally {
    gradEnabled = prev;
  }
}

/** Runs fn without recording any op for autograd (like torch.no_grad). */
export function noGrad<T>(fn: () => T): T {
  return withGradMode(false, fn);
}

/** Runs fn with recording on, even inside noGrad. */
export function enableGrad<T>(fn: () => T): T {
  return withGradMode(true, fn);
}

/**
 * The autograd rules of in-place writes (assign_, normal_, uniform_, ...), checked before the write.
 * With grad mode on, writing to a tensor that requires grad is refused, as in PyTorch ("a leaf
 * Variable that requires grad is being used in an in-place operation"): the write is not recorded,
 * so for a leaf it would silently escape the gradient, and for a non-leaf its value would no longer
 * be what its node computed. A source that requires grad is refused too (the gradient would not
 * reach it). Inside noGrad every write is allowed; backward then refuses to use a node whose saved
 * tensors were written since it ran (see the version check in runBackward).
 */
export function checkInPlace(op: string, target: Tensor, src?: Tensor): void {
  if (!gradEnabled) return;
  if (target._meta.requiresGrad)
    throw new Error(
      `${op}: in-place write to a ${target.isLeaf ? 'leaf tensor' : `tensor computed by '${target._meta.node!.name}'`} ${fmt(target.shape)} that requires grad; ` +
        `wrap it in pg.noGrad(() => ...) (as optimizers and initialisers do), or write to a detached copy`,
    );
  if (src?._meta.requiresGrad)
    throw new Error(`${op}: the source ${fmt(src.shape)} requires grad, but in-place writes are not recorded by autograd (its gradient would be lost); use the source itself, or detach() it`);
}

/**
 * Records `out = op(inputs)` in the graph if grad mode is on and some input needs a gradient.
 * The node saves aliases of the inputs and the output: they keep the storages alive (whatever
 * the user disposes) until backward frees them. `owns`: more tensors the gradient rule reads (made
 * under owned(), e.g. through attrs), which the node frees with its aliases.
 */
export function record<A>(name: string, grad: GradRule<A> | undefined, inputs: Tensor[], out: Tensor, attrs: A, owns?: readonly Tensor[]): Tensor {
  if (!gradEnabled || !grad) return out;
  let any = false;
  for (const t of inputs) if (t._meta.requiresGrad) any = true;
  if (!any) return out;
  const saved = owned(() => ({ inputs: inputs.map((t) => t._savedAlias()), out: out._savedAlias() }));
  // Versions of the inputs at recording time; null when all are 0 (no input was ever written in place).
  let versions: number[] | null = null;
  for (let i = 0; i < inputs.length; i++) {
    const v = inputs[i]._meta.version;
    if (v !== 0) (versions ??= new Array<number>(inputs.length).fill(0))[i] = v;
  }
  // A node made inside a tidy scope joins the GC safety net only if its output leaves the scopes,
  // or is disposed while nodes downstream still use it (Node.arm): most are released first, by
  // backward or when their output is disposed, and need no registration (as tensors, memory.ts).
  let armed = false;
  const node: Node = {
    seq: ++seq,
    name,
    inputs: inputs.map((t) => (t._meta.requiresGrad ? t._meta : null)),
    backward: (dy) => grad(dy, { inputs: saved.inputs, out: saved.out, attrs }),
    release() {
      if (this.released) return;
      this.released = true;
      if (armed) disarmGroup(this);
      for (const t of saved.inputs) t.dispose();
      saved.out.dispose();
      owns?.forEach((t) => t.dispose());
      // The nodes this one used may now be out of reach too.
      for (const m of this.inputs) {
        if (m && --m.uses === 0 && m.handles === 0 && m.node && !m.node.released) m.node.unreachable();
      }
    },
    released: false,
    unreachable() {
      releaseLater(this);
    },
    arm() {
      if (armed || this.released) return;
      armed = true;
      armGroup(this, [...saved.inputs, saved.out, ...(owns ?? [])]);
    },
  };
  for (const m of node.inputs) if (m) m.uses++;
  (node as NodeExtra).outMeta = out._meta;
  (node as NodeExtra).inputShapes = inputs.map((t) => t.shape);
  (node as NodeExtra).saved = saved;
  (node as NodeExtra).owns = owns ?? [];
  (node as NodeExtra).versions = versions;
  out._meta.node = node;
  out._meta.requiresGrad = true;
  if (out._gcArmed) node.arm(); // made outside any tidy scope
  return out;
}

// Freeing graphs nobody can run backward on. A node is out of reach when no tensor held with its
// output's state is left (AutogradMeta.handles: disposed, e.g. by tidy) and no unreleased node uses
// that state (AutogradMeta.uses): it is released then, and the nodes it used follow, as PyTorch
// frees a graph with its last reference. Without this, a forward pass recorded and dropped inside
// tidy (evaluation without noGrad) kept its saved values until the GC found the graph, which a
// synchronous loop never lets happen on the wasm heap. Nodes are released from a work list (a long
// chain must not recurse), and not during a backward walk, which may still need them: they wait
// for its end and are checked again then.
const outOfReach: Node[] = [];
let walking = 0;
let draining = false;

function releaseLater(n: Node): void {
  outOfReach.push(n);
  if (walking === 0) drainOutOfReach();
}

function drainOutOfReach(): void {
  if (draining) return;
  draining = true;
  try {
    for (let n = outOfReach.pop(); n; n = outOfReach.pop()) {
      const m = (n as NodeExtra).outMeta;
      if (!n.released && m.handles === 0 && m.uses === 0) n.release();
    }
  } finally {
    draining = false;
  }
}

/** The tensors a node saved must still be at the versions they were saved at (no in-place write since). */
function checkSaved(node: NodeExtra): void {
  const { saved, versions } = node;
  for (let i = 0; i < saved.inputs.length; i++) {
    const v = versions ? versions[i] : 0;
    if (saved.inputs[i]._meta.version !== v) staleError(node.name, saved.inputs[i], v, `input ${i}`);
  }
  if (saved.out._meta.version !== 0) staleError(node.name, saved.out, 0, 'the output');
}

function staleError(op: string, t: Tensor, saved: number, what: string): never {
  throw new Error(
    `backward: ${what} of '${op}' (${fmt(t.shape)} ${t.dtype}), saved for the gradient, was written in place (assign_) after '${op}' ran ` +
      `(version ${t._meta.version}, saved at version ${saved}); the gradient would no longer match the values. ` +
      `Run backward before writing (e.g. before optimizer.step()), or write to a clone`,
  );
}

interface NodeExtra extends Node {
  outMeta: AutogradMeta;
  inputShapes: (readonly number[])[];
  /** The aliases the node keeps for its gradient rule, and the inputs' versions then (null: all 0). */
  saved: { inputs: Tensor[]; out: Tensor };
  /** Tensors the node owns besides its aliases (record's `owns`). */
  owns: readonly Tensor[];
  versions: number[] | null;
}

interface BackwardOpts {
  retainGraph?: boolean;
  createGraph?: boolean;
}

/**
 * The backward walk. Nodes are visited once each, in decreasing creation order (a valid
 * topological order). With `targets`, gradients are collected for those autograd states and the
 * walk stops there; without, they accumulate into the .grad of leaves (Tensor.backward).
 */
function runBackward(roots: Tensor[], seeds: Tensor[], targets: AutogradMeta[] | null, opts: BackwardOpts): Map<AutogradMeta, Tensor> {
  const createGraph = !!opts.createGraph;
  const retainGraph = opts.retainGraph ?? createGraph;
  const targetSet = new Set(targets ?? []);
  const nodes: NodeExtra[] = [];
  const seen = new Set<Node>();
  const stack: Node[] = [];
  const visit = (m: AutogradMeta | null) => {
    if (!m || !m.node || seen.has(m.node) || targetSet.has(m)) return;
    seen.add(m.node);
    stack.push(m.node);
  };
  for (const r of roots) visit(r._meta);
  while (stack.length) {
    const n = stack.pop()! as NodeExtra;
    if (n.released)
      throw new Error(`backward: the graph through '${n.name}' was already freed by an earlier backward(); pass {retainGraph: true} the first time`);
    nodes.push(n);
    for (const m of n.inputs) visit(m);
  }
  nodes.sort((a, b) => b.seq - a.seq);

  const pending = new Map<Node, Tensor>();
  const found = new Map<AutogradMeta, Tensor>();
  const accumulate = (map: Map<any, Tensor>, key: unknown, g: Tensor) => {
    const prev = map.get(key);
    if (!prev) map.set(key, g);
    else {
      map.set(key, prev.add(g));
      prev.dispose();
      g.dispose();
    }
  };
  const deliver = (m: AutogradMeta, g: Tensor) => {
    if (targetSet.has(m)) accumulate(found, m, g);
    else if (m.node) accumulate(pending, m.node, g);
    else if (targets) g.dispose();
    else if (m.requiresGrad) {
      // Leaf: accumulate into .grad across backward calls, as PyTorch does.
      const prev = m.grad;
      m.grad = keep(prev ? prev.add(g) : g);
      if (prev) {
        prev.dispose();
        g.dispose();
      }
    } else g.dispose();
  };

  walking++;
  try {
    withGradMode(createGraph, () => {
      roots.forEach((r, i) => deliver(r._meta, seeds[i]._alias()));
      for (const node of nodes) {
        const dy = pending.get(node);
        if (!dy) continue;
        pending.delete(node);
        checkSaved(node);
        if (node.outMeta.retainsGrad) {
          const prev = node.outMeta.grad;
          node.outMeta.grad = keep(prev ? prev.add(dy) : dy._alias());
          prev?.dispose();
        }
        // Temporaries a rule creates are freed at once; only the returned cotangents survive.
        const grads = tidy(() => node.backward(dy));
        // The node's saved tensors are its own (disposed with it, armGroup): a rule returning one hands on an alias.
        const used = new Set<Tensor>([dy, ...node.saved.inputs, node.saved.out, ...node.owns]);
        node.inputs.forEach((m, i) => {
          let g = grads[i];
          if (!m || !g) {
            if (g && !used.has(g)) g.dispose();
            return;
          }
          if (!shapesEqual(g.shape, node.inputShapes[i]))
            throw new Error(`backward: gradient of '${node.name}' input ${i} has shape ${fmt(g.shape)}, expected ${fmt(node.inputShapes[i])}`);
          // A rule may hand the same tensor to two inputs (or pass dy through): give each its own handle.
          if (used.has(g)) g = g._alias();
          used.add(g);
          deliver(m, g);
        });
        dy.dispose();
        if (!retainGraph) node.release();
      }
    });
  } finally {
    walking--;
    if (walking === 0) drainOutOfReach();
  }
  for (const g of pending.values()) g.dispose();
  return found;
}

/** A new tensor of t's shape, dtype and device, every element `value`. */
function filledLike(t: Tensor, value: number): Tensor {
  return new Tensor(t.storage.backend.upload(t.dtype, arrayFor(t.dtype, sizeOf(t.shape)).fill(value)), t.shape);
}

/** A differentiable alias of x (same storage, new graph node); grad() uses it for nesting. */
export function identity(x: Tensor): Tensor {
  x.assertAlive('identity');
  return record('identity', (dy) => [dy], [x], new Tensor(x.storage, x.shape, x.strides, x.offset), {});
}

/** Tensor.backward: accumulates d(root)/d(leaf) into every leaf's .grad. */
export function backward(root: Tensor, gradient?: Tensor | BackwardOpts, opts: BackwardOpts = {}): void {
  root.assertAlive('backward');
  // backward({ retainGraph: true }): the options alone (PyTorch's loss.backward(retain_graph=True))
  if (gradient !== undefined && !(gradient instanceof Tensor)) {
    if (gradient === null || typeof gradient !== 'object' || Array.isArray(gradient) || Object.keys(gradient).some((k) => k !== 'retainGraph' && k !== 'createGraph'))
      throw new Error(`backward: expected a gradient Tensor or options {retainGraph, createGraph}, got ${gradient === null ? 'null' : Array.isArray(gradient) ? 'an array' : typeof gradient === 'object' ? `{${Object.keys(gradient).join(', ')}}` : typeof gradient}`);
    return backward(root, undefined, gradient);
  }
  if (!root.requiresGrad) throw new Error(`backward: tensor ${fmt(root.shape)} does not require grad (no input of the computation had requiresGrad)`);
  let seed = gradient;
  if (!seed) {
    if (root.size !== 1) throw new Error(`backward: gradient can be implied only for scalar outputs; got shape ${fmt(root.shape)}, pass a gradient`);
    seed = filledLike(root, 1);
  } else if (!shapesEqual(seed.shape, root.shape)) {
    throw new Error(`backward: gradient shape ${fmt(seed.shape)} does not match output shape ${fmt(root.shape)}`);
  }
  runBackward([root], [seed], null, opts);
  if (!gradient) seed.dispose();
}

type ArgNums = number | number[];

/**
 * valueAndGrad(fn, argnums)(...args) -> [fn(...args), d fn / d args[argnums]].
 * fn must return a scalar tensor. Nesting works (grad of grad): when the arguments are themselves
 * tracked by an enclosing grad, the inner gradients are built as a differentiable graph.
 */
export function valueAndGrad<F extends (...args: any[]) => Tensor>(fn: F, argnums: ArgNums = 0) {
  return (...args: Parameters<F>): [Tensor, any] => {
    const idx = typeof argnums === 'number' ? [argnums] : argnums;
    const inner = [...args] as any[];
    let outer = false;
    for (const i of idx) {
      const a = args[i];
      if (!(a instanceof Tensor)) throw new Error(`grad: argument ${i} is not a Tensor`);
      if (a.requiresGrad && gradEnabled) {
        outer = true;
        inner[i] = identity(a);
      } else inner[i] = a.detach().requiresGrad_(true);
    }
    const value = enableGrad(() => fn(...inner));
    if (!(value instanceof Tensor) || value.size !== 1)
      throw new Error(`grad: fn must return a scalar tensor, got ${value instanceof Tensor ? fmt(value.shape) : typeof value}`);
    const metas = idx.map((i) => inner[i]._meta as AutogradMeta);
    let found = new Map<AutogradMeta, Tensor>();
    if (value.requiresGrad) {
      const seed = filledLike(value, 1);
      found = runBackward([value], [seed], metas, { createGraph: outer, retainGraph: outer });
      seed.dispose();
    }
    const grads = idx.map((i, k) => found.get(metas[k]) ?? filledLike(inner[i], 0));
    return [value, typeof argnums === 'number' ? grads[0] : grads];
  };
}

/** grad(fn, argnums)(...args) -> d fn / d args[argnums] (a Tensor, or an array for a list of argnums). */
export function grad<F extends (...args: any[]) => Tensor>(fn: F, argnums: ArgNums = 0) {
  const vg = valueAndGrad(fn, argnums);
  return (...args: Parameters<F>) => vg(...args)[1];
}

/**
 * A user-defined differentiable function: forward runs without recording, backward maps the
 * output cotangent to one cotangent per input (write it with tensor ops for higher-order grads).
 */
export function customOp(def: {
  name?: string;
  forward: (...inputs: Tensor[]) => Tensor;
  backward: (dy: Tensor, ctx: { inputs: Tensor[]; out: Tensor }) => (Tensor | null)[];
}): (...inputs: Tensor[]) => Tensor {
  return (...inputs: Tensor[]) => {
    const out = noGrad(() => def.forward(...inputs));
    return record(def.name ?? 'customOp', (dy, ctx) => def.backward(dy, ctx), inputs, out, {});
  };
}

/** Clears .grad of every tensor given. */
export function zeroGrad(params: Iterable<Tensor>): void {
  for (const p of params) p.zeroGrad_();
}
