import { describe, expect, it } from 'vitest';
import {
  barChart,
  escapeXml,
  formatNumber,
  formatTick,
  heatmap,
  htmlReport,
  linePlot,
  logTicks,
  niceStep,
  niceTicks,
  PALETTE,
  scatterPlot,
  sequentialColor,
  simplexPlot,
  textWidth,
  wrapText,
  type Simplex3,
} from '../../src/experiment/svg.js';
import { boxesOverlap, textBox, type Box } from '../../src/experiment/figures/labels.js';

// ---------------------------------------------------------------------------
// A small strict XML well-formedness checker (no DTDs, no CDATA).
// ---------------------------------------------------------------------------

import { all, byClass, checkSvg, parseXml, textContent, type XmlElement } from '../helpers/xml.js';
const textsOf = (root: XmlElement): string[] => all(root, (e) => e.name === 'text').map((e) => e.text);


describe('the XML checker itself', () => {
  it('accepts well-formed and rejects malformed documents', () => {
    expect(parseXml('<a x="1"><b/>t &amp; &#60;<c y=\'2\'></c></a>').children.length).toBe(2);
    const bad = ['<a>', '<a></b>', '<a x=1/>', '<a>&</a>', '<a>x < y</a>', '<a x="1"y="2"/>', '<a x="1" x="2"/>', '<a/><b/>', 'text<a/>', '<a x="<"/>', '<a>&foo;</a>'];
    for (const b of bad) expect(() => parseXml(b), b).toThrow(/XML|bare/);
  });
});

// ---------------------------------------------------------------------------
// Ticks and formatting
// ---------------------------------------------------------------------------

describe('nice ticks', () => {
  it('niceStep picks 1/2/5 × 10^k', () => {
    expect(niceStep(1)).toBe(1);
    expect(niceStep(0.23)).toBe(0.2);
    expect(niceStep(0.4)).toBe(0.5);
    expect(niceStep(7.5)).toBe(10);
    expect(niceStep(1400)).toBe(1000);
    expect(niceStep(3.2e-7)).toBeCloseTo(5e-7, 20);
    expect(niceStep(0)).toBe(1);
    expect(niceStep(NaN)).toBe(1);
    for (const raw of [0.0013, 0.07, 0.9, 3, 42, 999, 12345]) {
      const s = niceStep(raw);
      const mant = s / 10 ** Math.floor(Math.log10(s) + 1e-9);
      expect([1, 2, 5]).toContain(Math.round(mant));
      expect(s / raw).toBeGreaterThan(0.5);
      expect(s / raw).toBeLessThan(2.5);
    }
  });

  it('niceTicks enclose the range with exact decimal values', () => {
    expect(niceTicks(0, 1, 5)).toEqual([0, 0.2, 0.4, 0.6, 0.8, 1]);
    expect(niceTicks(0.1, 0.93, 5)).toEqual([0, 0.2, 0.4, 0.6, 0.8, 1]);
    expect(niceTicks(-3, 7, 5)).toEqual([-4, -2, 0, 2, 4, 6, 8]);
    expect(niceTicks(0, 0.3, 3)).toEqual([0, 0.1, 0.2, 0.3]); // not 0.30000000000000004
    expect(niceTicks(1000, 10000, 4)).toEqual([0, 2000, 4000, 6000, 8000, 10000]);
    expect(niceTicks(5, 5)).toEqual([4.4, 4.6, 4.8, 5, 5.2, 5.4, 5.6]); // degenerate range widened to 5 ± 0.5
    expect(niceTicks(0, 0)).toEqual([-1, -0.5, 0, 0.5, 1]);
    expect(niceTicks(NaN, Infinity)).toEqual([0, 0.2, 0.4, 0.6, 0.8, 1]);
    const t = niceTicks(-1.7e308, 1.7e308, 4);
    expect(t.every(Number.isFinite)).toBe(true);
    for (const [lo, hi] of [
      [0.0012, 0.0047],
      [-123.4, 5.6],
      [17, 17.3],
      [1e-9, 3e-9],
    ] as const) {
      const ticks = niceTicks(lo, hi, 5);
      expect(ticks[0]!).toBeLessThanOrEqual(lo);
      expect(ticks[ticks.length - 1]!).toBeGreaterThanOrEqual(hi);
      expect(ticks.length).toBeGreaterThanOrEqual(3);
      expect(ticks.length).toBeLessThanOrEqual(12);
      const step = ticks[1]! - ticks[0]!;
      for (let i = 1; i < ticks.length; i++) expect(ticks[i]! - ticks[i - 1]!).toBeCloseTo(step, 12);
    }
  });

  it('logTicks use decades, with 2 and 5 for short ranges', () => {
    expect(logTicks(1, 1000)).toEqual([1, 10, 100, 1000]);
    expect(logTicks(0.002, 0.3)).toEqual([0.001, 0.01, 0.1, 1]);
    expect(logTicks(3, 40)).toEqual([1, 2, 5, 10, 20, 50, 100]);
    const wide = logTicks(1e-20, 1e20);
    expect(wide.length).toBeLessThanOrEqual(11);
    expect(wide[0]!).toBeLessThanOrEqual(1e-20);
    expect(wide[wide.length - 1]!).toBeGreaterThanOrEqual(1e20);
  });

  it('formatTick and formatNumber', () => {
    expect(formatTick(0.2, 0.2)).toBe('0.2');
    expect(formatTick(1, 0.25)).toBe('1.00');
    expect(formatTick(-0, 1)).toBe('0');
    expect(formatTick(2000, 1000)).toBe('2000');
    expect(formatTick(1e-4)).toBe('1e-4');
    expect(formatTick(2.5e7)).toBe('2.5e7');
    expect(formatTick(0.01)).toBe('0.01');
    expect(formatNumber(0.123456)).toBe('0.1235');
    expect(formatNumber(42)).toBe('42');
    expect(formatNumber(NaN)).toBe('NaN');
    expect(formatNumber(1.5e-7)).toBe('1.5e-7');
  });

  it('escapeXml', () => {
    expect(escapeXml(`a<b & c>"d'`)).toBe('a&lt;b &amp; c&gt;&quot;d&#39;');
    expect(escapeXml('x\u0000y\u0007z\uD800')).toBe('xyz'); // illegal in XML 1.0: dropped
    expect(escapeXml('tab\tok \u{1F600}')).toBe('tab\tok \u{1F600}');
  });
});

