/**
 * The safetensors file format, read and written on plain byte arrays.
 *
 * Layout: an 8-byte little-endian unsigned header length N, then N bytes of
 * UTF-8 JSON (an object mapping tensor names to {dtype, shape, data_offsets},
 * plus an optional "__metadata__" string→string map, padded with trailing
 * spaces), then the byte buffer. data_offsets are [begin, end) relative to the
 * start of that byte buffer, and the tensors must cover it exactly.
 *
 * The decoder treats its input as hostile: every number is checked before it
 * is used for anything, so a malformed file is a thrown Error, never a huge
 * allocation or an out-of-range read. The core codec uses only Uint8Array,
 * DataView and TextEncoder/TextDecoder so it runs unchanged in browsers.
 */

export type STDtype = 'F64' | 'F32' | 'F16' | 'BF16' | 'I64' | 'I32' | 'I16' | 'I8' | 'U8' | 'BOOL';

/** One tensor as stored: row-major, little-endian element bytes. */
export interface RawTensor {
  dtype: STDtype;
  shape: number[];
  data: Uint8Array;
}

export interface DecodeOptions {
  /** Largest accepted JSON header, in bytes. Default 100 MB (the reference implementation's limit). */
  maxHeaderBytes?: number;
  /** Largest accepted file, in bytes. Default: no limit beyond what the input already is. */
  maxTotalBytes?: number;
}

export interface DecodedSafetensors {
  tensors: Record<string, RawTensor>;
  metadata: Record<string, string>;
}

export type TypedArrayFor =
  | Float64Array
  | Float32Array
  | BigInt64Array
  | Int32Array
  | Int16Array
  | Int8Array
  | Uint8Array;

const ITEMSIZE: Readonly<Record<STDtype, number>> = {
  F64: 8,
  F32: 4,
  F16: 2,
  BF16: 2,
  I64: 8,
  I32: 4,
  I16: 2,
  I8: 1,
  U8: 1,
  BOOL: 1,
};

export const DEFAULT_MAX_HEADER_BYTES = 100 * 1024 * 1024;
const METADATA_KEY = '__metadata__';

function fail(msg: string): never {
  throw new Error(`safetensors: ${msg}`);
}

export function isSTDtype(s: unknown): s is STDtype {
  return typeof s === 'string' && Object.prototype.hasOwnProperty.call(ITEMSIZE, s);
}

export function itemSize(dtype: STDtype): number {
  return ITEMSIZE[dtype];
}

/**
 * Number of bytes a tensor of this dtype/shape occupies, or an Error if any
 * intermediate product leaves the exactly-representable integer range
 * (doubles silently lose precision above 2^53, which would let a crafted
 * shape "match" a small byte range).
 */
export function byteLength(dtype: STDtype, shape: readonly number[]): number {
  // A zero dimension makes the tensor empty regardless of the others; check it
  // first so [2^40, 2^40, 0] is legal rather than an overflow.
  for (const d of shape) if (d === 0) return 0;
  let n = ITEMSIZE[dtype];
  for (const d of shape) {
    n *= d;
    if (!Number.isSafeInteger(n)) fail(`shape [${shape.join(', ')}] with dtype ${dtype} overflows the addressable byte range`);
  }
  return n;
}

function checkShape(shape: unknown, name: string): number[] {
  if (!Array.isArray(shape)) fail(`tensor ${JSON.stringify(name)}: shape is not an array`);
  for (const d of shape) {
    if (typeof d !== 'number' || !Number.isSafeInteger(d) || d < 0) {
      fail(`tensor ${JSON.stringify(name)}: shape entries must be non-negative safe integers, got ${String(d)}`);
    }
  }
  return shape as number[];
}

// ---------------------------------------------------------------------------
// Encoding
// ---------------------------------------------------------------------------

