import { expect } from 'vitest';

// A small strict XML well-formedness checker (no DTDs, no CDATA), shared by the figure and report tests.

export interface XmlElement {
  name: string;
  attrs: Record<string, string>;
  parent: XmlElement | null;
  children: XmlElement[];
  text: string; // decoded direct text content
}

const NAME = /[A-Za-z_:][A-Za-z0-9_:.-]*/y;
const ENTITY = /&(?:amp|lt|gt|quot|apos|#[0-9]+|#x[0-9a-fA-F]+);/y;

function decodeEntities(s: string): string {
  return s.replace(/&(amp|lt|gt|quot|apos|#[0-9]+|#x[0-9a-fA-F]+);/g, (_, e: string) => {
    if (e === 'amp') return '&';
    if (e === 'lt') return '<';
    if (e === 'gt') return '>';
    if (e === 'quot') return '"';
    if (e === 'apos') return "'";
    return String.fromCodePoint(e[1] === 'x' ? parseInt(e.slice(2), 16) : parseInt(e.slice(1), 10));
  });
}

/** Every '&' must start a known entity or character reference. */
function checkAmps(s: string, where: string): void {
  for (let i = s.indexOf('&'); i !== -1; i = s.indexOf('&', i + 1)) {
    ENTITY.lastIndex = i;
    if (!ENTITY.test(s)) throw new Error(`bare '&' in ${where} at ${i}`);
  }
}

export function parseXml(s: string, opts: { allowDoctype?: boolean } = {}): XmlElement {
  let i = 0;
  const stack: XmlElement[] = [];
  let root: XmlElement | null = null;
  const err = (m: string): never => {
    throw new Error(`XML: ${m} at offset ${i}: ${JSON.stringify(s.slice(Math.max(0, i - 30), i + 30))}`);
  };
  const ws = (): void => {
    while (i < s.length && /\s/.test(s[i]!)) i++;
  };
  const name = (): string => {
    NAME.lastIndex = i;
    const m = NAME.exec(s);
    if (!m) err('expected a name');
    i += m![0].length;
    return m![0];
  };
  if (s.startsWith('<?xml')) {
    const e = s.indexOf('?>');
    if (e < 0) err('unterminated prolog');
    i = e + 2;
  }
  ws();
  if (opts.allowDoctype && /^<!DOCTYPE html>/i.test(s.slice(i))) {
    i += '<!DOCTYPE html>'.length;
    ws();
  }
  while (i < s.length) {
    if (s[i] !== '<') {
      const j = s.indexOf('<', i) === -1 ? s.length : s.indexOf('<', i);
      const text = s.slice(i, j);
      if (stack.length === 0 && text.trim() !== '') err('text outside the root element');
      if (text.includes(']]>')) err("']]>' in text");
      checkAmps(text, 'text');
      if (stack.length) stack[stack.length - 1]!.text += decodeEntities(text);
      i = j;
      continue;
    }
    if (s.startsWith('<!--', i)) {
      const e = s.indexOf('-->', i + 4);
      if (e < 0) err('unterminated comment');
      if (s.slice(i + 4, e).includes('--')) err("'--' inside a comment");
      i = e + 3;
      continue;
    }
    if (s.startsWith('<?', i) || s.startsWith('<!', i)) err('unexpected markup declaration');
    if (s.startsWith('</', i)) {
      i += 2;
      const n = name();
      ws();
      if (s[i] !== '>') err("expected '>' in end tag");
      i++;
      const open = stack.pop();
      if (!open) err(`end tag </${n}> without a start tag`);
      if (open!.name !== n) err(`end tag </${n}> does not match <${open!.name}>`);
      continue;
    }
    // Start tag.
    i++;
    if (stack.length === 0 && root) err('second root element');
    const el: XmlElement = { name: name(), attrs: {}, parent: stack[stack.length - 1] ?? null, children: [], text: '' };
    for (;;) {
      const before = i;
      ws();
      if (s.startsWith('/>', i)) {
        i += 2;
        break;
      }
      if (s[i] === '>') {
        i++;
        stack.push(el);
        break;
      }
      if (i === before) err('attributes must be separated by whitespace');
      const an = name();
      ws();
      if (s[i] !== '=') err(`attribute ${an} without '='`);
      i++;
      ws();
      const q = s[i];
      if (q !== '"' && q !== "'") err(`attribute ${an} value not quoted`);
      const end = s.indexOf(q!, i + 1);
      if (end < 0) err('unterminated attribute value');
      const raw = s.slice(i + 1, end);
      if (raw.includes('<')) err(`'<' in attribute ${an}`);
      checkAmps(raw, `attribute ${an}`);
      if (Object.prototype.hasOwnProperty.call(el.attrs, an)) err(`duplicate attribute ${an}`);
      el.attrs[an] = decodeEntities(raw);
      i = end + 1;
    }
    if (el.parent) el.parent.children.push(el);
    else root = el;
  }
  if (stack.length) err(`unclosed <${stack[stack.length - 1]!.name}>`);
  if (!root) err('no root element');
  return root!;
}

export function all(el: XmlElement, pred: (e: XmlElement) => boolean, out: XmlElement[] = []): XmlElement[] {
  if (pred(el)) out.push(el);
  for (const c of el.children) all(c, pred, out);
  return out;
}
/** The text of an element and its descendants (tspans of a wrapped label joined by spaces). */
export function textContent(el: XmlElement): string {
  return [el.text, ...el.children.map(textContent)].filter((t) => t !== '').join(' ');
}
export const byClass = (root: XmlElement, name: string, cls: string): XmlElement[] =>
  all(root, (e) => e.name === name && (e.attrs.class ?? '').split(' ').includes(cls));

/** Checks common to every figure: standalone svg root, viewBox, finite numeric attributes. */
export function checkSvg(svg: string): XmlElement {
  const root = parseXml(svg);
  expect(root.name).toBe('svg');
  expect(root.attrs.xmlns).toBe('http://www.w3.org/2000/svg');
  expect(root.attrs.viewBox).toMatch(/^0 0 \d+(\.\d+)? \d+(\.\d+)?$/);
  for (const e of all(root, () => true)) {
    for (const [k, v] of Object.entries(e.attrs)) {
      if (k === 'data-name') continue;
      expect(v, `${e.name}@${k}`).not.toMatch(/NaN|Infinity|undefined/);
    }
  }
  return root;
}
