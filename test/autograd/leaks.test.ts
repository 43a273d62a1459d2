// No op leaves tensors behind: outside any tidy scope, an op's intermediates (scalar operands,
// casts, the steps of a composite like softmax) are freed when it returns, so only the result is
// left alive. With gradients on, what backward needs is held by the graph and freed by backward.
import { describe, expect, it } from 'vitest';
import * as pg from '../../src/index.js';

/** Tensors reachable from an op's result (a tensor, an array or a plain object of them). */
function count(r: unknown): number {
  if (r instanceof pg.Tensor) return 1;
  if (Array.isArray(r)) return r.reduce((s: number, v) => s + count(v), 0);
  if (r && typeof r === 'object') return Object.values(r).reduce((s: number, v) => s + count(v), 0);
  return 0;
}

function disposeAll(r: unknown): void {
  if (r instanceof pg.Tensor) r.dispose();
  else if (Array.isArray(r)) r.forEach(disposeAll);
  else if (r && typeof r === 'object') Object.values(r).forEach(disposeAll);
}

const g = new pg.Generator(0);
const x = pg.randn([4, 6], { generator: g });
const img = pg.randn([2, 3, 8, 8], { generator: g });
const w = pg.randn([4, 3, 3, 3], { generator: g });
const ids = pg.tensor([[0, 2], [1, 3]], { dtype: 'int32' });
const table = pg.randn([5, 6], { generator: g });
const col = pg.tensor([[0], [1], [2], [3]], { dtype: 'int32' });
const pick = pg.tensor([0, 2], { dtype: 'int32' });
const mask = x.gt(0);
const v6 = pg.ones([6]);
const probs = pg.ones([2, 4]);
const half = pg.full([3], 0.5);
const ones41 = pg.ones([4, 1]);
const ones23 = pg.ones([2, 3]);
const z46 = pg.zeros([4, 6]);
const xT = x.T;
const target = pg.tensor([0, 5, 2, 3], { dtype: 'int32' });
const y01 = pg.rand([4, 6], { generator: g }).gt(0.5).float();
const pT = pg.rand([4, 6], { generator: g });

