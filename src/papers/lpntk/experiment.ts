/**
 * The lpNTK experiment: a seeded 3-class Gaussian mixture in 10 dimensions with 5% flipped labels
 * and planted near-duplicate groups, an MLP 10-64-64-3 (NTK parameterisation, GELU) trained with
 * plain SGD, and the paper's claims measured on it, one function per part of the paper:
 *
 *   makeData                 the data set (mixture, planted duplicates, flipped labels)
 *   trainReference           plain SGD; the checkpoint where the kernels are taken; correctness history
 *   kernelsAt                per-sample logit Jacobians, lpNTK and pNTK (float64)
 *   firstOrderInteraction    §3: Δp(x_o) ≈ η·A(x_o)·𝒦(x_o, x_u)·(e_{y_u} − p(x_u)) against one real SGD step
 *   interactionSigns         lpNTK's sign against the exact interaction, and pNTK's
 *   kernelStructure          symmetry and positive semi-definiteness of the lpNTK Gram matrix
 *   poisoningSamples         the lowest-scoring samples (most contradicted by the others): the flipped labels
 *   redundantSamples         farthest-point clustering on lpNTK: the planted duplicates
 *   retrainWithout           removing the redundant samples, the poisoning samples, as many random samples
 *   copiesExperiment         interchangeable vs contradictory copies of a sample
 *   forgettingEvents         forgetting events predicted by the lowest scores (reported)
 *
 * then checks(), tables() and figures() read the outcome. See README.md.
 */
import * as pg from '../../autograd/index.js';
import type { Tensor } from '../../autograd/index.js';
import { check, type Checks, type ClaimCheck, type Experiment, type Result, type RunOptions, type Series, type Table } from '../../experiment/index.js';
import { gaussianMixture, injectLabelNoise, plantNearDuplicates } from '../../nn/data/index.js';
import { mean } from '../../nn/stats.js';
import { breathe } from '../common/event-loop.js';
import { checkOnMean, valuesOf } from '../common/seeds.js';
import { symmetricEigen } from '../common/jacobi.js';
import { drawSeed, permutation } from '../common/random.js';
import {
  CONFIG,
  clusterMembers,
  entk,
  farthestPointClustering,
  firstOrderDeltaP,
  interactionScores,
  kernelArray,
  kernelDistance,
  logitJacobian,
  logitJacobianBatched,
  lpntk,
  mlpForward,
  pntk,
  crossEntropy,
  redundantSamples as redundantOf,
  sgdStep,
} from './index.js';
import {
  accuracy,
  cloneParams,
  correctness,
  disposeAll,
  indexTensor,
  initParams,
  prf,
  purity,
  rocAuc,
  snapshot,
  trainSGD,
  type LabelledSet,
} from './training.js';

// ---------------------------------------------------------------- settings

export const DATA = {
  numClasses: 3,
  dim: 10,
  /** Class std σ and distance between every pair of class means (4σ: pairwise Bayes error Φ(−2) ≈ 2.3%). */
  std: 0.15,
  separation: 0.6,
  /** Fraction of flipped labels (symmetric noise, applied after the duplicates are planted). */
  noiseRate: 0.05,
  /** Std of the perturbation of each planted near-duplicate (0.05σ). */
  dupNoise: 0.0075,
};

export const TRAIN = { batch: 16, lr: 3 };

export interface LpntkSettings {
  nBase: number;
  nTest: number;
  groups: number;
  copies: number;
  /** Epochs of the main SGD run; the kernels are taken after refEpoch of them. */
  mainEpochs: number;
  refEpoch: number;
  /** Updated samples in the first-order check. */
  firstOrderUpdates: number;
  /** Updated samples u in the exact-interaction sign test (every other sample is observed). */
  signUpdates: number;
  /** Steps between correctness checks after refEpoch (forgetting events). */
  evalEvery: number;
  /** Full-set epochs of the retraining comparisons (every reduced set gets the same number of steps), their batch, and inits averaged. */
  pruneEpochs: number;
  pruneBatch: number;
  pruneRuns: number;
  /** Class counts for which the sign agreement is re-measured on a fresh data set and model (reported only). */
  otherK: number[];
  copyTargets: number;
  copyBase: number;
  copyCounts: number[];
  copySteps: number;
  heatmapRows: number;
}

export const SETTINGS: Record<'quick' | 'full', LpntkSettings> = {
  quick: {
    nBase: 240, nTest: 2000, groups: 10, copies: 5, mainEpochs: 16, refEpoch: 5, evalEvery: 3, firstOrderUpdates: 16, signUpdates: 128,
    pruneEpochs: 10, pruneBatch: 32, pruneRuns: 2, otherK: [], copyTargets: 6, copyBase: 48, copyCounts: [0, 1, 2, 4, 8], copySteps: 20, heatmapRows: 60,
  },
  full: {
    nBase: 480, nTest: 4000, groups: 20, copies: 5, mainEpochs: 40, refEpoch: 5, evalEvery: 3, firstOrderUpdates: 32, signUpdates: 580,
    pruneEpochs: 20, pruneBatch: 32, pruneRuns: 4, otherK: [4, 5], copyTargets: 12, copyBase: 96, copyCounts: [0, 1, 2, 4, 8, 16], copySteps: 40, heatmapRows: 90,
  },
};

/** The checks' names, defined once: the checks, the README tables and the tests use these. */
export const CLAIM = {
  firstOrderError: 'first-order-error',
  signAgreement: 'lpntk-sign-agreement',
  beatsPntk: 'lpntk-beats-pntk',
  flippedRecall: 'flipped-recall',
  duplicateClusterPurity: 'duplicate-cluster-purity',
  pruningKeepsAccuracy: 'pruning-keeps-accuracy',
  copiesMonotone: 'copies-monotone',
} as const;
export const FINDING = {
  removingPoisonBeatsRandom: 'removing-poisoning-beats-random',
  removingPoisonBeatsRandomOverSeeds: 'removing-poisoning-beats-random-over-seeds',
} as const;
export const SANITY = {
  firstOrderLinear: 'first-order-linear',
  kernelSymmetric: 'kernel-symmetric',
  kernelPsd: 'kernel-psd',
} as const;

/** Claim thresholds, as in the issue. */
export const THRESHOLDS = {
  firstOrderRelErr: 0.02,
  firstOrderRatio: [5, 20] as [number, number],
  signAgreement: 0.85,
  signGap: 0.2,
  flippedRecall: 0.8,
  clusterPurity: 0.8,
  pruneDrop: 0.01,
  /** Removing the poisoning samples vs removing as many random ones: test accuracy difference (keeps or improves). */
  poisonVsRandom: 0,
  symmetry: 1e-12,
  psd: -1e-8,
};

/** The lowest-scoring rows searched for flipped labels: this fraction of the data (twice the noise rate). */
export const FLIP_SEARCH_FRACTION = 0.1;
/** Samples are interchangeable when their normalised lpNTK (cosine) is at least this: FPC's stopping radius. */
export const INTERCHANGEABLE_COS = 0.98;
/** Step sizes of the first-order error curve (the claim uses 0.1 and 0.01). */
export const ETAS = [0.3, 0.1, 0.03, 0.01, 0.003];

// ---------------------------------------------------------------- the steps

type Progress = (fraction: number, message: string) => Promise<void>;

/** Every tensor a run makes that outlives one step; freed at the end of the run. */
class Owned {
  private readonly list: Tensor[] = [];
  own<T extends Tensor | Tensor[]>(t: T): T {
    if (Array.isArray(t)) this.list.push(...t);
    else this.list.push(t);
    return t;
  }
  dispose(): void {
    disposeAll(this.list);
  }
}

