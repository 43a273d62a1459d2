/**
 * The nn.GPT tier of the OAIF reproduction: a tiny GPT policy over short token sequences.
 *
 * Toy task. A sequence is [prompt, w₁, …, wₙ, EOS] with n ≤ maxWords words. Each prompt has a set
 * of relevant words; the hidden quality of an answer is
 *   q = coverage·(number of distinct relevant words used) − offTopic·(irrelevant words) + perWord·n,
 * so complete answers need several words, padding with relevant words helps a little, and
 * irrelevant words hurt. The annotator is Bradley–Terry on q − c·n with c from its instruction
 * ("helpful": c = 0, "helpful and short": c > 0), exactly the interface of the tabular tier with
 * token lists as responses.
 *
 * Pipeline: SFT on samples of a noisy "demonstrator" that likes long answers; the SFT model is then
 * frozen as π_ref and copied into the policy, which is trained with DPO either online (OAIF: two
 * samples per prompt from the current policy, labelled by the annotator at every step) or offline
 * (a fixed set of pairs from a different behaviour policy that writes only long answers from part
 * of the vocabulary, labelled once). Every few steps the policy is sampled and scored against SFT
 * samples by the gold utility: win rate and mean length over training.
 */
import * as pg from '../../autograd/index.js';
import type { Tensor } from '../../autograd/index.js';
import { GPT } from '../../nn/gpt.js';
import { Adam } from '../../nn/optim.js';
import { breathe } from '../common/event-loop.js';
import { LOSSES, annotatePairs, btAnnotator, uniformStream, type Annotator, type LossName, type UtilityAnnotator } from './index.js';

export const GPT_TIER = {
  prompts: 4,
  words: 6,
  maxWords: 6,
  /** Relevant words of each prompt (word indices 0..words−1). */
  relevant: [[0, 1], [2, 3], [4, 5], [1, 3]] as number[][],
  quality: { coverage: 2, offTopic: 0.8, perWord: 0.15 },
  /** Annotator length penalty per word, by instruction. */
  penalties: { helpful: 0, short: 0.6 },
  /** The SFT demonstrator: P(n words) ∝ these weights (n = 1..maxWords, favouring long answers); each word relevant with this probability. */
  sftLengthWeights: [1, 1, 2, 3, 4, 5],
  sftRelevantProb: 0.6,
  /** The offline behaviour policy: n uniform in [minWords, maxWords], words uniform over this subset only. */
  behaviour: { minWords: 3, vocab: [0, 2, 4] as number[] },
  model: { dModel: 16, nHeads: 2, nLayers: 1 },
  sft: { samples: 2048, steps: 150, batch: 64, lr: 5e-3 },
  dpo: { loss: 'dpo' as LossName, beta: 0.1, steps: 60, pairsPerStep: 32, lr: 3e-3, offlinePairs: 1024 },
  eval: { every: 10, samplesPerPrompt: 32, sftSamplesPerPrompt: 64 },
};
export type GptTierConfig = typeof GPT_TIER;

export const EOS = 0;
/** Token ids: EOS = 0, prompts 1..P, words P+1..P+W. */
export const promptToken = (cfg: GptTierConfig, p: number): number => 1 + p;
export const wordToken = (cfg: GptTierConfig, w: number): number => 1 + cfg.prompts + w;
export const vocabSize = (cfg: GptTierConfig): number => 1 + cfg.prompts + cfg.words;
/** Sequence length: the prompt token and maxWords words (EOS falls inside unless n = maxWords). */
export const seqLen = (cfg: GptTierConfig): number => 1 + cfg.maxWords;

/** An answer: its tokens after the prompt, up to (not including) EOS. Non-word tokens count as irrelevant words. */
export type Answer = number[];

export function answerQuality(cfg: GptTierConfig, p: number, y: Answer): number {
  const rel = new Set(cfg.relevant[p]!.map((w) => wordToken(cfg, w)));
  const used = new Set<number>();
  let off = 0;
  for (const t of y) {
    if (rel.has(t)) used.add(t);
    else off++;
  }
  return cfg.quality.coverage * used.size - cfg.quality.offTopic * off + cfg.quality.perWord * y.length;
}