/** [name, op on (x, and the fixtures above)]; x may require grad. */
const CASES: [string, (x: pg.Tensor) => unknown][] = [
  ['add scalar', (x) => x.add(1)], ['mul scalar', (x) => x.mul(2)], ['sub', (x) => x.sub(x)], ['div scalar', (x) => x.div(3)],
  ['pow scalar', (x) => x.pow(2)], ['scalar - x', (x) => pg.sub(1, x)], ['int32 + 0.5', () => ids.add(0.5)],
  ['where with a scalar', (x) => pg.where(mask, x, 0)], ['maskedFill', (x) => x.maskedFill(mask, 1)], ['clamp', (x) => x.clamp(-0.5, 0.5)],
  ['maximum scalar', (x) => x.maximum(0)], ['softmax', (x) => x.softmax(-1)], ['logSoftmax', (x) => x.logSoftmax(-1)],
  ['var', (x) => x.var(1)], ['std', (x) => x.std(1)], ['logsumexp', (x) => x.logsumexp(1)], ['mean', (x) => x.mean(1)],
  ['mean of int32', () => ids.mean()], ['prod', (x) => x.prod(1)], ['cumsum', (x) => x.cumsum(1)], ['max', (x) => x.max(1)],
  ['argmax', (x) => x.argmax(1)], ['sum', (x) => x.sum()], ['gelu', (x) => x.gelu()], ['gelu tanh', (x) => x.gelu({ approximate: 'tanh' })], ['erf', (x) => x.erf()], ['sigmoid', (x) => x.sigmoid()],
  ['logicalNot of float', (x) => x.logicalNot()], ['matmul', (x) => x.matmul(xT)], ['matmul with a vector', (x) => x.matmul(v6)],
  ['matmul int32 @ float', () => ids.matmul(ones23)],
  ['conv2d', () => pg.conv2d(img, w, null, { padding: 1 })], ['maxPool2d', () => pg.maxPool2d(img, 2)], ['avgPool2d', () => pg.avgPool2d(img, 2)],
  // (inside a tidy: the test's own reshape of x is not the op's to free)
  ['maxPool2d returnIndices', (x) => pg.tidy(() => pg.maxPool2d(x.reshape(1, 1, 4, 6), 3, { stride: 2, padding: 1, ceilMode: true, returnIndices: true }))],
  ['avgPool2d countIncludePad false', (x) => pg.tidy(() => pg.avgPool2d(x.reshape(1, 1, 4, 6), 3, { stride: 2, padding: 1, ceilMode: true, countIncludePad: false }))],
  ['maxUnpool2d', (x) => pg.tidy(() => { const r = pg.maxPool2d(x.reshape(1, 2, 2, 6), 2, { stride: 1, returnIndices: true }); return pg.maxUnpool2d(r.values, r.indices, 2, { stride: 1 }); })],
  ['dropout2d', (x) => pg.tidy(() => pg.dropout2d(x.reshape(2, 2, 6), 0.5, { generator: g }))],
  ['dropout', (x) => pg.dropout(x, 0.5, { generator: g })], ['embedding', () => pg.embedding(ids, table)], ['oneHot', () => pg.oneHot(ids, 5)],
  ['indexSelect', (x) => x.indexSelect(1, pick)], ['gather', (x) => x.gather(1, col)], ['sort', (x) => x.sort(1)], ['topk', (x) => x.topk(2, 1)],
  ['cat', (x) => pg.cat([x, x], 0)], ['stack', (x) => pg.stack([x, x], 0)], ['split', (x) => x.split(2, 1)], ['chunk', (x) => x.chunk(3, 1)],
  ['pad', (x) => x.pad([1, 1])], ['flip', (x) => x.flip(0)], ['repeat', (x) => x.repeat(2, 1)], ['flatten', () => img.flatten(1)],
  ['expand', (x) => x.expand(3, 4, 6)], ['transpose', (x) => x.transpose(0, 1)], ['contiguous', () => xT.contiguous()],
  ['scatterAdd', () => z46.scatterAdd(1, col, ones41)],
  ['rand', () => pg.rand([3], { generator: g })], ['randn', () => pg.randn([3], { generator: g })], ['randint', () => pg.randint(0, 4, [3], { generator: g })],
  ['bernoulli', () => pg.bernoulli(half, { generator: g })], ['randperm', () => pg.randperm(5, { generator: g })],
  ['multinomial', () => pg.multinomial(probs, 2, { generator: g })], ['linspace', () => pg.linspace(0, 1, 5)], ['eye', () => pg.eye(3)],
  ['arange', () => pg.arange(5)], ['full', () => pg.full([2], 3)],
  // pg.nn losses are compositions too
  ['crossEntropy', (x) => pg.nn.crossEntropy(x, target, { labelSmoothing: 0.1 })], ['nllLoss', (x) => pg.nn.nllLoss(x, target)],
  ['mseLoss', (x) => pg.nn.mseLoss(x, pT)], ['l1Loss', (x) => pg.nn.l1Loss(x, pT)], ['huberLoss', (x) => pg.nn.huberLoss(x, pT)],
  ['smoothL1Loss', (x) => pg.nn.smoothL1Loss(x, pT)], ['logSigmoid', (x) => pg.nn.logSigmoid(x)],
  ['binaryCrossEntropyWithLogits', (x) => pg.nn.binaryCrossEntropyWithLogits(x, y01)], ['binaryCrossEntropy', () => pg.nn.binaryCrossEntropy(pT, y01)],
  ['klDiv', (x) => pg.nn.klDiv(x, pT, { reduction: 'batchmean' })], ['cosineSimilarity', (x) => pg.nn.cosineSimilarity(x, pT)],
];

describe('no op leaves intermediate tensors alive', () => {
  for (const [name, op] of CASES) {
    it(name, () => {
      const before = pg.memory();
      const r = op(x);
      expect(pg.memory().tensors - before.tensors).toBe(count(r));
      disposeAll(r);
      expect(pg.memory()).toEqual(before);
    });
  }
});

