/** Heatmaps: a matrix of values as coloured cells (viridis), with a colour bar. */
import { svgOpen } from './axes.js';
import { formatTick, niceTicks } from './scales.js';
import { escapeXml, formatNumber, px, textWidth } from './text.js';
import { drawLegend, layoutLegend, seriesColor } from './legend.js';

/** Anchor colours of the viridis map (perceptually uniform, readable in greyscale). */
const VIRIDIS: readonly [number, number, number][] = [
  [0x44, 0x01, 0x54],
  [0x48, 0x28, 0x78],
  [0x3e, 0x49, 0x89],
  [0x31, 0x68, 0x8e],
  [0x26, 0x82, 0x8e],
  [0x1f, 0x9e, 0x89],
  [0x35, 0xb7, 0x79],
  [0x6e, 0xce, 0x58],
  [0xb5, 0xde, 0x2b],
  [0xfd, 0xe7, 0x25],
];

function hex2(n: number): string {
  return Math.round(Math.min(255, Math.max(0, n)))
    .toString(16)
    .padStart(2, '0');
}

/** Sequential colour for t in [0, 1] (clamped), as #rrggbb. */
export function sequentialColor(t: number): string {
  const rgb = sequentialRgb(t);
  return `#${hex2(rgb[0])}${hex2(rgb[1])}${hex2(rgb[2])}`;
}

export function sequentialRgb(t: number): [number, number, number] {
  const c = Math.min(1, Math.max(0, Number.isFinite(t) ? t : 0)) * (VIRIDIS.length - 1);
  const i = Math.min(VIRIDIS.length - 2, Math.floor(c));
  const u = c - i;
  const a = VIRIDIS[i]!;
  const b = VIRIDIS[i + 1]!;
  return [a[0] + (b[0] - a[0]) * u, a[1] + (b[1] - a[1]) * u, a[2] + (b[2] - a[2]) * u];
}

export interface HeatmapOptions {
  title: string;
  xLabels?: string[];
  yLabels?: string[];
  /** values[row][col]; row 0 is drawn at the top, like a printed matrix. */
  values: number[][];
  colorbarLabel?: string;
  xLabel?: string;
  yLabel?: string;
  /** Colour range; defaults to the finite min/max of the data. */
  vmin?: number;
  vmax?: number;
  /** Print each value in its cell. */
  annotate?: boolean;
  /**
   * Categorical cells (e.g. a map of class labels): value k is drawn in colors[k] (default: the
   * series palette) with a legend of the names instead of a colour bar; other values (NaN) are white.
   */
  categories?: { names: string[]; colors?: string[] };
  width?: number;
  height?: number;
}

