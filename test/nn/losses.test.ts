// Losses against closed forms computed by hand (plain JS), PyTorch's conventions (class weights,
// ignoreIndex, label smoothing, soft targets, reductions), stability at ±1e4, and gradchecks.
import { describe, expect, it, vi } from 'vitest';
import * as pg from '../../src/index.js';
import {
  binaryCrossEntropy, binaryCrossEntropyWithLogits, cosineSimilarity, crossEntropy, huberLoss, klDiv, l1Loss, logSigmoid, mseLoss, nllLoss,
  smoothL1Loss,
} from '../../src/nn/losses.js';

// Generous limits: the suite runs in ~15 s on a quiet 2-core machine, but shared CI boxes can be 5x slower.
vi.setConfig({ testTimeout: 60_000 });
const arr = (t: pg.Tensor) => Array.from(t.dataSync());
const close = (a: pg.Tensor | number[] | number, b: number[] | number, tol = 1e-5) =>
  pg.testing.assertClose(typeof a === 'number' ? [a] : a, typeof b === 'number' ? [b] : b, { rtol: tol, atol: tol });

/** log-softmax of each row, in plain JS (float64). */
const logSoftmaxRows = (rows: number[][]) =>
  rows.map((r) => {
    const m = Math.max(...r);
    const lse = m + Math.log(r.reduce((a, v) => a + Math.exp(v - m), 0));
    return r.map((v) => v - lse);
  });

const L = [[1, 2, 3], [1, 1, 1], [0, 0.5, 5], [-1, 2, 0.25]];
const LP = logSoftmaxRows(L);
const g = new pg.Generator(5);
const r64 = (...s: number[]) => pg.randn(s, { generator: g, dtype: 'float64' });

