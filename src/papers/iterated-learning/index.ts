/**
 * Bayesian iterated learning (Ren, Guo, Qiu, Wang, Sutherland, NeurIPS 2024, arXiv 2404.04286;
 * after Griffiths & Kalish 2007), exact tier.
 *
 * One generation: the previous agent, holding hypothesis h, produces data d ~ P(d | h); the next
 * agent learns from d, either by *sampling* h' ~ P(h' | d) ∝ P0(h') P(d | h') or by taking the
 * *MAP* hypothesis; optionally the learner only keeps hypotheses of an effective set H_eff (the
 * paper's interaction phase). The chain h_0 → d_1 → h_1 → … is a Markov chain on hypotheses with
 *
 *     Q(h, h') = Σ_d P(d | h) · P_learner(h' | d).
 *
 * Hypotheses: the 4^4 = 256 maps from 4 objects to 4 names. Objects and names are pairs of bits
 * (object o = (a, b) = (o >> 1, o & 1), name n = (p, q)), so a language can be compositional.
 * Code length (in rule units; the prior is P0(h) ∝ exp(−λ · codelength(h)), λ = 1.5) is the
 * shortest of three encodings of h:
 *
 *   constant      "every object → n"                              1 unit  (only if h is constant)
 *   compositional one rule per attribute: name = (f(a), g(b)) or   2 units (only for the 8 bijections
 *                 (f(b), g(a)) with f, g permutations of {0, 1}             n = P·o ⊕ c, P ∈ {I, swap})
 *   lexicon       a table object → entry (1 unit) + one unit per   1 + k units (always applicable;
 *                 distinct name used (k)                                   k = number of distinct names)
 *
 * which gives the four classes, strictly ordered in code length:
 *   degenerate (4 constant maps, 1) < systematic (8 compositional bijections, 2)
 *     < other (228 maps using 2 or 3 names, 3 or 4) < holistic (16 non-compositional bijections, 5).
 *
 * Data: M (object, name) pairs; each object is uniform, the name is h(object) with probability
 * 1 − ε and each of the 3 other names with probability ε/3 (ε = 0.05). Datasets are enumerated as
 * multisets of pairs (their order does not change the posterior), each with its multiplicity.
 *
 * Everything exact runs in float64 on the CPU.
 */
import * as pg from '../../autograd/index.js';
import type { Tensor } from '../../autograd/index.js';

export const CONFIG = {
  objects: 4,
  names: 4,
  /** Prior temperature: P0(h) ∝ exp(−lambda · codelength(h)). */
  lambda: 1.5,
  /** Production noise: the name is replaced by one of the other names with probability epsilon. */
  epsilon: 0.05,
  /** Code-length units of the three encodings (see the header). */
  code: { constant: 1, compositional: 2, lexiconTable: 1, perName: 1 },
  /** Two log-posteriors within this (absolute, nats) are a tie for the MAP agent. */
  mapTieTol: 1e-9,
} as const;

export const NUM_OBJECTS = CONFIG.objects;
export const NUM_NAMES = CONFIG.names;
export const NUM_HYPOTHESES = NUM_NAMES ** NUM_OBJECTS; // 256
export const NUM_PAIRS = NUM_OBJECTS * NUM_NAMES; // 16 (object, name) pairs

export type HypothesisClass = 'degenerate' | 'systematic' | 'other' | 'holistic';
export const CLASSES: readonly HypothesisClass[] = ['degenerate', 'systematic', 'other', 'holistic'];

const F64 = { dtype: 'float64', device: 'cpu' } as const;

// ------------------------------------------------------------------------------------ hypotheses

/** The names h gives to objects 0..3: h = Σ_o name(o) · 4^o. */
export function hypothesisNames(h: number): number[] {
  const out: number[] = [];
  for (let o = 0; o < NUM_OBJECTS; o++) out.push(Math.floor(h / NUM_NAMES ** o) % NUM_NAMES);
  return out;
}