// ---------------------------------------------------------------------------
// Figures
// ---------------------------------------------------------------------------

const nasty = `Loss <&> "quoted" 'x'`;

describe('linePlot', () => {
  const opts = {
    title: 'Training loss',
    xLabel: 'step',
    yLabel: 'loss',
    series: [
      { name: 'Adam', x: [0, 1, 2, 3, 4], y: [1, 0.6, 0.4, 0.3, 0.25], lower: [0.9, 0.5, 0.35, 0.25, 0.2], upper: [1.1, 0.7, 0.45, 0.35, 0.3] },
      { name: 'SGD', x: [0, 1, 2, 3, 4], y: [1, 0.9, NaN, 0.7, 0.65] },
      { name: 'lone', x: [0, 1, 2], y: [NaN, 0.5, NaN] },
    ],
  };

  it('is well-formed and has one line per series, a band, legend and labels', () => {
    const svg = linePlot(opts);
    const root = checkSvg(svg);
    expect(root.attrs.viewBox).toBe('0 0 640 400');
    const lines = byClass(root, 'path', 'line');
    expect(lines.length).toBe(3);
    expect(byClass(root, 'path', 'band').length).toBe(1);
    // Distinct palette colours.
    expect(new Set(lines.map((l) => l.attrs.stroke)).size).toBe(3);
    expect(lines[0]!.attrs.stroke).toBe(PALETTE[0]);
    // NaN lifts the pen: SGD's path has two subpaths.
    expect(lines[1]!.attrs.d!.match(/M/g)!.length).toBe(2);
    expect(lines[1]!.attrs.d!.match(/L/g)!.length).toBe(2);
    // The lone finite point becomes a circle.
    expect(byClass(root, 'circle', 'point').length).toBe(1);
    const texts = textsOf(root);
    for (const t of ['Training loss', 'step', 'loss', 'Adam', 'SGD', 'lone']) expect(texts).toContain(t);
    const legend = byClass(root, 'g', 'legend')[0]!;
    expect(byClass(legend, 'g', 'legend-entry').map((e) => textsOf(e)[0])).toEqual(['Adam', 'SGD', 'lone']);
    // Nice tick labels on both axes.
    const ticks = byClass(root, 'text', 'tick-label').map((e) => e.text);
    expect(ticks).toContain('0.2');
    expect(ticks).toContain('1.2');
    expect(ticks).toContain('4');
  });

  it('is deterministic', () => {
    expect(linePlot(opts)).toBe(linePlot(structuredClone(opts)));
  });

  it('escapes text', () => {
    const svg = linePlot({ ...opts, title: nasty, xLabel: '<x>', series: [{ name: 'a&b', x: [1, 2], y: [3, 4] }] });
    expect(svg).not.toContain('<&>');
    expect(svg).toContain('Loss &lt;&amp;&gt; &quot;quoted&quot; &#39;x&#39;');
    const root = checkSvg(svg);
    expect(byClass(root, 'text', 'title')[0]!.text).toBe(nasty);
    expect(all(root, (e) => e.name === 'title')[0]!.text).toBe(nasty);
    expect(textsOf(root)).toContain('<x>');
    expect(textsOf(root)).toContain('a&b');
  });

  it('handles log axes, all-NaN series and empty input', () => {
    const svg = linePlot({
      title: 'lr sweep',
      xLabel: 'lr',
      yLabel: 'loss',
      logX: true,
      logY: true,
      series: [{ name: 'a', x: [1e-4, 1e-3, 1e-2, 0, -1], y: [10, 1, 0.1, 5, 5] }],
    });
    const root = checkSvg(svg);
    const ticks = byClass(root, 'text', 'tick-label').map((e) => e.text);
    expect(ticks).toContain('1e-4');
    expect(ticks).toContain('0.01');
    expect(ticks).toContain('10');
    // Non-positive x are dropped on a log axis: 3 points, one subpath.
    const d = byClass(root, 'path', 'line')[0]!.attrs.d!;
    expect(d.match(/[ML]/g)!.length).toBe(3);

    checkSvg(linePlot({ title: 't', xLabel: 'x', yLabel: 'y', series: [{ name: 'n', x: [NaN, NaN], y: [NaN, 1] }] }));
    checkSvg(linePlot({ title: 't', xLabel: 'x', yLabel: 'y', series: [] }));
    checkSvg(linePlot({ title: 't', xLabel: 'x', yLabel: 'y', series: [{ name: 'c', x: [1, 2, 3], y: [2, 2, 2] }] }));
  });

  it('splits bands at NaN and honours width/height', () => {
    const svg = linePlot({
      title: 'b',
      xLabel: 'x',
      yLabel: 'y',
      width: 800,
      height: 300,
      series: [{ name: 's', x: [0, 1, 2, 3, 4], y: [0, 1, 2, 3, 4], lower: [0, 0, NaN, 2, 3], upper: [1, 2, 3, 4, 5] }],
    });
    const root = checkSvg(svg);
    expect(root.attrs.viewBox).toBe('0 0 800 300');
    expect(byClass(root, 'path', 'band')[0]!.attrs.d!.match(/Z/g)!.length).toBe(2);
  });

  it('distinguishes more series than palette colours by dash', () => {
    const series = Array.from({ length: 10 }, (_, i) => ({ name: `s${i}`, x: [0, 1], y: [i, i + 1] }));
    const root = checkSvg(linePlot({ title: 'many', xLabel: 'x', yLabel: 'y', series }));
    const lines = byClass(root, 'path', 'line');
    const keys = new Set(lines.map((l) => `${l.attrs.stroke}|${l.attrs['stroke-dasharray'] ?? ''}`));
    expect(keys.size).toBe(10);
  });
});

