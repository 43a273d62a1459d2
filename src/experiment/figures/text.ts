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
 * Estimated width of `s` at font size `size`. 0.6 em per character is above the average glyph of
 * the sans-serif fonts above (about 0.5 em), so boxes laid out with it hold the real text; the
 * Chromium test of the report measures the rendered text against these boxes.
 */
export function textWidth(s: string, size: number): number {
  return [...s].length * size * 0.6;
}

/**
 * Breaks `s` into lines no wider than `maxWidth` (estimated at `size`): at spaces where it can,
 * inside a word where one word alone is too wide.
 */
export function wrapText(s: string, maxWidth: number, size: number): string[] {
  const perLine = Math.max(1, Math.floor(maxWidth / (size * 0.6) + 1e-9));
  const lines: string[] = [];
  let cur = '';
  for (const word of s.split(/\s+/).filter(Boolean)) {
    let w = [...word];
    const candidate = cur ? `${cur} ${word}` : word;
    if ([...candidate].length <= perLine) {
      cur = candidate;
      continue;
    }
    if (cur) lines.push(cur);
    cur = '';
    while (w.length > perLine) {
      lines.push(w.slice(0, perLine).join(''));
      w = w.slice(perLine);
    }
    cur = w.join('');
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
