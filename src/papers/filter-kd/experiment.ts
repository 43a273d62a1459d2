/**
 * The Filter-KD experiment: a 3-class Gaussian mixture with known posterior p*, 30% symmetric
 * label noise; a teacher trained on the noisy labels records every sample's learning path and the
 * Filter-KD table; students from the same initialisation learn from the noisy labels (one-hot),
 * the converged teacher (KD), the early-stopped teacher (ESKD) and the table (Filter-KD).
 * Three seeds run inside one run, so every run checks the 3-seed claims. See README.md.
 */
import * as pg from '../../autograd/index.js';
import { gaussianMixture, injectLabelNoise } from '../../nn/data/index.js';
import { check, type Checks, type ClaimCheck, type Experiment, type Result, type RunOptions, type Series } from '../../experiment/index.js';
import type { Simplex3 } from '../../experiment/index.js';
import { mean } from '../../nn/stats.js';
import type { Module } from '../../nn/module.js';
import { onCpu } from '../common/device.js';
import { checkOnMean, valuesOf } from '../common/seeds.js';
import {
  CONFIG,
  FilterTable,
  accuracy,
  isZigZag,
  makeModel,
  meanStep,
  oneHotDistances,
  predict,
  rowDistances,
  temperedSoftmax,
  trainModel,
  type FilterKDConfig,
  type Target,
} from './index.js';

export interface Settings extends FilterKDConfig {
  /** Independent repetitions inside one run (sub-seeds 3·seed … 3·seed + 2). */
  repeats: number;
  /** The zig-zag threshold δ: fall and rise of the distance to p* by at least δ. */
  zigzagDelta: number;
  /** Samples of each kind (clean, flipped) drawn on the simplex figure. */
  simplexSamples: number;
}

export const SETTINGS: Record<'quick' | 'full', Settings> = {
  quick: { ...CONFIG, repeats: 3, zigzagDelta: 0.1, simplexSamples: 2 },
  // The same training problem with a 4× larger test set (tighter accuracy estimates) and more paths drawn.
  full: { ...CONFIG, data: { ...CONFIG.data, nTest: 8192 }, repeats: 3, zigzagDelta: 0.1, simplexSamples: 3 },
};

/** The checks' names, defined once: the checks, the README tables and the tests use these. */
export const CLAIM = {
  tableCloserToPstar: 'table-closer-to-pstar',
  filteredStepsSmaller: 'filtered-steps-smaller',
  zigzagFlippedVsClean: 'zigzag-flipped-vs-clean',
  beatsOneHot: 'filterkd-beats-onehot',
  beatsKd: 'filterkd-beats-kd',
} as const;
export const FINDING = {
  beatsEskd: 'filterkd-beats-eskd',
  beatsEskdOverSeeds: 'filterkd-beats-eskd-over-seeds',
} as const;

/** Claim thresholds. */
export const MIN_TABLE_GAIN = 0.05; // mean ‖e_ỹ − p*‖ − mean ‖q̄ − p*‖ (from the issue)
export const MAX_STEP_RATIO = 0.5; // filtered / raw mean step ("much smaller")
export const MIN_ZIGZAG_RATIO = 2; // zig-zag frequency flipped / clean ("far more often": at least twice as often)
export const MIN_ACC_GAIN = 0.03; // Filter-KD test accuracy over one-hot and over KD (from the issue)

export interface SeedOutcome {
  seed: number;
  bayesAcc: number;
  flippedFrac: number;
  /** Mean ‖target − p*‖ on the training set for each supervisory signal. */
  dist: { labels: number; converged: number; early: number; filtered: number };
  stepRaw: number;
  stepFiltered: number;
  zigzagFlipped: number;
  zigzagClean: number;
  /** Epoch of the early-stopped teacher (best noisy-validation accuracy). */
  esEpoch: number;
  acc: { onehot: number; kd: number; eskd: number; filterkd: number };
  /** A few learning paths for the simplex figure. */
  paths: { name: string; points: Simplex3[] }[];
  markers: { label: string; point: Simplex3 }[];
}

type Own = { dispose(): void }[];

