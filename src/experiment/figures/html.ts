/**
 * The HTML report: one self-contained page (no external CSS, scripts or images). At the top, the
 * overall verdict, a table of contents and a summary table of every claim (then of the sanity
 * checks and of the findings) with links to the sections; then one section per experiment with an
 * anchor, its checks, tables and inline figures.
 */
import { escapeXml, FONT, formatNumber } from './text.js';

export interface ReportClaim {
  name: string;
  value: number | string;
  threshold: number | string;
  pass: boolean;
}

export interface ReportSection {
  heading: string;
  /** Anchor of the section (letters, digits, '-', '_'); default: made from the heading. */
  id?: string;
  /** Free text shown under the heading (escaped; blank lines separate paragraphs). */
  text?: string;
  tables: { caption: string; columns: string[]; rows: (string | number)[][] }[];
  figures: { caption: string; svg: string }[];
  /** The paper's claims (they decide the verdict). */
  claims?: ReportClaim[];
  /** Sanity checks: by-construction facts, shown apart from the claims. */
  sanity?: ReportClaim[];
  /** Findings: paper claims measured and not reproduced; `pass` says whether it held here. */
  findings?: ReportClaim[];
  /** The section's verdict for the table of contents; default: every claim and sanity check passes. */
  pass?: boolean;
}

export interface HtmlReportOptions {
  title: string;
  sections: ReportSection[];
}

const REPORT_CSS = `
body{font-family:${FONT};max-width:1000px;margin:2em auto;padding:0 1em;color:#222;line-height:1.45}
h1{font-size:1.6em;border-bottom:2px solid #333;padding-bottom:.2em}
h2{font-size:1.25em;margin-top:2em;border-bottom:1px solid #ccc}
table{border-collapse:collapse;margin:1em 0;font-size:.92em}
caption{text-align:left;font-weight:600;padding:.3em 0}
th,td{border:1px solid #ccc;padding:.25em .6em;text-align:left}
td.num{text-align:right;font-variant-numeric:tabular-nums}
th{background:#f3f3f3}
figure{margin:1.2em 0}
figure svg{max-width:100%;height:auto}
figcaption{font-size:.9em;color:#555}
tr.pass td.status{color:#0a6b2d;font-weight:700}
tr.fail td.status{color:#b00020;font-weight:700}
.summary{padding:.5em .8em;border-radius:4px;display:inline-block}
.summary.pass{background:#e3f4e8}
.summary.fail{background:#fbe3e6}
nav.toc{background:#f7f7f7;border:1px solid #ddd;padding:.4em 1em;margin:1em 0}
nav.toc li.fail a{color:#b00020}
a.top{font-size:.85em}
td.status,table[class^=summary-] td:first-child{white-space:nowrap}
`.trim();

function cellHtml(v: string | number): string {
  if (typeof v === 'number') return `<td class="num">${escapeXml(formatNumber(v))}</td>`;
  return `<td>${escapeXml(v)}</td>`;
}

/** Drop an XML prolog/doctype so a standalone SVG file can be inlined into HTML. */
function inlineSvg(svg: string): string {
  return svg.replace(/^\s*<\?xml[^>]*\?>\s*/, '').replace(/^\s*<!DOCTYPE[^>]*>\s*/i, '');
}

/** A table of checks with a verdict column; findings get their own class (no pass/fail colours). */
function checksTable(caption: string, first: string, rows: ReportClaim[], verdicts: [string, string], cls?: string): string {
  const out = [`<table class="${cls ?? 'claims'}"><caption>${escapeXml(caption)}</caption>`];
  out.push(`<thead><tr><th>${escapeXml(first)}</th><th>Value</th><th>${cls === 'finding' ? "Paper's claim" : 'Threshold'}</th><th>Result</th></tr></thead><tbody>`);
  for (const c of rows) {
    const rowCls = cls === 'finding' ? 'finding' : c.pass ? 'pass' : 'fail';
    out.push(
      `<tr class="${rowCls}"><td>${escapeXml(c.name)}</td>${cellHtml(c.value)}${cellHtml(c.threshold)}<td class="status">${c.pass ? verdicts[0] : verdicts[1]}</td></tr>`,
    );
  }
  out.push('</tbody></table>');
  return out.join('\n');
}

type Kind = 'claims' | 'sanity' | 'findings';
const KIND_TEXT: Record<Kind, { caption: string; first: string; verdicts: [string, string]; rowClass?: string }> = {
  claims: { caption: 'Claims', first: 'Claim', verdicts: ['✔ PASS', '✘ FAIL'] },
  sanity: { caption: 'Sanity checks (by construction; not reproduced claims)', first: 'Check', verdicts: ['✔ PASS', '✘ FAIL'] },
  findings: { caption: 'Findings: paper claims measured here and not reproduced (they do not fail the run)', first: 'Paper claim', verdicts: ['holds here', 'not reproduced'], rowClass: 'finding' },
};

