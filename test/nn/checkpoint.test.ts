import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as pg from '../../src/index.js';
import {
  flattenState,
  fromBlob,
  load,
  loadBytes,
  loadBytesWithMetadata,
  loadTrainingState,
  loadTrainingStateFile,
  save,
  saveBytes,
  saveTrainingState,
  saveTrainingStateFile,
  toBlob,
  unflattenState,
} from '../../src/nn/checkpoint.js';
import { encodeSafetensors, fromTypedArray } from '../../src/nn/safetensors.js';
import { Adam, type OptimizerStateDict } from '../../src/nn/optim.js';
import { CosineAnnealingLR, type SchedulerStateDict } from '../../src/nn/schedule.js';
import { DataLoader, type DataLoaderState } from '../../src/nn/data/loader.js';

let dir = '';
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'papergrad-ckpt-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** The raw bytes of a tensor's values (bit-level comparisons, NaN payloads included). */
const bits = (t: pg.Tensor) => {
  const d = t.dataSync();
  return Array.from(new Uint8Array(d.buffer, d.byteOffset, d.byteLength));
};

function specials(): Record<string, pg.Tensor> {
  const f32 = new Float32Array([0, -0, 1.5, -Infinity, Infinity, 1e-45, 3.4028234663852886e38, Math.fround(0.1)]);
  const withNan = new Float32Array(10);
  withNan.set(f32);
  new Uint32Array(withNan.buffer)[8] = 0x7fc00001; // a NaN with a payload
  new Uint32Array(withNan.buffer)[9] = 0xffa00000; // a negative signalling-pattern NaN
  const f64 = new Float64Array([0, -0, Math.PI, -Infinity, 5e-324, Number.MAX_VALUE, NaN, 0.1]);
  return {
    f32: pg.tensor(withNan, { shape: [2, 5] }),
    f64: pg.tensor(f64, { shape: [8] }),
    i32: pg.tensor(new Int32Array([-2147483648, 2147483647, 0, -1, 7, 42]), { shape: [3, 2] }),
    bool: pg.tensor([[true, false, true], [false, false, true]]),
    scalar: pg.tensor(new Float32Array([2.5]), { shape: [] }),
    empty: pg.zeros([0, 3]),
    'a.b/c': pg.arange(5),
  };
}

describe('checkpoint bytes', () => {
  it('round trips every dtype bit for bit (NaN payloads, -0, subnormals, 0-d, empty)', () => {
    const sd = specials();
    const back = loadBytes(saveBytes(sd));
    expect(Object.keys(back).sort()).toEqual(Object.keys(sd).sort());
    for (const k of Object.keys(sd)) {
      expect(back[k].dtype, k).toBe(sd[k].dtype);
      expect(back[k].shape, k).toEqual(sd[k].shape);
      expect(bits(back[k]), k).toEqual(bits(sd[k]));
    }
    // The same input always gives the same bytes.
    expect(saveBytes(sd)).toEqual(saveBytes(sd));
  });

  it('stores views by value and keeps metadata', () => {
    const t = pg.arange(6, { dtype: 'float32' }).reshape(2, 3).transpose();
    const bytes = saveBytes({ t }, { note: 'hello', epoch: '3' });
    const { tensors, metadata } = loadBytesWithMetadata(bytes);
    expect(tensors.t.toArraySync()).toEqual([[0, 3], [1, 4], [2, 5]]);
    expect(metadata).toEqual({ note: 'hello', epoch: '3' });
  });

  it('loads F16 / BF16 as float32 and I8 / I16 / U8 / I64 as int32', () => {
    const bytes = encodeSafetensors({
      h: fromTypedArray('F16', [3], new Uint16Array([0x3c00, 0xc000, 0x7c00])), // 1, -2, inf
      b: fromTypedArray('BF16', [2], new Uint16Array([0x3f80, 0x4049])), // 1, 3.140625
      i8: fromTypedArray('I8', [2], new Int8Array([-128, 127])),
      i16: fromTypedArray('I16', [2], new Int16Array([-32768, 32767])),
      u8: fromTypedArray('U8', [2], new Uint8Array([0, 255])),
      i64: fromTypedArray('I64', [2], new BigInt64Array([-5n, 2147483647n])),
    });
    const t = loadBytes(bytes);
    expect(t.h.dtype).toBe('float32');
    expect(t.h.toArraySync()).toEqual([1, -2, Infinity]);
    expect(t.b.toArraySync()).toEqual([1, 3.140625]);
    expect([t.i8, t.i16, t.u8, t.i64].map((x) => x.dtype)).toEqual(['int32', 'int32', 'int32', 'int32']);
    expect(t.i8.toArraySync()).toEqual([-128, 127]);
    expect(t.i16.toArraySync()).toEqual([-32768, 32767]);
    expect(t.u8.toArraySync()).toEqual([0, 255]);
    expect(t.i64.toArraySync()).toEqual([-5, 2147483647]);
    const big = encodeSafetensors({ v: fromTypedArray('I64', [1], new BigInt64Array([2147483648n])) });
    expect(() => loadBytes(big)).toThrow(/does not fit in int32/);
    const badBool = encodeSafetensors({ v: { dtype: 'BOOL', shape: [2], data: new Uint8Array([1, 2]) } });
    expect(() => loadBytes(badBool)).toThrow(/not 0 or 1/);
  });

  it('rejects bad inputs on save', () => {
    const t = pg.ones([2]);
    t.dispose();
    expect(() => saveBytes({ t })).toThrow(/disposed/);
    expect(() => saveBytes({ t: 3 as unknown as pg.Tensor })).toThrow(/not a Tensor/);
  });
});

