// The wasm backend's kernel map: wasm kernels where they pay, and elsewhere the pure-JS CPU kernels,
// which run unchanged on views of the wasm memory (same code, so the same bits).
// `satisfies KernelMap`: a missing entry does not compile.
import type { AdamScalars, Kernel, View } from '../backend.js';
import type { KernelMap } from '../ops/table.js';
import { broadcastStrides, collapseDims, contiguousStrides, isContiguous, shapesEqual, sizeOf } from '../shape.js';
import { cpuKernels } from '../cpu/kernels.js';
import { forEachMatmulBatch } from '../cpu/strided.js';
import { usesPackedPath } from '../cpu/matmul.js';
import type { WasmStorage } from './heap.js';
import { heap, compiled, type Compiled } from './runtime.js';
import { MR, NR_FAST, NR_REF, buildDirect, buildMatmul, scratchBytes } from './matmul.js';
import { buildReduce, type ReduceOp } from './reduce.js';
import { buildSoftmax } from './softmax.js';
import { buildAdam } from './adam.js';
import { adamApplies } from '../cpu/adam.js';
import { runJobs, threadPool } from '../cpu/threads.js';
import { BINARY_LOOPS, UNARY_LOOPS } from '../cpu/elementwise.js';
import { HOST_FNS, buildElementwise, exprKey, supported, treeKey, type Node, type Operand, type StrideClass } from './elementwise.js';
import type { WasmBackend } from './backend.js';

type PackedFn = (a: number, ars: number, acs: number, b: number, brs: number, bcs: number, out: number, ldo: number, M: number, N: number, K: number, scratch: number) => void;

/** Byte address of element `offset` of a view's storage. */
const addr = (v: View, offset: number) => (v.storage as WasmStorage).ptr + offset * (v.dtype === 'float64' ? 8 : v.dtype === 'bool' ? 1 : 4);

const scratch: { ptr: number; bytes: number }[] = [];
/** Matmul scratch for thread t (0: this one), grown on demand and kept (products repeat their sizes). */
function scratchOf(t: number, bytes: number): number {
  const s = scratch[t];
  if (!s || s.bytes < bytes) {
    const h = heap();
    if (s) h.freeBytes(s.ptr, s.bytes);
    scratch[t] = h.allocBytes(bytes);
  }
  return scratch[t].ptr;
}

function matmulModule(f64: boolean, fast: boolean): Compiled<{ packed: PackedFn }> {
  const e = f64 ? 'f64' : 'f32';
  const fastHere = fast && !f64;
  return compiled<{ packed: PackedFn }>(`matmul:${e}:${fastHere ? 'fast' : 'ref'}`, (m) => buildMatmul(m, e, fastHere));
}

type DirectFn = (a: number, ars: number, acs: number, b: number, brs: number, bcs: number, out: number, M: number, N: number, K: number, t: number) => void;
/** The unpacked product (small and vector shapes), in the JS kernel's order. */
function directFn(f64: boolean): DirectFn {
  const e = f64 ? 'f64' : 'f32';
  return compiled<{ direct: DirectFn }>(`matmul-direct:${e}`, (m) => buildDirect(m, e)).exports.direct;
}

/**
 * One packed product; split into row (or column) blocks across the worker threads when a pool
 * runs and the product is large. Each thread packs into its own scratch and writes its own block of
 * the output, straight in the shared memory; each element's sum has the same order whichever
 * thread forms it, so the bits do not depend on the split.
 */
