/**
 * Placing point labels so that they overlap nothing already on the figure: each label tries
 * positions around its point, nearest first, and takes the first whose box is free and inside
 * the figure.
 */
import { textWidth } from './text.js';

export interface Box {
  x0: number;
  y0: number;
  x1: number;
  y1: number;
}

export function boxesOverlap(a: Box, b: Box, pad = 1): boolean {
  return a.x0 < b.x1 + pad && b.x0 < a.x1 + pad && a.y0 < b.y1 + pad && b.y0 < a.y1 + pad;
}

export type Anchor = 'start' | 'middle' | 'end';

/** The box of a one-line text drawn at (x, baseline y) with the given text-anchor. */
export function textBox(x: number, y: number, text: string, size: number, anchor: Anchor): Box {
  const w = textWidth(text, size);
  const left = anchor === 'start' ? x : anchor === 'end' ? x - w : x - w / 2;
  return { x0: left, y0: y - size * 0.85, x1: left + w, y1: y + size * 0.25 };
}

export interface PlacedLabel {
  x: number;
  y: number;
  anchor: Anchor;
  box: Box;
  /** How far the label sits from its point: beyond the first ring, draw a leader line. */
  ring: number;
}

/**
 * A free spot for `text` near (px, py): right, left, above, below and the diagonals, at growing
 * distances (up to 40 px, or 120 px when `far`). Null when every candidate overlaps one of `taken`
 * or leaves `bounds`. The caller adds the returned box to `taken`.
 */
export function placeLabel(px: number, py: number, text: string, size: number, taken: readonly Box[], bounds: Box, far = false): PlacedLabel | null {
  const h = size * 0.6; // half a line height, to centre the text vertically
  const rings = far ? [6, 14, 26, 40, 56, 74, 96, 120] : [6, 14, 26, 40];
  for (const [ring, d] of rings.entries()) {
    const candidates: [number, number, Anchor][] = [
      [px + d, py + h * 0.6, 'start'],
      [px - d, py + h * 0.6, 'end'],
      [px, py - d, 'middle'],
      [px, py + d + size * 0.8, 'middle'],
      [px + d * 0.7, py - d * 0.7, 'start'],
      [px - d * 0.7, py - d * 0.7, 'end'],
      [px + d * 0.7, py + d * 0.7 + size * 0.6, 'start'],
      [px - d * 0.7, py + d * 0.7 + size * 0.6, 'end'],
    ];
    for (const [x, y, anchor] of candidates) {
      const box = textBox(x, y, text, size, anchor);
      const inside = box.x0 >= bounds.x0 && box.x1 <= bounds.x1 && box.y0 >= bounds.y0 && box.y1 <= bounds.y1;
      if (inside && !taken.some((t) => boxesOverlap(t, box))) return { x, y, anchor, box, ring };
    }
  }
  return null;
}
