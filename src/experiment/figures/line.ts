/** Line plots: curves with optional shaded bands, linear or log axes. */
import { drawAxes, finitePoints, placeLegend, svgOpen, xyFrame } from './axes.js';
import { drawLegend, layoutLegend, seriesColor, seriesDash, type Swatch } from './legend.js';
import { escapeXml, px } from './text.js';

export interface LineSeries {
  name: string;
  x: number[];
  y: number[];
  /** Lower/upper edge of a shaded band (e.g. the spread over seeds). */
  lower?: number[];
  upper?: number[];
  color?: string;
  /**
   * Drawn thin and translucent, e.g. one seed's curve among several. Faint series that share a
   * name get one legend entry between them.
   */
  faint?: boolean;
}

export interface LinePlotOptions {
  title: string;
  xLabel: string;
  yLabel: string;
  series: LineSeries[];
  logX?: boolean;
  logY?: boolean;
  width?: number;
  height?: number;
  /** A remark under the legend entries, e.g. "band: min–max over 3 seeds". */
  legendNote?: string;
}

/** The legend of a line plot: one entry per name (faint repeats merged), then the note. */
function lineLegend(opts: LinePlotOptions, colors: string[], dashes: string[]): Swatch[] {
  const items: Swatch[] = [];
  opts.series.forEach((s, si) => {
    if (s.faint && items.some((it) => it.name === s.name)) return;
    const it: Swatch = { name: s.name, color: colors[si]!, kind: s.lower && s.upper ? 'band' : 'line' };
    if (dashes[si]) it.dash = dashes[si];
    items.push(it);
  });
  if (opts.legendNote) items.push({ name: opts.legendNote, color: '#555555', kind: 'note' });
  return items;
}

export function linePlot(opts: LinePlotOptions): string {
  const W = opts.width ?? 640;
  const logX = !!opts.logX;
  const logY = !!opts.logY;
  const colors = opts.series.map((s, si) => s.color ?? seriesColor(si));
  const dashes = opts.series.map((_, si) => seriesDash(si));
  const legend = layoutLegend(lineLegend(opts, colors, dashes));
  const place = placeLegend(W, opts.height ?? 400, legend, 52);
  const H = place.height;

  const { xs: xsAll, ys: ysAll } = finitePoints(opts.series);
  for (const s of opts.series) {
    if (!s.lower || !s.upper) continue;
    const n = Math.min(s.x.length, s.y.length);
    for (let i = 0; i < n; i++) if (Number.isFinite(s.x[i]!)) ysAll.push(s.lower[i] ?? NaN, s.upper[i] ?? NaN);
  }
  const { fr, xs, ys } = xyFrame(W, H, legend.width, xsAll, ysAll, logX, logY, opts.yLabel);

  const body: string[] = [svgOpen(W, H, opts.title), drawAxes(fr, xs, ys, opts.xLabel, opts.yLabel)];
  opts.series.forEach((s, si) => {
    const color = colors[si]!;
    const dash = dashes[si]!;
    const n = Math.min(s.x.length, s.y.length);
    body.push(`<g class="series${s.faint ? ' faint' : ''}" data-name="${escapeXml(s.name)}">`);

    // Band: one closed polygon per run of consecutive valid points, so a NaN splits it.
    if (s.lower && s.upper) {
      let run: number[] = [];
      const bands: string[] = [];
      const flush = (): void => {
        if (run.length >= 2) {
          const top = run.map((i, k) => `${k === 0 ? 'M' : 'L'}${px(xs.map(s.x[i]!))} ${px(ys.map(s.upper![i]!))}`).join('');
          const bottom = run
            .slice()
            .reverse()
            .map((i) => `L${px(xs.map(s.x[i]!))} ${px(ys.map(s.lower![i]!))}`)
            .join('');
          bands.push(`${top}${bottom}Z`);
        }
        run = [];
      };
      for (let i = 0; i < n; i++) {
        const ok = xs.valid(s.x[i]!) && ys.valid(s.lower[i] ?? NaN) && ys.valid(s.upper[i] ?? NaN);
        if (ok) run.push(i);
        else flush();
      }
      flush();
      if (bands.length) body.push(`<path class="band" d="${bands.join('')}" fill="${color}" fill-opacity="0.2" stroke="none"/>`);
    }

    // Line: a NaN (or a non-positive value on a log axis) lifts the pen.
    let d = '';
    let prevOk = false;
    const isolated: number[] = [];
    for (let i = 0; i < n; i++) {
      const ok = xs.valid(s.x[i]!) && ys.valid(s.y[i]!);
      if (ok) {
        d += `${prevOk ? 'L' : 'M'}${px(xs.map(s.x[i]!))} ${px(ys.map(s.y[i]!))}`;
        const nextOk = i + 1 < n && xs.valid(s.x[i + 1]!) && ys.valid(s.y[i + 1]!);
        if (!prevOk && !nextOk) isolated.push(i); // a lone point draws nothing as a path
      }
      prevOk = ok;
    }
    const dashAttr = dash ? ` stroke-dasharray="${dash}"` : '';
    const stroke = s.faint ? `stroke-width="1.2" stroke-opacity="0.55"` : `stroke-width="2"`;
    body.push(`<path class="line" d="${d}" fill="none" stroke="${color}" ${stroke} stroke-linejoin="round" stroke-linecap="round"${dashAttr}/>`);
    for (const i of isolated) body.push(`<circle class="point" cx="${px(xs.map(s.x[i]!))}" cy="${px(ys.map(s.y[i]!))}" r="2.5" fill="${color}"/>`);
    body.push('</g>');
  });
  body.push(drawLegend(legend, place.x, place.y));
  body.push('</svg>');
  return body.join('');
}
