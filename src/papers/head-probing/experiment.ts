/**
 * The head-probing experiment: a τ sweep of head probing before finetuning, on a latent-mixture
 * source task and a merged-class downstream task, repeated for 4 seeds inside one run (so the
 * "in at least 3 of 4 seeds" claims are checked by every run, also a single-seed reproduce).
 * See README.md.
 */
import * as pg from '../../autograd/index.js';
import { check, type ClaimCheck, type Experiment, type Result, type RunOptions, type Series } from '../../experiment/index.js';
import type { Module } from '../../nn/module.js';
import { mean as avg, spearman } from '../../nn/stats.js';
import {
  CONFIG,
  accuracy,
  byteDiff,
  energy,
  featureMetrics,
  features,
  finetune,
  headProbe,
  makeBackbone,
  makeHead,
  makeTasks,
  peakDrop,
  pretrain,
  stateBytes,
  type FeatureMetrics,
  type HeadProbingConfig,
} from './index.js';

export interface Settings extends HeadProbingConfig {
  /** Independent repetitions inside one run (sub-seeds 4·seed … 4·seed + 3). */
  repeats: number;
  /** Label smoothing ε of the probing variant (reported, not a claim). */
  labelSmoothing: number;
}

export const SETTINGS: Record<'quick' | 'full', Settings> = {
  quick: {
    ...CONFIG,
    task: { ...CONFIG.task, separation: 6 },
    finetune: { ...CONFIG.finetune, lr: 0.02 },
    taus: [0, 2, 8, 32, 128, 512],
    repeats: 4,
    labelSmoothing: 0.2,
  },
  full: {
    ...CONFIG,
    task: { ...CONFIG.task, separation: 6, nVal: 1024 },
    finetune: { ...CONFIG.finetune, lr: 0.02 },
    taus: [0, 1, 2, 4, 8, 16, 32, 64, 128, 256, 512],
    repeats: 4,
    labelSmoothing: 0.2,
  },
};

/** The checks' names, defined once: the checks, the README tables and the tests use these. */
export const CLAIM = {
  energyDecreases: 'energy-decreases',
  spearmanEuclidean: 'spearman-euclidean',
  spearmanCosine: 'spearman-cosine',
  dotInteriorPeak: 'dot-interior-peak',
  normInteriorPeak: 'norm-interior-peak',
} as const;
export const SANITY = {
  backboneBitIdentical: 'backbone-bit-identical',
} as const;

/** Claim thresholds (from the issue). */
export const RHO_EUCLIDEAN = 0.9;
export const RHO_COSINE = 0.85;
export const MIN_SEEDS = 3;
export const MIN_PEAK_DROP = 0.005;

/** One finetuning run from the pretrained backbone and a given head. */
export interface SweepPoint {
  tau: number;
  energy: number;
  /** Validation accuracy of the probed head on the pretrained backbone (before finetuning). */
  probeAcc: number;
  /** Validation accuracy after finetuning. */
  acc: number;
  metrics: FeatureMetrics;
}

export interface SeedSweep {
  seed: number;
  sourceAcc: number;
  points: SweepPoint[];
  /** The label-smoothing probe at the largest τ, finetuned the same way. */
  smoothed: SweepPoint;
  /** Differing stateDict bytes of the backbone, summed over every probing snapshot (plain and smoothed). */
  backboneDiffBytes: number;
  /** Fewest differing backbone bytes after any finetuning run (a sanity check that the comparison sees changes). */
  finetunedDiffBytes: number;
}

