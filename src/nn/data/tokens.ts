// Toy token languages with exact likelihoods, for language-model experiments where the optimal
// loss is known: a random Markov chain of any order (exact entropy rate) and a probabilistic
// Dyck grammar of balanced brackets (exact sentence probabilities).
import * as pg from '../../autograd/index.js';
import { DrawStream, genOf, sampleIndex, uniforms, type Generator } from './draw.js';

type Tensor = pg.Tensor;

function rows(seqs: Tensor | ArrayLike<number>[] | ArrayLike<number>): ArrayLike<number>[] {
  if (seqs instanceof pg.Tensor) {
    if (seqs.rank === 1) return [seqs.dataSync()];
    if (seqs.rank !== 2) throw new Error(`expected a 1-D or 2-D token tensor, got [${seqs.shape}]`);
    const d = seqs.dataSync();
    const [n, L] = seqs.shape;
    return Array.from({ length: n }, (_, i) => d.subarray(i * L, (i + 1) * L));
  }
  if (seqs.length > 0 && typeof (seqs as ArrayLike<unknown>)[0] !== 'number') return seqs as ArrayLike<number>[];
  return [seqs as ArrayLike<number>];
}

// ------------------------------------------------------------------------------------ Markov

export interface MarkovLanguageOptions {
  /** Vocabulary size V >= 2. */
  vocab: number;
  /** Context length k >= 0 (k = 0: i.i.d. tokens). V^k * V must stay below 2^24. */
  order: number;
  /** Dirichlet concentration of each next-token distribution (default 1; small = peaky = low entropy). */
  concentration?: number;
  generator?: Generator;
}

/**
 * A stationary order-k Markov chain over V tokens. Each of the V^k contexts gets a next-token
 * distribution drawn from Dirichlet(concentration, ..., concentration). The context is the last k
 * tokens, coded c = sum_j x_{t-k+j} V^(k-1-j) (oldest token most significant).
 */
export class MarkovLanguage {
  readonly vocab: number;
  readonly order: number;
  readonly numContexts: number;
  /** Row-major [numContexts, vocab]: P(next = v | context c). */
  readonly transition: Float64Array;
  /** Stationary distribution over contexts (of the chain on k-token windows). */
  readonly stationary: Float64Array;
  /** Exact entropy rate H = sum_c pi(c) H(P(. | c)), in nats per token. */
  readonly entropyRate: number;
  /** L1 change of the last stationary-distribution iteration (a convergence check). */
  readonly stationaryResidual: number;
  private readonly prefixSums: Float64Array;
  private readonly generator: Generator;

  constructor(opts: MarkovLanguageOptions) {
    const V = opts.vocab, k = opts.order;
    const alpha = opts.concentration ?? 1;
    if (!Number.isInteger(V) || V < 2) throw new Error(`markovLanguage: vocab must be an integer >= 2, got ${V}`);
    if (!Number.isInteger(k) || k < 0) throw new Error(`markovLanguage: order must be a non-negative integer, got ${k}`);
    if (!(alpha > 0) || alpha === Infinity) throw new Error(`markovLanguage: concentration must be a positive number, got ${alpha}`);
    const C = Math.pow(V, k);
    if (C * V > 1 << 24) throw new Error(`markovLanguage: vocab^order * vocab = ${C * V} is too large (limit 2^24)`);
    this.vocab = V;
    this.order = k;
    this.numContexts = C;
    this.generator = genOf(opts.generator);
    const stream = new DrawStream(this.generator);
    const P = new Float64Array(C * V);
    for (let c = 0; c < C; c++) stream.dirichlet(V, alpha, P, c * V);
    this.transition = P;

    // Stationary distribution of the chain on contexts, by power iteration on the lazy chain
    // (pi <- (pi + pi P) / 2: same fixed point, and aperiodic even if P is nearly periodic).
    let pi = new Float64Array(C).fill(1 / C);
    let next = new Float64Array(C);
    let residual = 0;
    if (k > 0) {
      for (let it = 0; it < 100000; it++) {
        next.fill(0);
        for (let c = 0; c < C; c++) {
          const w = pi[c];
          if (w === 0) continue;
          const base = (c * V) % C;
          for (let v = 0; v < V; v++) next[base + v] += w * P[c * V + v];
        }
        residual = 0;
        let s = 0;
        for (let c = 0; c < C; c++) {
          next[c] = 0.5 * (next[c] + pi[c]);
          s += next[c];
        }
        for (let c = 0; c < C; c++) {
          next[c] /= s;
          residual += Math.abs(next[c] - pi[c]);
        }
        [pi, next] = [next, pi];
        if (residual < 1e-14) break;
      }
    }
    this.stationary = pi;
    this.stationaryResidual = residual;
    let H = 0;
    for (let c = 0; c < C; c++) {
      let h = 0;
      for (let v = 0; v < V; v++) {
        const q = P[c * V + v];
        if (q > 0) h -= q * Math.log(q);
      }
      H += pi[c] * h;
    }
    this.entropyRate = H;
    this.prefixSums = new Float64Array(C + 1);
    for (let c = 0; c < C; c++) this.prefixSums[c + 1] = this.prefixSums[c] + pi[c];
  }