/** Code-unit order: locale-independent, so the bytes are the same everywhere. */
function compareKeys(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * Serialise tensors to safetensors bytes. Keys are sorted (code-unit order)
 * and the tensors are laid out in that order, so the same input always gives
 * the same bytes. The header is space-padded so the data section starts at a
 * multiple of 8 bytes, as the reference writer does.
 */
export function encodeSafetensors(tensors: Record<string, RawTensor>, metadata?: Record<string, string>): Uint8Array {
  const names = Object.keys(tensors).sort(compareKeys);
  const parts: string[] = [];
  if (metadata !== undefined) {
    const mkeys = Object.keys(metadata).sort(compareKeys);
    const entries = mkeys.map((k) => {
      const v = metadata[k];
      if (typeof v !== 'string') fail(`metadata value for ${JSON.stringify(k)} is not a string`);
      return `${JSON.stringify(k)}:${JSON.stringify(v)}`;
    });
    parts.push(`${JSON.stringify(METADATA_KEY)}:{${entries.join(',')}}`);
  }
  let offset = 0;
  for (const name of names) {
    if (name === METADATA_KEY) fail(`"${METADATA_KEY}" is reserved and cannot name a tensor`);
    const t = tensors[name]!;
    if (!isSTDtype(t.dtype)) fail(`tensor ${JSON.stringify(name)}: unknown dtype ${String(t.dtype)}`);
    const shape = checkShape(t.shape, name);
    const n = byteLength(t.dtype, shape);
    if (!(t.data instanceof Uint8Array) || t.data.length !== n) {
      fail(`tensor ${JSON.stringify(name)}: data has ${t.data?.length} bytes, expected ${n} for ${t.dtype}[${shape.join(', ')}]`);
    }
    const end = offset + n;
    if (!Number.isSafeInteger(end)) fail('total data size overflows');
    parts.push(`${JSON.stringify(name)}:{"dtype":"${t.dtype}","shape":[${shape.join(',')}],"data_offsets":[${offset},${end}]}`);
    offset = end;
  }
  const json = new TextEncoder().encode(`{${parts.join(',')}}`);
  const headerLen = Math.ceil(json.length / 8) * 8;
  const total = 8 + headerLen + offset;
  const out = new Uint8Array(total);
  const dv = new DataView(out.buffer);
  // u64 little-endian as two u32 halves (headerLen is far below 2^53).
  dv.setUint32(0, headerLen % 0x100000000, true);
  dv.setUint32(4, Math.floor(headerLen / 0x100000000), true);
  out.set(json, 8);
  out.fill(0x20, 8 + json.length, 8 + headerLen);
  let pos = 8 + headerLen;
  for (const name of names) {
    const d = tensors[name]!.data;
    out.set(d, pos);
    pos += d.length;
  }
  return out;
}

// ---------------------------------------------------------------------------
// A small strict JSON parser.
//
// JSON.parse would silently keep the last of two duplicate keys and round
// integers above 2^53; the header format forbids the first and the second
// would hide overflow. This parser reports duplicates and keeps number
// literals as text so integers can be checked exactly. Nesting is bounded so a
// header of '[[[[...' cannot blow the stack.
// ---------------------------------------------------------------------------

class JsonNumber {
  constructor(readonly text: string) {}
}
type JsonValue = null | boolean | string | JsonNumber | JsonValue[] | { [k: string]: JsonValue };

const MAX_DEPTH = 64;

class JsonParser {
  private i = 0;
  constructor(private readonly s: string) {}

  parseDocument(): JsonValue {
    this.ws();
    const v = this.value(0);
    this.ws();
    if (this.i !== this.s.length) this.err('unexpected trailing characters');
    return v;
  }

  private err(msg: string): never {
    fail(`header is not valid JSON: ${msg} at character ${this.i}`);
  }

  private ws(): void {
    const s = this.s;
    while (this.i < s.length) {
      const c = s.charCodeAt(this.i);
      if (c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d) this.i++;
      else break;
    }
  }

  private value(depth: number): JsonValue {
    if (depth > MAX_DEPTH) this.err('nesting too deep');
    const c = this.s[this.i];
    if (c === '{') return this.object(depth);
    if (c === '[') return this.array(depth);
    if (c === '"') return this.string();
    if (c === '-' || (c !== undefined && c >= '0' && c <= '9')) return this.number();
    if (this.s.startsWith('true', this.i)) return (this.i += 4), true;
    if (this.s.startsWith('false', this.i)) return (this.i += 5), false;
    if (this.s.startsWith('null', this.i)) return (this.i += 4), null;
    this.err(c === undefined ? 'unexpected end' : `unexpected character ${JSON.stringify(c)}`);
  }

  private object(depth: number): { [k: string]: JsonValue } {
    this.i++; // '{'
    // Null prototype: a key like "__proto__" must be data, not a prototype swap.
    const out: { [k: string]: JsonValue } = Object.create(null);
    this.ws();
    if (this.s[this.i] === '}') return this.i++, out;
    for (;;) {
      this.ws();
      if (this.s[this.i] !== '"') this.err('expected a string key');
      const k = this.string();
      if (Object.prototype.hasOwnProperty.call(out, k)) fail(`duplicate key ${JSON.stringify(k)} in header`);
      this.ws();
      if (this.s[this.i] !== ':') this.err("expected ':'");
      this.i++;
      this.ws();
      out[k] = this.value(depth + 1);
      this.ws();
      const c = this.s[this.i++];
      if (c === '}') return out;
      if (c !== ',') this.i--, this.err("expected ',' or '}'");
    }
  }

  private array(depth: number): JsonValue[] {
    this.i++; // '['
    const out: JsonValue[] = [];
    this.ws();
    if (this.s[this.i] === ']') return this.i++, out;
    for (;;) {
      this.ws();
      out.push(this.value(depth + 1));
      this.ws();
      const c = this.s[this.i++];
      if (c === ']') return out;
      if (c !== ',') this.i--, this.err("expected ',' or ']'");
    }
  }

  private string(): string {
    const s = this.s;
    this.i++; // opening quote
    let out = '';
    let start = this.i;
    for (;;) {
      if (this.i >= s.length) this.err('unterminated string');
      const c = s.charCodeAt(this.i);
      if (c === 0x22) {
        out += s.slice(start, this.i);
        this.i++;
        return out;
      }
      if (c < 0x20) this.err('control character in string');
      if (c !== 0x5c) {
        this.i++;
        continue;
      }
      out += s.slice(start, this.i);
      const e = s[this.i + 1];
      this.i += 2;
      switch (e) {
        case '"': out += '"'; break;
        case '\\': out += '\\'; break;
        case '/': out += '/'; break;
        case 'b': out += '\b'; break;
        case 'f': out += '\f'; break;
        case 'n': out += '\n'; break;
        case 'r': out += '\r'; break;
        case 't': out += '\t'; break;
        case 'u': {
          const hex = s.slice(this.i, this.i + 4);
          if (!/^[0-9a-fA-F]{4}$/.test(hex)) this.err('bad \\u escape');
          out += String.fromCharCode(parseInt(hex, 16));
          this.i += 4;
          break;
        }
        default:
          this.i -= 2;
          this.err('bad escape');
      }
      start = this.i;
    }
  }

  private number(): JsonNumber {
    const m = /-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?/y;
    m.lastIndex = this.i;
    const r = m.exec(this.s);
    if (!r) this.err('bad number');
    this.i += r[0].length;
    return new JsonNumber(r[0]);
  }
}

/** An exact non-negative integer from a JSON literal, or undefined. */
function jsonUint(v: JsonValue): number | undefined {
  if (!(v instanceof JsonNumber) || !/^(0|[1-9][0-9]*)$/.test(v.text)) return undefined;
  const n = Number(v.text);
  return Number.isSafeInteger(n) ? n : undefined;
}

function isPlainObject(v: JsonValue): v is { [k: string]: JsonValue } {
  return v !== null && typeof v === 'object' && !Array.isArray(v) && !(v instanceof JsonNumber);
}

// ---------------------------------------------------------------------------
// Decoding
// ---------------------------------------------------------------------------

/** Plain assignment of a key like "__proto__" would change the prototype instead of adding data. */
function setOwn<T>(obj: Record<string, T>, key: string, value: T): void {
  Object.defineProperty(obj, key, { value, enumerable: true, writable: true, configurable: true });
}

/** Parse and fully validate a safetensors file. Tensor data are copies the caller owns. */
export function decodeSafetensors(bytes: Uint8Array, opts: DecodeOptions = {}): DecodedSafetensors {
  const maxHeader = opts.maxHeaderBytes ?? DEFAULT_MAX_HEADER_BYTES;
  if (!(bytes instanceof Uint8Array)) fail('input is not a Uint8Array');
  if (opts.maxTotalBytes !== undefined && bytes.length > opts.maxTotalBytes) {
    fail(`file is ${bytes.length} bytes, larger than the limit of ${opts.maxTotalBytes}`);
  }
  if (bytes.length < 8) fail(`file is ${bytes.length} bytes, shorter than the 8-byte header length`);

  // Header length first, before anything is allocated or decoded. Read as two
  // u32 halves: a huge high half already proves it is over any limit.
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const lo = dv.getUint32(0, true);
  const hi = dv.getUint32(4, true);
  const headerLen = hi * 0x100000000 + lo; // approximate only when > 2^53, which fails below anyway
  if (headerLen > maxHeader) {
    const exact = (BigInt(hi) << 32n) | BigInt(lo);
    fail(`header length ${exact} exceeds the limit of ${maxHeader} bytes`);
  }
  if (headerLen > bytes.length - 8) fail(`header length ${headerLen} is larger than the ${bytes.length - 8} bytes after the length field`);
  if (headerLen === 0) fail('header is empty');

  const headerBytes = bytes.subarray(8, 8 + headerLen);
  // The spec requires the header to open with '{' (and allows trailing space padding).
  if (headerBytes[0] !== 0x7b) fail("header does not start with '{'");
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(headerBytes);
  } catch {
    fail('header is not valid UTF-8');
  }
  const root = new JsonParser(text).parseDocument();
  if (!isPlainObject(root)) fail('header is not a JSON object');

  const dataStart = 8 + headerLen;
  const dataLen = bytes.length - dataStart;

  const metadata: Record<string, string> = {};
  interface Entry {
    name: string;
    dtype: STDtype;
    shape: number[];
    begin: number;
    end: number;
  }
  const entries: Entry[] = [];

  for (const name of Object.keys(root)) {
    const v = root[name]!;
    if (name === METADATA_KEY) {
      if (!isPlainObject(v)) fail('__metadata__ is not an object');
      for (const k of Object.keys(v)) {
        const mv = v[k];
        if (typeof mv !== 'string') fail(`metadata value for ${JSON.stringify(k)} is not a string`);
        setOwn(metadata, k, mv);
      }
      continue;
    }
    const q = JSON.stringify(name);
    if (!isPlainObject(v)) fail(`tensor ${q}: entry is not an object`);
    for (const k of Object.keys(v)) {
      if (k !== 'dtype' && k !== 'shape' && k !== 'data_offsets') fail(`tensor ${q}: unexpected field ${JSON.stringify(k)}`);
    }
    const dtype = v.dtype;
    if (!isSTDtype(dtype)) fail(`tensor ${q}: unknown dtype ${typeof dtype === 'string' ? JSON.stringify(dtype) : String(dtype)}`);

    const rawShape = v.shape;
    if (!Array.isArray(rawShape)) fail(`tensor ${q}: shape is not an array`);
    const shape = rawShape.map((d) => {
      const n = jsonUint(d);
      if (n === undefined) {
        const shown = d instanceof JsonNumber ? d.text : JSON.stringify(d);
        fail(`tensor ${q}: shape entries must be non-negative safe integers, got ${shown}`);
      }
      return n;
    });

    const offs = v.data_offsets;
    if (!Array.isArray(offs) || offs.length !== 2) fail(`tensor ${q}: data_offsets must be [begin, end]`);
    const begin = jsonUint(offs[0]!);
    const end = jsonUint(offs[1]!);
    if (begin === undefined || end === undefined) fail(`tensor ${q}: data_offsets must be non-negative safe integers`);
    if (begin > end) fail(`tensor ${q}: data_offsets begin ${begin} > end ${end}`);
    if (end > dataLen) fail(`tensor ${q}: data_offsets [${begin}, ${end}] lie outside the ${dataLen}-byte data section`);

    const expected = byteLength(dtype, shape); // throws on overflow
    if (end - begin !== expected) {
      fail(`tensor ${q}: byte length ${end - begin} does not match ${dtype}[${shape.join(', ')}] = ${expected} bytes`);
    }
    entries.push({ name, dtype, shape, begin, end });
  }

  // The tensors must tile the data section exactly: no overlaps (two names
  // aliasing the same bytes) and no holes (unaccounted bytes that could smuggle data).
  const sorted = entries.slice().sort((a, b) => a.begin - b.begin || a.end - b.end);
  let cursor = 0;
  for (const e of sorted) {
    if (e.begin < cursor) fail(`tensor ${JSON.stringify(e.name)}: data_offsets [${e.begin}, ${e.end}] overlap a previous tensor`);
    if (e.begin > cursor) fail(`hole in data section: bytes [${cursor}, ${e.begin}) belong to no tensor`);
    cursor = e.end;
  }
  if (cursor !== dataLen) fail(`hole in data section: bytes [${cursor}, ${dataLen}) belong to no tensor`);

  const tensors: Record<string, RawTensor> = {};
  for (const e of entries) {
    setOwn(tensors, e.name, { dtype: e.dtype, shape: e.shape, data: bytes.slice(dataStart + e.begin, dataStart + e.end) });
  }
  return { tensors, metadata };
}

