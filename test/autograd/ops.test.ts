import { describe, expect, it } from 'vitest';
import * as pg from '../../src/index.js';

const arr = (t: pg.Tensor) => t.toArraySync();
const close = (t: pg.Tensor, expected: number[], tol = 1e-6) => {
  const d = Array.from(t.dataSync());
  expect(d.length).toBe(expected.length);
  d.forEach((v, i) => expect(Math.abs(v - expected[i])).toBeLessThanOrEqual(tol * Math.max(1, Math.abs(expected[i]))));
};

describe('elementwise', () => {
  const x = pg.tensor([-2, -0.5, 0, 0.5, 2], { dtype: 'float64' });
  const xs = [-2, -0.5, 0, 0.5, 2];
  it('unary functions match Math', () => {
    const cases: [keyof pg.Tensor & string, (v: number) => number][] = [
      ['neg', (v) => -v], ['exp', Math.exp], ['abs', Math.abs], ['sign', Math.sign], ['sin', Math.sin], ['cos', Math.cos],
      ['tanh', Math.tanh], ['sigmoid', (v) => 1 / (1 + Math.exp(-v))], ['relu', (v) => Math.max(v, 0)],
      ['silu', (v) => v / (1 + Math.exp(-v))], ['softplus', (v) => Math.log(1 + Math.exp(v))], ['square', (v) => v * v],
      ['expm1', Math.expm1],
    ];
    for (const [name, f] of cases) close((x as any)[name](), xs.map(f), 1e-12);
    close(x.gelu({ approximate: 'tanh' }), xs.map((v) => 0.5 * v * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (v + 0.044715 * v ** 3)))), 1e-12);
    const p = pg.tensor([0.25, 1, 4], { dtype: 'float64' });
    close(p.log(), [0.25, 1, 4].map(Math.log), 1e-12);
    close(p.log1p(), [0.25, 1, 4].map(Math.log1p), 1e-12);
    close(p.sqrt(), [0.5, 1, 2], 1e-12);
    close(p.rsqrt(), [2, 1, 0.5], 1e-12);
    close(p.reciprocal(), [4, 1, 0.25], 1e-12);
  });
  it('stable sigmoid and softplus at extremes', () => {
    const big = pg.tensor([-1000, 1000]);
    expect(arr(big.sigmoid())).toEqual([0, 1]);
    expect(arr(big.softplus())).toEqual([0, 1000]);
  });
  it('binary ops broadcast like NumPy', () => {
    const a = pg.tensor([[1], [2], [3]]); // [3,1]
    const b = pg.tensor([10, 20]); // [2]
    expect(arr(a.add(b))).toEqual([[11, 21], [12, 22], [13, 23]]);
    expect(arr(a.mul(b).sub(1))).toEqual([[9, 19], [19, 39], [29, 59]]);
    expect(arr(b.div(a))).toEqual([[10, 20], [5, 10], [10 / 3, 20 / 3].map(Math.fround)]);
    expect(arr(pg.tensor([2, 3]).pow(2))).toEqual([4, 9]);
    expect(arr(pg.tensor([1, 5]).maximum(pg.tensor([3, 2])))).toEqual([3, 5]);
    expect(arr(pg.tensor([1, 5]).minimum(3))).toEqual([1, 3]);
    expect(arr(pg.tensor([1, 5, -3]).clamp(0, 2))).toEqual([1, 2, 0]);
  });
  it('comparisons and logic give bools', () => {
    const a = pg.tensor([1, 2, 3]);
    expect(arr(a.eq(2))).toEqual([false, true, false]);
    expect(arr(a.ne(2))).toEqual([true, false, true]);
    expect(arr(a.lt(2))).toEqual([true, false, false]);
    expect(arr(a.le(2))).toEqual([true, true, false]);
    expect(arr(a.gt(2))).toEqual([false, false, true]);
    expect(arr(a.ge(2))).toEqual([false, true, true]);
    expect(arr(a.gt(1).logicalAnd(a.lt(3)))).toEqual([false, true, false]);
    expect(arr(a.lt(2).logicalOr(a.gt(2)))).toEqual([true, false, true]);
    expect(arr(a.gt(1).logicalNot())).toEqual([true, false, false]);
  });
  it('where and maskedFill', () => {
    const a = pg.tensor([1, 2, 3]);
    expect(arr(pg.where(a.gt(1), a, 0))).toEqual([0, 2, 3]);
    expect(arr(a.maskedFill(a.eq(2), -1))).toEqual([1, -1, 3]);
  });
  it('works on non-contiguous inputs', () => {
    const a = pg.arange(6).reshape(2, 3).float();
    expect(arr(a.transpose(0, 1).mul(2))).toEqual([[0, 6], [2, 8], [4, 10]]);
    expect(arr(a.slice(1, 0, 3, 2).add(1))).toEqual([[1, 3], [4, 6]]);
    expect(arr(a.flip(1).mul(1))).toEqual([[2, 1, 0], [5, 4, 3]]);
  });
});