interface Data {
  N: number;
  trainSet: LabelledSet;
  testSet: LabelledSet;
  /** The training inputs in float64 and the (noisy) labels as int32, both on the CPU: the exact tier's inputs. */
  x64: Tensor;
  y64: Tensor;
  /** The training inputs in float32 on the CPU (the copies experiment builds its sets from them). */
  xCpu: Tensor;
  yArr: Int32Array;
  flipped: boolean[];
  nFlipped: number;
  /** Planted group of each row (−1: not a duplicate) and the row it was copied from. */
  groupId: Int32Array;
  sourceIndex: ArrayLike<number>;
}

/**
 * The data set: a Gaussian mixture, near-duplicate groups planted into the first nBase rows, then
 * symmetric label noise over all rows; the test set is clean. Built on the CPU (the corruption
 * helpers read labels back synchronously), then moved to the device.
 */
async function makeData(s: LpntkSettings, g: pg.Generator, device: pg.Device, o: Owned): Promise<Data> {
  const K = DATA.numClasses;
  const gm = gaussianMixture({ numClasses: K, dim: DATA.dim, n: s.nBase + s.nTest, separation: DATA.separation, std: DATA.std, generator: g });
  o.own([gm.x, gm.y]);
  const xAll = o.own(await pg.toDevice(gm.x, 'cpu'));
  const yAll = o.own(await pg.toDevice(gm.y, 'cpu'));
  const xBase = o.own(xAll.narrow(0, 0, s.nBase).contiguous());
  const yBase = o.own(yAll.narrow(0, 0, s.nBase).contiguous());
  const dup = plantNearDuplicates(xBase, yBase, { groups: s.groups, copies: s.copies, noise: DATA.dupNoise, generator: g });
  o.own([dup.x, dup.y, dup.groupId, dup.sourceIndex]);
  const noisy = injectLabelNoise(dup.y, { rate: DATA.noiseRate, numClasses: K, generator: g });
  o.own([noisy.y, noisy.flipped]);
  const flipped = Array.from(noisy.flipped.dataSync(), (v) => !!v);
  return {
    N: dup.x.shape[0]!,
    trainSet: { x: o.own(dup.x.to(device)), y: o.own(noisy.y.to(device)) },
    testSet: {
      x: o.own(pg.tidy(() => xAll.narrow(0, s.nBase, s.nTest).contiguous().to(device))),
      y: o.own(pg.tidy(() => yAll.narrow(0, s.nBase, s.nTest).contiguous().to(device))),
    },
    x64: o.own(dup.x.to('float64')),
    y64: noisy.y, // int32 on the CPU
    xCpu: dup.x,
    yArr: Int32Array.from(noisy.y.dataSync()),
    flipped,
    nFlipped: flipped.filter(Boolean).length,
    groupId: Int32Array.from(dup.groupId.dataSync()),
    sourceIndex: dup.sourceIndex.dataSync(),
  };
}

interface Reference {
  /** The float64 CPU checkpoint after refEpoch epochs: where every kernel is taken. */
  ref: Tensor[];
  /** Per-row correctness on the training set every evalEvery steps from refEpoch on (forgetting events). */
  history: Uint8Array[];
  refTrainAcc: number;
  finalTestAcc: number;
}

/** The reference run: plain SGD for mainEpochs; the checkpoint at refEpoch; correctness checks after it. */
async function trainReference(s: LpntkSettings, d: Data, widths: number[], g: pg.Generator, device: pg.Device, o: Owned, progress: Progress): Promise<Reference> {
  const init = o.own(initParams(widths, g, device));
  const params = o.own(cloneParams(init));
  const stepsPerEpoch = Math.floor(d.N / TRAIN.batch);
  let ref: Tensor[] = [];
  const history: Uint8Array[] = [];
  if (s.refEpoch === 0) ref = o.own(await snapshot(params));
  const refStep = s.refEpoch * stepsPerEpoch;
  await trainSGD(params, d.trainSet, {
    steps: s.mainEpochs * stepsPerEpoch,
    batch: TRAIN.batch,
    lr: TRAIN.lr,
    onStep: async (step) => {
      if (step >= refStep && (step - refStep) % s.evalEvery === 0) history.push(await correctness(params, d.trainSet));
    },
    onEpoch: async (ep) => {
      if (ep === s.refEpoch) ref = o.own(await snapshot(params));
      await progress(0.3 * (ep / s.mainEpochs), `main SGD run, epoch ${ep}/${s.mainEpochs}`);
    },
  }, g);
  if (s.refEpoch === 0) history.unshift(await correctness(init, d.trainSet));
  return { ref, history, refTrainAcc: history[0]!.reduce((a, b) => a + b, 0) / d.N, finalTestAcc: await accuracy(params, d.testSet) };
}

interface Kernels {
  /** The checkpoint the kernels were taken at (float64, CPU). */
  ref: Tensor[];
  /** Logit Jacobians [N, K, P] at the checkpoint, P parameters; the batched builder vs the per-sample one (max rel. diff, 4 rows). */
  J: Tensor;
  P: number;
  jCheck: number;
  /** lpNTK κ and pNTK Gram matrices (host, N×N row-major). */
  kappa: Float64Array;
  pn: Float64Array;
  /** Predictions at the checkpoint and the one-hot labels, [N, K] float64. */
  p0: Tensor;
  yOneHot: Tensor;
}

/** Per-sample logit Jacobians at the checkpoint, and the lpNTK κ = s(y)ᵀ𝒦s(y′) and pNTK Gram matrices, in float64. */
function kernelsAt(ref: Tensor[], d: Data, o: Owned): Kernels {
  const J = o.own(logitJacobianBatched(mlpForward, ref, d.x64));
  const nRefJ = 4;
  const jCheck = pg.tidy(() => {
    const Jr = logitJacobian(mlpForward, ref, d.x64.narrow(0, 0, nRefJ));
    return Jr.sub(J.narrow(0, 0, nRefJ)).abs().max().itemSync() / Math.max(1e-300, J.narrow(0, 0, nRefJ).abs().max().itemSync());
  });
  return {
    ref,
    J,
    P: J.shape[2]!,
    jCheck,
    kappa: kernelArray(o.own(lpntk(J, d.y64))),
    pn: kernelArray(o.own(pntk(J))),
    p0: o.own(pg.noGrad(() => pg.tidy(() => mlpForward(ref, d.x64).softmax(-1)))),
    yOneHot: o.own(pg.oneHot(d.y64, DATA.numClasses, { dtype: 'float64' })),
  };
}

interface FirstOrder {
  /** Relative error ‖Δp_pred − Δp_real‖/‖Δp_real‖ at each η of ETAS. */
  errors: number[];
  errAt(eta: number): number;
  /** Δp on each observed sample's own label at η = CONFIG.eta, predicted and real (for the figure). */
  scatterPred: number[];
  scatterReal: number[];
}

/**
 * §3 of the paper: one SGD step of η on sample u changes the prediction on x_o by
 * Δp(x_o) ≈ η·A(x_o)·𝒦(x_o, x_u)·(e_{y_u} − p(x_u)); compared with a real single-sample step for
 * each η of ETAS, over `firstOrderUpdates` updated samples × all observed samples.
 */
