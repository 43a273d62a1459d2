/**
 * Hand-written SVG figures and a one-page HTML report, with no dependencies.
 *
 * Every function returns a standalone `<svg xmlns=...>` string with a viewBox,
 * built only from the inputs: no ids, no random numbers and no dates, so the
 * same data always gives byte-identical output and many figures can be inlined
 * into one HTML page without id clashes. All user text goes through
 * escapeXml; non-finite data points are skipped rather than written as "NaN".
 */

// ---------------------------------------------------------------------------
// Text and number helpers
// ---------------------------------------------------------------------------

/**
 * Escape text for XML content or attribute values. Characters XML 1.0 forbids
 * outright (most C0 controls, lone surrogates, U+FFFE/U+FFFF) are dropped,
 * since no escape can make them legal.
 */
export function escapeXml(s: string): string {
  const clean = String(s).replace(
    /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g,
    '',
  );
  return clean.replace(/[&<>"']/g, (c) =>
    c === '&' ? '&amp;' : c === '<' ? '&lt;' : c === '>' ? '&gt;' : c === '"' ? '&quot;' : '&#39;',
  );
}

/** Coordinates rounded to 0.01 px: plenty for display and keeps output short and stable. */
function f(n: number): string {
  if (!Number.isFinite(n)) return '0';
  const r = Math.round(n * 100) / 100;
  return Object.is(r, -0) ? '0' : String(r);
}

const FONT = 'system-ui, -apple-system, Segoe UI, Helvetica, Arial, sans-serif';
const CHAR_W = 0.6; // rough average glyph width in ems, used only for layout estimates

function textWidth(s: string, size: number): number {
  return s.length * size * CHAR_W;
}

/** Okabe–Ito palette: distinguishable under the common colour-vision deficiencies. */
export const PALETTE: readonly string[] = ['#0072B2', '#D55E00', '#009E73', '#CC79A7', '#E69F00', '#56B4E9', '#F0E442', '#000000'];
/** After the palette repeats, series differ by dash pattern instead. */
const DASHES: readonly string[] = ['', '6 3', '2 2', '8 3 2 3'];

function seriesColor(i: number): string {
  return PALETTE[i % PALETTE.length]!;
}
function seriesDash(i: number): string {
  return DASHES[Math.floor(i / PALETTE.length) % DASHES.length]!;
}

// ---------------------------------------------------------------------------
// Ticks
// ---------------------------------------------------------------------------

function pow10(k: number): number {
  // Division by an exact power of ten gives the correctly rounded decimal (0.001, not 0.0010000000000000002).
  return k >= 0 ? 10 ** k : 1 / 10 ** -k;
}

/**
 * A "nice" step near `raw`: 1, 2 or 5 times a power of ten, chosen by
 * rounding in log space (so 0.3 → 0.2 and 0.4 → 0.5).
 */
export function niceStep(raw: number): number {
  if (!(raw > 0) || !Number.isFinite(raw)) return 1;
  const exp = Math.floor(Math.log10(raw));
  const frac = raw / pow10(exp);
  const nice = frac < 1.5 ? 1 : frac < 3 ? 2 : frac < 7 ? 5 : 10;
  return nice === 10 ? pow10(exp + 1) : nice * pow10(exp);
}

/** Decimal digits needed to print multiples of `step` exactly. */
function decimalsFor(step: number): number {
  let d = 0;
  while (d < 20) {
    const s = step * 10 ** d;
    if (Math.abs(s - Math.round(s)) <= 1e-9 * Math.max(1, s)) break;
    d++;
  }
  return d;
}

/**
 * Ticks at multiples of a nice step that enclose [lo, hi] (the first tick is
 * <= lo and the last >= hi), about `target` intervals. A degenerate or
 * non-finite range is widened so an axis can always be drawn.
 */
export function niceTicks(lo: number, hi: number, target = 5): number[] {
  if (!Number.isFinite(lo) || !Number.isFinite(hi)) [lo, hi] = [0, 1];
  if (lo > hi) [lo, hi] = [hi, lo];
  const mid = (lo + hi) / 2;
  if (hi - lo <= Math.abs(mid) * 1e-9 || hi === lo) {
    const d = mid === 0 ? 1 : Math.abs(mid) * 0.1;
    lo = mid - d;
    hi = mid + d;
  }
  const n = Math.max(1, Math.round(target));
  const step = niceStep(hi / n - lo / n); // divided first so ±1e308 spans do not overflow
  const exp = Math.floor(Math.log10(step) + 1e-9);
  const start = Math.floor(lo / step + 1e-9);
  const end = Math.ceil(hi / step - 1e-9);
  const ticks: number[] = [];
  for (let i = start; i <= end && ticks.length < 1000; i++) {
    // i*step accumulates binary error (3*0.1 = 0.30000000000000004); going
    // through the integer multiple of the mantissa and an exact power of ten does not.
    const v = exp < 0 && exp > -300 ? (i * Math.round(step * pow10(-exp))) / pow10(-exp) : i * step;
    // Near ±1.8e308 the enclosing tick can overflow; such a tick is dropped.
    if (Number.isFinite(v)) ticks.push(v === 0 ? 0 : v);
  }
  return ticks.length >= 2 ? ticks : [lo, hi];
}

/** Decade ticks for a log axis enclosing [lo, hi] (both > 0); 2× and 5× added for short ranges. */
export function logTicks(lo: number, hi: number): number[] {
  if (!(lo > 0) || !Number.isFinite(lo)) lo = 1;
  if (!(hi > 0) || !Number.isFinite(hi)) hi = 10;
  if (lo > hi) [lo, hi] = [hi, lo];
  let k0 = Math.floor(Math.log10(lo) + 1e-9);
  let k1 = Math.ceil(Math.log10(hi) - 1e-9);
  if (k1 <= k0) k1 = k0 + 1;
  const decades = k1 - k0;
  if (decades > 10) {
    // Keep about 8 labels: step by whole decades, aligned to a multiple of the step.
    const s = Math.ceil(decades / 8);
    k0 = Math.floor(k0 / s) * s;
    k1 = Math.ceil(k1 / s) * s;
    const out: number[] = [];
    for (let k = k0; k <= k1; k += s) out.push(pow10(k));
    return out;
  }
  const out: number[] = [];
  for (let k = k0; k <= k1; k++) {
    out.push(pow10(k));
    if (decades <= 2 && k < k1) out.push(2 * pow10(k), 5 * pow10(k));
  }
  return out;
}

/** Label for a tick value; `step` decides how many decimals a linear axis needs. */
export function formatTick(v: number, step?: number): string {
  if (!Number.isFinite(v)) return String(v);
  if (v === 0) return '0';
  const a = Math.abs(v);
  if (a >= 1e6 || a < 1e-3) {
    // Short scientific form: 1e-4, 2.5e6.
    return Number(v.toPrecision(6)).toExponential().replace('e+', 'e');
  }
  if (step === undefined) return String(Number(v.toPrecision(6)));
  return v.toFixed(Math.min(20, decimalsFor(step)));
}

/** Compact number formatting for tables and tooltips. */
export function formatNumber(v: number, digits = 4): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return '∞';
  if (v === -Infinity) return '-∞';
  if (Number.isInteger(v) && Math.abs(v) < 1e15) return String(v);
  const a = Math.abs(v);
  if (a !== 0 && (a >= 1e6 || a < 1e-3)) return v.toExponential(digits - 1).replace(/\.?0+e/, 'e').replace('e+', 'e');
  return String(Number(v.toPrecision(digits)));
}

