/**
 * The level-sampling experiment (SSED → DRED, see README.md): one seed trains a VAE on 32 training
 * levels of G*, measures how far each level generator shifts the distribution (no RL), then trains
 * one PPO agent per level-sampling method on those 32 levels (uniform, PLR, DR, DRED; more in
 * --full) and measures returns on training and held-out G* levels, the generalisation gap, and the
 * mutual information between the agent's representation and the training-level identity.
 */
import * as pg from '../../autograd/index.js';
import { check, type Checks, type ClaimCheck, type Experiment, type Result, type RunOptions, type Series, type Table } from '../../experiment/index.js';
import { checkOnMean, valuesOf } from '../common/seeds.js';
import { PALETTE } from '../../experiment/svg.js';
import { bootstrapCI, mean, spearman } from '../../nn/stats.js';
import { Rng } from '../../nn/rl/rng.js';
import { collectFeatures, evaluate, makeAgent, miGapBound, probeMI, trainAgent, type AgentConfig } from './agent.js';
import { domainRandomisation, gStar, levelFeatures, mossNearGoal, randomEdits, tileFrequencies } from './generators.js';
import { PLRSampler, UniformSampler, type ScoreKind } from './samplers.js';
import { shiftAUC } from './shift.js';
import { FixedSetSource, GrowingBufferSource, StreamSource, type LevelSource } from './sources.js';
import { SIZE, solutionLength, type Level } from './tinycave.js';
import { LevelVAE, latentMeans, trainVAE, vaeInterpolations } from './vae.js';

export type Method = 'uniform' | 'plr' | 'plr-positiveValueLoss' | 'plr-gae' | 'plr-groundedValueL1' | 'dr' | 'edits' | 'dred';
export const METHOD_LABELS: Record<Method, string> = {
  uniform: 'uniform', plr: 'PLR (value L1)', 'plr-positiveValueLoss': 'PLR (positive value loss)', 'plr-gae': 'PLR (GAE)',
  'plr-groundedValueL1': 'PLR (grounded value L1)', dr: 'DR', edits: 'random edits', dred: 'DRED',
};

export interface Settings {
  numTrain: number;
  /** Held-out G* levels for the agents' returns, and for the distribution-shift classifier. */
  numTest: number;
  numShift: number;
  steps: number;
  methods: Method[];
  agent: AgentConfig;
  plr: { temperature: number; rho: number };
  dred: { capacity: number; generateProb: number };
  /** Random cell edits per generated level (ACCEL's default). */
  edits: number;
  vae: { hidden: number; latent: number; beta: number; steps: number; batch: number; lr: number };
  /** Checkpoints for the return curves, and the levels / episodes evaluated there. */
  curvePoints: number;
  curveTestLevels: number;
  finalTrainEpisodes: number;
  finalTestEpisodes: number;
  probeEpisodes: number;
}

const AGENT: AgentConfig = { hidden: [64, 64], numEnvs: 32, ppo: { numSteps: 32, lr: 5e-4, gamma: 0.995, entropyCoef: 0.01 } };

export const SETTINGS: Record<'quick' | 'full', Settings> = {
  quick: {
    numTrain: 32, numTest: 200, numShift: 512, steps: 300_000, methods: ['uniform', 'plr', 'dr', 'dred'],
    agent: AGENT, plr: { temperature: 0.3, rho: 0.3 }, dred: { capacity: 64, generateProb: 0.3 }, edits: 5,
    vae: { hidden: 256, latent: 16, beta: 1, steps: 1500, batch: 32, lr: 2e-3 },
    curvePoints: 6, curveTestLevels: 64, finalTrainEpisodes: 8, finalTestEpisodes: 2, probeEpisodes: 8,
  },
  full: {
    numTrain: 32, numTest: 500, numShift: 512, steps: 1_000_000,
    methods: ['uniform', 'plr', 'plr-positiveValueLoss', 'plr-gae', 'plr-groundedValueL1', 'dr', 'edits', 'dred'],
    agent: AGENT, plr: { temperature: 0.3, rho: 0.3 }, dred: { capacity: 64, generateProb: 0.3 }, edits: 5,
    vae: { hidden: 256, latent: 16, beta: 1, steps: 3000, batch: 32, lr: 2e-3 },
    curvePoints: 10, curveTestLevels: 128, finalTrainEpisodes: 16, finalTestEpisodes: 4, probeEpisodes: 16,
  },
};

