// How `npm run reproduce -- --queue URL` reaches this package without papergrad depending on
// bullmq: scripts/reproduce.ts imports this plain file at run time (only with --queue). It checks
// that this package's dependencies are installed, bundles src/queue.ts with them left external
// (scripts/bundle-ts.mjs; they load from packages/sweep/node_modules) and returns its openQueue.
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';

/** Throws, saying how to install them, when bullmq or ioredis is missing here. */
export function checkInstalled() {
  const require = createRequire(import.meta.url);
  for (const dep of ['bullmq', 'ioredis']) {
    try {
      require.resolve(dep);
    } catch {
      throw new Error(`the sweep package's dependencies are not installed (${dep} is missing): run \`npm ci --prefix packages/sweep\` once, then try again`);
    }
  }
}

export async function loadOpenQueue() {
  checkInstalled();
  const { bundleTs } = await import('../../scripts/bundle-ts.mjs');
  const bundle = await bundleTs(fileURLToPath(new URL('./src/queue.ts', import.meta.url)));
  const mod = await import(pathToFileURL(bundle).href);
  return mod.openQueue;
}
