// The wasm backend's run-time state: the heap (one per thread's view of the memory) and the
// kernel cache. A kernel is a module emitted by emit.ts for one shape class (an op, its dtypes,
// a variant such as "unit stride"), compiled once and instantiated against the heap's memory.
//
// Modules stay under 4 KiB: a browser's main thread may only compile that much synchronously, and
// the backend is synchronous (dataSync must return). Worker threads get the compiled modules by
// postMessage (threads.ts) and instantiate them against the same shared memory.
import { ModuleBuilder } from './emit.js';
import { Heap } from './heap.js';

let theHeap: Heap | null = null;

/** The heap of this thread (created on first use). */
export function heap(): Heap {
  return (theHeap ??= new Heap());
}

/** Worker threads adopt the main thread's shared memory. */
export function adoptMemory(memory: WebAssembly.Memory): void {
  theHeap = null;
  attached = memory;
}
let attached: WebAssembly.Memory | null = null;

function memoryOf(): { memory: WebAssembly.Memory; shared: boolean } {
  if (attached) return { memory: attached, shared: true };
  const h = heap();
  return { memory: h.memory, shared: h.shared };
}

/** Host functions a module may import as js.<name> (rare paths that reuse the JS code). */
export type HostFns = Record<string, (...args: number[]) => number>;

export interface Compiled<E> {
  key: string;
  module: WebAssembly.Module;
  exports: E;
  bytes: number;
  host: HostFns;
}

const cache = new Map<string, Compiled<unknown>>();

/**
 * The module for `key`, built by `build` the first time: it receives a builder whose memory import
 * (m.mem) is already declared, and may import host functions from `host`.
 */
export function compiled<E>(key: string, build: (m: ModuleBuilder) => void, host: HostFns = {}): Compiled<E> {
  const hit = cache.get(key);
  if (hit) return hit as Compiled<E>;
  const { memory, shared } = memoryOf();
  const m = new ModuleBuilder();
  m.importMemory('m', 'mem', 1, 65536, shared);
  build(m);
  const bytes = m.bytes();
  const module = new WebAssembly.Module(bytes);
  const exports = new WebAssembly.Instance(module, { m: { mem: memory }, js: host }).exports as E;
  const c: Compiled<E> = { key, module, exports, bytes: bytes.length, host };
  cache.set(key, c);
  return c;
}

/** Instantiates a module compiled elsewhere (a worker receiving the main thread's). */
export function instantiate<E>(module: WebAssembly.Module, host: HostFns = {}): E {
  const { memory } = memoryOf();
  return new WebAssembly.Instance(module, { m: { mem: memory }, js: host }).exports as E;
}

/** The kernels compiled so far: key and size in bytes (tests check the 4 KiB bound). */
export function compiledKernels(): { key: string; bytes: number }[] {
  return [...cache.values()].map((c) => ({ key: c.key, bytes: c.bytes }));
}