  /** The entropy rate in bits per token. */
  get entropyRateBits(): number {
    return this.entropyRate / Math.LN2;
  }

  /**
   * n sequences of len tokens from the stationary chain: int32 [n, len]. The first k tokens are a
   * context drawn from the stationary distribution, so every position has the same marginal law.
   */
  sample(n: number, len: number, opts: { generator?: Generator } = {}): Tensor {
    if (!Number.isInteger(n) || n < 0 || !Number.isInteger(len) || len < 0) throw new Error(`MarkovLanguage.sample: need non-negative integers n, len; got ${n}, ${len}`);
    const V = this.vocab, k = this.order, C = this.numContexts;
    const u = uniforms(n * (len + 1), opts.generator ?? this.generator);
    const out = new Int32Array(n * len);
    for (let i = 0; i < n; i++) {
      const ui = i * (len + 1);
      let c = sampleIndex(this.stationary, 0, C, u[ui]);
      // Spell out the context's tokens, oldest first.
      for (let j = 0; j < Math.min(k, len); j++) out[i * len + j] = Math.floor(c / Math.pow(V, k - 1 - j)) % V;
      for (let t = k; t < len; t++) {
        const v = sampleIndex(this.transition, c * V, V, u[ui + 1 + t]);
        out[i * len + t] = v;
        c = (c * V + v) % C;
      }
    }
    return pg.tensor(out, { shape: [n, len] });
  }

  /**
   * log P(x_t | x_<t) for every position of each sequence: [n, len] float64 values (as number
   * arrays). For t < k the conditional comes from the stationary law of the first tokens; their
   * sum over t is the exact log-likelihood of the sequence.
   */
  tokenLogProbs(seqs: Tensor | ArrayLike<number>[] | ArrayLike<number>): Float64Array[] {
    const V = this.vocab, k = this.order, C = this.numContexts;
    return rows(seqs).map((s) => {
      const L = s.length;
      const out = new Float64Array(L);
      // Prefix of j tokens = a block of V^(k-j) consecutive contexts: mass from the prefix sums.
      let lo = 0;
      let prevMass = 1;
      for (let t = 0; t < Math.min(k, L); t++) {
        const v = s[t];
        if (!(v >= 0 && v < V && Number.isInteger(v))) throw new Error(`MarkovLanguage: token ${v} is outside [0, ${V})`);
        const block = Math.pow(V, k - 1 - t);
        lo += v * block;
        const mass = this.prefixSums[lo + block] - this.prefixSums[lo];
        out[t] = Math.log(mass) - Math.log(prevMass);
        prevMass = mass;
      }
      let c = lo;
      for (let t = k; t < L; t++) {
        const v = s[t];
        if (!(v >= 0 && v < V && Number.isInteger(v))) throw new Error(`MarkovLanguage: token ${v} is outside [0, ${V})`);
        out[t] = Math.log(this.transition[c * V + v]);
        c = (c * V + v) % C;
      }
      return out;
    });
  }

  /** Exact log-likelihood (nats) of one sequence under the stationary chain. */
  logProb(seq: Tensor | ArrayLike<number>): number {
    const [lp] = this.tokenLogProbs(seq instanceof pg.Tensor ? seq.reshape(1, -1) : [seq]);
    let s = 0;
    for (const v of lp) s += v;
    return s;
  }