export function encodeHypothesis(names: readonly number[]): number {
  return names.reduce((acc, n, o) => acc + n * NUM_NAMES ** o, 0);
}

/** The 8 compositional bijections n = P·o ⊕ c (P = identity or the bit swap, c any name). */
export function isCompositional(names: readonly number[]): boolean {
  const swap = (x: number): number => ((x & 1) << 1) | (x >> 1);
  for (const P of [(x: number) => x, swap])
    for (let c = 0; c < NUM_NAMES; c++) if (names.every((n, o) => n === (P(o) ^ c))) return true;
  return false;
}

export function distinctNames(names: readonly number[]): number {
  return new Set(names).size;
}

/** Shortest description of h in rule units (see the header). */
export function codelength(h: number): number {
  const names = hypothesisNames(h);
  const k = distinctNames(names);
  const lengths = [CONFIG.code.lexiconTable + CONFIG.code.perName * k];
  if (k === 1) lengths.push(CONFIG.code.constant);
  if (k === NUM_NAMES && isCompositional(names)) lengths.push(CONFIG.code.compositional);
  return Math.min(...lengths);
}

export function classify(h: number): HypothesisClass {
  const names = hypothesisNames(h);
  const k = distinctNames(names);
  if (k === 1) return 'degenerate';
  if (k === NUM_NAMES) return isCompositional(names) ? 'systematic' : 'holistic';
  return 'other';
}

/** Class of every hypothesis, index = h. */
export const HYPOTHESIS_CLASS: readonly HypothesisClass[] = Array.from({ length: NUM_HYPOTHESES }, (_, h) => classify(h));

/** Indicator vector [256] of a class, or of a predicate on hypotheses. */
export function hypothesisMask(which: HypothesisClass | ((h: number) => boolean)): boolean[] {
  const f = typeof which === 'function' ? which : (h: number) => HYPOTHESIS_CLASS[h] === which;
  return Array.from({ length: NUM_HYPOTHESES }, (_, h) => f(h));
}

/** H_eff of the experiment: the bijections (languages that tell every object apart). */
export function bijectiveSet(): boolean[] {
  return hypothesisMask((h) => distinctNames(hypothesisNames(h)) === NUM_NAMES);
}

/** P0(h) ∝ exp(−lambda · codelength(h)), float64 [256] on the CPU. */
export function makePrior(lambda: number = CONFIG.lambda): Tensor {
  const w = new Float64Array(NUM_HYPOTHESES);
  let z = 0;
  for (let h = 0; h < NUM_HYPOTHESES; h++) z += w[h] = Math.exp(-lambda * codelength(h));
  for (let h = 0; h < NUM_HYPOTHESES; h++) w[h] /= z;
  return pg.tensor(w, F64);
}

/** p restricted to a set and renormalised (the stationary law of a sampling chain on H_eff). */
export function restrict(p: ArrayLike<number>, effective: readonly boolean[]): Float64Array {
  const out = new Float64Array(p.length);
  let z = 0;
  for (let h = 0; h < p.length; h++) if (effective[h]) z += out[h] = p[h];
  for (let h = 0; h < p.length; h++) out[h] /= z;
  return out;
}

/** Mass of each hypothesis class under a distribution over the 256 hypotheses. */
export function classMass(p: ArrayLike<number>): Record<HypothesisClass, number> {
  const m: Record<HypothesisClass, number> = { degenerate: 0, systematic: 0, other: 0, holistic: 0 };
  for (let h = 0; h < NUM_HYPOTHESES; h++) m[HYPOTHESIS_CLASS[h]] += p[h];
  return m;
}

// ------------------------------------------------------------------------------------ data

/** Index of an (object, name) pair. */
export const pairIndex = (o: number, n: number): number => o * NUM_NAMES + n;

