#!/usr/bin/env node
// Runs a TypeScript entry point on Node 20 (which cannot strip types itself): esbuild bundles it
// to an ESM file under .tmp/ (see scripts/bundle-ts.mjs), which is then imported with the
// remaining arguments in process.argv.
import { pathToFileURL } from 'node:url';
import { bundleTs } from './bundle-ts.mjs';

const [entry, ...rest] = process.argv.slice(2);
if (!entry) {
  console.error('usage: node scripts/run-ts.mjs <file.ts> [args...]');
  process.exit(2);
}
const outfile = await bundleTs(entry);
process.setSourceMapsEnabled?.(true);
process.argv = [process.argv[0], outfile, ...rest];
await import(pathToFileURL(outfile).href);
