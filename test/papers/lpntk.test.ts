import { describe, expect, it } from 'vitest';
import * as pg from '../../src/autograd/index.js';
import type { Tensor } from '../../src/autograd/index.js';
import { symmetricEigen } from '../../src/papers/common/jacobi.js';
import {
  clusterMembers,
  entk,
  farthestPointClustering,
  firstOrderDeltaP,
  initMLP,
  interactionScores,
  kernelArray,
  kernelDistance,
  logitJacobian,
  logitJacobianBatched,
  lpntk,
  mlpForward,
  numParams,
  pntk,
  redundantSamples,
  sgdStepDeltaP,
  signVector,
  softmaxJacobian,
  toFloat64Cpu,
} from '../../src/papers/lpntk/index.js';
import { validateResult } from '../../src/experiment/index.js';
import { CLAIM, FINDING, lpntkExperiment, SANITY } from '../../src/papers/lpntk/experiment.js';
import { expectChecksPass, expectReadmeNamesChecks, expectSameChecks } from '../helpers/claims.js';
import { rocAuc } from '../../src/papers/lpntk/training.js';

const arr = (t: Tensor): number[] => Array.from(t.dataSync() as ArrayLike<number>);

function smallModel(seed = 3, n = 5): { params: Tensor[]; x: Tensor; y: Tensor } {
  const g = new pg.Generator(seed);
  const params = toFloat64Cpu(initMLP([4, 6, 5, 3], g));
  const x = pg.randn([n, 4], { generator: g, dtype: 'float64', std: 0.5 });
  const y = pg.tensor(Int32Array.from({ length: n }, (_, i) => (i * 2) % 3), { dtype: 'int32' });
  return { params, x, y };
}