describe('files and blobs', () => {
  it('save(path) / load(path) and save(null) / load(bytes)', async () => {
    const sd = specials();
    const path = join(dir, 'model.safetensors');
    const bytes = await save(path, sd, { kind: 'test' });
    const back = await load(path);
    for (const k of Object.keys(sd)) expect(bits(back[k]), k).toEqual(bits(sd[k]));
    const noFile = await save(null, sd, { kind: 'test' });
    expect(noFile).toEqual(bytes);
    const fromBytes = await load(noFile);
    expect(bits(fromBytes.f64)).toEqual(bits(sd.f64));
    const fromBuffer = await load(noFile.slice().buffer);
    expect(bits(fromBuffer.i32)).toEqual(bits(sd.i32));
  });

  it('load rejects truncated, oversized and inconsistent files (safetensors errors)', async () => {
    const good = saveBytes({ a: pg.ones([4]), b: pg.zeros([2], { dtype: 'int32' }) });
    const cases: [string, Uint8Array, RegExp, object?][] = [
      ['truncated data', good.slice(0, good.length - 3), /safetensors: .*outside the .*data section/],
      ['truncated header', good.slice(0, 20), /safetensors: header length/],
      ['shorter than the length field', good.slice(0, 5), /safetensors: file is 5 bytes/],
      ['trailing bytes', new Uint8Array([...good, 0, 0, 0, 0]), /safetensors: hole in data section/],
      ['oversized file', good, /safetensors: file is \d+ bytes, larger than the limit/, { maxTotalBytes: 40 }],
    ];
    // Inconsistent: a header whose byte range does not match its dtype and shape.
    const header = new TextEncoder().encode('{"a":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}}');
    const bad = new Uint8Array(8 + header.length + 8);
    new DataView(bad.buffer).setUint32(0, header.length, true);
    bad.set(header, 8);
    cases.push(['inconsistent shape', bad, /safetensors: tensor "a": byte length 8 does not match F32\[3\]/]);
    const huge = good.slice();
    new DataView(huge.buffer).setUint32(4, 1, true); // header length >= 2^32
    cases.push(['oversized header', huge, /safetensors: header length \d+ exceeds the limit/]);
    for (const [name, bytes, re, opts] of cases) {
      const path = join(dir, `${name.replace(/ /g, '_')}.safetensors`);
      await writeFile(path, bytes);
      await expect(load(path, opts), name).rejects.toThrow(re);
      expect(() => loadBytes(bytes, opts), name).toThrow(re);
    }
    const before = pg.memory().tensors;
    await expect(load(join(dir, 'truncated_data.safetensors'))).rejects.toThrow();
    expect(pg.memory().tensors).toBe(before);
  });

  it('Blob round trip (browsers)', async () => {
    const sd = specials();
    const blob = await toBlob(sd, { v: '1' });
    expect(blob).toBeInstanceOf(Blob);
    expect(blob.size).toBe(saveBytes(sd, { v: '1' }).length);
    const back = await fromBlob(blob);
    for (const k of Object.keys(sd)) expect(bits(back[k]), k).toEqual(bits(sd[k]));
    const viaLoad = await load(blob);
    expect(bits(viaLoad.bool)).toEqual(bits(sd.bool));
  });
});