describe('barChart', () => {
  it('draws grouped bars with whiskers and a legend', () => {
    const svg = barChart({
      title: 'Accuracy',
      xLabel: 'dataset',
      yLabel: 'acc',
      categories: ['MNIST', 'CIFAR', 'SVHN'],
      groups: [
        { name: 'ours', values: [0.98, 0.9, NaN], errors: [0.01, 0.02, 0.01] },
        { name: 'baseline', values: [0.97, -0.1, 0.85] },
      ],
    });
    const root = checkSvg(svg);
    expect(byClass(root, 'rect', 'bar').length).toBe(5); // NaN bar skipped
    expect(byClass(root, 'path', 'error').length).toBe(2);
    const texts = textsOf(root);
    for (const t of ['Accuracy', 'dataset', 'acc', 'MNIST', 'CIFAR', 'SVHN', 'ours', 'baseline']) expect(texts).toContain(t);
    expect(byClass(root, 'g', 'legend-entry').length).toBe(2);
    // Negative value: the axis includes zero and a zero line is drawn.
    expect(byClass(root, 'line', 'zero').length).toBe(1);
    for (const b of byClass(root, 'rect', 'bar')) expect(Number(b.attrs.height)).toBeGreaterThanOrEqual(0);
    expect(new Set(byClass(root, 'rect', 'bar').map((b) => b.attrs.fill)).size).toBe(2);
  });

  it('rotates long category labels and escapes them', () => {
    const cats = Array.from({ length: 12 }, (_, i) => `a very long <category> ${i}`);
    const root = checkSvg(barChart({ title: nasty, yLabel: 'y', categories: cats, groups: [{ name: 'g', values: cats.map((_, i) => i) }] }));
    const labels = byClass(root, 'text', 'category');
    expect(labels.length).toBe(12);
    expect(labels[0]!.attrs.transform).toMatch(/^rotate\(-35 /);
    expect(labels[0]!.text).toBe('a very long <category> 0');
  });
});

describe('heatmap', () => {
  it('draws every cell, a colour bar and labels', () => {
    const values = [
      [0, 1, 2],
      [3, NaN, 5],
    ];
    const root = checkSvg(heatmap({ title: 'W', xLabels: ['a', 'b', 'c'], yLabels: ['r0', 'r1'], values, colorbarLabel: 'weight', annotate: true }));
    const cells = byClass(root, 'rect', 'cell');
    expect(cells.length).toBe(6);
    expect(cells[0]!.attrs.fill).toBe('#440154'); // minimum
    expect(cells[5]!.attrs.fill).toBe('#fde725'); // maximum
    expect(cells[4]!.attrs.fill).toBe('#d9d9d9'); // NaN
    const cb = byClass(root, 'g', 'colorbar')[0]!;
    expect(textsOf(cb)).toContain('weight');
    expect(textsOf(cb)).toContain('0');
    expect(textsOf(cb)).toContain('5');
    expect(byClass(root, 'text', 'annotation').length).toBe(5);
    for (const t of ['W', 'a', 'b', 'c', 'r0', 'r1']) expect(textsOf(root)).toContain(t);
  });

  it('categorical: one colour per category, white separators, a legend and no colour bar', () => {
    const values = [
      [0, 1, NaN],
      [2, 0, 7],
    ];
    const root = checkSvg(heatmap({ title: 'labels', values, yLabels: ['top', ''], categories: { names: ['sky', 'road', 'car'], colors: ['#111111', '#222222', '#333333'] } }));
    const fills = byClass(root, 'rect', 'cell').map((c) => c.attrs.fill);
    expect(fills).toEqual(['#111111', '#222222', '#ffffff', '#333333', '#111111', '#ffffff']); // 7: unknown
    expect(byClass(root, 'g', 'colorbar').length).toBe(0);
    const legend = byClass(root, 'g', 'legend')[0]!;
    expect(textsOf(legend)).toEqual(['sky', 'road', 'car']);
    expect(textsOf(root)).toContain('top');
    // Without colours, the categories take the series palette.
    const plain = checkSvg(heatmap({ title: 'p', values: [[0, 1]], categories: { names: ['a', 'b'] } }));
    expect(byClass(plain, 'rect', 'cell').map((c) => c.attrs.fill)).toEqual(['#0072B2', '#D55E00']);
  });

  it('handles constant, empty and ragged input', () => {
    checkSvg(heatmap({ title: 'c', values: [[2, 2], [2, 2]] }));
    checkSvg(heatmap({ title: 'e', values: [] }));
    const root = checkSvg(heatmap({ title: 'r', values: [[1], [1, 2, 3]] }));
    expect(byClass(root, 'rect', 'cell').length).toBe(6);
  });

  it('sequentialColor spans the map and clamps', () => {
    expect(sequentialColor(0)).toBe('#440154');
    expect(sequentialColor(1)).toBe('#fde725');
    expect(sequentialColor(-3)).toBe('#440154');
    expect(sequentialColor(7)).toBe('#fde725');
    expect(sequentialColor(NaN)).toBe('#440154');
  });
});

describe('scatterPlot', () => {
  it('draws finite points only, with legend', () => {
    const root = checkSvg(
      scatterPlot({
        title: 'emb',
        xLabel: 'z1',
        yLabel: 'z2',
        series: [
          { name: 'A', x: [0, 1, NaN, 3], y: [0, 1, 2, Infinity] },
          { name: 'B', x: [2, 3], y: [1, -1] },
        ],
      }),
    );
    const groups = byClass(root, 'g', 'series');
    expect(groups.length).toBe(2);
    expect(groups[0]!.children.length).toBe(2);
    expect(groups[1]!.children.length).toBe(2);
    expect(groups[0]!.children[0]!.name).toBe('circle');
    expect(groups[1]!.children[0]!.name).toBe('rect'); // second series: square markers
    expect(byClass(root, 'g', 'legend-entry').map((e) => textsOf(e)[0])).toEqual(['A', 'B']);
  });
});

describe('simplexPlot', () => {
  it('draws the triangle, vertex labels, one path per learning path and markers', () => {
    const root = checkSvg(
      simplexPlot({
        title: 'Softmax paths',
        vertexLabels: ['cat', 'dog', '<bird>'],
        paths: [
          { name: 'GD', points: [[1 / 3, 1 / 3, 1 / 3], [0.5, 0.3, 0.2], [0.8, 0.1, 0.1]] },
          { name: 'noisy', points: [[0.2, 0.2, 0.6], [NaN, 0, 1], [2, 1, 1]], color: '#123456' },
        ],
        markers: [{ label: 'optimum', point: [1, 0, 0] }],
      }),
    );
    expect(byClass(root, 'path', 'simplex').length).toBe(1);
    const lines = byClass(root, 'path', 'line');
    expect(lines.length).toBe(2);
    expect(lines[1]!.attrs.stroke).toBe('#123456');
    expect(lines[1]!.attrs.d!.match(/M/g)!.length).toBe(2); // NaN point breaks the path
    expect(byClass(root, 'text', 'vertex-label').map((e) => e.text)).toEqual(['cat', 'dog', '<bird>']);
    const texts = textsOf(root);
    for (const t of ['Softmax paths', 'GD', 'noisy', 'optimum']) expect(texts).toContain(t);

    // The first point of GD (uniform) sits at the centroid of the triangle.
    const tri = byClass(root, 'path', 'simplex')[0]!.attrs.d!.match(/-?[\d.]+/g)!.map(Number);
    const cx = (tri[0]! + tri[2]! + tri[4]!) / 3;
    const cy = (tri[1]! + tri[3]! + tri[5]!) / 3;
    const start = byClass(root, 'circle', 'start')[0]!;
    expect(Number(start.attrs.cx)).toBeCloseTo(cx, 1);
    expect(Number(start.attrs.cy)).toBeCloseTo(cy, 1);
    // The marker at [1,0,0] is drawn at vertex 0 (bottom left).
    const marker = byClass(root, 'g', 'marker')[0]!.children[0]!.attrs.d!.match(/-?[\d.]+/g)!.map(Number);
    expect((marker[0]! + marker[2]!) / 2).toBeCloseTo(tri[0]!, 1);
  });
});

describe('htmlReport', () => {
  it('builds one self-contained page with tables, inline figures and claims', () => {
    const fig = linePlot({ title: 'loss', xLabel: 'step', yLabel: 'loss', series: [{ name: 'a', x: [0, 1], y: [1, 0] }] });
    const html = htmlReport({
      title: 'Report <1>',
      sections: [
        {
          heading: 'Results & discussion',
          text: 'First paragraph.\n\nSecond <para>.',
          tables: [{ caption: 'Table 1', columns: ['method', 'acc'], rows: [['ours', 0.98765], ['base <x>', NaN]] }],
          figures: [{ caption: 'Figure 1', svg: '<?xml version="1.0" encoding="UTF-8"?>\n' + fig }],
          claims: [
            { name: 'beats baseline', value: 0.98, threshold: 0.95, pass: true },
            { name: 'converges < 100 steps', value: 150, threshold: '< 100', pass: false },
          ],
        },
        { heading: 'Empty', tables: [], figures: [] },
      ],
    });
    expect(html.startsWith('<!DOCTYPE html>')).toBe(true);
    expect(html).not.toContain('<?xml');
    expect(html).not.toMatch(/<link|<script|src=/);
    for (const m of html.matchAll(/href="([^"]*)"/g)) expect(m[1]).toMatch(/^#/); // in-page links only
    const root = parseXml(html, { allowDoctype: true });
    expect(root.name).toBe('html');
    expect(all(root, (e) => e.name === 'title')[0]!.text).toBe('Report <1>');
    expect(all(root, (e) => e.name === 'h2').map((e) => e.text)).toEqual(['Results & discussion', 'Empty']);
    expect(all(root, (e) => e.name === 'svg').length).toBe(1);
    expect(all(root, (e) => e.name === 'figcaption')[0]!.text).toBe('Figure 1');
    const section = all(root, (e) => e.name === 'section')[0]!;
    const rows = all(section, (e) => e.name === 'tr' && (e.attrs.class === 'pass' || e.attrs.class === 'fail'));
    expect(rows.map((r) => r.attrs.class)).toEqual(['pass', 'fail']);
    // The overview: a table of contents linking each section's anchor, and every claim once more, linked.
    const ids = all(root, (e) => e.name === 'section').map((e) => e.attrs.id);
    expect(ids).toEqual(['Results-discussion', 'Empty']);
    const toc = all(root, (e) => e.name === 'nav')[0]!;
    expect(all(toc, (e) => e.name === 'a').map((a) => a.attrs.href)).toEqual(['#Results-discussion', '#Empty']);
    expect(all(toc, (e) => e.name === 'li').map((li) => li.attrs.class)).toEqual(['fail', 'pass']);
    const summary = all(root, (e) => e.name === 'table' && e.attrs.class === 'summary-claims')[0]!;
    expect(all(summary, (e) => e.name === 'tr' && e.parent?.name === 'tbody').map((r) => [r.attrs.class, all(r, (x) => x.name === 'td')[1]!.text])).toEqual([
      ['pass', 'beats baseline'],
      ['fail', 'converges < 100 steps'],
    ]);
    expect(html).toContain('✔ PASS');
    expect(html).toContain('✘ FAIL');
    expect(all(root, (e) => e.attrs.class === 'summary fail')[0]!.text).toBe('1 of 2 claims pass');
    const tds = all(root, (e) => e.name === 'td').map((e) => e.text);
    expect(tds).toContain('0.9877');
    expect(tds).toContain('base <x>');
    expect(tds).toContain('NaN');
    expect(all(root, (e) => e.name === 'p').map((e) => e.text)).toContain('Second <para>.');
  });
});

describe('legends and labels stay inside the figure and apart', () => {
  const longNames = Array.from({ length: 16 }, (_, i) => `series ${i}: WWWW MMMM a name far too long for one line of any legend`);
  /** Each legend line's estimated box: inside the figure, right of the plot frame, not overlapping another. */
  function checkLegend(svg: string): void {
    const root = checkSvg(svg);
    const W = Number(root.attrs.width);
    const H = Number(root.attrs.height);
    const frame = byClass(root, 'rect', 'frame')[0];
    const plotRight = frame ? Number(frame.attrs.x) + Number(frame.attrs.width) : 0;
    const boxes: [number, number, number, number][] = [];
    for (const t of all(byClass(root, 'g', 'legend')[0]!, (e) => e.name === 'text' || e.name === 'tspan')) {
      if (t.name === 'text' && t.children.length) continue; // its tspans carry the lines
      const x = Number(t.attrs.x);
      const y = Number(t.attrs.y);
      const box: [number, number, number, number] = [x, y - 10, x + textWidth(t.text, 12), y + 3];
      expect(box[0], t.text).toBeGreaterThan(plotRight);
      expect(box[2], t.text).toBeLessThanOrEqual(W);
      expect(box[3], t.text).toBeLessThanOrEqual(H);
      for (const b of boxes) expect(box[1] >= b[3] || box[3] <= b[1] || box[0] >= b[2] || box[2] <= b[0], t.text).toBe(true);
      boxes.push(box);
    }
    expect(boxes.length).toBeGreaterThan(longNames.length); // the names wrapped onto more lines
  }

  it('line, scatter, bar and simplex legends wrap long names and make the figure taller', () => {
    const line = linePlot({ title: 't', xLabel: 'x', yLabel: 'y', series: longNames.map((name, i) => ({ name, x: [0, 1], y: [i, i] })), legendNote: 'band: min–max over 16 seeds' });
    checkLegend(line);
    expect(Number(checkSvg(line).attrs.height)).toBeGreaterThan(400);
    checkLegend(scatterPlot({ title: 't', xLabel: 'x', yLabel: 'y', series: longNames.map((name, i) => ({ name, x: [i], y: [i] })) }));
    checkLegend(barChart({ title: 't', yLabel: 'y', categories: ['a'], groups: longNames.map((name, i) => ({ name, values: [i] })) }));
    checkLegend(simplexPlot({ title: 't', paths: longNames.map((name) => ({ name, points: [[1, 0, 0], [0, 1, 0]] })) }));
  });

  it('wrapText breaks at spaces, and inside a word only when it must', () => {
    expect(wrapText('aaa bbb ccc', textWidth('aaa bbb', 12), 12)).toEqual(['aaa bbb', 'ccc']);
    expect(wrapText('abcdefgh', textWidth('abc', 12), 12)).toEqual(['abc', 'def', 'gh']);
    expect(wrapText('', 50, 12)).toEqual(['']);
    expect(textWidth('WWW', 10)).toBeGreaterThan(textWidth('iii', 10) * 2);
  });

  it('simplex: point labels avoid the vertex labels, the legend and each other; crowded ones become numbers', () => {
    const markers = [
      { label: 'at vertex 0', point: [1, 0, 0] as Simplex3 },
      { label: 'at vertex 1', point: [0, 1, 0] as Simplex3 },
      { label: 'at vertex 2', point: [0, 0, 1] as Simplex3 },
      ...Array.from({ length: 30 }, (_, i) => ({ label: `crowded ${i}`, point: [0.5 + i * 0.002, 0.3, 0.2] as Simplex3 })),
    ];
    const root = checkSvg(simplexPlot({ title: 'Crowded', vertexLabels: ['class 0 (a long name)', 'class 1 (a long name)', 'class 2'], paths: [{ name: 'p', points: [[1, 0, 0], [0, 0, 1]] }], markers }));
    const W = Number(root.attrs.width);
    const H = Number(root.attrs.height);
    const boxes: { t: string; b: Box }[] = [];
    const anchorOf = (e: XmlElement): 'start' | 'middle' | 'end' => (e.attrs['text-anchor'] ?? 'start') as 'start' | 'middle' | 'end';
    for (const e of [...byClass(root, 'text', 'vertex-label'), ...byClass(root, 'text', 'point-label')]) {
      const size = Number(e.attrs['font-size'] ?? 12);
      const b = textBox(Number(e.attrs.x), Number(e.attrs.y), e.text, size, anchorOf(e));
      expect(b.x0, e.text).toBeGreaterThanOrEqual(0);
      expect(b.x1, e.text).toBeLessThanOrEqual(W);
      expect(b.y1, e.text).toBeLessThanOrEqual(H);
      for (const o of boxes) expect(boxesOverlap(o.b, b, 0), `${o.t} × ${e.text}`).toBe(false);
      boxes.push({ t: e.text, b });
    }
    const labels = byClass(root, 'text', 'point-label').map((e) => e.text);
    expect(labels.slice(0, 3)).toEqual(['at vertex 0', 'at vertex 1', 'at vertex 2']);
    // Too many labels for the room around one spot: some are numbered and explained in the legend.
    const numbered = labels.filter((l) => /^\d+$/.test(l));
    expect(numbered.length).toBeGreaterThan(0);
    const notes = byClass(root, 'g', 'legend-note').map(textContent);
    for (const n of numbered) expect(notes.some((t) => t.startsWith(`${n}: crowded`)), n).toBe(true);
  });
});
