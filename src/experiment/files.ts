/**
 * Files (Node only): results.json and one SVG per figure per experiment, and out/index.html.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileSafe } from './checks.js';
import { fromJson, renderSeries, reportSection, RESULTS_SCHEMA, toJson, type ExperimentReport } from './report.js';
import { htmlReport } from './svg.js';

function writeAtomic(path: string, text: string): void {
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, text);
  renameSync(tmp, path);
}

/** Writes <outDir>/<name>/results.json and one SVG per series; returns the paths written. */
export function writeExperimentFiles(r: ExperimentReport, outDir: string): string[] {
  const dir = join(outDir, r.name);
  mkdirSync(dir, { recursive: true });
  const written: string[] = [];
  const p = join(dir, 'results.json');
  writeAtomic(p, toJson(r));
  written.push(p);
  for (const s of r.aggregate.series) {
    const f = join(dir, `${fileSafe(s.name)}.svg`);
    writeAtomic(f, renderSeries(s) + '\n');
    written.push(f);
  }
  return written;
}

/** Reads every <outDir>/<name>/results.json of the current schema (unreadable ones are skipped). */
export function readReports(outDir: string): ExperimentReport[] {
  if (!existsSync(outDir)) return [];
  const out: ExperimentReport[] = [];
  for (const d of readdirSync(outDir, { withFileTypes: true })) {
    if (!d.isDirectory()) continue;
    const p = join(outDir, d.name, 'results.json');
    if (!existsSync(p)) continue;
    try {
      const r = fromJson<ExperimentReport>(readFileSync(p, 'utf8'));
      if (r && r.schema === RESULTS_SCHEMA && r.name === d.name) out.push(r);
    } catch {
      // A results.json from elsewhere or half-written: not ours to report.
    }
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

