// Bundles a TypeScript entry point into one ESM file that Node 20 can run (it cannot strip types
// itself); used by scripts/run-ts.mjs and by packages/sweep/load.mjs.
//
// The bundle's name carries a hash of its contents (.tmp/<name>.<hash>.mjs), written atomically:
// two runs at once never overwrite each other's bundle, and worker threads that load the bundle
// later (scripts/reproduce.ts) always find the code their main thread runs. Stale bundles of the
// same entry are pruned after a day. Stack traces map back to the .ts sources (inline source map).
//
// An entry inside a package of this repository that has runtime dependencies of its own
// (packages/sweep: bullmq) is bundled into that package's .tmp/ with those dependencies left
// external, so that they load from that package's node_modules; papergrad itself has none.
import { build } from 'esbuild';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, statSync, unlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { buildCpuWorker } from './build-cpu-worker.mjs';

/** The folder of the nearest package.json above `file`, and that package's runtime dependencies. */
function owningPackage(file) {
  for (let dir = dirname(file); ; dir = dirname(dir)) {
    const p = join(dir, 'package.json');
    if (existsSync(p)) return { dir, dependencies: Object.keys(JSON.parse(readFileSync(p, 'utf8')).dependencies ?? {}) };
    if (dirname(dir) === dir) return { dir: null, dependencies: [] };
  }
}

/** Bundles `entry` (a .ts file) and returns the bundle's path; the CPU worker script is built next to it. */
export async function bundleTs(entry) {
  const pkg = owningPackage(resolve(entry));
  const own = pkg.dir !== null && pkg.dependencies.length > 0;
  const outDir = own ? join(pkg.dir, '.tmp') : resolve('.tmp');
  mkdirSync(outDir, { recursive: true });
  const stem = basename(entry).replace(/\.[cm]?ts$/, '');
  const result = await build({
    entryPoints: [entry], bundle: true, platform: 'node', format: 'esm', target: 'node20',
    outfile: resolve(outDir, `${stem}.mjs`), write: false,
    sourcemap: 'inline', logLevel: 'error',
    // Optional test/bench-only packages stay external (resolved from node_modules at run time).
    external: ['webgpu', 'playwright-core', '@tensorflow/*', ...(own ? pkg.dependencies : [])],
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
  return outfile;
}