// ---------------------------------------------------------------------------------- check names
export const SHIFT_ORDER = 'shift-auc-order';
export const SHIFT_EDITS_DR = 'shift-edits-below-dr';
export const SHIFT_ORDER_MEAN = 'shift-auc-order-over-seeds';
export const DRED_VS_UNIFORM_MEAN = 'dred-vs-uniform-over-seeds';
export const PLR_LOWER_MI_MEAN = 'plr-lower-mi-over-seeds';
export const PLR_GAP_MEAN = 'plr-gap-no-larger-over-seeds';
export const DRED_VS_PLR_MEAN = 'dred-vs-plr-over-seeds';
export const PLR_VS_UNIFORM_MEAN = 'plr-vs-uniform-over-seeds';
export const UNIFORM_VS_DR_MEAN = 'uniform-vs-dr-over-seeds';
export const SHIFT_DR = 'shift-dr-auc';
export const MOSS_VAE = 'vae-keeps-moss-cue';
export const MOSS_VAE_MEAN = 'vae-keeps-moss-cue-over-seeds';
export const MOSS_DR = 'dr-loses-moss-cue';
export const DRED_VS_UNIFORM = 'dred-vs-uniform';
export const PLR_LOWER_MI = 'plr-lower-mi';
export const PLR_GAP = 'plr-gap-no-larger';
export const SPEARMAN_MI_GAP = 'spearman-mi-gap';
export const DRED_VS_PLR = 'dred-vs-plr';
export const PLR_VS_UNIFORM = 'plr-vs-uniform';
export const UNIFORM_VS_DR = 'uniform-vs-dr';
export const GSTAR_AUC = 'gstar-vs-gstar-auc';
export const DATASET_KEPT = 'dred-keeps-dataset-levels';
export const LEVELS_VALID = 'generated-levels-solvable';

/** Relative tolerance of the moss statistic (the issue's 25%). */
export const MOSS_TOL = 0.25;
export const DR_AUC_MIN = 0.9;

// ---------------------------------------------------------------------------------- one agent
export interface AgentRun {
  method: Method;
  trainReturn: number;
  testReturn: number;
  testPerLevel: Float64Array;
  testSolved: number;
  gap: number;
  mi: number;
  miBound: number;
  probeAccuracy: number;
  curve: { steps: number[]; train: number[]; test: number[] };
  cpuSeconds: number;
  /** DRED / edits: generated levels proposed, admitted, and dataset levels still in the buffer. */
  buffer?: { proposed: number; admitted: number; datasetKept: number; fallbacks: number };
}

function cpuSeconds(): number {
  if (typeof process === 'undefined' || typeof process.cpuUsage !== 'function') return performance.now() / 1000;
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
}

interface Context {
  s: Settings;
  seed: number;
  train: Level[];
  test: Level[];
  vae: LevelVAE;
  means: Float64Array[];
}

function plrScore(m: Method): ScoreKind {
  return m === 'plr' ? 'valueL1' : (m.slice(4) as ScoreKind);
}

