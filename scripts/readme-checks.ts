/**
 * npm run readme-checks -- --paper <name> [--out out] [--write]
 *
 * Writes the table of claims, sanity checks and findings of a paper's README from a real run:
 * it reads out/<paper>/results.json (written by `npm run reproduce`) and prints the tables in
 * Markdown, or with --write replaces the block between the README's markers
 *
 *   <!-- checks:begin -->  …  <!-- checks:end -->
 *
 * The check names and descriptions come from the run itself (the constants each experiment
 * defines once), so the README cannot drift from the code. Every table says which mode, device
 * and seeds it is from.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { AggregatedClaim } from '../src/experiment/aggregate.js';
import { formatThreshold } from '../src/experiment/checks.js';
import { fromJson, type ExperimentReport } from '../src/experiment/report.js';
import { formatNumber } from '../src/experiment/svg.js';

const BEGIN = '<!-- checks:begin -->';
const END = '<!-- checks:end -->';

/** "0–4, 7" for [0, 1, 2, 3, 4, 7]. */
export function seedRanges(seeds: readonly number[]): string {
  const s = [...seeds].sort((a, b) => a - b);
  const parts: string[] = [];
  for (let i = 0; i < s.length; ) {
    let j = i;
    while (j + 1 < s.length && s[j + 1] === s[j]! + 1) j++;
    parts.push(j > i ? `${s[i]}–${s[j]}` : `${s[i]}`);
    i = j + 1;
  }
  return parts.join(', ');
}

const num = (v: number): string => (Number.isNaN(v) ? '—' : formatNumber(v));
const cell = (s: string): string => s.replace(/\|/g, '\\|').replace(/\n/g, ' ');

function row(c: AggregatedClaim, kind: 'claims' | 'sanity' | 'findings'): string {
  const threshold = Number.isNaN(c.threshold as number) ? '—' : formatThreshold(c.comparison, c.threshold);
  const desc = cell(c.description ?? '');
  if (c.kind === 'aggregate') {
    const verdict = kind === 'findings' ? (c.pass ? 'holds' : 'does not hold') : c.pass ? '✓' : '✗';
    return `| \`${c.name}\` | ${desc} | ${threshold} | ${num(c.value)} (all seeds together) | — | ${verdict} |`;
  }
  if (c.kind === 'missing') return `| \`${c.name}\` | ${desc} | — | not checked | — | ✗ |`;
  const vals = c.values.map((v) => v.value).filter((v) => !Number.isNaN(v));
  const range = vals.length > 1 ? `${num(Math.min(...vals))} … ${num(Math.max(...vals))}` : '—';
  const held = c.values.filter((v) => v.pass).length;
  const verdict = `${held}/${c.values.length}${kind === 'findings' ? '' : held === c.values.length ? ' ✓' : ' ✗'}`;
  return `| \`${c.name}\` | ${desc} | ${threshold} | ${num(c.value)} | ${range} | ${verdict} |`;
}

/** The Markdown block (without the markers) for one report. */
export function checksMarkdown(r: ExperimentReport): string {
  const seeds = seedRanges(r.seeds);
  const lines: string[] = [
    `From \`npm run reproduce -- --paper ${r.name}${r.mode === 'full' ? ' --full' : ''} --seeds ${r.seeds.join(',')}\`` +
      ` (${r.mode} mode, ${r.device}, seed${r.seeds.length > 1 ? 's' : ''} ${seeds}); tables written by \`scripts/readme-checks.ts\`.` +
      ' "mean" is the mean over the seeds of the value checked in each seed; "held" counts the seeds where the check held.',
    '',
  ];
  const sections: ['claims' | 'sanity' | 'findings', string, string][] = [
    ['claims', 'Claims (the paper\'s claims reproduced here; each must hold in every seed)', 'claim'],
    ['sanity', 'Sanity checks (identities and by-construction facts; must hold, not claims)', 'sanity check'],
    ['findings', 'Findings (the paper\'s claim, measured here and not reproduced, or not on every seed; never fail the run)', 'finding'],
  ];
  for (const [kind, title, what] of sections) {
    const list = r.aggregate[kind];
    if (!list.length) continue;
    lines.push(`**${title}**`, '', `| ${what} | what is checked | threshold | mean | range over seeds | held |`, '| --- | --- | --- | ---: | --- | ---: |');
    for (const c of list) lines.push(row(c, kind));
    lines.push('');
  }
  return lines.join('\n').trimEnd();
}

function main(argv: string[]): number {
  let out = 'out';
  let write = false;
  const papers: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--out') out = argv[++i] ?? out;
    else if (a === '--paper') papers.push(...(argv[++i] ?? '').split(',').filter(Boolean));
    else if (a === '--write') write = true;
    else {
      process.stderr.write(`readme-checks: unknown argument ${JSON.stringify(a)}\nusage: readme-checks --paper <name> [--out out] [--write]\n`);
      return 2;
    }
  }
  if (!papers.length) {
    process.stderr.write('readme-checks: --paper <name> is required\n');
    return 2;
  }
  for (const paper of papers) {
    const p = join(resolve(out), paper, 'results.json');
    if (!existsSync(p)) {
      process.stderr.write(`readme-checks: ${p} does not exist (run npm run reproduce -- --paper ${paper} first)\n`);
      return 1;
    }
    const md = checksMarkdown(fromJson<ExperimentReport>(readFileSync(p, 'utf8')));
    if (!write) {
      process.stdout.write(md + '\n');
      continue;
    }
    const readme = resolve('src/papers', paper, 'README.md');
    const text = readFileSync(readme, 'utf8');
    const a = text.indexOf(BEGIN);
    const b = text.indexOf(END);
    if (a < 0 || b < a) {
      process.stderr.write(`readme-checks: ${readme} has no ${BEGIN} … ${END} block\n`);
      return 1;
    }
    writeFileSync(readme, `${text.slice(0, a + BEGIN.length)}\n${md}\n${text.slice(b)}`);
    process.stdout.write(`readme-checks: wrote the checks of ${paper} into ${readme}\n`);
  }
  return 0;
}

// Run as a script (run-ts.mjs sets process.argv[1] to the bundle), not when a test imports it.
if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) process.exitCode = main(process.argv.slice(2));
