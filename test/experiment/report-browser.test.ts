// Renders the HTML report that `npm run reproduce` writes in headless Chromium: no console or
// page errors, every figure laid out with a real size, a screenshot in out/report-browser.png.
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
      { name: 'path', kind: 'simplex', title: 'Simplex path', data: { paths: [{ name: 'gd', points: [[0.6, 0.3, 0.1], [0.3, 0.3, 0.4], [0.1, 0.1, 0.8]] }] } },
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
        expect(await page.locator('h2').allTextContents()).toEqual(['browser-check']);
        expect(await page.locator('.summary').textContent()).toBe('1 of 1 claims pass');
        expect(await page.locator('table.claims td.status').allTextContents()).toEqual(['✔ PASS']);
        // The escaped table cell reads back as the original text.
        expect(await page.locator('table:not(.claims) td', { hasText: 'a & b <ok>' }).count()).toBe(1);
        const boxes = await page.locator('figure > svg').evaluateAll((els) => els.map((e) => e.getBoundingClientRect()).map((r) => [r.width, r.height]));
        expect(boxes).toHaveLength(5);
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