async function runAgent(ctx: Context, method: Method, progress: (f: number) => void): Promise<AgentRun> {
  const { s, train, test } = ctx;
  const c0 = cpuSeconds();
  // The same agent initialisation, action stream and episode-level stream for every method.
  const g = new pg.Generator(ctx.seed * 1009 + 11);
  const rng = new Rng(ctx.seed * 1009 + 13);
  const genRng = new Rng(ctx.seed * 1009 + 17);
  const n = train.length;
  let source: LevelSource;
  let refill: (() => Promise<void>) | null = null;
  let fallbacks = 0;
  if (method === 'uniform') source = new FixedSetSource(train, new UniformSampler(n));
  else if (method.startsWith('plr')) source = new FixedSetSource(train, new PLRSampler(n, { score: plrScore(method), ...s.plr }));
  else if (method === 'dr') {
    const freq = tileFrequencies(train);
    source = new StreamSource((r) => domainRandomisation(r, freq));
  } else if (method === 'edits') {
    source = new GrowingBufferSource(train, (r, b) => randomEdits(r, b.levels[r.choice(b.distribution())]!, s.edits), { score: 'groundedValueL1', ...s.plr, ...s.dred });
  } else {
    const pool: Level[] = [];
    source = new GrowingBufferSource(train, (r) => pool.pop() ?? (fallbacks++, train[r.int(n)]!), { score: 'groundedValueL1', ...s.plr, ...s.dred });
    refill = async () => {
      if (pool.length < 256) pool.push(...(await vaeInterpolations(ctx.vae, ctx.means, 512, genRng)));
    };
    await refill();
  }
  const net = makeAgent(s.agent, g);
  const curve = { steps: [] as number[], train: [] as number[], test: [] as number[] };
  const curveTest = test.slice(0, s.curveTestLevels);
  const every = s.steps / s.curvePoints;
  let nextCurve = every;
  const evalGen = () => new pg.Generator(ctx.seed * 1009 + 19); // the same evaluation stream for every method
  const curvePoint = async (step: number) => {
    const tr = await evaluate(net, train, { episodes: 1, generator: evalGen() });
    const te = await evaluate(net, curveTest, { episodes: 1, generator: evalGen() });
    curve.steps.push(step);
    curve.train.push(mean(tr.returns));
    curve.test.push(mean(te.returns));
  };
  try {
    await curvePoint(0);
    await trainAgent(net, source, {
      cfg: s.agent, totalSteps: s.steps, generator: g, rng,
      onIteration: async (step) => {
        if (refill) await refill();
        if (step >= nextCurve || step >= s.steps) {
          nextCurve += every;
          await curvePoint(step);
        }
        progress(Math.min(1, step / s.steps) * 0.9);
      },
    });
    const tr = await evaluate(net, train, { episodes: s.finalTrainEpisodes, generator: evalGen() });
    const te = await evaluate(net, test, { episodes: s.finalTestEpisodes, generator: evalGen() });
    const feats = await collectFeatures(net, train, { episodes: s.probeEpisodes, generator: evalGen() });
    const probe = probeMI(feats, n, { episodes: s.probeEpisodes, rng: new Rng(ctx.seed * 1009 + 23) });
    progress(1);
    const run: AgentRun = {
      method, trainReturn: mean(tr.returns), testReturn: mean(te.returns), testPerLevel: te.returns, testSolved: mean(te.solved),
      gap: mean(tr.returns) - mean(te.returns), mi: probe.mi, miBound: miGapBound(probe.mi, n), probeAccuracy: probe.accuracy,
      curve, cpuSeconds: cpuSeconds() - c0,
    };
    if (source instanceof GrowingBufferSource) {
      let kept = 0;
      for (let i = 0; i < n; i++) if (source.levels[i] === train[i]) kept++;
      run.buffer = { proposed: source.proposed, admitted: source.admitted, datasetKept: kept, fallbacks };
    }
    return run;
  } finally {
    net.dispose();
  }
}

// ---------------------------------------------------------------------------------- figures
/** Cell categories of the level figure (a categorical heatmap: one colour per kind, a legend). */
const CODE = { wall: 0, lava: 1, start: 2, goal: 3, moss: 4, empty: 5 };
export const CELL_CATEGORIES = {
  names: ['wall', 'lava', 'start', 'goal', 'moss', 'empty'],
  colors: ['#3b3b3b', '#d55e00', '#0072b2', '#e69f00', '#009e73', '#f4f1e8'],
};