describe('with gradients on, backward frees what the graph held', () => {
  for (const [name, op] of CASES) {
    it(name, () => {
      const xg = x.detach().requiresGrad_();
      const before = pg.memory();
      const r = op(xg);
      const outs: pg.Tensor[] = [];
      const walk = (v: unknown) => { if (v instanceof pg.Tensor) outs.push(v); else if (v && typeof v === 'object') Object.values(v).forEach(walk); };
      walk(r);
      const diff = outs.filter((t) => t.requiresGrad && (t.dtype === 'float32' || t.dtype === 'float64'));
      if (diff.length) pg.tidy(() => pg.stack(diff.map((t) => t.sum())).sum().backward());
      disposeAll(r);
      xg.grad?.dispose();
      xg.zeroGrad_();
      // x's detached alias is the one extra tensor left; dispose it and everything is back.
      xg.dispose();
      const after = pg.memory();
      expect(after.tensors).toBe(before.tensors - 1);
      expect(after.storages).toBe(before.storages);
    });
  }
});

describe('built-in layers leave only their output alive (no grad), and backward frees the rest', () => {
  const gm = () => new pg.Generator(4);
  const MODULES: [string, () => pg.nn.Module, pg.Tensor | (() => pg.Tensor)][] = [
    ['Linear', () => new pg.nn.Linear(6, 5, { generator: gm() }), x],
    ['Conv2d', () => new pg.nn.Conv2d(3, 4, 3, { padding: 1, generator: gm() }), img],
    ['Embedding', () => new pg.nn.Embedding(5, 6, { generator: gm() }), ids],
    ['LayerNorm', () => new pg.nn.LayerNorm(6), x],
    ['RMSNorm', () => new pg.nn.RMSNorm(6), x],
    ['BatchNorm1d (train: running stats update)', () => new pg.nn.BatchNorm1d(6), x],
    ['BatchNorm2d (eval)', () => new pg.nn.BatchNorm2d(3).eval(), img],
    ['Dropout', () => new pg.nn.Dropout(0.5, { generator: gm() }), x],
    ['MLP', () => new pg.nn.MLP([6, 8, 3], { generator: gm() }), x],
    ['MultiHeadAttention (causal, recording weights)', () => { const m = new pg.nn.MultiHeadAttention(6, 2, { causal: true, generator: gm() }); m.recordWeights = true; return m; }, () => x.reshape(2, 2, 6)],
    ['TransformerBlock', () => new pg.nn.TransformerBlock(6, 2, { generator: gm() }), () => x.reshape(2, 2, 6)],
    ['TransformerBlock (post-LN, ReLU, activation dropout)', () => new pg.nn.TransformerBlock(6, 2, { normFirst: false, activation: 'relu', dropout: 0.1, activationDropout: 0.1, generator: gm() }), () => x.reshape(2, 2, 6)],
    ['MaxPool2d (ceilMode)', () => new pg.nn.MaxPool2d(3, { stride: 2, padding: 1, ceilMode: true }), img],
    ['AvgPool2d (countIncludePad false)', () => new pg.nn.AvgPool2d(3, { stride: 2, padding: 1, countIncludePad: false }), img],
    ['Dropout2d', () => new pg.nn.Dropout2d(0.5, { generator: gm() }), img],
    ['Flatten', () => new pg.nn.Flatten(), img],
    ['GPT', () => new pg.nn.GPT({ vocabSize: 5, dModel: 8, nHeads: 2, nLayers: 1, maxLen: 4, generator: gm() }), ids],
  ];
  for (const [name, make, input] of MODULES) {
    it(name, () => {
      const m = make();
      const inp = typeof input === 'function' ? input() : input;
      // One forward first: lastWeights and similar per-call state exist from then on.
      pg.tidy(() => { pg.noGrad(() => m.forward(inp)); });
      const before = pg.memory();
      const y0 = pg.noGrad(() => m.forward(inp) as pg.Tensor);
      expect(pg.memory().tensors - before.tensors).toBe(1);
      y0.dispose();
      // With gradients, the graph holds aliases until backward has run.
      const y = m.forward(inp) as pg.Tensor;
      if (y.requiresGrad) pg.tidy(() => y.float().square().mean().backward());
      y.dispose();
      m.zeroGrad();
      expect(pg.memory()).toEqual(before);
    });
  }
});