function packedProduct(mod: Compiled<{ packed: PackedFn }>, es: number, fast: boolean,
  a: number, ars: number, acs: number, b: number, brs: number, bcs: number, out: number, M: number, N: number, K: number): void {
  const pool = threadPool();
  const byRows = M >= N;
  const len = byRows ? M : N;
  const tile = byRows ? MR : fast ? NR_FAST : NR_REF;
  const T = pool && M * N * K >= pool.minMacs ? Math.min(pool.threads, Math.floor(len / tile)) : 1;
  if (T < 2) {
    mod.exports.packed(a, ars, acs, b, brs, bcs, out, N, M, N, K, scratchOf(0, scratchBytes(M, N, K, fast)));
    return;
  }
  const cut = (t: number) => (t === T ? len : Math.round((len * t) / T / tile) * tile);
  // Block t: [cut(t), cut(t + 1)) of the split dim, as (a, b, out, M, N).
  const args = (t: number): number[] => {
    const lo = cut(t), w = cut(t + 1) - lo;
    const [m, n] = byRows ? [w, N] : [M, w];
    const aa = byRows ? a + lo * ars * es : a, bb = byRows ? b : b + lo * bcs * es, oo = byRows ? out + lo * N * es : out + lo * es;
    return [aa, ars, acs, bb, brs, bcs, oo, N, m, n, K, scratchOf(t, scratchBytes(m, n, K, fast))];
  };
  const all = Array.from({ length: T }, (_, t) => args(t)); // scratch first: allocation may grow the memory
  const jobs = all.slice(1).map((arg) => ({ kind: 'wasm', key: mod.key, module: mod.module, memory: heap().memory, fn: 'packed', args: arg }));
  const run = (arg: number[]) => (mod.exports.packed as (...x: number[]) => void)(...arg);
  runJobs(jobs, () => run(all[0]), (t) => run(all[t + 1]));
}

/** [..., M, K] @ [..., K, N]: one product per output batch index (as the CPU's kernel). */
const matmul: Kernel<{ batch: number[] }> = ([a, b], out, { batch }) => {
  const M = a.shape[a.shape.length - 2], K = a.shape[a.shape.length - 1], N = b.shape[b.shape.length - 1];
  const ra = a.shape.length, rb = b.shape.length;
  const ars = a.strides[ra - 2], acs = a.strides[ra - 1], brs = b.strides[rb - 2], bcs = b.strides[rb - 1];
  const packed = usesPackedPath(M, N, K);
  const fast = (out.storage.backend as WasmBackend).precision === 'fast';
  const f64 = out.dtype === 'float64';
  const mod = packed ? matmulModule(f64, fast) : null;
  const es = f64 ? 8 : 4;
  const direct = packed ? null : directFn(f64);
  const t = packed ? 0 : scratchOf(0, 8 * Math.max(M, N, 2));
  forEachMatmulBatch(a, b, batch, (i, ao, bo) => {
    if (mod) packedProduct(mod, es, fast && !f64, addr(a, ao), ars, acs, addr(b, bo), brs, bcs, addr(out, i * M * N), M, N, K);
    else direct!(addr(a, ao), ars, acs, addr(b, bo), brs, bcs, addr(out, i * M * N), M, N, K, t);
  });
};

// ---------------------------------------------------------------- elementwise
type RunFn = (...args: number[]) => void;
const esOf = (v: View) => (v.dtype === 'float64' ? 8 : v.dtype === 'bool' ? 1 : 4);
const DT_CODE = { float32: 0, float64: 1, int32: 2, bool: 3 } as const;
const CLASSES: readonly StrideClass[] = ['unit', 'zero', 'any'];
const classOf = (s: number) => (s === 1 ? 0 : s === 0 ? 1 : 2);

/**
 * The compiled kernels of one expression, by a number coding its inputs' dtypes and inner-stride
 * classes and the precision (so the hot path builds no string).
 */
class ExprKernels {
  private readonly byCode = new Map<number, RunFn>();
  constructor(private readonly root: Node) {}

  get(inputs: readonly View[], classes: number[], out: View, fast: boolean): RunFn {
    let code = fast ? 1 : 0;
    for (let k = 0; k < inputs.length; k++) code = code * 12 + DT_CODE[inputs[k].dtype] * 3 + classes[k];
    code = code * 4 + DT_CODE[out.dtype];
    let fn = this.byCode.get(code);
    if (!fn) {
      const ins: Operand[] = inputs.map((v, k) => ({ dtype: v.dtype, stride: CLASSES[classes[k]] }));
      const root = this.root;
      fn = compiled<{ run: RunFn }>(exprKey(root, ins, out.dtype, fast), (m) => buildElementwise(m, root, ins, out.dtype, fast), HOST_FNS).exports.run;
      this.byCode.set(code, fn);
    }
    return fn;
  }
}