/** One seed's problem: the mixture split into train / noisy validation / clean test, 30% flipped training labels, and p* on the training set. */
interface Problem {
  xTr: pg.Tensor;
  xVal: pg.Tensor;
  xTe: pg.Tensor;
  yTe: pg.Tensor;
  yNoisy: pg.Tensor;
  yNoisyVal: pg.Tensor;
  /** Host copies: p*(y | x) of the training points [n, K], the noisy labels, which labels were flipped. */
  pStar: Float32Array;
  yNoisyArr: Int32Array;
  flipped: Uint8Array;
  bayesAcc: number;
}

/**
 * The data: a Gaussian mixture with known posterior p*, symmetric label noise on the training and
 * validation labels (test labels stay clean). Made on the CPU (the generators read data back
 * synchronously), then the tensors the models need are moved to the default device.
 */
function makeProblem(s: Settings, g: pg.Generator, own: Own): Problem {
  const K = s.data.numClasses;
  const { nTrain, nVal, nTest } = s.data;
  const device = pg.getDefaultDevice();
  const host = onCpu(() => {
    const gm = gaussianMixture({ numClasses: K, dim: s.data.dim, n: nTrain + nVal + nTest, separation: s.data.separation, generator: g });
    const part = (t: pg.Tensor, a: number, n: number): pg.Tensor => t.narrow(0, a, n).contiguous();
    const xTr = part(gm.x, 0, nTrain), xVal = part(gm.x, nTrain, nVal), xTe = part(gm.x, nTrain + nVal, nTest);
    const yTr = part(gm.y, 0, nTrain), yVal = part(gm.y, nTrain, nVal), yTe = part(gm.y, nTrain + nVal, nTest);
    const noisy = injectLabelNoise(yTr, { rate: s.data.noise, numClasses: K, generator: g });
    const noisyVal = injectLabelNoise(yVal, { rate: s.data.noise, numClasses: K, generator: g });
    const pStarTr = gm.truePosterior(xTr);
    const bayesAcc = pg.tidy(() => gm.truePosterior(xTe).argmax(1).eq(yTe).float().mean().itemSync());
    const tensors = { xTr, xVal, xTe, yTe, yNoisy: noisy.y, yNoisyVal: noisyVal.y };
    const arrays = {
      pStar: pStarTr.dataSync() as Float32Array,
      yNoisyArr: noisy.y.dataSync() as Int32Array,
      flipped: noisy.flipped.dataSync() as Uint8Array,
    };
    for (const t of [gm.x, gm.y, yTr, yVal, noisy.flipped, noisyVal.flipped, pStarTr]) t.dispose();
    return { tensors, arrays, bayesAcc };
  });
  const dev = (t: pg.Tensor): pg.Tensor => {
    const d = t.to(device);
    if (d !== t) t.dispose();
    own.push(d);
    return d;
  };
  const t = host.tensors;
  return {
    xTr: dev(t.xTr),
    xVal: dev(t.xVal),
    xTe: dev(t.xTe),
    yTe: dev(t.yTe),
    yNoisy: dev(t.yNoisy),
    yNoisyVal: dev(t.yNoisyVal),
    ...host.arrays,
    bayesAcc: host.bayesAcc,
  };
}

interface Teacher {
  /** The converged teacher (= one-hot training on the noisy labels) and the early-stopped one (best noisy-validation accuracy). */
  model: Module;
  early: Module;
  esEpoch: number;
  /** The Filter-KD table q̄ (a moving average of each sample's minibatch predictions). */
  table: FilterTable;
  /** Learning paths: predictions on the training set at initialisation and after each epoch; the table after each epoch. */
  raw: Float32Array[];
  filtered: Float32Array[];
}

/**
 * The teacher on the noisy labels, observing learning paths: after every minibatch the table is
 * updated with softmax(z/τ) of the batch (the Filter-KD filter); after every epoch the raw and the
 * filtered paths are recorded and the early-stopping candidate is kept.
 */