// ---------------------------------------------------------------------------
// Typed-array conversion
// ---------------------------------------------------------------------------

const LITTLE_ENDIAN_HOST = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** Half precision (IEEE 754 binary16) bits to a float. */
export function f16ToF32(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f;
  const frac = h & 0x3ff;
  if (exp === 0) return sign * frac * 2 ** -24; // zero / subnormal
  if (exp === 0x1f) return frac ? NaN : sign * Infinity;
  return sign * (1 + frac / 1024) * 2 ** (exp - 15);
}

/** bfloat16 bits to a float: the top half of a float32, so exact (NaN payloads kept). */
export function bf16ToF32(b: number): number {
  bf16Scratch.u32[0] = (b & 0xffff) << 16;
  return bf16Scratch.f32[0]!;
}
const bf16Scratch = (() => {
  const buf = new ArrayBuffer(4);
  return { u32: new Uint32Array(buf), f32: new Float32Array(buf) };
})();

function numel(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

/** Copy the bytes into a fresh, aligned buffer (the source slice may sit at any offset). */
function alignedCopy(data: Uint8Array): ArrayBuffer {
  const buf = new ArrayBuffer(data.length);
  new Uint8Array(buf).set(data);
  return buf;
}

/**
 * Decode a RawTensor into a fresh typed array. F16 and BF16 come back as
 * Float32Array (exact widening); BOOL as Uint8Array of 0/1 bytes; I64 as BigInt64Array.
 */
export function toTypedArray(t: RawTensor): TypedArrayFor {
  const size = ITEMSIZE[t.dtype];
  if (size === undefined) fail(`unknown dtype ${String(t.dtype)}`);
  if (t.data.length % size !== 0) fail(`data length ${t.data.length} is not a multiple of ${size} for ${t.dtype}`);
  const n = t.data.length / size;
  const dv = new DataView(t.data.buffer, t.data.byteOffset, t.data.byteLength);
  switch (t.dtype) {
    case 'U8':
    case 'BOOL':
      return t.data.slice();
    case 'I8':
      return new Int8Array(alignedCopy(t.data));
    case 'F16': {
      const out = new Float32Array(n);
      for (let i = 0; i < n; i++) out[i] = f16ToF32(dv.getUint16(2 * i, true));
      return out;
    }
    case 'BF16': {
      const out = new Float32Array(n);
      // Through Uint32 bits so NaN payloads survive (number round trips may canonicalise them).
      const bits = new Uint32Array(out.buffer);
      for (let i = 0; i < n; i++) bits[i] = dv.getUint16(2 * i, true) << 16;
      return out;
    }
    default:
      break;
  }
  if (LITTLE_ENDIAN_HOST) {
    const buf = alignedCopy(t.data);
    switch (t.dtype) {
      case 'F64': return new Float64Array(buf);
      case 'F32': return new Float32Array(buf);
      case 'I64': return new BigInt64Array(buf);
      case 'I32': return new Int32Array(buf);
      case 'I16': return new Int16Array(buf);
    }
  }
  // Big-endian host: byte-swap via integer views of the same width, so float
  // bit patterns (NaN payloads, -0) are moved untouched.
  switch (t.dtype) {
    case 'F64': {
      const out = new Float64Array(n);
      const u = new BigUint64Array(out.buffer);
      for (let i = 0; i < n; i++) u[i] = dv.getBigUint64(8 * i, true);
      return out;
    }
    case 'F32': {
      const out = new Float32Array(n);
      const u = new Uint32Array(out.buffer);
      for (let i = 0; i < n; i++) u[i] = dv.getUint32(4 * i, true);
      return out;
    }
    case 'I64': {
      const out = new BigInt64Array(n);
      for (let i = 0; i < n; i++) out[i] = dv.getBigInt64(8 * i, true);
      return out;
    }
    case 'I32': {
      const out = new Int32Array(n);
      for (let i = 0; i < n; i++) out[i] = dv.getInt32(4 * i, true);
      return out;
    }
    case 'I16': {
      const out = new Int16Array(n);
      for (let i = 0; i < n; i++) out[i] = dv.getInt16(2 * i, true);
      return out;
    }
  }
  return fail(`unsupported dtype ${t.dtype}`);
}

/** Any dtype widened to Float32Array (I64 through Number, so values above 2^24 round). */
export function toFloat32(t: RawTensor): Float32Array {
  const a = toTypedArray(t);
  if (a instanceof Float32Array) return a;
  const out = new Float32Array(a.length);
  if (a instanceof BigInt64Array) for (let i = 0; i < a.length; i++) out[i] = Number(a[i]!);
  else out.set(a);
  return out;
}

type ArrayForWrite = {
  F64: Float64Array;
  F32: Float32Array;
  F16: Uint16Array; // raw half bits
  BF16: Uint16Array; // raw bfloat16 bits
  I64: BigInt64Array;
  I32: Int32Array;
  I16: Int16Array;
  I8: Int8Array;
  U8: Uint8Array;
  BOOL: Uint8Array;
};

const CTOR_FOR: Record<STDtype, { name: string }> = {
  F64: Float64Array,
  F32: Float32Array,
  F16: Uint16Array,
  BF16: Uint16Array,
  I64: BigInt64Array,
  I32: Int32Array,
  I16: Int16Array,
  I8: Int8Array,
  U8: Uint8Array,
  BOOL: Uint8Array,
};

/**
 * Wrap a typed array as a RawTensor (bytes copied, little-endian). The array
 * type must match the dtype exactly, so no silent precision change happens;
 * F16/BF16 take their raw 16-bit patterns as a Uint16Array.
 */
export function fromTypedArray<D extends STDtype>(dtype: D, shape: readonly number[], arr: ArrayForWrite[D]): RawTensor {
  if (!isSTDtype(dtype)) fail(`unknown dtype ${String(dtype)}`);
  const sh = checkShape([...shape], 'fromTypedArray');
  const n = numel(sh);
  byteLength(dtype, sh); // overflow check
  const ctor = CTOR_FOR[dtype];
  // Exact constructor match: a Float64Array passed as F32 (or a Uint8ClampedArray
  // as U8) would otherwise be reinterpreted or silently narrowed.
  const got = Object.prototype.toString.call(arr).slice(8, -1);
  if (got !== ctor.name) fail(`dtype ${dtype} needs a ${ctor.name}, got ${got}`);
  if (arr.length !== n) fail(`array has ${arr.length} elements, shape [${sh.join(', ')}] needs ${n}`);
  if (dtype === 'BOOL') {
    const u = arr as Uint8Array;
    for (let i = 0; i < n; i++) if (u[i]! > 1) fail(`BOOL data must be 0 or 1, got ${u[i]} at index ${i}`);
  }
  const size = ITEMSIZE[dtype];
  const src = new Uint8Array(arr.buffer, arr.byteOffset, n * size);
  const data = new Uint8Array(n * size);
  if (LITTLE_ENDIAN_HOST || size === 1) {
    data.set(src);
  } else {
    // Reverse each element's bytes on a big-endian host.
    for (let i = 0; i < n; i++) for (let b = 0; b < size; b++) data[i * size + b] = src[i * size + size - 1 - b]!;
  }
  return { dtype, shape: sh, data };
}

// ---------------------------------------------------------------------------
// Node-only file helpers. The specifier is held in a variable so bundlers for
// the browser leave the import alone; calling these outside Node rejects.
// ---------------------------------------------------------------------------

interface FileHandle {
  writeFile(data: Uint8Array): Promise<void>;
  sync(): Promise<void>;
  close(): Promise<void>;
}

interface FsPromises {
  readFile(path: string): Promise<Uint8Array>;
  open(path: string, flags: string): Promise<FileHandle>;
  rename(from: string, to: string): Promise<void>;
  rm(path: string, opts: { force: boolean }): Promise<void>;
}

async function nodeFs(): Promise<FsPromises> {
  const spec = 'node:fs/promises';
  try {
    return (await import(/* @vite-ignore */ spec)) as FsPromises;
  } catch {
    return fail('file helpers need Node (node:fs/promises is unavailable here)');
  }
}

let tmpCounter = 0;

/**
 * Writes a file atomically: the bytes go to a new temporary file next to `path` (same folder, so
 * the rename stays on one file system), are flushed to disk, and the temporary file is renamed
 * over `path`. A crash or error part-way leaves any previous file at `path` untouched, and the
 * temporary file is removed on error.
 */
export async function writeFileBytes(path: string, bytes: Uint8Array): Promise<void> {
  if (typeof path !== 'string' || path === '') fail(`write: expected a file path, got ${path === '' ? 'an empty string' : typeof path}`);
  const fs = await nodeFs();
  const pid = (globalThis as { process?: { pid?: number } }).process?.pid ?? 0;
  const tmp = `${path}.tmp-${pid}-${Date.now().toString(36)}-${tmpCounter++}`;
  let handle: FileHandle | null = null;
  try {
    handle = await fs.open(tmp, 'wx');
    await handle.writeFile(bytes);
    await handle.sync();
    await handle.close();
    handle = null;
    await fs.rename(tmp, path);
  } catch (e) {
    if (handle) await handle.close().catch(() => undefined);
    await fs.rm(tmp, { force: true }).catch(() => undefined);
    fail(`could not write ${JSON.stringify(path)}: ${(e as Error).message}`);
  }
}

export async function readFileBytes(path: string): Promise<Uint8Array> {
  const b = await (await nodeFs()).readFile(path);
  // Node returns a Buffer (a Uint8Array subclass, possibly pooled); hand back a plain copy.
  return new Uint8Array(b);
}

/** Convenience: encode and write in one go (Node only). */
export async function saveSafetensors(path: string, tensors: Record<string, RawTensor>, metadata?: Record<string, string>): Promise<void> {
  await writeFileBytes(path, encodeSafetensors(tensors, metadata));
}

/** Convenience: read and decode in one go (Node only). */
export async function loadSafetensors(path: string, opts?: DecodeOptions): Promise<DecodedSafetensors> {
  return decodeSafetensors(await readFileBytes(path), opts);
}