// ---------------------------------------------------------------------------
// Scales and shared drawing
// ---------------------------------------------------------------------------

interface Scale {
  log: boolean;
  d0: number;
  d1: number;
  p0: number;
  p1: number;
  ticks: number[];
  labels: string[];
  map(v: number): number;
  valid(v: number): boolean;
}

function makeScale(values: number[], log: boolean, p0: number, p1: number, target: number, includeZero = false): Scale {
  let lo = Infinity;
  let hi = -Infinity;
  for (const v of values) {
    if (!Number.isFinite(v) || (log && v <= 0)) continue;
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  if (includeZero && !log && lo <= hi) {
    lo = Math.min(lo, 0);
    hi = Math.max(hi, 0);
  }
  let ticks: number[];
  let labels: string[];
  if (log) {
    ticks = lo <= hi ? logTicks(lo, hi) : logTicks(1, 10);
    labels = ticks.map((t) => formatTick(t));
  } else {
    ticks = lo <= hi ? niceTicks(lo, hi, target) : niceTicks(0, 1, target);
    const step = ticks.length > 1 ? Math.abs(ticks[1]! - ticks[0]!) : 1;
    labels = ticks.map((t) => formatTick(t, step));
  }
  const d0 = ticks[0]!;
  const d1 = ticks[ticks.length - 1]!;
  const t0 = log ? Math.log10(d0) : d0;
  const t1 = log ? Math.log10(d1) : d1;
  const span = t1 - t0 || 1;
  return {
    log,
    d0,
    d1,
    p0,
    p1,
    ticks,
    labels,
    map: (v) => p0 + (((log ? Math.log10(v) : v) - t0) / span) * (p1 - p0),
    valid: (v) => Number.isFinite(v) && (!log || v > 0),
  };
}

interface Frame {
  x0: number;
  x1: number;
  y0: number; // top
  y1: number; // bottom
}

function svgOpen(width: number, height: number, title: string): string {
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" width="${f(width)}" height="${f(height)}" viewBox="0 0 ${f(width)} ${f(height)}" ` +
    `font-family="${escapeXml(FONT)}" font-size="12" role="img">` +
    `<title>${escapeXml(title)}</title>` +
    `<rect class="background" x="0" y="0" width="${f(width)}" height="${f(height)}" fill="#ffffff"/>` +
    `<text class="title" x="${f(width / 2)}" y="22" text-anchor="middle" font-size="15" font-weight="bold">${escapeXml(title)}</text>`
  );
}

