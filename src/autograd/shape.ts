// Shapes, strides, broadcasting and dim normalisation, with errors that name the op and the shapes.

export type Shape = readonly number[];

export function fmt(shape: Shape): string {
  return `[${shape.join(',')}]`;
}

export function sizeOf(shape: Shape): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

export function contiguousStrides(shape: Shape): number[] {
  const s = new Array<number>(shape.length);
  let acc = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    s[i] = acc;
    acc *= shape[i];
  }
  return s;
}

export function isContiguous(shape: Shape, strides: Shape): boolean {
  let acc = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    if (shape[i] !== 1 && strides[i] !== acc) return false;
    acc *= shape[i];
  }
  return true;
}

export function shapesEqual(a: Shape, b: Shape): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

export function broadcastShapes(op: string, ...shapes: Shape[]): number[] {
  const rank = Math.max(...shapes.map((s) => s.length));
  const out = new Array<number>(rank).fill(1);
  for (const s of shapes) {
    for (let i = 0; i < s.length; i++) {
      const o = rank - s.length + i;
      const d = s[i];
      if (d === out[o] || d === 1) continue;
      if (out[o] === 1) out[o] = d;
      else throw new Error(`${op}: shapes ${shapes.map(fmt).join(' and ')} cannot be broadcast (dim ${o - rank}: ${out[o]} vs ${d})`);
    }
  }
  return out;
}

/** Strides that read `shape`/`strides` as if broadcast to `target` (0 on broadcast dims). */
export function broadcastStrides(shape: Shape, strides: Shape, target: Shape): number[] {
  const out = new Array<number>(target.length).fill(0);
  const off = target.length - shape.length;
  for (let i = 0; i < shape.length; i++) out[i + off] = shape[i] === 1 && target[i + off] !== 1 ? 0 : strides[i];
  return out;
}

export function normDim(op: string, dim: number, rank: number): number {
  if (!Number.isInteger(dim)) throw new Error(`${op}: dim must be an integer, got ${dim}`);
  const r = Math.max(rank, 1);
  if (dim < -r || dim >= r) throw new Error(`${op}: dim ${dim} out of range for a tensor of rank ${rank}`);
  return dim < 0 ? dim + r : dim;
}

/** Normalises `dim` (number, list, or undefined = all dims) into a sorted unique list. */
export function normDims(op: string, dim: number | readonly number[] | undefined, rank: number): number[] {
  if (dim === undefined) return Array.from({ length: rank }, (_, i) => i);
  const list = typeof dim === 'number' ? [dim] : [...dim];
  const out = list.map((d) => normDim(op, d, rank));
  if (new Set(out).size !== out.length) throw new Error(`${op}: repeated dim in ${JSON.stringify(dim)}`);
  return out.sort((a, b) => a - b);
}

/** Resolves a reshape target with at most one -1. */
export function inferShape(op: string, from: Shape, to: readonly number[]): number[] {
  const total = sizeOf(from);
  let unknown = -1;
  let known = 1;
  to.forEach((d, i) => {
    if (d === -1) {
      if (unknown >= 0) throw new Error(`${op}: only one dimension can be -1, got ${fmt(to)}`);
      unknown = i;
    } else if (!Number.isInteger(d) || d < 0) throw new Error(`${op}: invalid dimension ${d} in ${fmt(to)}`);
    else known *= d;
  });
  const out = [...to];
  if (unknown >= 0) {
    if (known === 0 || total % known !== 0) throw new Error(`${op}: cannot reshape ${fmt(from)} (${total} elements) into ${fmt(to)}`);
    out[unknown] = total / known;
  } else if (known !== total) throw new Error(`${op}: cannot reshape ${fmt(from)} (${total} elements) into ${fmt(to)}`);
  return out;
}

/**
 * Merges adjacent dims that are laid out contiguously in every operand, so the strided
 * loops run over as few, as long rows as possible. Returns the merged shape and strides.
 */
export function collapseDims(shape: Shape, stridesList: Shape[]): { shape: number[]; strides: number[][] } {
  const outShape: number[] = [];
  const outStrides: number[][] = stridesList.map(() => []);
  for (let i = 0; i < shape.length; i++) {
    if (shape[i] === 1) continue;
    const last = outShape.length - 1;
    if (last >= 0 && stridesList.every((s, k) => outStrides[k][last] === s[i] * shape[i])) {
      outShape[last] *= shape[i];
      stridesList.forEach((s, k) => (outStrides[k][last] = s[i]));
    } else {
      outShape.push(shape[i]);
      stridesList.forEach((s, k) => outStrides[k].push(s[i]));
    }
  }
  if (outShape.length === 0) {
    outShape.push(1);
    outStrides.forEach((s) => s.push(1));
  }
  return { shape: outShape, strides: outStrides };
}

/** Output length of a convolution along one axis: floor((in + 2p - d(k-1) - 1)/s) + 1. */
export function convOutputSize(inSize: number, k: number, stride: number, pad: number, dil: number): number {
  return Math.floor((inSize + 2 * pad - dil * (k - 1) - 1) / stride) + 1;
}