describe('lpntk: Jacobians and kernels', () => {
  it('logitJacobian matches central finite differences, and the batched version matches it exactly', () => {
    const { params, x } = smallModel();
    const J = logitJacobian(mlpForward, params, x);
    const P = numParams(params);
    expect(J.shape).toEqual([5, 3, P]);
    expect(J.dtype).toBe('float64');
    // Finite differences along a few coordinates of the flattened parameter vector.
    const Jd = arr(J);
    const offsets: number[] = [];
    let off = 0;
    for (const p of params) {
      offsets.push(off);
      off += p.size;
    }
    for (const flat of [0, 7, 30, offsets[2]! + 3, offsets[4]! + 11, P - 1]) {
      const pi = offsets.filter((o) => o <= flat).length - 1;
      const local = flat - offsets[pi]!;
      const h = 1e-6;
      const bump = (d: number): number[] => {
        const ps = params.map((p, i) => {
          if (i !== pi) return p;
          const v = Float64Array.from(p.dataSync() as Float64Array);
          v[local] += d;
          return pg.tensor(v, { shape: [...p.shape], dtype: 'float64' });
        });
        return arr(mlpForward(ps, x));
      };
      const zp = bump(h);
      const zm = bump(-h);
      for (let i = 0; i < 5; i++)
        for (let k = 0; k < 3; k++) expect(Jd[(i * 3 + k) * P + flat]!).toBeCloseTo((zp[i * 3 + k]! - zm[i * 3 + k]!) / (2 * h), 7);
    }
    const Jb = logitJacobianBatched(mlpForward, params, x, 2); // chunks of 2 rows: 2 + 2 + 1
    expect(arr(Jb)).toEqual(Jd);
  });

  it('entk: the K×K block is J(x) J(x′)ᵀ, and the set layout [na, nb, K, K] matches the pairs', () => {
    const { params, x } = smallModel();
    const J = logitJacobian(mlpForward, params, x);
    const all = arr(entk(J, J));
    for (const [i, j] of [[0, 0], [1, 3], [4, 2]] as const) {
      const Ji = J.select(0, i);
      const Jj = J.select(0, j);
      const b = arr(entk(Ji, Jj));
      const a = Ji.toArraySync() as number[][];
      const c = Jj.toArraySync() as number[][];
      for (let k = 0; k < 3; k++)
        for (let l = 0; l < 3; l++) {
          const dot = a[k]!.reduce((s, v, p) => s + v * c[l]![p]!, 0);
          expect(b[k * 3 + l]!).toBeCloseTo(dot, 10);
          expect(all[((i * 5 + j) * 3 + k) * 3 + l]!).toBeCloseTo(dot, 10);
        }
    }
  });

  it('signVector is 2·onehot − 1', () => {
    expect(signVector(pg.tensor([2, 0], { dtype: 'int32' }), 3).toArraySync()).toEqual([[-1, -1, 1], [1, -1, -1]]);
  });

  it('lpntk is s(y)ᵀ𝒦s(y′) and pntk is (1/K)·1ᵀ𝒦1, checked on hand-made Jacobians', () => {
    // Two samples, K = 2, P = 3: J_0 = [[1,0,2],[0,1,0]], J_1 = [[1,1,0],[2,0,1]].
    const J = pg.tensor([1, 0, 2, 0, 1, 0, 1, 1, 0, 2, 0, 1], { shape: [2, 2, 3], dtype: 'float64' });
    const y = pg.tensor([0, 1], { dtype: 'int32' });
    // g_i = s(y_i)ᵀ J_i: s(0) = (1, −1) → g_0 = (1, −1, 2); s(1) = (−1, 1) → g_1 = (1, −1, 1).
    expect(lpntk(J, y).toArraySync()).toEqual([[6, 4], [4, 3]]);
    // Σ_k ∇z_k: (1, 1, 2) and (3, 1, 1); pNTK = (1/2)·Gram.
    expect(pntk(J).toArraySync()).toEqual([[3, 3], [3, 5.5]]);
    // Against the block definition on a random model.
    const { params, x, y: yy } = smallModel(5, 4);
    const Jm = logitJacobian(mlpForward, params, x);
    const kap = arr(lpntk(Jm, yy));
    const pn = arr(pntk(Jm));
    const S = signVector(yy, 3).toArraySync() as number[][];
    const blocks = arr(entk(Jm, Jm));
    for (let i = 0; i < 4; i++)
      for (let j = 0; j < 4; j++) {
        let v = 0;
        let w = 0;
        for (let a = 0; a < 3; a++)
          for (let b = 0; b < 3; b++) {
            v += S[i]![a]! * blocks[((i * 4 + j) * 3 + a) * 3 + b]! * S[j]![b]!;
            w += blocks[((i * 4 + j) * 3 + a) * 3 + b]! / 3;
          }
        expect(kap[i * 4 + j]!).toBeCloseTo(v, 10);
        expect(pn[i * 4 + j]!).toBeCloseTo(w, 10);
      }
    // The cross-kernel form agrees with the square one.
    const cross = arr(lpntk(Jm.narrow(0, 0, 2), yy.narrow(0, 0, 2), Jm.narrow(0, 2, 2), yy.narrow(0, 2, 2)));
    expect(cross[1]!).toBeCloseTo(kap[0 * 4 + 3]!, 10);
  });

  it('softmaxJacobian is diag(p) − ppᵀ (closed form and finite differences)', () => {
    const z = pg.tensor([0.3, -1.2, 2.0], { dtype: 'float64' });
    const p = z.softmax(-1);
    const A = softmaxJacobian(p).toArraySync() as number[][];
    const pv = arr(p);
    for (let i = 0; i < 3; i++) {
      expect(A[i]!.reduce((s, v) => s + v, 0)).toBeCloseTo(0, 14);
      for (let j = 0; j < 3; j++) {
        expect(A[i]![j]!).toBeCloseTo((i === j ? pv[i]! : 0) - pv[i]! * pv[j]!, 14);
        const h = 1e-6;
        const zp = arr(z).map((v, k) => (k === j ? v + h : v));
        const zm = arr(z).map((v, k) => (k === j ? v - h : v));
        const fd = (arr(pg.tensor(zp, { dtype: 'float64' }).softmax(-1))[i]! - arr(pg.tensor(zm, { dtype: 'float64' }).softmax(-1))[i]!) / (2 * h);
        expect(A[i]![j]!).toBeCloseTo(fd, 8);
      }
    }
    expect(softmaxJacobian(pg.stack([p, p])).shape).toEqual([2, 3, 3]);
  });

  it('firstOrderDeltaP is η·A(x_o)·𝒦(x_o,x_u)·(e_yu − p(x_u)) and approximates a real SGD step', () => {
    const { params, x, y } = smallModel(7, 6);
    const J = logitJacobian(mlpForward, params, x);
    const p = pg.noGrad(() => mlpForward(params, x).softmax(-1));
    const u = 2;
    const yu = arr(y)[u]!;
    const eta = 0.05;
    const pred = firstOrderDeltaP(J, p, J.select(0, u), p.select(0, u), yu, eta);
    // Explicitly with the eNTK blocks.
    const K = entk(J, J.select(0, u).unsqueeze(0)).squeeze(1); // [6, 3, 3]
    const r = pg.tensor([0, 1, 2].map((k) => (k === yu ? 1 : 0)), { dtype: 'float64' }).sub(p.select(0, u));
    const explicit = softmaxJacobian(p).matmul(K.matmul(r.unsqueeze(-1))).squeeze(-1).mul(eta);
    expect(pg.testing.allclose(pred, explicit, { rtol: 1e-12, atol: 1e-15 })).toBe(true);
    // One real SGD step: the error falls about linearly with η.
    const err = (e: number): number => {
      const real = sgdStepDeltaP(mlpForward, params, x.narrow(0, u, 1), y.narrow(0, u, 1), e, x);
      const pr = firstOrderDeltaP(J, p, J.select(0, u), p.select(0, u), yu, e);
      return Math.sqrt(arr(pr.sub(real).square().sum())[0]! / arr(real.square().sum())[0]!);
    };
    const e1 = err(1e-2);
    const e2 = err(1e-3);
    expect(e1).toBeLessThan(0.05);
    expect(e1 / e2).toBeGreaterThan(5);
    expect(e1 / e2).toBeLessThan(20);
  });
});