/** The whole protocol for one sub-seed. */
export async function runSeed(s: Settings, seed: number, progress: (f: number, msg: string) => void): Promise<SeedSweep> {
  const g = new pg.Generator(seed);
  const tasks = makeTasks(s.task, g);
  const featDim = s.hidden[s.hidden.length - 1]!;
  const backbone = makeBackbone(s.task.inputDim, s.hidden, g);
  const sourceHead = makeHead(featDim, s.task.sourceClasses, g);
  const head = makeHead(featDim, s.task.downstreamClasses, g);
  const headSmooth = head.clone();
  const snapshots: pg.Tensor[] = [];
  try {
    await pretrain(backbone, sourceHead, tasks.source, s.pretrain, g, (e) => progress((0.2 * e) / s.pretrain.epochs, `pretrain epoch ${e}`));
    const sourceAcc = await accuracy(backbone, sourceHead, tasks.source);
    const ref = await stateBytes(backbone);

    // Head probing, snapshotting the head at every τ; the backbone must not change at all.
    const pending: Promise<number>[] = [];
    const compare = (): void => void pending.push(stateBytes(backbone).then((b) => byteDiff(ref, b)));
    const gProbe = g.clone();
    const probed = await headProbe(backbone, head, tasks.train, s.probe, s.taus, gProbe, compare);
    progress(0.4, 'head probing done');
    const tauMax = Math.max(...s.taus);
    const smoothed = await headProbe(backbone, headSmooth, tasks.train, { ...s.probe, labelSmoothing: s.labelSmoothing }, [tauMax], g.clone(), compare);
    progress(0.5, 'label-smoothing probing done');
    const backboneDiffBytes = (await Promise.all(pending)).reduce((a, b) => a + b, 0);

    const z0 = features(backbone, tasks.val.x);
    snapshots.push(z0);
    let finetunedDiffBytes = Infinity;
    const finetuneFrom = async (tau: number, h0: Module): Promise<SweepPoint> => {
      const b = backbone.clone();
      const h = h0.clone();
      try {
        const e = await energy(b, h, tasks.train);
        const probeAcc = await accuracy(b, h, tasks.val);
        // The same minibatch order for every τ: the head is the only difference.
        await finetune(b, h, tasks.train, s.finetune, new pg.Generator(seed + 1_000_003));
        finetunedDiffBytes = Math.min(finetunedDiffBytes, byteDiff(ref, await stateBytes(b)));
        const z = features(b, tasks.val.x);
        const metrics = await featureMetrics(z, z0);
        z.dispose();
        return { tau, energy: e, probeAcc, acc: await accuracy(b, h, tasks.val), metrics };
      } finally {
        b.dispose();
        h.dispose();
      }
    };
    const points: SweepPoint[] = [];
    for (const [i, tau] of s.taus.entries()) {
      points.push(await finetuneFrom(tau, probed.get(tau)!));
      progress(0.5 + (0.45 * (i + 1)) / (s.taus.length + 1), `finetuned from τ=${tau}`);
    }
    const smoothedPoint = await finetuneFrom(tauMax, smoothed.get(tauMax)!);
    for (const m of [...probed.values(), ...smoothed.values()]) m.dispose();
    return { seed, sourceAcc, points, smoothed: smoothedPoint, backboneDiffBytes, finetunedDiffBytes };
  } finally {
    for (const t of snapshots) t.dispose();
    for (const m of [backbone, sourceHead, head, headSmooth]) m.dispose();
    tasks.dispose();
  }
}

export interface SeedStats {
  rhoEuclidean: number;
  rhoCosine: number;
  dot: ReturnType<typeof peakDrop>;
  norm: ReturnType<typeof peakDrop>;
  /** Sweep steps where the energy did not decrease. */
  energyIncreases: number;
  bestTau: number;
}

export function seedStats(sw: SeedSweep): SeedStats {
  const E = sw.points.map((p) => p.energy);
  let energyIncreases = 0;
  for (let i = 1; i < E.length; i++) if (!(E[i]! < E[i - 1]!)) energyIncreases++;
  let best = 0;
  sw.points.forEach((p, i) => {
    if (p.acc > sw.points[best]!.acc) best = i;
  });
  return {
    rhoEuclidean: spearman(E, sw.points.map((p) => p.metrics.euclidean)),
    rhoCosine: spearman(E, sw.points.map((p) => 1 - p.metrics.cosine)),
    dot: peakDrop(E, sw.points.map((p) => p.metrics.dot)),
    norm: peakDrop(E, sw.points.map((p) => p.metrics.norm)),
    energyIncreases,
    bestTau: sw.points[best]!.tau,
  };
}

const r4 = (v: number): number => Number(v.toPrecision(4));

