/**
 * The synthetic segmentation task: small street-like scenes with four classes
 *   0 background, 1 road, 2 blob (a round object), 3 pole (a thin vertical bar)
 * drawn at size × size pixels. The layout (where each class is) has one distribution; the
 * appearance (per-class colour and texture, then a shift) defines a domain:
 *  - source: the reference colours and textures, light pixel noise;
 *  - a target: the same scenes seen through a controlled shift: a hue rotation of every colour
 *    about the grey axis, per-image colour jitter, Gaussian pixel noise and a 3x3 box blur;
 *  - the "noisy clusters" target also pulls the class colours towards their mean (`overlap`) and
 *    adds more noise, so that colour alone separates the classes far less well.
 * Every random number comes from the pg.Generator passed in (Philox, via nn/data's host draws), so
 * a (seed, style, n, size) tuple always gives the same images and labels.
 */
import * as pg from '../../autograd/index.js';
import type { Tensor } from '../../autograd/index.js';
import { normals, uniforms, type Generator } from '../../nn/data/draw.js';

export const CLASS_NAMES = ['background', 'road', 'blob', 'pole'] as const;
export const NUM_CLASSES = CLASS_NAMES.length;
/** Colours for label maps in figures (a categorical palette, one per class). */
export const CLASS_COLORS = ['#5a9a5a', '#7f7f7f', '#d94c4c', '#4c66e6'] as const;

/** Reference RGB colour of each class in [0, 1] (the source domain). */
const BASE_RGB: readonly [number, number, number][] = [
  [0.35, 0.6, 0.35], // background: green
  [0.45, 0.45, 0.45], // road: grey
  [0.85, 0.3, 0.3], // blob: red
  [0.3, 0.4, 0.9], // pole: blue
];

/** The appearance of a domain. */
export interface DomainStyle {
  /** Rotation of every colour about the grey axis (radians). */
  hue: number;
  /** Standard deviation of the per-pixel, per-channel Gaussian noise. */
  noise: number;
  /** Weight of a 3x3 box blur mixed into the image: x ← (1 - blur) x + blur · box(x). */
  blur: number;
  /** Pull of the class colours towards their mean in [0, 1): 0 keeps them, 0.5 halves their spread. */
  overlap: number;
  /** Standard deviation of a per-image colour offset (one per channel). */
  jitter: number;
  /** Contrast of the class textures (stripes, shading); 1 = the source's. */
  texture: number;
}

export const SOURCE_STYLE: DomainStyle = { hue: 0, noise: 0.04, blur: 0, overlap: 0, jitter: 0.03, texture: 1 };
/** A mild shift: hue rotation, a little more noise and a light blur. */
export const MILD_STYLE: DomainStyle = { hue: 0.5, noise: 0.08, blur: 0.3, overlap: 0.2, jitter: 0.05, texture: 0.8 };
/** Noisy clusters: the mild shift plus class colours pulled together and heavy noise. */
export const NOISY_STYLE: DomainStyle = { hue: 0.5, noise: 0.1, blur: 0.3, overlap: 0.5, jitter: 0.08, texture: 0.6 };

export interface Scenes {
  /** float32 [n, 3, size, size], roughly centred (pixel values minus 0.5, over 0.25). */
  x: Tensor;
  /** int32 [n, size, size] class labels. */
  y: Tensor;
}

/** Host copies of a set of scenes: images [n, 3, s, s] and labels [n, s, s]. */
export interface HostScenes {
  n: number;
  size: number;
  images: Float32Array;
  labels: Int32Array;
}

