// Checkpoints: named tensors to and from safetensors bytes (see safetensors.ts for the format and
// its validation), files (Node) and Blobs (browsers), plus whole training states: nested objects of
// tensors and JSON values (model, optimizer state, generator states, step, loader position, ...)
// flattened into prefixed tensor keys and a JSON skeleton stored in the header's metadata.
//
// dtypes: float32 <-> F32, float64 <-> F64, int32 <-> I32, bool <-> BOOL, bit for bit. Loading also
// accepts F16 / BF16 (as float32, exact), I8 / I16 / U8 (as int32, exact) and I64 (as int32 when
// every value fits). Tensors are read back from their device before writing: the synchronous
// functions need a device with synchronous reads (the CPU); the async ones work everywhere.
import * as pg from '../autograd/index.js';
import {
  decodeSafetensors,
  encodeSafetensors,
  fromTypedArray,
  readFileBytes,
  toTypedArray,
  writeFileBytes,
  type DecodeOptions,
  type RawTensor,
} from './safetensors.js';
import { CHECKSUM_KEY, sealChecksum, verifyChecksum, withChecksumPlaceholder } from './checksum.js';

type Tensor = pg.Tensor;
type TypedArray = pg.TypedArray;

export type StateDict = Record<string, Tensor>;

export interface LoadOptions extends DecodeOptions {
  /** Where the loaded tensors live (default: the default device). */
  device?: pg.Device;
  /**
   * The content checksum (see SaveOptions): 'verify' (the default) checks it when the file has one,
   * 'require' also refuses a file without one, 'skip' ignores it.
   */
  checksum?: 'verify' | 'require' | 'skip';
}

export interface SaveOptions {
  /**
   * Store a CRC-32 of the whole file in its metadata ("papergrad.crc32"), checked on every load:
   * a damaged or truncated file is then an error rather than wrong values. Default false (the
   * file stays byte-identical to what other safetensors writers produce).
   */
  checksum?: boolean;
}

function fail(msg: string): never {
  throw new Error(`checkpoint: ${msg}`);
}

// ----------------------------------------------------------------------------- tensors <-> raw

function rawOf(name: string, t: Tensor, data: TypedArray): RawTensor {
  const shape = [...t.shape];
  switch (t.dtype) {
    case 'float32': return fromTypedArray('F32', shape, data as Float32Array);
    case 'float64': return fromTypedArray('F64', shape, data as Float64Array);
    case 'int32': return fromTypedArray('I32', shape, data as Int32Array);
    case 'bool': return fromTypedArray('BOOL', shape, data as Uint8Array);
    default: return fail(`tensor ${JSON.stringify(name)}: unsupported dtype ${String(t.dtype)}`);
  }
}

function checkEntries(sd: StateDict): [string, Tensor][] {
  if (sd === null || typeof sd !== 'object') fail('expected a Record<string, Tensor>');
  const entries = Object.entries(sd);
  for (const [k, t] of entries) {
    if (!(t instanceof pg.Tensor)) fail(`value for ${JSON.stringify(k)} is not a Tensor`);
    if (t.isDisposed) fail(`tensor ${JSON.stringify(k)} was disposed`);
  }
  return entries;
}

function readSync(name: string, t: Tensor): TypedArray {
  try {
    return t.dataSync();
  } catch (e) {
    return fail(`tensor ${JSON.stringify(name)} on ${t.device} cannot be read synchronously; use the async functions (save, toBlob, saveBytesAsync): ${(e as Error).message}`);
  }
}

function tensorOf(name: string, r: RawTensor, device: pg.Device | undefined): Tensor {
  const shape = r.shape;
  const arr = toTypedArray(r);
  const make = (a: TypedArray, dtype: pg.DType) => pg.tensor(a, { dtype, shape, device });
  switch (r.dtype) {
    case 'F32':
    case 'F16':
    case 'BF16':
      return make(arr as Float32Array, 'float32');
    case 'F64':
      return make(arr as Float64Array, 'float64');
    case 'I32':
      return make(arr as Int32Array, 'int32');
    case 'I16':
    case 'I8':
    case 'U8':
      return make(Int32Array.from(arr as Int16Array), 'int32');
    case 'I64': {
      const a = arr as BigInt64Array;
      const out = new Int32Array(a.length);
      for (let i = 0; i < a.length; i++) {
        const v = a[i];
        if (v < -2147483648n || v > 2147483647n) fail(`tensor ${JSON.stringify(name)}: I64 value ${v} does not fit in int32`);
        out[i] = Number(v);
      }
      return make(out, 'int32');
    }
    case 'BOOL': {
      const a = arr as Uint8Array;
      for (let i = 0; i < a.length; i++) if (a[i] > 1) fail(`tensor ${JSON.stringify(name)}: BOOL byte ${a[i]} at element ${i} is not 0 or 1`);
      return make(a, 'bool');
    }
    default:
      return fail(`tensor ${JSON.stringify(name)}: unsupported dtype ${String(r.dtype)}`);
  }
}

