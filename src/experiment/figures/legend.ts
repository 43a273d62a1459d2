/**
 * Colours, dash patterns, marker shapes and the legend. A legend is laid out before the chart that
 * carries it: long names wrap inside its width, and a chart grows taller when its legend needs the
 * room, so a legend never runs past the figure.
 */
import { escapeXml, px, textWidth, wrapText } from './text.js';

/** Okabe–Ito palette: distinguishable under the common colour-vision deficiencies. */
export const PALETTE: readonly string[] = ['#0072B2', '#D55E00', '#009E73', '#CC79A7', '#E69F00', '#56B4E9', '#F0E442', '#000000'];
/** After the palette repeats, series differ by dash pattern instead. */
const DASHES: readonly string[] = ['', '6 3', '2 2', '8 3 2 3'];

export function seriesColor(i: number): string {
  return PALETTE[i % PALETTE.length]!;
}
export function seriesDash(i: number): string {
  return DASHES[Math.floor(i / PALETTE.length) % DASHES.length]!;
}

/**
 * Circle, square, triangle, diamond, filled for kinds 0–3 and hollow for 4–7: a second cue besides
 * colour for scatter series and seeds.
 */
export function markerShape(kind: number, x: number, y: number, r: number, color: string, hollow = Math.floor(kind / 4) % 2 === 1): string {
  const paint = hollow ? `fill="#ffffff" stroke="${color}" stroke-width="1.3"` : `fill="${color}"`;
  switch (kind % 4) {
    case 0:
      return `<circle cx="${px(x)}" cy="${px(y)}" r="${px(r)}" ${paint}/>`;
    case 1:
      return `<rect x="${px(x - r * 0.9)}" y="${px(y - r * 0.9)}" width="${px(r * 1.8)}" height="${px(r * 1.8)}" ${paint}/>`;
    case 2:
      return `<path d="M${px(x)} ${px(y - r * 1.15)}L${px(x + r)} ${px(y + r * 0.7)}L${px(x - r)} ${px(y + r * 0.7)}Z" ${paint}/>`;
    default:
      return `<path d="M${px(x)} ${px(y - r * 1.2)}L${px(x + r)} ${px(y)}L${px(x)} ${px(y + r * 1.2)}L${px(x - r)} ${px(y)}Z" ${paint}/>`;
  }
}

/**
 * One legend entry. 'line': a stroke (dashed if `dash`); 'band': a stroke over a shaded band;
 * 'rect': a filled square (bars); 'marker': a scatter marker (`marker` picks the shape); 'note':
 * text only, for a remark such as "band: min–max over 3 seeds".
 */
export type Swatch = { name: string; color: string; dash?: string; kind: 'line' | 'band' | 'rect' | 'marker' | 'note'; marker?: number };

export interface LegendLayout {
  items: Swatch[];
  /** Each entry's text, wrapped to the legend width. */
  lines: string[][];
  width: number;
  height: number;
}

const SIZE = 12;
const LINE = 15; // px between wrapped lines of one entry
const GAP = 3; // extra px between entries
const TEXT_X = 28; // text starts this far right of the swatch's left edge
const MAX_WIDTH = 220;

/** Sizes a legend: between `minWidth` and `maxWidth` (220 px) wide (names wrap), as tall as its entries need. */
export function layoutLegend(items: Swatch[], maxWidth = MAX_WIDTH, minWidth = 70): LegendLayout {
  if (!items.length) return { items, lines: [], width: 0, height: 0 };
  const widest = Math.max(...items.map((it) => textWidth(it.name, SIZE) + (it.kind === 'note' ? 0 : TEXT_X)));
  const width = Math.min(maxWidth, Math.max(minWidth, widest + 8));
  const lines = items.map((it) => wrapText(it.name, width - 8 - (it.kind === 'note' ? 0 : TEXT_X), SIZE));
  const height = lines.reduce((h, l) => h + l.length * LINE + GAP, 0);
  return { items, lines, width, height };
}

/** Draws a legend laid out by layoutLegend with its top-left corner at (x, top). */
export function drawLegend(layout: LegendLayout, x: number, top: number): string {
  if (!layout.items.length) return '';
  const out: string[] = ['<g class="legend">'];
  let y = top;
  layout.items.forEach((it, i) => {
    const lines = layout.lines[i]!;
    const cy = y + LINE / 2; // centre of the first line
    out.push(`<g class="legend-entry${it.kind === 'note' ? ' legend-note' : ''}">`);
    if (it.kind === 'line' || it.kind === 'band') {
      if (it.kind === 'band') out.push(`<rect x="${px(x)}" y="${px(cy - 5)}" width="22" height="10" fill="${it.color}" fill-opacity="0.2"/>`);
      const dash = it.dash ? ` stroke-dasharray="${it.dash}"` : '';
      out.push(`<line x1="${px(x)}" y1="${px(cy)}" x2="${px(x + 22)}" y2="${px(cy)}" stroke="${it.color}" stroke-width="2"${dash}/>`);
    } else if (it.kind === 'rect') {
      out.push(`<rect x="${px(x + 5)}" y="${px(cy - 6)}" width="12" height="12" fill="${it.color}"/>`);
    } else if (it.kind === 'marker') {
      out.push(markerShape(it.marker ?? 0, x + 11, cy, 4, it.color));
    }
    const tx = it.kind === 'note' ? x : x + TEXT_X;
    const style = it.kind === 'note' ? ' fill="#555555" font-style="italic"' : '';
    // One line: plain text; a wrapped name: one tspan per line.
    const body = lines.length === 1 ? escapeXml(lines[0]!) : lines.map((l, k) => `<tspan x="${px(tx)}" y="${px(cy + 4 + k * LINE)}">${escapeXml(l)}</tspan>`).join('');
    out.push(`<text x="${px(tx)}" y="${px(cy + 4)}"${style}>${body}</text>`);
    out.push('</g>');
    y += lines.length * LINE + GAP;
  });
  out.push('</g>');
  return out.join('');
}