describe('lpntk: using the kernel', () => {
  it('symmetricEigen (Jacobi): closed forms, invariants and eigenvectors', () => {
    expect(Array.from(symmetricEigen([2, 1, 1, 2], 2).values)).toEqual([1, 3]);
    const d = symmetricEigen([4, 0, 0, 0, -1, 0, 0, 0, 2], 3);
    expect(Array.from(d.values)).toEqual([-1, 2, 4]);
    // A random symmetric 6×6: trace, Frobenius norm and A v = λ v.
    const g = new pg.Generator(11);
    const B = pg.randn([6, 6], { generator: g, dtype: 'float64' });
    const A = arr(B.add(B.T));
    const e = symmetricEigen(A, 6, { vectors: true });
    const tr = [0, 1, 2, 3, 4, 5].reduce((s, i) => s + A[i * 7]!, 0);
    expect(e.values.reduce((s, v) => s + v, 0)).toBeCloseTo(tr, 12);
    expect(e.values.reduce((s, v) => s + v * v, 0)).toBeCloseTo(A.reduce((s, v) => s + v * v, 0), 10);
    for (let j = 0; j < 6; j++)
      for (let i = 0; i < 6; i++) {
        let av = 0;
        for (let k = 0; k < 6; k++) av += A[i * 6 + k]! * e.vectors![k * 6 + j]!;
        expect(av).toBeCloseTo(e.values[j]! * e.vectors![i * 6 + j]!, 10);
      }
    for (let i = 1; i < 6; i++) expect(e.values[i]!).toBeGreaterThanOrEqual(e.values[i - 1]!);
    expect(() => symmetricEigen([1, 2, 3, 4], 2)).toThrow(/not symmetric/);
  });

  it('kernelDistance and interactionScores on a hand-made kernel', () => {
    // Unit self-kernels: cosine = κ_ij.
    const k = new Float64Array([1, 0.5, -1, 0.5, 1, 0, -1, 0, 1]);
    const d = kernelDistance(k, 3);
    expect(d[1]).toBeCloseTo(1, 14); // √(2 − 1)
    expect(d[2]).toBeCloseTo(2, 14); // contradictory
    expect(d[0]).toBe(0);
    const s = interactionScores(k, 3);
    expect(Array.from(s)).toEqual([-0.25, 0.25, -0.5]);
  });

  it('farthestPointClustering picks the farthest points and assigns to the nearest centre', () => {
    // Points on a line: 0, 0.1, 0.2, 5, 5.1, 10.
    const xs = [0, 0.1, 0.2, 5, 5.1, 10];
    const n = xs.length;
    const dist = new Float64Array(n * n);
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) dist[i * n + j] = Math.abs(xs[i]! - xs[j]!);
    const c = farthestPointClustering(dist, n, { k: 3, start: 0 });
    expect(c.centres).toEqual([0, 5, 3]);
    expect(Array.from(c.assign)).toEqual([0, 0, 0, 2, 2, 1]);
    expect(clusterMembers(c)).toEqual([[0, 1, 2], [5], [3, 4]]);
    expect(c.radii.at(-1)).toBeCloseTo(0.2, 12);
    expect(redundantSamples(c)).toEqual([1, 2, 4]);
    // Stopping by radius: within 0.25 every point is covered after 3 centres.
    expect(farthestPointClustering(dist, n, { radius: 0.25, start: 0 }).centres.length).toBe(3);
    expect(farthestPointClustering(dist, n, { radius: 0.05, start: 0 }).centres.length).toBe(6);
  });

  it('rocAuc', () => {
    expect(rocAuc([0.1, 0.4, 0.35, 0.8], [false, true, false, true])).toBe(1);
    expect(rocAuc([0.1, 0.4, 0.35, 0.8], [true, false, true, false])).toBe(0);
    expect(rocAuc([1, 1, 1, 1], [true, false, true, false])).toBe(0.5);
  });

  it('kernelArray round-trips a float64 kernel', () => {
    const t = pg.tensor([1, 2, 2, 5], { shape: [2, 2], dtype: 'float64' });
    expect(Array.from(kernelArray(t))).toEqual([1, 2, 2, 5]);
  });
});

