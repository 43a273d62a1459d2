// Pooling (ceilMode, countIncludePad, divisorOverride, returnIndices), maxUnpool2d, the pooling /
// Flatten / Dropout2d modules, against numbers recorded from PyTorch (test/fixtures/torch/pooling.json).
import { describe, expect, it } from 'vitest';
import * as pg from '../../src/index.js';
import { expectAllClose, torchFixture } from '../helpers/torch.js';

const fx = torchFixture('pooling.json');
const f64 = (v: number[], shape: number[]) => pg.tensor(v, { dtype: 'float64', shape });
const vals = (t: pg.Tensor) => Array.from(t.dataSync());
const r64 = (...shape: number[]) => pg.randn(shape, { generator: new pg.Generator(shape.length), dtype: 'float64' });

/** f(x) and d/dx sum(f(x) * w), for the fixture's float64 x and w. */
function valueAndDx(c: { x: number[]; shape: number[]; w: number[]; yShape: number[] }, f: (x: pg.Tensor) => pg.Tensor) {
  const x = f64(c.x, c.shape).requiresGrad_();
  const y = f(x);
  y.mul(f64(c.w, c.yShape)).sum().backward();
  return { y, dx: vals(x.grad!) };
}

describe('maxPool2d against PyTorch', () => {
  fx.max.forEach((c: any, i: number) => {
    it(`case ${i}: k ${c.k} stride ${c.s} padding ${c.p} dilation ${c.d} ceilMode ${c.ceil}${c.ties ? ', ties' : ''}`, () => {
      const opts = { stride: c.s, padding: c.p, dilation: c.d, ceilMode: c.ceil };
      const { y, dx } = valueAndDx(c, (x) => pg.maxPool2d(x, c.k, opts));
      expect(y.shape).toEqual(c.yShape);
      expect(vals(y)).toEqual(c.y); // a maximum is exact
      // The gradient goes to each window's first maximum only, as PyTorch's (ties included).
      expectAllClose(dx, c.dx, { rtol: 0, atol: 1e-15, what: 'dx' });
      const { values, indices } = pg.maxPool2d(f64(c.x, c.shape), c.k, { ...opts, returnIndices: true });
      expect(vals(values)).toEqual(c.y);
      expect(indices.dtype).toBe('int32');
      expect(vals(indices)).toEqual(c.indices);
    });
  });

  it('gradcheck with ceilMode and padding', () => {
    pg.testing.gradcheck((x) => pg.maxPool2d(x, 3, { stride: 2, padding: 1, ceilMode: true }), [r64(1, 2, 6, 6)]);
  });

  it('bad options name the op and the value', () => {
    const x = r64(1, 1, 4, 4);
    expect(() => pg.maxPool2d(x, 2, { padding: 2 })).toThrow(/maxPool2d: padding 2 must be at most half the kernel size 2/);
    expect(() => pg.maxPool2d(x, 5)).toThrow(/maxPool2d: kernel span 5 does not fit input size 4/);
    expect(() => pg.maxPool2d(x, 2, { stride: 0 })).toThrow(/maxPool2d: stride must be an integer >= 1, got 0/);
    expect(() => pg.maxPool2d(x.reshape([4, 4]), 2)).toThrow(/maxPool2d: expected input \[N, C, H, W\], got \[4,4\]/);
  });
});

describe('avgPool2d against PyTorch', () => {
  fx.avg.forEach((c: any, i: number) => {
    it(`case ${i}: k ${c.k} stride ${c.s} padding ${c.p} ceilMode ${c.ceil} countIncludePad ${c.include}${c.div ? ` divisorOverride ${c.div}` : ''}`, () => {
      const { y, dx } = valueAndDx(c, (x) => pg.avgPool2d(x, c.k, { stride: c.s, padding: c.p, ceilMode: c.ceil, countIncludePad: c.include, divisorOverride: c.div }));
      expect(y.shape).toEqual(c.yShape);
      expectAllClose(vals(y), c.y, { rtol: 1e-15, atol: 1e-15, what: 'y' });
      expectAllClose(dx, c.dx, { rtol: 1e-15, atol: 1e-15, what: 'dx' });
    });
  });

  it('gradcheck with countIncludePad false and ceilMode', () => {
    pg.testing.gradcheck((x) => pg.avgPool2d(x, 3, { stride: 2, padding: 1, ceilMode: true, countIncludePad: false }), [r64(1, 2, 6, 6)]);
  });

  it('bad options', () => {
    const x = r64(1, 1, 4, 4);
    expect(() => pg.avgPool2d(x, 2, { divisorOverride: 0 })).toThrow(/avgPool2d: divisorOverride must be a positive integer, got 0/);
    expect(() => pg.avgPool2d(x, 2, { dilation: 2 } as any)).toThrow(/avgPool2d: has no dilation/);
  });
});