describe('training states', () => {
  it('flattens nested state to prefixed keys + a JSON skeleton, exactly invertible', () => {
    const w = pg.ones([2, 2]);
    const m = pg.zeros([2, 2]);
    const state = {
      model: { 'layer.0.weight': w },
      optimizer: { state: { '0': { step: 3, expAvg: m } }, paramGroups: [{ lr: 0.1, betas: [0.9, 0.999], params: [0] }] },
      generator: { seed: 2 ** 53 - 1, offset: 12 },
      step: 10,
      odd: { $tensor: 'not a tensor', $$x: -0, nan: NaN, inf: -Infinity, nil: null, s: 'ok', list: [1, [2, true]] },
    };
    const { tensors, skeleton } = flattenState(state);
    expect(Object.keys(tensors).sort()).toEqual(['model.layer.0.weight', 'optimizer.state.0.expAvg']);
    const back = unflattenState(tensors, skeleton) as typeof state;
    expect(back.model['layer.0.weight']).toBe(w);
    expect(back.odd.$tensor).toBe('not a tensor');
    expect(Object.is(back.odd.$$x, -0)).toBe(true);
    expect(back.odd.nan).toBeNaN();
    expect(back.odd.inf).toBe(-Infinity);
    expect(back.odd.list).toEqual([1, [2, true]]);
    expect(back.generator).toEqual({ seed: 2 ** 53 - 1, offset: 12 });
    // Through bytes: fresh tensors with the same bits.
    const loaded = loadTrainingState<typeof state>(saveTrainingState(state));
    expect(bits(loaded.optimizer.state['0'].expAvg)).toEqual(bits(m));
    expect(loaded.optimizer.paramGroups).toEqual(state.optimizer.paramGroups);
    expect(Object.is(loaded.odd.$$x, -0)).toBe(true);
  });

  it('rejects ambiguous or unsupported states and non-state files', () => {
    const t = pg.ones([1]);
    expect(() => flattenState({ a: { b: t }, 'a.b': t })).toThrow(/flatten to the key "a.b"/);
    expect(() => flattenState({ f: (() => 1) as unknown as number })).toThrow(/cannot store the function value at f/);
    expect(() => flattenState({ m: new Map() as unknown as number })).toThrow(/Map/);
    expect(() => loadTrainingState(saveBytes({ t }))).toThrow(/not a training state/);
    expect(() => unflattenState({}, '{"a":{"$tensor":"missing"}}')).toThrow(/missing tensor/);
    expect(() => unflattenState({ x: t }, '{"a":1}')).toThrow(/not referenced/);
  });

  it('files', async () => {
    const path = join(dir, 'state.safetensors');
    await saveTrainingStateFile(path, { model: { w: pg.ones([3]) }, step: 7 });
    const st = await loadTrainingStateFile<{ model: { w: pg.Tensor }; step: number }>(path);
    expect(st.step).toBe(7);
    expect(st.model.w.toArraySync()).toEqual([1, 1, 1]);
  });
});

// ------------------------------------------------------------------------------------------------
// Resuming is exact: 20 steps straight == 10 steps, save to bytes, rebuild everything, 10 steps.

interface Run {
  params: Record<string, pg.Tensor>;
  opt: Adam;
  sched: CosineAnnealingLR;
  loader: DataLoader<{ x: pg.Tensor; y: pg.Tensor }>;
  dropGen: pg.Generator;
  losses: number[];
}

const N = 40;
function dataset() {
  const g = new pg.Generator(42);
  const x = pg.randn([N, 3], { generator: g });
  const y = x.select(1, 0).mul(x.select(1, 1)).gt(0).int();
  return { x, y };
}

/** A fresh "process": new tensors, optimizer, schedule, generators and loader. */
function build(data: { x: pg.Tensor; y: pg.Tensor }, shared: boolean, seed: number): Run {
  const init = new pg.Generator(seed);
  const params = {
    w1: pg.randn([3, 16], { generator: init }).mul(0.5).requiresGrad_(),
    b1: pg.zeros([16], { requiresGrad: true }),
    w2: pg.randn([16, 2], { generator: init }).mul(0.5).requiresGrad_(),
    b2: pg.zeros([2], { requiresGrad: true }),
  };
  const opt = new Adam(Object.values(params), { lr: 0.02 });
  const sched = new CosineAnnealingLR(opt, { tMax: 20, etaMin: 0.001 });
  const dropGen = new pg.Generator(seed + 1);
  const loaderGen = shared ? dropGen : new pg.Generator(seed + 2);
  // 40 samples, batches of 6, dropLast: 6 batches an epoch, so step 10 is in the middle of epoch 2.
  const loader = new DataLoader({ dataset: data, batchSize: 6, shuffle: true, generator: loaderGen, dropLast: true });
  return { params, opt, sched, loader, dropGen, losses: [] };
}

