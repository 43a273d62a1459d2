/**
 * Iterated learning, neural tier.
 *
 * 1. An amortised posterior q_φ(h | d): an MLP from the pair counts of a dataset to logits over the
 *    256 hypotheses, trained by cross-entropy on pairs (h, d) with h ~ P0, d ~ P(d | h). Its
 *    population optimum is the exact posterior P(h | d), so it stands in for an LLM that learned
 *    its "prior" from data. Used as the agent of the chain: sampling h' ~ q(· | d) (temperature 1)
 *    or taking argmax_h q(h | d) (greedy decoding).
 *
 * 2. A tiny nn.GPT trained generation after generation on its predecessor's samples of a toy
 *    language with a slight preference for half of its words, sampled at temperature 1 or at a
 *    low temperature. Tracked per generation: the bias statistic (expected fraction of preferred
 *    tokens) and the entropy per token of the sampling distribution, both exact (every sequence
 *    of the language is enumerated and scored by the model).
 */
import * as pg from '../../autograd/index.js';
import type { Tensor } from '../../autograd/index.js';
import { MLP } from '../../nn/layers.js';
import { GPT } from '../../nn/gpt.js';
import { Adam } from '../../nn/optim.js';
import { crossEntropy } from '../../nn/losses.js';
import { klDivergence } from '../../nn/stats.js';
import { breathe } from '../common/event-loop.js';
import {
  CONFIG,
  NUM_HYPOTHESES,
  NUM_NAMES,
  NUM_OBJECTS,
  NUM_PAIRS,
  hypothesisNames,
  pairIndex,
  type Likelihood,
} from './index.js';


// ------------------------------------------------------------------------------------ amortised posterior

export interface AmortisedConfig {
  /** Data per learner (the network is trained for this M). */
  M: number;
  /** Hidden layer widths of the MLP. */
  hidden: number[];
  steps: number;
  batch: number;
  lr: number;
}

export const AMORTISED_DEFAULTS: AmortisedConfig = { M: 2, hidden: [64], steps: 300, batch: 128, lr: 1e-2 };

/**
 * n training pairs (h, d): h ~ P0 and M noisy (object, name) pairs from h; d is returned as its
 * pair counts [n, 16] (float32, on `device`), h as int32 [n].
 */
export function sampleTrainingPairs(prior: Tensor, n: number, M: number, g: pg.Generator, device: pg.Device = 'cpu', epsilon: number = CONFIG.epsilon): { x: Tensor; h: Tensor } {
  const hT = pg.tidy(() => pg.categorical(prior.unsqueeze(0), n, { generator: g }).reshape([n]));
  const hs = hT.dataSync();
  const uT = pg.rand([n * M * 3], { generator: g, dtype: 'float64', device: 'cpu' });
  const u = uT.dataSync();
  const x = new Float32Array(n * NUM_PAIRS);
  for (let i = 0; i < n; i++) {
    const names = hypothesisNames(hs[i]!);
    for (let m = 0; m < M; m++) {
      const b = (i * M + m) * 3;
      const o = Math.min(NUM_OBJECTS - 1, Math.floor(u[b]! * NUM_OBJECTS));
      let nm = names[o]!;
      if (u[b + 1]! < epsilon) nm = (nm + 1 + Math.min(NUM_NAMES - 2, Math.floor(u[b + 2]! * (NUM_NAMES - 1)))) % NUM_NAMES;
      x[i * NUM_PAIRS + pairIndex(o, nm)] += 1;
    }
  }
  uT.dispose();
  if (hT.device === device) return { x: pg.tensor(x, { shape: [n, NUM_PAIRS], device }), h: hT };
  const out = { x: pg.tensor(x, { shape: [n, NUM_PAIRS], device }), h: hT.to(device) };
  hT.dispose();
  return out;
}

