// Composite ops and views, which are not op-table entries, checked against float64 central
// differences (including broadcasting, keepdim, negative dims and non-contiguous inputs). The
// table's primitives are gradient-checked from their own examples: test/autograd/optable.test.ts.
import { describe, it } from 'vitest';
import * as pg from '../../src/index.js';

const g = new pg.Generator(2024);
const r = (...shape: number[]) => pg.randn(shape, { generator: g, dtype: 'float64' });
const pos = (...shape: number[]) => pg.rand(shape, { generator: g, dtype: 'float64', low: 0.5, high: 2 });
const check = (fn: (...xs: pg.Tensor[]) => pg.Tensor, ...xs: pg.Tensor[]) => pg.testing.gradcheck(fn, xs);

describe('gradcheck: elementwise composites', () => {
  const away = () => r(3, 4).add(pg.tensor(0.05, { dtype: 'float64' }).mul(r(3, 4).sign())); // avoid kinks at 0
  it('clamp', () => { check((x) => x.clamp(-0.5, 0.5), away()); });
  it('maskedFill', () => { const m = r(3, 4).gt(0); check((x) => x.maskedFill(m, 2), r(3, 4)); });
  it('gelu (exact: a composite of erf)', () => { check((x) => x.gelu(), r(3, 4)); });
  it('pow with a scalar exponent', () => { check((a) => a.pow(3), r(3, 4)); });
});

describe('gradcheck: reductions', () => {
  for (const [name, f] of [
    ['mean', (x: pg.Tensor, d?: any, k?: boolean) => x.mean(d, k)],
    ['logsumexp', (x: pg.Tensor, d?: any, k?: boolean) => x.logsumexp(d, k)],
    ['var', (x: pg.Tensor, d?: any, k?: boolean) => x.var(d, { keepdim: k })],
    ['std', (x: pg.Tensor, d?: any, k?: boolean) => x.std(d, { keepdim: k })],
  ] as const) {
    it(`${name} over all`, () => { check((x) => f(x), pos(3, 4)); });
    it(`${name} dim -1 keepdim`, () => { check((x) => f(x, -1, true), pos(2, 3, 4)); });
    it(`${name} dims [0, 2]`, () => { check((x) => f(x, [0, 2]), pos(2, 3, 4)); });
    it(`${name} on a transposed input`, () => { check((x) => f(x.transpose(0, 1), 0), pos(3, 4)); });
  }
  it('softmax / logSoftmax', () => {
    check((x) => x.softmax(-1), r(3, 5));
    check((x) => x.softmax(0), r(3, 5));
    check((x) => x.logSoftmax(1), r(2, 4, 3));
  });
});

describe('gradcheck: shape ops', () => {
  it('reshape / flatten / squeeze / unsqueeze', () => {
    check((x) => x.reshape(4, 3).mul(pg.arange(12).reshape(4, 3).double()), r(3, 4));
    check((x) => x.flatten().square(), r(2, 3));
    check((x) => x.unsqueeze(1).squeeze(1).exp(), r(2, 3));
  });
  it('permute / transpose / expand', () => {
    check((x) => x.permute(2, 0, 1).mul(pg.arange(24).reshape(4, 2, 3).double()), r(2, 3, 4));
    check((x) => x.expand(3, 2, 4).mul(pg.arange(24).reshape(3, 2, 4).double()), r(2, 1));
  });
  it('slice / narrow / select / flip / split / chunk', () => {
    check((x) => x.slice(1, 1, 4, 2).square(), r(3, 5));
    check((x) => x.narrow(0, 1, 2).exp(), r(3, 5));
    check((x) => x.select(-1, 2).exp(), r(3, 5));
    check((x) => x.flip([0, 1]).mul(pg.arange(6).reshape(2, 3).double()), r(2, 3));
    check((x) => { const [a, b] = x.split([2, 3], 1); return a.sum(1).mul(b.sum(1)); }, r(3, 5));
    check((x) => { const [a, b] = x.chunk(2, 0); return a.mul(b); }, r(4, 2));
  });
  it('repeat', () => { check((x) => x.repeat(2, 3).square(), r(2, 2)); });
});

describe('gradcheck: indexing composites', () => {
  const idx = (v: any) => pg.tensor(v, { dtype: 'int32' });
  it('indexSelect / embedding', () => {
    check((x) => x.indexSelect(0, idx([2, 0, 2])).square(), r(3, 2));
    check((w) => pg.embedding(idx([[1, 2], [1, 0]]), w).square(), r(3, 4));
  });
});
