// The wasm backend's memory: one WebAssembly.Memory holding every tensor's elements, and an
// allocator of byte ranges in it. Kernels get byte addresses; JS code (readback, the pure-JS
// kernels the backend reuses) gets typed-array views of the same bytes.
//
// Growth never leaves a stale view. Where SharedArrayBuffer exists (Node; cross-origin-isolated
// pages) the memory is shared: growing it does not detach the old buffer, so views made before
// stay valid (and worker threads see the same bytes). Otherwise growing detaches the buffer, and
// the heap re-makes the `data` view of every live storage at once (it keeps them in a set).
// Code must read `storage.data` after any allocation, never keep a view across one.
//
// Allocator: blocks are multiples of 16 bytes (aligned for v128 loads), rounded up to one of 8
// size classes per power of two (at most 12.5% waste), so a freed block fits the next request of
// its class exactly. A freed block first waits in its class's quick list (reused as it is, with its
// view); before the memory grows, and past 256 MiB of them, blocks are filed as free blocks, which
// merge with free neighbours, a free block at the top going back to the unallocated end. The memory only grows (WebAssembly cannot shrink it): its size is
// the high-water mark of live tensors plus kernel scratch.
import type { Backend, Storage } from '../backend.js';
import type { DType, TypedArray } from '../dtype.js';
import { bytesPerElement } from '../dtype.js';

const PAGE = 65536;
/** wasm32's limit: 4 GiB. */
const MAX_PAGES = 65536;
/** Address 0 is never a block (a zero pointer is a bug, not a tensor). */
const BASE = 64;

export interface WasmStorage extends Storage {
  /** Byte address of the first element (0 for an empty storage). */
  readonly ptr: number;
  /** Bytes of the block (a size class; 0 for an empty storage). */
  readonly bytes: number;
}

const pow2 = (e: number) => (e < 30 ? 1 << e : 2 ** e);

/** The size class of a request: its index and its size (a multiple of 16). */
function classIndex(bytes: number): number {
  // (arithmetic, not `& ~15`: a bitwise op would wrap requests of 2 GiB and more)
  const b = bytes <= 16 ? 16 : Math.ceil(bytes / 16) * 16;
  if (b <= 256) return (b >> 4) - 1; // 16, 32, .., 256: classes 0..15
  const e = 31 - Math.clz32(b - 1); // 2^e < b <= 2^(e+1)
  const step = pow2(e - 3); // 8 classes between 2^e and 2^(e+1)
  return 16 + (e - 8) * 8 + (Math.ceil((b - pow2(e)) / step) - 1);
}

/** The size of class `index`. */
function classSize(index: number): number {
  if (index < 16) return (index + 1) << 4;
  const e = 8 + ((index - 16) >> 3), k = ((index - 16) & 7) + 1;
  return pow2(e) + k * pow2(e - 3);
}

/** The largest class not above `bytes` (where a free block of that size is filed). */
function floorClass(bytes: number): number {
  if (bytes < 16) return -1;
  if (bytes <= 256) return (bytes >> 4) - 1;
  const e = 31 - Math.clz32(bytes - 1);
  const step = pow2(e - 3);
  const k = Math.floor((bytes - pow2(e)) / step); // 0..8
  return k === 0 ? (e === 8 ? 15 : 16 + (e - 9) * 8 + 7) : 16 + (e - 8) * 8 + (k - 1);
}

const CLASSES = 16 + 24 * 8 + 8;
/** At most this many bytes wait in the quick lists. */
const QUICK_LIMIT = 256 * 1024 * 1024;

function viewDType(v: TypedArray): DType {
  return v instanceof Float32Array ? 'float32' : v instanceof Float64Array ? 'float64' : v instanceof Int32Array ? 'int32' : 'bool';
}

function viewOf(buffer: ArrayBufferLike, dtype: DType, ptr: number, size: number): TypedArray {
  switch (dtype) {
    case 'float32': return new Float32Array(buffer, ptr, size);
    case 'float64': return new Float64Array(buffer, ptr, size);
    case 'int32': return new Int32Array(buffer, ptr, size);
    case 'bool': return new Uint8Array(buffer, ptr, size);
  }
}