// ------------------------------------------------------------------------------------- bytes

function encode(raw: Record<string, RawTensor>, metadata: Record<string, string> | undefined, opts: SaveOptions): Uint8Array {
  if (metadata && Object.prototype.hasOwnProperty.call(metadata, CHECKSUM_KEY))
    fail(`metadata key ${JSON.stringify(CHECKSUM_KEY)} is reserved for the checksum; pass {checksum: true} instead`);
  if (!opts.checksum) return encodeSafetensors(raw, metadata);
  return sealChecksum(encodeSafetensors(raw, withChecksumPlaceholder(metadata)));
}

/** Encodes named tensors (and optional string metadata) as safetensors bytes. Synchronous reads. */
export function saveBytes(sd: StateDict, metadata?: Record<string, string>, opts: SaveOptions = {}): Uint8Array {
  const raw: Record<string, RawTensor> = {};
  for (const [k, t] of checkEntries(sd)) raw[k] = rawOf(k, t, readSync(k, t));
  return encode(raw, metadata, opts);
}

/** saveBytes for tensors on any device (awaits each readback). */
export async function saveBytesAsync(sd: StateDict, metadata?: Record<string, string>, opts: SaveOptions = {}): Promise<Uint8Array> {
  const raw: Record<string, RawTensor> = {};
  for (const [k, t] of checkEntries(sd)) raw[k] = rawOf(k, t, await t.data());
  return encode(raw, metadata, opts);
}

/**
 * Decodes safetensors bytes into tensors plus the header's metadata (without the checksum entry,
 * which is verified first: see LoadOptions.checksum).
 */
export function loadBytesWithMetadata(bytes: Uint8Array, opts: LoadOptions = {}): { tensors: StateDict; metadata: Record<string, string> } {
  const decoded = decodeSafetensors(bytes, opts);
  const mode = opts.checksum ?? 'verify';
  if (mode !== 'verify' && mode !== 'require' && mode !== 'skip') fail(`load: checksum must be 'verify', 'require' or 'skip', got ${JSON.stringify(mode)}`);
  if (mode !== 'skip' && verifyChecksum(bytes, decoded.metadata) === 'absent' && mode === 'require')
    fail('the file has no checksum (it was saved without {checksum: true}), and {checksum: \'require\'} was given');
  delete decoded.metadata[CHECKSUM_KEY];
  const tensors: StateDict = {};
  try {
    for (const [k, r] of Object.entries(decoded.tensors)) {
      Object.defineProperty(tensors, k, { value: tensorOf(k, r, opts.device), enumerable: true, writable: true, configurable: true });
    }
  } catch (e) {
    for (const t of Object.values(tensors)) t.dispose();
    throw e;
  }
  return { tensors, metadata: decoded.metadata };
}

/** Decodes safetensors bytes into named tensors (the caller owns them). */
export function loadBytes(bytes: Uint8Array, opts: LoadOptions = {}): StateDict {
  return loadBytesWithMetadata(bytes, opts).tensors;
}

function asBytes(b: Uint8Array | ArrayBuffer): Uint8Array {
  return b instanceof Uint8Array ? b : new Uint8Array(b);
}

// -------------------------------------------------------------------------------- files, blobs

/**
 * Saves named tensors. With a path (Node only) the file is written; with null / undefined nothing
 * is written. Either way the bytes are returned. The file is written under a temporary name next
 * to `path` and renamed over it once complete, so an interrupted save never leaves a partial file
 * where a good checkpoint was.
 */
export async function save(path: string | null | undefined, sd: StateDict, metadata?: Record<string, string>, opts: SaveOptions = {}): Promise<Uint8Array> {
  const bytes = await saveBytesAsync(sd, metadata, opts);
  if (path !== null && path !== undefined) await writeFileBytes(path, bytes);
  return bytes;
}

/** Loads named tensors from a path (Node only), bytes, an ArrayBuffer or a Blob. */
export async function load(src: string | Uint8Array | ArrayBuffer | Blob, opts: LoadOptions = {}): Promise<StateDict> {
  return (await loadWithMetadata(src, opts)).tensors;
}

