// Shared plumbing of the op table: devices, scalars, output allocation, and running an entry.
// Op files import only this file (and creation.ts): whatever else an op needs of other ops it
// reaches through Tensor methods (ops/methods.ts), so the table has no import cycles.
import { Tensor, type TensorLike } from '../tensor.js';
import { COMPOSITE, type Device } from '../backend.js';
import type { OpDef } from '../opdef.js';
import { arrayFor, type DType, type TypedArray } from '../dtype.js';
import { fmt, shapesEqual, sizeOf } from '../shape.js';
import { getBackend } from '../devices.js';
import { noGrad, record } from '../engine.js';
import { tidy } from '../memory.js';

/** The device all tensor operands share; mixing devices is an error that names them. */
export function deviceOf(op: string, ...xs: TensorLike[]): Device {
  let dev: Device | null = null;
  for (const x of xs) {
    if (!(x instanceof Tensor)) continue;
    x.assertAlive(op);
    if (dev === null) dev = x.device;
    else if (x.device !== dev)
      throw new Error(`${op}: tensors are on different devices (${dev} and ${x.device}); move them with .to('${dev}')`);
  }
  return dev ?? 'cpu';
}

export function empty(shape: readonly number[], dtype: DType, device: Device): Tensor {
  return new Tensor(getBackend(device).alloc(dtype, sizeOf(shape)), shape);
}

export function fromTyped(data: TypedArray, shape: readonly number[], dtype: DType, device: Device): Tensor {
  if (data.length !== sizeOf(shape)) throw new Error(`tensor: ${data.length} values do not fill shape ${fmt(shape)}`);
  return new Tensor(getBackend(device).upload(dtype, data), shape);
}

/**
 * An op built from other ops, run in its own tidy scope: its intermediate tensors are freed as it
 * returns, so only the result stays alive (the autograd graph keeps its own references to what
 * backward needs). Without this, `x.softmax()` outside a tidy would leave eight tensors to the GC.
 */
// (F extends Function, not a call signature: a function expression passed here then keeps the
// parameter types of its own annotations and defaults instead of being contextually typed `any`.)
// eslint-disable-next-line @typescript-eslint/no-unsafe-function-type
export function scoped<F extends Function>(fn: F): F {
  const f = fn as unknown as (...args: unknown[]) => unknown;
  return ((...args: unknown[]) => tidy(() => f(...args))) as unknown as F;
}

/** Disposes the operands an op made for itself (scalars turned into tensors, casts): every `made` that is not one of `given`. */
export function disposeMade(made: Tensor[], given: unknown[]): void {
  for (const t of made) if (!given.includes(t)) t.dispose();
}

/** A 0-d tensor holding `v` (used where a plain number stands in for a tensor). */
export function scalar(v: number, dtype: DType, device: Device): Tensor {
  const a = arrayFor(dtype, 1);
  a[0] = v;
  return fromTyped(a, [], dtype, device);
}

export function asTensor(x: TensorLike, dtype: DType, device: Device): Tensor {
  if (x instanceof Tensor) return x;
  return scalar(typeof x === 'boolean' ? Number(x) : x, dtype, device);
}

export interface RunOpts {
  /** The tensors the gradient flows to, when not `inputs` (e.g. the unpermuted input of a reduction). */
  gradInputs?: Tensor[];
  /** The device, for ops without tensor inputs (fill). */
  device?: Device;
}

/**
 * Runs an op-table entry: allocates the output, runs the device's kernel for the entry (or the
 * entry's composite, where the backend maps it to 'composite'), and records the op for autograd
 * with the entry's grad rule.
 */
export function runOp<A>(def: OpDef<A>, inputs: Tensor[], shape: readonly number[], dtype: DType, attrs: A, opts?: RunOpts): Tensor {
  const device = opts?.device ?? deviceOf(def.name, ...inputs);
  const backend = getBackend(device);
  const kernel = backend.kernels[def.name];
  let out: Tensor;
  if (typeof kernel === 'function') {
    out = empty(shape, dtype, device);
    if (out.size > 0) kernel(inputs, out, attrs);
  } else if (kernel === COMPOSITE && def.composite) {
    out = noGrad(() => tidy(() => def.composite!(inputs, attrs)));
    if (out.dtype !== dtype || !shapesEqual(out.shape, shape))
      throw new Error(`${def.name}: composite gave ${fmt(out.shape)} ${out.dtype}, expected ${fmt(shape)} ${dtype}`);
  } else {
    throw new Error(`${def.name}: the '${device}' backend has no kernel for this op (it implements ${Object.keys(backend.kernels).length} ops); move the tensors with .to('cpu')`);
  }
  return record(def.name, def.grad, opts?.gradInputs ?? inputs, out, attrs);
}

/** Sums a broadcast gradient back down to `shape` (the adjoint of broadcasting). */
export function sumTo(g: Tensor, shape: readonly number[]): Tensor {
  if (shapesEqual(g.shape, shape)) return g;
  const lead = g.rank - shape.length;
  const dims: number[] = [];
  for (let i = 0; i < g.rank; i++) if (i < lead || (shape[i - lead] === 1 && g.shape[i] !== 1)) dims.push(i);
  const s = dims.length ? g.sum(dims, true) : g;
  return s.reshape(shape);
}

export function describe(t: Tensor): string {
  return `${fmt(t.shape)} ${t.dtype}`;
}