async function trainTeacher(s: Settings, pb: Problem, init: Module, loaderSeed: number, own: Own, progress: (f: number, msg: string) => void): Promise<Teacher> {
  const teacher = init.clone();
  own.push(teacher);
  const table = new FilterTable(s.data.nTrain, s.data.numClasses, s.alpha);
  own.push(table);
  const p0 = predict(teacher, pb.xTr);
  const raw: Float32Array[] = [(await p0.data()) as Float32Array];
  p0.dispose();
  const filtered: Float32Array[] = [];
  let best = { acc: -1, epoch: 0, model: init.clone() };
  own.push({ dispose: () => best.model.dispose() });
  const E = s.train.epochs;
  await trainModel(teacher, pb.xTr, { kind: 'hard', y: pb.yNoisy }, s, new pg.Generator(loaderSeed), {
    onBatch: async (logits, index) => {
      const p = temperedSoftmax(logits, s.temperature);
      await table.update(index, p);
      p.dispose();
    },
    onEpoch: async (e) => {
      const p = predict(teacher, pb.xTr);
      raw.push((await p.data()) as Float32Array);
      p.dispose();
      filtered.push((await table.table.data()) as Float32Array);
      const va = await accuracy(teacher, pb.xVal, pb.yNoisyVal);
      if (va > best.acc) {
        best.model.dispose();
        best = { acc: va, epoch: e, model: teacher.clone() };
      }
      progress(e / E, `teacher epoch ${e}`);
    },
  });
  return { model: teacher, early: best.model, esEpoch: best.epoch, table, raw, filtered };
}

/**
 * The students, from the same initialisation and batch order: one-hot training (which is the
 * teacher's own run), KD from the converged teacher, ESKD from the early-stopped teacher, and
 * Filter-KD from the table. Returns their test accuracies and the soft targets.
 */
async function trainStudents(s: Settings, pb: Problem, init: Module, t: Teacher, loaderSeed: number, own: Own, progress: (f: number, msg: string) => void) {
  const E = s.train.epochs;
  const soft = async (q: pg.Tensor, name: string, f0: number): Promise<number> => {
    const st = init.clone();
    try {
      const target: Target = { kind: 'soft', q };
      await trainModel(st, pb.xTr, target, s, new pg.Generator(loaderSeed), {
        onEpoch: (e) => progress(f0 + (0.2 * e) / E, `${name} epoch ${e}`),
      });
      return await accuracy(st, pb.xTe, pb.yTe);
    } finally {
      st.dispose();
    }
  };
  const qConverged = predict(t.model, pb.xTr, s.temperature);
  const qEarly = predict(t.early, pb.xTr, s.temperature);
  own.push(qConverged, qEarly);
  const acc = {
    onehot: await accuracy(t.model, pb.xTe, pb.yTe), // one-hot training from `init` = the teacher itself
    kd: await soft(qConverged, 'KD student', 0.4),
    eskd: await soft(qEarly, 'ESKD student', 0.6),
    filterkd: await soft(t.table.table, 'Filter-KD student', 0.8),
  };
  return { acc, qConverged: (await qConverged.data()) as Float32Array, qEarly: (await qEarly.data()) as Float32Array };
}

/** Statistics of the paths: distance of each supervisory signal to p*, step sizes of the raw and filtered paths, zig-zags. */
function pathStatistics(s: Settings, pb: Problem, t: Teacher, q: { qConverged: Float32Array; qEarly: Float32Array }) {
  const K = s.data.numClasses;
  const qF = t.filtered[t.filtered.length - 1]!;
  const dist = {
    labels: mean(oneHotDistances(pb.yNoisyArr, pb.pStar, K)),
    converged: mean(rowDistances(q.qConverged, pb.pStar, K)),
    early: mean(rowDistances(q.qEarly, pb.pStar, K)),
    filtered: mean(rowDistances(qF, pb.pStar, K)),
  };
  // Steps from epoch 1 on, where both paths exist (the table starts during epoch 1).
  const stepRaw = meanStep(t.raw, K, 1);
  const stepFiltered = meanStep(t.filtered, K, 0);
  const dStar = t.raw.map((p) => rowDistances(p, pb.pStar, K)); // [T+1][n]
  let zzF = 0, nF = 0, zzC = 0, nC = 0;
  const zig: boolean[] = [];
  for (let i = 0; i < s.data.nTrain; i++) {
    const z = isZigZag(dStar.map((d) => d[i]!), s.zigzagDelta);
    zig.push(z);
    if (pb.flipped[i]) (nF++, z && zzF++);
    else (nC++, z && zzC++);
  }
  return { dist, stepRaw, stepFiltered, zig, flippedFrac: nF / s.data.nTrain, zigzagFlipped: zzF / Math.max(nF, 1), zigzagClean: zzC / Math.max(nC, 1) };
}

