// Renders the HTML report that `npm run reproduce` writes in headless Chromium: no console or
// page errors, every figure laid out with a real size, the table of contents and summary linking
// to each experiment, and, measured on the rendered glyphs, no text outside its figure and no two
// labels overlapping (legends, simplex vertex and point labels, axes). A screenshot goes to
// out/report-browser.png.
// Skips, with a visible `browser: skipped (reason)` line, where Chromium or playwright-core is missing.
import { describe, expect, it } from 'vitest';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { check, type Experiment, type Result } from '../../src/experiment/node.js';
import { main } from '../../scripts/reproduce.js';

const CHROMIUM = '/usr/bin/chromium';

/** Every figure kind, values depending on the seed so the aggregation has something to do. */
function result(seed: number): Result {
  const steps = Array.from({ length: 50 }, (_, i) => i * 10);
  return {
    tables: [{ name: 'summary', columns: ['model', 'accuracy', 'note'], rows: [['mlp', 0.95 + 0.01 * seed, 'a & b <ok>'], ['linear', 0.55, '']] }],
    series: [
      {
        name: 'loss',
        kind: 'line',
        title: 'Loss',
        xLabel: 'step',
        yLabel: 'loss',
        data: { logY: true, series: [{ name: 'mlp', x: steps, y: steps.map((s) => Math.exp(-s / (100 + 20 * seed))) }, { name: 'linear', x: steps, y: steps.map(() => 0.69 - 0.01 * seed) }] },
      },
      { name: 'accuracy', kind: 'bar', title: 'Accuracy', yLabel: 'accuracy', data: { categories: ['linear', 'mlp'], groups: [{ name: 'test', values: [0.55, 0.95 + 0.01 * seed] }] } },
      {
        name: 'grid',
        kind: 'heatmap',
        title: 'Grid',
        data: { values: Array.from({ length: 8 }, (_, r) => Array.from({ length: 8 }, (_, c) => Math.sin(r + c + seed))), annotate: true },
      },
      { name: 'points', kind: 'scatter', title: 'Points', xLabel: 'x', yLabel: 'y', data: { series: [{ name: 'a', x: [1, 2, 3], y: [seed, 1, 2] }] } },
      {
        name: 'path',
        kind: 'simplex',
        title: 'Simplex path',
        data: {
          paths: [
            { name: 'gd', points: [[0.6, 0.3, 0.1], [0.3, 0.3, 0.4], [0.1, 0.1, 0.8]] },
            { name: 'a path whose name is much too long for one line of the legend', points: [[0.2, 0.6, 0.2], [0.05, 0.9, 0.05]] },
          ],
          // Points at and near the vertices, where the vertex labels are, and close to each other.
          markers: [
            { label: 'p* #0', point: [0.98, 0.01, 0.01] },
            { label: 'p* #1', point: [0.01, 0.98, 0.01] },
            { label: 'p* #2', point: [0.01, 0.01, 0.98] },
            { label: 'p* #7', point: [0.8, 0.1, 0.1] },
            { label: 'p* #9', point: [0.79, 0.11, 0.1] },
            { label: 'start', point: [1 / 3, 1 / 3, 1 / 3] },
          ],
        },
      },
      {
        name: 'many',
        kind: 'line',
        title: 'Many long legend entries',
        xLabel: 'x',
        yLabel: 'y',
        data: { series: Array.from({ length: 12 }, (_, i) => ({ name: `series ${i}: WWWWWWWWWW MMMMMMMMMMMMMMMM wide letters in a long name`, x: [0, 1], y: [i, i + seed] })) },
      },
    ],
    claims: [check('accuracy', 0.95 + 0.01 * seed, '>=', 0.9, 'mlp accuracy')],
  };
}

const fakeExp: Experiment = {
  name: 'browser-check',
  paper: { title: 'A report with every figure kind', authors: 'Test', arxiv: '1234.5678' },
  claims: [{ name: 'accuracy', description: 'accuracy ≥ 0.9' }],
  run: ({ seed }) => result(seed),
};

async function loadPlaywright(): Promise<typeof import('playwright-core') | string> {
  if (!existsSync(CHROMIUM)) return `${CHROMIUM} is missing`;
  try {
    return await import('playwright-core');
  } catch (e) {
    return `playwright-core did not load: ${(e as Error).message}`;
  }
}

