// Test helpers exported to users: closeness checks and a float64 finite-difference gradcheck.
import { Tensor } from './tensor.js';
import { fmt } from './shape.js';
import { valueAndGrad, noGrad } from './engine.js';
import { tensor } from './ops/creation.js';
import * as R from './random.js';

export interface CloseOpts {
  rtol?: number;
  atol?: number;
  equalNan?: boolean;
}

/** Largest |a-b| - (atol + rtol*|b|) violation, or null when a and b are close everywhere. */
export function closeReport(a: ArrayLike<number>, b: ArrayLike<number>, opts: CloseOpts = {}): string | null {
  const rtol = opts.rtol ?? 1e-5, atol = opts.atol ?? 1e-8;
  if (a.length !== b.length) return `lengths differ: ${a.length} vs ${b.length}`;
  let worst = -1, at = -1;
  for (let i = 0; i < a.length; i++) {
    const x = a[i], y = b[i];
    if (x !== x || y !== y) {
      if (opts.equalNan && x !== x && y !== y) continue;
      return `NaN at ${i}: ${x} vs ${y}`;
    }
    if (x === y) continue;
    const excess = Math.abs(x - y) - (atol + rtol * Math.abs(y));
    if (excess > worst) { worst = excess; at = i; }
  }
  return worst > 0 ? `mismatch at ${at}: ${a[at]} vs ${b[at]} (|diff| ${Math.abs(a[at] - b[at]).toExponential(3)}, atol ${atol}, rtol ${rtol})` : null;
}

function values(x: Tensor | ArrayLike<number> | number): ArrayLike<number> {
  if (typeof x === 'number') return [x];
  if (x instanceof Tensor) return x.dataSync();
  return x;
}

/** True when a and b have the same shape (if tensors) and are elementwise close. */
export function allclose(a: Tensor | ArrayLike<number> | number, b: Tensor | ArrayLike<number> | number, opts: CloseOpts = {}): boolean {
  if (a instanceof Tensor && b instanceof Tensor && a.shape.join() !== b.shape.join()) return false;
  return closeReport(values(a), values(b), opts) === null;
}

/** Throws a descriptive error unless a and b are close. */
export function assertClose(a: Tensor | ArrayLike<number> | number, b: Tensor | ArrayLike<number> | number, opts: CloseOpts = {}): void {
  if (a instanceof Tensor && b instanceof Tensor && a.shape.join() !== b.shape.join())
    throw new Error(`assertClose: shapes differ: ${fmt(a.shape)} vs ${fmt(b.shape)}`);
  const r = closeReport(values(a), values(b), opts);
  if (r) throw new Error(`assertClose: ${r}`);
}

export interface GradcheckOpts {
  eps?: number;
  atol?: number;
  rtol?: number;
  /** Seed of the random output projection used for non-scalar outputs. */
  seed?: number;
}

/**
 * Compares autograd gradients of fn at `inputs` (float64 tensors) with central finite
 * differences. Non-scalar outputs are projected on a fixed random vector v (checking the
 * vector-Jacobian product v^T J). Returns true or throws an Error naming the worst element.
 */
export function gradcheck(fn: (...xs: Tensor[]) => Tensor, inputs: Tensor[], opts: GradcheckOpts = {}): true {
  const eps = opts.eps ?? 1e-6, atol = opts.atol ?? 1e-5, rtol = opts.rtol ?? 1e-3;
  for (const x of inputs)
    if (x.dtype !== 'float64') throw new Error(`gradcheck: inputs must be float64 for reliable finite differences, got ${x.dtype} ${fmt(x.shape)}`);
  const probe = noGrad(() => fn(...inputs));
  const v = new Float64Array(probe.size);
  R.fillUniform(opts.seed ?? 1234, 0, v, -1, 1);
  const vt = tensor(v, { dtype: 'float64', shape: probe.shape });
  const scalarFn = (...xs: Tensor[]) => fn(...xs).mul(vt).sum();
  const argnums = inputs.map((_, i) => i);
  const [, analytic] = valueAndGrad(scalarFn, argnums)(...inputs);
  inputs.forEach((x, k) => {
    const base = x.dataSync() as Float64Array;
    const num = new Float64Array(base.length);
    for (let i = 0; i < base.length; i++) {
      const at = (delta: number) => {
        const p = base.slice();
        p[i] += delta;
        const xs = inputs.map((y, j) => (j === k ? tensor(p, { dtype: 'float64', shape: x.shape }) : y));
        return noGrad(() => scalarFn(...xs).itemSync());
      };
      num[i] = (at(eps) - at(-eps)) / (2 * eps);
    }
    const ana = (analytic[k] as Tensor).dataSync();
    const r = closeReport(ana, num, { atol, rtol });
    if (r) throw new Error(`gradcheck: input ${k} ${fmt(x.shape)}: analytic vs numeric ${r}`);
  });
  return true;
}
