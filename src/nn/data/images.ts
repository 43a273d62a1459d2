// Procedural image classification data: geometric shapes and digit-like glyphs drawn from strokes,
// with random position, scale, rotation, colours and stroke width, plus optional distribution
// shifts (colour transforms, blur, pixel noise) for robustness / OOD experiments.
import * as pg from '../../autograd/index.js';
import { genOf, normals, uniforms, type Generator } from './draw.js';

type Tensor = pg.Tensor;

export const SHAPE_CLASSES = ['circle', 'square', 'triangle', 'cross', 'bar', 'ring', 'diamond'] as const;
export const DIGIT_CLASSES = ['digit0', 'digit1', 'digit2', 'digit3', 'digit4', 'digit5', 'digit6', 'digit7', 'digit8', 'digit9'] as const;
/** Every class name proceduralImages knows, shapes first. */
export const IMAGE_CLASSES: readonly string[] = [...SHAPE_CLASSES, ...DIGIT_CLASSES];

export type ColorTransform = 'invert' | 'grayscale' | 'swap' | { matrix: number[][]; bias?: number[] };

/** A distribution shift applied after drawing (in this order, each optional; result clamped to [0, 1]). */
export interface ImageShift {
  /** 'invert' (1 - c), 'grayscale' (Rec. 601 luma), 'swap' (RGB -> BRG), or c' = matrix c + bias. */
  colorTransform?: ColorTransform;
  /** Gaussian blur, sigma in pixels (separable kernel of radius ceil(3 sigma), edges clamped). */
  blur?: number;
  /** Standard deviation of additive Gaussian pixel noise. */
  noise?: number;
}

export interface ProceduralImagesOptions {
  n: number;
  /** Side length in pixels (default 32; 8..128). */
  size?: number;
  /**
   * Class names (see IMAGE_CLASSES), a count k (the first k of IMAGE_CLASSES), 'shapes' or 'digits'.
   * Default 'shapes' (7 classes).
   */
  classes?: number | readonly string[] | 'shapes' | 'digits';
  generator?: Generator;
  shift?: ImageShift;
  /** Largest rotation in radians, either way (default 0.35). */
  maxRotation?: number;
}

export interface ProceduralImages {
  /** float32 [n, 3, size, size] in [0, 1]. */
  x: Tensor;
  /** int32 [n] class indices into classNames (uniform over classes). */
  y: Tensor;
  classNames: string[];
}

type Pt = [number, number];
// Digit strokes in a box [-0.5, 0.5]^2 (y grows downwards), as polylines.
const L = -0.25, R = 0.25, T = -0.4, B = 0.4, M = 0;
const DIGITS: Pt[][][] = [
  [[[L, T], [R, T], [R, B], [L, B], [L, T]]],
  [[[-0.1, -0.28], [0, T], [0, B]], [[-0.12, B], [0.12, B]]],
  [[[L, T], [R, T], [R, M], [L, M], [L, B], [R, B]]],
  [[[L, T], [R, T], [R, B], [L, B]], [[L, M], [R, M]]],
  [[[L, T], [L, M], [R, M]], [[R, T], [R, B]]],
  [[[R, T], [L, T], [L, M], [R, M], [R, B], [L, B]]],
  [[[R, T], [L, T], [L, B], [R, B], [R, M], [L, M]]],
  [[[L, T], [R, T], [-0.05, B]]],
  [[[L, T], [R, T], [R, B], [L, B], [L, T]], [[L, M], [R, M]]],
  [[[R, M], [L, M], [L, T], [R, T], [R, B], [L, B]]],
];
const DIGIT_SEGMENTS: [Pt, Pt][][] = DIGITS.map((lines) => lines.flatMap((pl) => pl.slice(1).map((p, i): [Pt, Pt] => [pl[i], p])));

/** Each digit's segments as [ax, ay, bx, by, ...]. */
const DIGIT_FLAT: Float64Array[] = DIGIT_SEGMENTS.map((segs) => Float64Array.from(segs.flatMap(([a, b]) => [a[0], a[1], b[0], b[1]])));

