// Safety, classes "sizes, dims and counts", "operands" and "errors name what the user called":
// generated bad values x every op declared with op() (args.ts's registry: every public op of the
// table, the creation and shape ops, and the composites of src/nn). For each op a valid call is
// built from its argument rules (or the example declared beside it), then every argument in turn is
// replaced by each value its rule refuses. Each such call must throw a plain Error whose message
// starts with the op's own name and names the argument, and must leave no tensor behind.
import { describe, expect, it } from 'vitest';
import * as pg from '../../src/index.js';
import { OPS, show, type OpInfo, type Rule } from '../../src/autograd/args.js';

/** A value that passes a rule, for building a valid call (tensors are [2, 3] float32). */
function sample(r: Rule): unknown {
  const k = r.kind;
  if (k.startsWith('opt:') || k.startsWith('nullable:') || k === 'options' || k === 'any') return undefined;
  if (k.startsWith('either:')) return sample({ ...r, kind: k.slice(7).split('|')[0] });
  if (k.startsWith('pair:')) return sample({ ...r, kind: k.slice(5) });
  switch (k) {
    case 'tensor': case 'tensorLike': return pg.randn([2, 3], { generator: new pg.Generator(1) });
    case 'indexTensor': return pg.tensor([[0, 1, 0], [1, 0, 1]], { dtype: 'int32' });
    case 'tensors': return [pg.ones([2, 3]), pg.zeros([2, 3])];
    case 'tensorData': return [1, 2];
    case 'number': case 'finite': case 'prob': case 'nonNegative': return 0.5;
    case 'positive': return 1.5;
    case 'int': case 'dim': return 0;
    case 'size': case 'count': return 1;
    case 'bool': return false;
    case 'ints': return [1, 0];
    case 'dims': return 0;
    case 'newShape': return [-1];
    case 'shape': return [2, 3];
    case 'sizes': return [1, 1];
    case 'dtype': case 'floatDtype': return 'float32';
    case 'device': return 'cpu';
    case 'generator': return new pg.Generator(0);
    case 'fn': return () => 0;
  }
  throw new Error(`no sample for rule kind ${k}`);
}

function validArgs(info: OpInfo): unknown[] {
  return info.example ? info.example() : info.args.map(([, r]) => sample(r));
}

function disposeAll(x: unknown): void {
  if (x instanceof pg.Tensor) x.dispose();
  else if (Array.isArray(x)) x.forEach(disposeAll);
  else if (x && typeof x === 'object' && Object.getPrototypeOf(x) === Object.prototype) Object.values(x).forEach(disposeAll);
}

/** The bad values to try for a rule: its own list plus tensor-valued ones for its kind. */
function badValues(r: Rule): [string, () => unknown][] {
  const out: [string, () => unknown][] = r.bad.map((b) => [show(b), () => b]);
  const k = r.kind.replace(/^(opt|nullable):/, '');
  const base = k.startsWith('either:') ? k.slice(7).split('|') : [k];
  if (base.includes('tensor') || base.includes('tensorLike') || base.includes('indexTensor')) {
    out.push(['a disposed tensor', () => { const t = pg.ones([2, 3]); t.dispose(); return t; }]);
  }
  if (base.includes('indexTensor')) {
    out.push(['a float index tensor', () => pg.tensor([[0, 1, 0], [1, 0, 1]])]);
    out.push(['a bool index tensor', () => pg.tensor([[true, false, true], [false, true, false]])]);
  }
  if (!base.some((b) => ['tensor', 'tensorLike', 'indexTensor', 'any', 'tensorData'].includes(b)) && base[0] !== 'options')
    out.push(['a tensor', () => pg.ones([2])]);
  return out;
}

const ops = [...OPS.values()].sort((a, b) => a.name.localeCompare(b.name));

