// Browser check (npm run test:browser, which sets PAPERGRAD_BROWSER=1): bundles test/browser/page.ts
// with esbuild, serves it from a localhost server under a strict Content-Security-Policy, trains a
// tiny MLP on WebGPU in headless Chromium (SwiftShader provides the adapter on a CPU machine) and
// compares its losses with the same training run on the CPU here, to 1e-4.
// Without Chromium or WebGPU in it, prints a one-line skip notice with the reason.
import { afterAll, describe, expect, it } from 'vitest';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { resolve } from 'node:path';
import { build } from 'esbuild';
import { trainMlp } from './train.js';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const ARGS = ['--headless=new', '--no-sandbox', '--enable-unsafe-webgpu', '--disable-gpu-sandbox', '--disable-background-networking', '--disable-component-update'];
const enabled = process.env.PAPERGRAD_BROWSER === '1';
const why = !enabled ? 'run `npm run test:browser`' : !existsSync(CHROMIUM) ? `no Chromium at ${CHROMIUM}` : '';
if (why) console.log(`Browser WebGPU check: skipped (${why})`);

describe.skipIf(!!why)('WebGPU in headless Chromium', { timeout: 300_000 }, () => {
  let server: Server | null = null;
  afterAll(() => server?.close());

  it('trains an MLP with the same losses as the CPU', async () => {
    const out = resolve('.tmp/browser');
    mkdirSync(out, { recursive: true });
    await build({ entryPoints: ['test/browser/page.ts'], bundle: true, format: 'esm', platform: 'browser', target: 'es2022', outfile: `${out}/page.js`, logLevel: 'error' });
    const files: Record<string, [string, string]> = {
      '/': ['text/html', '<!doctype html><meta charset="utf-8"><title>papergrad WebGPU</title><script type="module" src="/page.js"></script>'],
      '/page.js': ['text/javascript', readFileSync(`${out}/page.js`, 'utf8')],
    };
    server = createServer((req, res) => {
      const f = files[req.url ?? ''];
      if (!f) { res.writeHead(404).end(); return; }
      // No 'unsafe-eval': the library must run without eval / new Function.
      res.writeHead(200, { 'content-type': f[0], 'content-security-policy': "default-src 'self'; script-src 'self'" }).end(f[1]);
    });
    await new Promise<void>((r) => server!.listen(0, '127.0.0.1', r));
    const port = (server.address() as { port: number }).port;

    const { chromium } = await import('playwright-core');
    const browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS });
    try {
      const page = await browser.newPage();
      const errors: string[] = [];
      page.on('pageerror', (e) => errors.push(e.message));
      page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
      await page.goto(`http://127.0.0.1:${port}/`);
      await page.waitForFunction(() => (window as { __papergrad?: { done: boolean } }).__papergrad?.done, null, { timeout: 240_000 });
      const r = await page.evaluate(() => (window as unknown as { __papergrad: any }).__papergrad);
      if (!r.ok && r.skip) {
        console.log(`Browser WebGPU check: skipped (Chromium has no WebGPU adapter: ${r.reason})`);
        return;
      }
      expect(errors.filter((e) => /Content Security Policy|eval/i.test(e))).toEqual([]);
      if (!r.ok) throw new Error(`training in the browser failed: ${r.reason}`);
      const cpu = await trainMlp('cpu');
      expect(r.losses.length).toBe(cpu.length);
      for (let i = 0; i < cpu.length; i++) expect(Math.abs(r.losses[i] - cpu[i]), `step ${i}: ${r.losses[i]} vs ${cpu[i]}`).toBeLessThanOrEqual(1e-4);
      expect(cpu[cpu.length - 1]).toBeLessThan(cpu[0]);
      console.log(`Browser WebGPU check: ${cpu.length} losses match the CPU on ${r.adapter} (last ${r.losses[r.losses.length - 1].toFixed(6)})`);
    } finally {
      await browser.close();
    }
  });
});

// The browser example (examples/browser/, `npm run example:browser`): served by its own script,
// it must train in the page on WebGPU where Chromium has an adapter and on the CPU where it has
// not, redraw its loss plot, and run under the page's strict Content-Security-Policy.
describe.skipIf(!!why)('the browser example in headless Chromium', { timeout: 300_000 }, () => {
  type ExampleState = { done: boolean; device: string; reason: string; losses: number[]; accuracy?: number; error?: string };

  async function runExample(withoutWebGPU: boolean): Promise<{ state: ExampleState; errors: string[]; plot: { paths: number; title: string } }> {
    // @ts-expect-error: a plain .mjs script without type declarations
    const { startServer } = (await import('../../examples/browser/serve.mjs')) as { startServer(o: { port: number }): Promise<{ url: string; close(): Promise<void> }> };
    const server = await startServer({ port: 0 });
    const { chromium } = await import('playwright-core');
    const browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS });
    try {
      const page = await browser.newPage();
      const errors: string[] = [];
      page.on('pageerror', (e) => errors.push(e.message));
      page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
      // No navigator.gpu: the page must fall back to the CPU backend.
      if (withoutWebGPU) await page.addInitScript(() => Object.defineProperty(Navigator.prototype, 'gpu', { get: () => undefined }));
      await page.goto(server.url);
      await page.waitForFunction(() => (window as { __example?: { done: boolean } }).__example?.done, null, { timeout: 240_000 });
      const state = await page.evaluate(() => (window as unknown as { __example: ExampleState }).__example);
      const plot = await page.evaluate(() => ({
        paths: document.querySelectorAll('#loss svg path.line').length,
        title: document.querySelector('#loss svg title')?.textContent ?? '',
      }));
      expect(await page.locator('#regions svg rect.cell').count()).toBe(32 * 32);
      return { state, errors, plot };
    } finally {
      await browser.close();
      await server.close();
    }
  }

  for (const withoutWebGPU of [false, true]) {
    it(withoutWebGPU ? 'trains on the CPU when the browser has no WebGPU' : 'trains with a live loss plot (WebGPU when Chromium has an adapter)', async () => {
      const { state, errors, plot } = await runExample(withoutWebGPU);
      expect(state.error).toBeUndefined();
      expect(errors, errors.join("\n")).toEqual([]); // nothing blocked by the CSP, no page errors
      if (withoutWebGPU) expect(state.device).toBe('cpu');
      expect(state.losses).toHaveLength(100);
      expect(state.losses[99]!).toBeLessThan(0.5 * state.losses[0]!);
      expect(state.accuracy!).toBeGreaterThan(0.8);
      expect(plot).toEqual({ paths: 1, title: `Training loss on ${state.device}` });
      console.log(`Browser example: trained on ${state.device}${state.device === 'cpu' ? ` (${state.reason})` : ` (${state.reason})`}, loss ${state.losses[0]!.toFixed(3)} → ${state.losses[99]!.toFixed(3)}, accuracy ${state.accuracy!.toFixed(3)}`);
    });
  }
});