describe('reductions', () => {
  const x = pg.tensor([[1, 5, 3], [4, 2, 6]]);
  it('sum/mean/max/min/prod over dims with keepdim and negative dims', () => {
    expect(x.sum().itemSync()).toBe(21);
    expect(arr(x.sum(0))).toEqual([5, 7, 9]);
    expect(arr(x.sum(-1, true))).toEqual([[9], [12]]);
    expect(arr(x.mean(1))).toEqual([3, 4]);
    expect(arr(x.max(1))).toEqual([5, 6]);
    expect(arr(x.min(0))).toEqual([1, 2, 3]);
    expect(arr(x.prod(1))).toEqual([15, 48]);
    expect(arr(x.sum([0, 1]))).toEqual(21);
  });
  it('argmax/argmin return first index', () => {
    expect(arr(x.argmax(1))).toEqual([1, 2]);
    expect(arr(x.argmin(0))).toEqual([0, 1, 0]);
    expect(pg.tensor([3, 7, 7]).argmax().itemSync()).toBe(1);
    expect(arr(x.argmax(1, true))).toEqual([[1], [2]]);
  });
  it('var/std use Bessel correction by default', () => {
    const v = pg.tensor([1, 2, 3, 4], { dtype: 'float64' });
    expect(v.var().itemSync()).toBeCloseTo(5 / 3, 12);
    expect(v.var(0, { correction: 0 }).itemSync()).toBeCloseTo(1.25, 12);
    expect(v.std().itemSync()).toBeCloseTo(Math.sqrt(5 / 3), 12);
  });
  it('logsumexp is stable', () => {
    const v = pg.tensor([1000, 1000], { dtype: 'float64' });
    expect(v.logsumexp().itemSync()).toBeCloseTo(1000 + Math.log(2), 10);
    expect(pg.tensor([-Infinity, -Infinity]).logsumexp().itemSync()).toBe(-Infinity);
  });
  it('cumsum', () => {
    expect(arr(x.cumsum(1))).toEqual([[1, 6, 9], [4, 6, 12]]);
    expect(arr(x.cumsum(0))).toEqual([[1, 5, 3], [5, 7, 9]]);
  });
  it('softmax rows sum to one and survive huge logits', () => {
    const s = pg.tensor([[1e4, 0, -1e4], [1, 2, 3]]).softmax(-1);
    expect(arr(s.sum(-1))).toEqual([1, 1]);
    expect((arr(s) as number[][])[0]).toEqual([1, 0, 0]);
    close(pg.tensor([1, 2, 3], { dtype: 'float64' }).logSoftmax(), [1, 2, 3].map((v) => v - Math.log(Math.exp(1) + Math.exp(2) + Math.exp(3))), 1e-12);
  });
});

describe('matmul', () => {
  it('handles 1-D, 2-D and broadcast batches like NumPy', () => {
    const a = pg.tensor([[1, 2], [3, 4]]);
    const v = pg.tensor([1, 1]);
    expect(arr(a.matmul(a))).toEqual([[7, 10], [15, 22]]);
    expect(arr(a.matmul(v))).toEqual([3, 7]);
    expect(arr(v.matmul(a))).toEqual([4, 6]);
    expect(v.matmul(v).itemSync()).toBe(2);
    const b = pg.arange(8).float().reshape(2, 2, 2);
    expect(b.matmul(a).shape).toEqual([2, 2, 2]);
    expect(arr(b.matmul(a))).toEqual([[[3, 4], [11, 16]], [[19, 28], [27, 40]]]);
    expect(pg.zeros([3, 1, 2, 5]).matmul(pg.zeros([4, 5, 6])).shape).toEqual([3, 4, 2, 6]);
    expect(arr(a.transpose().matmul(a))).toEqual([[10, 14], [14, 20]]);
  });
});