/** The simplex figure's paths: the first clean samples, and the first flipped samples that zig-zag (with their filtered paths). */
function simplexPaths(s: Settings, pb: Problem, t: Teacher, zig: boolean[]): Pick<SeedOutcome, 'paths' | 'markers'> {
  const K = s.data.numClasses;
  const paths: SeedOutcome['paths'] = [];
  const markers: SeedOutcome['markers'] = [];
  if (K !== 3) return { paths, markers };
  const pt = (a: ArrayLike<number>, i: number): Simplex3 => [a[i * K]!, a[i * K + 1]!, a[i * K + 2]!];
  const n = s.data.nTrain;
  const clean = [...Array(n).keys()].filter((i) => !pb.flipped[i]).slice(0, s.simplexSamples);
  const flip = [...Array(n).keys()].filter((i) => pb.flipped[i] && zig[i]).slice(0, s.simplexSamples);
  for (const i of clean) {
    paths.push({ name: `clean #${i} (y=${pb.yNoisyArr[i]})`, points: t.raw.map((p) => pt(p, i)) });
    markers.push({ label: `p* #${i}`, point: pt(pb.pStar, i) });
  }
  for (const i of flip) {
    paths.push({ name: `flipped #${i} (ỹ=${pb.yNoisyArr[i]})`, points: t.raw.map((p) => pt(p, i)) });
    paths.push({ name: `flipped #${i}, filtered q̄`, points: t.filtered.map((p) => pt(p, i)) });
    markers.push({ label: `p* #${i}`, point: pt(pb.pStar, i) });
  }
  return { paths, markers };
}

/** One seed of the protocol: data, the teacher observing learning paths, the four students, the path statistics. */
export async function runSeed(s: Settings, seed: number, progress: (f: number, msg: string) => void): Promise<SeedOutcome> {
  const g = new pg.Generator(seed);
  const own: Own = [];
  try {
    const pb = makeProblem(s, g, own);
    const init = makeModel(s, g);
    own.push(init);
    const loaderSeed = seed + 1_000_003; // every model sees the same batch order
    const teacher = await trainTeacher(s, pb, init, loaderSeed, own, (f, m) => progress(0.4 * f, m));
    const students = await trainStudents(s, pb, init, teacher, loaderSeed, own, progress);
    const st = pathStatistics(s, pb, teacher, students);
    return {
      seed,
      bayesAcc: pb.bayesAcc,
      flippedFrac: st.flippedFrac,
      dist: st.dist,
      stepRaw: st.stepRaw,
      stepFiltered: st.stepFiltered,
      zigzagFlipped: st.zigzagFlipped,
      zigzagClean: st.zigzagClean,
      esEpoch: teacher.esEpoch,
      acc: students.acc,
      ...simplexPaths(s, pb, teacher, st.zig),
    };
  } finally {
    for (const o of own.reverse()) o.dispose();
  }
}

const r4 = (v: number): number => Number(v.toPrecision(4));
const fmt = (xs: number[]): string => xs.map((v) => v.toFixed(3)).join(', ');

