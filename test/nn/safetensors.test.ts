import { describe, expect, it } from 'vitest';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  bf16ToF32,
  byteLength,
  decodeSafetensors,
  encodeSafetensors,
  f16ToF32,
  fromTypedArray,
  loadSafetensors,
  readFileBytes,
  saveSafetensors,
  toFloat32,
  toTypedArray,
  writeFileBytes,
  type RawTensor,
  type STDtype,
} from '../../src/nn/safetensors.js';

const enc = new TextEncoder();

/** Build a file from a literal header string and data bytes (no padding added). */
function rawFile(header: string, data: Uint8Array = new Uint8Array(0), headerLenOverride?: bigint): Uint8Array {
  const h = enc.encode(header);
  const out = new Uint8Array(8 + h.length + data.length);
  new DataView(out.buffer).setBigUint64(0, headerLenOverride ?? BigInt(h.length), true);
  out.set(h, 8);
  out.set(data, 8 + h.length);
  return out;
}

function expectReject(bytes: Uint8Array, pattern: RegExp, opts?: Parameters<typeof decodeSafetensors>[1]): void {
  let err: unknown;
  try {
    decodeSafetensors(bytes, opts);
  } catch (e) {
    err = e;
  }
  expect(err).toBeInstanceOf(Error);
  const msg = (err as Error).message;
  expect(msg.startsWith('safetensors:')).toBe(true);
  expect(msg).toMatch(pattern);
}

function bytesOf(a: ArrayBufferView): Uint8Array {
  return new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
}