/**
 * A signed distance bound for each figure in its local frame (negative inside, positive outside):
 * |f| never exceeds the true distance to the figure's edge (exact for the circle, ring and strokes),
 * so a pixel whose centre has |f| > its half-diagonal is entirely inside or outside. w is the
 * stroke half-width.
 */
type Sdf = (u: number, v: number) => number;

function boxBound(u: number, v: number, hx: number, hy: number): number {
  // Chebyshev-style: exact inside, a lower bound outside.
  return Math.max(Math.abs(u) - hx, Math.abs(v) - hy);
}

function sdfOf(cls: string, w: number): Sdf {
  switch (cls) {
    case 'circle': return (u, v) => Math.sqrt(u * u + v * v) - 0.45;
    case 'ring': return (u, v) => Math.abs(Math.sqrt(u * u + v * v) - (0.45 - w)) - w;
    case 'square': return (u, v) => boxBound(u, v, 0.38, 0.38);
    case 'diamond': return (u, v) => (Math.abs(u) + Math.abs(v) - 0.48) / Math.SQRT2;
    case 'triangle': {
      // Apex (0, -0.42), base corners (+-0.45, 0.35): the max of the three edges' half-plane distances.
      const nx = 0.77, ny = 0.45, nl = Math.hypot(nx, ny);
      return (u, v) => Math.max(v - 0.35, (nx * Math.abs(u) - ny * (v + 0.42)) / nl);
    }
    case 'cross': return (u, v) => Math.min(boxBound(u, v, w, 0.45), boxBound(u, v, 0.45, w));
    case 'bar': return (u, v) => boxBound(u, v, 0.45, w);
    default: {
      const d = DIGIT_CLASSES.indexOf(cls as (typeof DIGIT_CLASSES)[number]);
      if (d < 0) throw new Error(`proceduralImages: unknown class '${cls}'`);
      const seg = DIGIT_FLAT[d];
      const ns = seg.length / 4;
      return (u, v) => {
        // Every stroke lies in the box [-0.25, 0.25] x [-0.4, 0.4]: far outside it, that bound will do.
        const out = boxBound(u, v, 0.25, 0.4);
        if (out > 0.2) return out - w;
        let m2 = Infinity;
        for (let k = 0; k < ns; k++) {
          const ax = seg[4 * k], ay = seg[4 * k + 1], dx = seg[4 * k + 2] - ax, dy = seg[4 * k + 3] - ay;
          const len2 = dx * dx + dy * dy;
          let t = len2 > 0 ? ((u - ax) * dx + (v - ay) * dy) / len2 : 0;
          t = t < 0 ? 0 : t > 1 ? 1 : t;
          const ex = u - ax - t * dx, ey = v - ay - t * dy;
          const e2 = ex * ex + ey * ey;
          if (e2 < m2) m2 = e2;
        }
        return Math.sqrt(m2) - w;
      };
    }
  }
}

function resolveClasses(c: ProceduralImagesOptions['classes']): string[] {
  if (c === undefined || c === 'shapes') return [...SHAPE_CLASSES];
  if (c === 'digits') return [...DIGIT_CLASSES];
  if (typeof c === 'number') {
    if (!Number.isInteger(c) || c < 1 || c > IMAGE_CLASSES.length) throw new Error(`proceduralImages: classes must be 1..${IMAGE_CLASSES.length}, got ${c}`);
    return IMAGE_CLASSES.slice(0, c);
  }
  if (!Array.isArray(c) || c.length === 0) throw new Error('proceduralImages: classes must be a non-empty list of names');
  for (const name of c) if (!IMAGE_CLASSES.includes(name)) throw new Error(`proceduralImages: unknown class '${name}' (known: ${IMAGE_CLASSES.join(', ')})`);
  if (new Set(c).size !== c.length) throw new Error('proceduralImages: duplicate class names');
  return [...c];
}

const PARAMS = 12; // uniforms per image

