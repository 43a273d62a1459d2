// Every differentiable op is checked against float64 central differences, including
// broadcasting, keepdim, negative dims, non-contiguous inputs and batched matmul.
import { describe, it } from 'vitest';
import * as pg from '../../src/index.js';

const g = new pg.Generator(2024);
const r = (...shape: number[]) => pg.randn(shape, { generator: g, dtype: 'float64' });
const pos = (...shape: number[]) => pg.rand(shape, { generator: g, dtype: 'float64', low: 0.5, high: 2 });
const check = (fn: (...xs: pg.Tensor[]) => pg.Tensor, ...xs: pg.Tensor[]) => pg.testing.gradcheck(fn, xs);

describe('gradcheck: unary', () => {
  const away = () => r(3, 4).add(pg.tensor(0.05, { dtype: 'float64' }).mul(r(3, 4).sign())); // avoid kinks at 0
  const cases: [string, (x: pg.Tensor) => pg.Tensor, () => pg.Tensor][] = [
    ['neg', (x) => x.neg(), () => r(3, 4)],
    ['exp', (x) => x.exp(), () => r(3, 4)],
    ['log', (x) => x.log(), () => pos(3, 4)],
    ['log1p', (x) => x.log1p(), () => pos(3, 4)],
    ['expm1', (x) => x.expm1(), () => r(3, 4)],
    ['sqrt', (x) => x.sqrt(), () => pos(3, 4)],
    ['rsqrt', (x) => x.rsqrt(), () => pos(3, 4)],
    ['abs', (x) => x.abs(), away],
    ['sin', (x) => x.sin(), () => r(3, 4)],
    ['cos', (x) => x.cos(), () => r(3, 4)],
    ['tanh', (x) => x.tanh(), () => r(3, 4)],
    ['sigmoid', (x) => x.sigmoid(), () => r(3, 4)],
    ['relu', (x) => x.relu(), away],
    ['gelu', (x) => x.gelu(), () => r(3, 4)],
    ['silu', (x) => x.silu(), () => r(3, 4)],
    ['softplus', (x) => x.softplus(), () => r(3, 4)],
    ['square', (x) => x.square(), () => r(3, 4)],
    ['reciprocal', (x) => x.reciprocal(), () => pos(3, 4)],
    ['clamp', (x) => x.clamp(-0.5, 0.5), away],
  ];
  for (const [name, f, make] of cases) it(name, () => { check(f, make()); });
  it('on a transposed (non-contiguous) input', () => { check((x) => x.transpose().exp(), r(3, 4)); });
  // gelu's backward is one fused op with its own gradient rule: check two more orders.
  it('gelu second and third derivatives', () => {
    const d1 = (x: pg.Tensor) => pg.grad((y: pg.Tensor) => y.gelu().sum())(x) as pg.Tensor;
    check(d1, r(3, 4).mul(2));
    check((x) => pg.grad((y: pg.Tensor) => d1(y).sum())(x) as pg.Tensor, r(3, 4).mul(2));
  });
  it('on a strided slice', () => { check((x) => x.slice(1, 0, 4, 2).tanh(), r(3, 4)); });
});

describe('gradcheck: binary with broadcasting', () => {
  const shapes: [number[], number[]][] = [[[3, 4], [3, 4]], [[3, 4], [4]], [[3, 1], [1, 4]], [[2, 3, 4], [3, 1]], [[4], []]];
  for (const [sa, sb] of shapes) {
    const tag = `${JSON.stringify(sa)} ${JSON.stringify(sb)}`;
    it(`add ${tag}`, () => { check((a, b) => a.add(b), r(...sa), r(...sb)); });
    it(`sub ${tag}`, () => { check((a, b) => a.sub(b), r(...sa), r(...sb)); });
    it(`mul ${tag}`, () => { check((a, b) => a.mul(b), r(...sa), r(...sb)); });
    it(`div ${tag}`, () => { check((a, b) => a.div(b), r(...sa), pos(...sb)); });
    it(`pow ${tag}`, () => { check((a, b) => a.pow(b), pos(...sa), r(...sb)); });
    it(`maximum ${tag}`, () => { check((a, b) => a.maximum(b), r(...sa), r(...sb)); });
    it(`minimum ${tag}`, () => { check((a, b) => a.minimum(b), r(...sa), r(...sb)); });
  }
  it('pow with a scalar exponent', () => { check((a) => a.pow(3), r(3, 4)); });
  it('where', () => {
    const c = r(3, 4).gt(0);
    check((a, b) => pg.where(c, a, b), r(3, 4), r(4));
  });
  it('a transposed operand', () => { check((a, b) => a.transpose().mul(b), r(4, 3), r(3, 4)); });
});