describe('safetensors encode/decode', () => {
  it('matches a hand-written byte string', () => {
    const tensors: Record<string, RawTensor> = {
      // Deliberately inserted out of order: the writer sorts keys.
      b: { dtype: 'U8', shape: [], data: new Uint8Array([7]) },
      a: fromTypedArray('F32', [2], new Float32Array([1, -2])),
    };
    const got = encodeSafetensors(tensors, { k: 'v' });
    const header =
      '{"__metadata__":{"k":"v"},' +
      '"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},' +
      '"b":{"dtype":"U8","shape":[],"data_offsets":[8,9]}}' +
      '      '; // 130 bytes of JSON + 6 spaces = 136, a multiple of 8
    const expected = new Uint8Array([
      0x88, 0, 0, 0, 0, 0, 0, 0, // header length 136, u64 little-endian
      ...enc.encode(header),
      0x00, 0x00, 0x80, 0x3f, // 1.0f
      0x00, 0x00, 0x00, 0xc0, // -2.0f
      0x07, // U8 scalar
    ]);
    expect(header.length).toBe(136);
    expect(Array.from(got)).toEqual(Array.from(expected));

    const back = decodeSafetensors(expected);
    expect(back.metadata).toEqual({ k: 'v' });
    expect(Array.from(toTypedArray(back.tensors.a!) as Float32Array)).toEqual([1, -2]);
    expect(back.tensors.b!.shape).toEqual([]);
    expect(Array.from(back.tensors.b!.data)).toEqual([7]);
  });

  it('is deterministic regardless of insertion order', () => {
    const x = fromTypedArray('I32', [3], new Int32Array([1, 2, 3]));
    const y = fromTypedArray('F64', [1], new Float64Array([Math.PI]));
    const a = encodeSafetensors({ x, y }, { b: '2', a: '1' });
    const b = encodeSafetensors({ y, x }, { a: '1', b: '2' });
    expect(Array.from(a)).toEqual(Array.from(b));
    // Data section starts 8-aligned.
    const hl = Number(new DataView(a.buffer).getBigUint64(0, true));
    expect(hl % 8).toBe(0);
  });

  it('round trips every dtype bit-exactly', () => {
    const f32bits = new Uint32Array([0x7fc00001, 0xffa00000, 0x7f800001, 0x80000000, 0x00000001, 0x7f7fffff, 0x3f800000]);
    const f64 = new Float64Array(5);
    const f64bits = new BigUint64Array(f64.buffer);
    f64bits.set([0x7ff8000000000123n, 0xfff0000000000001n, 0x8000000000000000n, 1n, 0x3ff0000000000000n]);
    const tensors: Record<string, RawTensor> = {
      f64: fromTypedArray('F64', [5], f64),
      f32: fromTypedArray('F32', [7], new Float32Array(f32bits.buffer)),
      f16: fromTypedArray('F16', [2, 2], new Uint16Array([0x3c00, 0x8000, 0x7e01, 0xfc00])),
      bf16: fromTypedArray('BF16', [4], new Uint16Array([0x3f80, 0x8000, 0x7fc1, 0xff80])),
      i64: fromTypedArray('I64', [3], new BigInt64Array([-(2n ** 63n), 2n ** 63n - 1n, -1n])),
      i32: fromTypedArray('I32', [3], new Int32Array([-(2 ** 31), 2 ** 31 - 1, 0])),
      i16: fromTypedArray('I16', [3], new Int16Array([-32768, 32767, -1])),
      i8: fromTypedArray('I8', [3], new Int8Array([-128, 127, -1])),
      u8: fromTypedArray('U8', [3], new Uint8Array([0, 255, 128])),
      bool: fromTypedArray('BOOL', [3], new Uint8Array([1, 0, 1])),
      empty: fromTypedArray('F32', [0, 3], new Float32Array(0)),
      scalar: fromTypedArray('F64', [], new Float64Array([-0])),
    };
    const file = encodeSafetensors(tensors);
    const back = decodeSafetensors(file);
    expect(Object.keys(back.tensors).sort()).toEqual(Object.keys(tensors).sort());
    for (const [k, t] of Object.entries(tensors)) {
      const b = back.tensors[k]!;
      expect(b.dtype).toBe(t.dtype);
      expect(b.shape).toEqual(t.shape);
      expect(Array.from(b.data)).toEqual(Array.from(t.data));
    }
    // Through the typed-array view as well: NaN payloads and -0 survive.
    const f32back = toTypedArray(back.tensors.f32!) as Float32Array;
    expect(Array.from(new Uint32Array(f32back.buffer))).toEqual(Array.from(f32bits));
    expect(Object.is(f32back[3], -0)).toBe(true);
    const f64back = toTypedArray(back.tensors.f64!) as Float64Array;
    expect(Array.from(new BigUint64Array(f64back.buffer))).toEqual(Array.from(f64bits));
    expect(Array.from(toTypedArray(back.tensors.i64!) as BigInt64Array)).toEqual([-(2n ** 63n), 2n ** 63n - 1n, -1n]);
    expect(Array.from(toTypedArray(back.tensors.i16!) as Int16Array)).toEqual([-32768, 32767, -1]);
    expect(Array.from(toTypedArray(back.tensors.i8!) as Int8Array)).toEqual([-128, 127, -1]);
    expect(Object.is((toTypedArray(back.tensors.scalar!) as Float64Array)[0], -0)).toBe(true);
    // BF16 widening keeps the NaN payload in the top bits.
    const bf = toTypedArray(back.tensors.bf16!) as Float32Array;
    expect(Array.from(new Uint32Array(bf.buffer))).toEqual([0x3f800000, 0x80000000, 0x7fc10000, 0xff800000]);
    const h = toTypedArray(back.tensors.f16!) as Float32Array;
    expect(h[0]).toBe(1);
    expect(Object.is(h[1], -0)).toBe(true);
    expect(Number.isNaN(h[2])).toBe(true);
    expect(h[3]).toBe(-Infinity);
  });

  it('returns owned copies, not views of the input', () => {
    const file = encodeSafetensors({ a: fromTypedArray('U8', [2], new Uint8Array([1, 2])) });
    const t = decodeSafetensors(file).tensors.a!;
    expect(t.data.buffer).not.toBe(file.buffer);
    file[file.length - 1] = 99;
    expect(Array.from(t.data)).toEqual([1, 2]);
  });

  it('reads data at an unaligned offset into aligned typed arrays', () => {
    const f = new Float64Array([1.5, -2.25]);
    const file = encodeSafetensors({ a: fromTypedArray('U8', [1], new Uint8Array([9])), b: fromTypedArray('F64', [2], f) });
    // Embed in a larger buffer at an odd offset to exercise byteOffset handling.
    const big = new Uint8Array(file.length + 3);
    big.set(file, 3);
    const back = decodeSafetensors(big.subarray(3));
    expect(Array.from(toTypedArray(back.tensors.b!) as Float64Array)).toEqual([1.5, -2.25]);
    expect(Array.from(toFloat32(back.tensors.a!))).toEqual([9]);
  });

  it('round trips a 1 MB tensor', () => {
    const n = 262144; // 4 bytes each = 1 MiB
    const a = new Float32Array(n);
    let s = 12345;
    for (let i = 0; i < n; i++) {
      s = (Math.imul(s, 1103515245) + 12345) >>> 0;
      a[i] = (s / 2 ** 32) * 2 - 1;
    }
    const file = encodeSafetensors({ w: fromTypedArray('F32', [512, 512], a) }, { format: 'pt' });
    const back = decodeSafetensors(file);
    const got = toTypedArray(back.tensors.w!) as Float32Array;
    expect(got.length).toBe(n);
    // Compare raw bits in a loop (deep-equality on a million elements is very slow).
    const ga = bytesOf(got);
    const wa = bytesOf(a);
    let mismatches = 0;
    for (let i = 0; i < wa.length; i++) if (ga[i] !== wa[i]) mismatches++;
    expect(ga.length).toBe(1 << 20);
    expect(mismatches).toBe(0);
    expect(back.metadata).toEqual({ format: 'pt' });
  });

  it('accepts a file with only metadata and an empty file body', () => {
    const back = decodeSafetensors(encodeSafetensors({}, { a: 'b' }));
    expect(back.tensors).toEqual({});
    expect(back.metadata).toEqual({ a: 'b' });
    expect(decodeSafetensors(rawFile('{}')).tensors).toEqual({});
  });

  it('keeps a "__proto__" name as data', () => {
    const file = rawFile('{"__proto__":{"dtype":"U8","shape":[1],"data_offsets":[0,1]}}', new Uint8Array([5]));
    const back = decodeSafetensors(file);
    expect(Object.keys(back.tensors)).toEqual(['__proto__']);
    expect(Object.getPrototypeOf(back.tensors)).toBe(Object.prototype);
  });
});

