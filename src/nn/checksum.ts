// An optional content checksum for safetensors files: CRC-32 (the zlib / PNG polynomial) of every
// byte of the file, stored in the header's metadata under "papergrad.crc32" as 8 hex digits. The
// checksum covers the header too, so while it is computed its own 8 digits count as "00000000";
// writing patches them in place (same length, so no offset moves). Other readers see an ordinary
// metadata entry. CRC-32 finds accidental damage (truncation, flipped bits, a half-copied file),
// not deliberate tampering.

export const CHECKSUM_KEY = 'papergrad.crc32';
const PLACEHOLDER = '00000000';

const TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

/** CRC-32 of bytes[from, to), continuing from `crc` (the CRC of what came before; 0 to start). */
export function crc32(bytes: Uint8Array, crc = 0, from = 0, to = bytes.length): number {
  let c = ~crc >>> 0;
  for (let i = from; i < to; i++) c = TABLE[(c ^ bytes[i]) & 0xff] ^ (c >>> 8);
  return ~c >>> 0;
}

/** Metadata with a placeholder checksum entry, for encoding a file that will carry one. */
export function withChecksumPlaceholder(metadata: Record<string, string> | undefined): Record<string, string> {
  return { ...(metadata ?? {}), [CHECKSUM_KEY]: PLACEHOLDER };
}

/**
 * Where the checksum's 8 digits sit in an encoded file (the byte offset of the first), or -1. Only
 * the header is searched; JSON escapes quotes inside names and values, so the key-value opening
 * `"papergrad.crc32":"` cannot occur anywhere else.
 */
function digitsAt(bytes: Uint8Array): number {
  if (bytes.length < 8) return -1;
  const headerLen = new DataView(bytes.buffer, bytes.byteOffset, 8).getUint32(0, true);
  const end = Math.min(bytes.length, 8 + headerLen);
  const needle = asciiBytes(`${JSON.stringify(CHECKSUM_KEY)}:"`);
  outer: for (let i = 8; i + needle.length + 8 <= end; i++) {
    for (let j = 0; j < needle.length; j++) if (bytes[i + j] !== needle[j]) continue outer;
    return i + needle.length;
  }
  return -1;
}

/**
 * Bytes of an ASCII string (the key, the placeholder and hex digits are ASCII). Not TextEncoder:
 * this module is imported by all of pg.nn, and some engines (QuickJS, embedded runtimes) lack it.
 */
function asciiBytes(s: string): Uint8Array {
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
  return out;
}

const ZEROS = asciiBytes(PLACEHOLDER);

/** CRC-32 of the file with its checksum digits (at `at`) read as "00000000". */
function contentCrc(bytes: Uint8Array, at: number): number {
  let c = crc32(bytes, 0, 0, at);
  c = crc32(ZEROS, c);
  return crc32(bytes, c, at + 8, bytes.length);
}

function hex(n: number): string {
  return n.toString(16).padStart(8, '0');
}

/** Fills in the checksum of a file encoded with withChecksumPlaceholder (in place; returns it). */
export function sealChecksum(bytes: Uint8Array): Uint8Array {
  const at = digitsAt(bytes);
  if (at < 0) throw new Error('checkpoint: internal: no checksum placeholder in the encoded file');
  bytes.set(asciiBytes(hex(contentCrc(bytes, at))), at);
  return bytes;
}

/**
 * Checks a decoded file's checksum: 'absent' when its metadata has none, 'ok' when it matches;
 * a mismatch throws, naming both values.
 */
export function verifyChecksum(bytes: Uint8Array, metadata: Record<string, string>): 'absent' | 'ok' {
  const recorded = metadata[CHECKSUM_KEY];
  if (recorded === undefined) return 'absent';
  const at = digitsAt(bytes);
  if (!/^[0-9a-f]{8}$/.test(recorded) || at < 0) throw new Error(`checkpoint: the checksum entry ${JSON.stringify(recorded)} is malformed; the file is damaged`);
  const got = hex(contentCrc(bytes, at));
  if (got !== recorded)
    throw new Error(`checkpoint: checksum mismatch: the file's content has CRC-32 ${got} but its header records ${recorded}; the file is damaged (or was edited after saving)`);
  return 'ok';
}