describe('gradcheck: reductions', () => {
  for (const [name, f] of [
    ['sum', (x: pg.Tensor, d?: any, k?: boolean) => x.sum(d, k)],
    ['mean', (x: pg.Tensor, d?: any, k?: boolean) => x.mean(d, k)],
    ['max', (x: pg.Tensor, d?: any, k?: boolean) => x.max(d, k)],
    ['min', (x: pg.Tensor, d?: any, k?: boolean) => x.min(d, k)],
    ['prod', (x: pg.Tensor, d?: any, k?: boolean) => x.prod(d, k)],
    ['logsumexp', (x: pg.Tensor, d?: any, k?: boolean) => x.logsumexp(d, k)],
    ['var', (x: pg.Tensor, d?: any, k?: boolean) => x.var(d, { keepdim: k })],
    ['std', (x: pg.Tensor, d?: any, k?: boolean) => x.std(d, { keepdim: k })],
  ] as const) {
    it(`${name} over all`, () => { check((x) => f(x), pos(3, 4)); });
    it(`${name} dim -1 keepdim`, () => { check((x) => f(x, -1, true), pos(2, 3, 4)); });
    it(`${name} dims [0, 2]`, () => { check((x) => f(x, [0, 2]), pos(2, 3, 4)); });
    it(`${name} on a transposed input`, () => { check((x) => f(x.transpose(0, 1), 0), pos(3, 4)); });
  }
  it('cumsum', () => { check((x) => x.cumsum(1), r(3, 4)); check((x) => x.cumsum(-1), r(2, 3, 4)); });
  it('softmax / logSoftmax', () => {
    check((x) => x.softmax(-1), r(3, 5));
    check((x) => x.softmax(0), r(3, 5));
    check((x) => x.logSoftmax(1), r(2, 4, 3));
  });
});

describe('gradcheck: matmul', () => {
  it('2-D', () => { check((a, b) => a.matmul(b), r(3, 4), r(4, 5)); });
  it('1-D cases', () => {
    check((a, b) => a.matmul(b), r(4), r(4, 5));
    check((a, b) => a.matmul(b), r(3, 4), r(4));
    check((a, b) => a.matmul(b), r(4), r(4));
  });
  it('batched with broadcasting', () => { check((a, b) => a.matmul(b), r(2, 1, 3, 4), r(3, 4, 2)); });
  it('transposed operands', () => { check((a, b) => a.transpose().matmul(b.transpose()), r(4, 3), r(5, 4)); });
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
  it('cat / stack / pad / repeat', () => {
    check((a, b) => pg.cat([a, b], 1).square(), r(2, 3), r(2, 2));
    check((a, b) => pg.stack([a, b], 0).exp(), r(2, 3), r(2, 3));
    check((x) => x.pad([1, 2, 0, 1], 3).square(), r(2, 3));
    check((x) => x.repeat(2, 3).square(), r(2, 2));
  });
  it('contiguous / clone', () => { check((x) => x.transpose().contiguous().clone().square(), r(3, 2)); });
});

describe('gradcheck: indexing and nn', () => {
  const idx = (v: any) => pg.tensor(v, { dtype: 'int32' });
  it('gather / indexSelect / scatterAdd / embedding', () => {
    check((x) => x.gather(1, idx([[0, 0, 2], [1, 0, 1]])).square(), r(2, 3));
    check((x) => x.indexSelect(0, idx([2, 0, 2])).square(), r(3, 2));
    check((x, s) => x.scatterAdd(0, idx([[0, 1], [0, 0]]), s).square(), r(2, 2), r(2, 2));
    check((w) => pg.embedding(idx([[1, 2], [1, 0]]), w).square(), r(3, 4));
  });
  it('sort / topk values', () => {
    check((x) => x.sort(1).values.mul(pg.arange(4).double()), r(3, 4));
    check((x) => x.topk(2, 0).values.square(), r(3, 4));
  });
  it('conv2d with stride, padding, dilation and groups', () => {
    check((x, w, b) => pg.conv2d(x, w, b, { stride: 2, padding: 1 }), r(2, 2, 5, 5), r(3, 2, 3, 3), r(3));
    check((x, w) => pg.conv2d(x, w, null, { dilation: 2, padding: 2, groups: 2 }), r(1, 4, 5, 4), r(4, 2, 3, 3));
  });
  it('pooling', () => {
    check((x) => pg.maxPool2d(x, 2), r(1, 2, 4, 4));
    check((x) => pg.maxPool2d(x, 3, { stride: 2, padding: 1 }), r(1, 1, 5, 5));
    check((x) => pg.avgPool2d(x, 2, { stride: 1 }), r(1, 2, 3, 3));
  });
  it('unfold', () => { check((x) => pg.unfold(x, 2, { stride: 1 }).square(), r(1, 2, 3, 3)); });
});
