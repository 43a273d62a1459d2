// Shape ops. Most are views: new shape/strides/offset over the same storage, no kernel, only a
// gradient rule (views are not table entries). pad/cat (and slice's adjoint, `place`) are kernels.
import { Tensor, type Dims } from '../tensor.js';
import type { GradRule, OpDef } from '../opdef.js';
import { ints, normal } from '../opdef.js';
import { contiguousStrides, fmt, inferShape, isContiguous, normDim, normDims, sizeOf } from '../shape.js';
import { identity, record } from '../engine.js';
import { deviceOf, runOp, scoped, sumTo } from './core.js';
import { promote } from '../dtype.js';

export { identity };

function makeView<A>(name: string, x: Tensor, shape: readonly number[], strides: readonly number[], offset: number, grad: GradRule<A>, attrs: A): Tensor {
  x.assertAlive(name);
  return record(name, grad, [x], new Tensor(x.storage, shape, strides, offset), attrs);
}

export function reshape(x: Tensor, shape: readonly number[]): Tensor {
  const s = inferShape('reshape', x.shape, shape);
  const c = isContiguous(x.shape, x.strides) ? x : x.contiguous();
  return makeView('reshape', c, s, contiguousStrides(s), c.offset, (dy, { inputs: [i] }) => [reshape(dy, i.shape)], {});
}

export function view(x: Tensor, shape: readonly number[]): Tensor {
  if (!x.isContiguous) throw new Error(`view: tensor ${fmt(x.shape)} is not contiguous; use reshape() (which copies) or contiguous() first`);
  return reshape(x, shape);
}

export function flatten(x: Tensor, startDim = 0, endDim = -1): Tensor {
  if (x.rank === 0) return reshape(x, [1]);
  const s = normDim('flatten', startDim, x.rank);
  const e = normDim('flatten', endDim, x.rank);
  if (s > e) throw new Error(`flatten: startDim ${startDim} comes after endDim ${endDim}`);
  return reshape(x, [...x.shape.slice(0, s), sizeOf(x.shape.slice(s, e + 1)), ...x.shape.slice(e + 1)]);
}

export function squeeze(x: Tensor, dim?: Dims): Tensor {
  const dims = dim === undefined ? x.shape.map((d, i) => (d === 1 ? i : -1)).filter((i) => i >= 0) : normDims('squeeze', dim, x.rank);
  const keep = x.shape.map((_, i) => i).filter((i) => !(dims.includes(i) && x.shape[i] === 1));
  return makeView('squeeze', x, keep.map((i) => x.shape[i]), keep.map((i) => x.strides[i]), x.offset,
    (dy, { inputs: [i] }) => [reshape(dy, i.shape)], {});
}

export function unsqueeze(x: Tensor, dim: number): Tensor {
  const d = normDim('unsqueeze', dim, x.rank + 1);
  const shape = [...x.shape];
  const strides = [...x.strides];
  shape.splice(d, 0, 1);
  strides.splice(d, 0, d < x.rank ? x.strides[d] * x.shape[d] : 1);
  return makeView('unsqueeze', x, shape, strides, x.offset, (dy) => [squeeze(dy, d)], {});
}

export function permute(x: Tensor, dims: readonly number[]): Tensor {
  if (dims.length !== x.rank) throw new Error(`permute: expected ${x.rank} dims for shape ${fmt(x.shape)}, got ${fmt(dims)}`);
  const p = dims.map((d) => normDim('permute', d, x.rank));
  if (new Set(p).size !== p.length) throw new Error(`permute: ${fmt(dims)} is not a permutation`);
  const inv = new Array<number>(p.length);
  p.forEach((d, i) => (inv[d] = i));
  return makeView('permute', x, p.map((d) => x.shape[d]), p.map((d) => x.strides[d]), x.offset, (dy) => [permute(dy, inv)], {});
}

export function transpose(x: Tensor, d0 = -2, d1 = -1): Tensor {
  if (x.rank < 2) return x;
  const a = normDim('transpose', d0, x.rank);
  const b = normDim('transpose', d1, x.rank);
  const p = x.shape.map((_, i) => i);
  p[a] = b;
  p[b] = a;
  return permute(x, p);
}

export function expand(x: Tensor, shape: readonly number[]): Tensor {
  if (shape.length < x.rank) throw new Error(`expand: target ${fmt(shape)} has fewer dims than ${fmt(x.shape)}`);
  const lead = shape.length - x.rank;
  const outShape: number[] = [];
  const strides: number[] = [];
  for (let i = 0; i < shape.length; i++) {
    const src = i < lead ? 1 : x.shape[i - lead];
    const want = shape[i] === -1 ? src : shape[i];
    if (src !== want && src !== 1) throw new Error(`expand: cannot expand ${fmt(x.shape)} to ${fmt(shape)} (dim ${i}: ${src} -> ${want})`);
    outShape.push(want);
    strides.push(i < lead || (src === 1 && want !== 1) ? 0 : x.strides[i - lead]);
  }
  return makeView('expand', x, outShape, strides, x.offset, (dy, { inputs: [i] }) => [sumTo(dy, i.shape)], {});
}