describe('maxUnpool2d against PyTorch', () => {
  for (const u of fx.unpool) {
    const c = fx.max[u.case];
    it(`unpools case ${u.case} (k ${c.k}, stride ${c.s}${c.s < (Array.isArray(c.k) ? c.k[0] : c.k) ? ', overlapping: repeated indices' : ''})`, () => {
      const opts = { stride: c.s, padding: c.p, dilation: c.d, ceilMode: c.ceil };
      const { values, indices } = pg.maxPool2d(f64(c.x, c.shape), c.k, { ...opts, returnIndices: true });
      const y = values.requiresGrad_();
      const out = pg.maxUnpool2d(y, indices, c.k, { stride: c.s, padding: c.p, outputSize: c.shape.slice(2) });
      expect(out.shape).toEqual(u.uShape);
      expect(vals(out)).toEqual(u.u);
      out.mul(f64(u.wu, u.uShape)).sum().backward();
      expectAllClose(vals(y.grad!), u.du, { rtol: 0, atol: 1e-15, what: 'du' });
    });
  }

  it('default output size, the module, and errors', () => {
    const x = r64(1, 2, 4, 6);
    const { values, indices } = pg.maxPool2d(x, 2, { returnIndices: true });
    const m = new pg.nn.MaxUnpool2d(2);
    const u = m.forward(values, indices);
    expect(u.shape).toEqual([1, 2, 4, 6]);
    // every pooled maximum is back in place, everything else is zero
    expect(vals(pg.maxPool2d(u, 2))).toEqual(vals(values));
    expect(vals(u.ne(0).sum())).toEqual([12]);
    // repeated indices: the last input stays (PyTorch's CPU order); every input gets the gradient at its index
    const v = pg.tensor([1, 2, 3, 4], { dtype: 'float64', shape: [1, 1, 2, 2] }).requiresGrad_();
    const at = pg.tensor([5, 0, 5, 0], { dtype: 'int32', shape: [1, 1, 2, 2] });
    const w = pg.maxUnpool2d(v, at, 2, { outputSize: [2, 3] });
    expect(vals(w)).toEqual([4, 0, 0, 0, 0, 3]);
    w.mul(pg.arange(6, { dtype: 'float64' }).reshape([1, 1, 2, 3])).sum().backward();
    expect(vals(v.grad!)).toEqual([5, 0, 5, 0]);
    expect(() => pg.maxUnpool2d(values, indices.float(), 2)).toThrow(/maxUnpool2d: indices must be int32/);
    expect(() => pg.maxUnpool2d(values, indices.add(100), 2)).toThrow(/maxUnpool2d: .*out of range/);
  });
});

describe('pooling, Flatten, Dropout1d and Dropout2d modules', () => {
  it('MaxPool2d / AvgPool2d equal the functions; returnIndices gives {values, indices}', () => {
    const x = r64(2, 3, 7, 7);
    expect(vals(new pg.nn.MaxPool2d(3, { stride: 2, ceilMode: true }).forward(x))).toEqual(vals(pg.maxPool2d(x, 3, { stride: 2, ceilMode: true })));
    expect(vals(new pg.nn.AvgPool2d(3, { stride: 2, padding: 1, countIncludePad: false }).forward(x)))
      .toEqual(vals(pg.avgPool2d(x, 3, { stride: 2, padding: 1, countIncludePad: false })));
    const r = new pg.nn.MaxPool2d(2, { returnIndices: true }).forward(x);
    expect(r.values.shape).toEqual([2, 3, 3, 3]);
    expect(r.indices.shape).toEqual([2, 3, 3, 3]);
  });

  it('Flatten (default dims 1..-1) and Unflatten', () => {
    const x = r64(2, 3, 4, 5);
    expect(new pg.nn.Flatten().forward(x).shape).toEqual([2, 60]);
    expect(new pg.nn.Flatten(0, 1).forward(x).shape).toEqual([6, 4, 5]);
    expect(new pg.nn.Unflatten(1, [3, -1]).forward(new pg.nn.Flatten().forward(x)).shape).toEqual([2, 3, 20]);
    expect(() => new pg.nn.Unflatten(4, [1]).forward(x)).toThrow(/Unflatten: dim 4 out of range/);
  });

  it('Dropout2d zeroes whole channels, scales the rest by 1/(1-p), and is the identity in eval', () => {
    const x = pg.ones([8, 64, 3, 3], { dtype: 'float64' });
    const d = new pg.nn.Dropout2d(0.25, { generator: new pg.Generator(3) });
    const y = d.forward(x);
    const perChannel = vals(y.reshape([8 * 64, 9]));
    for (let c = 0; c < 8 * 64; c++) {
      const row = perChannel.slice(c * 9, c * 9 + 9);
      expect(row.every((v) => v === row[0]) && (row[0] === 0 || row[0] === 1 / 0.75)).toBe(true);
    }
    const kept = perChannel.filter((v) => v !== 0).length / 9 / 512;
    expect(Math.abs(kept - 0.75)).toBeLessThan(0.06); // 512 channels: sd of the kept fraction 0.019
    d.eval();
    expect(d.forward(x)).toBe(x);
    expect(pg.dropout2d(r64(3, 4, 4), 0.5, { generator: new pg.Generator(1) }).shape).toEqual([3, 4, 4]);
    expect(() => pg.dropout2d(r64(3, 4), 0.5)).toThrow(/dropout2d: expected input \[N, C, H, W\] or \[C, H, W\], got \[3,4\]/);
    expect(() => pg.dropout2d(x, 1)).toThrow(/dropout2d: p must be in \[0, 1\), got 1/);
    // Dropout1d: channels of [N, C, L]
    const z = new pg.nn.Dropout1d(0.5, { generator: new pg.Generator(4) }).forward(pg.ones([4, 16, 5], { dtype: 'float64' }));
    const rows = vals(z.reshape([64, 5]));
    for (let c = 0; c < 64; c++) expect(new Set(rows.slice(c * 5, c * 5 + 5)).size).toBe(1);
    expect(() => pg.dropout1d(x, 0.5)).toThrow(/dropout1d: expected input \[N, C, L\] or \[C, L\], got \[8,64,3,3\]/);
  });
});
