// The wasm backend's kernel map: wasm kernels where they pay, and elsewhere the pure-JS CPU kernels,
// which run unchanged on views of the wasm memory (same code, so the same bits).
// `satisfies KernelMap`: a missing entry does not compile.
import type { Kernel, View } from '../backend.js';
import type { KernelMap } from '../ops/table.js';
import type { FloatArray } from '../dtype.js';
import { broadcastStrides, contiguousStrides, sizeOf } from '../shape.js';
import { cpuKernels } from '../cpu/kernels.js';
import { matmulKernel as jsMatmul, usesPackedPath } from '../cpu/matmul.js';
import type { WasmStorage } from './heap.js';
import { heap, compiled, type Compiled } from './runtime.js';
import { MR, NR_FAST, NR_REF, buildMatmul, scratchBytes } from './matmul.js';
import { runJobs, threadPool } from '../cpu/threads.js';
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
  const sa = broadcastStrides(a.shape.slice(0, -2), a.strides.slice(0, -2), batch);
  const sb = broadcastStrides(b.shape.slice(0, -2), b.strides.slice(0, -2), batch);
  const bstr = contiguousStrides(batch);
  const nb = sizeOf(batch);
  const packed = usesPackedPath(M, N, K);
  const fast = (out.storage.backend as WasmBackend).precision === 'fast';
  const f64 = out.dtype === 'float64';
  const mod = packed ? matmulModule(f64, fast) : null;
  const es = f64 ? 8 : 4;
  for (let i = 0; i < nb; i++) {
    let ao = a.offset, bo = b.offset, rem = i;
    for (let d = 0; d < batch.length; d++) {
      const k = Math.floor(rem / bstr[d]);
      rem -= k * bstr[d];
      ao += k * sa[d];
      bo += k * sb[d];
    }
    if (mod) packedProduct(mod, es, fast && !f64, addr(a, ao), ars, acs, addr(b, bo), brs, bcs, addr(out, i * M * N), M, N, K);
    else jsMatmul(a.storage.data as FloatArray, ao, ars, acs, b.storage.data as FloatArray, bo, brs, bcs, out.storage.data as FloatArray, i * M * N, M, N, K);
  }
};

export const wasmKernels = {
  ...cpuKernels,
  matmul,
} satisfies KernelMap;