describe('crossEntropy with class targets', () => {
  it('mean / sum / none equal -log softmax at the target', () => {
    const y = [2, 0, 1, 1];
    const per = y.map((c, n) => -LP[n][c]);
    const logits = pg.tensor(L), t = pg.tensor(y, { dtype: 'int32' });
    close(crossEntropy(logits, t), per.reduce((a, b) => a + b) / 4);
    close(crossEntropy(logits, t, { reduction: 'sum' }), per.reduce((a, b) => a + b));
    close(crossEntropy(logits, t, { reduction: 'none' }), per);
    close(nllLoss(logits.logSoftmax(1), t, { reduction: 'none' }), per);
    close(crossEntropy(pg.tensor([1, 2, 3]), pg.tensor(2, { dtype: 'int32' })), -LP[0][2]); // unbatched [C]
  });
  it("class weights and ignoreIndex follow PyTorch's weighted mean", () => {
    const y = [2, 0, -100, 1];
    const w = [1, 2, 3];
    const num = 3 * -LP[0][2] + 1 * -LP[1][0] + 2 * -LP[3][1];
    const den = 3 + 1 + 2;
    const logits = pg.tensor(L), t = pg.tensor(y, { dtype: 'int32' }), wt = pg.tensor(w);
    close(crossEntropy(logits, t, { weight: wt }), num / den);
    close(crossEntropy(logits, t, { weight: wt, reduction: 'sum' }), num);
    close(crossEntropy(logits, t, { weight: wt, reduction: 'none' }), [3 * -LP[0][2], 1 * -LP[1][0], 0, 2 * -LP[3][1]]);
    // without weights, 'mean' averages over the non-ignored targets only
    close(crossEntropy(logits, t), (-LP[0][2] - LP[1][0] - LP[3][1]) / 3);
    // a custom ignoreIndex
    close(crossEntropy(logits, pg.tensor([2, 0, 1, 1], { dtype: 'int32' }), { ignoreIndex: 1 }), (-LP[0][2] - LP[1][0]) / 2);
    // all ignored: NaN, as PyTorch (0 / 0)
    expect(Number.isNaN(crossEntropy(logits, pg.full([4], -100, { dtype: 'int32' })).itemSync())).toBe(true);
  });
  it('label smoothing: (1 - eps) * nll + (eps / C) * sum_c(-w_c logp_c), reduced like nll', () => {
    const eps = 0.2, C = 3;
    const y = [2, 0, 1, 1];
    const plain = y.map((c, n) => (1 - eps) * -LP[n][c] + (eps / C) * -LP[n].reduce((a, b) => a + b));
    const logits = pg.tensor(L), t = pg.tensor(y, { dtype: 'int32' });
    close(crossEntropy(logits, t, { labelSmoothing: eps, reduction: 'none' }), plain);
    close(crossEntropy(logits, t, { labelSmoothing: eps }), plain.reduce((a, b) => a + b) / 4);
    // equals the soft-target loss with q = (1 - eps) onehot + eps / C
    const q = y.map((c) => [0, 1, 2].map((k) => (k === c ? 1 - eps : 0) + eps / C));
    close(crossEntropy(logits, pg.tensor(q)), plain.reduce((a, b) => a + b) / 4);
    // with weights and an ignored target: both parts divided by the sum of the targets' weights
    const w = [1, 2, 3];
    const yi = [2, -100, 0, 1];
    const kept = [0, 2, 3];
    const nll = kept.reduce((a, n) => a + w[yi[n]] * -LP[n][yi[n]], 0);
    const smooth = kept.reduce((a, n) => a + LP[n].reduce((s, v, c) => s - w[c] * v, 0), 0);
    const den = kept.reduce((a, n) => a + w[yi[n]], 0);
    const want = (1 - eps) * (nll / den) + (eps / C) * (smooth / den);
    close(crossEntropy(logits, pg.tensor(yi, { dtype: 'int32' }), { weight: pg.tensor(w), labelSmoothing: eps }), want);
    close(crossEntropy(logits, pg.tensor(yi, { dtype: 'int32' }), { weight: pg.tensor(w), labelSmoothing: eps, reduction: 'sum' }), (1 - eps) * nll + (eps / C) * smooth);
  });
  it('[N, C, d1, d2] inputs equal the flattened [N*d1*d2, C] problem', () => {
    const logits = pg.randn([2, 3, 2, 2], { generator: g });
    const t = pg.randint(0, 3, [2, 2, 2], { generator: g });
    const flat = logits.permute(0, 2, 3, 1).reshape([-1, 3]);
    close(crossEntropy(logits, t), arr(crossEntropy(flat, t.reshape([-1]))));
    close(crossEntropy(logits, t, { reduction: 'none' }), arr(crossEntropy(flat, t.reshape([-1]), { reduction: 'none' })));
    expect(crossEntropy(logits, t, { reduction: 'none' }).shape).toEqual([2, 2, 2]);
    const soft = pg.randn([2, 3, 2, 2], { generator: g }).softmax(1);
    close(crossEntropy(logits, soft), arr(crossEntropy(flat, soft.permute(0, 2, 3, 1).reshape([-1, 3]))));
    expect(() => crossEntropy(logits, pg.zeros([2, 2], { dtype: 'int32' }))).toThrow(/needs target \[2, 2, 2\]/);
  });
  it('soft targets with class weights: mean divides by the number of samples', () => {
    const q = [[0.2, 0.3, 0.5], [1, 0, 0]];
    const w = [1, 2, 0.5];
    const per = q.map((row, n) => -row.reduce((a, p, c) => a + w[c] * p * LP[n][c], 0));
    close(crossEntropy(pg.tensor(L.slice(0, 2)), pg.tensor(q), { weight: pg.tensor(w) }), (per[0] + per[1]) / 2);
  });
  it('is stable at ±1e4: exact values and finite gradients', () => {
    const logits = pg.tensor([[1e4, -1e4, 0], [-1e4, -1e4, 1e4], [1e4, 1e4, -1e4]], { requiresGrad: true });
    const t = pg.tensor([1, 2, 0], { dtype: 'int32' });
    const loss = crossEntropy(logits, t, { reduction: 'none' });
    close(loss, [2e4, 0, Math.LN2], 1e-3); // 1e4 + ln 2 rounds to float32 (ulp 1e-3)
    crossEntropy(logits, t, { labelSmoothing: 0.1 }).backward();
    expect(arr(logits.grad!).every(Number.isFinite)).toBe(true);
    const soft = pg.tensor([[0, 1, 0], [0, 0, 1], [0.5, 0.5, 0]]);
    const s = crossEntropy(logits, soft, { reduction: 'none' });
    close(s, [2e4, 0, Math.LN2], 1e-3);
  });
  it('gradchecks: class targets with weights, ignoreIndex and smoothing; soft targets', () => {
    const t = pg.tensor([2, -100, 0, 1, 1], { dtype: 'int32' });
    const w = pg.tensor([0.5, 2, 1], { dtype: 'float64' });
    pg.testing.gradcheck((x) => crossEntropy(x, t, { weight: w, labelSmoothing: 0.1 }), [r64(5, 3)]);
    pg.testing.gradcheck((x) => crossEntropy(x, t, { reduction: 'none' }), [r64(5, 3)]);
    const soft = pg.rand([4, 3], { generator: g, dtype: 'float64' }).softmax(1);
    pg.testing.gradcheck((x, q) => crossEntropy(x, q, { labelSmoothing: 0.2 }), [r64(4, 3), soft]);
    pg.testing.gradcheck((x) => nllLoss(x, pg.tensor([[0, 2]], { dtype: 'int32' })), [r64(1, 3, 2)]);
  });
});