async function run(opts: RunOptions): Promise<Result> {
  const s = SETTINGS[opts.mode];
  const seeds = Array.from({ length: s.repeats }, (_, i) => s.repeats * opts.seed + i);
  const outs: SeedOutcome[] = [];
  for (const [k, seed] of seeds.entries()) {
    outs.push(await runSeed(s, seed, (f, msg) => opts.onProgress((k + f) / seeds.length, `seed ${seed}: ${msg}`)));
  }
  opts.onProgress(1, 'evaluating');
  const avg = (f: (o: SeedOutcome) => number): number => mean(outs.map(f));
  const tableGain = outs.map((o) => o.dist.labels - o.dist.filtered);
  const stepRatio = outs.map((o) => o.stepFiltered / o.stepRaw);
  const zzRatio = outs.map((o) => o.zigzagFlipped / Math.max(o.zigzagClean, 1e-9));
  const gainOneHot = outs.map((o) => o.acc.filterkd - o.acc.onehot);
  const gainKD = outs.map((o) => o.acc.filterkd - o.acc.kd);
  const gainESKD = outs.map((o) => o.acc.filterkd - o.acc.eskd);

  const claims: ClaimCheck[] = [
    check(CLAIM.tableCloserToPstar, Math.min(...tableGain), '>=', MIN_TABLE_GAIN, `min over seeds of mean‖e_ỹ − p*‖ − mean‖q̄ − p*‖; per seed ${fmt(tableGain)}`),
    check(CLAIM.filteredStepsSmaller, Math.max(...stepRatio), '<=', MAX_STEP_RATIO, `max over seeds of (mean filtered step) / (mean raw step); per seed ${fmt(stepRatio)}`),
    check(
      CLAIM.zigzagFlippedVsClean,
      Math.min(...zzRatio),
      '>=',
      MIN_ZIGZAG_RATIO,
      `min over seeds of zig-zag rate flipped / clean (δ = ${s.zigzagDelta}); flipped ${fmt(outs.map((o) => o.zigzagFlipped))}, clean ${fmt(outs.map((o) => o.zigzagClean))}`,
    ),
    check(CLAIM.beatsOneHot, mean(gainOneHot), '>=', MIN_ACC_GAIN, `mean over the ${outs.length} seeds of test accuracy Filter-KD − one-hot; per seed ${fmt(gainOneHot)}`),
    check(CLAIM.beatsKd, mean(gainKD), '>=', MIN_ACC_GAIN, `mean over the ${outs.length} seeds of test accuracy Filter-KD − KD (converged teacher); per seed ${fmt(gainKD)}`),
  ];
  const findings: ClaimCheck[] = [
    check(FINDING.beatsEskd, mean(gainESKD), '>=', 0, `mean over the ${outs.length} seeds of test accuracy Filter-KD − ESKD (early-stopped teacher); per seed ${fmt(gainESKD)}`),
  ];

  const accRow = (name: string, f: (o: SeedOutcome) => number, d: ((o: SeedOutcome) => number) | null): (string | number)[] => [
    name,
    r4(avg(f)),
    ...outs.map((o) => r4(f(o))),
    d ? r4(avg(d)) : '-',
  ];
  const series: Series[] = [
    {
      name: 'test-accuracy',
      kind: 'bar',
      title: 'Test accuracy of the students (30% symmetric label noise)',
      yLabel: 'test accuracy',
      data: {
        categories: ['one-hot', 'KD (converged)', 'ESKD', 'Filter-KD', 'Bayes'],
        groups: outs.map((o) => ({ name: `seed ${o.seed}`, values: [o.acc.onehot, o.acc.kd, o.acc.eskd, o.acc.filterkd, o.bayesAcc] })),
      },
    },
  ];
  if (s.data.numClasses === 3) {
    for (const o of outs) {
      series.push({
        name: `simplex-paths-seed-${o.seed}`,
        kind: 'simplex',
        title: `Learning paths on the simplex (seed ${o.seed})`,
        caption: `raw path: prediction after every epoch (from the initialisation); the filtered q̄ of the flipped samples; markers: p*. The clean samples are the first ones in the data set, the flipped ones the first flipped samples that zig-zag (${(100 * o.zigzagFlipped).toFixed(0)}% of the flipped samples do).`,
        data: { paths: o.paths, markers: o.markers, vertexLabels: ['class 0', 'class 1', 'class 2'] },
      });
    }
  }
  return {
    tables: [
      {
        name: 'students: test accuracy',
        columns: ['supervision', 'mean', ...outs.map((o) => `seed ${o.seed}`), 'mean ‖target − p*‖ (train)'],
        rows: [
          accRow('one-hot (noisy labels)', (o) => o.acc.onehot, (o) => o.dist.labels),
          accRow('KD from converged teacher', (o) => o.acc.kd, (o) => o.dist.converged),
          accRow('ESKD (early-stopped teacher)', (o) => o.acc.eskd, (o) => o.dist.early),
          accRow(`Filter-KD (α = ${s.alpha}, τ = ${s.temperature})`, (o) => o.acc.filterkd, (o) => o.dist.filtered),
          accRow('Bayes classifier (p*)', (o) => o.bayesAcc, null),
        ],
      },
      {
        name: 'learning paths',
        columns: ['seed', 'flipped fraction', 'raw step', 'filtered step', 'step ratio', 'zig-zag flipped', 'zig-zag clean', 'ES epoch'],
        rows: outs.map((o) => [o.seed, r4(o.flippedFrac), r4(o.stepRaw), r4(o.stepFiltered), r4(o.stepFiltered / o.stepRaw), r4(o.zigzagFlipped), r4(o.zigzagClean), o.esEpoch]),
      },
    ],
    series,
    claims,
    findings,
    notes: [
      `${seeds.length} seeds inside this run (sub-seeds ${seeds.join(', ')}); ${s.data.nTrain} train / ${s.data.nVal} noisy validation / ${s.data.nTest} test points, ${s.data.dim}-d, ${s.data.numClasses} classes, separation ${s.data.separation}; ${s.train.epochs} epochs of Adam (lr ${s.train.lr}, batch ${s.train.batch}) for every model`,
    ],
  };
}