/** Gridlines, frame, ticks, tick labels and axis labels for an x/y plot. */
function drawAxes(fr: Frame, xs: Scale | null, ys: Scale, xLabel: string | undefined, yLabel: string | undefined): string {
  const out: string[] = ['<g class="axes">'];
  const grid: string[] = [];
  for (const t of ys.ticks) grid.push(`M${f(fr.x0)} ${f(ys.map(t))}H${f(fr.x1)}`);
  if (xs) for (const t of xs.ticks) grid.push(`M${f(xs.map(t))} ${f(fr.y0)}V${f(fr.y1)}`);
  out.push(`<path class="grid" d="${grid.join('')}" stroke="#e5e5e5" stroke-width="1" fill="none"/>`);
  out.push(`<rect class="frame" x="${f(fr.x0)}" y="${f(fr.y0)}" width="${f(fr.x1 - fr.x0)}" height="${f(fr.y1 - fr.y0)}" fill="none" stroke="#333333"/>`);
  ys.ticks.forEach((t, i) => {
    const y = ys.map(t);
    out.push(`<line x1="${f(fr.x0 - 5)}" y1="${f(y)}" x2="${f(fr.x0)}" y2="${f(y)}" stroke="#333333"/>`);
    out.push(`<text class="tick-label" x="${f(fr.x0 - 8)}" y="${f(y + 4)}" text-anchor="end">${escapeXml(ys.labels[i]!)}</text>`);
  });
  if (xs) {
    xs.ticks.forEach((t, i) => {
      const x = xs.map(t);
      out.push(`<line x1="${f(x)}" y1="${f(fr.y1)}" x2="${f(x)}" y2="${f(fr.y1 + 5)}" stroke="#333333"/>`);
      out.push(`<text class="tick-label" x="${f(x)}" y="${f(fr.y1 + 18)}" text-anchor="middle">${escapeXml(xs.labels[i]!)}</text>`);
    });
  }
  if (xLabel) {
    out.push(`<text class="axis-label" x="${f((fr.x0 + fr.x1) / 2)}" y="${f(fr.y1 + 38)}" text-anchor="middle" font-size="13">${escapeXml(xLabel)}</text>`);
  }
  if (yLabel) {
    const maxTick = Math.max(0, ...ys.labels.map((l) => textWidth(l, 12)));
    const x = Math.max(14, fr.x0 - 14 - maxTick);
    const y = (fr.y0 + fr.y1) / 2;
    out.push(`<text class="axis-label" x="${f(x)}" y="${f(y)}" text-anchor="middle" font-size="13" transform="rotate(-90 ${f(x)} ${f(y)})">${escapeXml(yLabel)}</text>`);
  }
  out.push('</g>');
  return out.join('');
}

type Swatch = { name: string; color: string; dash?: string; kind: 'line' | 'rect' | 'marker'; marker?: number };

function legendWidth(names: string[]): number {
  if (names.length === 0) return 0;
  return Math.min(220, Math.max(70, Math.max(...names.map((n) => textWidth(n, 12))) + 36));
}

function drawLegend(items: Swatch[], x: number, y: number): string {
  if (items.length === 0) return '';
  const out: string[] = ['<g class="legend">'];
  items.forEach((it, i) => {
    const cy = y + i * 18;
    out.push('<g class="legend-entry">');
    if (it.kind === 'line') {
      const dash = it.dash ? ` stroke-dasharray="${it.dash}"` : '';
      out.push(`<line x1="${f(x)}" y1="${f(cy)}" x2="${f(x + 22)}" y2="${f(cy)}" stroke="${it.color}" stroke-width="2"${dash}/>`);
    } else if (it.kind === 'rect') {
      out.push(`<rect x="${f(x + 5)}" y="${f(cy - 6)}" width="12" height="12" fill="${it.color}"/>`);
    } else {
      out.push(markerShape(it.marker ?? 0, x + 11, cy, 4, it.color));
    }
    out.push(`<text x="${f(x + 28)}" y="${f(cy + 4)}">${escapeXml(it.name)}</text>`);
    out.push('</g>');
  });
  out.push('</g>');
  return out.join('');
}

/** Circle, square, triangle, diamond: a second cue besides colour for scatter series. */
function markerShape(kind: number, x: number, y: number, r: number, color: string): string {
  switch (kind % 4) {
    case 0:
      return `<circle cx="${f(x)}" cy="${f(y)}" r="${f(r)}" fill="${color}"/>`;
    case 1:
      return `<rect x="${f(x - r * 0.9)}" y="${f(y - r * 0.9)}" width="${f(r * 1.8)}" height="${f(r * 1.8)}" fill="${color}"/>`;
    case 2:
      return `<path d="M${f(x)} ${f(y - r * 1.15)}L${f(x + r)} ${f(y + r * 0.7)}L${f(x - r)} ${f(y + r * 0.7)}Z" fill="${color}"/>`;
    default:
      return `<path d="M${f(x)} ${f(y - r * 1.2)}L${f(x + r)} ${f(y)}L${f(x)} ${f(y + r * 1.2)}L${f(x - r)} ${f(y)}Z" fill="${color}"/>`;
  }
}

// ---------------------------------------------------------------------------
// Line plot
// ---------------------------------------------------------------------------

export interface LineSeries {
  name: string;
  x: number[];
  y: number[];
  /** Lower/upper edge of a shaded band (e.g. mean ± std over seeds). */
  lower?: number[];
  upper?: number[];
  color?: string;
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
}

