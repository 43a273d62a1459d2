/**
 * The iterated-learning Experiment: the exact Bayesian tier (transition matrices, stationary
 * distributions, Monte Carlo chains) and the neural tier (an amortised-posterior MLP as the agent,
 * then GPTs trained generation after generation at temperature 1 and at a low temperature).
 * See README.md.
 */
import * as pg from '../../autograd/index.js';
import type { Tensor } from '../../autograd/index.js';
import { check, type ClaimCheck, type Experiment, type Result, type RunOptions, type Series, type Table } from '../../experiment/index.js';
import {
  CLASSES,
  CONFIG,
  HYPOTHESIS_CLASS,
  NUM_HYPOTHESES,
  bijectiveSet,
  classMass,
  codelength,
  detailedBalanceViolation,
  disposeLikelihood,
  l1,
  learnerResponse,
  logPosterior,
  makeLikelihood,
  makePrior,
  propagate,
  restrict,
  runChains,
  stationarityResidual,
  stationaryDistribution,
  transitionFromResponse,
  transitionMatrix,
  tv,
  type Agent,
  type HypothesisClass,
  type Likelihood,
} from './index.js';
import {
  AMORTISED_DEFAULTS,
  GPT_DEFAULTS,
  amortisedPosterior,
  expectedPosteriorKL,
  gptIteratedLearning,
  greedy,
  makeToyLanguage,
  trainAmortisedPosterior,
  yieldToEventLoop,
  type AmortisedConfig,
  type GPTConfigIL,
} from './neural.js';

export const SETTINGS = {
  quick: {
    /** Data sizes of the exact tier (the claims use M = 2 and 3). */
    dataSizes: [2, 3],
    /** Learner noise of the negative control (the producer uses CONFIG.epsilon). */
    mismatchEpsilon: 0.2,
    mc: { chains: 4000, burnIn: 30, record: 40 },
    /** Generations drawn in the trajectory figure. */
    trajectory: 30,
    amortised: { ...AMORTISED_DEFAULTS } satisfies AmortisedConfig,
    gpt: { ...GPT_DEFAULTS, steps: 40, lr: 0.03, samples: 2000 } satisfies GPTConfigIL,
    generations: 5,
    temperatures: [1, 0.7],
  },
  full: {
    dataSizes: [1, 2, 3, 4],
    mismatchEpsilon: 0.2,
    mc: { chains: 10000, burnIn: 40, record: 100 },
    trajectory: 40,
    amortised: { ...AMORTISED_DEFAULTS, hidden: [128], steps: 1500, batch: 256 } satisfies AmortisedConfig,
    gpt: { ...GPT_DEFAULTS, steps: 80, lr: 0.02, samples: 4000 } satisfies GPTConfigIL,
    generations: 10,
    temperatures: [1, 0.85, 0.7],
  },
};

/** Claim thresholds (see README.md for why each is what it is). */
export const THRESHOLDS = {
  /** Sampling chains: L1 distance of the stationary law to the (restricted) prior, and detailed balance. */
  exact: 1e-8,
  /** "Far above the prior's": the MAP chain's degenerate mass is at least this multiple of the prior's. */
  amplification: 1.5,
  /** Negative control: the mismatched learner's stationary law is at least this far (L1) from the prior. */
  mismatchL1: 0.01,
  /** H_eff must move the MAP chain's systematic mass by at least this much. */
  steer: 0.5,
  /** Monte Carlo histogram vs exact stationary law (total variation over the 256 hypotheses). */
  mcTV: 0.03,
  /** Amortised sampling agent: class-level TV of its stationary law to the prior. */
  amortisedTV: 0.05,
  /** GPT tier: low-temperature bias gain beyond the temperature-1 drift, and entropy ratio. */
  gptBiasGain: 0.1,
  gptEntropyRatio: 0.8,
};

const round = (x: number, d = 4): number => (Number.isFinite(x) ? Number(x.toFixed(d)) : x);
const sci = (x: number): string => x.toExponential(2);

