// The op table run on the CPU backend, every input and output as its bytes in hex: the same code
// runs in Node (V8) and, bundled, inside QuickJS (test/autograd/quickjs.test.ts), which compares.
import * as pg from '../../src/index.js';
import { cases, inputsOf, runCase } from '../helpers/optable.js';

/**
 * The tensor's bytes in hex, a NaN written as 'NaN': JavaScript leaves a NaN's sign and payload
 * unspecified (engines differ, e.g. for -NaN or inf - inf), so all NaNs count as the same value.
 */
function hex(t: pg.Tensor): string {
  const d = t.dataSync();
  const u8 = new Uint8Array(d.buffer, d.byteOffset, d.byteLength);
  const w = d.BYTES_PER_ELEMENT;
  let s = `${t.dtype}:`;
  for (let i = 0; i < d.length; i++) {
    if (d[i] !== d[i]) { s += 'NaN,'; continue; }
    for (let b = i * w; b < (i + 1) * w; b++) s += (u8[b] < 16 ? '0' : '') + u8[b].toString(16);
    s += ',';
  }
  return s;
}

/**
 * Every case of the table, on float32 inputs or (float64) the same draws widened exactly to
 * float64: [case name, [input bytes..., output bytes...]] for each case whose name starts with one
 * of `only` (all when empty).
 */
export function runTable(float: 'float32' | 'float64', only: string[] = []): [string, string[]][] {
  const out: [string, string[]][] = [];
  for (const c of cases()) {
    if (only.length && !only.some((o) => c.name.startsWith(o))) continue;
    pg.tidy(() => {
      const ins = inputsOf(c, 'float32').map((t) => (float === 'float64' && t.dtype === 'float32' ? t.double() : t));
      const outs = runCase(c, ins);
      out.push([c.name, [...ins.map(hex), ...outs.map(hex)]]);
    });
  }
  return out;
}

(globalThis as { papergradTable?: typeof runTable }).papergradTable = runTable;
