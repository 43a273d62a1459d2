/**
 * SVG drawings of Level-Based Foraging states: one frame (grid, food with its level, agents with
 * their level and index), and an episode as a sheet of frames. Plain strings built only from the
 * inputs (no ids, no randomness), so the same episode always gives the same bytes.
 */
import { escapeXml, PALETTE } from '../../experiment/svg.js';
import { ACTION_NAMES, type LbfFrame } from './lbf.js';

const FONT = 'system-ui, -apple-system, Segoe UI, Helvetica, Arial, sans-serif';
const FOOD_FILL = '#6ab04c';
const FOOD_STROKE = '#2d6a1f';

const r2 = (v: number): string => String(Math.round(v * 100) / 100);

export interface FrameDrawOptions {
  /** Cell side in px (default 26). */
  cell?: number;
  /** Caption above the grid (default "t = step · return R"). */
  caption?: string;
}

/** Height of the caption band above and the action line below a frame's grid. */
const CAPTION_H = 18;
const FOOTER_H = 16;

/** The size of one drawn frame (grid plus caption and action line). */
export function frameSize(frame: Pick<LbfFrame, 'size'>, cell = 26): { width: number; height: number } {
  return { width: frame.size * cell + 2, height: frame.size * cell + CAPTION_H + FOOTER_H + 2 };
}

/** One frame as an SVG group at (x, y): grid, food, agents (with their view windows when partial). */
export function drawFrame(frame: LbfFrame, x: number, y: number, opts: FrameDrawOptions = {}): string {
  const cell = opts.cell ?? 26;
  const n = frame.size;
  const gx = x + 1, gy = y + CAPTION_H + 1;
  const out: string[] = [`<g class="lbf-frame">`];
  const caption = opts.caption ?? `t = ${frame.step} · return ${frame.teamReturn.toFixed(2)}`;
  out.push(`<text x="${r2(gx + (n * cell) / 2)}" y="${r2(y + 13)}" text-anchor="middle" font-size="11">${escapeXml(caption)}</text>`);
  out.push(`<rect x="${r2(gx)}" y="${r2(gy)}" width="${r2(n * cell)}" height="${r2(n * cell)}" fill="#f7f4ec" stroke="#555" stroke-width="1"/>`);
  const lines: string[] = [];
  for (let k = 1; k < n; k++) lines.push(`M${r2(gx + k * cell)} ${r2(gy)}V${r2(gy + n * cell)}M${r2(gx)} ${r2(gy + k * cell)}H${r2(gx + n * cell)}`);
  out.push(`<path d="${lines.join('')}" stroke="#d8d2c4" stroke-width="1" fill="none"/>`);
  // View windows of partially observing agents.
  if (frame.sight < n - 1) {
    frame.agents.forEach((a, i) => {
      const r0 = Math.max(a.row - frame.sight, 0), c0 = Math.max(a.col - frame.sight, 0);
      const r1 = Math.min(a.row + frame.sight, n - 1), c1 = Math.min(a.col + frame.sight, n - 1);
      out.push(
        `<rect x="${r2(gx + c0 * cell)}" y="${r2(gy + r0 * cell)}" width="${r2((c1 - c0 + 1) * cell)}" height="${r2((r1 - r0 + 1) * cell)}" ` +
          `fill="${PALETTE[i % PALETTE.length]}" fill-opacity="0.07" stroke="${PALETTE[i % PALETTE.length]}" stroke-dasharray="3 2" stroke-width="1"/>`,
      );
    });
  }
  for (const f of frame.food) {
    const cx = gx + (f.col + 0.5) * cell, cy = gy + (f.row + 0.5) * cell;
    out.push(`<rect x="${r2(cx - cell * 0.38)}" y="${r2(cy - cell * 0.38)}" width="${r2(cell * 0.76)}" height="${r2(cell * 0.76)}" rx="${r2(cell * 0.18)}" fill="${FOOD_FILL}" stroke="${FOOD_STROKE}"/>`);
    out.push(`<text x="${r2(cx)}" y="${r2(cy + 4)}" text-anchor="middle" font-size="11" font-weight="bold" fill="#fff">${f.level}</text>`);
  }
  frame.agents.forEach((a, i) => {
    const cx = gx + (a.col + 0.5) * cell, cy = gy + (a.row + 0.5) * cell;
    const color = PALETTE[i % PALETTE.length]!;
    const scored = (frame.rewards[i] ?? 0) > 0;
    out.push(`<circle cx="${r2(cx)}" cy="${r2(cy)}" r="${r2(cell * 0.4)}" fill="${color}" stroke="${scored ? '#f5c400' : '#222'}" stroke-width="${scored ? 3 : 1}"/>`);
    out.push(`<text x="${r2(cx)}" y="${r2(cy + 4)}" text-anchor="middle" font-size="11" font-weight="bold" fill="#fff">${a.level}</text>`);
  });
  const acts = frame.actions.every((v) => v < 0) ? 'start' : frame.actions.map((v, i) => `${i + 1}:${v < 0 ? '-' : ACTION_NAMES[v]}`).join(' ');
  out.push(`<text x="${r2(gx + (n * cell) / 2)}" y="${r2(gy + n * cell + 12)}" text-anchor="middle" font-size="9" fill="#444">${escapeXml(acts)}</text>`);
  out.push('</g>');
  return out.join('');
}

