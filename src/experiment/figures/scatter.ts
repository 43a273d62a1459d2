/** Scatter plots: one marker shape and colour per series. */
import { drawAxes, finitePoints, placeLegend, svgOpen, xyFrame } from './axes.js';
import { drawLegend, layoutLegend, markerShape, seriesColor, type Swatch } from './legend.js';
import { escapeXml } from './text.js';

export interface ScatterSeries {
  name: string;
  x: number[];
  y: number[];
  color?: string;
  /** Marker shape: 0 circle, 1 square, 2 triangle, 3 diamond (default: the series' index). */
  marker?: number;
}

export interface ScatterPlotOptions {
  title: string;
  xLabel: string;
  yLabel: string;
  series: ScatterSeries[];
  logX?: boolean;
  logY?: boolean;
  width?: number;
  height?: number;
  /** Marker radius in px (default 3.5). */
  radius?: number;
  /**
   * The legend's entries, when one entry per series is not what the reader needs (e.g. colours
   * for the methods and shapes for the seeds). Default: one entry per series.
   */
  legend?: { name: string; color?: string; marker?: number }[];
  /** A remark under the legend entries. */
  legendNote?: string;
}

export function scatterPlot(opts: ScatterPlotOptions): string {
  const W = opts.width ?? 640;
  const r = opts.radius ?? 3.5;
  const colors = opts.series.map((s, si) => s.color ?? seriesColor(si));
  const markers = opts.series.map((s, si) => s.marker ?? si);
  const items: Swatch[] = opts.legend
    ? opts.legend.map((e, i) => ({ name: e.name, color: e.color ?? '#555555', kind: 'marker', marker: e.marker ?? i }))
    : opts.series.map((s, si) => ({ name: s.name, color: colors[si]!, kind: 'marker', marker: markers[si]! }));
  if (opts.legendNote) items.push({ name: opts.legendNote, color: '#555555', kind: 'note' });
  const legend = layoutLegend(items);
  const place = placeLegend(W, opts.height ?? 400, legend, 52);
  const H = place.height;
  const { xs: xsAll, ys: ysAll } = finitePoints(opts.series);
  const { fr, xs, ys } = xyFrame(W, H, legend.width, xsAll, ysAll, !!opts.logX, !!opts.logY, opts.yLabel);
  const body: string[] = [svgOpen(W, H, opts.title), drawAxes(fr, xs, ys, opts.xLabel, opts.yLabel)];
  opts.series.forEach((s, si) => {
    body.push(`<g class="series" data-name="${escapeXml(s.name)}" fill-opacity="0.8">`);
    const n = Math.min(s.x.length, s.y.length);
    for (let i = 0; i < n; i++) {
      if (!xs.valid(s.x[i]!) || !ys.valid(s.y[i]!)) continue;
      body.push(markerShape(markers[si]!, xs.map(s.x[i]!), ys.map(s.y[i]!), r, colors[si]!));
    }
    body.push('</g>');
  });
  body.push(drawLegend(legend, place.x, place.y));
  body.push('</svg>');
  return body.join('');
}