/** Levels side by side (one block column per generator, `rows` examples each) as a heatmap matrix. */
export function levelMosaic(groups: { name: string; levels: Level[] }[], rows: number): { values: number[][]; xLabels: string[] } {
  const W = groups.length * (SIZE + 1) - 1, H = rows * (SIZE + 1) - 1;
  const values = Array.from({ length: H }, () => new Array<number>(W).fill(NaN));
  const xLabels = new Array<string>(W).fill('');
  groups.forEach((g, gi) => {
    xLabels[gi * (SIZE + 1) + ((SIZE - 1) >> 1)] = g.name;
    for (let k = 0; k < rows && k < g.levels.length; k++) {
      const l = g.levels[k]!;
      for (let i = 0; i < SIZE * SIZE; i++) {
        const kind = l.cells[i]!;
        const v = i === l.start ? CODE.start : i === l.goal ? CODE.goal : [CODE.empty, CODE.wall, CODE.lava, CODE.moss, CODE.goal][kind]!;
        values[k * (SIZE + 1) + ((i / SIZE) | 0)]![gi * (SIZE + 1) + (i % SIZE)] = v;
      }
    }
  });
  return { values, xLabels };
}

// ---------------------------------------------------------------------------------- the run
const r4 = (v: number): number => Number(v.toPrecision(4));