export class Heap {
  readonly memory: WebAssembly.Memory;
  /** Shared memory: views survive growth, worker threads can use it. */
  readonly shared: boolean;
  private top = BASE;
  private readonly freeStart = new Map<number, number>(); // start -> bytes
  private readonly freeEnd = new Map<number, number>(); // end -> start
  private readonly bins: Set<number>[] = Array.from({ length: CLASSES }, () => new Set<number>());
  /** Live storages, to re-make their views when a non-shared memory grows (unused when shared). */
  private readonly live = new Set<WasmStorage>();
  private readonly onGrow: (() => void)[] = [];
  /**
   * Quick lists: blocks freed recently, by size class, reused as they are (no search, no merge):
   * training loops allocate the same sizes step after step. The views of freed storages are kept
   * with them, for the next storage of the same dtype and size. They are merged into the free
   * blocks before the memory grows.
   */
  private readonly quickPtr: number[][] = Array.from({ length: CLASSES }, () => []);
  private readonly quickView: (TypedArray | null)[][] = Array.from({ length: CLASSES }, () => []);
  private quickBytes = 0;
  /** Bytes in live blocks (tensors and scratch). */
  usedBytes = 0;

  constructor(opts: { shared?: boolean; initialPages?: number } = {}) {
    const canShare = typeof SharedArrayBuffer !== 'undefined';
    const shared = opts.shared ?? canShare;
    let memory: WebAssembly.Memory;
    try {
      memory = new WebAssembly.Memory({ initial: opts.initialPages ?? 16, maximum: MAX_PAGES, shared } as WebAssembly.MemoryDescriptor);
    } catch {
      if (!shared) throw new Error('wasm: cannot create a WebAssembly.Memory');
      memory = new WebAssembly.Memory({ initial: opts.initialPages ?? 16, maximum: MAX_PAGES });
    }
    this.memory = memory;
    this.shared = typeof SharedArrayBuffer !== 'undefined' && memory.buffer instanceof SharedArrayBuffer;
  }

  /** The current buffer (a new object after growth). */
  get buffer(): ArrayBufferLike {
    return this.memory.buffer;
  }

  /** Registers a callback run after the memory grows (to re-make views kept outside storages). */
  whenGrown(fn: () => void): void {
    this.onGrow.push(fn);
  }

  /** A block of at least `bytes` bytes (16-aligned); returns its address and size. */
  allocBytes(bytes: number): { ptr: number; bytes: number } {
    this.checkFits(bytes);
    const index = classIndex(bytes);
    return { ptr: this.allocClass(index, null), bytes: classSize(index) };
  }

  /** A block of class `index`; `view` receives the kept view of a quick-list block (if any). */
  private allocClass(index: number, view: { v: TypedArray | null } | null): number {
    const size = classSize(index);
    this.usedBytes += size;
    const q = this.quickPtr[index];
    if (q.length > 0) {
      this.quickBytes -= size;
      const v = this.quickView[index].pop()!;
      if (view) view.v = v;
      return q.pop()!;
    }
    let ptr = this.takeFree(index, size);
    if (ptr < 0 && this.top + size > this.memory.buffer.byteLength && this.quickBytes > 0) {
      this.flushQuick(); // merge what the quick lists hold before growing
      ptr = this.takeFree(index, size);
    }
    if (ptr < 0) {
      ptr = this.top;
      this.ensure(ptr + size);
      this.top = ptr + size;
    }
    return ptr;
  }

  /** Returns a block from allocBytes. */
  freeBytes(ptr: number, bytes: number): void {
    this.freeBlock(ptr, bytes, null);
  }

  private freeBlock(ptr: number, bytes: number, view: TypedArray | null): void {
    this.usedBytes -= bytes;
    if (this.quickBytes + bytes <= QUICK_LIMIT) {
      const index = classIndex(bytes);
      this.quickPtr[index].push(ptr);
      this.quickView[index].push(view);
      this.quickBytes += bytes;
      return;
    }
    this.merge(ptr, bytes);
  }

  /** Files a free block, merged with its free neighbours (or returned to the unallocated top). */
  private merge(ptr: number, bytes: number): void {
    let start = ptr, end = ptr + bytes;
    const before = this.freeEnd.get(start);
    if (before !== undefined) { this.unfile(before); start = before; }
    const afterSize = this.freeStart.get(end);
    if (afterSize !== undefined) { this.unfile(end); end += afterSize; }
    if (end === this.top) this.top = start; // back to the unallocated end
    else this.file(start, end - start);
  }

  /** A storage of `size` elements of `dtype`, owned by `backend`. */
  alloc(backend: Backend, dtype: DType, size: number): WasmStorage {
    if (size === 0) return { backend, dtype, size, data: viewOf(new ArrayBuffer(0), dtype, 0, 0), refs: 0, ptr: 0, bytes: 0 };
    const bytes = size * bytesPerElement(dtype);
    this.checkFits(bytes);
    const index = classIndex(bytes);
    const kept = this.kept;
    kept.v = null;
    const ptr = this.allocClass(index, kept);
    const v = kept.v as TypedArray | null;
    const data = v !== null && v.length === size && viewDType(v) === dtype ? v : viewOf(this.memory.buffer, dtype, ptr, size);
    const s: WasmStorage = { backend, dtype, size, data, refs: 0, ptr, bytes: classSize(index) };
    if (!this.shared) this.live.add(s);
    return s;
  }
  private readonly kept: { v: TypedArray | null } = { v: null };