/** The label maps of n scenes (the layout only: which class is where). */
export function drawLayouts(n: number, size: number, g: Generator): Int32Array {
  const S = size;
  const P = 16; // uniforms per scene
  const u = uniforms(n * P, g);
  const labels = new Int32Array(n * S * S);
  for (let k = 0; k < n; k++) {
    const r = (i: number) => u[k * P + i]!;
    const lab = labels.subarray(k * S * S, (k + 1) * S * S);
    // Road: a trapezoid from a horizon row down to the bottom edge, widening towards the viewer.
    const horizon = Math.floor(S * (0.45 + 0.2 * r(0)));
    const centre = S * (0.3 + 0.4 * r(1));
    const topHalf = S * (0.04 + 0.06 * r(2));
    const bottomHalf = S * (0.25 + 0.2 * r(3));
    for (let yy = horizon; yy < S; yy++) {
      const t = (yy - horizon) / Math.max(1, S - 1 - horizon);
      const half = topHalf + (bottomHalf - topHalf) * t;
      for (let xx = 0; xx < S; xx++) if (Math.abs(xx + 0.5 - centre) <= half) lab[yy * S + xx] = 1;
    }
    // Blobs: 1-2 discs anywhere.
    const nBlobs = 1 + (r(4) < 0.5 ? 1 : 0);
    for (let b = 0; b < nBlobs; b++) {
      const cy = S * (0.15 + 0.7 * r(5 + 3 * b)), cx = S * (0.1 + 0.8 * r(6 + 3 * b));
      const rad = S * (0.09 + 0.08 * r(7 + 3 * b));
      for (let yy = 0; yy < S; yy++)
        for (let xx = 0; xx < S; xx++) if ((yy + 0.5 - cy) ** 2 + (xx + 0.5 - cx) ** 2 <= rad * rad) lab[yy * S + xx] = 2;
    }
    // Poles: 1-2 vertical bars, one or two pixels wide, from a random top down to near the bottom.
    const nPoles = 1 + (r(11) < 0.5 ? 1 : 0);
    for (let p = 0; p < nPoles; p++) {
      const px = Math.floor(S * r(12 + 2 * p));
      const top = Math.floor(S * 0.4 * r(13 + 2 * p));
      const width = S >= 24 ? 2 : 1 + (r(15) < 0.5 ? 1 : 0);
      const bottom = Math.min(S, Math.floor(S * 0.85) + 1);
      for (let yy = top; yy < bottom; yy++) for (let xx = px; xx < Math.min(S, px + width); xx++) lab[yy * S + xx] = 3;
    }
  }
  return labels;
}

/** Rodrigues rotation of an RGB colour by angle θ about the grey axis through (0.5, 0.5, 0.5). */
export function rotateHue(rgb: readonly number[], theta: number): [number, number, number] {
  const c = Math.cos(theta), s = Math.sin(theta), k = 1 / Math.sqrt(3);
  const v = [rgb[0]! - 0.5, rgb[1]! - 0.5, rgb[2]! - 0.5];
  const dot = k * (v[0]! + v[1]! + v[2]!);
  // k × v with k = (1, 1, 1)/√3
  const cross = [k * (v[2]! - v[1]!), k * (v[0]! - v[2]!), k * (v[1]! - v[0]!)];
  return [0, 1, 2].map((i) => 0.5 + v[i]! * c + cross[i]! * s + k * dot * (1 - c)) as [number, number, number];
}

/** The class colours of a domain: overlap towards the mean, then the hue rotation. */
export function classColors(style: DomainStyle): [number, number, number][] {
  const mean = [0, 1, 2].map((i) => BASE_RGB.reduce((a, c) => a + c[i]!, 0) / BASE_RGB.length);
  return BASE_RGB.map((c) => rotateHue(c.map((v, i) => (1 - style.overlap) * v + style.overlap * mean[i]!), style.hue));
}

/**
 * Renders label maps in a domain's style: class colour times a class texture (background
 * brightens towards the top, road has lane dashes and darkens with distance, blobs are shaded
 * radially, poles have bands), per-image jitter, blur, noise; then centred as (v − 0.5) / 0.25.
 */