export async function runLevelSampling(s: Settings, opts: Pick<RunOptions, 'seed' | 'seeds' | 'onProgress'>): Promise<Result> {
  const seed = opts.seed;
  const t0 = cpuSeconds();
  const levelRng = new Rng(seed * 7919 + 1);
  const train = Array.from({ length: s.numTrain }, () => gStar(levelRng));
  const test = Array.from({ length: s.numTest }, () => gStar(levelRng));
  const shiftRef = Array.from({ length: s.numShift }, () => gStar(levelRng));
  const shiftRef2 = Array.from({ length: s.numShift }, () => gStar(levelRng));

  // The VAE on the training levels (and their 8 symmetries).
  opts.onProgress(0, 'training the level VAE');
  const vg = new pg.Generator(seed * 7919 + 3);
  const vae = new LevelVAE({ hidden: s.vae.hidden, latent: s.vae.latent, beta: s.vae.beta, generator: vg });
  const vaeCurve = await trainVAE(vae, train, { ...s.vae, augment: true, rng: new Rng(seed * 7919 + 5), generator: vg, onStep: (k) => opts.onProgress(0.08 * (k / s.vae.steps), 'training the level VAE') });
  const means = await latentMeans(vae, train);
  const tVae = cpuSeconds();

  // Distribution shift, no RL: generated levels vs held-out G* levels.
  const genRng = new Rng(seed * 7919 + 7);
  const fromVae = await vaeInterpolations(vae, means, s.numShift, genRng);
  const edited = Array.from({ length: s.numShift }, (_, i) => randomEdits(genRng, train[i % train.length]!, s.edits));
  const freq = tileFrequencies(train);
  const dr = Array.from({ length: s.numShift }, () => domainRandomisation(genRng, freq));
  const feats = (ls: Level[]) => ls.map(levelFeatures);
  const refF = feats(shiftRef);
  const clfRng = new Rng(seed * 7919 + 9);
  const aucOf = (ls: Level[]) => shiftAUC(refF, feats(ls), clfRng);
  const shift = {
    gstar: { auc: aucOf(shiftRef2), levels: shiftRef2 },
    vae: { auc: aucOf(fromVae), levels: fromVae },
    edits: { auc: aucOf(edited), levels: edited },
    dr: { auc: aucOf(dr), levels: dr },
  };
  const mossRef = mossNearGoal(shiftRef);
  const tShift = cpuSeconds();
  opts.onProgress(0.1, 'distribution shift measured');

  // One agent per method.
  const ctx: Context = { s, seed, train, test, vae, means };
  const runs: AgentRun[] = [];
  for (const [k, m] of s.methods.entries()) {
    runs.push(await runAgent(ctx, m, (f) => opts.onProgress(0.1 + (0.9 * (k + f)) / s.methods.length, `${METHOD_LABELS[m]}`)));
  }
  vae.dispose();
  const by = (m: Method) => runs.find((r) => r.method === m);
  const uni = by('uniform')!, plr = by('plr')!, dred = by('dred')!, drRun = by('dr')!;

  // ---- tables
  const tables: Table[] = [];
  const genRows: [string, Level[], number][] = [
    ['G* (fresh draw)', shift.gstar.levels, shift.gstar.auc], ['VAE (slerp)', fromVae, shift.vae.auc],
    [`random edits (${s.edits})`, edited, shift.edits.auc], ['DR (uniform clutter)', dr, shift.dr.auc],
  ];
  tables.push({
    name: `distribution shift against ${s.numShift} held-out G* levels (no RL)`,
    columns: ['generator', 'real-vs-generated AUC', 'moss-near-goal', 'wall', 'lava', 'moss', 'mean solution length'],
    rows: [
      ['G* (reference)', '-', r4(mossRef), ...Object.values(tileFrequencies(shiftRef)).map(r4), r4(mean(shiftRef.map(solutionLength)))],
      ...genRows.map(([name, ls, a]) => [name, r4(a), r4(mossNearGoal(ls)), ...Object.values(tileFrequencies(ls)).map(r4), r4(mean(ls.map(solutionLength)))]),
    ],
  });
  const ci = (x: Float64Array) => bootstrapCI(x, { iters: 1000, generator: new pg.Generator(seed * 7919 + 29) });
  tables.push({
    name: `agents after ${s.steps.toLocaleString('en-US')} steps on ${s.numTrain} training levels`,
    columns: ['method', 'train return', `held-out return (${s.numTest} levels)`, 'CI low', 'CI high', 'held-out solved', 'gap', 'MI (nats)', 'bound √(2·MI/|L|)', 'probe accuracy'],
    rows: runs.map((r) => {
      const c = ci(r.testPerLevel);
      return [METHOD_LABELS[r.method], r4(r.trainReturn), r4(r.testReturn), r4(c.lo), r4(c.hi), r4(r.testSolved), r4(r.gap), r4(r.mi), r4(r.miBound), r4(r.probeAccuracy)];
    }),
  });
  const paired = (a: AgentRun, b: AgentRun) => ci(Float64Array.from(a.testPerLevel, (v, i) => v - b.testPerLevel[i]!));
  const pairs: [AgentRun, AgentRun][] = [[dred, uni], [dred, plr], [plr, uni], [uni, drRun], [dred, drRun]];
  tables.push({
    name: 'paired held-out differences (same levels; 95% bootstrap CI over levels)',
    columns: ['comparison', 'mean difference', 'CI low', 'CI high'],
    rows: pairs.map(([a, b]) => {
      const c = paired(a, b);
      return [`${METHOD_LABELS[a.method]} − ${METHOD_LABELS[b.method]}`, r4(c.estimate), r4(c.lo), r4(c.hi)];
    }),
  });

  // ---- figures
  const series: Series[] = [];
  if (seed === opts.seeds[0]) {
    const mosaic = levelMosaic([
      { name: 'G*', levels: shiftRef }, { name: 'VAE', levels: fromVae }, { name: 'edits', levels: edited }, { name: 'DR', levels: dr },
    ], 2);
    series.push({
      kind: 'heatmap', name: 'levels', title: `Example levels (seed ${seed}): G*, VAE interpolations, random edits, DR`,
      caption: 'Two levels per generator, one generator per block column; white lines separate the levels.',
      data: { ...mosaic, yLabels: new Array<string>(mosaic.values.length).fill(''), categories: CELL_CATEGORIES, width: 900, height: 470 },
    });
  }
  const color = (m: Method) => PALETTE[s.methods.indexOf(m) % PALETTE.length]!;
  for (const [key, title] of [['train', 'training'], ['test', 'held-out']] as const)
    series.push({
      kind: 'line', name: `return-${key}`, title: `Return on ${title} levels during training`, xLabel: 'environment steps', yLabel: 'mean return',
      data: { series: runs.map((r) => ({ name: METHOD_LABELS[r.method], x: r.curve.steps, y: r.curve[key], color: color(r.method) })) },
    });
  series.push({
    kind: 'scatter', name: 'mi-vs-gap', title: 'Mutual information of representation and level vs generalisation gap', xLabel: 'MI estimate (nats)', yLabel: 'train − held-out return',
    data: { series: runs.map((r) => ({ name: METHOD_LABELS[r.method], x: [r.mi], y: [r.gap], color: color(r.method) })), radius: 5 },
  });
  series.push({
    kind: 'bar', name: 'shift-auc', title: 'Real-vs-generated AUC against held-out G* levels', yLabel: 'AUC (0.5: indistinguishable)',
    data: { categories: ['G* (fresh)', 'VAE', 'random edits', 'DR'], groups: [{ name: 'AUC', values: [shift.gstar.auc, shift.vae.auc, shift.edits.auc, shift.dr.auc] }] },
  });
  series.push({
    kind: 'bar', name: 'held-out-return', title: `Held-out return (${s.numTest} G* levels)`, yLabel: 'mean return',
    data: {
      categories: runs.map((r) => METHOD_LABELS[r.method]),
      groups: [{ name: 'held-out return', values: runs.map((r) => r.testReturn), errors: runs.map((r) => { const c = ci(r.testPerLevel); return (c.hi - c.lo) / 2; }) }],
    },
  });
  series.push({
    kind: 'line', name: 'vae-loss', title: 'Level VAE: reconstruction and KL during training', xLabel: 'step', yLabel: 'nats per level',
    data: { series: [{ name: 'reconstruction', x: vaeCurve.map((p) => p.step), y: vaeCurve.map((p) => p.recon) }, { name: 'KL', x: vaeCurve.map((p) => p.step), y: vaeCurve.map((p) => p.kl) }] },
  });

  // ---- checks
  const sVae = mossNearGoal(fromVae), sDr = mossNearGoal(dr);
  const orderMargin = Math.min(shift.edits.auc - shift.vae.auc, shift.dr.auc - shift.edits.auc);
  const claims: ClaimCheck[] = [
    check(SHIFT_EDITS_DR, shift.dr.auc - shift.edits.auc, '>', 0, `AUC edits ${shift.edits.auc.toFixed(3)} < DR ${shift.dr.auc.toFixed(3)}`),
    check(SHIFT_DR, shift.dr.auc, '>=', DR_AUC_MIN),
    check(MOSS_DR, Math.abs(sDr / mossRef), '<=', MOSS_TOL, `moss-near-goal: DR ${sDr.toFixed(3)} against G* ${mossRef.toFixed(3)}`),
  ];
  const dU = paired(dred, uni);
  const findings: ClaimCheck[] = [
    check(MOSS_VAE, Math.abs(sVae / mossRef - 1), '<=', MOSS_TOL, `moss-near-goal: G* ${mossRef.toFixed(3)}, VAE ${sVae.toFixed(3)} (same sign: ${Math.sign(sVae) === Math.sign(mossRef)})`),
    check(SHIFT_ORDER, orderMargin, '>', 0, `AUC VAE ${shift.vae.auc.toFixed(3)} < edits ${shift.edits.auc.toFixed(3)} < DR ${shift.dr.auc.toFixed(3)}; value: the smaller gap`),
    check(DRED_VS_UNIFORM, dU.estimate, '>=', 0, `held-out DRED ${dred.testReturn.toFixed(3)} vs uniform ${uni.testReturn.toFixed(3)}; paired 95% CI over levels [${dU.lo.toFixed(3)}, ${dU.hi.toFixed(3)}]`),
    check(PLR_LOWER_MI, plr.mi - uni.mi, '<', 0, `MI PLR ${plr.mi.toFixed(3)} vs uniform ${uni.mi.toFixed(3)} nats`),
    check(PLR_GAP, plr.gap - uni.gap, '<=', 0, `gap PLR ${plr.gap.toFixed(3)} vs uniform ${uni.gap.toFixed(3)}`),
    check(DRED_VS_PLR, paired(dred, plr).estimate, '>=', 0, `held-out DRED ${dred.testReturn.toFixed(3)} vs PLR ${plr.testReturn.toFixed(3)}`),
    check(PLR_VS_UNIFORM, paired(plr, uni).estimate, '>=', 0, `held-out PLR ${plr.testReturn.toFixed(3)} vs uniform ${uni.testReturn.toFixed(3)}`),
    check(UNIFORM_VS_DR, paired(uni, drRun).estimate, '>', 0, `held-out uniform ${uni.testReturn.toFixed(3)} vs DR ${drRun.testReturn.toFixed(3)}`),
  ];
  if (runs.length >= 3) {
    const rho = spearman(runs.map((r) => r.mi), runs.map((r) => r.gap));
    findings.push(check(SPEARMAN_MI_GAP, rho, '>', 0, `Spearman over the ${runs.length} agents of this seed (the paper: higher MI, larger gap)`));
  }
  const dredBuf = dred.buffer!;
  const invalid = [fromVae, edited, dr].flat().filter((l) => solutionLength(l) <= 0).length;
  const sanity: ClaimCheck[] = [
    check(GSTAR_AUC, shift.gstar.auc, 'in', [0.35, 0.65], 'a fresh G* sample against the reference: the classifier finds no difference'),
    check(DATASET_KEPT, dredBuf.datasetKept, '>=', s.numTrain, `DRED's buffer after training still holds the ${s.numTrain} dataset levels (${dredBuf.admitted} of ${dredBuf.proposed} candidates admitted)`),
    check(LEVELS_VALID, invalid, '<=', 0, 'generated levels (VAE, edits, DR) that cannot be solved'),
  ];
  const notes = [
    `process CPU seconds (all threads of the process: with parallel jobs it counts the others too): VAE ${(tVae - t0).toFixed(1)}, shift analysis ${(tShift - tVae).toFixed(1)}, agents ${runs.map((r) => `${r.method} ${r.cpuSeconds.toFixed(1)}`).join(', ')}; total ${(cpuSeconds() - t0).toFixed(1)}.`,
    `VAE: final reconstruction ${vaeCurve[vaeCurve.length - 1]!.recon.toFixed(2)} nats/level, KL ${vaeCurve[vaeCurve.length - 1]!.kl.toFixed(2)}; ${fromVae.length} valid interpolations decoded for the shift analysis; DRED proposals that fell back to a dataset level: ${dredBuf.fallbacks}.`,
  ];
  return { tables, series, claims, sanity, findings, notes };
}

