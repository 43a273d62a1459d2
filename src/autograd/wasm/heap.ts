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
// its class exactly; free blocks merge with free neighbours, and a free block at the top goes
// back to the unallocated end. The memory only grows (WebAssembly cannot shrink it): its size is
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

function sizeClass(bytes: number): { index: number; size: number } {
  const b = Math.max(16, Math.ceil(bytes / 16) * 16);
  if (b <= 256) return { index: b / 16 - 1, size: b }; // 16, 32, .., 256: classes 0..15
  const e = 31 - Math.clz32(b - 1); // 2^e < b <= 2^(e+1)
  const step = 2 ** (e - 3); // 8 classes between 2^e and 2^(e+1)
  const k = Math.ceil((b - 2 ** e) / step); // 1..8
  return { index: 16 + (e - 8) * 8 + (k - 1), size: 2 ** e + k * step };
}

/** The largest class not above `bytes` (where a free block of that size is filed). */
function floorClass(bytes: number): number {
  if (bytes < 16) return -1;
  if (bytes <= 256) return Math.floor(bytes / 16) - 1;
  const e = 31 - Math.clz32(bytes - 1);
  const step = 2 ** (e - 3);
  const k = Math.floor((bytes - 2 ** e) / step); // 0..8
  return k === 0 ? (e === 8 ? 15 : 16 + (e - 9) * 8 + 7) : 16 + (e - 8) * 8 + (k - 1);
}

const CLASSES = 16 + 24 * 8 + 8;

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
    const { index, size } = sizeClass(bytes);
    let ptr = this.takeFree(index, size);
    if (ptr < 0) {
      ptr = this.top;
      this.ensure(ptr + size);
      this.top = ptr + size;
    }
    this.usedBytes += size;
    return { ptr, bytes: size };
  }

  /** Returns a block from allocBytes. */
  freeBytes(ptr: number, bytes: number): void {
    this.usedBytes -= bytes;
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
    const { ptr, bytes } = this.allocBytes(size * bytesPerElement(dtype));
    const s: WasmStorage = { backend, dtype, size, data: viewOf(this.memory.buffer, dtype, ptr, size), refs: 0, ptr, bytes };
    if (!this.shared) this.live.add(s);
    return s;
  }

  release(s: Storage): void {
    const w = s as WasmStorage;
    if (w.bytes > 0) {
      this.freeBytes(w.ptr, w.bytes);
      if (!this.shared) this.live.delete(w);
    }
    s.data = null;
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
    if (add < pages) throw new Error(`wasm: out of memory: ${Math.ceil(end / 2 ** 20)} MiB needed, WebAssembly's limit is 4096 MiB`);
    this.memory.grow(add);
    if (!this.shared) {
      const buf = this.memory.buffer;
      for (const s of this.live) s.data = viewOf(buf, s.dtype, s.ptr, s.size);
    }
    for (const fn of this.onGrow) fn();
  }

  private file(start: number, bytes: number): void {
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
  stats(): { memoryBytes: number; top: number; freeBytes: number; usedBytes: number; freeBlocks: number } {
    let free = 0;
    for (const b of this.freeStart.values()) free += b;
    return { memoryBytes: this.memory.buffer.byteLength, top: this.top, freeBytes: free, usedBytes: this.usedBytes, freeBlocks: this.freeStart.size };
  }
}