interface ChainSpec {
  label: string;
  M: number;
  agent: Agent;
  effective?: boolean[];
  learnerEpsilon?: number;
}

interface Solved extends ChainSpec {
  Q: Tensor;
  pi: Float64Array;
  target: Float64Array;
  l1: number;
  db: number;
  residual: number;
  mass: Record<HypothesisClass, number>;
}

async function run(opts: RunOptions): Promise<Result> {
  const s = SETTINGS[opts.mode];
  const progress = opts.onProgress;
  const prior = makePrior();
  const P0 = Float64Array.from(prior.dataSync());
  const eff = bijectiveSet();
  const P0eff = restrict(P0, eff);
  const priorMass = classMass(P0);
  const likelihoods = new Map<string, Likelihood>();
  const lik = (M: number, epsilon: number = CONFIG.epsilon): Likelihood => {
    const key = `${M}/${epsilon}`;
    if (!likelihoods.has(key)) likelihoods.set(key, makeLikelihood({ M, epsilon }));
    return likelihoods.get(key)!;
  };
  const solved: Solved[] = [];
  try {
    // ------------------------------------------------------------------ exact tier
    progress(0, 'exact transition matrices');
    const specs: ChainSpec[] = [];
    for (const M of s.dataSizes) {
      specs.push({ label: `sample M=${M}`, M, agent: 'sample' });
      specs.push({ label: `MAP M=${M}`, M, agent: 'map' });
    }
    specs.push({ label: 'sample M=2, H_eff', M: 2, agent: 'sample', effective: eff });
    specs.push({ label: 'MAP M=2, H_eff', M: 2, agent: 'map', effective: eff });
    for (const M of [2, 3]) specs.push({ label: `sample M=${M}, learner ε=${s.mismatchEpsilon}`, M, agent: 'sample', learnerEpsilon: s.mismatchEpsilon });
    for (const [i, sp] of specs.entries()) {
      const Q = transitionMatrix({
        prior,
        likelihood: lik(sp.M),
        agent: sp.agent,
        effective: sp.effective,
        learnerLikelihood: sp.learnerEpsilon === undefined ? undefined : lik(sp.M, sp.learnerEpsilon),
      });
      const piT = stationaryDistribution(Q);
      const pi = Float64Array.from(piT.dataSync());
      piT.dispose();
      const target = sp.effective ? P0eff : P0;
      solved.push({ ...sp, Q, pi, target, l1: l1(pi, target), db: detailedBalanceViolation(pi, Q), residual: stationarityResidual(pi, Q), mass: classMass(pi) });
      progress((0.15 * (i + 1)) / specs.length, `exact: ${sp.label}`);
      await yieldToEventLoop();
    }
    const get = (label: string): Solved => solved.find((x) => x.label === label)!;

    // Monte Carlo chains, started from the uniform distribution over the 256 hypotheses.
    const uniform = new Float64Array(NUM_HYPOTHESES).fill(1 / NUM_HYPOTHESES);
    const mcLabels = ['sample M=2', 'MAP M=2', 'MAP M=3', 'MAP M=2, H_eff'];
    const mc: { label: string; sp: Solved; r: ReturnType<typeof runChains>; tv: number; burnInTV: number }[] = [];
    for (const [i, label] of mcLabels.entries()) {
      const sp = get(label);
      const r = runChains({ prior, M: sp.M, agent: sp.agent, effective: sp.effective, chains: s.mc.chains, burnIn: s.mc.burnIn, record: s.mc.record, init: uniform, generator: new pg.Generator(opts.seed * 1009 + i) });
      const burnInTV = tv(propagate(uniform, sp.Q, s.mc.burnIn)[s.mc.burnIn]!, sp.pi);
      progress(0.15 + (0.1 * (i + 1)) / mcLabels.length, `Monte Carlo: ${label}`);
      mc.push({ label, sp, r, tv: tv(r.histogram, sp.pi), burnInTV });
      await yieldToEventLoop();
    }

    // ------------------------------------------------------------------ neural tier 1: amortised posterior
    const amCfg = s.amortised;
    const amLik = lik(amCfg.M);
    const gNet = new pg.Generator(opts.seed * 31 + 7);
    const { net, losses } = await trainAmortisedPosterior(prior, amCfg, gNet, {
      device: opts.device,
      onStep: (step) => {
        if (step % 20 === 0) progress(0.25 + (0.2 * step) / amCfg.steps, `amortised posterior step ${step}/${amCfg.steps}`);
      },
    });
    const qPost = await amortisedPosterior(net, amLik);
    net.dispose();
    const exactPost = pg.tidy(() => learnerResponse(logPosterior(prior, amLik.logLik), 'sample'));
    const postKL = expectedPosteriorKL(exactPost, qPost, prior, amLik);
    const optimalLoss = pg.tidy(() => {
      const pd = amLik.probs.matmul(prior.unsqueeze(1)).squeeze(1);
      return pd.mul(exactPost.mul(exactPost.clamp(1e-300, 1).log()).sum(-1).neg()).sum().dataSync()[0]!;
    });
    exactPost.dispose();
    const amortised = (['sample', 'greedy'] as const).map((agent) => {
      const resp = agent === 'sample' ? qPost : greedy(qPost);
      const Q = transitionFromResponse(amLik.probs, resp);
      if (resp !== qPost) resp.dispose();
      const piT = stationaryDistribution(Q);
      const pi = Float64Array.from(piT.dataSync());
      piT.dispose();
      const traj = propagate(uniform, Q, s.trajectory).map((p) => classMass(p).degenerate);
      Q.dispose();
      return { agent, pi, mass: classMass(pi), traj };
    });
    qPost.dispose();
    const classTV = (a: Record<HypothesisClass, number>, b: Record<HypothesisClass, number>): number => 0.5 * CLASSES.reduce((acc, c) => acc + Math.abs(a[c] - b[c]), 0);

    // ------------------------------------------------------------------ neural tier 2: GPT generations
    progress(0.45, 'GPT generations');
    const lang = makeToyLanguage();
    const gptRuns = await gptIteratedLearning({
      lang,
      cfg: s.gpt,
      temperatures: s.temperatures,
      generations: s.generations,
      seed: opts.seed,
      device: opts.device,
      onGeneration: (done, total) => progress(0.45 + (0.55 * done) / total, `GPT generation ${done}/${total}`),
    });
    const tLow = Math.min(...s.temperatures);
    const recT1 = gptRuns[s.temperatures.indexOf(1)]!;
    const recLow = gptRuns[s.temperatures.indexOf(tLow)]!;
    const last = <T>(a: T[]): T => a[a.length - 1]!;
    const bias0 = recT1[0]!.bias;
    const biasGain = last(recLow).bias - bias0 - Math.abs(last(recT1).bias - bias0);
    const entropyRatio = last(recLow).entropy / last(recT1).entropy;

    // ------------------------------------------------------------------ claims
    const sampling = solved.filter((x) => x.agent === 'sample' && x.learnerEpsilon === undefined);
    const samplingAll = sampling.filter((x) => !x.effective && (x.M === 2 || x.M === 3));
    const samplingEff = get('sample M=2, H_eff');
    const map2 = get('MAP M=2'), map3 = get('MAP M=3'), mapEff = get('MAP M=2, H_eff');
    const mismatch = [get(`sample M=2, learner ε=${s.mismatchEpsilon}`), get(`sample M=3, learner ε=${s.mismatchEpsilon}`)];
    const classRanges = CLASSES.map((c) => {
      const cls = Array.from({ length: NUM_HYPOTHESES }, (_, h) => h).filter((h) => HYPOTHESIS_CLASS[h] === c).map(codelength);
      return { c, min: Math.min(...cls), max: Math.max(...cls), count: cls.length };
    });
    const orderGap = Math.min(...classRanges.slice(1).map((r, i) => r.min - classRanges[i]!.max));
    const sysEffPrior = classMass(P0eff).systematic;
    const amSample = amortised[0]!, amGreedy = amortised[1]!;
    const claims: ClaimCheck[] = [
      check('codelength-order', orderGap, '>', 0,
        `smallest code-length gap between consecutive classes (degenerate < systematic < other < holistic): ${classRanges.map((r) => `${r.c} ${r.min === r.max ? r.min : `${r.min}–${r.max}`}`).join(', ')}`),
      check('sampling-converges-to-prior', Math.max(...samplingAll.map((x) => x.l1)), '<', THRESHOLDS.exact,
        `max over M ∈ {2, 3} of ‖π − P0‖₁ for posterior-sampling agents (${samplingAll.map((x) => `M=${x.M}: ${sci(x.l1)}`).join(', ')})`),
      check('sampling-detailed-balance', Math.max(...[...samplingAll, samplingEff].map((x) => x.db)), '<', THRESHOLDS.exact,
        `max Σ|π(h)Q(h,h') − π(h')Q(h',h)| over the sampling chains (M = 2, 3 and H_eff)`),
      check('heff-sampling-converges-to-restricted-prior', samplingEff.l1, '<', THRESHOLDS.exact,
        `‖π − P0|H_eff‖₁, sampling agents restricted to H_eff = the 24 bijections, M = 2`),
      check('map-amplifies-degenerate', Math.min(map2.mass.degenerate, map3.mass.degenerate) / priorMass.degenerate, '>=', THRESHOLDS.amplification,
        `min over M ∈ {2, 3} of degenerate mass (MAP chain) / prior's ${round(priorMass.degenerate)}: M=2 ${round(map2.mass.degenerate)}, M=3 ${round(map3.mass.degenerate)}`),
      check('map-less-data-more-bias', map2.mass.degenerate - map3.mass.degenerate, '>', 0, 'degenerate mass of the MAP chain, M = 2 minus M = 3'),
      check('heff-map-systematic-above-restricted-prior', mapEff.mass.systematic - sysEffPrior, '>', 0,
        `systematic mass of the MAP chain on H_eff (${round(mapEff.mass.systematic, 6)}) minus the restricted prior's (${round(sysEffPrior, 6)}), M = 2`),
      check('heff-steers-map-chain', mapEff.mass.systematic - map2.mass.systematic, '>=', THRESHOLDS.steer,
        `systematic mass of the MAP chain with H_eff minus without (${round(map2.mass.systematic)}), M = 2`),
      check('mismatched-learner-no-convergence', Math.min(...mismatch.map((x) => x.l1)), '>=', THRESHOLDS.mismatchL1,
        `negative control: learner assumes ε = ${s.mismatchEpsilon}, producer uses ${CONFIG.epsilon}; min over M ∈ {2, 3} of ‖π − P0‖₁ (${mismatch.map((x) => `M=${x.M}: ${round(x.l1)}`).join(', ')})`),
      check('monte-carlo-matches-exact', Math.max(...mc.map((x) => x.tv)), '<', THRESHOLDS.mcTV,
        `max TV(histogram, exact π) over ${mc.length} chains (${s.mc.chains} chains × ${s.mc.record} recorded generations each)`),
      check('amortised-sampling-near-prior', classTV(amSample.mass, priorMass), '<=', THRESHOLDS.amortisedTV,
        `class-level TV between the stationary law of the chain of sampling MLP agents and P0 (E_d KL(posterior ‖ q) = ${round(postKL)} nats)`),
      check('amortised-greedy-amplifies', amGreedy.mass.degenerate / priorMass.degenerate, '>=', THRESHOLDS.amplification,
        `degenerate mass of the chain of greedy (argmax) MLP agents (${round(amGreedy.mass.degenerate)}) / prior's`),
      check('gpt-low-temperature-amplifies-bias', biasGain, '>=', THRESHOLDS.gptBiasGain,
        `(bias at T=${tLow}, generation ${s.generations} − generation 0) − |same at T=1|: ${round(bias0)} → T=${tLow} ${round(last(recLow).bias)}, T=1 ${round(last(recT1).bias)}`),
      check('gpt-low-temperature-collapses-entropy', entropyRatio, '<=', THRESHOLDS.gptEntropyRatio,
        `entropy per token at generation ${s.generations}, T=${tLow} / T=1 (${round(last(recLow).entropy)} / ${round(last(recT1).entropy)} nats; generation 0: ${round(recT1[0]!.entropy)})`),
    ];

    // ------------------------------------------------------------------ tables
    const tables: Table[] = [
      {
        name: 'hypothesis classes and prior',
        columns: ['class', 'hypotheses', 'code length', 'P0 per hypothesis', 'P0 mass', 'P0 | H_eff mass'],
        rows: classRanges.map((r) => {
          const ps = Array.from(P0).filter((_, h) => HYPOTHESIS_CLASS[h] === r.c);
          const lo = Math.min(...ps), hi = Math.max(...ps);
          return [r.c, r.count, r.min === r.max ? r.min : `${r.min}–${r.max}`, lo === hi ? sci(lo) : `${sci(lo)}–${sci(hi)}`, round(priorMass[r.c]), round(classMass(P0eff)[r.c])];
        }),
      },
      {
        name: 'stationary distributions (exact, float64)',
        columns: ['chain', 'degenerate', 'systematic', 'other', 'holistic', '‖π − target‖₁', 'detailed-balance violation', '‖πQ − π‖₁'],
        rows: [
          ['prior P0', ...CLASSES.map((c) => round(priorMass[c])), '-', '-', '-'],
          ['P0 restricted to H_eff', ...CLASSES.map((c) => round(classMass(P0eff)[c])), '-', '-', '-'],
          ...solved.map((x) => [x.label, ...CLASSES.map((c) => round(x.mass[c])), sci(x.l1), sci(x.db), sci(x.residual)]),
        ],
      },
      {
        name: 'Monte Carlo chains vs exact',
        columns: ['chain', 'samples', 'TV(histogram, π)', 'TV(exact law at burn-in, π)', 'MC degenerate', 'exact degenerate'],
        rows: mc.map((x) => [x.label, x.r.samples, round(x.tv), sci(x.burnInTV), round(classMass(x.r.histogram).degenerate), round(x.sp.mass.degenerate)]),
      },
      {
        name: 'amortised posterior (MLP) as the agent, M = 2',
        columns: ['agent', 'degenerate', 'systematic', 'other', 'holistic', 'class TV to P0'],
        rows: [
          ['prior P0', ...CLASSES.map((c) => round(priorMass[c])), 0],
          ['exact posterior sampling', ...CLASSES.map((c) => round(get('sample M=2').mass[c])), round(classTV(get('sample M=2').mass, priorMass))],
          ['exact MAP', ...CLASSES.map((c) => round(map2.mass[c])), round(classTV(map2.mass, priorMass))],
          ['MLP, sampling q(h | d)', ...CLASSES.map((c) => round(amSample.mass[c])), round(classTV(amSample.mass, priorMass))],
          ['MLP, greedy argmax q(h | d)', ...CLASSES.map((c) => round(amGreedy.mass[c])), round(classTV(amGreedy.mass, priorMass))],
        ],
      },
      {
        name: 'GPT generations (exact statistics of each generation\'s sampling distribution)',
        columns: ['generation', ...s.temperatures.flatMap((T) => [`bias T=${T}`, `entropy T=${T}`, `sample bias T=${T}`, `fit KL T=${T}`])],
        rows: recT1.map((_, k) => [k, ...gptRuns.flatMap((rec) => [round(rec[k]!.bias), round(rec[k]!.entropy), round(rec[k]!.sampleBias), Number.isNaN(rec[k]!.fitKL) ? '-' : sci(rec[k]!.fitKL)])]),
      },
    ];

    // ------------------------------------------------------------------ figures
    const gens = Array.from({ length: s.trajectory + 1 }, (_, t) => t);
    const trajLabels = ['sample M=2', 'MAP M=2', 'MAP M=3'];
    const series: Series[] = [
      {
        name: 'class-mass',
        kind: 'bar',
        title: 'Stationary mass of each hypothesis class (exact)',
        yLabel: 'probability mass',
        caption: 'Posterior-sampling chains keep the prior exactly; MAP chains pile mass onto the degenerate language (more with M = 2); restricting the learner to H_eff (bijections) moves it to the systematic languages; a learner with the wrong noise model drifts away from the prior.',
        data: {
          categories: [...CLASSES],
          groups: [
            { name: 'prior', values: CLASSES.map((c) => priorMass[c]) },
            ...['sample M=2', 'MAP M=2', 'MAP M=3', 'MAP M=2, H_eff', `sample M=2, learner ε=${s.mismatchEpsilon}`].map((l) => ({ name: l, values: CLASSES.map((c) => get(l).mass[c]) })),
          ],
        },
      },
      {
        name: 'degenerate-mass-over-generations',
        kind: 'line',
        title: 'Degenerate mass over generations, from a uniform start',
        xLabel: 'generation',
        yLabel: 'P(degenerate)',
        caption: 'Lines: exact p_t = p_0 Qᵗ; "MC" lines: the population of Monte Carlo chains; "MLP" lines: the chain of amortised-posterior agents.',
        data: {
          series: [
            ...trajLabels.map((l) => ({ name: `${l} (exact)`, x: gens, y: propagate(uniform, get(l).Q, s.trajectory).map((p) => classMass(p).degenerate) })),
            ...mc.filter((x) => trajLabels.includes(x.label)).map((x) => ({ name: `${x.label} (MC)`, x: gens.slice(0, x.r.classTrajectory.length), y: x.r.classTrajectory.slice(0, gens.length).map((m) => m.degenerate) })),
            ...amortised.map((a) => ({ name: `MLP ${a.agent} M=2`, x: gens, y: a.traj })),
            { name: 'prior', x: [0, s.trajectory], y: [priorMass.degenerate, priorMass.degenerate] },
          ],
        },
      },
      {
        name: 'monte-carlo-vs-exact',
        kind: 'scatter',
        title: 'Monte Carlo visit frequency vs exact stationary probability (each point a hypothesis)',
        xLabel: 'exact π(h)',
        yLabel: 'Monte Carlo frequency',
        data: { series: mc.map((x) => ({ name: x.label, x: Array.from(x.sp.pi), y: Array.from(x.r.histogram) })), radius: 2.5 },
      },
      {
        name: 'amortised-training-loss',
        kind: 'line',
        title: 'Amortised posterior: cross-entropy on fresh (h, d) pairs',
        xLabel: 'Adam step',
        yLabel: 'cross-entropy (nats)',
        data: {
          series: [
            { name: 'MLP q(h | d)', x: losses.map((l) => l.step), y: losses.map((l) => l.loss) },
            { name: 'optimum H(h | d)', x: [0, amCfg.steps - 1], y: [optimalLoss, optimalLoss] },
          ],
        },
      },
      {
        name: 'gpt-bias',
        kind: 'line',
        title: 'GPT iterated learning: fraction of preferred words',
        xLabel: 'generation',
        yLabel: 'bias statistic',
        data: { series: gptRuns.map((rec, i) => ({ name: `T = ${s.temperatures[i]}`, x: rec.map((r) => r.generation), y: rec.map((r) => r.bias) })) },
      },
      {
        name: 'gpt-entropy',
        kind: 'line',
        title: 'GPT iterated learning: entropy of the sampling distribution',
        xLabel: 'generation',
        yLabel: 'entropy (nats per token)',
        data: { series: gptRuns.map((rec, i) => ({ name: `T = ${s.temperatures[i]}`, x: rec.map((r) => r.generation), y: rec.map((r) => r.entropy) })) },
      },
    ];

    progress(1, 'done');
    return {
      tables,
      series,
      claims,
      notes: [
        `prior P0(h) ∝ exp(−${CONFIG.lambda} · codelength(h)); data: M (object, name) pairs, noise ε = ${CONFIG.epsilon}; H_eff = the 24 bijections; exact tier in float64 on the CPU`,
        `Monte Carlo: ${s.mc.chains} chains from a uniform start, ${s.mc.burnIn} burn-in generations, ${s.mc.record} recorded`,
        `amortised MLP ${[16, ...amCfg.hidden, 256].join('→')}, ${amCfg.steps} Adam steps × ${amCfg.batch} fresh pairs; E_d KL(posterior ‖ q) = ${round(postKL)} nats; optimal loss H(h | d) = ${round(optimalLoss)}`,
        `GPT: d=${s.gpt.dModel}, ${s.gpt.nLayers} layer, ${s.gpt.nHeads} heads; ${s.gpt.samples} sentences per generation, ${s.gpt.steps} full-batch Adam steps; toy language: 4 words, 3-word sentences, preferred words start with mass 0.55`,
      ],
    };
  } finally {
    for (const x of solved) x.Q.dispose();
    for (const l of likelihoods.values()) disposeLikelihood(l);
    prior.dispose();
  }
}