/** Over seeds: the claims and findings that do not hold in every seed, on the mean with its 95% interval. */
function aggregate(runs: { seed: number; result: Result }[]): Partial<Checks> {
  const on = (name: string, from: string, cmp: '>=' | '>' | '<=' | '<', what: string) => checkOnMean(name, valuesOf(runs, from), cmp, 0, what);
  return {
    claims: [
      on(SHIFT_ORDER_MEAN, SHIFT_ORDER, '>', 'min(AUC edits − AUC VAE, AUC DR − AUC edits)'),
      on(DRED_VS_UNIFORM_MEAN, DRED_VS_UNIFORM, '>=', 'held-out return DRED − uniform'),
      checkOnMean(MOSS_VAE_MEAN, valuesOf(runs, MOSS_VAE), '<=', MOSS_TOL, "|S_VAE / S_G* − 1| of the moss-near-goal statistic"),
    ],
    findings: [
      on(PLR_LOWER_MI_MEAN, PLR_LOWER_MI, '<', 'MI(PLR) − MI(uniform)'),
      on(PLR_GAP_MEAN, PLR_GAP, '<=', 'gap(PLR) − gap(uniform)'),
      on(DRED_VS_PLR_MEAN, DRED_VS_PLR, '>=', 'held-out return DRED − PLR'),
      on(PLR_VS_UNIFORM_MEAN, PLR_VS_UNIFORM, '>=', 'held-out return PLR − uniform'),
      on(UNIFORM_VS_DR_MEAN, UNIFORM_VS_DR, '>', 'held-out return uniform − DR'),
    ],
  };
}