function open(width: number, height: number, title: string): string {
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" width="${r2(width)}" height="${r2(height)}" viewBox="0 0 ${r2(width)} ${r2(height)}" ` +
    `font-family="${escapeXml(FONT)}" font-size="12" role="img"><title>${escapeXml(title)}</title>` +
    `<rect x="0" y="0" width="${r2(width)}" height="${r2(height)}" fill="#ffffff"/>`
  );
}

/** One frame as a standalone SVG. */
export function renderFrameSvg(frame: LbfFrame, opts: FrameDrawOptions & { title?: string } = {}): string {
  const { width, height } = frameSize(frame, opts.cell);
  const title = opts.title ?? `Level-Based Foraging, t = ${frame.step}`;
  return open(width + 16, height + 16, title) + drawFrame(frame, 8, 8, opts) + '</svg>';
}

export interface EpisodeDrawOptions {
  title?: string;
  /** Frames per row (default 6). */
  columns?: number;
  /** Cell side in px (default 22). */
  cell?: number;
  /** Draw at most this many frames, evenly spaced, always keeping the first and last (default: all). */
  maxFrames?: number;
}

/** Which frame indices to draw: all, or maxFrames evenly spaced including the first and last. */
export function pickFrames(count: number, maxFrames?: number): number[] {
  if (maxFrames === undefined || count <= maxFrames) return Array.from({ length: count }, (_, i) => i);
  if (maxFrames < 2) return [count - 1];
  const out: number[] = [];
  for (let k = 0; k < maxFrames; k++) {
    const i = Math.round((k * (count - 1)) / (maxFrames - 1));
    if (out[out.length - 1] !== i) out.push(i);
  }
  return out;
}

/** An episode as one SVG sheet of frames, left to right and top to bottom, with a legend. */
export function renderEpisodeSvg(frames: LbfFrame[], opts: EpisodeDrawOptions = {}): string {
  if (!frames.length) throw new Error('renderEpisodeSvg: no frames');
  const cell = opts.cell ?? 22;
  const pick = pickFrames(frames.length, opts.maxFrames);
  const cols = Math.max(1, Math.min(opts.columns ?? 6, pick.length));
  const rows = Math.ceil(pick.length / cols);
  const { width: fw, height: fh } = frameSize(frames[0]!, cell);
  const pad = 10, top = 34, legend = 22;
  const W = pad + cols * (fw + pad), H = top + rows * (fh + pad) + legend;
  const title = opts.title ?? 'Level-Based Foraging episode';
  const out: string[] = [open(W, H, title)];
  out.push(`<text x="${r2(W / 2)}" y="22" text-anchor="middle" font-size="15" font-weight="bold">${escapeXml(title)}</text>`);
  pick.forEach((fi, k) => {
    const x = pad + (k % cols) * (fw + pad), y = top + Math.floor(k / cols) * (fh + pad);
    out.push(drawFrame(frames[fi]!, x, y, { cell }));
  });
  // Legend: agents by colour, food, the gold ring of a successful load.
  const ly = H - 8;
  const items: string[] = [];
  let lx = pad;
  frames[0]!.agents.forEach((_, i) => {
    items.push(`<circle cx="${r2(lx + 6)}" cy="${r2(ly - 4)}" r="6" fill="${PALETTE[i % PALETTE.length]}"/><text x="${r2(lx + 16)}" y="${r2(ly)}" font-size="11">agent ${i + 1}</text>`);
    lx += 70;
  });
  items.push(`<rect x="${r2(lx)}" y="${r2(ly - 10)}" width="12" height="12" rx="3" fill="${FOOD_FILL}"/><text x="${r2(lx + 16)}" y="${r2(ly)}" font-size="11">food (number: level)</text>`);
  lx += 150;
  items.push(`<circle cx="${r2(lx + 6)}" cy="${r2(ly - 4)}" r="6" fill="#fff" stroke="#f5c400" stroke-width="3"/><text x="${r2(lx + 16)}" y="${r2(ly)}" font-size="11">loaded food this step</text>`);
  out.push(`<g class="legend">${items.join('')}</g>`);
  out.push('</svg>');
  return out.join('');
}