describe('regression losses', () => {
  const x = pg.tensor([0.5, -2, 3, 1]), y = pg.tensor([0, 0, 0, 1]);
  it('mse, l1', () => {
    close(mseLoss(x, y), (0.25 + 4 + 9 + 0) / 4);
    close(mseLoss(x, y, { reduction: 'sum' }), 13.25);
    close(l1Loss(x, y, { reduction: 'none' }), [0.5, 2, 3, 0]);
    close(l1Loss(x, y), 5.5 / 4);
    expect(() => mseLoss(x, pg.zeros([1]))).toThrow(/differ in shape/);
  });
  it('huber and smooth L1 in both regimes', () => {
    close(huberLoss(x, y, { reduction: 'none' }), [0.125, 1.5, 2.5, 0]);
    close(huberLoss(x, y, { delta: 2, reduction: 'none' }), [0.125, 2, 4, 0]);
    close(smoothL1Loss(x, y, { beta: 2, reduction: 'none' }), [0.0625, 1, 2, 0]);
    close(huberLoss(x, y), (0.125 + 1.5 + 2.5) / 4);
  });
  it('gradchecks (away from the kinks)', () => {
    const a = pg.tensor([0.3, -1.7, 2.5, -0.2], { dtype: 'float64' }), b = pg.tensor([0, 0.1, -0.4, 0.5], { dtype: 'float64' });
    pg.testing.gradcheck((p, q) => mseLoss(p, q), [a, b]);
    pg.testing.gradcheck((p, q) => l1Loss(p, q), [a, b]);
    pg.testing.gradcheck((p, q) => huberLoss(p, q, { delta: 1.5 }), [a, b]);
  });
});

describe('binary losses', () => {
  it('binaryCrossEntropy on probabilities, with the log clamped at -100', () => {
    const p = pg.tensor([0.2, 0.9, 0, 1, 0], { requiresGrad: true }), y = pg.tensor([0, 1, 0, 1, 1]);
    close(binaryCrossEntropy(p, y, { reduction: 'none' }), [-Math.log(0.8), -Math.log(0.9), 0, 0, 100], 1e-4);
    binaryCrossEntropy(p, y).backward();
    expect(arr(p.grad!).every(Number.isFinite)).toBe(true);
    close(binaryCrossEntropy(pg.tensor([0.2, 0.9]), pg.tensor([0, 1]), { weight: pg.tensor([2, 1]), reduction: 'sum' }), -2 * Math.log(0.8) - Math.log(0.9));
    pg.testing.gradcheck((q) => binaryCrossEntropy(q, pg.tensor([0, 1, 0.3], { dtype: 'float64' })), [pg.tensor([0.2, 0.7, 0.5], { dtype: 'float64' })]);
  });
  it('binaryCrossEntropyWithLogits equals BCE(sigmoid(x)) and handles posWeight', () => {
    const xs = [-1, 0, 2], ys = [0, 0.5, 1];
    const s = (v: number) => 1 / (1 + Math.exp(-v));
    const plain = xs.map((v, i) => -(ys[i] * Math.log(s(v)) + (1 - ys[i]) * Math.log(1 - s(v))));
    close(binaryCrossEntropyWithLogits(pg.tensor(xs), pg.tensor(ys), { reduction: 'none' }), plain);
    const pw = xs.map((v, i) => -(3 * ys[i] * Math.log(s(v)) + (1 - ys[i]) * Math.log(1 - s(v))));
    close(binaryCrossEntropyWithLogits(pg.tensor(xs), pg.tensor(ys), { posWeight: 3, reduction: 'none' }), pw);
    close(binaryCrossEntropyWithLogits(pg.tensor([xs]), pg.tensor([ys]), { posWeight: pg.tensor([3, 3, 3]), reduction: 'none' }), pw);
    pg.testing.gradcheck((x, y) => binaryCrossEntropyWithLogits(x, y, { posWeight: pg.tensor([1, 2, 0.5], { dtype: 'float64' }) }), [r64(2, 3), pg.rand([2, 3], { generator: g, dtype: 'float64' })]);
  });
  it('binaryCrossEntropyWithLogits and logSigmoid are exact and finite at ±1e4', () => {
    const x = pg.tensor([1e4, -1e4, 1e4, -1e4], { requiresGrad: true }), y = pg.tensor([1, 0, 0, 1]);
    close(binaryCrossEntropyWithLogits(x, y, { reduction: 'none' }), [0, 0, 1e4, 1e4]);
    binaryCrossEntropyWithLogits(x, y, { posWeight: 2 }).backward();
    close(x.grad!, [0, 0, 0.25, -0.5]); // (sigmoid(x) (1 + (pw - 1) y) - pw y) / 4
    const z = pg.tensor([-1e4, 0, 1e4], { requiresGrad: true });
    const ls = logSigmoid(z);
    close(ls, [-1e4, -Math.LN2, 0]);
    ls.sum().backward();
    close(z.grad!, [1, 0.5, 0]);
    pg.testing.gradcheck((v) => logSigmoid(v), [r64(5)]);
  });
});