describe('shape ops', () => {
  const x = pg.arange(6).reshape(2, 3);
  it('reshape/view/flatten/squeeze/unsqueeze/permute/expand', () => {
    expect(x.reshape(3, -1).shape).toEqual([3, 2]);
    expect(x.view([6]).shape).toEqual([6]);
    expect(() => x.transpose().view(6)).toThrow(/not contiguous/);
    expect(arr(x.transpose().reshape(6))).toEqual([0, 3, 1, 4, 2, 5]);
    expect(x.unsqueeze(0).unsqueeze(-1).shape).toEqual([1, 2, 3, 1]);
    expect(x.unsqueeze(0).squeeze().shape).toEqual([2, 3]);
    expect(pg.zeros([2, 3, 4]).permute(2, 0, 1).shape).toEqual([4, 2, 3]);
    expect(pg.zeros([2, 3, 4]).flatten(1).shape).toEqual([2, 12]);
    expect(arr(pg.tensor([1, 2]).expand(2, 2))).toEqual([[1, 2], [1, 2]]);
    expect(x.T.shape).toEqual([3, 2]);
  });
  it('slice/narrow/select/split/chunk/flip/repeat/pad', () => {
    expect(arr(x.slice(1, 1))).toEqual([[1, 2], [4, 5]]);
    expect(arr(x.slice(1, -1))).toEqual([[2], [5]]);
    expect(arr(x.slice(1, 0, 3, 2))).toEqual([[0, 2], [3, 5]]);
    expect(arr(x.narrow(0, 1, 1))).toEqual([[3, 4, 5]]);
    expect(arr(x.select(1, 2))).toEqual([2, 5]);
    expect(x.split(2, 1).map((t) => t.shape)).toEqual([[2, 2], [2, 1]]);
    expect(x.split([1, 2], 1).map(arr)).toEqual([[[0], [3]], [[1, 2], [4, 5]]]);
    expect(x.chunk(3, 1).length).toBe(3);
    expect(arr(x.flip(1))).toEqual([[2, 1, 0], [5, 4, 3]]);
    expect(arr(x.flip([0, 1]))).toEqual([[5, 4, 3], [2, 1, 0]]);
    expect(arr(pg.tensor([1, 2]).repeat(2, 2))).toEqual([[1, 2, 1, 2], [1, 2, 1, 2]]);
    expect(arr(pg.tensor([[1]]).pad([1, 2, 0, 1], 9))).toEqual([[9, 1, 9, 9], [9, 9, 9, 9]]);
  });
  it('cat and stack', () => {
    const a = pg.tensor([[1, 2]]), b = pg.tensor([[3, 4], [5, 6]]);
    expect(arr(pg.cat([a, b], 0))).toEqual([[1, 2], [3, 4], [5, 6]]);
    expect(arr(pg.cat([b, b.slice(1, 0, 1)], 1))).toEqual([[3, 4, 3], [5, 6, 5]]);
    expect(arr(pg.stack([a, a], 0))).toEqual([[[1, 2]], [[1, 2]]]);
    expect(pg.stack([a, a], -1).shape).toEqual([1, 2, 2]);
    expect(() => pg.cat([a, pg.zeros([1, 3])], 0)).toThrow(/cat: shapes \[1,2\], \[1,3\] differ outside dim 0/);
  });
});

describe('indexing', () => {
  const x = pg.tensor([[1, 2, 3], [4, 5, 6]]);
  const i32 = (v: number[][] | number[]) => pg.tensor(v as any, { dtype: 'int32' });
  it('gather / indexSelect / scatterAdd / embedding / oneHot', () => {
    expect(arr(x.gather(1, i32([[2, 0], [1, 1]])))).toEqual([[3, 1], [5, 5]]);
    expect(arr(x.indexSelect(1, i32([2, 0])))).toEqual([[3, 1], [6, 4]]);
    expect(arr(x.indexSelect(0, i32([1, 1, 0])))).toEqual([[4, 5, 6], [4, 5, 6], [1, 2, 3]]);
    expect(arr(pg.zeros([2, 3]).scatterAdd(1, i32([[0, 0], [2, 1]]), pg.ones([2, 2])))).toEqual([[2, 0, 0], [0, 1, 1]]);
    expect(arr(pg.embedding(i32([[1], [0]]), x))).toEqual([[[4, 5, 6]], [[1, 2, 3]]]);
    expect(arr(pg.oneHot(i32([0, 2]), 3))).toEqual([[1, 0, 0], [0, 0, 1]]);
    expect(() => pg.oneHot(i32([3]), 3)).toThrow(/class 3 is out of range/);
  });
  it('sort and topk (values and indices, stable)', () => {
    const v = pg.tensor([3, 1, 2, 1]);
    const s = v.sort();
    expect(arr(s.values)).toEqual([1, 1, 2, 3]);
    expect(arr(s.indices)).toEqual([1, 3, 2, 0]);
    expect(arr(v.sort(-1, true).indices)).toEqual([0, 2, 1, 3]);
    const t = x.topk(2, 1);
    expect(arr(t.values)).toEqual([[3, 2], [6, 5]]);
    expect(arr(t.indices)).toEqual([[2, 1], [2, 1]]);
    expect(arr(x.topk(1, 0, false).values)).toEqual([[1, 2, 3]]);
  });
});