describe('safetensors rejects malformed input', () => {
  const ok = '{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}';
  const eight = new Uint8Array(8);

  it('sanity: the base case is accepted', () => {
    expect(decodeSafetensors(rawFile(ok, eight)).tensors.a!.shape).toEqual([2]);
  });

  it('truncated file', () => {
    expectReject(new Uint8Array(0), /shorter than/);
    expectReject(new Uint8Array(7), /shorter than/);
    const full = rawFile(ok, eight);
    expectReject(full.subarray(0, full.length - 1), /outside|hole/);
    expectReject(full.subarray(0, 20), /header length/);
  });

  it('header length 2^60 is refused before anything else', () => {
    expectReject(rawFile(ok, eight, 2n ** 60n), /header length 1152921504606846976 exceeds the limit/);
    expectReject(rawFile(ok, eight, 2n ** 64n - 1n), /exceeds the limit/);
  });

  it('header length larger than the file', () => {
    expectReject(rawFile(ok, eight, 1000n), /larger than/);
  });

  it('header larger than a configured limit, file larger than maxTotalBytes', () => {
    expectReject(rawFile(ok, eight), /exceeds the limit of 16/, { maxHeaderBytes: 16 });
    expectReject(rawFile(ok, eight), /larger than the limit/, { maxTotalBytes: 10 });
  });

  it('bad JSON, non-object, invalid UTF-8', () => {
    expectReject(rawFile('{"a":', eight), /not valid JSON/);
    expectReject(rawFile('{"a":{}} x'), /not valid JSON/);
    expectReject(rawFile('[1,2]'), /start with/);
    expectReject(rawFile(' {}'), /start with/);
    const bad = rawFile('{"\u00e9":1}');
    bad[10] = 0xff; // corrupt the two-byte é
    expectReject(bad, /UTF-8/);
    expectReject(rawFile('{' + '"a":['.repeat(1) + '['.repeat(200) + ']'.repeat(200) + ']}'), /too deep/);
  });

  it('padding with trailing spaces is accepted', () => {
    expect(Object.keys(decodeSafetensors(rawFile(ok + '   ', eight)).tensors)).toEqual(['a']);
  });

  it('unknown dtype', () => {
    expectReject(rawFile('{"a":{"dtype":"F128","shape":[1],"data_offsets":[0,16]}}', new Uint8Array(16)), /unknown dtype "F128"/);
    expectReject(rawFile('{"a":{"dtype":3,"shape":[1],"data_offsets":[0,1]}}', new Uint8Array(1)), /unknown dtype/);
  });

  it('bad shapes', () => {
    expectReject(rawFile('{"a":{"dtype":"F32","shape":[-2],"data_offsets":[0,8]}}', eight), /non-negative safe integers, got -2/);
    expectReject(rawFile('{"a":{"dtype":"F32","shape":[2.5],"data_offsets":[0,8]}}', eight), /non-negative/);
    expectReject(rawFile('{"a":{"dtype":"F32","shape":["2"],"data_offsets":[0,8]}}', eight), /non-negative/);
    expectReject(rawFile('{"a":{"dtype":"F32","shape":2,"data_offsets":[0,8]}}', eight), /not an array/);
    expectReject(rawFile('{"a":{"dtype":"F32","shape":[9007199254740993],"data_offsets":[0,8]}}', eight), /non-negative/);
  });

  it('huge shape product that would overflow', () => {
    // 2^32 * 2^32 * 4 bytes wraps to 0 in 64-bit arithmetic and loses all precision in doubles.
    expectReject(rawFile('{"a":{"dtype":"F32","shape":[4294967296,4294967296],"data_offsets":[0,0]}}'), /overflows/);
    expectReject(rawFile('{"a":{"dtype":"U8","shape":[3037000500,3037000500,2],"data_offsets":[0,8]}}', eight), /overflows/);
    // ...but a zero dimension makes any shape empty and legal.
    const z = decodeSafetensors(rawFile('{"a":{"dtype":"F32","shape":[4294967296,4294967296,0],"data_offsets":[0,0]}}'));
    expect(z.tensors.a!.data.length).toBe(0);
    expect(() => byteLength('F64', [2 ** 30, 2 ** 30, 2 ** 30])).toThrow(/overflows/);
  });

  it('data_offsets malformed or outside the data section', () => {
    expectReject(rawFile('{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,16]}}', eight), /outside/);
    expectReject(rawFile('{"a":{"dtype":"F32","shape":[2],"data_offsets":[8,0]}}', eight), /begin 8 > end 0/);
    expectReject(rawFile('{"a":{"dtype":"F32","shape":[2],"data_offsets":[0]}}', eight), /\[begin, end\]/);
    expectReject(rawFile('{"a":{"dtype":"F32","shape":[2],"data_offsets":[-8,0]}}', eight), /non-negative/);
    expectReject(rawFile('{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8.0]}}', eight), /non-negative/);
    expectReject(rawFile('{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,18446744073709551616]}}', eight), /non-negative/);
    expectReject(rawFile('{"a":{"dtype":"F32","shape":[2]}}', eight), /data_offsets/);
  });

  it('wrong byte length', () => {
    expectReject(rawFile('{"a":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}}', eight), /byte length 8 does not match F32\[3\] = 12/);
  });

  it('overlapping tensors', () => {
    expectReject(
      rawFile(
        '{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}',
        eight,
      ),
      /overlap/,
    );
    // Two names aliasing exactly the same bytes.
    expectReject(
      rawFile(
        '{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}',
        eight,
      ),
      /overlap/,
    );
  });

  it('holes in the data section', () => {
    expectReject(rawFile('{"a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}', eight), /hole.*\[0, 4\)/);
    expectReject(rawFile('{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}', eight), /hole.*\[4, 8\)/);
    expectReject(rawFile('{}', eight), /hole/);
  });

  it('duplicate keys', () => {
    expectReject(
      rawFile('{"a":{"dtype":"U8","shape":[1],"data_offsets":[0,1]},"a":{"dtype":"U8","shape":[1],"data_offsets":[1,2]}}', new Uint8Array(2)),
      /duplicate key "a"/,
    );
    // Escapes are decoded before comparing: "\u0061" is "a".
    expectReject(
      rawFile('{"a":{"dtype":"U8","shape":[1],"data_offsets":[0,1]},"\\u0061":{"dtype":"U8","shape":[1],"data_offsets":[1,2]}}', new Uint8Array(2)),
      /duplicate key "a"/,
    );
    expectReject(rawFile('{"a":{"dtype":"U8","dtype":"U8","shape":[1],"data_offsets":[0,1]}}', new Uint8Array(1)), /duplicate key "dtype"/);
  });

  it('metadata values that are not strings', () => {
    expectReject(rawFile('{"__metadata__":{"a":1}}'), /metadata value for "a" is not a string/);
    expectReject(rawFile('{"__metadata__":{"a":null}}'), /not a string/);
    expectReject(rawFile('{"__metadata__":[]}'), /__metadata__ is not an object/);
    expect(() => encodeSafetensors({}, { a: 1 as unknown as string })).toThrow(/safetensors: metadata value/);
  });

  it('unexpected fields and non-object entries', () => {
    expectReject(rawFile('{"a":{"dtype":"U8","shape":[1],"data_offsets":[0,1],"x":1}}', new Uint8Array(1)), /unexpected field "x"/);
    expectReject(rawFile('{"a":5}'), /not an object/);
  });
});

