#!/usr/bin/env node
// Runs a TypeScript entry point on Node 20 (which cannot strip types itself): esbuild bundles it
// to an ESM file under .tmp/, which is then imported with the remaining arguments in process.argv.
//
// The bundle's name carries a hash of its contents (.tmp/<name>.<hash>.mjs), written atomically:
// two runs at once never overwrite each other's bundle, and worker threads that load the bundle
// later (scripts/reproduce.ts) always find the code their main thread runs. Stale bundles of the
// same entry are pruned after a day. Stack traces map back to the .ts sources (inline source map).
import { build } from 'esbuild';
import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, renameSync, statSync, unlinkSync, utimesSync, writeFileSync, existsSync } from 'node:fs';
import { resolve, basename } from 'node:path';
import { pathToFileURL } from 'node:url';
import { buildCpuWorker } from './build-cpu-worker.mjs';

const [entry, ...rest] = process.argv.slice(2);
if (!entry) {
  console.error('usage: node scripts/run-ts.mjs <file.ts> [args...]');
  process.exit(2);
}
const outDir = resolve('.tmp');
mkdirSync(outDir, { recursive: true });
const stem = basename(entry).replace(/\.[cm]?ts$/, '');
const result = await build({
  entryPoints: [entry], bundle: true, platform: 'node', format: 'esm', target: 'node20',
  outfile: resolve(outDir, `${stem}.mjs`), write: false,
  sourcemap: 'inline', logLevel: 'error',
  // Optional test/bench-only packages stay external (resolved from node_modules at run time).
  external: ['webgpu', 'playwright-core', '@tensorflow/*'],
  banner: { js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);" },
});
const code = result.outputFiles[0].contents;
const hash = createHash('sha256').update(code).digest('hex').slice(0, 12);
const outfile = resolve(outDir, `${stem}.${hash}.mjs`);
if (!existsSync(outfile)) {
  const tmp = `${outfile}.${process.pid}.tmp`;
  writeFileSync(tmp, code);
  renameSync(tmp, outfile);
} else {
  const now = new Date();
  utimesSync(outfile, now, now); // in use: keep it out of other runs' pruning
}
// Prune this entry's bundles older than a day (another run may still be using a recent one).
const dayAgo = Date.now() - 24 * 3600 * 1000;
for (const f of readdirSync(outDir)) {
  if (!f.startsWith(`${stem}.`) || !f.endsWith('.mjs') || resolve(outDir, f) === outfile) continue;
  if (!/^[0-9a-f]{12}$/.test(f.slice(stem.length + 1, -4))) continue;
  try {
    if (statSync(resolve(outDir, f)).mtimeMs < dayAgo) unlinkSync(resolve(outDir, f));
  } catch {
    // already gone
  }
}
// The CPU worker-thread script, where pg.initCpuThreads looks for it by default (next to the bundle).
await buildCpuWorker(resolve(outDir, 'cpu-worker.js'));
process.setSourceMapsEnabled?.(true);
process.argv = [process.argv[0], outfile, ...rest];
await import(pathToFileURL(outfile).href);