/** Over seeds: Filter-KD vs ESKD on the mean over the runs, with its 95% interval. */
function aggregate(runs: { seed: number; result: Result }[]): Partial<Checks> {
  return { findings: [checkOnMean(FINDING.beatsEskdOverSeeds, valuesOf(runs, FINDING.beatsEskd), '>=', 0, 'Filter-KD − ESKD test accuracy (each run: the mean of its 3 seeds)')] };
}

export const filterKd: Experiment = {
  name: 'filter-kd',
  paper: {
    title: 'Better supervisory signals by observing learning paths',
    authors: 'Yi Ren, Shangmin Guo, Danica J. Sutherland',
    venue: 'ICLR 2022',
    arxiv: '2203.02485',
  },
  summary:
    'A teacher trained on 30%-noisy labels of a Gaussian mixture with known posterior p* records every sample\'s learning path; Filter-KD ' +
    'keeps a per-sample moving average q̄ of the minibatch predictions and distils it into a student from the same initialisation.',
  claims: [
    { name: CLAIM.tableCloserToPstar, description: `mean ‖q̄ − p*‖ is below mean ‖e_ỹ − p*‖ by ≥ ${MIN_TABLE_GAIN} (each of 3 seeds)` },
    { name: CLAIM.filteredStepsSmaller, description: `the filtered path's mean step is ≤ ${MAX_STEP_RATIO}× the raw path's (each seed)` },
    { name: CLAIM.zigzagFlippedVsClean, description: `flipped samples zig-zag (distance to p* falls, then rises) ≥ ${MIN_ZIGZAG_RATIO}× as often as clean ones (each seed)` },
    { name: CLAIM.beatsOneHot, description: `Filter-KD student beats one-hot training by ≥ ${MIN_ACC_GAIN} test accuracy (mean over the run's 3 seeds)` },
    { name: CLAIM.beatsKd, description: `Filter-KD student beats KD from the converged teacher by ≥ ${MIN_ACC_GAIN} test accuracy (mean over the run's 3 seeds)` },
  ],
  findings: [
    { name: FINDING.beatsEskd, description: 'the paper: the Filter-KD student beats the early-stopped teacher\'s student (ESKD); here: Filter-KD − ESKD test accuracy ≥ 0 (mean over the run\'s 3 seeds)' },
    { name: FINDING.beatsEskdOverSeeds, description: 'the same on the mean over all runs: the lower end of its 95% interval ≥ 0' },
  ],
  run,
  aggregate,
};