/** Trains q_φ(h | d) = softmax(MLP(counts(d))) by cross-entropy on fresh (h, d) pairs each step (Adam, linearly decaying lr). */
export async function trainAmortisedPosterior(
  prior: Tensor,
  cfg: AmortisedConfig,
  g: pg.Generator,
  opts: { device?: pg.Device; onStep?: (step: number, loss: number | null) => void } = {},
): Promise<{ net: MLP; losses: { step: number; loss: number }[] }> {
  const device = opts.device ?? pg.getDefaultDevice();
  const net = new MLP([NUM_PAIRS, ...cfg.hidden, NUM_HYPOTHESES], { activation: 'relu', generator: g }).to(device);
  const opt = new Adam(net.parameters(), { lr: cfg.lr });
  const losses: { step: number; loss: number }[] = [];
  for (let step = 0; step < cfg.steps; step++) {
    for (const group of opt.paramGroups) group.lr = cfg.lr * (1 - step / cfg.steps); // linear decay
    const log = step % 25 === 0 || step === cfg.steps - 1;
    const loss = pg.tidy(() => {
      const { x, h } = sampleTrainingPairs(prior, cfg.batch, cfg.M, g, device);
      const l = crossEntropy(net.forward(x), h);
      l.backward();
      opt.step();
      opt.zeroGrad();
      return log ? l.detach() : null;
    });
    let v: number | null = null;
    if (loss) {
      v = await loss.item();
      losses.push({ step, loss: v });
      loss.dispose();
    }
    opts.onStep?.(step, v);
    await breathe();
  }
  opt.dispose();
  return { net, losses };
}

/** q_φ(h | d) for every dataset of the likelihood, as float64 [D, 256] on the CPU. */
export async function amortisedPosterior(net: MLP, likelihood: Likelihood): Promise<Tensor> {
  const device = net.parameters()[0]!.device;
  const logq = pg.tidy(() => pg.noGrad(() => net.forward(likelihood.counts.cast('float32').to(device)).logSoftmax(-1)));
  const cpu = await pg.toDevice(logq, 'cpu');
  const q = pg.tidy(() => cpu.cast('float64').exp());
  if (cpu !== logq) cpu.dispose();
  logq.dispose();
  return q;
}

/** Greedy decoding of a row-stochastic response [D, H]: all mass on each row's argmax (first on exact ties). */
export function greedy(response: Tensor): Tensor {
  return pg.tidy(() => pg.oneHot(response.argmax(-1), response.shape[1]!, { dtype: 'float64' }));
}

/** E_d KL(P(· | d) ‖ q(· | d)) with d ~ Σ_h P0(h) P(d | h): how well q learned the posterior (nats). */
export function expectedPosteriorKL(exactPost: Tensor, approxPost: Tensor, prior: Tensor, likelihood: Likelihood): number {
  return pg.tidy(() => {
    const pd = likelihood.probs.matmul(prior.unsqueeze(1)).squeeze(1); // [D]
    const p = exactPost, q = approxPost.clamp(1e-300, 1);
    const kl = p.mul(p.clamp(1e-300, 1).log().sub(q.log())).sum(-1); // [D]
    return pd.mul(kl).sum().dataSync()[0]!;
  });
}

// ------------------------------------------------------------------------------------ toy language

export interface ToyLanguage {
  /** Word tokens 0..vocab−1; token `vocab` is BOS. */
  vocab: number;
  length: number;
  /** Tokens the language slightly prefers (the bias statistic counts them). */
  preferred: number[];
  /** Unigram weights u and the repeat probability ρ: x_1 ~ u, x_{t+1} ~ (1 − ρ) u + ρ δ(x_t). */
  unigram: number[];
  repeat: number;
}

/** A 4-word language of 3-word sentences; words 0, 1 are preferred with total weight `bias`. */
export function makeToyLanguage(bias = 0.55, repeat = 0.3): ToyLanguage {
  return { vocab: 4, length: 3, preferred: [0, 1], unigram: [bias / 2, bias / 2, (1 - bias) / 2, (1 - bias) / 2], repeat };
}

/** Every sentence of the language (V^L of them), as int32 ids [V^L, L]. */
export function allSentences(lang: ToyLanguage): Int32Array {
  const { vocab: V, length: L } = lang;
  const n = V ** L;
  const out = new Int32Array(n * L);
  for (let i = 0; i < n; i++) for (let t = 0; t < L; t++) out[i * L + t] = Math.floor(i / V ** (L - 1 - t)) % V;
  return out;
}