export function renderScenes(labels: Int32Array, n: number, size: number, style: DomainStyle, g: Generator): Float32Array {
  const S = size, HW = S * S;
  const colors = classColors(style);
  const jitter = normals(n * 3, g);
  const noise = normals(n * 3 * HW, g);
  const img = new Float32Array(n * 3 * HW);
  const tmp = new Float64Array(3 * HW);
  const tex = style.texture;
  for (let k = 0; k < n; k++) {
    const lab = labels.subarray(k * HW, (k + 1) * HW);
    // Blob shading grows with the distance to the disc's edge along the row (brighter centre).
    for (let yy = 0; yy < S; yy++)
      for (let xx = 0; xx < S; xx++) {
        const c = lab[yy * S + xx]!;
        let shade = 1;
        if (c === 0) shade = 1 + tex * 0.25 * (1 - (2 * yy) / S); // lighter sky at the top
        else if (c === 1) shade = 1 + tex * (0.3 * ((yy % 4 < 2 && Math.abs(xx - S / 2) < 1.5) ? 1 : 0) - 0.15 * (1 - yy / S));
        else if (c === 2) {
          let d = 0;
          while (d < S && xx - d - 1 >= 0 && xx + d + 1 < S && lab[yy * S + xx - d - 1] === 2 && lab[yy * S + xx + d + 1] === 2) d++;
          shade = 1 + tex * (0.1 * d - 0.15);
        } else shade = 1 + tex * (yy % 3 === 0 ? -0.3 : 0.1);
        for (let ch = 0; ch < 3; ch++) tmp[ch * HW + yy * S + xx] = colors[c]![ch]! * shade + style.jitter * jitter[k * 3 + ch]!;
      }
    for (let ch = 0; ch < 3; ch++) {
      const plane = tmp.subarray(ch * HW, (ch + 1) * HW);
      for (let yy = 0; yy < S; yy++)
        for (let xx = 0; xx < S; xx++) {
          let v = plane[yy * S + xx]!;
          if (style.blur > 0) {
            let box = 0;
            for (let dy = -1; dy <= 1; dy++)
              for (let dx = -1; dx <= 1; dx++) {
                const y2 = Math.min(S - 1, Math.max(0, yy + dy)), x2 = Math.min(S - 1, Math.max(0, xx + dx));
                box += plane[y2 * S + x2]!;
              }
            v = (1 - style.blur) * v + (style.blur * box) / 9;
          }
          const i = (k * 3 + ch) * HW + yy * S + xx;
          img[i] = (v + style.noise * noise[i]! - 0.5) / 0.25;
        }
    }
  }
  return img;
}

/** n scenes of one domain, on the host. The layouts come first from g, then the rendering. */
export function drawScenes(n: number, size: number, style: DomainStyle, g: Generator): HostScenes {
  const labels = drawLayouts(n, size, g);
  return { n, size, images: renderScenes(labels, n, size, style, g), labels };
}

/** Host scenes as tensors on `device` (default: the default device). */
export function toTensors(s: HostScenes, device?: pg.Device): Scenes {
  return {
    x: pg.tensor(s.images, { shape: [s.n, 3, s.size, s.size], device }),
    y: pg.tensor(s.labels, { dtype: 'int32', shape: [s.n, s.size, s.size], device }),
  };
}

/** The first `count` scenes of s (views of the same host arrays). */
export function headOf(s: HostScenes, count: number): HostScenes {
  const m = Math.min(count, s.n), HW = s.size * s.size;
  return { n: m, size: s.size, images: s.images.subarray(0, m * 3 * HW), labels: s.labels.subarray(0, m * HW) };
}

/** Every domain of one seed: labelled source, unlabelled target training sets and labelled target test sets. */
export interface TaskData {
  size: number;
  source: HostScenes;
  /** Per target variant: training images (labels kept for diagnostics only) and a test set. */
  targets: Record<'mild' | 'noisy', { train: HostScenes; test: HostScenes }>;
}

export interface TaskSizes {
  size: number;
  nSource: number;
  nTargetTrain: number;
  nTargetTest: number;
}

/**
 * The data of one seed. Each set has its own generator (seed mixed with a set id), so the source
 * images do not depend on the target sizes and the two targets share their layouts' distribution
 * but not their draws.
 */
export function makeTask(sizes: TaskSizes, seed: number): TaskData {
  const gen = (id: number) => new pg.Generator(seed * 7919 + id);
  const { size } = sizes;
  return {
    size,
    source: drawScenes(sizes.nSource, size, SOURCE_STYLE, gen(1)),
    targets: {
      mild: { train: drawScenes(sizes.nTargetTrain, size, MILD_STYLE, gen(2)), test: drawScenes(sizes.nTargetTest, size, MILD_STYLE, gen(3)) },
      noisy: { train: drawScenes(sizes.nTargetTrain, size, NOISY_STYLE, gen(4)), test: drawScenes(sizes.nTargetTest, size, NOISY_STYLE, gen(5)) },
    },
  };
}

/** Fraction of pixels of each class in a label array. */
export function classFrequencies(labels: Int32Array, numClasses = NUM_CLASSES): number[] {
  const c = new Array(numClasses).fill(0);
  for (let i = 0; i < labels.length; i++) c[labels[i]!]++;
  return c.map((v) => v / labels.length);
}