export async function loadWithMetadata(
  src: string | Uint8Array | ArrayBuffer | Blob,
  opts: LoadOptions = {},
): Promise<{ tensors: StateDict; metadata: Record<string, string> }> {
  return loadBytesWithMetadata(await bytesFrom(src), opts);
}

async function bytesFrom(src: string | Uint8Array | ArrayBuffer | Blob): Promise<Uint8Array> {
  if (typeof src === 'string') return readFileBytes(src);
  if (src instanceof Uint8Array || src instanceof ArrayBuffer) return asBytes(src);
  if (typeof Blob !== 'undefined' && src instanceof Blob) return new Uint8Array(await src.arrayBuffer());
  return fail('load: expected a path, a Uint8Array, an ArrayBuffer or a Blob');
}

/** The checkpoint as a Blob (browsers: download it, or store it in IndexedDB). */
export async function toBlob(sd: StateDict, metadata?: Record<string, string>, opts: SaveOptions = {}): Promise<Blob> {
  const bytes = await saveBytesAsync(sd, metadata, opts);
  return new Blob([bytes as Uint8Array<ArrayBuffer>], { type: 'application/octet-stream' });
}

export async function fromBlob(blob: Blob, opts: LoadOptions = {}): Promise<StateDict> {
  return loadBytes(new Uint8Array(await blob.arrayBuffer()), opts);
}

// --------------------------------------------------------------------------- training states

/**
 * A value a training state may hold: tensors, JSON scalars (numbers include NaN, ±Infinity and
 * -0), arrays and plain objects of them. E.g. {model: Record<string, Tensor>, optimizer:
 * opt.stateDict(), generator: gen.getState(), scheduler: sched.stateDict(), loader:
 * loader.stateDict(), step: 10}.
 */
export type StateValue = Tensor | number | string | boolean | null | StateValue[] | { [k: string]: StateValue };
export type TrainingState = { [k: string]: StateValue };

const STATE_KEY = 'papergrad.state';
const FORMAT_KEY = 'papergrad.format';
const FORMAT = 'training-state/1';

/**
 * Splits a nested state into tensors under dotted, prefixed keys ("model.w1",
 * "optimizer.state.0.expAvg", ...) and a JSON skeleton in which each tensor is {"$tensor": key}.
 * Object keys that start with '$' are escaped by doubling it; non-finite numbers and -0 become
 * {"$num": "NaN"} and the like, so every value round-trips exactly.
 */
export function flattenState(state: TrainingState): { tensors: StateDict; skeleton: string } {
  const tensors: StateDict = {};
  const walk = (v: unknown, path: string[]): unknown => {
    const where = path.length ? path.join('.') : '(root)';
    if (v instanceof pg.Tensor) {
      const key = path.join('.');
      if (Object.prototype.hasOwnProperty.call(tensors, key)) fail(`two tensors flatten to the key ${JSON.stringify(key)}`);
      if (key === '__metadata__') fail('"__metadata__" cannot name a tensor');
      Object.defineProperty(tensors, key, { value: v, enumerable: true, writable: true, configurable: true });
      return { $tensor: key };
    }
    if (v === null || typeof v === 'string' || typeof v === 'boolean') return v;
    if (typeof v === 'number') {
      if (Number.isNaN(v)) return { $num: 'NaN' };
      if (v === Infinity) return { $num: 'Infinity' };
      if (v === -Infinity) return { $num: '-Infinity' };
      if (Object.is(v, -0)) return { $num: '-0' };
      return v;
    }
    if (Array.isArray(v)) return v.map((e, i) => walk(e, [...path, String(i)]));
    if (typeof v === 'object' && (Object.getPrototypeOf(v) === Object.prototype || Object.getPrototypeOf(v) === null)) {
      const out: Record<string, unknown> = {};
      for (const [k, e] of Object.entries(v as Record<string, unknown>)) {
        if (e === undefined) continue;
        const ek = k.startsWith('$') ? '$' + k : k;
        Object.defineProperty(out, ek, { value: walk(e, [...path, k]), enumerable: true, writable: true, configurable: true });
      }
      return out;
    }
    return fail(`cannot store the ${v === undefined ? 'undefined' : typeof v === 'object' ? (v as object).constructor?.name ?? 'object' : typeof v} value at ${where} (use tensors, numbers, strings, booleans, null, arrays and plain objects)`);
  };
  const skeleton = JSON.stringify(walk(state, []));
  return { tensors, skeleton };
}