// ---------------------------------------------------------------- slicing
/** Places x into a `shape` tensor filled with `value`, at starts[d] + i*steps[d] along each dim. */
export const PLACE = {
  kind: 'kernel', name: 'place',
  grad: (dy, { inputs: [x], attrs: { starts, steps } }) => [stridedSlice(dy, starts, steps, x.shape)],
  check: { examples: [
    { note: 'pad', inputs: [normal([2, 3, 4])], call: (x) => [pad(x, [1, 2]), pad(x, [0, 1, 2, 0], -1.5)] },
    { note: 'pad a transposed view, every dim', inputs: [normal([3, 2])], call: (x) => pad(x.transpose(), [1, 0, 2, 1], 3) },
    { note: 'int32', inputs: [ints([3], 0, 5)], call: (x) => pad(x, [2, 2], 9), grad: false },
  ] },
} satisfies OpDef<{ starts: number[]; steps: number[]; value: number }>;

function stridedSlice(x: Tensor, starts: number[], steps: number[], sizes: readonly number[]): Tensor {
  const offset = x.offset + starts.reduce((acc, s, d) => acc + s * x.strides[d], 0);
  return makeView('slice', x, sizes, x.strides.map((s, d) => s * steps[d]), offset,
    (dy, { inputs: [i] }) => [place(dy, i.shape, starts, steps, 0)], {});
}

function place(x: Tensor, shape: readonly number[], starts: number[], steps: number[], value: number): Tensor {
  return runOp(PLACE, [x], shape, x.dtype, { starts, steps, value });
}

/** x[start:end:step] along dim, with Python's negative indices and clamping. A view. */
export function slice(x: Tensor, dim: number, start?: number, end?: number, step = 1): Tensor {
  const d = normDim('slice', dim, x.rank);
  if (!Number.isInteger(step) || step <= 0) throw new Error(`slice: step must be a positive integer, got ${step}`);
  const n = x.shape[d];
  const clampIdx = (v: number) => Math.min(Math.max(v < 0 ? v + n : v, 0), n);
  const s = start === undefined ? 0 : clampIdx(start);
  const e = end === undefined ? n : clampIdx(end);
  const len = Math.max(0, Math.ceil((e - s) / step));
  const starts = x.shape.map(() => 0);
  const steps = x.shape.map(() => 1);
  starts[d] = s;
  steps[d] = step;
  const sizes = [...x.shape];
  sizes[d] = len;
  return stridedSlice(x, starts, steps, sizes);
}

export function narrow(x: Tensor, dim: number, start: number, length: number): Tensor {
  const d = normDim('narrow', dim, x.rank);
  const s = start < 0 ? start + x.shape[d] : start;
  if (s < 0 || length < 0 || s + length > x.shape[d])
    throw new Error(`narrow: range [${start}, ${start}+${length}) is outside dim ${dim} of size ${x.shape[d]}`);
  return slice(x, d, s, s + length);
}

export function select(x: Tensor, dim: number, index: number): Tensor {
  const d = normDim('select', dim, x.rank);
  const n = x.shape[d];
  if (!Number.isInteger(index) || index < -n || index >= n) throw new Error(`select: index ${index} out of range for dim ${dim} of size ${n}`);
  const i = index < 0 ? index + n : index;
  return squeeze(slice(x, d, i, i + 1), d);
}

export function split(x: Tensor, sizeOrSections: number | number[], dim = 0): Tensor[] {
  const d = normDim('split', dim, x.rank);
  const n = x.shape[d];
  let sizes: number[];
  if (typeof sizeOrSections === 'number') {
    if (sizeOrSections <= 0) throw new Error(`split: size must be positive, got ${sizeOrSections}`);
    sizes = [];
    for (let s = 0; s < n; s += sizeOrSections) sizes.push(Math.min(sizeOrSections, n - s));
  } else {
    sizes = sizeOrSections;
    if (sizes.reduce((a, b) => a + b, 0) !== n) throw new Error(`split: sections ${fmt(sizes)} do not add up to dim ${dim} of size ${n}`);
  }
  let s = 0;
  return sizes.map((len) => slice(x, d, s, (s += len)));
}