export function linePlot(opts: LinePlotOptions): string {
  const W = opts.width ?? 640;
  const H = opts.height ?? 400;
  const logX = !!opts.logX;
  const logY = !!opts.logY;
  const lw = legendWidth(opts.series.map((s) => s.name));
  const fr: Frame = { x0: 72, x1: W - 16 - lw, y0: 40, y1: H - 52 };

  const xsAll: number[] = [];
  const ysAll: number[] = [];
  for (const s of opts.series) {
    const n = Math.min(s.x.length, s.y.length);
    for (let i = 0; i < n; i++) {
      if (!Number.isFinite(s.x[i]!) || !Number.isFinite(s.y[i]!)) continue;
      xsAll.push(s.x[i]!);
      ysAll.push(s.y[i]!);
    }
    if (s.lower && s.upper) {
      for (let i = 0; i < n; i++) if (Number.isFinite(s.x[i]!)) ysAll.push(s.lower[i] ?? NaN, s.upper[i] ?? NaN);
    }
  }
  const xs = makeScale(xsAll, logX, fr.x0, fr.x1, Math.max(2, Math.floor((fr.x1 - fr.x0) / 90)));
  const ys = makeScale(ysAll, logY, fr.y1, fr.y0, Math.max(2, Math.floor((fr.y1 - fr.y0) / 60)));

  const body: string[] = [svgOpen(W, H, opts.title), drawAxes(fr, xs, ys, opts.xLabel, opts.yLabel)];
  const legend: Swatch[] = [];
  opts.series.forEach((s, si) => {
    const color = s.color ?? seriesColor(si);
    const dash = seriesDash(si);
    const n = Math.min(s.x.length, s.y.length);
    body.push(`<g class="series" data-name="${escapeXml(s.name)}">`);

    // Band: one closed polygon per run of consecutive valid points, so a NaN splits it.
    if (s.lower && s.upper) {
      let run: number[] = [];
      const bands: string[] = [];
      const flush = (): void => {
        if (run.length >= 2) {
          const top = run.map((i, k) => `${k === 0 ? 'M' : 'L'}${f(xs.map(s.x[i]!))} ${f(ys.map(s.upper![i]!))}`).join('');
          const bottom = run
            .slice()
            .reverse()
            .map((i) => `L${f(xs.map(s.x[i]!))} ${f(ys.map(s.lower![i]!))}`)
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
        d += `${prevOk ? 'L' : 'M'}${f(xs.map(s.x[i]!))} ${f(ys.map(s.y[i]!))}`;
        const nextOk = i + 1 < n && xs.valid(s.x[i + 1]!) && ys.valid(s.y[i + 1]!);
        if (!prevOk && !nextOk) isolated.push(i); // a lone point draws nothing as a path
      }
      prevOk = ok;
    }
    const dashAttr = dash ? ` stroke-dasharray="${dash}"` : '';
    body.push(`<path class="line" d="${d}" fill="none" stroke="${color}" stroke-width="2" stroke-linejoin="round" stroke-linecap="round"${dashAttr}/>`);
    for (const i of isolated) body.push(`<circle class="point" cx="${f(xs.map(s.x[i]!))}" cy="${f(ys.map(s.y[i]!))}" r="2.5" fill="${color}"/>`);
    body.push('</g>');
    legend.push({ name: s.name, color, dash, kind: 'line' });
  });
  body.push(drawLegend(legend, fr.x1 + 14, fr.y0 + 8));
  body.push('</svg>');
  return body.join('');
}

// ---------------------------------------------------------------------------
// Scatter plot
// ---------------------------------------------------------------------------

export interface ScatterPlotOptions {
  title: string;
  xLabel: string;
  yLabel: string;
  series: { name: string; x: number[]; y: number[]; color?: string }[];
  logX?: boolean;
  logY?: boolean;
  width?: number;
  height?: number;
  /** Marker radius in px (default 3.5). */
  radius?: number;
}

export function scatterPlot(opts: ScatterPlotOptions): string {
  const W = opts.width ?? 640;
  const H = opts.height ?? 400;
  const r = opts.radius ?? 3.5;
  const lw = legendWidth(opts.series.map((s) => s.name));
  const fr: Frame = { x0: 72, x1: W - 16 - lw, y0: 40, y1: H - 52 };
  const xsAll: number[] = [];
  const ysAll: number[] = [];
  for (const s of opts.series) {
    const n = Math.min(s.x.length, s.y.length);
    for (let i = 0; i < n; i++) {
      if (Number.isFinite(s.x[i]!) && Number.isFinite(s.y[i]!)) {
        xsAll.push(s.x[i]!);
        ysAll.push(s.y[i]!);
      }
    }
  }
  const xs = makeScale(xsAll, !!opts.logX, fr.x0, fr.x1, Math.max(2, Math.floor((fr.x1 - fr.x0) / 90)));
  const ys = makeScale(ysAll, !!opts.logY, fr.y1, fr.y0, Math.max(2, Math.floor((fr.y1 - fr.y0) / 60)));
  const body: string[] = [svgOpen(W, H, opts.title), drawAxes(fr, xs, ys, opts.xLabel, opts.yLabel)];
  const legend: Swatch[] = [];
  opts.series.forEach((s, si) => {
    const color = s.color ?? seriesColor(si);
    body.push(`<g class="series" data-name="${escapeXml(s.name)}" fill-opacity="0.8">`);
    const n = Math.min(s.x.length, s.y.length);
    for (let i = 0; i < n; i++) {
      if (!xs.valid(s.x[i]!) || !ys.valid(s.y[i]!)) continue;
      body.push(markerShape(si, xs.map(s.x[i]!), ys.map(s.y[i]!), r, color));
    }
    body.push('</g>');
    legend.push({ name: s.name, color, kind: 'marker', marker: si });
  });
  body.push(drawLegend(legend, fr.x1 + 14, fr.y0 + 8));
  body.push('</svg>');
  return body.join('');
}

// ---------------------------------------------------------------------------
// Bar chart
// ---------------------------------------------------------------------------

export interface BarChartOptions {
  title: string;
  xLabel?: string;
  yLabel: string;
  categories: string[];
  groups: { name: string; values: number[]; errors?: number[]; color?: string }[];
  width?: number;
  height?: number;
}

export function barChart(opts: BarChartOptions): string {
  const W = opts.width ?? 640;
  const H = opts.height ?? 400;
  const nCat = Math.max(1, opts.categories.length);
  const nGroups = Math.max(1, opts.groups.length);
  const lw = legendWidth(opts.groups.map((g) => g.name));
  const x0 = 72;
  const x1 = W - 16 - lw;
  const band = (x1 - x0) / nCat;
  const maxLabel = Math.max(0, ...opts.categories.map((c) => textWidth(c, 12)));
  // Rotate category labels when they would collide; make room underneath for them.
  const rotate = maxLabel > band - 6;
  const labelDrop = rotate ? Math.min(110, maxLabel * 0.6 + 8) : 0;
  const fr: Frame = { x0, x1, y0: 40, y1: H - 52 - labelDrop };

  const ysAll: number[] = [];
  for (const g of opts.groups) {
    g.values.forEach((v, i) => {
      if (!Number.isFinite(v)) return;
      const e = g.errors?.[i];
      ysAll.push(v);
      if (e !== undefined && Number.isFinite(e) && e > 0) ysAll.push(v - e, v + e);
    });
  }
  const ys = makeScale(ysAll, false, fr.y1, fr.y0, Math.max(2, Math.floor((fr.y1 - fr.y0) / 60)), true);
  const zeroY = ys.map(Math.min(Math.max(0, ys.d0), ys.d1));

  const body: string[] = [svgOpen(W, H, opts.title), drawAxes(fr, null, ys, undefined, opts.yLabel)];
  // Category labels (the x axis is categorical, so drawAxes draws no x ticks).
  const cats: string[] = ['<g class="categories">'];
  opts.categories.forEach((c, ci) => {
    const cx = x0 + band * (ci + 0.5);
    const y = fr.y1 + 16;
    if (rotate) {
      cats.push(`<text class="category" x="${f(cx)}" y="${f(y)}" text-anchor="end" transform="rotate(-35 ${f(cx)} ${f(y)})">${escapeXml(c)}</text>`);
    } else {
      cats.push(`<text class="category" x="${f(cx)}" y="${f(y)}" text-anchor="middle">${escapeXml(c)}</text>`);
    }
  });
  cats.push('</g>');
  body.push(cats.join(''));
  if (opts.xLabel) {
    body.push(`<text class="axis-label" x="${f((x0 + x1) / 2)}" y="${f(H - 14)}" text-anchor="middle" font-size="13">${escapeXml(opts.xLabel)}</text>`);
  }

  const inner = band * 0.8;
  const bw = inner / nGroups;
  const legend: Swatch[] = [];
  opts.groups.forEach((g, gi) => {
    const color = g.color ?? seriesColor(gi);
    body.push(`<g class="group" data-name="${escapeXml(g.name)}">`);
    for (let ci = 0; ci < opts.categories.length; ci++) {
      const v = g.values[ci];
      if (v === undefined || !Number.isFinite(v)) continue;
      const bx = x0 + band * ci + (band - inner) / 2 + bw * gi;
      const vy = ys.map(v);
      body.push(
        `<rect class="bar" x="${f(bx + 1)}" y="${f(Math.min(vy, zeroY))}" width="${f(Math.max(0, bw - 2))}" height="${f(Math.abs(zeroY - vy))}" fill="${color}"/>`,
      );
      const e = g.errors?.[ci];
      if (e !== undefined && Number.isFinite(e) && e > 0) {
        const cx = bx + bw / 2;
        const cap = Math.min(8, bw * 0.5) / 2;
        const yl = ys.map(v - e);
        const yu = ys.map(v + e);
        body.push(
          `<path class="error" d="M${f(cx)} ${f(yl)}V${f(yu)}M${f(cx - cap)} ${f(yl)}H${f(cx + cap)}M${f(cx - cap)} ${f(yu)}H${f(cx + cap)}" stroke="#222222" stroke-width="1.2" fill="none"/>`,
        );
      }
    }
    body.push('</g>');
    legend.push({ name: g.name, color, kind: 'rect' });
  });
  // Zero line on top of the bars when zero is inside the axis.
  if (ys.d0 < 0 && ys.d1 > 0) body.push(`<line class="zero" x1="${f(x0)}" y1="${f(zeroY)}" x2="${f(x1)}" y2="${f(zeroY)}" stroke="#333333"/>`);
  body.push(drawLegend(legend, x1 + 14, fr.y0 + 8));
  body.push('</svg>');
  return body.join('');
}

// ---------------------------------------------------------------------------
// Heatmap
// ---------------------------------------------------------------------------

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

function sequentialRgb(t: number): [number, number, number] {
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
   * palette) with a legend of the names instead of a colour bar; NaN cells are white (separators).
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
      body.push(`<rect class="cell" x="${f(x)}" y="${f(y)}" width="${f(cw + 0.3)}" height="${f(ch + 0.3)}" fill="${fill}">${tip}</rect>`);
      if (opts.annotate && finite) {
        const rgb = sequentialRgb((v - lo) / (hi - lo));
        const lum = 0.2126 * rgb[0] + 0.7152 * rgb[1] + 0.0722 * rgb[2];
        const fs = Math.max(6, Math.min(12, ch * 0.5, cw / 4));
        body.push(
          `<text class="annotation" x="${f(x + cw / 2)}" y="${f(y + ch / 2 + fs / 3)}" text-anchor="middle" font-size="${f(fs)}" fill="${lum > 140 ? '#000000' : '#ffffff'}">${escapeXml(formatNumber(v, 2))}</text>`,
        );
      }
    }
  }
  body.push('</g>');
  body.push(`<rect class="frame" x="${f(x0)}" y="${f(y0)}" width="${f(x1 - x0)}" height="${f(y1 - y0)}" fill="none" stroke="#333333"/>`);

  const labels: string[] = ['<g class="labels" font-size="11">'];
  xLabels.slice(0, cols).forEach((l, c) => {
    const cx = x0 + (c + 0.5) * cw;
    const y = y1 + 14;
    if (rotate) labels.push(`<text x="${f(cx)}" y="${f(y)}" text-anchor="end" transform="rotate(-45 ${f(cx)} ${f(y)})">${escapeXml(l)}</text>`);
    else labels.push(`<text x="${f(cx)}" y="${f(y)}" text-anchor="middle">${escapeXml(l)}</text>`);
  });
  yLabels.slice(0, rows).forEach((l, r) => {
    labels.push(`<text x="${f(x0 - 6)}" y="${f(y0 + (r + 0.5) * ch + 4)}" text-anchor="end">${escapeXml(l)}</text>`);
  });
  labels.push('</g>');
  body.push(labels.join(''));
  if (opts.xLabel) body.push(`<text class="axis-label" x="${f((x0 + x1) / 2)}" y="${f(H - 10)}" text-anchor="middle" font-size="13">${escapeXml(opts.xLabel)}</text>`);
  if (opts.yLabel) {
    const y = (y0 + y1) / 2;
    body.push(`<text class="axis-label" x="16" y="${f(y)}" text-anchor="middle" font-size="13" transform="rotate(-90 16 ${f(y)})">${escapeXml(opts.yLabel)}</text>`);
  }

  // Colour bar: stacked strips rather than a gradient, which would need a document-unique id.
  const bx = x1 + 20;
  const bwid = 16;
  const steps = 64;
  const cb: string[] = ['<g class="colorbar">'];
  const sh = (y1 - y0) / steps;
  for (let i = 0; i < steps; i++) {
    const t = 1 - (i + 0.5) / steps; // top is the maximum
    cb.push(`<rect x="${f(bx)}" y="${f(y0 + i * sh)}" width="${bwid}" height="${f(sh + 0.3)}" fill="${sequentialColor(t)}"/>`);
  }
  cb.push(`<rect x="${f(bx)}" y="${f(y0)}" width="${bwid}" height="${f(y1 - y0)}" fill="none" stroke="#333333"/>`);
  // Only ticks inside the data range: the bar spans exactly [lo, hi].
  const all = niceTicks(lo, hi, 5);
  const step = all.length > 1 ? all[1]! - all[0]! : 1;
  const tol = (hi - lo) * 1e-9;
  for (const t of all) {
    if (t < lo - tol || t > hi + tol) continue;
    const y = y1 - ((t - lo) / (hi - lo)) * (y1 - y0);
    cb.push(`<line x1="${f(bx + bwid)}" y1="${f(y)}" x2="${f(bx + bwid + 4)}" y2="${f(y)}" stroke="#333333"/>`);
    cb.push(`<text class="tick-label" x="${f(bx + bwid + 7)}" y="${f(y + 4)}" font-size="11">${escapeXml(formatTick(t, step))}</text>`);
  }
  if (opts.colorbarLabel) {
    const x = W - 12;
    const y = (y0 + y1) / 2;
    cb.push(`<text class="axis-label" x="${f(x)}" y="${f(y)}" text-anchor="middle" font-size="12" transform="rotate(-90 ${f(x)} ${f(y)})">${escapeXml(opts.colorbarLabel)}</text>`);
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
  const lw = legendWidth(cats.names);
  const maxY = Math.max(0, ...yLabels.map((l) => textWidth(l, 11)));
  const x0 = 20 + maxY + (opts.yLabel ? 22 : 0);
  const x1 = W - 20 - lw;
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
      body.push(`<rect class="cell" x="${f(x0 + c * cw)}" y="${f(y0 + r * ch)}" width="${f(cw + 0.3)}" height="${f(ch + 0.3)}" fill="${fill}"/>`);
    }
  body.push('</g>');
  const labels: string[] = ['<g class="labels" font-size="11">'];
  xLabels.slice(0, cols).forEach((l, c) => {
    if (l) labels.push(`<text x="${f(x0 + (c + 0.5) * cw)}" y="${f(y1 + 14)}" text-anchor="middle">${escapeXml(l)}</text>`);
  });
  yLabels.slice(0, rows).forEach((l, r) => {
    if (l) labels.push(`<text x="${f(x0 - 6)}" y="${f(y0 + (r + 0.5) * ch + 4)}" text-anchor="end">${escapeXml(l)}</text>`);
  });
  labels.push('</g>');
  body.push(labels.join(''));
  if (opts.xLabel) body.push(`<text class="axis-label" x="${f((x0 + x1) / 2)}" y="${f(H - 10)}" text-anchor="middle" font-size="13">${escapeXml(opts.xLabel)}</text>`);
  if (opts.yLabel) {
    const y = (y0 + y1) / 2;
    body.push(`<text class="axis-label" x="16" y="${f(y)}" text-anchor="middle" font-size="13" transform="rotate(-90 16 ${f(y)})">${escapeXml(opts.yLabel)}</text>`);
  }
  body.push(drawLegend(cats.names.map((name, k) => ({ name, color: colorOf(k), kind: 'rect' as const })), x1 + 14, y0 + 8));
  body.push('</svg>');
  return body.join('');
}