  /**
   * Average negative log-likelihood per token of the positions t >= order (the conditional part,
   * whose expectation is the entropy rate): the loss an optimal model would get on these tokens.
   */
  conditionalNll(seqs: Tensor | ArrayLike<number>[]): number {
    let s = 0, count = 0;
    for (const lp of this.tokenLogProbs(seqs)) for (let t = this.order; t < lp.length; t++) (s -= lp[t]), count++;
    return count ? s / count : NaN;
  }
}

export function markovLanguage(opts: MarkovLanguageOptions): MarkovLanguage {
  return new MarkovLanguage(opts);
}

// -------------------------------------------------------------------------------------- Dyck

export interface DyckLanguageOptions {
  /** Bracket types k >= 1 (default 1). */
  types?: number;
  /** Probability of the rule S -> open S close S (else S -> empty); must be < 1/2. Default 0.4. */
  p?: number;
  /** Longest sentence in tokens, EOS included (default 32): longer derivations are excluded. */
  maxLen?: number;
  generator?: Generator;
}

/**
 * A probabilistic context-free grammar of balanced brackets with k types:
 *
 *   S -> open_i S close_i S   with probability p / k for each type i
 *   S -> (empty)              with probability 1 - p
 *
 * then EOS. The grammar is unambiguous, and a sentence with m bracket pairs uses the first rule m
 * times and the empty rule m + 1 times, so P(w) = (p/k)^m (1 - p)^(m+1). There are Catalan(m) * k^m
 * such sentences, so P(m pairs) = Catalan(m) p^m (1 - p)^(m+1); restricting to length 2m + 1 <=
 * maxLen divides by Z = sum over allowed m of that. Sampling is exact (no rejection): m from the
 * truncated law, then a uniformly random Dyck word of m pairs (sequentially, by ballot numbers), then
 * uniform types. Tokens: open_i = 2i, close_i = 2i + 1, EOS = 2k, PAD = 2k + 1 (vocab 2k + 2).
 */
export class DyckLanguage {
  readonly types: number;
  readonly p: number;
  readonly maxLen: number;
  readonly vocab: number;
  readonly eos: number;
  readonly pad: number;
  /** The most bracket pairs a sentence may have. */
  readonly maxPairs: number;
  /** P(m pairs), m = 0..maxPairs, under the length restriction. */
  readonly pairsDistribution: Float64Array;
  /** log Z, the log-probability mass of the allowed lengths under the unrestricted grammar. */
  readonly logZ: number;
  /** Exact entropy of a sentence (nats), EOS included. */
  readonly entropy: number;
  /** Expected sentence length in tokens (EOS included). */
  readonly expectedLength: number;
  private readonly generator: Generator;

  constructor(opts: DyckLanguageOptions = {}) {
    const k = opts.types ?? 1;
    const p = opts.p ?? 0.4;
    const maxLen = opts.maxLen ?? 32;
    if (!Number.isInteger(k) || k < 1) throw new Error(`dyckLanguage: types must be a positive integer, got ${k}`);
    if (!(p > 0 && p < 0.5)) throw new Error(`dyckLanguage: p must be in (0, 0.5), got ${p}`);
    if (!Number.isInteger(maxLen) || maxLen < 1) throw new Error(`dyckLanguage: maxLen must be a positive integer, got ${maxLen}`);
    this.types = k;
    this.p = p;
    this.maxLen = maxLen;
    this.vocab = 2 * k + 2;
    this.eos = 2 * k;
    this.pad = 2 * k + 1;
    this.generator = genOf(opts.generator);
    const M = Math.floor((maxLen - 1) / 2);
    this.maxPairs = M;
    // log P(m) = log Catalan(m) + m log p + (m + 1) log(1 - p); Catalan(m+1) = Catalan(m) 2(2m+1)/(m+2).
    const logw = new Float64Array(M + 1);
    let logCat = 0;
    for (let m = 0; m <= M; m++) {
      logw[m] = logCat + m * Math.log(p) + (m + 1) * Math.log(1 - p);
      logCat += Math.log((2 * (2 * m + 1)) / (m + 2));
    }
    const mx = Math.max(...logw);
    let s = 0;
    for (let m = 0; m <= M; m++) s += Math.exp(logw[m] - mx);
    this.logZ = mx + Math.log(s);
    const dist = new Float64Array(M + 1);
    let H = 0, EL = 0;
    for (let m = 0; m <= M; m++) {
      dist[m] = Math.exp(logw[m] - this.logZ);
      H -= dist[m] * this.logProbOfPairs(m);
      EL += dist[m] * (2 * m + 1);
    }
    this.pairsDistribution = dist;
    this.entropy = H;
    this.expectedLength = EL;
  }