function firstOrderInteraction(s: LpntkSettings, d: Data, k: Kernels, order: Int32Array, o: Owned): FirstOrder {
  const updates = Array.from(order.subarray(0, s.firstOrderUpdates));
  const errors: number[] = [];
  const scatterPred: number[] = [];
  const scatterReal: number[] = [];
  // The prediction is linear in η: compute it once per updated sample at η = 1.
  const unitPred = updates.map((u) => o.own(pg.tidy(() => firstOrderDeltaP(k.J, k.p0, k.J.select(0, u), k.p0.select(0, u), d.yArr[u]!, 1))));
  for (const eta of ETAS) {
    let num = 0;
    let den = 0;
    updates.forEach((u, c) => {
      pg.tidy(() => {
        const pred = unitPred[c]!.mul(eta);
        const after = sgdStep(mlpForward, k.ref, d.x64.narrow(0, u, 1), d.y64.narrow(0, u, 1), eta);
        const real = pg.noGrad(() => mlpForward(after, d.x64).softmax(-1)).sub(k.p0);
        num += pred.sub(real).square().sum().itemSync();
        den += real.square().sum().itemSync();
        if (eta === CONFIG.eta) {
          // Δp on each observed sample's own label, for the figure.
          const a = pred.mul(k.yOneHot).sum(1).dataSync();
          const b = real.mul(k.yOneHot).sum(1).dataSync();
          for (let i = c % 4; i < d.N; i += 4) {
            scatterPred.push(a[i]!);
            scatterReal.push(b[i]!);
          }
        }
      });
    });
    errors.push(Math.sqrt(num / den));
  }
  return { errors, errAt: (eta) => errors[ETAS.indexOf(eta)]!, scatterPred, scatterReal };
}

interface Signs {
  /** Agreement counts: all pairs (o ≠ u), same-label and different-label pairs, for lpNTK and pNTK. */
  agree: { lp: number; pn: number; n: number; sameLp: number; samePn: number; same: number; diffLp: number; diffPn: number; diff: number };
  lpAgree: number;
  pnAgree: number;
  /** A sample of (normalised κ, exact Δp, same label?) pairs for the figure. */
  pairsLp: number[];
  pairsExact: number[];
  pairsSame: boolean[];
}

/**
 * The exact interaction of u on o: the change of p_{y_o}(x_o) after one real SGD step of η on u;
 * its sign against the sign of κ(o, u) (lpNTK) and of pNTK(o, u), for `signUpdates` updated samples.
 */
async function interactionSigns(s: LpntkSettings, d: Data, k: Kernels, order: Int32Array, progress: Progress): Promise<Signs> {
  const N = d.N;
  const signU = Array.from(order.subarray(0, Math.min(N, s.signUpdates)));
  const exact = new Float64Array(N * signU.length);
  for (let c = 0; c < signU.length; c++) {
    const u = signU[c]!;
    pg.tidy(() => {
      const after = sgdStep(mlpForward, k.ref, d.x64.narrow(0, u, 1), d.y64.narrow(0, u, 1), CONFIG.eta);
      const dp = pg.noGrad(() => mlpForward(after, d.x64).softmax(-1)).sub(k.p0).mul(k.yOneHot).sum(1).dataSync();
      for (let i = 0; i < N; i++) exact[i * signU.length + c] = dp[i]!;
    });
    if (c % 32 === 0) await progress(c / signU.length, `exact interactions ${c}/${signU.length}`);
  }
  const agree = { lp: 0, pn: 0, n: 0, sameLp: 0, samePn: 0, same: 0, diffLp: 0, diffPn: 0, diff: 0 };
  const pairsLp: number[] = [];
  const pairsExact: number[] = [];
  const pairsSame: boolean[] = [];
  const { kappa, pn } = k;
  signU.forEach((u, c) => {
    for (let i = 0; i < N; i++) {
      if (i === u) continue;
      const e = Math.sign(exact[i * signU.length + c]!);
      const a = Math.sign(kappa[i * N + u]!) === e ? 1 : 0;
      const b = Math.sign(pn[i * N + u]!) === e ? 1 : 0;
      agree.lp += a;
      agree.pn += b;
      agree.n++;
      if (d.yArr[i] === d.yArr[u]) {
        agree.sameLp += a;
        agree.samePn += b;
        agree.same++;
      } else {
        agree.diffLp += a;
        agree.diffPn += b;
        agree.diff++;
      }
      if ((i * 7 + c * 13) % 29 === 0 && pairsLp.length < 2500) {
        pairsLp.push(kappa[i * N + u]! / Math.sqrt(kappa[i * N + i]! * kappa[u * N + u]!));
        pairsExact.push(exact[i * signU.length + c]!);
        pairsSame.push(d.yArr[i] === d.yArr[u]);
      }
    }
  });
  return { agree, lpAgree: agree.lp / agree.n, pnAgree: agree.pn / agree.n, pairsLp, pairsExact, pairsSame };
}

interface Structure {
  /** Max |κ_ij − κ_ji| / max|κ| on the Gram route (all rows) and on the s(y)ᵀ𝒦s(y′) block route (nb rows). */
  relAsym: number;
  blockAsym: number;
  blockVsGram: number;
  nb: number;
  eig: ReturnType<typeof symmetricEigen>;
  minEigRatio: number;
}

/** Symmetry (two routes to κ) and positive semi-definiteness (float64 Jacobi eigenvalues) of the lpNTK Gram matrix. */
function kernelStructure(d: Data, k: Kernels, order: Int32Array): Structure {
  const N = d.N;
  const K = DATA.numClasses;
  const { kappa } = k;
  let asym = 0;
  let maxAbs = 0;
  for (let i = 0; i < N; i++)
    for (let j = 0; j < N; j++) {
      maxAbs = Math.max(maxAbs, Math.abs(kappa[i * N + j]!));
      if (j > i) asym = Math.max(asym, Math.abs(kappa[i * N + j]! - kappa[j * N + i]!));
    }
  // The definition route on a subset: κ_ij = s(y_i)ᵀ 𝒦(x_i, x_j) s(y_j) from the eNTK blocks.
  const nb = Math.min(N, 40);
  const sub = Array.from(order.subarray(0, nb));
  const block = pg.tidy(() => {
    const idx = pg.tensor(Int32Array.from(sub), { dtype: 'int32', device: 'cpu' });
    return entk(k.J.indexSelect(0, idx), k.J.indexSelect(0, idx)).dataSync();
  });
  const kb = new Float64Array(nb * nb);
  for (let i = 0; i < nb; i++)
    for (let j = 0; j < nb; j++) {
      let v = 0;
      for (let a = 0; a < K; a++)
        for (let b = 0; b < K; b++) v += (a === d.yArr[sub[i]!] ? 1 : -1) * block[((i * nb + j) * K + a) * K + b]! * (b === d.yArr[sub[j]!] ? 1 : -1);
      kb[i * nb + j] = v;
    }
  let blockAsym = 0;
  let blockVsGram = 0;
  let blockMax = 0;
  for (let i = 0; i < nb; i++)
    for (let j = 0; j < nb; j++) {
      blockMax = Math.max(blockMax, Math.abs(kb[i * nb + j]!));
      blockAsym = Math.max(blockAsym, Math.abs(kb[i * nb + j]! - kb[j * nb + i]!));
      blockVsGram = Math.max(blockVsGram, Math.abs(kb[i * nb + j]! - kappa[sub[i]! * N + sub[j]!]!));
    }
  const eig = symmetricEigen(kappa, N, { tol: 1e-12 });
  return { relAsym: asym / maxAbs, blockAsym: blockAsym / blockMax, blockVsGram: blockVsGram / blockMax, nb, eig, minEigRatio: eig.values[0]! / eig.values[N - 1]! };
}

