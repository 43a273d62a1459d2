// Corruptions of a clean data set with known ground truth: label noise (with the flipped mask and
// the noise transition matrix) and planted near-duplicates (with group ids).
import * as pg from '../../autograd/index.js';
import { genOf, normals, permutation, uniforms, type Generator } from './draw.js';

type Tensor = pg.Tensor;

export interface LabelNoiseOptions {
  /** Probability that a label is flipped, in [0, 1]. */
  rate: number;
  numClasses: number;
  /**
   * 'symmetric': a flipped label becomes one of the other numClasses - 1 classes uniformly.
   * 'asymmetric': a flipped label of class c becomes mapping[c] (default (c + 1) mod numClasses),
   * the class-dependent "pair flip" noise of e.g. Patrini et al. (2017) / Han et al. (2018).
   */
  kind?: 'symmetric' | 'asymmetric';
  mapping?: number[];
  generator?: Generator;
}

export interface LabelNoise {
  /** The noisy labels, int32 like the input. */
  y: Tensor;
  /** bool [n]: true where the label was changed (so y_noisy != y_clean exactly there). */
  flipped: Tensor;
  /** The noise transition matrix T[i][j] = P(noisy = j | clean = i). */
  transition: number[][];
}

/**
 * Flips each label independently with probability `rate` (one uniform per sample decides, a second
 * picks the new class for symmetric noise). Flips always change the class, so the realised flip
 * fraction estimates `rate`, and `flipped` is exactly where the labels differ.
 */
export function injectLabelNoise(y: Tensor, opts: LabelNoiseOptions): LabelNoise {
  const { rate, numClasses: K } = opts;
  const kind = opts.kind ?? 'symmetric';
  if (!(rate >= 0 && rate <= 1)) throw new Error(`injectLabelNoise: rate must be in [0, 1], got ${rate}`);
  if (!Number.isInteger(K) || K < 2) throw new Error(`injectLabelNoise: numClasses must be an integer >= 2, got ${K}`);
  if (y.rank !== 1 || y.dtype !== 'int32') throw new Error(`injectLabelNoise: y must be a 1-D int32 tensor, got [${y.shape}] ${y.dtype}`);
  if (kind !== 'symmetric' && kind !== 'asymmetric') throw new Error(`injectLabelNoise: unknown kind '${String(kind)}'`);
  const mapping = opts.mapping ?? Array.from({ length: K }, (_, c) => (c + 1) % K);
  if (kind === 'asymmetric') {
    if (mapping.length !== K || mapping.some((m, c) => !Number.isInteger(m) || m < 0 || m >= K || m === c))
      throw new Error(`injectLabelNoise: mapping must send each of the ${K} classes to a different valid class`);
  }
  const clean = y.dataSync() as Int32Array;
  const n = clean.length;
  for (let i = 0; i < n; i++) if (clean[i] < 0 || clean[i] >= K) throw new Error(`injectLabelNoise: label ${clean[i]} at ${i} is outside [0, ${K})`);
  const g = genOf(opts.generator);
  const u = uniforms(2 * n, g);
  const noisy = new Int32Array(n);
  const flipped = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    const c = clean[i];
    if (u[2 * i] < rate) {
      noisy[i] = kind === 'symmetric' ? (c + 1 + Math.min(K - 2, Math.floor(u[2 * i + 1] * (K - 1)))) % K : mapping[c];
      flipped[i] = 1;
    } else noisy[i] = c;
  }
  const transition = Array.from({ length: K }, (_, i) =>
    Array.from({ length: K }, (_, j) => {
      if (i === j) return 1 - rate;
      if (kind === 'symmetric') return rate / (K - 1);
      return mapping[i] === j ? rate : 0;
    }),
  );
  return {
    y: pg.tensor(noisy, { shape: [n], device: y.device }),
    flipped: pg.tensor(flipped, { dtype: 'bool', shape: [n], device: y.device }),
    transition,
  };
}

