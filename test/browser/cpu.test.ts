// The 'cpu' device in headless Chromium (npm run test:browser): under a Content-Security-Policy
// that allows 'wasm-unsafe-eval' it runs the WebAssembly kernels, under one that does not it falls
// back to the pure-JS kernels, says so once on the console, and never fails; both give the losses
// of the same training run in Node, bit for bit (the wasm backend's 'reference' precision). The
// page is not cross-origin isolated, so the heap's memory is unshared: growth re-makes the views.
import { afterAll, describe, expect, it } from 'vitest';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { resolve } from 'node:path';
import { build } from 'esbuild';
import { trainMlp } from './train.js';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const ARGS = ['--headless=new', '--no-sandbox', '--disable-background-networking', '--disable-component-update'];
const enabled = process.env.PAPERGRAD_BROWSER === '1';
const why = !enabled ? 'run `npm run test:browser`' : !existsSync(CHROMIUM) ? `no Chromium at ${CHROMIUM}` : '';
if (why) console.log(`Browser CPU check: skipped (${why})`);

describe.skipIf(!!why)("the 'cpu' device in headless Chromium", { timeout: 300_000 }, () => {
  const servers: Server[] = [];
  afterAll(() => servers.forEach((s) => s.close()));

  async function run(csp: string) {
    const out = resolve('.tmp/browser-cpu');
    mkdirSync(out, { recursive: true });
    await build({ entryPoints: ['test/browser/cpu-page.ts'], bundle: true, format: 'esm', platform: 'browser', target: 'es2022', outfile: `${out}/page.js`, logLevel: 'error' });
    const files: Record<string, [string, string]> = {
      '/': ['text/html', '<!doctype html><meta charset="utf-8"><title>papergrad CPU</title><script type="module" src="/page.js"></script>'],
      '/page.js': ['text/javascript', readFileSync(`${out}/page.js`, 'utf8')],
    };
    const server = createServer((req, res) => {
      const f = files[req.url ?? ''];
      if (!f) { res.writeHead(req.url === '/favicon.ico' ? 204 : 404).end(); return; }
      res.writeHead(200, { 'content-type': f[0], 'content-security-policy': csp }).end(f[1]);
    });
    servers.push(server);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const { chromium } = await import('playwright-core');
    const browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS });
    try {
      const page = await browser.newPage();
      const errors: string[] = [], infos: string[] = [];
      page.on('pageerror', (e) => errors.push(e.message));
      page.on('console', (m) => (m.type() === 'error' ? errors : infos).push(m.text()));
      await page.goto(`http://127.0.0.1:${(server.address() as { port: number }).port}/`);
      await page.waitForFunction(() => (window as { __papergrad?: { done: boolean } }).__papergrad?.done, null, { timeout: 240_000 });
      const r = await page.evaluate(() => (window as unknown as { __papergrad: any }).__papergrad);
      return { r, errors, infos };
    } finally {
      await browser.close();
    }
  }

  it("with 'wasm-unsafe-eval': WebAssembly kernels, the Node losses bit for bit, views valid after growth", async () => {
    const { r, errors, infos } = await run("default-src 'self'; script-src 'self' 'wasm-unsafe-eval'");
    expect(errors).toEqual([]);
    expect(r.error).toBeUndefined();
    expect(r.info).toEqual({ kernels: 'wasm', precision: 'reference' });
    expect(r.shared).toBe(false);
    expect(r.grown).toBe(true);
    expect(r.losses).toEqual(await trainMlp('cpu'));
    expect(infos.filter((m) => /WebAssembly/.test(m))).toEqual([]);
  });

  it("without it: the pure-JS kernels, said once, the same losses, nothing fails", async () => {
    const { r, errors, infos } = await run("default-src 'self'; script-src 'self'");
    expect(errors.filter((e) => !/Content Security Policy|wasm-unsafe-eval|WebAssembly/i.test(e))).toEqual([]);
    expect(r.error).toBeUndefined();
    expect(r.info.kernels).toBe('js');
    expect(r.info.reason).toMatch(/CompileError|WebAssembly|Content Security Policy|wasm-unsafe-eval/i);
    expect(infos.filter((m) => /papergrad: WebAssembly is not available/.test(m)).length).toBe(1);
    expect(r.grown).toBe(true);
    expect(r.losses).toEqual(await trainMlp('cpu'));
  });
});