interface Poisoning {
  /** Per-sample mean normalised lpNTK, and the rows sorted by it (lowest first). */
  score: Float64Array;
  byScore: number[];
  /** The poisoning samples: the lowest-scoring kSearch rows (FLIP_SEARCH_FRACTION of the data). */
  kSearch: number;
  poison: number[];
  foundFlipped: number;
  flippedRecall: number;
  flippedPrecision: number;
  recallAtCount: number;
}

/** The samples most contradicted by the others (lowest mean normalised lpNTK): the flipped labels should be among them. */
function poisoningSamples(d: Data, k: Kernels): Poisoning {
  const N = d.N;
  const score = interactionScores(k.kappa, N);
  const byScore = Array.from({ length: N }, (_, i) => i).sort((a, b) => score[a]! - score[b]!);
  const kSearch = Math.ceil(FLIP_SEARCH_FRACTION * N);
  const poison = byScore.slice(0, kSearch);
  const foundFlipped = poison.filter((i) => d.flipped[i]).length;
  return {
    score,
    byScore,
    kSearch,
    poison,
    foundFlipped,
    flippedRecall: d.nFlipped > 0 ? foundFlipped / d.nFlipped : NaN,
    flippedPrecision: foundFlipped / kSearch,
    recallAtCount: d.nFlipped > 0 ? byScore.slice(0, d.nFlipped).filter((i) => d.flipped[i]).length / d.nFlipped : NaN,
  };
}

interface Redundant {
  radius: number;
  clusters: number;
  /** Mean purity and sizes of the `groups` largest clusters. */
  main: { purity: number; sizes: number[] };
  clusterRows: (string | number)[][];
  /** Non-centre members of multi-sample clusters. */
  redundant: number[];
  dupCopies: number;
  redundantAreDup: number;
}

/** Farthest-point clustering on the normalised lpNTK distance, stopped at the "interchangeable" radius: the planted duplicates. */
function redundantSamples(s: LpntkSettings, d: Data, k: Kernels, pz: Poisoning): Redundant {
  const N = d.N;
  const dist = kernelDistance(k.kappa, N);
  const radius = Math.sqrt(2 - 2 * INTERCHANGEABLE_COS);
  const startAt = pz.byScore[N - 1]!; // the highest-scoring sample: a deterministic, label-agnostic start
  const clustering = farthestPointClustering(dist, N, { radius, start: startAt });
  const topPurity = (c: typeof clustering): { purity: number; sizes: number[] } => {
    const top = clusterMembers(c).sort((a, b) => b.length - a.length).slice(0, s.groups);
    return { purity: mean(top.map((m) => purity(m, d.groupId))), sizes: top.map((m) => m.length) };
  };
  const main = topPurity(clustering);
  const clusterRows: (string | number)[][] = [[`radius ${radius.toFixed(3)} (cos ≥ ${INTERCHANGEABLE_COS})`, clustering.centres.length, main.sizes.join(' '), main.purity]];
  for (const frac of [0.25, 0.5, 0.75]) {
    const kk = Math.round(frac * N);
    const r = topPurity(farthestPointClustering(dist, N, { k: kk, start: startAt }));
    clusterRows.push([`k = ${kk} (${frac}·N)`, kk, r.sizes.join(' '), r.purity]);
  }
  const redundant = redundantOf(clustering);
  return {
    radius,
    clusters: clustering.centres.length,
    main,
    clusterRows,
    redundant,
    dupCopies: d.groupId.reduce((a, gid, i) => a + (gid >= 0 && d.sourceIndex[i] !== i ? 1 : 0), 0),
    redundantAreDup: redundant.filter((i) => d.groupId[i]! >= 0).length,
  };
}

/** Test accuracy after retraining on each reduced training set (mean over inits), and the sets' sizes. */
interface Retrained {
  acc: { full: number[]; redundant: number[]; poison: number[]; random: number[] };
  sizes: { full: number; redundant: number; poison: number; random: number };
}

/**
 * The paper's use of lpNTK for data: retrain from the same inits, with the same number of SGD
 * steps and batch order seed, on the full set, without the redundant samples (FPC), without the
 * poisoning samples (lowest scores), and without as many random samples (the control; a fresh
 * random subset per init).
 */
async function retrainWithout(s: LpntkSettings, d: Data, red: Redundant, pz: Poisoning, widths: number[], g: pg.Generator, device: pg.Device, progress: Progress): Promise<Retrained> {
  const N = d.N;
  const all = Array.from({ length: N }, (_, i) => i);
  const without = (drop: Iterable<number>): number[] => {
    const set = new Set(drop);
    return all.filter((i) => !set.has(i));
  };
  const keepRedundant = without(red.redundant);
  const keepPoison = without(pz.poison);
  const acc: Retrained['acc'] = { full: [], redundant: [], poison: [], random: [] };
  const steps = s.pruneEpochs * Math.floor(N / s.pruneBatch);
  for (let r = 0; r < s.pruneRuns; r++) {
    const init = initParams(widths, g, device);
    const batchSeed = drawSeed(g);
    const keepRandom = without(permutation(N, new pg.Generator(batchSeed + 1)).subarray(0, pz.kSearch));
    const sets: [keyof Retrained['acc'], number[] | undefined][] = [['full', undefined], ['redundant', keepRedundant], ['poison', keepPoison], ['random', keepRandom]];
    for (const [name, rows] of sets) {
      const ps = cloneParams(init);
      await trainSGD(ps, d.trainSet, { steps, batch: s.pruneBatch, lr: TRAIN.lr, rows }, new pg.Generator(batchSeed));
      acc[name].push(await accuracy(ps, d.testSet));
      disposeAll(ps);
    }
    disposeAll(init);
    await progress((r + 1) / s.pruneRuns, `retraining ${r + 1}/${s.pruneRuns}`);
  }
  return { acc, sizes: { full: N, redundant: keepRedundant.length, poison: keepPoison.length, random: N - pz.kSearch } };
}

interface Forgetting {
  rows: (string | number)[][];
  forget: ReturnType<typeof prf>;
  forgetLearned: ReturnType<typeof prf>;
}

/**
 * Forgetting events after the checkpoint (correct at one check, wrong at the next; samples never
 * learned count as forgettable too, Toneva et al. 2019) against the lowest-scoring rows, with the
 * model's own margin at the checkpoint as a threshold-free baseline (ROC AUC). Reported only.
 */
function forgettingEvents(d: Data, ref: Reference, k: Kernels, pz: Poisoning): Forgetting {
  const N = d.N;
  const K = DATA.numClasses;
  const h = ref.history;
  const forgetCount = new Array<number>(N).fill(0);
  for (let e = 1; e < h.length; e++) for (let i = 0; i < N; i++) if (h[e - 1]![i] && !h[e]![i]) forgetCount[i]!++;
  const forgotten = forgetCount.map((c) => c > 0);
  const neverLearned = Array.from({ length: N }, (_, i) => h.every((x) => !x[i]));
  const forgettable = forgotten.map((f, i) => f || neverLearned[i]!);
  const lowScore = new Array<boolean>(N).fill(false);
  pz.poison.forEach((i) => (lowScore[i] = true));
  const forget = prf(lowScore, forgettable);
  const forgetLearned = prf(lowScore, forgotten);
  const pRef = k.p0.dataSync();
  const negMargin = Array.from({ length: N }, (_, i) => {
    let other = 0;
    for (let c = 0; c < K; c++) if (c !== d.yArr[i]) other = Math.max(other, pRef[i * K + c]!);
    return other - pRef[i * K + d.yArr[i]!]!;
  });
  const negScore = Array.from(pz.score, (v) => -v);
  return {
    forget,
    forgetLearned,
    rows: [
      ['forgotten or never learned (Toneva et al.)', forget.positives, forget.precision, forget.recall, forget.f1, rocAuc(negScore, forgettable), rocAuc(negMargin, forgettable)],
      ['forgotten after being learned', forgetLearned.positives, forgetLearned.precision, forgetLearned.recall, forgetLearned.f1, rocAuc(negScore, forgotten), rocAuc(negMargin, forgotten)],
    ],
  };
}