  /** log P(w) of any one sentence with m pairs (under the length restriction). */
  private logProbOfPairs(m: number): number {
    return m * Math.log(this.p / this.types) + (m + 1) * Math.log(1 - this.p) - this.logZ;
  }

  /** n sentences: tokens int32 [n, maxLen] padded with PAD after EOS, and their lengths (EOS included). */
  sample(n: number, opts: { generator?: Generator } = {}): { tokens: Tensor; lengths: Int32Array } {
    if (!Number.isInteger(n) || n < 0) throw new Error(`DyckLanguage.sample: n must be a non-negative integer, got ${n}`);
    const M = this.maxPairs, L = this.maxLen, k = this.types;
    const per = 1 + 3 * M;
    const u = uniforms(n * per, opts.generator ?? this.generator);
    const out = new Int32Array(n * L).fill(this.pad);
    const lengths = new Int32Array(n);
    const stack: number[] = [];
    for (let i = 0; i < n; i++) {
      const ui = i * per;
      const m = sampleIndex(this.pairsDistribution, 0, M + 1, u[ui]);
      let a = m, h = 0, pos = 0, typeDraw = 0;
      stack.length = 0;
      for (let step = 0; step < 2 * m; step++) {
        // P(open | a opens left, depth h) = N(a-1, h+1) / N(a, h) = a (h + 2) / ((h + 1)(2a + h)).
        const pOpen = a === 0 ? 0 : (a * (h + 2)) / ((h + 1) * (2 * a + h));
        if (u[ui + 1 + step] < pOpen) {
          const t = Math.min(k - 1, Math.floor(u[ui + 1 + 2 * M + typeDraw++] * k));
          stack.push(t);
          out[i * L + pos++] = 2 * t;
          a--;
          h++;
        } else {
          out[i * L + pos++] = 2 * stack.pop()! + 1;
          h--;
        }
      }
      out[i * L + pos++] = this.eos;
      lengths[i] = pos;
    }
    return { tokens: pg.tensor(out, { shape: [n, L] }), lengths };
  }

  /** Number of bracket pairs if seq (up to EOS; PAD after it ignored) is a sentence, else -1. */
  pairsOf(seq: ArrayLike<number>): number {
    const stack: number[] = [];
    let m = 0;
    for (let i = 0; i < seq.length; i++) {
      const v = seq[i];
      if (v === this.eos) {
        if (stack.length !== 0 || 2 * m + 1 > this.maxLen) return -1;
        for (let j = i + 1; j < seq.length; j++) if (seq[j] !== this.pad) return -1;
        return m;
      }
      if (!Number.isInteger(v) || v < 0 || v >= this.eos) return -1;
      if (v % 2 === 0) {
        stack.push(v >> 1);
        m++;
      } else if (stack.pop() !== v >> 1) return -1;
    }
    return -1; // no EOS
  }

  isValid(seq: ArrayLike<number>): boolean {
    return this.pairsOf(seq) >= 0;
  }

  /** Exact log-probability (nats) of a sentence (EOS included, PAD after it ignored); -Infinity if invalid. */
  logProb(seq: Tensor | ArrayLike<number>): number {
    const s = seq instanceof pg.Tensor ? seq.dataSync() : seq;
    const m = this.pairsOf(s);
    return m < 0 ? -Infinity : this.logProbOfPairs(m);
  }
}

export function dyckLanguage(opts: DyckLanguageOptions = {}): DyckLanguage {
  return new DyckLanguage(opts);
}
