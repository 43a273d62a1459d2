// Rewrites the line numbers of docs/engine.md's links ([`label`](../path#L12)) to the line that
// now holds the label (its first occurrence), after code moved; test/docs/engine.test.ts checks them.
import { readFileSync, writeFileSync } from 'node:fs';

const file = 'docs/engine.md';
let moved = 0;
const doc = readFileSync(file, 'utf8').replace(/\[`([^`]+)`\]\(\.\.\/([^)#]+)#L(\d+)\)/g, (all, label, path, line) => {
  const lines = readFileSync(path, 'utf8').split('\n');
  if ((lines[Number(line) - 1] ?? '').includes(label)) return all;
  const at = lines.findIndex((l) => l.includes(label)) + 1;
  if (at === 0) throw new Error(`${path} no longer contains \`${label}\``);
  moved++;
  return `[\`${label}\`](../${path}#L${at})`;
});
writeFileSync(file, doc);
console.log(`${file}: ${moved} link(s) moved`);