// ---------------------------------------------------------------- checks, tables, figures

interface Outcome {
  s: LpntkSettings;
  widths: number[];
  d: Data;
  ref: Reference;
  k: Kernels;
  fo: FirstOrder;
  signs: Signs;
  st: Structure;
  pz: Poisoning;
  red: Redundant;
  re: Retrained;
  copies: Awaited<ReturnType<typeof copiesExperiment>>;
  fg: Forgetting;
  otherK: (string | number)[][];
  order: Int32Array;
}

function checks({ s, d, fo, signs, st, pz, red, re, copies }: Outcome): Pick<Result, 'claims' | 'sanity' | 'findings'> {
  const accFull = mean(re.acc.full);
  const accRedundant = mean(re.acc.redundant);
  const poisonGain = re.acc.poison.map((a, i) => a - re.acc.random[i]!);
  const claims: ClaimCheck[] = [
    check(CLAIM.firstOrderError, fo.errAt(0.1), '<', THRESHOLDS.firstOrderRelErr, `relative error of η·A·𝒦·(e − p) vs one real SGD step at η = 0.1 (${s.firstOrderUpdates} updates × ${d.N} observed)`),
    check(CLAIM.signAgreement, signs.lpAgree, '>=', THRESHOLDS.signAgreement, `sign of κ vs the real Δp_{y_o}(x_o) after a step on u, ${signs.agree.n} pairs`),
    check(CLAIM.beatsPntk, signs.lpAgree - signs.pnAgree, '>=', THRESHOLDS.signGap, `lpNTK ${signs.lpAgree.toFixed(3)} vs pNTK ${signs.pnAgree.toFixed(3)}`),
    check(CLAIM.flippedRecall, pz.flippedRecall, '>=', THRESHOLDS.flippedRecall, `${pz.foundFlipped}/${d.nFlipped} flipped labels among the lowest-scoring ${pz.kSearch} rows`),
    check(CLAIM.duplicateClusterPurity, red.main.purity, '>=', THRESHOLDS.clusterPurity, `mean purity of the ${s.groups} largest FPC clusters (cos ≥ ${INTERCHANGEABLE_COS})`),
    check(CLAIM.pruningKeepsAccuracy, accFull - accRedundant, '<=', THRESHOLDS.pruneDrop, `test accuracy full ${accFull.toFixed(4)} vs pruned ${accRedundant.toFixed(4)} (${red.redundant.length} removed)`),
    check(CLAIM.copiesMonotone, copies.monotoneFraction, '>=', 1, 'fraction of consecutive m steps that make learning easier (interchangeable) / harder (contradictory)'),
  ];
  const findings: ClaimCheck[] = [
    check(
      FINDING.removingPoisonBeatsRandom,
      mean(poisonGain),
      '>=',
      THRESHOLDS.poisonVsRandom,
      `test accuracy without the ${pz.kSearch} poisoning samples (${mean(re.acc.poison).toFixed(4)}) minus without ${pz.kSearch} random samples (${mean(re.acc.random).toFixed(4)}), mean over ${s.pruneRuns} inits (${poisonGain.map((v) => v.toFixed(4)).join(', ')}); full set ${accFull.toFixed(4)}`,
    ),
  ];
  const sanity: ClaimCheck[] = [
    check(SANITY.firstOrderLinear, fo.errAt(0.1) / fo.errAt(0.01), 'in', THRESHOLDS.firstOrderRatio, `err(0.1)/err(0.01) = ${fo.errAt(0.1).toExponential(2)}/${fo.errAt(0.01).toExponential(2)} (Taylor: the error of a first-order expansion is O(η²))`),
    check(SANITY.kernelSymmetric, Math.max(st.relAsym, st.blockAsym), '<=', THRESHOLDS.symmetry, `max |κ_ij − κ_ji| / max |κ|: Gram route ${st.relAsym.toExponential(1)} (symmetric by construction), s(y)ᵀ𝒦s(y′) route ${st.blockAsym.toExponential(1)}`),
    check(SANITY.kernelPsd, st.minEigRatio, '>=', THRESHOLDS.psd, `λ_min/λ_max (Jacobi, ${st.eig.sweeps} sweeps; a Gram matrix is PSD)`),
  ];
  return { claims, sanity, findings };
}

/** Over seeds: removing the poisoning samples vs as many random ones, on the mean over the runs with its 95% interval. */
function aggregate(runs: { seed: number; result: Result }[]): Partial<Checks> {
  const values = valuesOf(runs, FINDING.removingPoisonBeatsRandom);
  return { findings: [checkOnMean(FINDING.removingPoisonBeatsRandomOverSeeds, values, '>=', THRESHOLDS.poisonVsRandom, 'test accuracy without the poisoning samples − without as many random ones')] };
}

function tables({ s, d, ref, k, fo, signs, st, pz, red, re, copies, fg, otherK }: Outcome): Table[] {
  const N = d.N;
  const K = DATA.numClasses;
  const tables: Table[] = [];
  tables.push({
    name: 'setup',
    columns: ['quantity', 'value'],
    rows: [
      ['training samples (base + copies)', `${N} (${s.nBase} + ${s.groups}×${s.copies})`],
      ['flipped labels', d.nFlipped],
      ['parameters P', k.P],
      [`train accuracy (noisy labels) at epoch ${s.refEpoch}`, ref.refTrainAcc],
      [`test accuracy after ${s.mainEpochs} epochs`, ref.finalTestAcc],
      ['Jacobian: batched vs K VJPs per sample, max rel. diff', k.jCheck],
      [`lpNTK: s(y)ᵀ𝒦s(y′) from eNTK blocks vs the Gram route (${st.nb} samples), max rel. diff`, st.blockVsGram],
      ['lpNTK asymmetry: Gram route (all) / block route (subset)', `${st.relAsym.toExponential(2)} / ${st.blockAsym.toExponential(2)}`],
      ['lpNTK eigenvalues: λ_min, λ_max', `${st.eig.values[0]!.toExponential(3)}, ${st.eig.values[N - 1]!.toExponential(3)}`],
    ],
  });
  tables.push({ name: 'first-order interaction', columns: ['η', 'relative error', 'error / η'], rows: ETAS.map((e, i) => [e, fo.errors[i]!, fo.errors[i]! / e]) });
  const a = signs.agree;
  tables.push({
    name: 'sign agreement with the exact interaction',
    columns: ['pairs', 'count', 'lpNTK', 'pNTK'],
    rows: [
      ['all (o ≠ u)', a.n, signs.lpAgree, signs.pnAgree],
      ['same label', a.same, a.sameLp / a.same, a.samePn / a.same],
      ['different label', a.diff, a.diffLp / a.diff, a.diffPn / a.diff],
    ],
  });
  if (otherK.length)
    tables.push({
      name: 'sign agreement at other class counts (fresh data and model; reported only)',
      columns: ['K', 's(y)ᵀs(y′), y ≠ y′', 'lpNTK (all pairs)', 'pNTK (all pairs)', 'lpNTK (different labels)', 'pNTK (different labels)'],
      rows: [[K, `${K - 4}`, signs.lpAgree, signs.pnAgree, a.diffLp / a.diff, a.diffPn / a.diff], ...otherK],
    });
  tables.push({
    name: 'flipped labels among the lowest-scoring rows',
    columns: ['rows searched', 'flipped found', 'flipped total', 'recall', 'precision', `recall in the lowest ${d.nFlipped}`],
    rows: [[pz.kSearch, pz.foundFlipped, d.nFlipped, pz.flippedRecall, pz.flippedPrecision, pz.recallAtCount]],
  });
  tables.push({ name: 'farthest-point clustering (top clusters vs planted groups)', columns: ['stopping rule', 'clusters', `sizes of the ${s.groups} largest`, 'mean purity'], rows: red.clusterRows });
  tables.push({
    name: 'retraining without samples (test accuracy, mean over inits)',
    columns: ['training set', 'samples', 'test accuracy'],
    rows: [
      ['full', re.sizes.full, mean(re.acc.full)],
      [`redundant removed (${red.redundant.length}; ${red.redundantAreDup} planted copies/sources of ${red.dupCopies} copies)`, re.sizes.redundant, mean(re.acc.redundant)],
      [`poisoning removed (the lowest-scoring ${pz.kSearch}; ${pz.foundFlipped} of them flipped)`, re.sizes.poison, mean(re.acc.poison)],
      [`${pz.kSearch} random samples removed (control)`, re.sizes.random, mean(re.acc.random)],
    ],
  });
  tables.push({
    name: 'copies (mean p_y(x) over GD steps)',
    columns: ['copies m', 'interchangeable', 'contradictory', 'lpNTK cos (interch.)', 'lpNTK cos (contra.)'],
    rows: s.copyCounts.map((m, i) => [m, copies.ease.interchangeable[i]!, copies.ease.contradictory[i]!, copies.cosInter, copies.cosContra]),
  });
  tables.push({
    name: `forgetting events (plain SGD, ${ref.history.length} checks after epoch ${s.refEpoch}) predicted by the lowest-scoring ${pz.kSearch} rows`,
    columns: ['positives', 'count', 'precision', 'recall', 'F1', 'AUC of −score', 'AUC of −margin (baseline)'],
    rows: fg.rows,
  });
  return tables;
}

