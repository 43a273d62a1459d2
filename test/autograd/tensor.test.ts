import { describe, expect, it } from 'vitest';
import * as pg from '../../src/index.js';
import { relabel } from '../../src/autograd/args.js';

describe('creation and reading', () => {
  it('builds tensors from nested arrays with inferred shape and dtype', () => {
    const t = pg.tensor([[1, 2, 3], [4, 5, 6]]);
    expect(t.shape).toEqual([2, 3]);
    expect(t.dtype).toBe('float32');
    expect(t.device).toBe('cpu');
    expect(t.toArraySync()).toEqual([[1, 2, 3], [4, 5, 6]]);
    expect(pg.tensor([true, false]).dtype).toBe('bool');
    expect(pg.tensor([true, false]).toArraySync()).toEqual([true, false]);
    expect(pg.tensor(3).shape).toEqual([]);
    expect(pg.tensor(new Int32Array([1, 2])).dtype).toBe('int32');
    expect(() => pg.tensor([1.5, 2], { dtype: 'int32' })).toThrow(/tensor: value 1.5 at index 0 cannot be stored exactly as int32/); // no silent truncation
    expect(pg.tensor([-3, 2], { dtype: 'int32' }).toArraySync()).toEqual([-3, 2]);
  });

  it('reads asynchronously', async () => {
    const t = pg.tensor([[1, 2], [3, 4]]);
    expect(Array.from(await t.data())).toEqual([1, 2, 3, 4]);
    expect(await t.toArray()).toEqual([[1, 2], [3, 4]]);
    expect(await pg.tensor([7]).item()).toBe(7);
  });

  it('rejects ragged arrays and mismatched shapes', () => {
    expect(() => pg.tensor([[1, 2], [3]])).toThrow(/ragged/);
    expect(() => pg.tensor(new Float32Array(5), { shape: [2, 3] })).toThrow(/5 values do not fill shape \[2,3\]/);
  });

  it('constants and ranges', () => {
    expect(pg.zeros([2, 2]).toArraySync()).toEqual([[0, 0], [0, 0]]);
    expect(pg.ones([3], { dtype: 'int32' }).toArraySync()).toEqual([1, 1, 1]);
    expect(pg.full([2], 7).toArraySync()).toEqual([7, 7]);
    expect(pg.arange(4).toArraySync()).toEqual([0, 1, 2, 3]);
    expect(pg.arange(4).dtype).toBe('int32');
    expect(pg.arange(1, 2, 0.25).toArraySync()).toEqual([1, 1.25, 1.5, 1.75]);
    expect(pg.linspace(0, 1, 5).toArraySync()).toEqual([0, 0.25, 0.5, 0.75, 1]);
    expect(pg.eye(2, 3).toArraySync()).toEqual([[1, 0, 0], [0, 1, 0]]);
    const x = pg.tensor([[1, 2]], { dtype: 'float64' });
    expect(pg.zerosLike(x).dtype).toBe('float64');
    expect(pg.onesLike(x).toArraySync()).toEqual([[1, 1]]);
  });

  it('casts between dtypes', () => {
    const x = pg.tensor([-1.7, 0, 2.5]);
    expect(x.int().toArraySync()).toEqual([-1, 0, 2]);
    expect(x.bool().toArraySync()).toEqual([true, false, true]);
    expect(x.double().dtype).toBe('float64');
    expect(x.to('int32').dtype).toBe('int32');
    expect(pg.tensor([true, false]).float().toArraySync()).toEqual([1, 0]);
  });

  it('float32 results are the correctly rounded float32 values', () => {
    const a = pg.tensor([0.1]), b = pg.tensor([0.2]);
    expect(a.add(b).dataSync()[0]).toBe(Math.fround(Math.fround(0.1) + Math.fround(0.2)));
    expect(a.div(b).dataSync()[0]).toBe(Math.fround(Math.fround(0.1) / Math.fround(0.2)));
  });

  it('names ops, shapes and dtypes in errors', async () => {
    const a = pg.zeros([2, 3]), b = pg.zeros([4, 5]);
    expect(() => a.matmul(b)).toThrow('matmul: inner dimensions differ: [2,3] @ [4,5]');
    expect(() => a.add(pg.zeros([4]))).toThrow(/add: shapes \[2,3\] and \[4\] cannot be broadcast/);
    expect(() => a.reshape(4, 2)).toThrow(/reshape: cannot reshape \[2,3\] \(6 elements\) into \[4,2\]/);
    expect(() => a.sum(2)).toThrow(/sum: dim 2 out of range for a tensor of rank 2/);
    expect(() => pg.zeros([3]).gather(0, pg.tensor([5], { dtype: 'int32' }))).toThrow(/gather: index 5 is out of range for dim 0 of size 3/);
    expect(() => pg.zeros([3]).gather(0, pg.tensor([1]))).toThrow(/gather: index must be an int32 tensor of indices, got float32/);
    expect(() => pg.zeros([2], { dtype: 'int32' }).requiresGrad_()).toThrow(/only float tensors/);
    await expect(pg.zeros([2, 2]).item()).rejects.toThrow(/item: tensor has 4 elements/);
    const d = pg.zeros([2]);
    d.dispose();
    expect(() => d.add(1)).toThrow(/disposed/);
  });
});

describe('type promotion', () => {
  it('follows bool < int32 < float32 < float64 with weak scalars', () => {
    const i = pg.tensor([1, 2], { dtype: 'int32' });
    expect(i.add(1).dtype).toBe('int32');
    expect(i.add(0.5).dtype).toBe('float32');
    expect(i.div(2).dtype).toBe('float32');
    expect(i.div(2).toArraySync()).toEqual([0.5, 1]);
    expect(pg.tensor([1], { dtype: 'float64' }).add(pg.tensor([1])).dtype).toBe('float64');
    expect(pg.tensor([true]).add(1).dtype).toBe('int32');
    expect(i.gt(1).dtype).toBe('bool');
    expect(i.exp().dtype).toBe('float32');
  });
});

describe('error messages', () => {
  it('an error from inside an op names the op once, in the message and in the stack', () => {
    // An error raised without the op's name (an engine's RangeError, a helper's message) gets it put
    // in front; V8 formats e.stack lazily, so relabel must not prefix the stack a second time.
    const e = new Error('Invalid typed array length: 7');
    relabel(e, 'mul');
    expect(e.message).toBe('mul: Invalid typed array length: 7');
    expect(e.stack!.split('\n')[0]).toBe('Error: mul: Invalid typed array length: 7');
    const inner = new Error('wasm: out of memory');
    relabel(inner, 'matmul');
    expect(inner.message).toBe('matmul: out of memory (in wasm)');
    expect(inner.stack!.split('\n')[0]).toBe('Error: matmul: out of memory (in wasm)');
  });
});