/** P(object o, name n | h) as a float64 [16, 256] table. */
export function pairProbabilities(epsilon: number = CONFIG.epsilon): Float64Array {
  const t = new Float64Array(NUM_PAIRS * NUM_HYPOTHESES);
  for (let h = 0; h < NUM_HYPOTHESES; h++) {
    const names = hypothesisNames(h);
    for (let o = 0; o < NUM_OBJECTS; o++)
      for (let n = 0; n < NUM_NAMES; n++)
        t[pairIndex(o, n) * NUM_HYPOTHESES + h] = (1 / NUM_OBJECTS) * (n === names[o] ? 1 - epsilon : epsilon / (NUM_NAMES - 1));
  }
  return t;
}

/** Every multiset of M pairs (non-decreasing pair indices) with its multiplicity M! / Π count!. */
export function enumerateDatasets(M: number): { pairs: number[][]; multiplicity: number[] } {
  const pairs: number[][] = [];
  const multiplicity: number[] = [];
  const fact = (n: number): number => (n <= 1 ? 1 : n * fact(n - 1));
  const rec = (start: number, acc: number[]): void => {
    if (acc.length === M) {
      const counts = new Map<number, number>();
      for (const k of acc) counts.set(k, (counts.get(k) ?? 0) + 1);
      let m = fact(M);
      for (const c of counts.values()) m /= fact(c);
      pairs.push([...acc]);
      multiplicity.push(m);
      return;
    }
    for (let k = start; k < NUM_PAIRS; k++) rec(k, [...acc, k]);
  };
  rec(0, []);
  return { pairs, multiplicity };
}

export interface Likelihood {
  M: number;
  epsilon: number;
  /** The distinct datasets (multisets of pair indices). */
  datasets: number[][];
  /** [D, 16] float64: how often each pair occurs in each dataset. */
  counts: Tensor;
  /** [D, 256] float64: P(d | h), multiplicity included, so each column sums to 1 over d. */
  probs: Tensor;
  /** [D, 256] float64: log P(d | h) without the multiplicity (what a learner's posterior needs). */
  logLik: Tensor;
}

/** The exact data model: every dataset of M noisy pairs and its probability under every h. */
export function makeLikelihood(opts: { M: number; epsilon?: number }): Likelihood {
  const epsilon = opts.epsilon ?? CONFIG.epsilon;
  const { pairs, multiplicity } = enumerateDatasets(opts.M);
  const D = pairs.length;
  const c = new Float64Array(D * NUM_PAIRS);
  pairs.forEach((d, i) => d.forEach((k) => (c[i * NUM_PAIRS + k] += 1)));
  const counts = pg.tensor(c, { ...F64, shape: [D, NUM_PAIRS] });
  return pg.tidy(() => {
    const logPair = pg.tensor(pairProbabilities(epsilon), { ...F64, shape: [NUM_PAIRS, NUM_HYPOTHESES] }).log();
    const logLik = counts.matmul(logPair); // [D, 256]
    const logMult = pg.tensor(multiplicity.map(Math.log), { ...F64, shape: [D, 1] });
    const probs = logLik.add(logMult).exp();
    return { M: opts.M, epsilon, datasets: pairs, counts, probs, logLik };
  });
}

export function disposeLikelihood(l: Likelihood): void {
  for (const t of [l.counts, l.probs, l.logLik]) t.dispose();
}

// ------------------------------------------------------------------------------------ learners

export type Agent = 'sample' | 'map';

/** log P(h | d) ∝ log P0(h) + log P(d | h), restricted to H_eff when given: [D, 256] float64. */
export function logPosterior(prior: Tensor, logLik: Tensor, effective?: readonly boolean[]): Tensor {
  return pg.tidy(() => {
    let lp = logLik.add(prior.log().unsqueeze(0));
    if (effective) lp = lp.maskedFill(pg.tensor(effective.map((e) => !e), { dtype: 'bool', device: 'cpu' }).unsqueeze(0), -Infinity);
    return lp.logSoftmax(-1);
  });
}

/**
 * What the learner outputs for each dataset, as a row-stochastic [D, 256] matrix: the posterior
 * itself ('sample') or the uniform distribution over its maximisers ('map', ties within
 * CONFIG.mapTieTol nats broken uniformly at random).
 */