const contiguousLike = (v: View, out: View) => (v.shape.length === 0 || shapesEqual(v.shape, out.shape)) && isContiguous(v.shape, v.strides);
const scratchClasses: number[] = [0, 0, 0, 0];

/**
 * Runs an expression over `inputs` (broadcast to out's shape) into out: dims merged where every
 * operand allows, the last two dims walked by the kernel, any others here.
 */
export function runExpr(kernels: ExprKernels, inputs: readonly View[], out: View): void {
  const nIn = inputs.length;
  const fast = (out.storage.backend as WasmBackend).precision === 'fast';
  // Every operand whole and contiguous (or a 0-d scalar): one row, no stride bookkeeping.
  let simple = true;
  for (let k = 0; k < nIn; k++) if (!contiguousLike(inputs[k], out)) { simple = false; break; }
  if (simple) {
    const total = out.storage.size;
    const cls = nIn <= 4 ? scratchClasses : new Array<number>(nIn);
    for (let k = 0; k < nIn; k++) cls[k] = inputs[k].shape.length === 0 ? 1 : 0;
    const run = kernels.get(inputs, cls, out, fast);
    const y = addr(out, 0);
    const a0 = inputs[0], a1 = inputs[1], a2 = inputs[2];
    if (nIn === 1) run(addr(a0, a0.offset), 0, esOf(a0), y, 1, total);
    else if (nIn === 2) run(addr(a0, a0.offset), 0, cls[0] === 1 ? 0 : esOf(a0), addr(a1, a1.offset), 0, cls[1] === 1 ? 0 : esOf(a1), y, 1, total);
    else if (nIn === 3) run(addr(a0, a0.offset), 0, cls[0] === 1 ? 0 : esOf(a0), addr(a1, a1.offset), 0, cls[1] === 1 ? 0 : esOf(a1), addr(a2, a2.offset), 0, cls[2] === 1 ? 0 : esOf(a2), y, 1, total);
    else {
      const args: number[] = [];
      for (const v of inputs) args.push(addr(v, v.offset), 0, v.shape.length === 0 ? 0 : esOf(v));
      run(...args, y, 1, total);
    }
    return;
  }
  const c = collapseDims(out.shape, [...inputs.map((v) => broadcastStrides(v.shape, v.strides, out.shape)), contiguousStrides(out.shape)]);
  const shape = c.shape, strides = c.strides;
  const rank = shape.length;
  const n = shape[rank - 1], rows = rank >= 2 ? shape[rank - 2] : 1;
  const cls = inputs.map((_, k) => classOf(strides[k][rank - 1]));
  const run = kernels.get(inputs, cls, out, fast);
  const args: number[] = new Array(3 * nIn + 3);
  const base = inputs.map((v) => addr(v, v.offset));
  const es = inputs.map(esOf);
  for (let k = 0; k < nIn; k++) {
    args[3 * k + 1] = rank >= 2 ? strides[k][rank - 2] * es[k] : 0;
    args[3 * k + 2] = strides[k][rank - 1] * es[k];
  }
  args[3 * nIn + 1] = rows;
  args[3 * nIn + 2] = n;
  const y = addr(out, 0), slab = rows * n * esOf(out);
  // Dims before the last two: an odometer over slabs.
  const outer = rank > 2 ? shape.slice(0, rank - 2) : [];
  const slabs = sizeOf(outer);
  const idx = new Array<number>(outer.length).fill(0);
  for (let sIdx = 0; sIdx < slabs; sIdx++) {
    for (let k = 0; k < nIn; k++) {
      let p = base[k];
      for (let d = 0; d < outer.length; d++) p += idx[d] * strides[k][d] * es[k];
      args[3 * k] = p;
    }
    args[3 * nIn] = y + sIdx * slab;
    run(...args);
    for (let d = outer.length - 1; d >= 0; d--) {
      if (++idx[d] < outer[d]) break;
      idx[d] = 0;
    }
  }
}