// ---------------------------------------------------------------------------
// Probability simplex (3 classes)
// ---------------------------------------------------------------------------

export type Simplex3 = [number, number, number];

export interface SimplexPlotOptions {
  title: string;
  paths: { name: string; points: Simplex3[]; color?: string }[];
  /** Labelled single points, e.g. the optimum or the initialisation. */
  markers?: { label: string; point: Simplex3; color?: string }[];
  vertexLabels?: [string, string, string];
  width?: number;
  height?: number;
}

export function simplexPlot(opts: SimplexPlotOptions): string {
  const W = opts.width ?? 600;
  const H = opts.height ?? 460;
  const names = opts.paths.map((p) => p.name);
  const lw = legendWidth(names);
  const vl = opts.vertexLabels ?? ['class 0', 'class 1', 'class 2'];
  const availW = W - 40 - lw;
  const availH = H - 40 - 60; // room for the title and the vertex labels
  const side = Math.max(10, Math.min(availW, (availH * 2) / Math.sqrt(3)));
  const th = (side * Math.sqrt(3)) / 2;
  const cx = 20 + availW / 2;
  const top = 40 + 24 + (availH - th) / 2;
  // Vertex k is where the probability of class k is 1.
  const V: [number, number][] = [
    [cx - side / 2, top + th],
    [cx + side / 2, top + th],
    [cx, top],
  ];
  const toXY = (p: readonly number[]): [number, number] | null => {
    const a = p[0]!;
    const b = p[1]!;
    const c = p[2]!;
    if (![a, b, c].every(Number.isFinite) || a < -1e-9 || b < -1e-9 || c < -1e-9) return null;
    const s = a + b + c;
    if (!(s > 0)) return null;
    // Renormalise: points given as unnormalised scores still land inside the triangle.
    return [(a * V[0]![0] + b * V[1]![0] + c * V[2]![0]) / s, (a * V[0]![1] + b * V[1]![1] + c * V[2]![1]) / s];
  };
  const lerp = (p: [number, number], q: [number, number], t: number): [number, number] => [p[0] + (q[0] - p[0]) * t, p[1] + (q[1] - p[1]) * t];

  const body: string[] = [svgOpen(W, H, opts.title)];
  // Grid: lines of constant p_k at 0.2 … 0.8 (parallel to the side opposite vertex k).
  const grid: string[] = [];
  for (let k = 0; k < 3; k++) {
    const a = V[k]!;
    const b = V[(k + 1) % 3]!;
    const c = V[(k + 2) % 3]!;
    for (let i = 1; i < 5; i++) {
      const t = i / 5;
      const p = lerp(b, a, t);
      const q = lerp(c, a, t);
      grid.push(`M${f(p[0])} ${f(p[1])}L${f(q[0])} ${f(q[1])}`);
    }
  }
  body.push(`<path class="grid" d="${grid.join('')}" stroke="#dddddd" stroke-width="1" fill="none"/>`);
  body.push(
    `<path class="simplex" d="M${f(V[0]![0])} ${f(V[0]![1])}L${f(V[1]![0])} ${f(V[1]![1])}L${f(V[2]![0])} ${f(V[2]![1])}Z" fill="none" stroke="#333333" stroke-width="1.5"/>`,
  );
  body.push(`<text class="vertex-label" x="${f(V[0]![0])}" y="${f(V[0]![1] + 20)}" text-anchor="middle">${escapeXml(vl[0])}</text>`);
  body.push(`<text class="vertex-label" x="${f(V[1]![0])}" y="${f(V[1]![1] + 20)}" text-anchor="middle">${escapeXml(vl[1])}</text>`);
  body.push(`<text class="vertex-label" x="${f(V[2]![0])}" y="${f(V[2]![1] - 9)}" text-anchor="middle">${escapeXml(vl[2])}</text>`);

  const legend: Swatch[] = [];
  opts.paths.forEach((p, pi) => {
    const color = p.color ?? seriesColor(pi);
    const dash = seriesDash(pi);
    let d = '';
    let prevOk = false;
    let first: [number, number] | null = null;
    let last: [number, number] | null = null;
    for (const pt of p.points) {
      const xy = toXY(pt);
      if (xy) {
        d += `${prevOk ? 'L' : 'M'}${f(xy[0])} ${f(xy[1])}`;
        first ??= xy;
        last = xy;
      }
      prevOk = xy !== null;
    }
    const dashAttr = dash ? ` stroke-dasharray="${dash}"` : '';
    body.push(`<g class="series" data-name="${escapeXml(p.name)}">`);
    body.push(`<path class="line" d="${d}" fill="none" stroke="${color}" stroke-width="2" stroke-linejoin="round"${dashAttr}/>`);
    // Hollow start, filled end: shows the direction of travel.
    if (first) body.push(`<circle class="start" cx="${f(first[0])}" cy="${f(first[1])}" r="4" fill="#ffffff" stroke="${color}" stroke-width="1.5"/>`);
    if (last) body.push(`<circle class="end" cx="${f(last[0])}" cy="${f(last[1])}" r="4" fill="${color}"/>`);
    body.push('</g>');
    legend.push({ name: p.name, color, dash, kind: 'line' });
  });
  for (const m of opts.markers ?? []) {
    const xy = toXY(m.point);
    if (!xy) continue;
    const color = m.color ?? '#000000';
    const r = 5;
    body.push(
      `<g class="marker"><path d="M${f(xy[0] - r)} ${f(xy[1] - r)}L${f(xy[0] + r)} ${f(xy[1] + r)}M${f(xy[0] - r)} ${f(xy[1] + r)}L${f(xy[0] + r)} ${f(xy[1] - r)}" stroke="${escapeXml(color)}" stroke-width="2"/>` +
        `<text x="${f(xy[0] + 8)}" y="${f(xy[1] - 6)}" font-size="11">${escapeXml(m.label)}</text></g>`,
    );
  }
  body.push(drawLegend(legend, W - lw - 6, 56));
  body.push('</svg>');
  return body.join('');
}