async function run(opts: RunOptions): Promise<Result> {
  const s = SETTINGS[opts.mode];
  const seeds = Array.from({ length: s.repeats }, (_, i) => s.repeats * opts.seed + i);
  const sweeps: SeedSweep[] = [];
  for (const [k, seed] of seeds.entries()) {
    sweeps.push(
      await runSeed(s, seed, (f, msg) => opts.onProgress((k + f) / seeds.length, `seed ${seed}: ${msg}`)),
    );
  }
  opts.onProgress(1, 'evaluating');
  const stats = sweeps.map(seedStats);

  // Seed-mean curves (every seed has the same τ grid).
  const meanAt = (f: (p: SweepPoint) => number): number[] => s.taus.map((_, i) => avg(sweeps.map((sw) => f(sw.points[i]!))));
  const mE = meanAt((p) => p.energy);
  const mAcc = meanAt((p) => p.acc);
  const mDot = meanAt((p) => p.metrics.dot);
  const mNorm = meanAt((p) => p.metrics.norm);
  const dotPeak = peakDrop(mE, mDot);
  const normPeak = peakDrop(mE, mNorm);
  let bestMean = 0;
  mAcc.forEach((a, i) => {
    if (a > mAcc[bestMean]!) bestMean = i;
  });
  const bestTau = s.taus[bestMean]!;
  const tauMax = Math.max(...s.taus);
  const fmt = (xs: number[]): string => xs.map((v) => v.toFixed(3)).join(', ');

  const sweepRows = s.taus.map((tau, i) => {
    const ps = sweeps.map((sw) => sw.points[i]!);
    return [
      tau,
      r4(avg(ps.map((p) => p.energy))),
      r4(avg(ps.map((p) => p.probeAcc))),
      r4(avg(ps.map((p) => p.acc))),
      r4(avg(ps.map((p) => p.metrics.euclidean))),
      r4(avg(ps.map((p) => 1 - p.metrics.cosine))),
      r4(avg(ps.map((p) => p.metrics.dot))),
      r4(avg(ps.map((p) => p.metrics.norm))),
    ];
  });
  const lsRow = (name: string, pick: (sw: SeedSweep) => SweepPoint): (string | number)[] => {
    const ps = sweeps.map(pick);
    return [
      name,
      r4(avg(ps.map((p) => p.energy))),
      r4(avg(ps.map((p) => p.acc))),
      r4(avg(ps.map((p) => p.metrics.euclidean))),
      r4(avg(ps.map((p) => 1 - p.metrics.cosine))),
      r4(avg(ps.map((p) => p.metrics.dot))),
      r4(avg(ps.map((p) => p.metrics.norm))),
    ];
  };

  const perSeedRows = sweeps.map((sw, k) => {
    const st = stats[k]!;
    return [sw.seed, r4(sw.sourceAcc), st.energyIncreases, r4(st.rhoEuclidean), r4(st.rhoCosine), r4(st.dot.minDrop), r4(st.norm.minDrop), st.bestTau, sw.backboneDiffBytes, sw.finetunedDiffBytes];
  });

  const nEuc = stats.filter((st) => st.rhoEuclidean >= RHO_EUCLIDEAN).length;
  const nCos = stats.filter((st) => st.rhoCosine >= RHO_COSINE).length;
  const increases = stats.reduce((a, st) => a + st.energyIncreases, 0);
  const diffBytes = sweeps.reduce((a, sw) => a + sw.backboneDiffBytes, 0);
  const claims: ClaimCheck[] = [
    check(CLAIM.energyDecreases, increases, '<=', 0, `sweep steps (of ${seeds.length}×${s.taus.length - 1}) where the energy did not decrease; mean energies ${fmt(mE)}`),
    check(CLAIM.spearmanEuclidean, nEuc, '>=', MIN_SEEDS, `seeds (of ${seeds.length}) with Spearman(energy, ‖z − z₀‖) ≥ ${RHO_EUCLIDEAN}: ρ = ${fmt(stats.map((st) => st.rhoEuclidean))}`),
    check(CLAIM.spearmanCosine, nCos, '>=', MIN_SEEDS, `seeds (of ${seeds.length}) with Spearman(energy, 1 − cos) ≥ ${RHO_COSINE}: ρ = ${fmt(stats.map((st) => st.rhoCosine))}`),
    check(
      CLAIM.dotInteriorPeak,
      dotPeak.minDrop,
      '>=',
      MIN_PEAK_DROP,
      `seed-mean zᵀz₀ peaks at energy ${mE.slice().sort((a, b) => a - b)[dotPeak.peak]!.toFixed(3)}, falling ${(100 * dotPeak.dropLow).toFixed(2)}% / ${(100 * dotPeak.dropHigh).toFixed(2)}% to the low / high energy end; per seed min drop ${fmt(stats.map((st) => st.dot.minDrop))}`,
    ),
    check(
      CLAIM.normInteriorPeak,
      normPeak.minDrop,
      '>=',
      MIN_PEAK_DROP,
      `seed-mean ‖z‖ peaks at energy ${mE.slice().sort((a, b) => a - b)[normPeak.peak]!.toFixed(3)}, falling ${(100 * normPeak.dropLow).toFixed(2)}% / ${(100 * normPeak.dropHigh).toFixed(2)}% to the low / high energy end; per seed min drop ${fmt(stats.map((st) => st.norm.minDrop))}`,
    ),
  ];
  const sanity: ClaimCheck[] = [
    check(SANITY.backboneBitIdentical, diffBytes, '<=', 0, `differing backbone stateDict bytes over every probing snapshot (for contrast, every finetuning run changes ≥ ${Math.min(...sweeps.map((sw) => sw.finetunedDiffBytes))} bytes)`),
  ];

  const metricSeries = (key: keyof FeatureMetrics | 'oneMinusCos'): Series['data'] => ({
    series: sweeps.map((sw) => {
      const pts = sw.points.slice().sort((a, b) => a.energy - b.energy);
      return {
        name: `seed ${sw.seed}`,
        x: pts.map((p) => p.energy),
        y: pts.map((p) => (key === 'oneMinusCos' ? 1 - p.metrics.cosine : p.metrics[key])),
      };
    }),
  });
  const metricFig = (name: string, title: string, yLabel: string, key: keyof FeatureMetrics | 'oneMinusCos'): Series => ({
    name,
    kind: 'line',
    title,
    xLabel: 'energy at the start of finetuning, mean ‖e_y − p₀(x)‖',
    yLabel,
    caption: `validation features after finetuning vs the pretrained ones; one line per seed, points are τ ∈ {${s.taus.join(', ')}}`,
    data: metricSeries(key) as Extract<Series, { kind: 'line' }>['data'],
  });

  return {
    tables: [
      {
        name: `τ sweep (mean over seeds ${seeds.join(', ')})`,
        columns: ['τ (probe epochs)', 'energy', 'probe val acc', 'finetuned val acc', '‖z − z₀‖', '1 − cos', 'zᵀz₀', '‖z‖'],
        rows: sweepRows,
      },
      {
        name: 'per seed',
        columns: ['seed', 'source acc', 'energy increases', 'ρ(E, ‖z−z₀‖)', 'ρ(E, 1−cos)', 'zᵀz₀ peak drop', '‖z‖ peak drop', 'best τ', 'backbone Δbytes (probing)', 'backbone Δbytes (finetuned)'],
        rows: perSeedRows,
      },
      {
        name: `label smoothing during probing (τ = ${tauMax}, ε = ${s.labelSmoothing})`,
        columns: ['probe', 'energy', 'finetuned val acc', '‖z − z₀‖', '1 − cos', 'zᵀz₀', '‖z‖'],
        rows: [
          lsRow('τ = 0 (no probing)', (sw) => sw.points[0]!),
          lsRow(`τ = ${tauMax}, plain CE`, (sw) => sw.points[sw.points.length - 1]!),
          lsRow(`τ = ${tauMax}, label smoothing ${s.labelSmoothing}`, (sw) => sw.smoothed),
        ],
      },
    ],
    series: [
      metricFig('euclidean-vs-energy', 'Feature change ‖z − z₀‖ vs energy', 'mean ‖z − z₀‖', 'euclidean'),
      metricFig('cosine-vs-energy', 'Direction change 1 − cos(z, z₀) vs energy', 'mean 1 − cos(z, z₀)', 'oneMinusCos'),
      metricFig('dot-vs-energy', 'Dot product zᵀz₀ vs energy', 'mean zᵀz₀', 'dot'),
      metricFig('norm-vs-energy', 'Feature norm ‖z‖ vs energy', 'mean ‖z‖', 'norm'),
      {
        name: 'energy-and-accuracy-vs-tau',
        kind: 'line',
        title: 'Energy and finetuned accuracy vs head-probing epochs',
        xLabel: 'τ + 1 (head-probing epochs + 1)',
        yLabel: 'energy / accuracy',
        caption: 'mean over the seeds of one run',
        data: {
          logX: true,
          series: [
            { name: 'energy', x: s.taus.map((t) => t + 1), y: mE },
            { name: 'finetuned val accuracy', x: s.taus.map((t) => t + 1), y: mAcc },
            { name: 'probe val accuracy', x: s.taus.map((t) => t + 1), y: meanAt((p) => p.probeAcc) },
          ],
        },
      },
    ],
    claims,
    sanity,
    notes: [
      `best downstream accuracy (seed mean) at τ = ${bestTau} (${mAcc[bestMean]!.toFixed(4)}; τ = 0: ${mAcc[0]!.toFixed(4)}, τ = ${tauMax}: ${mAcc[mAcc.length - 1]!.toFixed(4)}); per seed best τ: ${stats.map((st) => st.bestTau).join(', ')}`,
      `label smoothing ε = ${s.labelSmoothing} while probing for τ = ${tauMax}: energy ${avg(sweeps.map((sw) => sw.smoothed.energy)).toFixed(3)} vs ${avg(sweeps.map((sw) => sw.points[sw.points.length - 1]!.energy)).toFixed(3)} (plain), finetuned accuracy ${avg(sweeps.map((sw) => sw.smoothed.acc)).toFixed(4)} vs ${avg(sweeps.map((sw) => sw.points[sw.points.length - 1]!.acc)).toFixed(4)}`,
      `${seeds.length} seeds inside this run (sub-seeds ${seeds.join(', ')}); ${s.task.nSource} source / ${s.task.nTrain} downstream train / ${s.task.nVal} validation points`,
    ],
  };
}