/** The kernels of fused expressions, by the expression's key. */
const fusedKernels = new Map<string, ExprKernels>();
export function runFusedExpr(root: Node, inputs: readonly View[], out: View): void {
  const key = treeKey(root);
  let k = fusedKernels.get(key);
  if (!k) fusedKernels.set(key, (k = new ExprKernels(root)));
  runExpr(k, inputs, out);
}

/** A kernel running `op` in wasm where its dtypes have lanes, else the JS kernel (int32 ops, float64 transcendentals, pow). */
function elementwise(op: string, js: Kernel): Kernel {
  const byArity: ExprKernels[] = [];
  const support = new Map<number, boolean>();
  return (inputs, out, attrs) => {
    let code = DT_CODE[out.dtype];
    for (let k = 0; k < inputs.length; k++) code = code * 4 + DT_CODE[inputs[k].dtype];
    let ok = support.get(code);
    if (ok === undefined) support.set(code, (ok = supported(op, inputs.map((v) => v.dtype), out.dtype)));
    if (!ok) return js(inputs, out, attrs);
    // One expression per arity: op(in0, ...); dtypes are per input (the node's own dtype is out's).
    let k = byArity[inputs.length * 4 + DT_CODE[out.dtype]];
    if (!k) {
      const root: Node = { t: 'op', op, dtype: out.dtype, args: inputs.map((_, i) => ({ t: 'in', i }) as Node) };
      k = byArity[inputs.length * 4 + DT_CODE[out.dtype]] = new ExprKernels(root);
    }
    runExpr(k, inputs, out);
  };
}

// ---------------------------------------------------------------- reductions
type ReduceFn = (x: number, stride: number, n: number, y: number, count: number) => void;

/**
 * sum / max / min of float32 or float64 rows in wasm: the op hands over a view whose last dims
 * (n elements) are reduced. Where the reduced dims merge into one strided dim, each block of kept
 * elements along the innermost kept dim runs the rows kernel (reduced elements contiguous) or the
 * cols kernel (kept elements contiguous); the outer kept dims, if they do not merge, are walked
 * here (e.g. a sum over dim 1 of [B, T, D]: one cols call per b). Every output element is reduced
 * in the same order either way. Other layouts and dtypes keep the JS kernel.
 */
function reduceKernel(op: ReduceOp, js: Kernel<{ n: number }>): Kernel<{ n: number }> {
  return (inputs, out, attrs) => {
    const [x] = inputs;
    const { n } = attrs;
    if ((x.dtype !== 'float32' && x.dtype !== 'float64') || out.dtype !== x.dtype || n === 0) return js(inputs, out, attrs);
    let split = x.shape.length, prod = 1;
    while (split > 0 && prod < n) prod *= x.shape[--split];
    const red = collapseDims(x.shape.slice(split), [x.strides.slice(split)]);
    if (red.shape.length !== 1) return js(inputs, out, attrs);
    const kept = collapseDims(x.shape.slice(0, split), [x.strides.slice(0, split)]);
    const L = kept.shape.length, inner = kept.shape[L - 1];
    const rs = inner === 1 ? 0 : kept.strides[0][L - 1], ks = red.strides[0][0];
    const fn = ks === 1 ? 'rows' : rs === 1 || inner === 1 ? 'cols' : null;
    if (!fn) return js(inputs, out, attrs);
    const es = x.dtype === 'float64' ? 8 : 4;
    const mod = compiled<{ rows: ReduceFn; cols: ReduceFn }>(`reduce:${op}:${x.dtype}`, (m) => buildReduce(m, op, x.dtype)).exports;
    const outer = kept.shape.slice(0, L - 1), os = kept.strides[0].slice(0, L - 1);
    const blocks = sizeOf(outer), idx = new Array<number>(outer.length).fill(0);
    for (let b = 0, off = x.offset; b < blocks; b++) {
      if (fn === 'rows') mod.rows(addr(x, off), rs * es, n, addr(out, b * inner), inner);
      else mod.cols(addr(x, off), ks * es, n, addr(out, b * inner), inner);
      // the next outer index (last dim fastest), and its offset
      for (let d = outer.length - 1; d >= 0; d--) {
        off += os[d];
        if (++idx[d] < outer[d]) break;
        off -= os[d] * outer[d];
        idx[d] = 0;
      }
    }
  };
}