/** P(sentence) under the generation-0 language, in the order of allSentences. */
export function languageProbs(lang: ToyLanguage): Float64Array {
  const s = allSentences(lang);
  const { vocab: V, length: L } = lang;
  const n = V ** L;
  const p = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let q = lang.unigram[s[i * L]!]!;
    for (let t = 1; t < L; t++) {
      const x = s[i * L + t]!, prev = s[i * L + t - 1]!;
      q *= (1 - lang.repeat) * lang.unigram[x]! + (x === prev ? lang.repeat : 0);
    }
    p[i] = q;
  }
  return p;
}

export interface LanguageStats {
  /** Expected fraction of preferred tokens. */
  bias: number;
  /** Entropy of the sentence distribution divided by the sentence length (nats per token). */
  entropy: number;
}

export function languageStats(lang: ToyLanguage, probs: ArrayLike<number>): LanguageStats {
  const s = allSentences(lang);
  const L = lang.length;
  const pref = new Set(lang.preferred);
  let bias = 0, H = 0;
  for (let i = 0; i < probs.length; i++) {
    const p = probs[i]!;
    if (p <= 0) continue;
    let c = 0;
    for (let t = 0; t < L; t++) if (pref.has(s[i * L + t]!)) c++;
    bias += (p * c) / L;
    H -= p * Math.log(p);
  }
  return { bias, entropy: H / L };
}

/** Fraction of preferred tokens in a sample [n, L]. */
export function empiricalBias(lang: ToyLanguage, sample: ArrayLike<number>): number {
  const pref = new Set(lang.preferred);
  let c = 0;
  for (let i = 0; i < sample.length; i++) if (pref.has(sample[i]!)) c++;
  return c / sample.length;
}

/** n sentences from the generation-0 language (int32 [n, L] on the CPU). */
export function sampleLanguage(lang: ToyLanguage, n: number, g: pg.Generator): Tensor {
  const idx = pg.tidy(() => pg.categorical(pg.tensor(languageProbs(lang), { dtype: 'float64', device: 'cpu' }).unsqueeze(0), n, { generator: g }).dataSync());
  const all = allSentences(lang);
  const L = lang.length;
  const out = new Int32Array(n * L);
  for (let i = 0; i < n; i++) out.set(all.subarray(idx[i]! * L, idx[i]! * L + L), i * L);
  return pg.tensor(out, { shape: [n, L], device: 'cpu' });
}

// ------------------------------------------------------------------------------------ GPT generations

export interface GPTConfigIL {
  dModel: number;
  nHeads: number;
  nLayers: number;
  /** Full-batch Adam steps per generation. */
  steps: number;
  lr: number;
  /** Sentences each generation produces for the next. */
  samples: number;
}

export const GPT_DEFAULTS: GPTConfigIL = { dModel: 16, nHeads: 2, nLayers: 1, steps: 60, lr: 2e-2, samples: 2000 };

/** [BOS, x_1 .. x_L] as int32 [n, L + 1]. */
function withBos(lang: ToyLanguage, ids: Tensor): Tensor {
  const n = ids.shape[0]!;
  return pg.tidy(() => pg.cat([pg.full([n, 1], lang.vocab, { dtype: 'int32', device: ids.device }), ids], 1));
}

/** A fresh GPT with the same initialisation every generation (the shared "base model"). */
export function makeGPT(lang: ToyLanguage, cfg: GPTConfigIL, initSeed: number, device: pg.Device): GPT {
  return new GPT({ vocabSize: lang.vocab + 1, dModel: cfg.dModel, nHeads: cfg.nHeads, nLayers: cfg.nLayers, maxLen: lang.length, generator: new pg.Generator(initSeed) }).to(device);
}

/**
 * Empirical distribution of a sample of sentences over the enumerated sentences (order of
 * allSentences): the weight of each distinct sentence in the predecessor's data.
 */
export function sentenceFrequencies(lang: ToyLanguage, sample: ArrayLike<number>): Float64Array {
  const { vocab: V, length: L } = lang;
  const f = new Float64Array(V ** L);
  const n = sample.length / L;
  for (let i = 0; i < n; i++) {
    let idx = 0;
    for (let t = 0; t < L; t++) idx = idx * V + sample[i * L + t]!;
    f[idx] += 1 / n;
  }
  return f;
}