/**
 * Draws n images: class uniform over `classes`; the figure centred at 0.5 +- 0.15 of the image,
 * scaled to 55-85% of it, rotated by up to maxRotation, filled (shapes) or stroked (ring, cross,
 * bar, digits: half-width 4-6.5% of the figure) in a bright colour (channels in [0.55, 1]) on a dark
 * background (channels in [0.1, 0.4]); edges anti-aliased by 4x4 supersampling. Then the shift.
 */
export function proceduralImages(opts: ProceduralImagesOptions): ProceduralImages {
  const n = opts.n;
  const size = opts.size ?? 32;
  if (!Number.isInteger(n) || n < 0) throw new Error(`proceduralImages: n must be a non-negative integer, got ${n}`);
  if (!Number.isInteger(size) || size < 8 || size > 128) throw new Error(`proceduralImages: size must be an integer in [8, 128], got ${size}`);
  const classNames = resolveClasses(opts.classes);
  const K = classNames.length;
  const maxRot = opts.maxRotation ?? 0.35;
  const g = genOf(opts.generator);
  const u = uniforms(n * PARAMS, g);
  const S = size, P = S * S;
  const x = new Float32Array(n * 3 * P);
  const y = new Int32Array(n);
  const SS = 4;
  for (let i = 0; i < n; i++) {
    const p = u.subarray(i * PARAMS, (i + 1) * PARAMS);
    const cls = Math.min(K - 1, Math.floor(p[0] * K));
    y[i] = cls;
    const name = classNames[cls];
    const cx = 0.5 + (p[1] - 0.5) * 0.3, cy = 0.5 + (p[2] - 0.5) * 0.3;
    const scale = 0.55 + 0.3 * p[3];
    const th = (2 * p[4] - 1) * maxRot;
    const cos = Math.cos(th), sin = Math.sin(th);
    const fg = [0.55 + 0.45 * p[5], 0.55 + 0.45 * p[6], 0.55 + 0.45 * p[7]];
    const bg = [0.1 + 0.3 * p[8], 0.1 + 0.3 * p[9], 0.1 + 0.3 * p[10]];
    const w = 0.08 + 0.05 * p[11];
    const base = i * 3 * P;
    const f = sdfOf(name, w / 2);
    // Local coordinates of a point given in pixels: rotate by -theta about the centre, unscale.
    const lu = (qx: number, qy: number) => (cos * (qx / S - cx) + sin * (qy / S - cy)) / scale;
    const lv = (qx: number, qy: number) => (-sin * (qx / S - cx) + cos * (qy / S - cy)) / scale;
    const halfDiag = Math.SQRT1_2 / (S * scale);
    for (let py = 0; py < S; py++) {
      for (let px = 0; px < S; px++) {
        const d = f(lu(px + 0.5, py + 0.5), lv(px + 0.5, py + 0.5));
        let c: number;
        if (d > halfDiag) c = 0;
        else if (d < -halfDiag) c = 1;
        else {
          let hits = 0;
          for (let sy = 0; sy < SS; sy++)
            for (let sx = 0; sx < SS; sx++) {
              const qx = px + (sx + 0.5) / SS, qy = py + (sy + 0.5) / SS;
              if (f(lu(qx, qy), lv(qx, qy)) <= 0) hits++;
            }
          c = hits / (SS * SS);
        }
        const at = py * S + px;
        for (let ch = 0; ch < 3; ch++) x[base + ch * P + at] = bg[ch] * (1 - c) + fg[ch] * c;
      }
    }
  }
  if (opts.shift) applyShiftInPlace(x, n, S, opts.shift, g);
  return {
    x: pg.tensor(x, { shape: [n, 3, S, S] }),
    y: pg.tensor(y, { shape: [n] }),
    classNames,
  };
}

/**
 * Applies a distribution shift to images [n, 3, H, W] (H = W) in [0, 1], returning a new float32
 * tensor: e.g. a shifted test set for the same images. The generator drives the pixel noise.
 */