describe('every op declared with op()', () => {
  it('the registry holds the table\'s public ops and the composites of src/nn', () => {
    const names = new Set(ops.map((o) => o.name));
    for (const n of ['add', 'exp', 'matmul', 'sum', 'reshape', 'narrow', 'split', 'repeat', 'transpose', 'gather', 'indexSelect', 'embedding', 'scatterAdd',
      'zeros', 'ones', 'full', 'eye', 'arange', 'randn', 'rand', 'randint', 'tensor', 'conv2d', 'maxPool2d', 'avgPool2d', 'softmax', 'view', 'chunk',
      'crossEntropy', 'nllLoss', 'mseLoss', 'scaledDotProductAttention', 'dropout'])
      expect(names.has(n), n).toBe(true);
    expect(ops.length).toBeGreaterThan(120);
  });

  it('a valid call built from the rules (or the declared example) runs for every op', () => {
    const failed: string[] = [];
    for (const info of ops) {
      const args = validArgs(info);
      try {
        const fn = lookup(info.name);
        disposeAll(fn(...args));
      } catch (e) {
        failed.push(`${info.name}: ${(e as Error).message}`);
      }
      disposeAll(args);
    }
    expect(failed).toEqual([]);
  });

  it('every refused value of every argument is an Error that names the op and the argument, and leaks nothing', () => {
    let calls = 0;
    const problems: string[] = [];
    for (const info of ops) {
      const fn = lookup(info.name);
      info.args.forEach(([name, rule], i) => {
        for (const [what, make] of badValues(rule)) {
          const args = validArgs(info);
          const bad = make();
          const live = pg.memory().tensors;
          const orig = args[i];
          args[i] = bad;
          let err: unknown = null;
          try {
            disposeAll(fn(...args));
          } catch (e) {
            err = e;
          }
          calls++;
          const where = `${info.name}(${name} = ${what})`;
          const msg = err instanceof Error ? err.message : '';
          if (!err) problems.push(`${where}: accepted`);
          else if (!(err instanceof Error) || err.constructor !== Error) problems.push(`${where}: ${(err as Error)?.constructor?.name} ${msg}`);
          else if (!msg.startsWith(`${info.name}: `)) problems.push(`${where}: not named after the op: ${msg}`);
          // An options object's error names the option (zeros: dtype must be ...).
          const names = [name, ...(bad && typeof bad === 'object' && !Array.isArray(bad) && !(bad instanceof pg.Tensor) ? Object.keys(bad) : [])];
          if (err && msg.startsWith(`${info.name}: `) && !names.some((n) => msg.includes(n)) && !/disposed|option/.test(msg)) problems.push(`${where}: does not name the argument: ${msg}`);
          if (pg.memory().tensors !== live) problems.push(`${where}: left ${pg.memory().tensors - live} tensor(s) behind`);
          args[i] = orig;
          disposeAll(args);
          disposeAll(bad);
        }
      });
    }
    expect(problems).toEqual([]);
    expect(calls).toBeGreaterThan(1500);
  });
});

/** The public function of an op: pg.name, pg.nn.name, or the method of the same name. */
function lookup(name: string): (...a: unknown[]) => unknown {
  const f = name.startsWith('init.') ? (pg.nn.init as any)[name.slice(5)] : (pg as any)[name] ?? (pg.nn as any)[name];
  if (typeof f !== 'function') throw new Error(`no public function ${name}`);
  return f;
}