describe('safetensors helpers', () => {
  it('f16/bf16 conversion', () => {
    expect(f16ToF32(0x3c00)).toBe(1);
    expect(f16ToF32(0xc000)).toBe(-2);
    expect(f16ToF32(0x7bff)).toBe(65504);
    expect(f16ToF32(0x0001)).toBe(2 ** -24);
    expect(f16ToF32(0x0400)).toBe(2 ** -14);
    expect(f16ToF32(0x3555)).toBeCloseTo(1 / 3, 3);
    expect(f16ToF32(0x7c00)).toBe(Infinity);
    expect(Number.isNaN(f16ToF32(0x7c01))).toBe(true);
    expect(Object.is(f16ToF32(0x8000), -0)).toBe(true);
    expect(bf16ToF32(0x3f80)).toBe(1);
    expect(bf16ToF32(0x4049)).toBeCloseTo(3.140625, 6);
    expect(bf16ToF32(0xff80)).toBe(-Infinity);
  });

  it('fromTypedArray checks dtype, length and BOOL values', () => {
    expect(() => fromTypedArray('F32', [2], new Float64Array(2) as unknown as Float32Array)).toThrow(/needs a Float32Array, got Float64Array/);
    expect(() => fromTypedArray('F32', [3], new Float32Array(2))).toThrow(/needs 3/);
    expect(() => fromTypedArray('BOOL', [1], new Uint8Array([2]))).toThrow(/0 or 1/);
    expect(() => fromTypedArray('U8', [1], new Uint8ClampedArray(1) as unknown as Uint8Array)).toThrow(/Uint8Array/);
    expect(() => fromTypedArray('U8', [-1], new Uint8Array(0))).toThrow(/non-negative/);
    // A subarray view: only its own bytes are taken.
    const base = new Int32Array([1, 2, 3, 4]);
    const t = fromTypedArray('I32', [2], base.subarray(1, 3));
    expect(Array.from(toTypedArray(t) as Int32Array)).toEqual([2, 3]);
  });

  it('encode validates its input', () => {
    const bad: RawTensor = { dtype: 'F32', shape: [2], data: new Uint8Array(7) };
    expect(() => encodeSafetensors({ bad })).toThrow(/safetensors: .*7 bytes, expected 8/);
    expect(() => encodeSafetensors({ x: { dtype: 'F8' as STDtype, shape: [], data: new Uint8Array(1) } })).toThrow(/unknown dtype/);
    expect(() => encodeSafetensors({ __metadata__: fromTypedArray('U8', [0], new Uint8Array(0)) })).toThrow(/reserved/);
  });

  it('Node file helpers round trip', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'papergrad-st-'));
    try {
      const p = join(dir, 'm.safetensors');
      const t = { w: fromTypedArray('F32', [2], new Float32Array([0.5, -0.25])) };
      await saveSafetensors(p, t, { note: 'x' });
      const back = await loadSafetensors(p);
      expect(Array.from(toTypedArray(back.tensors.w!) as Float32Array)).toEqual([0.5, -0.25]);
      await writeFileBytes(p, new Uint8Array([1, 2, 3]));
      const raw = await readFileBytes(p);
      expect(raw.constructor).toBe(Uint8Array);
      expect(Array.from(raw)).toEqual([1, 2, 3]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