export const headProbing: Experiment = {
  name: 'head-probing',
  paper: {
    title: 'How to prepare your task head for finetuning',
    authors: 'Yi Ren, Shangmin Guo, Wonho Bae, Danica J. Sutherland',
    venue: 'ICLR 2023',
    arxiv: '2302.05779',
  },
  summary:
    'Pretrain an MLP backbone on latent-mixture source classes, attach a new head for merged downstream classes, train only the head ' +
    'for τ epochs (τ from 0 to 512), then finetune everything; the energy at the start of finetuning predicts how far the features move.',
  claims: [
    { name: CLAIM.energyDecreases, description: 'the energy at the start of finetuning decreases monotonically with τ (every seed)' },
    { name: CLAIM.spearmanEuclidean, description: `Spearman(energy, ‖z − z₀‖) ≥ ${RHO_EUCLIDEAN} in at least ${MIN_SEEDS} of 4 seeds` },
    { name: CLAIM.spearmanCosine, description: `Spearman(energy, 1 − cos(z, z₀)) ≥ ${RHO_COSINE} in at least ${MIN_SEEDS} of 4 seeds` },
    { name: CLAIM.dotInteriorPeak, description: `zᵀz₀ peaks at an interior energy, ≥ ${100 * MIN_PEAK_DROP}% above both ends (seed mean)` },
    { name: CLAIM.normInteriorPeak, description: `‖z‖ peaks at an interior energy, ≥ ${100 * MIN_PEAK_DROP}% above both ends (seed mean)` },
  ],
  sanity: [{ name: SANITY.backboneBitIdentical, description: 'head probing leaves the backbone bit-identical (stateDict bytes; by construction: it is frozen)' }],
  run,
};
