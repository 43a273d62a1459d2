/**
 * The probability simplex of three classes: paths of distributions (e.g. a model's prediction
 * over training) and labelled points, in a triangle whose vertices are the three classes.
 * Point labels are placed around their points so that they never overlap the vertex labels,
 * the legend, the other labels or the markers.
 */
import { placeLegend, svgOpen } from './axes.js';
import { placeLabel, textBox, type Anchor, type Box } from './labels.js';
import { drawLegend, layoutLegend, seriesColor, seriesDash, type Swatch } from './legend.js';
import { escapeXml, px, textWidth } from './text.js';

export type Simplex3 = [number, number, number];

export interface SimplexPath {
  name: string;
  points: Simplex3[];
  color?: string;
  /** Drawn thinner and translucent (e.g. one seed among several); faint paths sharing a name share a legend entry. */
  faint?: boolean;
}

export interface SimplexPlotOptions {
  title: string;
  paths: SimplexPath[];
  /** Labelled single points, e.g. the optimum or the initialisation. */
  markers?: { label: string; point: Simplex3; color?: string }[];
  vertexLabels?: [string, string, string];
  width?: number;
  height?: number;
  /** A remark under the legend entries. */
  legendNote?: string;
}

const LABEL_SIZE = 11;

export function simplexPlot(opts: SimplexPlotOptions): string {
  const W = opts.width ?? 600;
  const H0 = opts.height ?? 460;
  const colors = opts.paths.map((p, i) => p.color ?? seriesColor(i));
  const dashes = opts.paths.map((_, i) => seriesDash(i));
  const items: Swatch[] = [];
  opts.paths.forEach((p, i) => {
    if (p.faint && items.some((it) => it.name === p.name)) return;
    const it: Swatch = { name: p.name, color: colors[i]!, kind: 'line' };
    if (dashes[i]) it.dash = dashes[i];
    items.push(it);
  });
  if (opts.legendNote) items.push({ name: opts.legendNote, color: '#555555', kind: 'note' });
  // The legend's column is sized before the labels are placed (they may add notes to it, never
  // widen it), so the triangle and the labels do not depend on what the legend ends up saying.
  const lw = layoutLegend(items, 220, opts.markers?.length ? 160 : 70).width;
  const vl = opts.vertexLabels ?? ['class 0', 'class 1', 'class 2'];
  const availW = W - 40 - lw;
  const availH = H0 - 40 - 60; // room for the title and the vertex labels
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

  const body: string[] = [];
  // Labels stay left of the legend's column; they must not cover the title, the vertex labels,
  // the markers or the ends of the paths either.
  const bounds: Box = { x0: 2, y0: 2, x1: W - 2 - (lw ? lw + 6 : 0), y1: H0 - 2 };
  const taken: Box[] = [textBox(W / 2, 22, opts.title, 15, 'middle')];

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
      grid.push(`M${px(p[0])} ${px(p[1])}L${px(q[0])} ${px(q[1])}`);
    }
  }
  body.push(`<path class="grid" d="${grid.join('')}" stroke="#dddddd" stroke-width="1" fill="none"/>`);
  body.push(
    `<path class="simplex" d="M${px(V[0]![0])} ${px(V[0]![1])}L${px(V[1]![0])} ${px(V[1]![1])}L${px(V[2]![0])} ${px(V[2]![1])}Z" fill="none" stroke="#333333" stroke-width="1.5"/>`,
  );
  // Vertex labels: under the bottom vertices, above the top one; kept inside the figure.
  const vertexLabel = (k: number, x: number, y: number): void => {
    let anchor: Anchor = 'middle';
    const w = textWidth(vl[k]!, 12);
    if (x - w / 2 < bounds.x0) (anchor = 'start'), (x = Math.max(bounds.x0, x - 12));
    else if (x + w / 2 > bounds.x1) (anchor = 'end'), (x = Math.min(bounds.x1, x + 12));
    taken.push(textBox(x, y, vl[k]!, 12, anchor));
    body.push(`<text class="vertex-label" x="${px(x)}" y="${px(y)}" text-anchor="${anchor}">${escapeXml(vl[k]!)}</text>`);
  };
  vertexLabel(0, V[0]![0], V[0]![1] + 20);
  vertexLabel(1, V[1]![0], V[1]![1] + 20);
  vertexLabel(2, V[2]![0], V[2]![1] - 9);

  opts.paths.forEach((p, pi) => {
    const color = colors[pi]!;
    const dash = dashes[pi]!;
    let d = '';
    let prevOk = false;
    let first: [number, number] | null = null;
    let last: [number, number] | null = null;
    for (const pt of p.points) {
      const xy = toXY(pt);
      if (xy) {
        d += `${prevOk ? 'L' : 'M'}${px(xy[0])} ${px(xy[1])}`;
        first ??= xy;
        last = xy;
      }
      prevOk = xy !== null;
    }
    const dashAttr = dash ? ` stroke-dasharray="${dash}"` : '';
    const stroke = p.faint ? 'stroke-width="1.3" stroke-opacity="0.6"' : 'stroke-width="2"';
    const r = p.faint ? 3 : 4;
    body.push(`<g class="series${p.faint ? ' faint' : ''}" data-name="${escapeXml(p.name)}">`);
    body.push(`<path class="line" d="${d}" fill="none" stroke="${color}" ${stroke} stroke-linejoin="round"${dashAttr}/>`);
    // Hollow start, filled end: shows the direction of travel.
    if (first) body.push(`<circle class="start" cx="${px(first[0])}" cy="${px(first[1])}" r="${r}" fill="#ffffff" stroke="${color}" stroke-width="1.5"/>`);
    if (last) body.push(`<circle class="end" cx="${px(last[0])}" cy="${px(last[1])}" r="${r}" fill="${color}"/>`);
    body.push('</g>');
    for (const e of [first, last]) if (e) taken.push({ x0: e[0] - r, y0: e[1] - r, x1: e[0] + r, y1: e[1] + r });
  });

  // Markers: the same label at the same point is drawn once; crosses first, so labels avoid them all.
  const markers: { label: string; xy: [number, number]; color: string }[] = [];
  for (const m of opts.markers ?? []) {
    const xy = toXY(m.point);
    if (!xy || markers.some((q) => q.label === m.label && Math.abs(q.xy[0] - xy[0]) < 0.01 && Math.abs(q.xy[1] - xy[1]) < 0.01)) continue;
    markers.push({ label: m.label, xy, color: m.color ?? '#000000' });
  }
  const mr = 5;
  for (const m of markers) taken.push({ x0: m.xy[0] - mr, y0: m.xy[1] - mr, x1: m.xy[0] + mr, y1: m.xy[1] + mr });
  // A label with no free spot becomes a number, explained in the legend; a marker where not even
  // a number fits stays unlabelled, and the legend says that too.
  const numbered: string[] = [];
  const unlabelled: string[] = [];
  for (const m of markers) {
    const [x, y] = m.xy;
    const cross = `<path d="M${px(x - mr)} ${px(y - mr)}L${px(x + mr)} ${px(y + mr)}M${px(x - mr)} ${px(y + mr)}L${px(x + mr)} ${px(y - mr)}" stroke="${escapeXml(m.color)}" stroke-width="2"/>`;
    let text = m.label;
    let spot = numbered.includes(text) ? null : placeLabel(x, y, text, LABEL_SIZE, taken, bounds);
    if (!spot) {
      const k = numbered.includes(m.label) ? numbered.indexOf(m.label) : numbered.length;
      text = String(k + 1);
      spot = placeLabel(x, y, text, LABEL_SIZE, taken, bounds, true);
      if (spot && k === numbered.length) numbered.push(m.label);
    }
    if (!spot) {
      if (!unlabelled.includes(m.label)) unlabelled.push(m.label);
      body.push(`<g class="marker">${cross}</g>`);
      continue;
    }
    taken.push(spot.box);
    let leader = '';
    if (spot.ring > 1) {
      // A thin line from the point towards the label's nearest edge.
      const lx = Math.min(Math.max(x, spot.box.x0), spot.box.x1);
      const ly = Math.min(Math.max(y, spot.box.y0), spot.box.y1);
      leader = `<path class="leader" d="M${px(x)} ${px(y)}L${px(lx)} ${px(ly)}" stroke="#888888" stroke-width="0.8"/>`;
    }
    body.push(`<g class="marker">${cross}${leader}<text class="point-label" x="${px(spot.x)}" y="${px(spot.y)}" text-anchor="${spot.anchor}" font-size="${LABEL_SIZE}">${escapeXml(text)}</text></g>`);
  }
  const notes: Swatch[] = numbered.map((label, i) => ({ name: `${i + 1}: ${label}`, color: '#555555', kind: 'note' }));
  if (unlabelled.length) notes.push({ name: `not labelled (no room): ${unlabelled.join(', ')}`, color: '#555555', kind: 'note' });
  const legend = layoutLegend([...items, ...notes], lw, lw);
  const place = placeLegend(W, H0, legend, 40);
  body.push(drawLegend(legend, place.x, place.y));
  body.push('</svg>');
  return svgOpen(W, place.height, opts.title) + body.join('');
}
