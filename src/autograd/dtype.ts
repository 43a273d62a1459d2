// Element types and how they map to typed arrays.
// float64 exists on the CPU only (gradient checks); WebGPU has float32, int32 and bool.

export type DType = 'float32' | 'float64' | 'int32' | 'bool';
export type TypedArray = Float32Array | Float64Array | Int32Array | Uint8Array;
export type FloatArray = Float32Array | Float64Array;

export const DTYPES: readonly DType[] = ['float32', 'float64', 'int32', 'bool'];

export function arrayFor(dtype: DType, size: number): TypedArray {
  switch (dtype) {
    case 'float32': return new Float32Array(size);
    case 'float64': return new Float64Array(size);
    case 'int32': return new Int32Array(size);
    case 'bool': return new Uint8Array(size);
  }
}

export function bytesPerElement(dtype: DType): number {
  return dtype === 'float64' ? 8 : dtype === 'bool' ? 1 : 4;
}

export function isFloat(dtype: DType): boolean {
  return dtype === 'float32' || dtype === 'float64';
}

export function checkDType(d: string, op: string): DType {
  if ((DTYPES as readonly string[]).includes(d)) return d as DType;
  throw new Error(`${op}: unknown dtype '${d}' (expected one of ${DTYPES.join(', ')})`);
}

const RANK: Record<DType, number> = { bool: 0, int32: 1, float32: 2, float64: 3 };

/** Type promotion of two tensors (PyTorch-like): bool < int32 < float32 < float64. */
export function promote(a: DType, b: DType): DType {
  return RANK[a] >= RANK[b] ? a : b;
}

/**
 * Promotion with a plain JS number: the number is "weak" (it never widens a float tensor),
 * but a fractional number turns an integer or bool tensor into float32, and an integer number
 * turns a bool tensor into int32 (as PyTorch does).
 */
export function promoteScalar(t: DType, value: number): DType {
  if (isFloat(t)) return t;
  if (!Number.isInteger(value)) return 'float32';
  return t === 'bool' ? 'int32' : t;
}

/** The float dtype an op on `t` computes in: float64 stays, everything else becomes float32. */
export function floatOf(t: DType): DType {
  return t === 'float64' ? 'float64' : 'float32';
}

export function dtypeOfArray(a: TypedArray): DType {
  if (a instanceof Float32Array) return 'float32';
  if (a instanceof Float64Array) return 'float64';
  if (a instanceof Int32Array) return 'int32';
  return 'bool';
}