export function learnerResponse(logPost: Tensor, agent: Agent): Tensor {
  return pg.tidy(() => {
    if (agent === 'sample') return logPost.exp();
    const best = logPost.max(-1, true);
    const ties = logPost.ge(best.sub(CONFIG.mapTieTol)).cast('float64');
    return ties.div(ties.sum(-1, true));
  });
}

/** Q = P(d | h)ᵀ · response(h' | d): [256, 256], rows sum to 1. */
export function transitionFromResponse(producerProbs: Tensor, response: Tensor): Tensor {
  return pg.tidy(() => producerProbs.transpose(0, 1).matmul(response));
}

export interface TransitionOptions {
  /** P0 over the 256 hypotheses, float64 [256]. */
  prior: Tensor;
  /** The producer's data model (also the learner's unless learnerLikelihood is given). */
  likelihood: Likelihood;
  agent: Agent;
  /** H_eff: the learner's posterior is restricted to these hypotheses. */
  effective?: readonly boolean[];
  /** A learner that assumes a different data model (same datasets) than the producer uses. */
  learnerLikelihood?: Likelihood;
}

/** The iterated-learning transition matrix Q(h, h') = Σ_d P(d | h) P_learner(h' | d), float64 [256, 256]. */
export function transitionMatrix(opts: TransitionOptions): Tensor {
  const learner = opts.learnerLikelihood ?? opts.likelihood;
  if (learner.datasets.length !== opts.likelihood.datasets.length) throw new Error('transitionMatrix: the learner and producer likelihoods must enumerate the same datasets');
  return pg.tidy(() => {
    const resp = learnerResponse(logPosterior(opts.prior, learner.logLik, opts.effective), opts.agent);
    return transitionFromResponse(opts.likelihood.probs, resp);
  });
}

// ------------------------------------------------------------------------------------ chains

function toF64(x: Tensor | ArrayLike<number>): Float64Array {
  if (x instanceof pg.Tensor) return Float64Array.from(x.dataSync());
  return Float64Array.from(x);
}

/**
 * The stationary distribution π = π Q of a row-stochastic Q with one recurrent class, by Gaussian
 * elimination with partial pivoting (float64) on (Qᵀ − I) π = 0 with one equation replaced by
 * Σ π = 1. Returns float64 [n] on the CPU.
 */
export function stationaryDistribution(Q: Tensor): Tensor {
  const n = Q.shape[0]!;
  if (Q.rank !== 2 || Q.shape[1] !== n) throw new Error(`stationaryDistribution: Q must be square, got [${Q.shape.join(', ')}]`);
  const q = toF64(Q);
  // A = Qᵀ − I, row n−1 replaced by ones; augmented column b = e_{n−1}.
  const w = n + 1;
  const A = new Float64Array(n * w);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) A[i * w + j] = q[j * n + i] - (i === j ? 1 : 0);
  }
  for (let j = 0; j < n; j++) A[(n - 1) * w + j] = 1;
  A[(n - 1) * w + n] = 1;
  for (let col = 0; col < n; col++) {
    let piv = col;
    for (let r = col + 1; r < n; r++) if (Math.abs(A[r * w + col]) > Math.abs(A[piv * w + col])) piv = r;
    if (Math.abs(A[piv * w + col]) < 1e-300) throw new Error('stationaryDistribution: singular system (more than one recurrent class?)');
    if (piv !== col) for (let j = col; j < w; j++) [A[col * w + j], A[piv * w + j]] = [A[piv * w + j], A[col * w + j]];
    const d = A[col * w + col];
    for (let r = 0; r < n; r++) {
      if (r === col) continue;
      const f = A[r * w + col] / d;
      if (f === 0) continue;
      for (let j = col; j < w; j++) A[r * w + j] -= f * A[col * w + j];
    }
  }
  const pi = new Float64Array(n);
  for (let i = 0; i < n; i++) pi[i] = A[i * w + n] / A[i * w + i];
  return pg.tensor(pi, F64);
}