export const iteratedLearning: Experiment = {
  name: 'iterated-learning',
  paper: {
    title: 'Bias Amplification in Language Model Evolution: An Iterated Learning Perspective',
    authors: 'Yi Ren, Shangmin Guo, Linlu Qiu, Bailin Wang, Danica J. Sutherland',
    venue: 'NeurIPS 2024',
    arxiv: '2404.04286',
  },
  summary:
    'Bayesian iterated learning over the 256 maps from 4 objects to 4 names (prior ∝ exp(−1.5·code length)): exact transition matrices and ' +
    'stationary laws for posterior-sampling, MAP and H_eff-restricted agents, seeded Monte Carlo chains, an amortised-posterior MLP as the agent, ' +
    'and tiny GPTs trained generation after generation on their predecessor\'s samples at temperature 1 vs a low temperature.',
  claims: [
    { name: 'codelength-order', description: 'code length is strictly ordered degenerate < systematic < other < holistic' },
    { name: 'sampling-converges-to-prior', description: `posterior-sampling chains converge to the prior: ‖π − P0‖₁ < ${THRESHOLDS.exact} (M = 2, 3)` },
    { name: 'sampling-detailed-balance', description: `sampling chains satisfy detailed balance w.r.t. their stationary law (violation < ${THRESHOLDS.exact})` },
    { name: 'heff-sampling-converges-to-restricted-prior', description: `with H_eff, sampling chains converge to the prior restricted to H_eff (L1 < ${THRESHOLDS.exact})` },
    { name: 'map-amplifies-degenerate', description: `MAP chains put ≥ ${THRESHOLDS.amplification}× the prior's mass on degenerate languages (M = 2 and 3)` },
    { name: 'map-less-data-more-bias', description: 'the amplification is stronger with less data: degenerate mass at M = 2 > at M = 3' },
    { name: 'heff-map-systematic-above-restricted-prior', description: 'with H_eff, the MAP chain\'s systematic mass exceeds the restricted prior\'s' },
    { name: 'heff-steers-map-chain', description: `H_eff raises the MAP chain's systematic mass by ≥ ${THRESHOLDS.steer}` },
    { name: 'mismatched-learner-no-convergence', description: `negative control: a learner with the wrong noise model does not converge to the prior (L1 ≥ ${THRESHOLDS.mismatchL1})` },
    { name: 'monte-carlo-matches-exact', description: `Monte Carlo histograms match the exact stationary laws (TV < ${THRESHOLDS.mcTV})` },
    { name: 'amortised-sampling-near-prior', description: `a chain of sampling amortised-posterior MLPs stays near the prior (class TV ≤ ${THRESHOLDS.amortisedTV})` },
    { name: 'amortised-greedy-amplifies', description: `a chain of greedy amortised-posterior MLPs amplifies the degenerate mass ≥ ${THRESHOLDS.amplification}×` },
    { name: 'gpt-low-temperature-amplifies-bias', description: `GPT chain at low temperature amplifies the preferred-word bias by ≥ ${THRESHOLDS.gptBiasGain} more than at T = 1` },
    { name: 'gpt-low-temperature-collapses-entropy', description: `GPT chain at low temperature ends with ≤ ${THRESHOLDS.gptEntropyRatio}× the entropy of the T = 1 chain` },
  ],
  run,
};
