// Tests derived from the op table: every entry's examples (src/autograd/ops/*.ts, `check`) become
// float64 gradient checks and conformance runs on every backend, so a new op, or a new backend, is
// covered without writing a case list. Used by test/autograd/optable.test.ts, the WebGPU
// conformance suite, the QuickJS run and the docs' exercises.
import * as pg from '../../src/index.js';
import type { Backend, Device, Domain, Example, KernelTable, OpDef, Tol } from '../../src/index.js';

/**
 * The backends whose conformance suites run the whole table, by folder of src/autograd/. A backend
 * folder (one with a backend.ts) that is missing here fails test/autograd/optable.test.ts.
 */
export const CONFORMANCE_SUITES: Record<string, string> = {
  cpu: 'test/autograd/optable.test.ts (the reference; QuickJS: test/autograd/quickjs.test.ts)',
  webgpu: 'test/webgpu/conformance.test.ts',
};

/** 0, -0, ±1, small and large, the infinities, NaN, float16's max and 1/3. */
export const SPECIAL = [0, -0, 1, -1, 0.5, -2.5, 3.75, 1e-3, -1e-3, 1e30, -1e30, Infinity, -Infinity, NaN, 65504, 1 / 3];

/** A tensor drawn from `d` (float draws in `float`), made on the CPU with `g`. */
export function realize(d: Domain, g: pg.Generator, float: 'float32' | 'float64'): pg.Tensor {
  return pg.tidy(() => {
    switch (d.kind) {
      case 'normal': {
        const x = pg.randn([...d.shape], { generator: g, dtype: float }).mul(d.scale);
        return d.away > 0 ? pg.where(x.ge(0), x.add(d.away), x.sub(d.away)) : x;
      }
      case 'uniform': return pg.rand([...d.shape], { generator: g, dtype: float, low: d.lo, high: d.hi });
      case 'int': return pg.randint(d.lo, d.hi, [...d.shape], { generator: g });
      case 'bool': return pg.rand([...d.shape], { generator: g }).lt(0.5);
      case 'values': {
        const dtype = d.dtype === 'float' ? float : d.dtype;
        return pg.tensor(Float64Array.from(d.values), { dtype, shape: d.shape ? [...d.shape] : [d.values.length] });
      }
    }
  });
}

/** One example with its op, ready to run: the name shown in tests, and a seed of its own. */
export interface Case {
  op: OpDef;
  example: Example;
  name: string;
  seed: number;
  /** The special-values run of a unary/binary map (inputs replaced by SPECIAL). */
  special?: boolean;
}

/** Every example of every entry (and the special-values runs), in table order. */
export function cases(ops: readonly OpDef[] = pg.OP_LIST): Case[] {
  const out: Case[] = [];
  let seed = 1000;
  for (const op of ops) {
    op.check.examples.forEach((example, i) => {
      out.push({ op, example, name: `${op.name} #${i}${example.note ? ` (${example.note})` : ''}`, seed: seed++ });
    });
    if ((op.kind === 'unary' || op.kind === 'binary') && op.check.special !== false)
      out.push({ op, example: op.check.examples[0], name: `${op.name} (special values)`, seed: seed++, special: true });
  }
  return out;
}

/** The inputs of a case on the CPU (float draws in `float`). */
export function inputsOf(c: Case, float: 'float32' | 'float64'): pg.Tensor[] {
  if (c.special) {
    const x = pg.tensor(Float64Array.from(SPECIAL), { dtype: float });
    return c.example.inputs.length === 1 ? [x] : [x.reshape(SPECIAL.length, 1), x];
  }
  const g = new pg.Generator(c.seed);
  return c.example.inputs.map((d) => realize(d, g, float));
}

/** Runs a case's call on inputs moved to `device`; always a list of outputs. */
export function runCase(c: Case, inputs: pg.Tensor[], device: Device = 'cpu'): pg.Tensor[] {
  return pg.noGrad(() => {
    const xs = inputs.map((t) => (t.device === device ? t : t.to(device)));
    const y = c.example.call(...xs);
    return Array.isArray(y) ? y : [y];
  });
}

/**
 * The float64 gradient checks of a case: every float output against every float input (int and
 * bool inputs held fixed). Returns the number of checks made; throws on a mismatch.
 */
export function gradcheckCase(c: Case): number {
  const inputs = inputsOf(c, 'float64');
  const outs = runCase(c, inputs);
  const floatAt = inputs.map((t, i) => (t.dtype === 'float64' ? i : -1)).filter((i) => i >= 0);
  let n = 0;
  outs.forEach((o, k) => {
    if (o.dtype !== 'float64' || floatAt.length === 0 || o.size === 0) return;
    const fn = (...fs: pg.Tensor[]) => {
      const all = inputs.slice();
      floatAt.forEach((i, j) => (all[i] = fs[j]));
      const y = c.example.call(...all);
      return Array.isArray(y) ? y[k] : y;
    };
    pg.testing.gradcheck(fn, floatAt.map((i) => inputs[i]));
    n++;
  });
  return n;
}