/** Σ_h |p(h) − q(h)|. */
export function l1(p: Tensor | ArrayLike<number>, q: Tensor | ArrayLike<number>): number {
  const a = toF64(p), b = toF64(q);
  let s = 0;
  for (let i = 0; i < a.length; i++) s += Math.abs(a[i] - b[i]);
  return s;
}

/** ‖π Q − π‖₁: how far π is from stationary under Q. */
export function stationarityResidual(pi: Tensor | ArrayLike<number>, Q: Tensor): number {
  const p = toF64(pi), q = toF64(Q);
  const n = p.length;
  let s = 0;
  for (let j = 0; j < n; j++) {
    let v = 0;
    for (let i = 0; i < n; i++) v += p[i] * q[i * n + j];
    s += Math.abs(v - p[j]);
  }
  return s;
}

/** Σ_{h,h'} |π(h) Q(h, h') − π(h') Q(h', h)|: zero iff the chain is reversible w.r.t. π. */
export function detailedBalanceViolation(pi: Tensor | ArrayLike<number>, Q: Tensor): number {
  const p = toF64(pi), q = toF64(Q);
  const n = p.length;
  let s = 0;
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) s += Math.abs(p[i] * q[i * n + j] - p[j] * q[j * n + i]);
  return s;
}

/** p_0, p_0 Q, p_0 Q², …, p_0 Q^T (float64 arrays). */
export function propagate(p0: ArrayLike<number>, Q: Tensor, generations: number): Float64Array[] {
  const q = toF64(Q);
  const n = p0.length;
  const out = [Float64Array.from(p0)];
  for (let t = 0; t < generations; t++) {
    const prev = out[out.length - 1]!;
    const next = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      const pi = prev[i];
      if (pi === 0) continue;
      for (let j = 0; j < n; j++) next[j] += pi * q[i * n + j];
    }
    out.push(next);
  }
  return out;
}

// ------------------------------------------------------------------------------------ Monte Carlo

export interface ChainOptions {
  prior: Tensor;
  M: number;
  agent: Agent;
  /** Producer noise (default CONFIG.epsilon) and the noise the learner assumes (default the same). */
  epsilon?: number;
  learnerEpsilon?: number;
  effective?: readonly boolean[];
  /** Independent chains run side by side; each starts from h_0 ~ init (default: the prior). */
  chains: number;
  init?: ArrayLike<number>;
  /** Generations discarded before the histogram starts, and generations recorded after. */
  burnIn: number;
  record: number;
  generator: pg.Generator;
}

export interface ChainResult {
  /** Visit frequencies over the recorded generations of all chains: float64 [256], sums to 1. */
  histogram: Float64Array;
  /** Class masses of the chains' population at every generation 0..burnIn+record. */
  classTrajectory: Record<HypothesisClass, number>[];
  samples: number;
}

