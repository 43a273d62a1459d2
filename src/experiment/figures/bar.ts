/** Grouped bar charts over categories, with optional error bars and the individual values as dots. */
import { drawAxes, placeLegend, plotLeft, PLOT_TOP, svgOpen, type Frame } from './axes.js';
import { drawLegend, layoutLegend, seriesColor, type Swatch } from './legend.js';
import { makeScale } from './scales.js';
import { escapeXml, px, textWidth } from './text.js';

export interface BarGroup {
  name: string;
  values: number[];
  /** Half-length of an error bar per category (e.g. one standard error). */
  errors?: number[];
  /** The individual values behind each bar (e.g. one per seed), drawn as dots over it. */
  points?: number[][];
  color?: string;
}

export interface BarChartOptions {
  title: string;
  xLabel?: string;
  yLabel: string;
  categories: string[];
  groups: BarGroup[];
  width?: number;
  height?: number;
  /** A remark under the legend entries, e.g. "whiskers: ±1 s.e.; dots: seeds". */
  legendNote?: string;
}

export function barChart(opts: BarChartOptions): string {
  const W = opts.width ?? 640;
  const nCat = Math.max(1, opts.categories.length);
  const nGroups = Math.max(1, opts.groups.length);
  const colors = opts.groups.map((g, gi) => g.color ?? seriesColor(gi));
  const items: Swatch[] = opts.groups.map((g, gi) => ({ name: g.name, color: colors[gi]!, kind: 'rect' }));
  if (opts.legendNote) items.push({ name: opts.legendNote, color: '#555555', kind: 'note' });
  const legend = layoutLegend(items);
  const maxLabel = Math.max(0, ...opts.categories.map((c) => textWidth(c, 12)));

  // The y scale first (it decides the left margin), then the category band.
  const ysAll: number[] = [];
  for (const g of opts.groups) {
    g.values.forEach((v, i) => {
      if (!Number.isFinite(v)) return;
      const e = g.errors?.[i];
      ysAll.push(v);
      if (e !== undefined && Number.isFinite(e) && e > 0) ysAll.push(v - e, v + e);
      for (const p of g.points?.[i] ?? []) if (Number.isFinite(p)) ysAll.push(p);
    });
  }
  const x1 = W - 16 - legend.width;
  const roughBand = (x1 - 72) / nCat;
  // Rotate category labels when they would collide; make room underneath for them.
  const rotate = maxLabel > roughBand - 6;
  const labelDrop = rotate ? Math.min(110, maxLabel * 0.6 + 8) : 0;
  const place = placeLegend(W, opts.height ?? 400, legend, 52 + labelDrop);
  const H = place.height;
  const fr: Frame = { x0: 72, x1, y0: PLOT_TOP, y1: H - 52 - labelDrop };
  const ys = makeScale(ysAll, false, fr.y1, fr.y0, Math.max(2, Math.floor((fr.y1 - fr.y0) / 60)), true);
  fr.x0 = plotLeft(ys, opts.yLabel);
  const x0 = fr.x0;
  const band = (x1 - x0) / nCat;
  const zeroY = ys.map(Math.min(Math.max(0, ys.d0), ys.d1));

  const body: string[] = [svgOpen(W, H, opts.title), drawAxes(fr, null, ys, undefined, opts.yLabel)];
  // Category labels (the x axis is categorical, so drawAxes draws no x ticks).
  const cats: string[] = ['<g class="categories">'];
  opts.categories.forEach((c, ci) => {
    const cx = x0 + band * (ci + 0.5);
    const y = fr.y1 + 16;
    if (rotate) {
      cats.push(`<text class="category" x="${px(cx)}" y="${px(y)}" text-anchor="end" transform="rotate(-35 ${px(cx)} ${px(y)})">${escapeXml(c)}</text>`);
    } else {
      cats.push(`<text class="category" x="${px(cx)}" y="${px(y)}" text-anchor="middle">${escapeXml(c)}</text>`);
    }
  });
  cats.push('</g>');
  body.push(cats.join(''));
  if (opts.xLabel) {
    body.push(`<text class="axis-label" x="${px((x0 + x1) / 2)}" y="${px(H - 14)}" text-anchor="middle" font-size="13">${escapeXml(opts.xLabel)}</text>`);
  }

  const inner = band * 0.8;
  const bw = inner / nGroups;
  opts.groups.forEach((g, gi) => {
    const color = colors[gi]!;
    body.push(`<g class="group" data-name="${escapeXml(g.name)}">`);
    for (let ci = 0; ci < opts.categories.length; ci++) {
      const v = g.values[ci];
      if (v === undefined || !Number.isFinite(v)) continue;
      const bx = x0 + band * ci + (band - inner) / 2 + bw * gi;
      const vy = ys.map(v);
      body.push(
        `<rect class="bar" x="${px(bx + 1)}" y="${px(Math.min(vy, zeroY))}" width="${px(Math.max(0, bw - 2))}" height="${px(Math.abs(zeroY - vy))}" fill="${color}"/>`,
      );
      const cx = bx + bw / 2;
      // Dots spread across the middle half of the bar, so equal values stay visible side by side.
      const pts = (g.points?.[ci] ?? []).filter((p) => Number.isFinite(p));
      pts.forEach((p, k) => {
        const dx = pts.length > 1 ? (k / (pts.length - 1) - 0.5) * Math.min(bw * 0.5, 24) : 0;
        body.push(`<circle class="seed-point" cx="${px(cx + dx)}" cy="${px(ys.map(p))}" r="2.5" fill="#ffffff" stroke="#222222" stroke-width="1"/>`);
      });
      const e = g.errors?.[ci];
      if (e !== undefined && Number.isFinite(e) && e > 0) {
        const cap = Math.min(8, bw * 0.5) / 2;
        const yl = ys.map(v - e);
        const yu = ys.map(v + e);
        body.push(
          `<path class="error" d="M${px(cx)} ${px(yl)}V${px(yu)}M${px(cx - cap)} ${px(yl)}H${px(cx + cap)}M${px(cx - cap)} ${px(yu)}H${px(cx + cap)}" stroke="#222222" stroke-width="1.2" fill="none"/>`,
        );
      }
    }
    body.push('</g>');
  });
  // Zero line on top of the bars when zero is inside the axis.
  if (ys.d0 < 0 && ys.d1 > 0) body.push(`<line class="zero" x1="${px(x0)}" y1="${px(zeroY)}" x2="${px(x1)}" y2="${px(zeroY)}" stroke="#333333"/>`);
  body.push(drawLegend(legend, place.x, place.y));
  body.push('</svg>');
  return body.join('');
}