export const levelSampling: Experiment = {
  name: 'level-sampling',
  paper: {
    title: 'How the level sampling process impacts zero-shot generalisation in deep RL (SSED) / DRED: data-regularised environment design',
    authors: 'Garcin, Doran, Guo, Lucas, Albrecht',
    venue: 'ICML 2024 (DRED)',
    arxiv: '2402.03479',
  },
  summary:
    'PPO agents on 32 training levels of a small gridworld family (TinyCave), sampled uniformly, by prioritised level replay, by domain randomisation, or by DRED (a level VAE whose interpolations augment the training set); distribution shift of the generators measured without RL.',
  claims: [
    { name: SHIFT_EDITS_DR, description: 'against held-out G* levels, a real-vs-generated logistic-regression AUC is lower for random edits than for DR (every seed)' },
    { name: SHIFT_DR, description: `domain randomisation is easy to tell from G* (AUC ≥ ${DR_AUC_MIN}, every seed)` },
    { name: MOSS_DR, description: `domain randomisation loses it (|statistic| ≤ ${MOSS_TOL * 100}% of G*'s, every seed)` },
    { name: SHIFT_ORDER_MEAN, description: 'AUC VAE < random edits < DR on the mean over seeds: the lower end of the 95% interval of the smaller gap > 0' },
    { name: DRED_VS_UNIFORM_MEAN, description: 'DRED ≥ uniform in held-out return on the mean over seeds: the lower end of the 95% interval of the paired difference ≥ 0' },
    { name: MOSS_VAE_MEAN, description: `the VAE keeps the moss-near-goal statistic's sign and size on the mean over seeds: the upper end of the 95% interval of |S_VAE / S_G* − 1| ≤ ${MOSS_TOL}` },
  ],
  findings: [
    // A claim per seed until seeds 10-19 (never tuned on): it failed in 2 of them (0.26, 0.30), so it is checked on the mean.
    { name: MOSS_VAE, description: `the paper: the VAE keeps the moss-near-goal statistic's sign and size; here in each seed (within ${MOSS_TOL * 100}%)` },
    { name: SHIFT_ORDER, description: 'the paper: AUC VAE < random edits < DR; here checked in each seed (value: the smaller gap)' },
    { name: DRED_VS_UNIFORM, description: 'the paper: DRED ≥ uniform in held-out return; here in each seed (paired over the same held-out levels)' },
    { name: PLR_LOWER_MI, description: 'the paper: value-loss prioritised sampling gives a lower MI estimate than uniform sampling (each seed: MI(PLR) − MI(uniform) < 0)' },
    { name: PLR_LOWER_MI_MEAN, description: 'the same on the mean over seeds (upper end of its 95% interval < 0)' },
    { name: PLR_GAP, description: 'the paper: and a generalisation gap no larger than uniform sampling (each seed)' },
    { name: PLR_GAP_MEAN, description: 'the same on the mean over seeds (upper end of its 95% interval ≤ 0)' },
    { name: DRED_VS_PLR, description: 'the paper: DRED ≥ PLR in held-out return (each seed)' },
    { name: DRED_VS_PLR_MEAN, description: 'the same on the mean over seeds (lower end of its 95% interval ≥ 0)' },
    { name: PLR_VS_UNIFORM, description: 'the paper: PLR ≥ uniform in held-out return (each seed)' },
    { name: PLR_VS_UNIFORM_MEAN, description: 'the same on the mean over seeds (lower end of its 95% interval ≥ 0)' },
    { name: UNIFORM_VS_DR, description: 'the paper: uniform sampling of the training levels > DR in held-out return (each seed)' },
    { name: UNIFORM_VS_DR_MEAN, description: 'the same on the mean over seeds (lower end of its 95% interval > 0)' },
    { name: SPEARMAN_MI_GAP, description: 'the paper: across agents, the MI estimate and the generalisation gap are positively rank-correlated (each seed, over its agents)' },
  ],
  sanity: [
    { name: GSTAR_AUC, description: 'the classifier cannot tell two G* samples apart (AUC in [0.35, 0.65])' },
    { name: DATASET_KEPT, description: "DRED's buffer never evicts the dataset levels" },
    { name: LEVELS_VALID, description: 'every generated level used is solvable' },
  ],
  aggregate,
  run: (opts: RunOptions) => runLevelSampling(SETTINGS[opts.mode], opts),
};