export function gptAnnotator(cfg: GptTierConfig, instruction: string, g: pg.Generator): UtilityAnnotator<number, Answer> {
  return btAnnotator<number, Answer>({
    instruction,
    quality: (p, y) => answerQuality(cfg, p, y),
    length: (_p, y) => y.length,
    generator: g,
    penalties: cfg.penalties,
  });
}

/** Answers drawn by a demonstrator / behaviour process in plain JS (seeded). */
function drawAnswers(n: number, pick: (u: () => number) => { p: number; y: Answer }, g: pg.Generator): { prompt: number[]; answer: Answer[] } {
  const u = uniformStream(g);
  const prompt: number[] = [], answer: Answer[] = [];
  for (let i = 0; i < n; i++) {
    const s = pick(u);
    prompt.push(s.p);
    answer.push(s.y);
  }
  return { prompt, answer };
}

const choose = (u: () => number, weights: number[]): number => {
  const tot = weights.reduce((a, b) => a + b, 0);
  let t = u() * tot;
  for (let i = 0; i < weights.length; i++) if ((t -= weights[i]!) < 0) return i;
  return weights.length - 1;
};

/** The SFT demonstrator: long-ish answers, each word relevant with probability sftRelevantProb. */
export function sftData(cfg: GptTierConfig, n: number, g: pg.Generator): { prompt: number[]; answer: Answer[] } {
  return drawAnswers(
    n,
    (u) => {
      const p = Math.floor(u() * cfg.prompts);
      const len = 1 + choose(u, cfg.sftLengthWeights);
      const rel = cfg.relevant[p]!;
      const others = Array.from({ length: cfg.words }, (_, w) => w).filter((w) => !rel.includes(w));
      const y = Array.from({ length: len }, () => wordToken(cfg, u() < cfg.sftRelevantProb ? rel[Math.floor(u() * rel.length)]! : others[Math.floor(u() * others.length)]!));
      return { p, y };
    },
    g,
  );
}

/** The offline behaviour policy: long answers (minWords..maxWords) from a subset of the words only. */
export function behaviourData(cfg: GptTierConfig, n: number, g: pg.Generator): { prompt: number[]; answer: Answer[] } {
  const { minWords, vocab } = cfg.behaviour;
  return drawAnswers(
    n,
    (u) => {
      const p = Math.floor(u() * cfg.prompts);
      const len = minWords + Math.floor(u() * (cfg.maxWords - minWords + 1));
      return { p, y: Array.from({ length: len }, () => wordToken(cfg, vocab[Math.floor(u() * vocab.length)]!)) };
    },
    g,
  );
}

/** ids [B, T] (prompt, answer, EOS, EOS padding) and the mask of the tokens that are scored (answer and its EOS). */
export function encode(cfg: GptTierConfig, prompt: number[], answer: Answer[]): { ids: Tensor; mask: Tensor } {
  const T = seqLen(cfg);
  const ids: number[] = [], mask: number[] = [];
  for (let i = 0; i < prompt.length; i++) {
    const y = answer[i]!;
    if (y.length > cfg.maxWords) throw new Error(`encode: answer longer than ${cfg.maxWords} words`);
    for (let t = 0; t < T; t++) {
      ids.push(t === 0 ? promptToken(cfg, prompt[i]!) : t <= y.length ? y[t - 1]! : EOS);
      mask.push(t >= 1 && t <= y.length + 1 ? 1 : 0);
    }
  }
  return { ids: pg.tensor(ids, { shape: [prompt.length, T], dtype: 'int32' }), mask: pg.tensor(mask, { shape: [prompt.length, T], dtype: 'bool' }) };
}