const F = new Float32Array(1);
const U = new Int32Array(F.buffer);
function ordinal(x: number): number {
  F[0] = x;
  const i = U[0];
  return i < 0 ? -(i & 0x7fffffff) : i;
}
export function ulpDistance(a: number, b: number): number {
  return Math.abs(ordinal(a) - ordinal(b));
}

/** Same bits: NaN matches NaN, -0 does not match 0 (float32 outputs compared as float32). */
export function sameBits(a: number, b: number, float: boolean): boolean {
  if (a !== a || b !== b) return a !== a && b !== b;
  return float ? Object.is(Math.fround(a), Math.fround(b)) : a === b;
}

export interface Measure {
  /** Largest error seen: ulps for {ulp}, relative for {rel}. */
  worst: number;
  failure: string | null;
}

/** Compares an output with the CPU's under a tolerance (see Tol in src/autograd/opdef.ts). */
export function compare(got: ArrayLike<number>, cpu: ArrayLike<number>, float: boolean, tol: Tol): Measure {
  if (got.length !== cpu.length) return { worst: Infinity, failure: `lengths differ: ${got.length} vs ${cpu.length}` };
  let worst = 0;
  let scale = 1e-30;
  for (let i = 0; i < cpu.length; i++) if (Number.isFinite(cpu[i])) scale = Math.max(scale, Math.abs(cpu[i]));
  for (let i = 0; i < cpu.length; i++) {
    const g = got[i], c = cpu[i];
    if (Number.isNaN(g) && Number.isNaN(c)) continue;
    const fail = (why: string) => ({ worst: Infinity, failure: `element ${i}: ${g} vs cpu ${c} (${why})` });
    if (tol === 'exact' || !float || !Number.isFinite(c) || !Number.isFinite(g)) {
      if (float ? ordinal(g) !== ordinal(c) : g !== c) return fail(tol === 'exact' ? 'not bit-identical' : 'non-finite values must match');
      continue;
    }
    if ('ulp' in tol) {
      let d = ulpDistance(g, c);
      if (tol.tiny !== undefined && Math.abs(g - c) <= tol.tiny) d = 0;
      worst = Math.max(worst, d);
      if (d > tol.ulp) return fail(`${d} ulp > ${tol.ulp}`);
    } else {
      const r = Math.abs(g - c) / scale;
      worst = Math.max(worst, r);
      if (r > tol.rel) return fail(`relative error ${r.toExponential(2)} > ${tol.rel}`);
    }
  }
  return { worst, failure: null };
}

/**
 * Runs a case on the CPU and on `device` (float32 inputs) and compares: bit for bit when the backend
 * runs in 'reference' precision, within the op's declared tolerance otherwise. Returns the worst
 * error (0 for exact) or throws naming the case and the element.
 */
export async function conformCase(c: Case, device: Device): Promise<number> {
  const backend = pg.getBackend(device);
  const tol: Tol = backend.caps.precision[0] === 'reference' ? 'exact' : (c.op.check.tol ?? 'exact');
  const inputs = inputsOf(c, 'float32');
  const cpu = runCase(c, inputs, 'cpu');
  const dev = runCase(c, inputs, device);
  if (dev.length !== cpu.length) throw new Error(`${c.name}: ${dev.length} outputs on ${device}, ${cpu.length} on the CPU`);
  let worst = 0;
  for (let k = 0; k < cpu.length; k++) {
    if (dev[k].device !== device) throw new Error(`${c.name} [output ${k}]: on ${dev[k].device}, expected ${device}`);
    if (dev[k].shape.join() !== cpu[k].shape.join() || dev[k].dtype !== cpu[k].dtype)
      throw new Error(`${c.name} [output ${k}]: ${dev[k].shape} ${dev[k].dtype} on ${device}, ${cpu[k].shape} ${cpu[k].dtype} on the CPU`);
    const m = compare(await dev[k].data(), cpu[k].dataSync(), cpu[k].dtype === 'float32', tol);
    if (m.failure) throw new Error(`${c.name} [output ${k}] on ${device}: ${m.failure}`);
    worst = Math.max(worst, m.worst);
  }
  return worst;
}

/**
 * A backend on the CPU's storage with another kernel map: the storages say it is theirs, so
 * tensors report `device`. Tests use it to trace which ops run, to force composites, and for stubs.
 */
export function cpuDerivedBackend(device: string, kernels: KernelTable, caps: Partial<Backend['caps']> = {}): Backend {
  const cpu = pg.getBackend('cpu');
  const b: Backend = {
    device,
    caps: { ...cpu.caps, ...caps },
    kernels,
    alloc: (dtype, size) => ({ ...cpu.alloc(dtype, size), backend: b }),
    upload: (dtype, data) => ({ ...cpu.upload(dtype, data), backend: b }),
    release: (s) => cpu.release(s),
    read: (v) => cpu.read(v),
    readSync: (v) => cpu.readSync!(v),
  };
  return b;
}
