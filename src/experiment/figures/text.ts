/**
 * Text helpers shared by every figure: XML escaping, coordinates as short stable strings, number
 * formatting, and the width estimates that layout (legends, labels, margins) relies on.
 */

/**
 * Escape text for XML content or attribute values. Characters XML 1.0 forbids
 * outright (most C0 controls, lone surrogates, U+FFFE/U+FFFF) are dropped,
 * since no escape can make them legal.
 */
export function escapeXml(s: string): string {
  const clean = String(s).replace(
    /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g,
    '',
  );
  return clean.replace(/[&<>"']/g, (c) =>
    c === '&' ? '&amp;' : c === '<' ? '&lt;' : c === '>' ? '&gt;' : c === '"' ? '&quot;' : '&#39;',
  );
}

/** Coordinates rounded to 0.01 px: plenty for display and keeps output short and stable. */
export function px(n: number): string {
  if (!Number.isFinite(n)) return '0';
  const r = Math.round(n * 100) / 100;
  return Object.is(r, -0) ? '0' : String(r);
}

export const FONT = 'system-ui, -apple-system, Segoe UI, Helvetica, Arial, sans-serif';

/**
 * Width of one character in ems, from DejaVu Sans (the sans-serif fallback on Linux and among the
 * widest of the fonts in FONT), rounded up: text laid out with these widths fits the boxes made
 * for it with the fonts above. The Chromium test of the report measures the rendered text.
 */
function charEm(ch: string): number {
  const c = ch.codePointAt(0)!;
  if (c >= 0x300 && c <= 0x36f) return 0; // combining marks (q̄) sit on the previous letter
  if ("ijlIJ'.,:;|! ".includes(ch)) return 0.34;
  if ('ftr()[]{}-/"'.includes(ch)) return 0.46;
  if (ch === 'm' || ch === 'W' || ch === 'M' || ch === '@' || ch === '—' || ch === '%') return 1;
  if (ch === 'w' || '#=±≤≥∈<>&+~^‖'.includes(ch)) return 0.9;
  if (ch >= '0' && ch <= '9') return 0.64;
  if (ch >= 'a' && ch <= 'z') return 0.64;
  if (ch >= 'A' && ch <= 'Z') return 0.8;
  if (c >= 0x2e80) return 1; // CJK and other full-width scripts
  return 0.72;
}

/** Estimated width of `s` at font size `size` (see charEm). */
export function textWidth(s: string, size: number): number {
  let em = 0;
  for (const ch of s) em += charEm(ch);
  return em * size;
}

/**
 * Breaks `s` into lines no wider than `maxWidth` (estimated at `size`): at spaces where it can,
 * inside a word where one word alone is too wide.
 */
export function wrapText(s: string, maxWidth: number, size: number): string[] {
  const fits = (t: string): boolean => textWidth(t, size) <= maxWidth + 1e-9;
  const lines: string[] = [];
  let cur = '';
  for (const word of s.split(/\s+/).filter(Boolean)) {
    const candidate = cur ? `${cur} ${word}` : word;
    if (fits(candidate)) {
      cur = candidate;
      continue;
    }
    if (cur) lines.push(cur);
    cur = '';
    // A word wider than a line: cut it where the next character would not fit.
    for (const ch of word) {
      if (cur && !fits(cur + ch)) (lines.push(cur), (cur = ''));
      cur += ch;
    }
  }
  if (cur || !lines.length) lines.push(cur);
  return lines;
}

/** Compact number formatting for tables and tooltips. */
export function formatNumber(v: number, digits = 4): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return '∞';
  if (v === -Infinity) return '-∞';
  if (Number.isInteger(v) && Math.abs(v) < 1e15) return String(v);
  const a = Math.abs(v);
  if (a !== 0 && (a >= 1e6 || a < 1e-3)) return v.toExponential(digits - 1).replace(/\.?0+e/, 'e').replace('e+', 'e');
  return String(Number(v.toPrecision(digits)));
}