/** Samples one answer per prompt from the model (temperature 1, through GPT.generate), cut at the first EOS. */
export async function sampleAnswers(cfg: GptTierConfig, model: GPT, prompt: number[], g: pg.Generator): Promise<Answer[]> {
  const p = pg.tensor(prompt.map((q) => promptToken(cfg, q)), { shape: [prompt.length, 1], dtype: 'int32' });
  const out = model.generate(p, { maxNewTokens: cfg.maxWords, generator: g });
  const T = seqLen(cfg);
  const d = Array.from((await out.data()) as ArrayLike<number>);
  p.dispose();
  out.dispose();
  return prompt.map((_, i) => {
    const y: Answer = [];
    for (let t = 1; t < T; t++) {
      const tok = d[i * T + t]!;
      if (tok === EOS) break;
      y.push(tok);
    }
    return y;
  });
}

export function sequenceLogProbs(cfg: GptTierConfig, model: GPT, prompt: number[], answer: Answer[]): Tensor {
  const { ids, mask } = encode(cfg, prompt, answer);
  return model.sequenceLogProb(ids, { promptLen: 1, mask });
}

export function makeModel(cfg: GptTierConfig, g: pg.Generator): GPT {
  return new GPT({ vocabSize: vocabSize(cfg), maxLen: seqLen(cfg), ...cfg.model, generator: g });
}

/** SFT: maximum likelihood on the demonstrator's answers (mean negative log-likelihood per token); returns the loss every 10 steps. */
export async function trainSft(cfg: GptTierConfig, model: GPT, g: pg.Generator, onStep?: (s: number) => void): Promise<{ step: number[]; loss: number[] }> {
  const data = sftData(cfg, cfg.sft.samples, g);
  const opt = new Adam(model.parameters(), { lr: cfg.sft.lr });
  const u = uniformStream(g);
  const log = { step: [] as number[], loss: [] as number[] };
  try {
    for (let s = 0; s < cfg.sft.steps; s++) {
      const idx = Array.from({ length: cfg.sft.batch }, () => Math.floor(u() * data.prompt.length));
      // Tokens scored per answer: its words and the EOS (none when it has maxWords words).
      const nTok = idx.reduce((a, i) => a + Math.min(data.answer[i]!.length + 1, cfg.maxWords), 0);
      const record = s % 10 === 0 || s === cfg.sft.steps - 1;
      const loss = pg.tidy(() => {
        const lp = sequenceLogProbs(cfg, model, idx.map((i) => data.prompt[i]!), idx.map((i) => data.answer[i]!));
        const l = lp.sum().neg().div(nTok);
        l.backward();
        opt.step();
        opt.zeroGrad();
        return record ? l.detach() : null;
      });
      if (loss) {
        log.step.push(s);
        log.loss.push(await loss.item());
        loss.dispose();
        await breathe();
      }
      onStep?.(s);
    }
    return log;
  } finally {
    opt.dispose();
  }
}

export interface Curve {
  step: number[];
  /** Gold win rate against SFT samples, judged by the helpful utility and by the short one. */
  winRateHelpful: number[];
  winRateShort: number[];
  meanLength: number[];
}

/** Gold win rate of answers against reference answers to the same prompt: mean σ(u(y) − u(y')) over all same-prompt pairs. */
export function goldWinRate(judge: UtilityAnnotator<number, Answer>, prompt: number[], answers: Answer[], refPrompt: number[], refAnswers: Answer[]): number {
  let s = 0, n = 0;
  for (let i = 0; i < prompt.length; i++)
    for (let j = 0; j < refPrompt.length; j++) {
      if (prompt[i] !== refPrompt[j]) continue;
      s += judge.probability(prompt[i]!, answers[i]!, refAnswers[j]!);
      n++;
    }
  return s / n;
}

export interface DpoRunSpec {
  /** 'online' (OAIF) with this annotator, or 'offline' on these labelled pairs. */
  data: { kind: 'online'; annotator: Annotator<number, Answer> } | { kind: 'offline'; prompt: number[]; chosen: Answer[]; rejected: Answer[] };
  loss: LossName;
  beta: number;
  steps: number;
  pairsPerStep: number;
  lr: number;
}

/**
 * DPO-family training of a copy of the SFT model against the frozen SFT reference. Evaluates every
 * cfg.eval.every steps (and at the end): samples samplesPerPrompt answers per prompt and scores
 * them against the SFT samples `sftEval` with the gold judges.
 */