export function heatmap(opts: HeatmapOptions): string {
  if (opts.categories) return categoricalHeatmap(opts, opts.categories);
  const W = opts.width ?? 640;
  const H = opts.height ?? 480;
  const rows = opts.values.length;
  const cols = Math.max(0, ...opts.values.map((r) => r.length));
  // Without explicit labels, index small matrices and leave big ones unlabelled.
  const xLabels = opts.xLabels ?? (cols <= 20 ? Array.from({ length: cols }, (_, i) => String(i)) : []);
  const yLabels = opts.yLabels ?? (rows <= 20 ? Array.from({ length: rows }, (_, i) => String(i)) : []);

  let lo = Infinity;
  let hi = -Infinity;
  for (const r of opts.values) for (const v of r) if (Number.isFinite(v)) (lo = Math.min(lo, v)), (hi = Math.max(hi, v));
  if (opts.vmin !== undefined && Number.isFinite(opts.vmin)) lo = opts.vmin;
  if (opts.vmax !== undefined && Number.isFinite(opts.vmax)) hi = opts.vmax;
  if (!(lo <= hi)) [lo, hi] = [0, 1];
  if (lo === hi) [lo, hi] = [lo - 0.5, hi + 0.5];

  const maxY = Math.max(0, ...yLabels.map((l) => textWidth(l, 11)));
  const maxX = Math.max(0, ...xLabels.map((l) => textWidth(l, 11)));
  const x0 = 20 + maxY + (opts.yLabel ? 22 : 0);
  const x1 = W - 110;
  const cw = cols > 0 ? (x1 - x0) / cols : 0;
  const rotate = maxX > cw - 2;
  const xDrop = xLabels.length ? (rotate ? Math.min(110, maxX * 0.75 + 10) : 18) : 4;
  const y0 = 40;
  const y1 = H - 16 - xDrop - (opts.xLabel ? 22 : 0);
  const ch = rows > 0 ? (y1 - y0) / rows : 0;

  const body: string[] = [svgOpen(W, H, opts.title), '<g class="cells">'];
  const tooltips = rows * cols <= 1024;
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) {
      const v = opts.values[r]![c];
      const x = x0 + c * cw;
      const y = y0 + r * ch;
      const finite = v !== undefined && Number.isFinite(v);
      const fill = finite ? sequentialColor((v - lo) / (hi - lo)) : '#d9d9d9'; // missing/NaN: neutral grey
      // Cells overlap by a hair so anti-aliasing leaves no seams.
      const tip = tooltips ? `<title>${escapeXml(`[${r}, ${c}] = ${v === undefined ? 'missing' : formatNumber(v)}`)}</title>` : '';
      body.push(`<rect class="cell" x="${px(x)}" y="${px(y)}" width="${px(cw + 0.3)}" height="${px(ch + 0.3)}" fill="${fill}">${tip}</rect>`);
      if (opts.annotate && finite) {
        const rgb = sequentialRgb((v - lo) / (hi - lo));
        const lum = 0.2126 * rgb[0] + 0.7152 * rgb[1] + 0.0722 * rgb[2];
        const fs = Math.max(6, Math.min(12, ch * 0.5, cw / 4));
        body.push(
          `<text class="annotation" x="${px(x + cw / 2)}" y="${px(y + ch / 2 + fs / 3)}" text-anchor="middle" font-size="${px(fs)}" fill="${lum > 140 ? '#000000' : '#ffffff'}">${escapeXml(formatNumber(v, 2))}</text>`,
        );
      }
    }
  }
  body.push('</g>');
  body.push(`<rect class="frame" x="${px(x0)}" y="${px(y0)}" width="${px(x1 - x0)}" height="${px(y1 - y0)}" fill="none" stroke="#333333"/>`);

  const labels: string[] = ['<g class="labels" font-size="11">'];
  // Thin out labels that would overlap their neighbours: every k-th one is shown.
  const strideX = Math.max(1, Math.ceil((rotate ? 16 : 1) / Math.max(cw, 1e-9)));
  const strideY = Math.max(1, Math.ceil(12 / Math.max(ch, 1e-9)));
  xLabels.slice(0, cols).forEach((l, c) => {
    if (c % strideX) return;
    const cx = x0 + (c + 0.5) * cw;
    const y = y1 + 14;
    if (rotate) labels.push(`<text x="${px(cx)}" y="${px(y)}" text-anchor="end" transform="rotate(-45 ${px(cx)} ${px(y)})">${escapeXml(l)}</text>`);
    else labels.push(`<text x="${px(cx)}" y="${px(y)}" text-anchor="middle">${escapeXml(l)}</text>`);
  });
  yLabels.slice(0, rows).forEach((l, r) => {
    if (r % strideY) return;
    labels.push(`<text x="${px(x0 - 6)}" y="${px(y0 + (r + 0.5) * ch + 4)}" text-anchor="end">${escapeXml(l)}</text>`);
  });
  labels.push('</g>');
  body.push(labels.join(''));
  body.push(axisTitles(opts, x0, x1, y0, y1, H));

  // Colour bar: stacked strips rather than a gradient, which would need a document-unique id.
  const bx = x1 + 20;
  const bwid = 16;
  const steps = 64;
  const cb: string[] = ['<g class="colorbar">'];
  const sh = (y1 - y0) / steps;
  for (let i = 0; i < steps; i++) {
    const t = 1 - (i + 0.5) / steps; // top is the maximum
    cb.push(`<rect x="${px(bx)}" y="${px(y0 + i * sh)}" width="${bwid}" height="${px(sh + 0.3)}" fill="${sequentialColor(t)}"/>`);
  }
  cb.push(`<rect x="${px(bx)}" y="${px(y0)}" width="${bwid}" height="${px(y1 - y0)}" fill="none" stroke="#333333"/>`);
  // Only ticks inside the data range: the bar spans exactly [lo, hi].
  const all = niceTicks(lo, hi, 5);
  const step = all.length > 1 ? all[1]! - all[0]! : 1;
  const tol = (hi - lo) * 1e-9;
  for (const t of all) {
    if (t < lo - tol || t > hi + tol) continue;
    const y = y1 - ((t - lo) / (hi - lo)) * (y1 - y0);
    cb.push(`<line x1="${px(bx + bwid)}" y1="${px(y)}" x2="${px(bx + bwid + 4)}" y2="${px(y)}" stroke="#333333"/>`);
    cb.push(`<text class="tick-label" x="${px(bx + bwid + 7)}" y="${px(y + 4)}" font-size="11">${escapeXml(formatTick(t, step))}</text>`);
  }
  if (opts.colorbarLabel) {
    const x = W - 12;
    const y = (y0 + y1) / 2;
    cb.push(`<text class="axis-label" x="${px(x)}" y="${px(y)}" text-anchor="middle" font-size="12" transform="rotate(-90 ${px(x)} ${px(y)})">${escapeXml(opts.colorbarLabel)}</text>`);
  }
  cb.push('</g>');
  body.push(cb.join(''));
  body.push('</svg>');
  return body.join('');
}

