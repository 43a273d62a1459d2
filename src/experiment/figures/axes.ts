/**
 * The frame of an x/y chart: the <svg> opening with its title, the plot rectangle next to the
 * legend, gridlines, ticks, tick labels and axis labels.
 */
import type { LegendLayout } from './legend.js';
import { makeScale, type Scale } from './scales.js';
import { escapeXml, FONT, px, textWidth } from './text.js';

/** The plot rectangle in pixels. */
export interface Frame {
  x0: number;
  x1: number;
  y0: number; // top
  y1: number; // bottom
}

export function svgOpen(width: number, height: number, title: string): string {
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" width="${px(width)}" height="${px(height)}" viewBox="0 0 ${px(width)} ${px(height)}" ` +
    `font-family="${escapeXml(FONT)}" font-size="12" role="img">` +
    `<title>${escapeXml(title)}</title>` +
    `<rect class="background" x="0" y="0" width="${px(width)}" height="${px(height)}" fill="#ffffff"/>` +
    `<text class="title" x="${px(width / 2)}" y="22" text-anchor="middle" font-size="15" font-weight="bold">${escapeXml(title)}</text>`
  );
}

/** Top of the plot rectangle (under the title). */
export const PLOT_TOP = 40;

/**
 * The figure height and the legend's top-left corner for a chart whose legend sits right of the
 * plot: the figure grows taller (never wider) when the legend needs more room than `height`.
 */
export function placeLegend(width: number, height: number, legend: LegendLayout, bottomMargin: number): { height: number; x: number; y: number } {
  const y = PLOT_TOP + 1;
  const h = Math.max(height, y + legend.height + Math.min(bottomMargin, 12) + 4);
  return { height: h, x: width - 2 - legend.width, y };
}

/** Left edge of the plot: room for the y tick labels and the rotated y axis label. */
export function plotLeft(ys: Scale, yLabel: string | undefined): number {
  const maxTick = Math.max(0, ...ys.labels.map((l) => textWidth(l, 12)));
  return Math.max(72, 8 + maxTick + 10 + (yLabel ? 24 : 0));
}

/** Gridlines, frame, ticks, tick labels and axis labels for an x/y plot. */
export function drawAxes(fr: Frame, xs: Scale | null, ys: Scale, xLabel: string | undefined, yLabel: string | undefined): string {
  const out: string[] = ['<g class="axes">'];
  const grid: string[] = [];
  for (const t of ys.ticks) grid.push(`M${px(fr.x0)} ${px(ys.map(t))}H${px(fr.x1)}`);
  if (xs) for (const t of xs.ticks) grid.push(`M${px(xs.map(t))} ${px(fr.y0)}V${px(fr.y1)}`);
  out.push(`<path class="grid" d="${grid.join('')}" stroke="#e5e5e5" stroke-width="1" fill="none"/>`);
  out.push(`<rect class="frame" x="${px(fr.x0)}" y="${px(fr.y0)}" width="${px(fr.x1 - fr.x0)}" height="${px(fr.y1 - fr.y0)}" fill="none" stroke="#333333"/>`);
  ys.ticks.forEach((t, i) => {
    const y = ys.map(t);
    out.push(`<line x1="${px(fr.x0 - 5)}" y1="${px(y)}" x2="${px(fr.x0)}" y2="${px(y)}" stroke="#333333"/>`);
    out.push(`<text class="tick-label" x="${px(fr.x0 - 8)}" y="${px(y + 4)}" text-anchor="end">${escapeXml(ys.labels[i]!)}</text>`);
  });
  if (xs) {
    xs.ticks.forEach((t, i) => {
      const x = xs.map(t);
      out.push(`<line x1="${px(x)}" y1="${px(fr.y1)}" x2="${px(x)}" y2="${px(fr.y1 + 5)}" stroke="#333333"/>`);
      out.push(`<text class="tick-label" x="${px(x)}" y="${px(fr.y1 + 18)}" text-anchor="middle">${escapeXml(xs.labels[i]!)}</text>`);
    });
  }
  if (xLabel) {
    out.push(`<text class="axis-label" x="${px((fr.x0 + fr.x1) / 2)}" y="${px(fr.y1 + 38)}" text-anchor="middle" font-size="13">${escapeXml(xLabel)}</text>`);
  }
  if (yLabel) {
    const maxTick = Math.max(0, ...ys.labels.map((l) => textWidth(l, 12)));
    const x = Math.max(14, fr.x0 - 14 - maxTick);
    const y = (fr.y0 + fr.y1) / 2;
    out.push(`<text class="axis-label" x="${px(x)}" y="${px(y)}" text-anchor="middle" font-size="13" transform="rotate(-90 ${px(x)} ${px(y)})">${escapeXml(yLabel)}</text>`);
  }
  out.push('</g>');
  return out.join('');
}

/** The finite (x, y) points of x-y series, as the two lists of values the scales must cover. */
export function finitePoints(series: readonly { x: readonly number[]; y: readonly number[] }[]): { xs: number[]; ys: number[] } {
  const xs: number[] = [];
  const ys: number[] = [];
  for (const s of series) {
    const n = Math.min(s.x.length, s.y.length);
    for (let i = 0; i < n; i++) {
      if (!Number.isFinite(s.x[i]!) || !Number.isFinite(s.y[i]!)) continue;
      xs.push(s.x[i]!);
      ys.push(s.y[i]!);
    }
  }
  return { xs, ys };
}

/**
 * The frame and scales of an x-y chart (line, scatter) of height H with a legend `legendWidth`
 * wide on the right: the y scale first, since its tick labels decide where the plot starts.
 */
export function xyFrame(W: number, H: number, legendWidth: number, xsAll: number[], ysAll: number[], logX: boolean, logY: boolean, yLabel: string | undefined): { fr: Frame; xs: Scale; ys: Scale } {
  const fr: Frame = { x0: 72, x1: W - 16 - legendWidth, y0: PLOT_TOP, y1: H - 52 };
  const ys = makeScale(ysAll, logY, fr.y1, fr.y0, Math.max(2, Math.floor((fr.y1 - fr.y0) / 60)));
  fr.x0 = plotLeft(ys, yLabel);
  const xs = makeScale(xsAll, logX, fr.x0, fr.x1, Math.max(2, Math.floor((fr.x1 - fr.x0) / 90)));
  return { fr, xs, ys };
}