/** The first index whose cumulative weight exceeds u · total (binary search; zero-weight entries never win). */
function sampleFromCdf(cdf: Float64Array, u: number): number {
  const x = u * cdf[cdf.length - 1];
  let lo = 0, hi = cdf.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (cdf[mid] > x) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

/**
 * Seeded Monte Carlo of the chain: at each generation every chain's agent draws M objects
 * uniformly, names them (with noise ε), and the next agent samples (or takes the MAP of) its
 * posterior given those M pairs. All randomness comes from opts.generator (pg.rand, float64).
 */
export function runChains(opts: ChainOptions): ChainResult {
  const { M, chains: C } = opts;
  const eps = opts.epsilon ?? CONFIG.epsilon;
  const learnerEps = opts.learnerEpsilon ?? eps;
  const prior = toF64(opts.prior);
  const logPrior = prior.map((p, h) => (opts.effective && !opts.effective[h] ? -Infinity : Math.log(p)));
  const logPair = pairProbabilities(learnerEps).map(Math.log);
  const namesOf = Array.from({ length: NUM_HYPOTHESES }, (_, h) => hypothesisNames(h));
  const uniforms = (n: number): Float64Array => {
    const t = pg.rand([n], { generator: opts.generator, dtype: 'float64', device: 'cpu' });
    const a = Float64Array.from(t.dataSync());
    t.dispose();
    return a;
  };
  // h_0 ~ init.
  let state = new Int32Array(C);
  {
    const init = opts.init ?? prior;
    const u = uniforms(C);
    const cdf = new Float64Array(NUM_HYPOTHESES);
    let acc = 0;
    for (let h = 0; h < NUM_HYPOTHESES; h++) cdf[h] = acc += init[h]!;
    for (let c = 0; c < C; c++) state[c] = sampleFromCdf(cdf, u[c]);
  }
  const hist = new Float64Array(NUM_HYPOTHESES);
  const classTrajectory: Record<HypothesisClass, number>[] = [];
  const recordClasses = (): void => {
    const m: Record<HypothesisClass, number> = { degenerate: 0, systematic: 0, other: 0, holistic: 0 };
    for (let c = 0; c < C; c++) m[HYPOTHESIS_CLASS[state[c]]] += 1 / C;
    classTrajectory.push(m);
  };
  recordClasses();
  // The learner's output depends on the data only through the multiset of pairs: its cumulative
  // weights are computed once per multiset seen (a cache, not an approximation).
  const cache = new Map<number, Float64Array>();
  const learnerCdf = (pairs: number[]): Float64Array => {
    const sorted = [...pairs].sort((a, b) => a - b);
    const key = sorted.reduce((acc, k) => acc * NUM_PAIRS + k, 1);
    let cdf = cache.get(key);
    if (cdf) return cdf;
    const lp = Float64Array.from(logPrior);
    for (const k of sorted) for (let h = 0; h < NUM_HYPOTHESES; h++) lp[h] += logPair[k * NUM_HYPOTHESES + h];
    let best = -Infinity;
    for (let h = 0; h < NUM_HYPOTHESES; h++) if (lp[h] > best) best = lp[h];
    cdf = new Float64Array(NUM_HYPOTHESES);
    let acc = 0;
    for (let h = 0; h < NUM_HYPOTHESES; h++) {
      acc += opts.agent === 'sample' ? Math.exp(lp[h] - best) : lp[h] >= best - CONFIG.mapTieTol ? 1 : 0;
      cdf[h] = acc;
    }
    cache.set(key, cdf);
    return cdf;
  };
  const perChain = 3 * M + 1; // object, noise coin, replacement name for each pair; the learner's draw
  const pairs = new Array<number>(M);
  for (let gen = 1; gen <= opts.burnIn + opts.record; gen++) {
    const u = uniforms(C * perChain);
    const next = new Int32Array(C);
    for (let c = 0; c < C; c++) {
      const base = c * perChain;
      const names = namesOf[state[c]]!;
      for (let m = 0; m < M; m++) {
        const o = Math.min(NUM_OBJECTS - 1, Math.floor(u[base + 3 * m] * NUM_OBJECTS));
        let n = names[o]!;
        if (u[base + 3 * m + 1] < eps) n = (n + 1 + Math.min(NUM_NAMES - 2, Math.floor(u[base + 3 * m + 2] * (NUM_NAMES - 1)))) % NUM_NAMES;
        pairs[m] = pairIndex(o, n);
      }
      next[c] = sampleFromCdf(learnerCdf(pairs), u[base + perChain - 1]);
    }
    state = next;
    recordClasses();
    if (gen > opts.burnIn) for (let c = 0; c < C; c++) hist[state[c]] += 1;
  }
  const samples = C * opts.record;
  for (let h = 0; h < NUM_HYPOTHESES; h++) hist[h] /= samples;
  return { histogram: hist, classTrajectory, samples };
}

/** Total variation distance ½ Σ |p − q|. */
export function tv(p: Tensor | ArrayLike<number>, q: Tensor | ArrayLike<number>): number {
  return 0.5 * l1(p, q);
}
