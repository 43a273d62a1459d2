/**
 * Files (Node only). The output folder holds, per experiment,
 *   <out>/<name>/results.json, one SVG per figure, and seeds/<seed>.json (each job's result),
 * and <out>/index.html over every experiment in it. An experiment's files are written into
 * <out>/.partial/<name>/ while it runs (each job's result as soon as the job ends, so --resume
 * can pick it up after an interruption) and the folder replaces <out>/<name> only once complete:
 * a run that stops half-way leaves the earlier result as it was, and the new folder holds only
 * the files of the new run. The folder itself is checked by prepareOutDir (outdir.ts).
 */
import { copyFileSync, existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileSafe, validateResult } from './checks.js';
import { fromJson, renderSeries, reportSection, RESULTS_SCHEMA, toJson, type ExperimentReport } from './report.js';
import { htmlReport } from './svg.js';
import type { DeviceName, Mode, SeedRun } from './types.js';

export const SEED_SCHEMA = 'papergrad.seed/1';
const PARTIAL = '.partial';

function writeAtomic(path: string, text: string): void {
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, text);
  renameSync(tmp, path);
}

const partialDir = (outDir: string, name: string): string => join(outDir, PARTIAL, name);
const seedFileName = (seed: number): string => `${seed}.json`;

/** What seeds/<seed>.json holds: one job's result and what it was run with. */
export interface SeedFile {
  schema: typeof SEED_SCHEMA;
  experiment: string;
  seed: number;
  mode: Mode;
  device: DeviceName;
  run: SeedRun;
}

/**
 * Prepares <out>/.partial/<name>/ for a run of the experiment. Without `resume` whatever an
 * interrupted earlier run left there is removed; with it, finished jobs stay for findSeedRun.
 */
export function beginExperimentFiles(outDir: string, name: string, opts: { resume: boolean }): void {
  const dir = partialDir(outDir, name);
  if (!opts.resume) rmSync(dir, { recursive: true, force: true });
  mkdirSync(join(dir, 'seeds'), { recursive: true });
}

/** Saves one finished job's result (only a complete one: a job that threw is not kept for --resume). */
export function writeSeedRun(outDir: string, name: string, job: { mode: Mode; device: DeviceName }, run: SeedRun): string | null {
  if (run.error !== undefined || !run.result) return null;
  const f: SeedFile = { schema: SEED_SCHEMA, experiment: name, seed: run.seed, mode: job.mode, device: job.device, run };
  const p = join(partialDir(outDir, name), 'seeds', seedFileName(run.seed));
  mkdirSync(dirname(p), { recursive: true });
  writeAtomic(p, toJson(f));
  return p;
}

function readSeedFile(p: string, name: string, seed: number, mode: Mode, device: DeviceName): SeedRun | undefined {
  if (!existsSync(p)) return undefined;
  try {
    const f = fromJson<SeedFile>(readFileSync(p, 'utf8'));
    if (f.schema !== SEED_SCHEMA || f.experiment !== name || f.seed !== seed || f.mode !== mode || f.device !== device) return undefined;
    if (f.run.error !== undefined || !f.run.result) return undefined;
    return { ...f.run, result: validateResult(f.run.result, `${p}`) };
  } catch {
    return undefined; // half-written or from elsewhere: run the job again
  }
}

/**
 * The complete result of (experiment, seed) in this mode on this device, from an interrupted run
 * (<out>/.partial) or a finished one (<out>/<name>/seeds); undefined when there is none.
 */
export function findSeedRun(outDir: string, name: string, seed: number, mode: Mode, device: DeviceName): SeedRun | undefined {
  return (
    readSeedFile(join(partialDir(outDir, name), 'seeds', seedFileName(seed)), name, seed, mode, device) ??
    readSeedFile(join(outDir, name, 'seeds', seedFileName(seed)), name, seed, mode, device)
  );
}

function readReport(p: string): ExperimentReport | undefined {
  try {
    const r = fromJson<ExperimentReport>(readFileSync(p, 'utf8'));
    return r && r.schema === RESULTS_SCHEMA ? r : undefined;
  } catch {
    return undefined;
  }
}

export interface WriteOutcome {
  /** The files now in <out>/<name>/ (empty when the earlier result was kept). */
  written: string[];
  /** Set when this run failed and an earlier complete result was kept in place: says so. */
  kept?: string;
}