// ---------------------------------------------------------------------------
// HTML report
// ---------------------------------------------------------------------------

export interface ReportClaim {
  name: string;
  value: number | string;
  threshold: number | string;
  pass: boolean;
}

export interface ReportSection {
  heading: string;
  /** Free text shown under the heading (escaped; blank lines separate paragraphs). */
  text?: string;
  tables: { caption: string; columns: string[]; rows: (string | number)[][] }[];
  figures: { caption: string; svg: string }[];
  /** The paper's claims (they decide the verdict). */
  claims?: ReportClaim[];
  /** Sanity checks: by-construction facts, shown apart from the claims. */
  sanity?: ReportClaim[];
  /** Findings: paper claims measured and not reproduced; `pass` says whether it held here. */
  findings?: ReportClaim[];
}

export interface HtmlReportOptions {
  title: string;
  sections: ReportSection[];
}

const REPORT_CSS = `
body{font-family:${FONT};max-width:1000px;margin:2em auto;padding:0 1em;color:#222;line-height:1.45}
h1{font-size:1.6em;border-bottom:2px solid #333;padding-bottom:.2em}
h2{font-size:1.25em;margin-top:2em;border-bottom:1px solid #ccc}
table{border-collapse:collapse;margin:1em 0;font-size:.92em}
caption{text-align:left;font-weight:600;padding:.3em 0}
th,td{border:1px solid #ccc;padding:.25em .6em;text-align:left}
td.num{text-align:right;font-variant-numeric:tabular-nums}
th{background:#f3f3f3}
figure{margin:1.2em 0}
figure svg{max-width:100%;height:auto}
figcaption{font-size:.9em;color:#555}
tr.pass td.status{color:#0a6b2d;font-weight:700}
tr.fail td.status{color:#b00020;font-weight:700}
.summary{padding:.5em .8em;border-radius:4px;display:inline-block}
.summary.pass{background:#e3f4e8}
.summary.fail{background:#fbe3e6}
`.trim();

