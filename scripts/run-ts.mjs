#!/usr/bin/env node
// Runs a TypeScript entry point on Node 20 (which cannot strip types itself): esbuild bundles it
// to a temporary ESM file, which is then imported with the remaining arguments in process.argv.
import { build } from 'esbuild';
import { mkdirSync } from 'node:fs';
import { resolve, basename } from 'node:path';
import { pathToFileURL } from 'node:url';

const [entry, ...rest] = process.argv.slice(2);
if (!entry) {
  console.error('usage: node scripts/run-ts.mjs <file.ts> [args...]');
  process.exit(2);
}
const outDir = resolve('.tmp');
mkdirSync(outDir, { recursive: true });
const outfile = resolve(outDir, basename(entry).replace(/\.ts$/, '') + '.mjs');
await build({
  entryPoints: [entry], bundle: true, platform: 'node', format: 'esm', target: 'node20', outfile,
  sourcemap: 'inline', logLevel: 'error',
  // Optional test/bench-only packages stay external (resolved from node_modules at run time).
  external: ['webgpu', 'playwright-core', '@tensorflow/*'],
  banner: { js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);" },
});
process.argv = [process.argv[0], outfile, ...rest];
await import(pathToFileURL(outfile).href);