function figures({ s, d, k, fo, signs, st, pz, copies, order }: Outcome): Series[] {
  const N = d.N;
  const { kappa } = k;
  const series: Series[] = [];
  series.push({
    name: 'first-order-error',
    kind: 'line',
    title: 'First-order prediction vs one real SGD step',
    xLabel: 'step size η',
    yLabel: '‖Δp_pred − Δp_real‖ / ‖Δp_real‖',
    caption: `Relative error over ${s.firstOrderUpdates} updated samples × all ${N} observed samples (float64); a slope of 1 means error ∝ η.`,
    data: {
      logX: true,
      logY: true,
      series: [
        { name: 'measured', x: ETAS, y: fo.errors },
        { name: 'slope 1 through η = 0.1', x: ETAS, y: ETAS.map((e) => (fo.errAt(0.1) * e) / 0.1) },
      ],
    },
  });
  series.push({
    name: 'first-order-scatter',
    kind: 'scatter',
    title: `Δp_y(x_o) after one SGD step (η = ${CONFIG.eta})`,
    xLabel: 'first-order prediction η·A·𝒦·(e − p)',
    yLabel: 'real change',
    data: { series: [{ name: 'pairs (o, u)', x: fo.scatterPred, y: fo.scatterReal }], radius: 2 },
  });
  series.push({
    name: 'lpntk-vs-exact',
    kind: 'scatter',
    title: 'Normalised lpNTK vs the exact interaction',
    xLabel: 'κ(o, u) / √(κ(o,o) κ(u,u))',
    yLabel: 'real Δp_{y_o}(x_o) after a step on u',
    data: {
      radius: 2,
      series: [
        { name: 'same label', x: signs.pairsLp.filter((_, i) => signs.pairsSame[i]), y: signs.pairsExact.filter((_, i) => signs.pairsSame[i]) },
        { name: 'different label', x: signs.pairsLp.filter((_, i) => !signs.pairsSame[i]), y: signs.pairsExact.filter((_, i) => !signs.pairsSame[i]) },
      ],
    },
  });
  // Heatmap of the normalised lpNTK on a class-sorted subset.
  const sub = Array.from(order.subarray(0, Math.min(N, s.heatmapRows))).sort((a, b) => d.yArr[a]! - d.yArr[b]! || a - b);
  series.push({
    name: 'lpntk-heatmap',
    kind: 'heatmap',
    title: `Normalised lpNTK on ${sub.length} training samples sorted by (noisy) label`,
    xLabel: 'sample (sorted by label)',
    yLabel: 'sample (sorted by label)',
    data: {
      values: sub.map((i) => sub.map((j) => kappa[i * N + j]! / Math.sqrt(kappa[i * N + i]! * kappa[j * N + j]!))),
      vmin: -1,
      vmax: 1,
      colorbarLabel: 'κ / √(κᵢᵢ κⱼⱼ)',
      width: 560,
      height: 520,
    },
  });
  series.push({
    name: 'copies',
    kind: 'line',
    title: 'Learning a sample with m extra copies',
    xLabel: 'copies m',
    yLabel: `mean p_y(x) over ${s.copySteps} GD steps`,
    data: {
      series: [
        { name: 'interchangeable (same label)', x: s.copyCounts, y: copies.ease.interchangeable },
        { name: 'contradictory (other label)', x: s.copyCounts, y: copies.ease.contradictory },
      ],
    },
  });
  const { byScore, score } = pz;
  series.push({
    name: 'scores',
    kind: 'scatter',
    title: 'Mean normalised lpNTK of each training sample',
    xLabel: 'rank (lowest score first)',
    yLabel: 'score',
    data: {
      radius: 2.5,
      series: [
        { name: 'clean label', x: byScore.map((_, r) => r).filter((r) => !d.flipped[byScore[r]!]), y: byScore.filter((i) => !d.flipped[i]).map((i) => score[i]!) },
        { name: 'flipped label', x: byScore.map((_, r) => r).filter((r) => d.flipped[byScore[r]!]), y: byScore.filter((i) => d.flipped[i]).map((i) => score[i]!) },
      ],
    },
  });
  const spec = Array.from(st.eig.values).reverse();
  series.push({
    name: 'spectrum',
    kind: 'line',
    title: 'Eigenvalues of the lpNTK Gram matrix (Jacobi, float64)',
    xLabel: 'index',
    yLabel: 'eigenvalue',
    data: { logY: true, series: [{ name: 'λ_i (descending)', x: spec.map((_, i) => i + 1), y: spec.map((v) => Math.max(v, 1e-300)) }] },
  });
  return series;
}

// ---------------------------------------------------------------- the run