describe('klDiv', () => {
  it("PyTorch's convention: input = log q, target = p, pointwise p (log p - log q)", () => {
    const p = [[0.5, 0.5, 0], [0.1, 0.2, 0.7]], q = [[0.25, 0.5, 0.25], [0.3, 0.3, 0.4]];
    const kl = p.map((row, n) => row.reduce((a, pi, c) => a + (pi > 0 ? pi * Math.log(pi / q[n][c]) : 0), 0));
    const logq = pg.tensor(q).log(), pt = pg.tensor(p);
    close(klDiv(logq, pt, { reduction: 'batchmean' }), (kl[0] + kl[1]) / 2);
    close(klDiv(logq, pt, { reduction: 'sum' }), kl[0] + kl[1]);
    close(klDiv(logq, pt), (kl[0] + kl[1]) / 6); // 'mean' = per element
    close(klDiv(logq, pt, { reduction: 'none' }).sum(1), kl);
    close(klDiv(logq, pt.log(), { logTarget: true, reduction: 'batchmean' }), (kl[0] + kl[1]) / 2); // log 0 = -inf counts as 0
    // KL(p || q) = crossEntropy(p, q) - H(p)
    const ce = crossEntropy(logq, pt, { reduction: 'none' }); // log q is a valid logit vector
    const H = p.map((row) => -row.reduce((a, v) => a + (v > 0 ? v * Math.log(v) : 0), 0));
    close(ce, kl.map((k, i) => k + H[i]));
  });
  it('zero targets and large logits stay finite; gradchecks', () => {
    const x = pg.tensor([[1e4, -1e4, 0]], { requiresGrad: true });
    const t = pg.tensor([[0, 1, 0]], { requiresGrad: true });
    const l = klDiv(x.logSoftmax(1), t, { reduction: 'batchmean' });
    close(l, 2e4);
    l.backward();
    expect([...arr(x.grad!), ...arr(t.grad!)].every(Number.isFinite)).toBe(true);
    const lt = pg.tensor([[0, 1, 0]]).log().requiresGrad_(); // log 0 = -inf with logTarget
    const x2 = pg.tensor([[1e4, -1e4, 0]], { requiresGrad: true });
    const l2 = klDiv(x2.logSoftmax(1), lt, { logTarget: true, reduction: 'sum' });
    close(l2, 2e4);
    l2.backward();
    expect([...arr(x2.grad!), ...arr(lt.grad!)].every(Number.isFinite)).toBe(true);
    const p = pg.rand([3, 4], { generator: g, dtype: 'float64', low: 0.1, high: 1 });
    pg.testing.gradcheck((a, b) => klDiv(a.logSoftmax(1), b, { reduction: 'batchmean' }), [r64(3, 4), p]);
    pg.testing.gradcheck((a, b) => klDiv(a.logSoftmax(1), b.logSoftmax(1), { logTarget: true }), [r64(3, 4), r64(3, 4)]);
  });
});

describe('cosineSimilarity', () => {
  it('computes cos along the last dim', () => {
    close(cosineSimilarity(pg.tensor([[1, 0], [1, 1]]), pg.tensor([[0, 1], [2, 2]])), [0, 1]);
  });
});