/**
 * Maximum likelihood on the predecessor's sentences: minimises the mean next-token cross-entropy
 * of the N sentences, −(1 / N L) Σ_i log p(x_i). Sentences repeat (the language has V^L of them),
 * so the sum is taken over the distinct sentences weighted by their frequency: the same loss and
 * the same gradient as a full pass over the N sentences, for the price of V^L sequences.
 * Adam with a linearly decaying learning rate. Returns the loss every 10 steps.
 */
export async function trainGPT(model: GPT, lang: ToyLanguage, data: Tensor, cfg: GPTConfigIL): Promise<number[]> {
  const device = model.parameters()[0]!.device;
  const freq = sentenceFrequencies(lang, data.dataSync());
  const L = lang.length;
  const all = allSentences(lang);
  const n = all.length / L;
  const ids = pg.tidy(() => withBos(lang, pg.tensor(all, { shape: [n, L], device })));
  const w = pg.tensor(Float32Array.from(freq), { device });
  const opt = new Adam(model.parameters(), { lr: cfg.lr });
  const losses: number[] = [];
  model.train();
  for (let step = 0; step < cfg.steps; step++) {
    for (const group of opt.paramGroups) group.lr = cfg.lr * (1 - step / cfg.steps);
    const l = pg.tidy(() => {
      const loss = model.sequenceLogProb(ids, { promptLen: 1 }).mul(w).sum().div(-L);
      loss.backward();
      opt.step();
      opt.zeroGrad();
      return step % 10 === 0 || step === cfg.steps - 1 ? loss.detach() : null;
    });
    if (l) {
      losses.push(await l.item());
      l.dispose();
    }
  }
  for (const t of [ids, w]) t.dispose();
  opt.dispose();
  model.eval();
  return losses;
}

/**
 * The model's sampling distribution at a temperature, over every sentence (order of allSentences):
 * P_T(x) = Π_t softmax(logits_t / T)[x_t], what GPT.generate draws from at that temperature.
 */
export async function gptSentenceProbs(model: GPT, lang: ToyLanguage, temperature: number): Promise<Float64Array> {
  const L = lang.length;
  const all = allSentences(lang);
  const n = all.length / L;
  const device = model.parameters()[0]!.device;
  const lp = pg.tidy(() => pg.noGrad(() => {
    const ids = withBos(lang, pg.tensor(all, { shape: [n, L], device }));
    const logits = model.forward(ids.slice(1, 0, L)).slice(2, 0, lang.vocab); // BOS is never a next word
    const logp = logits.div(temperature).logSoftmax(-1); // [n, L, V]
    return logp.gather(2, ids.slice(1, 1, L + 1).contiguous().unsqueeze(2)).squeeze(2).sum(1);
  }));
  const out = Float64Array.from(await lp.data(), Math.exp);
  lp.dispose();
  let z = 0;
  for (const v of out) z += v;
  for (let i = 0; i < n; i++) out[i] /= z; // mass the (masked) BOS logit took away at T
  return out;
}

/**
 * A CPU copy of a model. Sampling is a CPU operation in papergrad (pg.multinomial reads its
 * probabilities on the CPU), so a model trained on another device samples from this copy.
 */
export async function cpuCopy(model: GPT): Promise<GPT> {
  if (model.parameters()[0]!.device === 'cpu') return model;
  // Layers take no device option: build the copy with the CPU as the default device (synchronous,
  // restored right away), then load the weights read back from the model's device.
  const prev = pg.getDefaultDevice();
  pg.setDefaultDevice('cpu');
  let copy: GPT;
  try {
    copy = new GPT({ ...model.config, generator: new pg.Generator(0) }); // weights overwritten below
  } finally {
    pg.setDefaultDevice(prev);
  }
  const sd: Record<string, Tensor> = {};
  for (const [name, t] of Object.entries(model.stateDict())) sd[name] = await pg.toDevice(t, 'cpu');
  copy.loadStateDict(sd);
  for (const t of Object.values(sd)) t.dispose();
  return copy.eval();
}

/**
 * n sentences sampled from the model with GPT.generate at the given temperature (BOS is masked
 * out by a logitsProcessor). Returns int32 [n, L] on the CPU.
 */
