#!/usr/bin/env node
// Builds src/autograd/cpu/worker.ts into one ESM file: the script CPU worker threads run
// (see src/autograd/cpu/threads.ts). `npm run build` puts it at dist/cpu-worker.js, next to
// dist/index.js, where initCpuThreads looks by default; scripts/run-ts.mjs puts it next to its bundles.
// Usage: node scripts/build-cpu-worker.mjs <outfile>
import { build } from 'esbuild';
import { renameSync, writeFileSync, mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/** Build the worker to `outfile` (written atomically: concurrent runs never see half a file). */
export async function buildCpuWorker(outfile) {
  const result = await build({
    entryPoints: [resolve(root, 'src/autograd/cpu/worker.ts')], bundle: true, format: 'esm',
    platform: 'neutral', target: 'es2022', external: ['node:*'], write: false, logLevel: 'error',
  });
  mkdirSync(dirname(outfile), { recursive: true });
  const tmp = `${outfile}.${process.pid}.tmp`;
  writeFileSync(tmp, result.outputFiles[0].contents);
  renameSync(tmp, outfile);
  return outfile;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  if (!process.argv[2]) {
    console.error('usage: node scripts/build-cpu-worker.mjs <outfile>');
    process.exit(2);
  }
  await buildCpuWorker(resolve(process.argv[2]));
}