/**
 * Finishes an experiment's folder: results.json, one SVG per figure and the seeds' files, then
 * swaps it into <out>/<name>. When this run has errors (a job threw) and <out>/<name> holds an
 * earlier result without errors, the earlier result stays and `kept` says so; the finished jobs
 * of this run stay in <out>/.partial for --resume.
 */
export function writeExperimentFiles(r: ExperimentReport, outDir: string): WriteOutcome {
  const dir = partialDir(outDir, r.name);
  const final = join(outDir, r.name);
  mkdirSync(join(dir, 'seeds'), { recursive: true });
  const earlier = existsSync(join(final, 'results.json')) ? readReport(join(final, 'results.json')) : undefined;
  if (r.errors.length && earlier && earlier.errors.length === 0) {
    return { written: [], kept: `kept the earlier result of ${r.name} (${earlier.mode}, ${earlier.device}, seeds ${earlier.seeds.join(',')}, finished ${earlier.finishedAt}) in ${final}; this run failed` };
  }
  // The seeds' files: exactly this run's seeds (a resumed seed may still be in the old folder).
  const seedsDir = join(dir, 'seeds');
  const wanted = new Set(r.runs.filter((x) => x.error === undefined && x.result).map((x) => seedFileName(x.seed)));
  for (const f of readdirSync(seedsDir)) if (!wanted.has(f)) rmSync(join(seedsDir, f), { force: true });
  for (const f of wanted) {
    if (!existsSync(join(seedsDir, f)) && existsSync(join(final, 'seeds', f))) copyFileSync(join(final, 'seeds', f), join(seedsDir, f));
  }
  for (const f of readdirSync(dir)) if (f !== 'seeds') rmSync(join(dir, f), { recursive: true, force: true });
  const names: string[] = [];
  for (const s of r.aggregate.series) {
    const f = `${fileSafe(s.name)}.svg`;
    writeFileSync(join(dir, f), renderSeries(s) + '\n');
    names.push(f);
  }
  writeFileSync(join(dir, 'results.json'), toJson(r));
  names.push('results.json');
  // Swap: the old folder moves aside, the new one takes its name, the old one goes.
  const old = join(outDir, PARTIAL, `${r.name}.old-${process.pid}`);
  rmSync(old, { recursive: true, force: true });
  if (existsSync(final) || isLink(final)) renameSync(final, old);
  renameSync(dir, final);
  rmSync(old, { recursive: true, force: true });
  removeIfEmpty(join(outDir, PARTIAL));
  return { written: [...names.map((f) => join(final, f)), ...[...wanted].map((f) => join(final, 'seeds', f))] };
}

function isLink(p: string): boolean {
  try {
    return lstatSync(p).isSymbolicLink();
  } catch {
    return false;
  }
}

function removeIfEmpty(dir: string): void {
  try {
    if (readdirSync(dir).length === 0) rmSync(dir, { recursive: true, force: true });
  } catch {
    // already gone
  }
}

/** Reads every <outDir>/<name>/results.json of the current schema (unreadable ones are skipped). */
export function readReports(outDir: string): ExperimentReport[] {
  if (!existsSync(outDir)) return [];
  const out: ExperimentReport[] = [];
  for (const d of readdirSync(outDir, { withFileTypes: true })) {
    if (!d.isDirectory() || d.name.startsWith('.')) continue;
    const p = join(outDir, d.name, 'results.json');
    if (!existsSync(p)) continue;
    const r = readReport(p);
    if (r && r.name === d.name) out.push(r);
  }
  return out;
}

/**
 * Writes <outDir>/index.html with every experiment that has a results.json in outDir (so runs of
 * different --paper subsets accumulate), in `order` first, then alphabetically.
 */
export function writeIndex(outDir: string, order: string[] = []): string {
  const reports = readReports(outDir).sort((a, b) => {
    const ia = order.indexOf(a.name);
    const ib = order.indexOf(b.name);
    if (ia !== ib) return (ia < 0 ? Infinity : ia) - (ib < 0 ? Infinity : ib) || a.name.localeCompare(b.name);
    return a.name.localeCompare(b.name);
  });
  const html = htmlReport({ title: 'papergrad: paper reproductions', sections: reports.map(reportSection) });
  mkdirSync(outDir, { recursive: true });
  const p = join(outDir, 'index.html');
  writeAtomic(p, html);
  return p;
}