async function run(opts: RunOptions): Promise<Result> {
  const s = SETTINGS[opts.mode];
  const widths = [DATA.dim, 64, 64, DATA.numClasses];
  const device = pg.getDefaultDevice();
  const g = new pg.Generator(opts.seed);
  const o = new Owned();
  // Report progress and let the event loop run (a CPU run otherwise never yields to a worker's or a test runner's messages).
  const report = async (f: number, m: string): Promise<void> => {
    opts.onProgress(f, m);
    await breathe();
  };
  /** Progress of a step that covers [from, to] of the run. */
  const span = (from: number, to: number): Progress => (f, m) => report(from + (to - from) * f, m);
  try {
    await report(0, 'data');
    const d = await makeData(s, g, device, o);
    const ref = await trainReference(s, d, widths, g, device, o, span(0, 1));
    await report(0.3, 'logit Jacobians and kernels');
    const k = kernelsAt(ref.ref, d, o);
    await report(0.4, 'first-order check');
    const order = permutation(d.N, g);
    const fo = firstOrderInteraction(s, d, k, order, o);
    const signs = await interactionSigns(s, d, k, order, span(0.45, 0.6));
    await report(0.6, 'Jacobi eigenvalues');
    const st = kernelStructure(d, k, order);
    const pz = poisoningSamples(d, k);
    await report(0.62, 'farthest-point clustering');
    const red = redundantSamples(s, d, k, pz);
    const re = await retrainWithout(s, d, red, pz, widths, g, device, span(0.65, 0.85));
    await report(0.86, 'copies');
    const copies = await copiesExperiment(s, d.xCpu, d.yArr, d.flipped, d.groupId, ref.ref, g, device);
    const fg = forgettingEvents(d, ref, k, pz);
    const otherK: (string | number)[][] = [];
    for (const kk of s.otherK) {
      await report(0.95, `sign test at K = ${kk}`);
      const r = await signAgreementForK(kk, s, g, device);
      otherK.push([kk, `${kk - 4}`, r.lp, r.pn, r.lpDiff, r.pnDiff]);
    }
    const outcome: Outcome = { s, widths, d, ref, k, fo, signs, st, pz, red, re, copies, fg, otherK, order };
    await report(1, 'done');
    return {
      tables: tables(outcome),
      series: figures(outcome),
      ...checks(outcome),
      notes: [
        `${d.N} training samples (${d.nFlipped} flipped labels, ${s.groups} planted groups of ${s.copies + 1}), MLP ${widths.join('-')} (NTK parameterisation, GELU), plain SGD lr ${TRAIN.lr} batch ${TRAIN.batch}; kernels at epoch ${s.refEpoch} in float64.`,
        `forgetting prediction (reported, no threshold): the lowest-scoring ${pz.kSearch} rows vs the ${fg.forget.positives} forgettable samples (forgotten or never learned): precision ${fg.forget.precision.toFixed(3)}, recall ${fg.forget.recall.toFixed(3)}, F1 ${fg.forget.f1.toFixed(3)}; vs the ${fg.forgetLearned.positives} samples forgotten after being learned: F1 ${fg.forgetLearned.f1.toFixed(3)}.`,
      ],
    };
  } finally {
    o.dispose();
  }
}

/**
 * The sign test alone for another class count K: a fresh mixture (same σ, separation, noise and
 * duplicates), the same training up to refEpoch, then the agreement of lpNTK's and pNTK's signs
 * with the real interaction of one SGD step (η = CONFIG.eta) over `signUpdates` updated samples.
 */
async function signAgreementForK(K: number, s: LpntkSettings, g: pg.Generator, device: pg.Device): Promise<{ lp: number; pn: number; lpDiff: number; pnDiff: number }> {
  const owned: Tensor[] = [];
  try {
    const gm = gaussianMixture({ numClasses: K, dim: DATA.dim, n: s.nBase, separation: DATA.separation, std: DATA.std, generator: g });
    owned.push(gm.x, gm.y);
    const x0 = await pg.toDevice(gm.x, 'cpu');
    const y0 = await pg.toDevice(gm.y, 'cpu');
    owned.push(x0, y0);
    const dup = plantNearDuplicates(x0, y0, { groups: s.groups, copies: s.copies, noise: DATA.dupNoise, generator: g });
    const noisy = injectLabelNoise(dup.y, { rate: DATA.noiseRate, numClasses: K, generator: g });
    owned.push(dup.x, dup.y, dup.groupId, dup.sourceIndex, noisy.y, noisy.flipped);
    const N = dup.x.shape[0]!;
    const data: LabelledSet = { x: dup.x.to(device), y: noisy.y.to(device) };
    owned.push(data.x, data.y);
    const params = initParams([DATA.dim, 64, 64, K], g, device);
    owned.push(...params);
    await trainSGD(params, data, { steps: s.refEpoch * Math.floor(N / TRAIN.batch), batch: TRAIN.batch, lr: TRAIN.lr }, g);
    const ref = await snapshot(params);
    owned.push(...ref);
    const x64 = dup.x.to('float64');
    owned.push(x64);
    const J = logitJacobianBatched(mlpForward, ref, x64);
    owned.push(J);
    const kt = lpntk(J, noisy.y);
    const pt = pntk(J);
    owned.push(kt, pt);
    const kappa = kernelArray(kt);
    const pn = kernelArray(pt);
    const yArr = Int32Array.from(noisy.y.dataSync());
    const p0 = pg.noGrad(() => pg.tidy(() => mlpForward(ref, x64).softmax(-1)));
    const oh = pg.oneHot(noisy.y, K, { dtype: 'float64' });
    owned.push(p0, oh);
    const order = permutation(N, g);
    const a = { lp: 0, pn: 0, n: 0, lpDiff: 0, pnDiff: 0, nDiff: 0 };
    for (const u of Array.from(order.subarray(0, Math.min(N, s.signUpdates)))) {
      const d = pg.tidy(() => {
        const after = sgdStep(mlpForward, ref, x64.narrow(0, u, 1), noisy.y.narrow(0, u, 1), CONFIG.eta);
        return Float64Array.from(pg.noGrad(() => mlpForward(after, x64).softmax(-1)).sub(p0).mul(oh).sum(1).dataSync());
      });
      for (let o = 0; o < N; o++) {
        if (o === u) continue;
        const e = Math.sign(d[o]!);
        const l = Math.sign(kappa[o * N + u]!) === e ? 1 : 0;
        const q = Math.sign(pn[o * N + u]!) === e ? 1 : 0;
        a.lp += l;
        a.pn += q;
        a.n++;
        if (yArr[o] !== yArr[u]) {
          a.lpDiff += l;
          a.pnDiff += q;
          a.nDiff++;
        }
      }
      await breathe();
    }
    return { lp: a.lp / a.n, pn: a.pn / a.n, lpDiff: a.lpDiff / a.nDiff, pnDiff: a.pnDiff / a.nDiff };
  } finally {
    disposeAll(owned);
  }
}

/**
 * Interchangeable vs contradictory copies: for a few clean targets (x*, y*), add m near-copies of
 * each (x* + 0.05σ noise) labelled y* (interchangeable) or (y* + 1) mod K (contradictory) to a
 * small base set, train from the same init with full-batch GD, and record how easily the target
 * is learnt: mean p_{y*}(x*) over the GD steps, averaged over the targets.
 */