  release(s: Storage): void {
    const w = s as WasmStorage;
    if (w.bytes > 0) {
      this.freeBlock(w.ptr, w.bytes, this.shared ? (s.data as TypedArray) : null);
      if (!this.shared) this.live.delete(w);
    }
    s.data = null;
  }

  /** Merges the quick lists into the free blocks. */
  private flushQuick(): void {
    for (let c = 0; c < CLASSES; c++) {
      const q = this.quickPtr[c];
      if (q.length === 0) continue;
      const size = classSize(c);
      for (const ptr of q) this.merge(ptr, size);
      q.length = 0;
      this.quickView[c].length = 0;
    }
    this.quickBytes = 0;
  }

  /** Makes the memory at least `end` bytes long. */
  private ensure(end: number): void {
    const have = this.memory.buffer.byteLength;
    if (end <= have) return;
    const pages = Math.ceil((end - have) / PAGE);
    // Grow by at least a quarter of the current size: fewer growths (each may copy on some engines).
    const want = Math.max(pages, Math.ceil(have / PAGE / 4));
    const cur = have / PAGE;
    const add = Math.min(want, MAX_PAGES - cur);
    if (add < pages) throw this.outOfMemory(end);
    try {
      this.memory.grow(add);
    } catch {
      throw this.outOfMemory(end, `the engine refused to grow the memory past ${Math.round(have / 2 ** 20)} MiB`);
    }
    if (!this.shared) {
      const buf = this.memory.buffer;
      for (const s of this.live) s.data = viewOf(buf, s.dtype, s.ptr, s.size);
    }
    for (const fn of this.onGrow) fn();
  }

  /** Refuses a block larger than the memory can ever be (before its size class is computed). */
  private checkFits(bytes: number): void {
    if (bytes > MAX_PAGES * PAGE - BASE) throw this.outOfMemory(this.top + bytes);
  }

  /**
   * The error of a heap that cannot grow, with what is alive and the likely cause: tensors dropped
   * without dispose() are released by the GC safety net's callbacks, and those run only between
   * tasks, never inside one synchronous loop (a loop that leaves its tensors, and the graphs they
   * head, to the GC fills the heap).
   */
  private outOfMemory(end: number, why = "WebAssembly's limit is 4096 MiB"): Error {
    return new Error(
      `wasm: out of memory: ${Math.ceil(end / 2 ** 20)} MiB needed, ${why}; live tensors hold ${Math.round(this.usedBytes / 2 ** 20)} MiB. ` +
        'Tensors dropped without dispose() give their memory back only when the garbage collector\'s callbacks run, between tasks ' +
        '(after an await), never inside a synchronous loop: wrap each iteration in pg.tidy(() => ...), dispose() what you keep, ' +
        'run evaluation under pg.noGrad (a recorded graph holds its intermediates until backward, or until its outputs are disposed), or await between iterations',
    );
  }

  private file(start: number, bytes: number): void {
    if (bytes <= 0) return;
    this.freeStart.set(start, bytes);
    this.freeEnd.set(start + bytes, start);
    this.bins[floorClass(bytes)].add(start);
  }

  private unfile(start: number): void {
    const bytes = this.freeStart.get(start)!;
    this.freeStart.delete(start);
    this.freeEnd.delete(start + bytes);
    this.bins[floorClass(bytes)].delete(start);
  }

  /** A free block of at least `size` bytes from bin `index` upwards (split if larger), or -1. */
  private takeFree(index: number, size: number): number {
    for (let c = index; c < CLASSES; c++) {
      const bin = this.bins[c];
      if (bin.size === 0) continue;
      for (const start of bin) {
        const bytes = this.freeStart.get(start)!;
        if (bytes < size) continue; // only possible in the first bin looked at
        this.unfile(start);
        if (bytes > size) this.file(start + size, bytes - size);
        return start;
      }
    }
    return -1;
  }

  /** Diagnostics for tests: the memory's size, the top of the allocated range, free bytes below it. */
  stats(): { memoryBytes: number; top: number; freeBytes: number; usedBytes: number; freeBlocks: number; quickBytes: number } {
    let free = 0;
    for (const b of this.freeStart.values()) free += b;
    return { memoryBytes: this.memory.buffer.byteLength, top: this.top, freeBytes: free, usedBytes: this.usedBytes, freeBlocks: this.freeStart.size, quickBytes: this.quickBytes };
  }
}