const mapKernels = <T extends Record<string, Kernel>>(loops: T): { [K in keyof T]: Kernel } =>
  Object.fromEntries(Object.entries(loops).map(([op, k]) => [op, elementwise(op, k)])) as { [K in keyof T]: Kernel };

export const wasmKernels = {
  ...cpuKernels,
  ...mapKernels(UNARY_LOOPS),
  ...mapKernels(BINARY_LOOPS),
  where: elementwise('where', cpuKernels.where),
  sum: reduceKernel('sum', cpuKernels.sum),
  max: reduceKernel('max', cpuKernels.max),
  min: reduceKernel('min', cpuKernels.min),
  matmul,
} satisfies KernelMap;

// ---------------------------------------------------------------- softmax
type SoftmaxFn = (x: number, y: number, e: number, s: number, count: number, n: number) => void;

/** Work of one softmax element in multiply-adds, for the pool's minMacs threshold (exp dominates). */
const SOFTMAX_MACS = 16;

/**
 * Backend.softmaxRows: the fused kernel of softmax.ts (softmax or logSoftmax) on contiguous float32 rows; blocks of rows
 * on the worker threads when a pool runs and the input is large (rows are independent: the bits
 * do not depend on the split).
 */
export function softmaxRows(x: View, out: View, e: View, s: View, log = false): boolean {
  const rank = x.shape.length;
  const f32 = (v: View) => v.dtype === 'float32' && isContiguous(v.shape, v.strides);
  if (rank === 0 || !f32(x) || !f32(out) || !f32(e) || !f32(s)) return false;
  const n = x.shape[rank - 1], size = sizeOf(x.shape);
  if (size === 0) return true;
  const fast = (out.storage.backend as WasmBackend).precision === 'fast';
  const mod = compiled<{ rows: SoftmaxFn }>(`${log ? 'logSoftmax' : 'softmax'}:${fast ? 'fast' : 'ref'}`, (m) => buildSoftmax(m, fast, log), HOST_FNS);
  const rows = size / n, xp = addr(x, x.offset), yp = addr(out, out.offset), ep = addr(e, e.offset), sp = addr(s, s.offset);
  const block = (lo: number, hi: number): number[] => [xp + lo * n * 4, yp + lo * n * 4, ep + lo * n * 4, sp + lo * 4, hi - lo, n];
  const pool = threadPool();
  const T = pool && size * SOFTMAX_MACS >= pool.minMacs ? Math.min(pool.threads, rows) : 1;
  if (T < 2) {
    mod.exports.rows(xp, yp, ep, sp, rows, n);
    return true;
  }
  const all = Array.from({ length: T }, (_, t) => block(Math.round((rows * t) / T), Math.round((rows * (t + 1)) / T)));
  const jobs = all.slice(1).map((arg) => ({ kind: 'wasm', key: mod.key, module: mod.module, memory: heap().memory, fn: 'rows', args: arg }));
  const run = (arg: number[]) => (mod.exports.rows as (...a: number[]) => void)(...arg);
  runJobs(jobs, () => run(all[0]), (t) => run(all[t + 1]));
  return true;
}

// ---------------------------------------------------------------- Adam
type AdamFn = (p: number, g: number, m: number, v: number, n: number, c1: number, b2: number, c2: number, sb: number, eps: number, ns: number) => void;

/** Backend.adamStep: the update of adam.ts in place, over the whole of p, m and v. */
export function adamStep(p: View, g: View, m: View, v: View, c: AdamScalars): boolean {
  if (!adamApplies(p, g, m, v)) return false;
  const mod = compiled<{ step: AdamFn }>(`adam:${p.dtype}`, (mb) => buildAdam(mb, p.dtype === 'float64'));
  mod.exports.step(addr(p, 0), addr(g, g.offset), addr(m, 0), addr(v, 0), sizeOf(p.shape), c.c1, c.b2, c.c2, c.sqrtBc2, c.eps, c.negStep);
  return true;
}