describe('errors raised inside an op reach the user under the op they called', () => {
  it('tensors of the wrong rank, size or dtype in every tensor argument of every op: named after the op, nothing left behind', () => {
    const wrong: [string, () => pg.Tensor][] = [
      ['a 0-d tensor', () => pg.tensor(2)],
      ['a [5] tensor', () => pg.randn([5])],
      ['a [1, 2, 1, 2, 1] tensor', () => pg.randn([1, 2, 1, 2, 1])],
      ['a [7, 7] tensor', () => pg.randn([7, 7])],
      ['an int32 tensor', () => pg.tensor([[5, 9, 2], [-4, 0, 1]], { dtype: 'int32' })],
      ['a bool tensor', () => pg.ones([2, 3]).gt(0)],
    ];
    let thrown = 0;
    const problems: string[] = [];
    for (const info of ops) {
      const fn = lookup(info.name);
      info.args.forEach(([name, rule], i) => {
        if (!/^(opt:|nullable:)?(tensor|tensorLike|indexTensor)$/.test(rule.kind)) return;
        for (const [what, make] of wrong) {
          const args = validArgs(info);
          const orig = args[i];
          const bad = make();
          const live = pg.memory().tensors;
          args[i] = bad;
          try {
            disposeAll(fn(...args));
          } catch (e) {
            thrown++;
            const msg = (e as Error).message;
            if (!msg.startsWith(`${info.name}: `)) problems.push(`${info.name}(${name} = ${what}): ${msg}`);
            if (pg.memory().tensors !== live) problems.push(`${info.name}(${name} = ${what}): left ${pg.memory().tensors - live} tensor(s) behind`);
          }
          args[i] = orig;
          disposeAll(args);
          bad.dispose();
        }
      });
    }
    expect(problems).toEqual([]);
    expect(thrown).toBeGreaterThan(200);
  });

  it('composites: the inner primitive appears only in brackets', () => {
    const logits = pg.randn([2, 3]);
    expect(() => pg.nn.crossEntropy(logits, pg.tensor([0, 5], { dtype: 'int32' }))).toThrow(/^crossEntropy: target holds class 5 \(at flat position 1\), out of range for 3 classes/);
    expect(() => pg.nn.crossEntropy(logits, pg.tensor([0, 1]))).toThrow(/^crossEntropy: input \[2, 3\] float32 and target \[2\] float32 must have the same shape/);
    expect(() => logits.view([4, -1])).toThrow(/^view: cannot reshape \[2,3\] \(6 elements\) into \[4,-1\] \(in reshape\)$/);
    expect(() => pg.conv2d(pg.randn([1, 2, 2, 2]), pg.randn([1, 2, 3, 3]))).toThrow(/^conv2d: kernel \[3,3\].* does not fit input .* \(in unfold\)/);
    expect(() => pg.nn.scaledDotProductAttention(pg.randn([2, 3]), pg.randn([2, 4]), pg.randn([2, 4]))).toThrow(/^scaledDotProductAttention: expected q \[\.\.\., Tq, d\]/);
    // A kernel that fails after its output was allocated (an index out of range) frees it.
    const index = pg.tensor([[0], [7]], { dtype: 'int32' });
    const live = pg.memory().tensors;
    expect(() => logits.gather(1, index)).toThrow(/^gather: index 7 is out of range/);
    expect(pg.memory().tensors).toBe(live);
    logits.dispose();
    index.dispose();
  });
});