function cellHtml(v: string | number): string {
  if (typeof v === 'number') return `<td class="num">${escapeXml(formatNumber(v))}</td>`;
  return `<td>${escapeXml(v)}</td>`;
}

/** Drop an XML prolog/doctype so a standalone SVG file can be inlined into HTML. */
function inlineSvg(svg: string): string {
  return svg.replace(/^\s*<\?xml[^>]*\?>\s*/, '').replace(/^\s*<!DOCTYPE[^>]*>\s*/i, '');
}

/** A table of checks with a verdict column; findings get their own class (no pass/fail colours). */
function checksTable(caption: string, first: string, rows: ReportClaim[], verdicts: [string, string], cls?: string): string {
  const out = [`<table class="${cls ?? 'claims'}"><caption>${escapeXml(caption)}</caption>`];
  out.push(`<thead><tr><th>${escapeXml(first)}</th><th>Value</th><th>${cls === 'finding' ? "Paper's claim" : 'Threshold'}</th><th>Result</th></tr></thead><tbody>`);
  for (const c of rows) {
    const rowCls = cls === 'finding' ? 'finding' : c.pass ? 'pass' : 'fail';
    out.push(
      `<tr class="${rowCls}"><td>${escapeXml(c.name)}</td>${cellHtml(c.value)}${cellHtml(c.threshold)}<td class="status">${c.pass ? verdicts[0] : verdicts[1]}</td></tr>`,
    );
  }
  out.push('</tbody></table>');
  return out.join('\n');
}