describe('HTML report in a browser', () => {
  it('renders without errors, every figure visible', async (ctx) => {
    const pw = await loadPlaywright();
    if (typeof pw === 'string') {
      console.log(`browser: skipped (${pw})`);
      ctx.skip();
      return;
    }
    const dir = mkdtempSync(join(tmpdir(), 'papergrad-report-'));
    const sink = { text: '', write(s: string) { this.text += s; return true; } };
    try {
      expect(await main(['--seeds', '2', '--out', dir], { registry: [fakeExp], stdout: sink, stderr: sink }), sink.text).toBe(0);
      expect(await main(['--seeds', '1', '--out', dir], { registry: [{ ...fakeExp, name: 'second-paper' }], stdout: sink, stderr: sink }), sink.text).toBe(0);
      const browser = await pw.chromium.launch({
        executablePath: CHROMIUM,
        args: ['--headless=new', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
      });
      try {
        const page = await browser.newPage({ viewport: { width: 1100, height: 900 } });
        const problems: string[] = [];
        page.on('console', (m) => {
          if (m.type() === 'error' || m.type() === 'warning') problems.push(`console.${m.type()}: ${m.text()}`);
        });
        page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
        page.on('requestfailed', (r) => problems.push(`request failed: ${r.url()}`));
        const requests: string[] = [];
        page.on('request', (r) => requests.push(r.url()));
        await page.goto(pathToFileURL(join(dir, 'index.html')).href, { waitUntil: 'load' });

        expect(await page.title()).toBe('papergrad: paper reproductions');
        // The last run's experiments first (its registry order), then the others in the folder.
        expect(await page.locator('h2').allTextContents()).toEqual(['second-paper', 'browser-check']);
        expect(await page.locator('.summary').textContent()).toBe('2 of 2 claims pass');
        expect(await page.locator('table.claims td.status').allTextContents()).toEqual(['✔ PASS', '✔ PASS']);
        // The escaped table cell reads back as the original text.
        expect(await page.locator('section table:not(.claims) td', { hasText: 'a & b <ok>' }).count()).toBe(2);
        // Table of contents and the summary of every claim come first and link to the sections.
        expect(await page.locator('nav.toc a').allTextContents()).toEqual(['second-paper', 'browser-check']);
        expect(await page.locator('table.summary-claims tbody tr').count()).toBe(2);
        const order = await page.evaluate(() => {
          const y = (sel: string): number => document.querySelector(sel)!.getBoundingClientRect().top;
          return [y('nav.toc'), y('table.summary-claims'), y('section#second-paper')];
        });
        expect(order[0]).toBeLessThan(order[1]!);
        expect(order[1]).toBeLessThan(order[2]!);
        await page.locator('table.summary-claims a[href="#browser-check"]').first().click();
        expect(await page.evaluate(() => location.hash)).toBe('#browser-check');
        const top = await page.locator('section#browser-check h2').evaluate((e) => e.getBoundingClientRect().top);
        expect(Math.abs(top)).toBeLessThan(60); // scrolled to the section
        await page.evaluate(() => window.scrollTo(0, 0));

        const boxes = await page.locator('figure > svg').evaluateAll((els) => els.map((e) => e.getBoundingClientRect()).map((r) => [r.width, r.height]));
        expect(boxes).toHaveLength(12);
        for (const [w, h] of boxes) {
          expect(w).toBeGreaterThan(300);
          expect(h).toBeGreaterThan(200);
        }
        // Band (min–max over the 2 seeds) and lines were drawn with real geometry.
        const bandBox = await page.locator('figure svg path.band').first().evaluate((e) => {
          const b = (e as SVGGraphicsElement).getBBox();
          return { width: b.width, height: b.height };
        });
        expect(bandBox.width).toBeGreaterThan(100);
        // Measured text: inside its figure, and no two labels overlap (rotated labels are only
        // checked for being inside: their screen boxes are not their shapes).
        const text = await page.locator('figure > svg').evaluateAll((svgs) =>
          svgs.map((svg) => {
            const frame = svg.getBoundingClientRect();
            const scale = frame.width / Number(svg.getAttribute('width'));
            const items = Array.from(svg.querySelectorAll('text')).map((t) => {
              const r = t.getBoundingClientRect();
              return { text: t.textContent ?? '', rotated: t.hasAttribute('transform'), cls: t.getAttribute('class') ?? '', x0: r.left, y0: r.top, x1: r.right, y1: r.bottom };
            });
            const outside = items.filter((b) => b.x0 < frame.left - 0.5 || b.x1 > frame.right + 0.5 || b.y0 < frame.top - 0.5 || b.y1 > frame.bottom + 0.5).map((b) => b.text);
            const flat = items.filter((b) => !b.rotated && b.cls !== 'annotation');
            const overlaps: string[] = [];
            // Glyph boxes include the font's line gap: a pixel of slack per side (scaled) is not a collision.
            const pad = 1.5 * scale;
            for (let i = 0; i < flat.length; i++)
              for (let j = i + 1; j < flat.length; j++) {
                const a = flat[i]!;
                const b = flat[j]!;
                if (a.x0 + pad < b.x1 - pad && b.x0 + pad < a.x1 - pad && a.y0 + pad < b.y1 - pad && b.y0 + pad < a.y1 - pad) overlaps.push(`${JSON.stringify(a.text)} × ${JSON.stringify(b.text)}`);
              }
            // Legends: right of the plot frame, never over it.
            const plot = svg.querySelector('rect.frame')?.getBoundingClientRect();
            const legend = svg.querySelector('g.legend')?.getBoundingClientRect();
            const legendOverPlot = !!plot && !!legend && legend.left < plot.right - 0.5;
            return { title: svg.querySelector('title')?.textContent ?? '', outside, overlaps, legendOverPlot, labels: svg.querySelectorAll('text.point-label').length };
          }),
        );
        for (const f of text) {
          expect(f.outside, `${f.title}: text outside the figure`).toEqual([]);
          expect(f.overlaps, `${f.title}: overlapping labels`).toEqual([]);
          expect(f.legendOverPlot, `${f.title}: legend over the plot`).toBe(false);
        }
        expect(text.find((f) => f.title === 'Simplex path')!.labels).toBe(6);
        expect(requests.filter((u) => !u.startsWith('file:'))).toEqual([]); // self-contained page
        expect(problems).toEqual([]);

        const outDir = resolve(import.meta.dirname, '../../out');
        mkdirSync(outDir, { recursive: true });
        await page.screenshot({ path: join(outDir, 'report-browser.png'), fullPage: true });
        expect(existsSync(join(outDir, 'report-browser.png'))).toBe(true);
      } finally {
        await browser.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);
});