describe('the examples of the issue', () => {
  const x = pg.ones([2, 3]);
  const cases: [string, () => unknown, RegExp][] = [
    ['narrow(1, 0.5, 1)', () => x.narrow(1, 0.5, 1), /^narrow: start must be an integer, got 0.5$/],
    ['split with a negative section', () => pg.ones([4]).split([-1, 5]), /^split: sizeOrSections\[0\] must be a non-negative integer, got -1$/],
    ['repeat([1.5])', () => pg.ones([2]).repeat([1.5]), /^repeat: reps\[0\] must be a non-negative integer, got 1.5$/],
    ['eye(-1)', () => pg.eye(-1), /^eye: n must be a non-negative integer, got -1$/],
    ['transpose(0, 3) on a 1-D tensor', () => pg.ones([2]).transpose(0, 3), /^transpose: dim 3 out of range for a tensor of rank 1$/],
    ['zeros([NaN])', () => pg.zeros([NaN]), /^zeros: shape\[0\] must be a non-negative integer, got NaN$/],
    ['ones([2 ** 40, 2 ** 40])', () => pg.ones([2 ** 20, 2 ** 20]), /^ones: shape \[1048576, 1048576\] has 1099511627776 elements, more than a tensor can hold/],
    ['add("1")', () => x.add('1' as any), /^add: b must be a Tensor or a number, got "1"$/],
    ['mul(undefined)', () => x.mul(undefined as any), /^mul: b must be a Tensor or a number, got undefined$/],
    ['add(null)', () => x.add(null as any), /^add: b must be a Tensor or a number, got null$/],
    ['matmul({})', () => x.matmul({} as any), /^matmul: b must be a Tensor, got an object$/],
    ['gather with float indices', () => x.gather(1, pg.tensor([[0.5]])), /^gather: index must be an int32 tensor of indices, got float32/],
    ['indexSelect with float indices', () => x.indexSelect(0, pg.tensor([1])), /^indexSelect: index must be an int32 tensor of indices, got float32/],
    ['embedding with float ids', () => pg.embedding(pg.tensor([1]), x), /^embedding: ids must be an int32 tensor of indices, got float32/],
    ['a float source into an int scatterAdd', () => pg.zeros([3], { dtype: 'int32' }).scatterAdd(0, pg.tensor([0], { dtype: 'int32' }), pg.tensor([1.5])), /^scatterAdd: src is float32 but x is int32/],
    ['tensor([1.5], int32)', () => pg.tensor([1.5], { dtype: 'int32' }), /^tensor: value 1.5 at index 0 cannot be stored exactly as int32/],
    ['full 3e9 as int32', () => pg.full([2], 3e9, { dtype: 'int32' }), /^full: value 3000000000 at index 0 cannot be stored exactly as int32/],
    ['arange(0, 1, 0.5) as int32', () => pg.arange(0, 1, 0.5, { dtype: 'int32' }), /^arange: value 0.5 at index 1 cannot be stored exactly as int32/],
    ['randn as int32', () => pg.randn([2], { dtype: 'int32' as any }), /^randn: dtype must be float32 or float64, got "int32"$/],
    ['zeros as float16', () => pg.zeros([2], { dtype: 'float16' as any }), /^zeros: dtype must be one of float32, float64, int32, bool, got "float16"$/],
    ['a misspelt option', () => pg.zeros([2], { requires_grad: true } as any), /^zeros: unknown option 'requires_grad' \(options: dtype, device, requiresGrad\)$/],
    ['chunk(0)', () => x.chunk(0), /^chunk: chunks must be a positive integer, got 0$/],
    ['randn([1.5])', () => pg.randn([1.5]), /^randn: shape\[0\] must be a non-negative integer, got 1.5$/],
    ['bernoulli(1.5)', () => pg.bernoulli(1.5, [2]), /^bernoulli: p must be a number in \[0, 1\], got 1.5$/],
    ['maxPool2d(x, 0)', () => pg.maxPool2d(pg.ones([1, 1, 4, 4]), 0), /^maxPool2d: kernelSize must be a positive integer, got 0$/],
  ];
  for (const [what, f, re] of cases) it(what, () => expect(f).toThrow(re));

  it('PyTorch habits that are unambiguous work: zeros(3), reshape(6), eye(n, opts), bool from numbers', () => {
    expect(pg.zeros(3).shape).toEqual([3]);
    expect(pg.randn(4, { generator: new pg.Generator(0) }).shape).toEqual([4]);
    expect(pg.reshape(x, 6).shape).toEqual([6]);
    expect(pg.eye(2, { dtype: 'int32' }).toArraySync()).toEqual([[1, 0], [0, 1]]);
    expect(pg.tensor([0, 2, -1], { dtype: 'bool' }).toArraySync()).toEqual([false, true, true]);
    expect(pg.tensor([true, 2] as any).toArraySync()).toEqual([true, true]); // a bool tensor never holds a 2
  });
});
