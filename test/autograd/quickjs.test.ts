// A second JavaScript engine: the CPU backend runs the whole op table inside QuickJS (an
// interpreter compiled to WebAssembly, quickjs-emscripten) and in V8, and every input and output
// must have the same bits, except the ops the CPU backend declares engine-dependent (their kernels
// call Math.*, which ECMA-262 leaves implementation-approximated): cpu/kernels.ts ENGINE_DEPENDENT.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { build } from 'esbuild';
import { getQuickJS, type QuickJSContext, type QuickJSRuntime } from 'quickjs-emscripten';
import { runTable } from '../quickjs/entry.js';
import { ENGINE_DEPENDENT } from '../../src/autograd/cpu/kernels.js';

let rt: QuickJSRuntime;
let vm: QuickJSContext;
const notes: string[] = [];

beforeAll(async () => {
  const bundle = await build({ entryPoints: ['test/quickjs/entry.ts'], bundle: true, format: 'iife', platform: 'neutral', target: 'es2020', write: false, logLevel: 'error' });
  rt = (await getQuickJS()).newRuntime();
  rt.setMemoryLimit(1 << 30);
  rt.setMaxStackSize(4 << 20);
  vm = rt.newContext();
  vm.unwrapResult(vm.evalCode(bundle.outputFiles[0].text)).dispose();
});

afterAll(() => {
  vm?.dispose();
  rt?.dispose();
  if (notes.length) console.log(`QuickJS vs V8:\n  ${notes.join('\n  ')}`);
});

function inQuickJS(float: 'float32' | 'float64'): [string, string[]][] {
  const res = vm.evalCode(`JSON.stringify(papergradTable(${JSON.stringify(float)}))`);
  if (res.error) {
    const err = vm.dump(res.error);
    res.error.dispose();
    throw new Error(`QuickJS: ${JSON.stringify(err)}`);
  }
  const json = vm.getString(res.value);
  res.value.dispose();
  return JSON.parse(json);
}

describe('the CPU backend in QuickJS gives V8\'s bits', { timeout: 300_000 }, () => {
  for (const float of ['float32', 'float64'] as const) {
    it(`every op-table case on ${float} inputs (engine-dependent ops: ${ENGINE_DEPENDENT[float].join(', ')})`, () => {
      const q = inQuickJS(float);
      const v = runTable(float);
      expect(q.map(([name]) => name)).toEqual(v.map(([name]) => name));
      const differing: string[] = [];
      const expected: string[] = [];
      v.forEach(([name, arrays], i) => {
        const same = arrays.length === q[i][1].length && arrays.every((a, k) => a === q[i][1][k]);
        if (same) return;
        const op = name.split(' ')[0];
        (ENGINE_DEPENDENT[float].includes(op) ? expected : differing).push(name);
      });
      notes.push(`${float}: ${v.length} cases, ${v.length - differing.length - expected.length} identical; engine-dependent ops differing: ${expected.length ? expected.join(', ') : 'none'}`);
      expect(differing, `cases whose bits differ between QuickJS and V8`).toEqual([]);
    });
  }
});