describe('lpntk: the experiment (quick, seed 0)', () => {
  it('every claim and sanity check passes; the poisoning-removal finding is measured', async () => {
    const live = pg.memory().tensors;
    const r = validateResult(await lpntkExperiment.run({ seed: 0, seeds: [0], mode: 'quick', device: 'cpu', onProgress: () => {} }), 'lpntk');
    // Everything the run made was disposed (≤: the GC safety net may free earlier tests' tensors meanwhile).
    expect(pg.memory().tensors).toBeLessThanOrEqual(live);
    expectSameChecks(r, lpntkExperiment);
    expectReadmeNamesChecks('lpntk', lpntkExperiment);
    expectChecksPass(r);
    const byName = new Map([...r.claims, ...(r.sanity ?? []), ...(r.findings ?? [])].map((c) => [c.name, c]));
    // The thresholds are the issue's.
    expect(byName.get(CLAIM.firstOrderError)!.threshold).toBe(0.02);
    expect(byName.get(SANITY.firstOrderLinear)!.threshold).toEqual([5, 20]);
    expect(byName.get(CLAIM.signAgreement)!.threshold).toBe(0.85);
    expect(byName.get(CLAIM.beatsPntk)!.threshold).toBe(0.2);
    expect(byName.get(CLAIM.flippedRecall)!.threshold).toBe(0.8);
    expect(byName.get(CLAIM.duplicateClusterPurity)!.threshold).toBe(0.8);
    expect(byName.get(CLAIM.pruningKeepsAccuracy)!.threshold).toBe(0.01);
    expect(byName.get(SANITY.kernelPsd)!.threshold).toBe(-1e-8);
    // Removing the poisoning samples is compared with removing as many random ones, from the same inits.
    const retrain = r.tables.find((t) => t.name.startsWith('retraining without samples'))!;
    expect(retrain.rows.map((row) => row[1])).toEqual([290, expect.any(Number), 290 - 29, 290 - 29]);
    const poison = byName.get(FINDING.removingPoisonBeatsRandom)!;
    expect(poison.value).toBeCloseTo((retrain.rows[2]![2] as number) - (retrain.rows[3]![2] as number), 12);
    // The forgetting result is reported (a table), not a claim.
    expect(r.tables.some((t) => t.name.startsWith('forgetting events'))).toBe(true);
    expect(r.series.length).toBeGreaterThanOrEqual(5);
  }, 240_000);
});