export function applyShift(images: Tensor, shift: ImageShift, opts: { generator?: Generator } = {}): Tensor {
  if (images.rank !== 4 || images.shape[1] !== 3 || images.shape[2] !== images.shape[3])
    throw new Error(`applyShift: expected images [n, 3, S, S], got [${images.shape}]`);
  const data = Float32Array.from(images.dataSync());
  applyShiftInPlace(data, images.shape[0], images.shape[2], shift, genOf(opts.generator));
  return pg.tensor(data, { shape: [...images.shape], device: images.device });
}

function applyShiftInPlace(x: Float32Array, n: number, S: number, shift: ImageShift, g: Generator): void {
  const P = S * S;
  const ct = shift.colorTransform;
  if (ct !== undefined) {
    let mat: number[][], bias: number[];
    if (ct === 'invert') (mat = [[-1, 0, 0], [0, -1, 0], [0, 0, -1]]), (bias = [1, 1, 1]);
    else if (ct === 'grayscale') (mat = [0, 1, 2].map(() => [0.299, 0.587, 0.114])), (bias = [0, 0, 0]);
    else if (ct === 'swap') (mat = [[0, 0, 1], [1, 0, 0], [0, 1, 0]]), (bias = [0, 0, 0]);
    else if (typeof ct === 'object' && Array.isArray(ct.matrix) && ct.matrix.length === 3 && ct.matrix.every((r) => Array.isArray(r) && r.length === 3)) {
      mat = ct.matrix;
      bias = ct.bias ?? [0, 0, 0];
      if (bias.length !== 3) throw new Error('applyShift: colorTransform.bias must have 3 entries');
    } else throw new Error(`applyShift: unknown colorTransform ${JSON.stringify(ct)}`);
    for (let i = 0; i < n; i++) {
      const b = i * 3 * P;
      for (let q = 0; q < P; q++) {
        const r = x[b + q], gg = x[b + P + q], bl = x[b + 2 * P + q];
        for (let c = 0; c < 3; c++) x[b + c * P + q] = clamp01(mat[c][0] * r + mat[c][1] * gg + mat[c][2] * bl + bias[c]);
      }
    }
  }
  if (shift.blur !== undefined && shift.blur > 0) {
    const sigma = shift.blur;
    const rad = Math.ceil(3 * sigma);
    const k = new Float64Array(2 * rad + 1);
    let ks = 0;
    for (let j = -rad; j <= rad; j++) ks += k[j + rad] = Math.exp((-j * j) / (2 * sigma * sigma));
    for (let j = 0; j < k.length; j++) k[j] /= ks;
    const tmp = new Float64Array(P);
    for (let plane = 0; plane < n * 3; plane++) {
      const o = plane * P;
      for (let r = 0; r < S; r++)
        for (let c = 0; c < S; c++) {
          let s = 0;
          for (let j = -rad; j <= rad; j++) s += k[j + rad] * x[o + r * S + Math.min(S - 1, Math.max(0, c + j))];
          tmp[r * S + c] = s;
        }
      for (let r = 0; r < S; r++)
        for (let c = 0; c < S; c++) {
          let s = 0;
          for (let j = -rad; j <= rad; j++) s += k[j + rad] * tmp[Math.min(S - 1, Math.max(0, r + j)) * S + c];
          x[o + r * S + c] = clamp01(s);
        }
    }
  } else if (shift.blur !== undefined && !(shift.blur >= 0)) throw new Error(`applyShift: blur must be >= 0, got ${shift.blur}`);
  if (shift.noise !== undefined && shift.noise > 0) {
    const z = normals(x.length, g);
    for (let i = 0; i < x.length; i++) x[i] = clamp01(x[i] + shift.noise * z[i]);
  } else if (shift.noise !== undefined && !(shift.noise >= 0)) throw new Error(`applyShift: noise must be >= 0, got ${shift.noise}`);
}

function clamp01(v: number): number {
  return v < 0 ? 0 : v > 1 ? 1 : v;
}