export function chunk(x: Tensor, chunks: number, dim = 0): Tensor[] {
  const d = normDim('chunk', dim, x.rank);
  return split(x, Math.ceil(x.shape[d] / chunks), d);
}

/** Reverses the given dims: a view with negative strides. */
export function flip(x: Tensor, dims: Dims): Tensor {
  const ds = normDims('flip', dims, x.rank);
  let offset = x.offset;
  const strides = [...x.strides];
  for (const d of ds) {
    if (x.shape[d] > 0) offset += (x.shape[d] - 1) * strides[d];
    strides[d] = -strides[d];
  }
  return makeView('flip', x, x.shape, strides, offset, (dy) => [flip(dy, ds)], {});
}

/** Tiles x (torch.Tensor.repeat): expand an interleaved view, then reshape. */
export const repeat = scoped(function repeat(x: Tensor, reps: readonly number[]): Tensor {
  if (reps.length < x.rank) throw new Error(`repeat: need at least ${x.rank} repetitions for ${fmt(x.shape)}, got ${fmt(reps)}`);
  let y = reshape(x, [...new Array(reps.length - x.rank).fill(1), ...x.shape]);
  const inter: number[] = [];
  const target: number[] = [];
  y.shape.forEach((d, i) => {
    inter.push(1, d);
    target.push(reps[i], d);
  });
  y = expand(reshape(y, inter), target);
  return reshape(y, y.shape.reduce<number[]>((acc, d, i) => (i % 2 ? (acc[acc.length - 1] *= d, acc) : [...acc, d]), []));
});

/** Constant padding; pads are given last dim first: [left, right, top, bottom, ...] as torch.nn.functional.pad. */
export function pad(x: Tensor, pads: readonly number[], value = 0): Tensor {
  if (pads.length % 2 || pads.length / 2 > x.rank) throw new Error(`pad: expected pairs for at most ${x.rank} dims, got ${fmt(pads)}`);
  if (pads.some((p) => !Number.isInteger(p) || p < 0)) throw new Error(`pad: pads must be non-negative integers, got ${fmt(pads)}`);
  const starts = x.shape.map(() => 0);
  const shape = [...x.shape];
  for (let k = 0; k < pads.length / 2; k++) {
    const d = x.rank - 1 - k;
    starts[d] = pads[2 * k];
    shape[d] += pads[2 * k] + pads[2 * k + 1];
  }
  return place(x, shape, starts, x.shape.map(() => 1), value);
}

// ---------------------------------------------------------------- cat / stack
export const CAT = {
  kind: 'kernel', name: 'cat',
  grad: (dy, { inputs, attrs: { dim } }) => {
    let s = 0;
    return inputs.map((x) => slice(dy, dim, s, (s += x.shape[dim])));
  },
  check: { examples: [
    { inputs: [normal([2, 3]), normal([2, 2])], call: (a, b) => [cat([a, b], 1), cat([a, a.neg()], -2)] },
    { note: 'stack', inputs: [normal([2, 3]), normal([2, 3])], call: (a, b) => stack([a, b, a], 1) },
    { note: 'mixed dtypes, bool', inputs: [ints([2, 3], 0, 9), normal([2, 5])], call: (a, b) => [cat([a, b], 1), cat([a.gt(4), a.lt(2)])], grad: false },
  ] },
} satisfies OpDef<{ dim: number }>;

export function cat(xs: Tensor[], dim = 0): Tensor {
  if (xs.length === 0) throw new Error('cat: expected at least one tensor');
  deviceOf('cat', ...xs);
  const r = xs[0].rank;
  const d = normDim('cat', dim, r);
  for (const x of xs)
    if (x.rank !== r || x.shape.some((s, i) => i !== d && s !== xs[0].shape[i]))
      throw new Error(`cat: shapes ${xs.map((t) => fmt(t.shape)).join(', ')} differ outside dim ${dim}`);
  const dtype = xs.map((x) => x.dtype).reduce(promote);
  const ins = xs.map((x) => (x.dtype === dtype ? x : x.cast(dtype)));
  const shape = [...xs[0].shape];
  shape[d] = xs.reduce((a, x) => a + x.shape[d], 0);
  return runOp(CAT, ins, shape, dtype, { dim: d });
}

export const stack = scoped(function stack(xs: Tensor[], dim = 0): Tensor {
  if (xs.length === 0) throw new Error('stack: expected at least one tensor');
  const d = normDim('stack', dim, xs[0].rank + 1);
  for (const x of xs)
    if (x.shape.join() !== xs[0].shape.join()) throw new Error(`stack: shapes differ: ${xs.map((t) => fmt(t.shape)).join(', ')}`);
  return cat(xs.map((x) => unsqueeze(x, d)), d);
});