export interface NearDuplicateOptions {
  /** Number of source samples that get duplicates (chosen without replacement). */
  groups: number;
  /** Near-copies per source. */
  copies: number;
  /** Standard deviation of the Gaussian perturbation added to each copy (absolute units). */
  noise: number;
  /** Clamp the copies to [lo, hi] (e.g. [0, 1] for images). */
  clamp?: [number, number];
  generator?: Generator;
}

export interface NearDuplicates {
  /** The original rows followed by the copies: [n + groups * copies, ...]. */
  x: Tensor;
  /** Labels: originals, then each copy with its source's label. */
  y: Tensor;
  /** int32 [N]: group id (0..groups-1) of each source and its copies, -1 for every other row. */
  groupId: Tensor;
  /** int32 [N]: the dataset row each row was copied from (its own index for originals). */
  sourceIndex: Tensor;
  /** The source rows, one per group. */
  sources: Int32Array;
}

/**
 * Plants near-duplicates: picks `groups` distinct rows of x, appends `copies` noisy copies of each
 * (x_src + noise * N(0, I), same label). The copies follow the originals in group order; shuffle
 * with a DataLoader. `groupId` and `sourceIndex` identify them for leakage / memorisation studies.
 */
export function plantNearDuplicates(x: Tensor, y: Tensor, opts: NearDuplicateOptions): NearDuplicates {
  const { groups, copies, noise } = opts;
  const n = x.shape[0];
  if (x.rank < 1 || y.rank < 1 || y.shape[0] !== n) throw new Error(`plantNearDuplicates: x [${x.shape}] and y [${y.shape}] need the same first dimension`);
  if (!Number.isInteger(groups) || groups < 0 || groups > n) throw new Error(`plantNearDuplicates: groups must be an integer in [0, ${n}], got ${groups}`);
  if (!Number.isInteger(copies) || copies < 0) throw new Error(`plantNearDuplicates: copies must be a non-negative integer, got ${copies}`);
  if (!(noise >= 0)) throw new Error(`plantNearDuplicates: noise must be >= 0, got ${noise}`);
  if (x.dtype !== 'float32' && x.dtype !== 'float64') throw new Error(`plantNearDuplicates: x must be a float tensor, got ${x.dtype}`);
  const g = genOf(opts.generator);
  const sources = permutation(n, g).slice(0, groups);
  const rowSize = x.size / Math.max(n, 1);
  const m = groups * copies;
  const src = new Int32Array(m);
  for (let k = 0; k < groups; k++) for (let c = 0; c < copies; c++) src[k * copies + c] = sources[k];
  const z = normals(m * rowSize, g);
  const N = n + m;
  const groupId = new Int32Array(N).fill(-1);
  const sourceIndex = new Int32Array(N);
  for (let i = 0; i < n; i++) sourceIndex[i] = i;
  sources.forEach((s, k) => (groupId[s] = k));
  for (let j = 0; j < m; j++) {
    groupId[n + j] = Math.floor(j / Math.max(copies, 1));
    sourceIndex[n + j] = src[j];
  }
  const outX = pg.tidy(() => {
    const idx = pg.tensor(src, { shape: [m], device: x.device });
    const base = x.indexSelect(0, idx);
    const shape = [m, ...x.shape.slice(1)];
    const zt = pg.tensor(x.dtype === 'float64' ? z : Float32Array.from(z), { shape, device: x.device });
    let dup = base.add(zt.mul(noise));
    if (opts.clamp) dup = dup.clamp(opts.clamp[0], opts.clamp[1]);
    return pg.cat([x, dup], 0);
  });
  const outY = pg.tidy(() => pg.cat([y, y.indexSelect(0, pg.tensor(src, { shape: [m], device: y.device }))], 0));
  return {
    x: outX,
    y: outY,
    groupId: pg.tensor(groupId, { shape: [N], device: x.device }),
    sourceIndex: pg.tensor(sourceIndex, { shape: [N], device: x.device }),
    sources,
  };
}