describe('convolution and pooling', () => {
  it('conv2d matches a direct computation (stride, padding, dilation, groups)', () => {
    const g = new pg.Generator(3);
    for (const [stride, padding, dilation, groups] of [[1, 0, 1, 1], [2, 1, 1, 1], [1, 2, 2, 1], [1, 1, 1, 2]]) {
      const x = pg.randn([2, 4, 7, 6], { generator: g, dtype: 'float64' });
      const w = pg.randn([6, 4 / groups, 3, 3], { generator: g, dtype: 'float64' });
      const b = pg.randn([6], { generator: g, dtype: 'float64' });
      const y = pg.conv2d(x, w, b, { stride, padding, dilation, groups });
      const xd = x.dataSync(), wd = w.dataSync(), bd = b.dataSync();
      const [N, C, H, W] = x.shape;
      const OH = Math.floor((H + 2 * padding - dilation * 2 - 1) / stride) + 1;
      const OW = Math.floor((W + 2 * padding - dilation * 2 - 1) / stride) + 1;
      expect(y.shape).toEqual([N, 6, OH, OW]);
      const yd = y.dataSync();
      const cg = C / groups, og = 6 / groups;
      for (let n = 0; n < N; n++) for (let o = 0; o < 6; o++) for (let i = 0; i < OH; i++) for (let j = 0; j < OW; j++) {
        let s = bd[o];
        const grp = Math.floor(o / og);
        for (let c = 0; c < cg; c++) for (let ki = 0; ki < 3; ki++) for (let kj = 0; kj < 3; kj++) {
          const hi = i * stride - padding + ki * dilation, wj = j * stride - padding + kj * dilation;
          if (hi < 0 || hi >= H || wj < 0 || wj >= W) continue;
          s += xd[((n * C + grp * cg + c) * H + hi) * W + wj] * wd[((o * cg + c) * 3 + ki) * 3 + kj];
        }
        expect(yd[((n * 6 + o) * OH + i) * OW + j]).toBeCloseTo(s, 10);
      }
    }
  });
  it('maxPool2d and avgPool2d', () => {
    const x = pg.arange(16).float().reshape(1, 1, 4, 4);
    expect(arr(pg.maxPool2d(x, 2))).toEqual([[[[5, 7], [13, 15]]]]);
    expect(arr(pg.avgPool2d(x, 2))).toEqual([[[[2.5, 4.5], [10.5, 12.5]]]]);
    expect(arr(pg.maxPool2d(x.neg(), 2, { stride: 2, padding: 1 }))).toEqual([[[[-0, -1, -3], [-4, -5, -7], [-12, -13, -15]]]]);
  });
});

describe('random', () => {
  it('is seeded and reproducible', () => {
    const a = pg.rand([5], { generator: new pg.Generator(7) });
    const b = pg.rand([5], { generator: new pg.Generator(7) });
    expect(arr(a)).toEqual(arr(b));
    pg.manualSeed(11);
    const c = pg.randn([4]);
    pg.manualSeed(11);
    expect(arr(pg.randn([4]))).toEqual(arr(c));
  });
  it('draws from the right ranges', () => {
    const g = new pg.Generator(1);
    const r = pg.randint(3, 7, [1000], { generator: g }).dataSync();
    expect(Math.min(...r)).toBe(3);
    expect(Math.max(...r)).toBe(6);
    const p = Array.from(pg.randperm(10, { generator: g }).dataSync()).sort((a, b) => a - b);
    expect(p).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    const bern = pg.bernoulli(0.3, [10000], { generator: g }).mean().itemSync();
    expect(Math.abs(bern - 0.3)).toBeLessThan(0.02);
    const m = pg.multinomial(pg.tensor([0, 1, 0]), 5, { generator: g, replacement: true });
    expect(arr(m)).toEqual([1, 1, 1, 1, 1]);
    const d = pg.dropout(pg.ones([1000]), 0.5, { generator: g });
    const kept = d.dataSync().filter((v) => v !== 0);
    expect(kept.every((v) => v === 2)).toBe(true);
  });
});