/** The inverse of flattenState: rebuilds the nested state, taking tensors from `tensors`. */
export function unflattenState(tensors: StateDict, skeleton: string): TrainingState {
  let root: unknown;
  try {
    root = JSON.parse(skeleton);
  } catch {
    fail('training state skeleton is not valid JSON');
  }
  const used = new Set<string>();
  const build = (v: unknown): unknown => {
    if (v === null || typeof v !== 'object') return v;
    if (Array.isArray(v)) return v.map(build);
    const o = v as Record<string, unknown>;
    const keys = Object.keys(o);
    if (keys.length === 1 && keys[0] === '$tensor') {
      const k = o.$tensor;
      if (typeof k !== 'string' || !Object.prototype.hasOwnProperty.call(tensors, k)) fail(`training state refers to a missing tensor ${JSON.stringify(k)}`);
      if (used.has(k)) fail(`training state uses tensor ${JSON.stringify(k)} twice`);
      used.add(k);
      return tensors[k];
    }
    if (keys.length === 1 && keys[0] === '$num') {
      const s = o.$num;
      if (s === 'NaN') return NaN;
      if (s === 'Infinity') return Infinity;
      if (s === '-Infinity') return -Infinity;
      if (s === '-0') return -0;
      fail(`bad number encoding ${JSON.stringify(s)}`);
    }
    const out: Record<string, unknown> = {};
    for (const k of keys) {
      if (k.startsWith('$') && !k.startsWith('$$')) fail(`unexpected key ${JSON.stringify(k)} in training state`);
      const rk = k.startsWith('$$') ? k.slice(1) : k;
      Object.defineProperty(out, rk, { value: build(o[k]), enumerable: true, writable: true, configurable: true });
    }
    return out;
  };
  const state = build(root);
  if (state === null || typeof state !== 'object' || Array.isArray(state)) fail('training state is not an object');
  const extra = Object.keys(tensors).filter((k) => !used.has(k));
  if (extra.length) fail(`tensors not referenced by the training state: ${extra.slice(0, 5).join(', ')}${extra.length > 5 ? ', ...' : ''}`);
  return state as TrainingState;
}

function stateMetadata(skeleton: string): Record<string, string> {
  return { [FORMAT_KEY]: FORMAT, [STATE_KEY]: skeleton };
}

/** A whole training state as safetensors bytes (tensors under prefixed keys, the rest as JSON). */
export function saveTrainingState(state: TrainingState, opts: SaveOptions = {}): Uint8Array {
  const { tensors, skeleton } = flattenState(state);
  return saveBytes(tensors, stateMetadata(skeleton), opts);
}

export async function saveTrainingStateAsync(state: TrainingState, opts: SaveOptions = {}): Promise<Uint8Array> {
  const { tensors, skeleton } = flattenState(state);
  return saveBytesAsync(tensors, stateMetadata(skeleton), opts);
}

/** Rebuilds a training state from bytes written by saveTrainingState (fresh tensors, owned by the caller). */
export function loadTrainingState<T = TrainingState>(bytes: Uint8Array | ArrayBuffer, opts: LoadOptions = {}): T {
  const { tensors, metadata } = loadBytesWithMetadata(asBytes(bytes), opts);
  try {
    if (metadata[FORMAT_KEY] !== FORMAT || typeof metadata[STATE_KEY] !== 'string')
      fail(`not a training state (metadata ${JSON.stringify(FORMAT_KEY)} is ${JSON.stringify(metadata[FORMAT_KEY] ?? null)}, expected ${JSON.stringify(FORMAT)})`);
    return unflattenState(tensors, metadata[STATE_KEY]) as T;
  } catch (e) {
    for (const t of Object.values(tensors)) t.dispose();
    throw e;
  }
}

/** saveTrainingState to a file (Node; written and renamed into place as save() does) — or just the bytes with a null path. */
export async function saveTrainingStateFile(path: string | null | undefined, state: TrainingState, opts: SaveOptions = {}): Promise<Uint8Array> {
  const bytes = await saveTrainingStateAsync(state, opts);
  if (path !== null && path !== undefined) await writeFileBytes(path, bytes);
  return bytes;
}

/** loadTrainingState from a path (Node), bytes, an ArrayBuffer or a Blob. */
export async function loadTrainingStateFile<T = TrainingState>(src: string | Uint8Array | ArrayBuffer | Blob, opts: LoadOptions = {}): Promise<T> {
  return loadTrainingState<T>(await bytesFrom(src), opts);
}
