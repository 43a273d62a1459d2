// Shared plumbing of the op table: devices, scalars, output allocation, and running an entry.
import { Tensor, type TensorLike } from '../tensor.js';
import type { Device } from '../backend.js';
import type { OpDef } from '../opdef.js';
import { arrayFor, type DType, type TypedArray } from '../dtype.js';
import { fmt, sizeOf } from '../shape.js';
import { getBackend } from '../devices.js';
import { record } from '../engine.js';
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

/**
 * Runs an op-table entry: allocates the output, runs the device's kernel, and records the
 * op for autograd (the entry's grad rule).
 */
export function runOp(def: OpDef, inputs: Tensor[], shape: readonly number[], dtype: DType, attrs: any, gradInputs?: Tensor[]): Tensor {
  const device = deviceOf(def.name, ...inputs);
  const out = empty(shape, dtype, device);
  if (out.size > 0) getBackend(device).run(def, inputs, out, attrs);
  return record(def.name, def.grad, gradInputs ?? inputs, out, attrs);
}

export function describe(t: Tensor): string {
  return `${fmt(t.shape)} ${t.dtype}`;
}