/**
 * One self-contained HTML page: no external CSS, scripts or images. Void
 * elements are self-closed so the page (after the doctype) is also well-formed
 * XML, which the tests check. The SVGs
 * are inlined as given (they are expected to come from this module).
 */
export function htmlReport(opts: HtmlReportOptions): string {
  const allClaims = opts.sections.flatMap((s) => s.claims ?? []);
  const passed = allClaims.filter((c) => c.pass).length;
  const out: string[] = [
    '<!DOCTYPE html>',
    '<html lang="en">',
    '<head>',
    '<meta charset="utf-8"/>',
    '<meta name="viewport" content="width=device-width, initial-scale=1"/>',
    `<title>${escapeXml(opts.title)}</title>`,
    `<style>${REPORT_CSS}</style>`,
    '</head>',
    '<body>',
    `<h1>${escapeXml(opts.title)}</h1>`,
  ];
  if (allClaims.length) {
    const ok = passed === allClaims.length;
    out.push(`<p class="summary ${ok ? 'pass' : 'fail'}">${passed} of ${allClaims.length} claims pass</p>`);
  }
  for (const s of opts.sections) {
    out.push('<section>', `<h2>${escapeXml(s.heading)}</h2>`);
    if (s.text) for (const para of s.text.split(/\n\s*\n/)) out.push(`<p>${escapeXml(para.trim())}</p>`);
    if (s.claims && s.claims.length) out.push(checksTable('Claims', 'Claim', s.claims, ['✔ PASS', '✘ FAIL']));
    if (s.sanity && s.sanity.length) out.push(checksTable('Sanity checks (by construction; not reproduced claims)', 'Check', s.sanity, ['✔ PASS', '✘ FAIL']));
    if (s.findings && s.findings.length)
      out.push(checksTable('Findings: paper claims measured here and not reproduced (they do not fail the run)', 'Paper claim', s.findings, ['holds here', 'not reproduced'], 'finding'));
    for (const t of s.tables) {
      out.push(`<table><caption>${escapeXml(t.caption)}</caption><thead><tr>`);
      for (const c of t.columns) out.push(`<th>${escapeXml(c)}</th>`);
      out.push('</tr></thead><tbody>');
      for (const r of t.rows) out.push(`<tr>${r.map(cellHtml).join('')}</tr>`);
      out.push('</tbody></table>');
    }
    for (const fig of s.figures) {
      out.push(`<figure>${inlineSvg(fig.svg)}<figcaption>${escapeXml(fig.caption)}</figcaption></figure>`);
    }
    out.push('</section>');
  }
  out.push('</body>', '</html>', '');
  return out.join('\n');
}