function train(r: Run, steps: number): void {
  let done = 0;
  while (done < steps) {
    for (const b of r.loader) {
      const { w1, b1, w2, b2 } = r.params;
      const loss = pg.tidy(() => {
        let h = b.x.matmul(w1).add(b1).relu();
        h = pg.dropout(h, 0.3, { generator: r.dropGen });
        const logp = h.matmul(w2).add(b2).logSoftmax(-1);
        const l = logp.gather(1, b.y.unsqueeze(1)).neg().mean();
        l.backward();
        return l.itemSync();
      });
      r.losses.push(loss);
      r.opt.step();
      r.opt.zeroGrad();
      r.sched.step();
      b.dispose();
      if (++done === steps) break;
    }
  }
}

function snapshot(r: Run, step: number): Uint8Array {
  return saveTrainingState({
    model: r.params,
    optimizer: r.opt.stateDict(),
    scheduler: r.sched.stateDict(),
    generators: { dropout: r.dropGen.getState() },
    loader: r.loader.stateDict(),
    step,
  });
}

function restore(bytes: Uint8Array, data: { x: pg.Tensor; y: pg.Tensor }, shared: boolean): Run {
  // Different seeds: everything that matters must come from the bytes.
  const r = build(data, shared, 1000);
  const st = loadTrainingState<{
    model: Record<string, pg.Tensor>;
    optimizer: OptimizerStateDict;
    scheduler: SchedulerStateDict;
    generators: { dropout: { seed: number; offset: number } };
    loader: DataLoaderState;
    step: number;
  }>(bytes);
  expect(st.step).toBe(10);
  for (const k of Object.keys(r.params)) r.params[k].dispose();
  r.params = Object.fromEntries(Object.entries(st.model).map(([k, t]) => [k, t.requiresGrad_()]));
  r.opt = new Adam(['w1', 'b1', 'w2', 'b2'].map((k) => r.params[k]), { lr: 0.5 });
  r.opt.loadStateDict(st.optimizer);
  r.sched = new CosineAnnealingLR(r.opt, { tMax: 3 });
  r.sched.loadStateDict(st.scheduler);
  r.dropGen.setState(st.generators.dropout);
  r.loader.loadStateDict(st.loader);
  for (const s of Object.values(st.optimizer.state)) for (const v of Object.values(s)) if (v instanceof pg.Tensor) v.dispose();
  return r;
}

describe('resuming is exact', () => {
  for (const shared of [false, true]) {
    it(`Adam + cosine schedule + shuffled DataLoader + dropout (${shared ? 'one shared generator' : 'separate generators'})`, () => {
      const data = dataset();
      const straight = build(data, shared, 7);
      train(straight, 20);

      const first = build(data, shared, 7);
      train(first, 10);
      expect(first.loader.epoch).toBe(2);
      expect(first.loader.position).toBe(4);
      const bytes = snapshot(first, 10);
      const resumed = restore(bytes, data, shared);
      train(resumed, 10);

      expect(first.losses).toEqual(straight.losses.slice(0, 10));
      expect(resumed.losses).toEqual(straight.losses.slice(10));
      for (const k of ['w1', 'b1', 'w2', 'b2']) expect(bits(resumed.params[k]), k).toEqual(bits(straight.params[k]));
      expect(resumed.opt.paramGroups[0].lr).toBe(straight.opt.paramGroups[0].lr);
      expect(resumed.dropGen.getState()).toEqual(straight.dropGen.getState());
      expect(resumed.loader.stateDict()).toEqual(straight.loader.stateDict());
      // Training really moved the parameters (the comparison is not vacuous).
      expect(bits(straight.params.w1)).not.toEqual(bits(first.params.w1));

      for (const r of [straight, first, resumed]) {
        r.opt.dispose();
        for (const t of Object.values(r.params)) t.dispose();
      }
    });
  }
});