/** The overview table of one kind of check over every section, each row linked to its section. */
function summaryTable(kind: Kind, sections: { s: ReportSection; id: string }[]): string {
  const rows = sections.flatMap(({ s, id }) => (s[kind] ?? []).map((c) => ({ c, s, id })));
  if (!rows.length) return '';
  const t = KIND_TEXT[kind];
  const out = [`<table class="summary-${kind}"><caption>${escapeXml(`${t.caption}: all experiments`)}</caption>`];
  out.push(`<thead><tr><th>Experiment</th><th>${escapeXml(t.first)}</th><th>Value</th><th>${kind === 'findings' ? "Paper's claim" : 'Threshold'}</th><th>Result</th></tr></thead><tbody>`);
  for (const { c, s, id } of rows) {
    const cls = t.rowClass ?? (c.pass ? 'pass' : 'fail');
    out.push(
      `<tr class="${cls}"><td><a href="#${id}">${escapeXml(s.heading)}</a></td><td>${escapeXml(c.name)}</td>${cellHtml(c.value)}${cellHtml(c.threshold)}<td class="status">${c.pass ? t.verdicts[0] : t.verdicts[1]}</td></tr>`,
    );
  }
  out.push('</tbody></table>');
  return out.join('\n');
}

/** A valid, unique anchor for each section. */
function sectionIds(sections: ReportSection[]): string[] {
  const used = new Set<string>(['top']);
  return sections.map((s, i) => {
    const base = (s.id ?? s.heading).replace(/[^A-Za-z0-9_-]+/g, '-').replace(/^-+|-+$/g, '') || `section-${i + 1}`;
    let id = /^[A-Za-z]/.test(base) ? base : `s-${base}`;
    for (let k = 2; used.has(id); k++) id = `${base}-${k}`;
    used.add(id);
    return id;
  });
}

const sectionPasses = (s: ReportSection): boolean => s.pass ?? [...(s.claims ?? []), ...(s.sanity ?? [])].every((c) => c.pass);

/**
 * One self-contained HTML page: no external CSS, scripts or images; links only to anchors in the
 * page. Void elements are self-closed so the page (after the doctype) is also well-formed XML,
 * which the tests check. The SVGs are inlined as given (they are expected to come from this module).
 */
export function htmlReport(opts: HtmlReportOptions): string {
  const ids = sectionIds(opts.sections);
  const withIds = opts.sections.map((s, i) => ({ s, id: ids[i]! }));
  const allClaims = opts.sections.flatMap((s) => s.claims ?? []);
  const passed = allClaims.filter((c) => c.pass).length;
  const out: string[] = [
    '<!DOCTYPE html>',
    '<html lang="en">',
    '<head>',
    '<meta charset="utf-8"/>',
    '<meta name="viewport" content="width=device-width, initial-scale=1"/>',
    `<title>${escapeXml(opts.title)}</title>`,
    `<style>${REPORT_CSS}</style>`,
    '</head>',
    '<body>',
    `<h1 id="top">${escapeXml(opts.title)}</h1>`,
  ];
  if (allClaims.length) {
    const ok = passed === allClaims.length;
    out.push(`<p class="summary ${ok ? 'pass' : 'fail'}">${passed} of ${allClaims.length} claims pass</p>`);
  }
  if (opts.sections.length) {
    out.push('<nav class="toc"><strong>Contents</strong><ol>');
    for (const { s, id } of withIds) {
      const ok = sectionPasses(s);
      const claims = s.claims ?? [];
      const count = claims.length ? ` — ${claims.filter((c) => c.pass).length} of ${claims.length} claims pass` : '';
      out.push(`<li class="${ok ? 'pass' : 'fail'}"><a href="#${id}">${escapeXml(s.heading)}</a>${escapeXml(count)}${ok ? '' : ' ✘'}</li>`);
    }
    out.push('</ol></nav>');
  }
  for (const kind of ['claims', 'sanity', 'findings'] as const) {
    const t = summaryTable(kind, withIds);
    if (t) out.push(t);
  }
  for (const { s, id } of withIds) {
    out.push(`<section id="${id}">`, `<h2>${escapeXml(s.heading)}</h2>`);
    if (s.text) for (const para of s.text.split(/\n\s*\n/)) out.push(`<p>${escapeXml(para.trim())}</p>`);
    for (const kind of ['claims', 'sanity', 'findings'] as const) {
      const rows = s[kind];
      const t = KIND_TEXT[kind];
      if (rows && rows.length) out.push(checksTable(t.caption, t.first, rows, t.verdicts, t.rowClass));
    }
    for (const t of s.tables) {
      out.push(`<table><caption>${escapeXml(t.caption)}</caption><thead><tr>`);
      for (const c of t.columns) out.push(`<th>${escapeXml(c)}</th>`);
      out.push('</tr></thead><tbody>');
      for (const r of t.rows) out.push(`<tr>${r.map(cellHtml).join('')}</tr>`);
      out.push('</tbody></table>');
    }
    for (const fig of s.figures) {
      out.push(`<figure>${inlineSvg(fig.svg)}<figcaption>${escapeXml(fig.caption)}</figcaption></figure>`);
    }
    out.push('<p><a class="top" href="#top">↑ back to the top</a></p>', '</section>');
  }
  out.push('</body>', '</html>', '');
  return out.join('\n');
}