/** heatmap() for categorical values: one colour per category, a legend, no colour bar. */
function categoricalHeatmap(opts: HeatmapOptions, cats: { names: string[]; colors?: string[] }): string {
  const W = opts.width ?? 640;
  const H = opts.height ?? 480;
  const rows = opts.values.length;
  const cols = Math.max(0, ...opts.values.map((r) => r.length));
  const xLabels = opts.xLabels ?? [];
  const yLabels = opts.yLabels ?? [];
  const colorOf = (k: number) => cats.colors?.[k] ?? seriesColor(k);
  const legend = layoutLegend(cats.names.map((name, k) => ({ name, color: colorOf(k), kind: 'rect' as const })));
  const maxY = Math.max(0, ...yLabels.map((l) => textWidth(l, 11)));
  const x0 = 20 + maxY + (opts.yLabel ? 22 : 0);
  const x1 = W - 34 - legend.width;
  const y0 = 40;
  const y1 = H - 16 - (xLabels.length ? 18 : 4) - (opts.xLabel ? 22 : 0);
  const cw = cols > 0 ? (x1 - x0) / cols : 0;
  const ch = rows > 0 ? (y1 - y0) / rows : 0;
  const body: string[] = [svgOpen(W, H, opts.title), '<g class="cells">'];
  for (let r = 0; r < rows; r++)
    for (let c = 0; c < cols; c++) {
      const v = opts.values[r]![c];
      const known = v !== undefined && Number.isInteger(v) && v >= 0 && v < cats.names.length;
      const fill = known ? colorOf(v) : '#ffffff';
      body.push(`<rect class="cell" x="${px(x0 + c * cw)}" y="${px(y0 + r * ch)}" width="${px(cw + 0.3)}" height="${px(ch + 0.3)}" fill="${fill}"/>`);
    }
  body.push('</g>');
  const labels: string[] = ['<g class="labels" font-size="11">'];
  xLabels.slice(0, cols).forEach((l, c) => {
    if (l) labels.push(`<text x="${px(x0 + (c + 0.5) * cw)}" y="${px(y1 + 14)}" text-anchor="middle">${escapeXml(l)}</text>`);
  });
  yLabels.slice(0, rows).forEach((l, r) => {
    if (l) labels.push(`<text x="${px(x0 - 6)}" y="${px(y0 + (r + 0.5) * ch + 4)}" text-anchor="end">${escapeXml(l)}</text>`);
  });
  labels.push('</g>');
  body.push(labels.join(''));
  body.push(axisTitles(opts, x0, x1, y0, y1, H));
  body.push(drawLegend(legend, x1 + 14, y0 + 8));
  body.push('</svg>');
  return body.join('');
}

/** The x and y axis titles, under and left of the cell area [x0, x1] × [y0, y1]. */
function axisTitles(opts: HeatmapOptions, x0: number, x1: number, y0: number, y1: number, H: number): string {
  let out = '';
  if (opts.xLabel) out += `<text class="axis-label" x="${px((x0 + x1) / 2)}" y="${px(H - 10)}" text-anchor="middle" font-size="13">${escapeXml(opts.xLabel)}</text>`;
  if (opts.yLabel) {
    const y = (y0 + y1) / 2;
    out += `<text class="axis-label" x="16" y="${px(y)}" text-anchor="middle" font-size="13" transform="rotate(-90 16 ${px(y)})">${escapeXml(opts.yLabel)}</text>`;
  }
  return out;
}