export async function trainDpoGpt(
  cfg: GptTierConfig,
  sft: GPT,
  spec: DpoRunSpec,
  judges: { helpful: UtilityAnnotator<number, Answer>; short: UtilityAnnotator<number, Answer> },
  sftEval: { prompt: number[]; answer: Answer[] },
  g: pg.Generator,
  onStep?: (s: number) => void,
): Promise<Curve> {
  const policy = sft.clone().requiresGrad_(true);
  const ref = sft; // frozen: only read under noGrad below
  const opt = new Adam(policy.parameters(), { lr: spec.lr });
  const lossFn = LOSSES[spec.loss];
  const u = uniformStream(g);
  const curve: Curve = { step: [], winRateHelpful: [], winRateShort: [], meanLength: [] };
  const evalPrompts = Array.from({ length: cfg.prompts * cfg.eval.samplesPerPrompt }, (_, i) => i % cfg.prompts);
  const evaluate = async (step: number): Promise<void> => {
    const ans = await sampleAnswers(cfg, policy, evalPrompts, g);
    curve.step.push(step);
    curve.winRateHelpful.push(goldWinRate(judges.helpful, evalPrompts, ans, sftEval.prompt, sftEval.answer));
    curve.winRateShort.push(goldWinRate(judges.short, evalPrompts, ans, sftEval.prompt, sftEval.answer));
    curve.meanLength.push(ans.reduce((a, y) => a + y.length, 0) / ans.length);
  };
  try {
    for (let s = 0; s < spec.steps; s++) {
      if (s % cfg.eval.every === 0) await evaluate(s);
      let prompt: number[], chosen: Answer[], rejected: Answer[];
      if (spec.data.kind === 'online') {
        // OAIF: two samples per prompt from the current policy, labelled now by the annotator.
        prompt = Array.from({ length: spec.pairsPerStep }, () => Math.floor(u() * cfg.prompts));
        const both = await sampleAnswers(cfg, policy, [...prompt, ...prompt], g);
        ({ chosen, rejected } = annotatePairs(spec.data.annotator, prompt, both.slice(0, prompt.length), both.slice(prompt.length)));
      } else {
        const d = spec.data;
        const idx = Array.from({ length: spec.pairsPerStep }, () => Math.floor(u() * d.prompt.length));
        prompt = idx.map((i) => d.prompt[i]!);
        chosen = idx.map((i) => d.chosen[i]!);
        rejected = idx.map((i) => d.rejected[i]!);
      }
      pg.tidy(() => {
        const all = sequenceLogProbs(cfg, policy, [...prompt, ...prompt], [...chosen, ...rejected]);
        const refAll = pg.noGrad(() => sequenceLogProbs(cfg, ref, [...prompt, ...prompt], [...chosen, ...rejected]));
        const n = prompt.length;
        const loss = lossFn(all.slice(0, 0, n), all.slice(0, n, 2 * n), refAll.slice(0, 0, n), refAll.slice(0, n, 2 * n), spec.beta);
        loss.backward();
        opt.step();
        opt.zeroGrad();
      });
      onStep?.(s);
      await breathe();
    }
    await evaluate(spec.steps);
    return curve;
  } finally {
    opt.dispose();
    policy.dispose();
  }
}

/** The offline dataset of the GPT tier: behaviour-policy pairs for the same prompt, labelled once. */
export function offlinePairsGpt(cfg: GptTierConfig, annotator: Annotator<number, Answer>, n: number, g: pg.Generator): { prompt: number[]; chosen: Answer[]; rejected: Answer[] } {
  const a = behaviourData(cfg, n, g);
  // b: a second behaviour answer to the same prompt.
  const u = uniformStream(g);
  const { minWords, vocab } = cfg.behaviour;
  const b = a.prompt.map(() => {
    const len = minWords + Math.floor(u() * (cfg.maxWords - minWords + 1));
    return Array.from({ length: len }, () => wordToken(cfg, vocab[Math.floor(u() * vocab.length)]!));
  });
  return { prompt: a.prompt, ...annotatePairs(annotator, a.prompt, a.answer, b) };
}
