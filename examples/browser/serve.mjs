#!/usr/bin/env node
// Serves the browser example: `npm run example:browser` (or `node examples/browser/serve.mjs
// [--port 8080]`), then open the printed address. Bundles main.ts with esbuild (a dev dependency)
// in memory and serves it with index.html and style.css from a tiny static server, under a strict
// Content-Security-Policy (no eval: papergrad needs none). No other dependencies.
import { build } from 'esbuild';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));

/** Bundles main.ts for the browser; returns the JavaScript. */
export async function bundle() {
  const out = await build({
    entryPoints: [join(here, 'main.ts')],
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    write: false,
    sourcemap: 'inline',
    logLevel: 'error',
  });
  return out.outputFiles[0].text;
}

/** Starts the server (port 0: any free port); resolves to its address and a close function. */
export async function startServer({ port = 8080, host = '127.0.0.1' } = {}) {
  const files = {
    '/': ['text/html; charset=utf-8', readFileSync(join(here, 'index.html'))],
    '/style.css': ['text/css; charset=utf-8', readFileSync(join(here, 'style.css'))],
    '/main.js': ['text/javascript; charset=utf-8', await bundle()],
  };
  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (path === '/favicon.ico') {
      res.writeHead(204).end(); // no icon, and no 404 in the console
      return;
    }
    const file = files[path === '/index.html' ? '/' : path];
    if (!file || req.method !== 'GET') {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
      return;
    }
    res.writeHead(200, { 'content-type': file[0], 'content-security-policy': "default-src 'self'; script-src 'self'; style-src 'self'" }).end(file[1]);
  });
  await new Promise((resolve, reject) => server.once('error', reject).listen(port, host, resolve));
  const url = `http://${host}:${server.address().port}/`;
  return { url, close: () => new Promise((resolve) => server.close(resolve)) };
}

if (process.argv[1] && pathToFileURL(process.argv[1]).href === import.meta.url) {
  const i = process.argv.indexOf('--port');
  const port = i > 0 ? Number(process.argv[i + 1]) : Number(process.env.PORT ?? 8080);
  const { url } = await startServer({ port });
  console.log(`papergrad browser example: open ${url} (WebGPU where the browser has it, the CPU otherwise); Ctrl-C stops`);
}