export async function sampleGPT(model: GPT, lang: ToyLanguage, n: number, temperature: number, g: pg.Generator): Promise<Tensor> {
  const sampler = await cpuCopy(model);
  const bosMask = pg.tensor(Array.from({ length: lang.vocab + 1 }, (_, i) => (i === lang.vocab ? -Infinity : 0)), { device: 'cpu' });
  const prompt = pg.full([n, 1], lang.vocab, { dtype: 'int32', device: 'cpu' });
  const out = sampler.generate(prompt, { maxNewTokens: lang.length, temperature, generator: g, logitsProcessor: (_s, logits) => logits.add(bosMask) });
  const words = pg.tidy(() => out.slice(1, 1, lang.length + 1).contiguous());
  for (const t of [bosMask, prompt, out]) t.dispose();
  if (sampler !== model) sampler.dispose();
  return words;
}

export interface GenerationRecord {
  generation: number;
  /** Exact statistics of this generation's sampling distribution (generation 0: the language itself). */
  bias: number;
  entropy: number;
  /** Fraction of preferred tokens in the sentences this generation handed on. */
  sampleBias: number;
  /** Final training loss (NaN for generation 0). */
  loss: number;
  /** KL(data ‖ model at T = 1) per token: how closely the GPT fit its predecessor's sentences (NaN for generation 0). */
  fitKL: number;
}

/**
 * Iterated learning of GPTs: generation 0 is the toy language itself; generation k ≥ 1 is a GPT
 * trained (from the shared initialisation) on `samples` sentences of generation k − 1, which then
 * produces `samples` sentences at the chain's temperature for generation k + 1. Generation 1 learns
 * from the language itself, identically for every temperature, so it is trained once and shared
 * (the chains then differ only in the temperature they sample at, and in their random draws).
 * Returns one list of records per temperature.
 */
export async function gptIteratedLearning(opts: {
  lang: ToyLanguage;
  cfg: GPTConfigIL;
  temperatures: number[];
  generations: number;
  seed: number;
  device: pg.Device;
  onGeneration?: (done: number, total: number) => void;
}): Promise<GenerationRecord[][]> {
  const { lang, cfg } = opts;
  const g = new pg.Generator(opts.seed);
  const initSeed = opts.seed + 1000;
  const total = 1 + opts.temperatures.length * (opts.generations - 1);
  let done = 0;
  const data0 = sampleLanguage(lang, cfg.samples, g);
  const gen0: GenerationRecord = { generation: 0, ...languageStats(lang, languageProbs(lang)), sampleBias: empiricalBias(lang, data0.dataSync()), loss: NaN, fitKL: NaN };

  // One generation: train on `data`, score the sampling distribution at T, hand on fresh samples.
  const step = async (model: GPT, data: Tensor, k: number, T: number, gen: pg.Generator): Promise<{ rec: GenerationRecord; next: Tensor }> => {
    const freq = sentenceFrequencies(lang, data.dataSync());
    const fitKL = klDivergence(freq, await gptSentenceProbs(model, lang, 1)) / lang.length;
    const stats = languageStats(lang, await gptSentenceProbs(model, lang, T));
    const next = await sampleGPT(model, lang, cfg.samples, T, gen);
    return { rec: { generation: k, ...stats, sampleBias: empiricalBias(lang, next.dataSync()), loss: NaN, fitKL }, next };
  };

  const first = makeGPT(lang, cfg, initSeed, opts.device);
  const firstLoss = (await trainGPT(first, lang, data0, cfg)).at(-1) ?? NaN;
  await breathe();
  opts.onGeneration?.(++done, total);
  const out: GenerationRecord[][] = [];
  for (const [ti, T] of opts.temperatures.entries()) {
    const gen = new pg.Generator(opts.seed * 7919 + 17 * (ti + 1));
    const records: GenerationRecord[] = [gen0];
    let { rec, next } = await step(first, data0, 1, T, gen);
    records.push({ ...rec, loss: firstLoss });
    for (let k = 2; k <= opts.generations; k++) {
      const model = makeGPT(lang, cfg, initSeed, opts.device);
      const loss = (await trainGPT(model, lang, next, cfg)).at(-1) ?? NaN;
      const r = await step(model, next, k, T, gen);
      next.dispose();
      next = r.next;
      records.push({ ...r.rec, loss });
      model.dispose();
      await breathe();
      opts.onGeneration?.(++done, total);
    }
    next.dispose();
    out.push(records);
  }
  first.dispose();
  data0.dispose();
  return out;
}