async function copiesExperiment(
  s: LpntkSettings,
  xCpu: Tensor,
  yArr: Int32Array,
  flipped: boolean[],
  groupId: Int32Array,
  ref: Tensor[],
  g: pg.Generator,
  device: pg.Device,
): Promise<{ ease: { interchangeable: number[]; contradictory: number[] }; monotoneFraction: number; cosInter: number; cosContra: number }> {
  const K = DATA.numClasses;
  const N = xCpu.shape[0]!;
  const perm = permutation(N, g);
  const candidates = Array.from(perm).filter((i) => !flipped[i] && groupId[i]! < 0);
  const targets = candidates.slice(0, s.copyTargets);
  const base = candidates.slice(s.copyTargets, s.copyTargets + s.copyBase);
  const T = targets.length;
  const mMax = Math.max(...s.copyCounts);
  const tgtX = pg.tidy(() => xCpu.indexSelect(0, indexTensor(targets, 'cpu')));
  const baseX = pg.tidy(() => xCpu.indexSelect(0, indexTensor(base, 'cpu')));
  const noise = pg.randn([mMax, T, DATA.dim], { generator: g, device: 'cpu', std: DATA.dupNoise });
  const baseY = Int32Array.from(base, (i) => yArr[i]!);
  const tgtY = Int32Array.from(targets, (i) => yArr[i]!);
  const otherY = Int32Array.from(tgtY, (v) => (v + 1) % K);
  const init = initParams([DATA.dim, 64, 64, K], g, device);
  const ease = { interchangeable: [] as number[], contradictory: [] as number[] };
  const argnums = init.map((_, i) => i);
  /** Full-batch GD from `init` on base + targets + copies; the mean p_{y*}(x*) before each step. */
  const learnTargets = async (copyY: Int32Array, m: number): Promise<number> => {
    const x = pg.tidy(() => {
      const parts = [baseX, tgtX];
      if (m > 0) parts.push(noise.narrow(0, 0, m).add(tgtX.unsqueeze(0)).reshape([m * T, DATA.dim]));
      return pg.cat(parts, 0).to(device);
    });
    const y = pg.tensor(Int32Array.from([...baseY, ...tgtY, ...copyY]), { dtype: 'int32', device });
    const tIdx = indexTensor(targets.map((_, t) => base.length + t), device);
    const tY = pg.tensor(tgtY, { dtype: 'int32', device });
    const ps = cloneParams(init);
    let total: Tensor = pg.zeros([], { device });
    for (let step = 0; step < s.copySteps; step++) {
      const next = pg.tidy(() => {
        let probe: Tensor | null = null;
        const grads = pg.noGrad(
          () =>
            pg.grad((...w: Tensor[]) => {
              const z = mlpForward(w, x);
              probe = z.detach().indexSelect(0, tIdx).softmax(-1).gather(1, tY.unsqueeze(1)).mean();
              return crossEntropy(z, y);
            }, argnums)(...ps) as Tensor[],
        );
        pg.noGrad(() => ps.forEach((p, i) => p.assign_(p.sub(grads[i]!.mul(TRAIN.lr)))));
        return total.add(probe!);
      });
      total.dispose();
      total = next;
    }
    const v = (await total.item()) / s.copySteps;
    await breathe();
    disposeAll([...ps, x, y, tIdx, tY, total]);
    return v;
  };
  try {
    for (const m of s.copyCounts) {
      if (m === 0) {
        const v = await learnTargets(new Int32Array(0), 0);
        ease.interchangeable.push(v);
        ease.contradictory.push(v);
        continue;
      }
      for (const kind of ['interchangeable', 'contradictory'] as const) {
        const copyY = new Int32Array(m * T);
        for (let c = 0; c < m; c++) copyY.set(kind === 'interchangeable' ? tgtY : otherY, c * T);
        ease[kind].push(await learnTargets(copyY, m));
      }
    }
    let good = 0;
    let total = 0;
    for (let i = 1; i < s.copyCounts.length; i++) {
      total += 2;
      if (ease.interchangeable[i]! > ease.interchangeable[i - 1]!) good++;
      if (ease.contradictory[i]! < ease.contradictory[i - 1]!) good++;
    }
    // Normalised lpNTK between each target and its first copy, at the reference checkpoint.
    const cos = (labels: Int32Array): number =>
      pg.tidy(() => {
        const cx = noise.select(0, 0).add(tgtX);
        const cy = pg.tensor(labels, { dtype: 'int32', device: 'cpu' });
        const yT = pg.tensor(tgtY, { dtype: 'int32', device: 'cpu' });
        const Jt = logitJacobianBatched(mlpForward, ref, tgtX);
        const Jc = logitJacobianBatched(mlpForward, ref, cx);
        const kx = lpntk(Jt, yT, Jc, cy).dataSync();
        const kt = lpntk(Jt, yT).dataSync();
        const kc = lpntk(Jc, cy).dataSync();
        let acc = 0;
        for (let t = 0; t < T; t++) acc += kx[t * T + t]! / Math.sqrt(kt[t * T + t]! * kc[t * T + t]!);
        return acc / T;
      });
    return { ease, monotoneFraction: good / total, cosInter: cos(tgtY), cosContra: cos(otherY) };
  } finally {
    disposeAll([...init, tgtX, baseX, noise]);
  }
}

export const lpntkExperiment: Experiment = {
  name: 'lpntk',
  paper: {
    title: 'lpNTK: Better Generalisation with Less Data via Sample Interaction During Learning',
    authors: 'Shangmin Guo, Yi Ren, Stefano V. Albrecht, Kenny Smith',
    venue: 'ICLR 2024',
    arxiv: '2401.08808',
  },
  summary:
    'Per-sample logit Jacobians of an MLP 10-64-64-3 on a noisy 3-class Gaussian mixture with planted near-duplicates give the eNTK, ' +
    'the labelled pseudo NTK κ = s(y)ᵀ𝒦s(y′) and the label-blind pNTK; the first-order interaction is checked against real SGD steps, ' +
    'and lpNTK is used to find mislabelled ("poisoning") samples, cluster and prune redundant ones, and predict forgetting.',
  claims: [
    { name: CLAIM.firstOrderError, description: `first-order Δp ≈ η·A·𝒦·(e − p) matches one real SGD step: relative error < ${THRESHOLDS.firstOrderRelErr} at η = 0.1` },
    { name: CLAIM.signAgreement, description: `lpNTK's sign agrees with the exact interaction on ≥ ${THRESHOLDS.signAgreement} of pairs` },
    { name: CLAIM.beatsPntk, description: `lpNTK's sign agreement beats pNTK's by ≥ ${THRESHOLDS.signGap}` },
    { name: CLAIM.flippedRecall, description: `flipped labels are among the lowest-scoring ${FLIP_SEARCH_FRACTION * 100}% rows: recall ≥ ${THRESHOLDS.flippedRecall}` },
    { name: CLAIM.duplicateClusterPurity, description: `farthest-point clustering on lpNTK groups the planted duplicates: top clusters ≥ ${THRESHOLDS.clusterPurity} pure` },
    { name: CLAIM.pruningKeepsAccuracy, description: `removing the redundant samples found keeps test accuracy within ${THRESHOLDS.pruneDrop * 100} point of the full set` },
    { name: CLAIM.copiesMonotone, description: 'more interchangeable copies make a sample monotonically easier to learn, more contradictory copies harder' },
  ],
  sanity: [
    { name: SANITY.firstOrderLinear, description: 'the first-order error shrinks about linearly with η: err(0.1)/err(0.01) ∈ [5, 20] (Taylor)' },
    { name: SANITY.kernelSymmetric, description: 'the lpNTK Gram matrix is symmetric (max relative asymmetry ≤ 1e-12)' },
    { name: SANITY.kernelPsd, description: 'the lpNTK Gram matrix is PSD: λ_min ≥ −1e-8·λ_max (float64 Jacobi)' },
  ],
  findings: [
    {
      name: FINDING.removingPoisonBeatsRandom,
      description: `the paper: removing the "poisoning" samples lpNTK finds keeps or improves held-out accuracy; here: test accuracy without the lowest-scoring ${FLIP_SEARCH_FRACTION * 100}% minus without as many random samples ≥ ${THRESHOLDS.poisonVsRandom} (mean over inits)`,
    },
    { name: FINDING.removingPoisonBeatsRandomOverSeeds, description: `the same on the mean over the run's seeds: the lower end of its 95% interval ≥ ${THRESHOLDS.poisonVsRandom}` },
  ],
  run,
  aggregate,
};
