/**
 * lpNTK (Guo, Ren, Albrecht, Smith, ICLR 2024, arXiv 2401.08808): the method as small functions.
 *
 * One SGD step of size η on a labelled sample (x_u, y_u) with cross-entropy moves the weights by
 * Δw = η·∇_w z(x_u)ᵀ (e_{y_u} − p(x_u)), so to first order the prediction on any x_o changes by
 *
 *     Δp(x_o) ≈ η · A(x_o) · 𝒦(x_o, x_u) · (e_{y_u} − p(x_u)),
 *     A(x) = diag(p(x)) − p(x) p(x)ᵀ        (the softmax Jacobian),
 *     𝒦(x, x′) = ∇_w z(x) ∇_w z(x′)ᵀ        (the K×K eNTK block).
 *
 * The sign pattern of e_y − p(x) is always s(y) = 2·onehot(y) − 1 (+ on the label, − elsewhere),
 * and e_{y_o}ᵀA(x_o) = p_{y_o}(x_o)·(e_{y_o} − p(x_o))ᵀ has the same pattern s(y_o). Replacing
 * both by their signs gives the labelled pseudo NTK, a scalar interaction between labelled samples:
 *
 *     κ((x, y), (x′, y′)) = s(y)ᵀ 𝒦(x, x′) s(y′) = ⟨s(y)ᵀ∇_w z(x), s(y′)ᵀ∇_w z(x′)⟩,
 *
 * a Gram matrix (symmetric PSD). κ > 0: learning one sample raises the other's label probability
 * (interchangeable), κ < 0: lowers it (contradictory), κ ≈ 0: unrelated. The label-blind pseudo NTK
 * (pNTK, Mohamadi et al., ICML 2023) uses the all-ones vector instead of s(y):
 *
 *     pNTK(x, x′) = (1/K) · 1ᵀ 𝒦(x, x′) 1 = (1/K) ⟨∇_w Σ_k z_k(x), ∇_w Σ_k z_k(x′)⟩.
 *
 * All kernel and Jacobian functions work in float64 on the CPU: they take CPU tensors (copy device
 * tensors with `await pg.toDevice(t, 'cpu')` first) and cast them to float64.
 */
import * as pg from '../../autograd/index.js';
import type { Tensor } from '../../autograd/index.js';

export const CONFIG = {
  /** MLP widths: input dim, two hidden layers of 64, K logits. */
  widths: [10, 64, 64, 3],
  /** Weight multiplier σ_w of the hidden layers (He gain) and of the output layer. */
  sigmaHidden: Math.SQRT2,
  sigmaOut: 1,
  /** Bias multiplier β of the NTK parameterisation (Jacot et al. 2018 use 0.1). */
  beta: 0.1,
  /** Step size of the single SGD step in the first-order check (and of the exact interactions). */
  eta: 0.1,
  /** Rows per chunk of the batched Jacobian (per-sample parameter copies of this many rows). */
  jacobianChunk: 128,
};

/** A functional model: parameters first, inputs [n, d] → logits [n, K]. */
export type Forward = (params: Tensor[], x: Tensor) => Tensor;

// ---------------------------------------------------------------- the model

/**
 * An MLP in the NTK parameterisation (Jacot et al. 2018) as raw tensors [W1, b1, W2, b2, ...],
 * W_l of shape [in, out], every entry N(0, 1) (weights and biases). See mlpForward. They do not
 * require grad: every function here differentiates with pg.grad, which makes its own leaves.
 */
export function initMLP(widths: readonly number[], g: pg.Generator, opts: { dtype?: 'float32' | 'float64'; device?: pg.Device } = {}): Tensor[] {
  const params: Tensor[] = [];
  const o = { generator: g, dtype: opts.dtype ?? 'float32', device: opts.device };
  for (let l = 0; l + 1 < widths.length; l++)
    params.push(pg.randn([widths[l]!, widths[l + 1]!], o), pg.randn([widths[l + 1]!], o));
  return params;
}

/**
 * The MLP's logits in the NTK parameterisation: h_l = φ(σ_l/√n_{l−1} · h_{l−1}W_l + β·b_l), with
 * φ = GELU between layers and none after the last (σ_l = CONFIG.sigmaHidden, the last CONFIG.sigmaOut).
 * The kernel is then O(‖x‖²/d) at any width, so a step of η = 0.1 is a small step. A weight of
 * rank 3 ([n, in, out], with bias [n, out]) is a per-sample copy: row i of x then uses W[i] (what
 * the batched Jacobian differentiates through).
 */
export const mlpForward: Forward = (params, x) => {
  let h = x;
  const L = params.length / 2;
  for (let l = 0; l < L; l++) {
    const W = params[2 * l]!;
    const b = params[2 * l + 1]!;
    const fanIn = W.shape[W.rank - 2]!;
    const scale = (l < L - 1 ? CONFIG.sigmaHidden : CONFIG.sigmaOut) / Math.sqrt(fanIn);
    const hw = W.rank === 3 ? h.unsqueeze(1).matmul(W).squeeze(1) : h.matmul(W);
    h = hw.mul(scale).add(b.mul(CONFIG.beta));
    if (l < L - 1) h = h.gelu({ approximate: 'tanh' });
  }
  return h;
};

/** Total number of scalar parameters P (the Jacobian's width). */
export function numParams(params: readonly Tensor[]): number {
  return params.reduce((a, p) => a + p.size, 0);
}

/** Detached float64 copies of CPU tensors (for the exact tiers); device tensors need pg.toDevice first. */
export function toFloat64Cpu(ts: readonly Tensor[]): Tensor[] {
  return ts.map((t) => pg.tidy(() => t.detach().to('cpu').to('float64').contiguous()));
}

// ---------------------------------------------------------------- Jacobians and the eNTK

/**
 * Per-sample logit Jacobians ∇_w z(x): [n, K, P] float64, row (i, k) the gradient of logit k at
 * x_i with respect to every parameter, flattened in the order of `params` (each row-major).
 * Reference implementation: K vector-Jacobian products per sample, each one pg.grad of the scalar
 * z_k(x_i) (n·K backward passes).
 */
export function logitJacobian(forward: Forward, params: readonly Tensor[], x: Tensor): Tensor {
  return jacobianInto(forward, params, x, ({ ps, xs, n, K, P, out, argnums }) => {
    for (let i = 0; i < n; i++) {
      const xi = xs.narrow(0, i, 1);
      for (let k = 0; k < K; k++) {
        pg.tidy(() => {
          const grads = pg.noGrad(() => pg.grad((...w: Tensor[]) => forward(w, xi).select(1, k).sum(), argnums)(...ps) as Tensor[]);
          let off = (i * K + k) * P;
          for (const gr of grads) {
            out.set(gr.dataSync() as Float64Array, off);
            off += gr.size;
          }
        });
      }
      xi.dispose();
    }
  });
}

/** What both Jacobian builders share: float64 CPU copies of params and x, the sizes, the [n, K, P] output. */
interface JacobianJob { ps: Tensor[]; xs: Tensor; n: number; K: number; P: number; out: Float64Array; argnums: number[] }

/** Runs `fill` on a fresh JacobianJob, returns its output as a tensor, and frees the copies. */
function jacobianInto(forward: Forward, params: readonly Tensor[], x: Tensor, fill: (job: JacobianJob) => void): Tensor {
  const ps = toFloat64Cpu(params);
  const xs = toFloat64Cpu([x])[0]!;
  try {
    const n = xs.shape[0]!;
    const P = numParams(ps);
    const K = pg.tidy(() => pg.noGrad(() => forward(ps, xs.narrow(0, 0, 1)).shape[1]!));
    const out = new Float64Array(n * K * P);
    fill({ ps, xs, n, K, P, out, argnums: ps.map((_, i) => i) });
    return pg.tensor(out, { shape: [n, K, P], dtype: 'float64', device: 'cpu' });
  } finally {
    [...ps, xs].forEach((t) => t.dispose());
  }
}

/**
 * The same Jacobians, batched: each row of a chunk gets its own copy of the parameters (expanded
 * to [m, ...shape]), so the gradient of Σ_i z_k(x_i) with respect to the copies is the per-sample
 * gradient. K backward passes per chunk instead of K per sample. `forward` must accept per-sample
 * parameters (mlpForward does: rank-3 weights).
 */
export function logitJacobianBatched(forward: Forward, params: readonly Tensor[], x: Tensor, chunk = CONFIG.jacobianChunk): Tensor {
  return jacobianInto(forward, params, x, ({ ps, xs, n, K, P, out, argnums }) => {
    for (let start = 0; start < n; start += chunk) {
      const m = Math.min(chunk, n - start);
      pg.tidy(() => {
        const xc = xs.narrow(0, start, m);
        const copies = ps.map((p) => p.unsqueeze(0).expand([m, ...p.shape]).contiguous());
        for (let k = 0; k < K; k++) {
          pg.tidy(() => {
            const grads = pg.noGrad(() => pg.grad((...w: Tensor[]) => forward(w, xc).select(1, k).sum(), argnums)(...copies) as Tensor[]);
            let colOff = 0;
            for (const gr of grads) {
              const d = gr.dataSync() as Float64Array;
              const w = gr.size / m;
              for (let i = 0; i < m; i++) out.set(d.subarray(i * w, (i + 1) * w), ((start + i) * K + k) * P + colOff);
              colOff += w;
            }
          });
        }
      });
    }
  });
}

/**
 * The eNTK block 𝒦(x, x′) = ∇_w z(x) ∇_w z(x′)ᵀ. With Jacobians of single samples ([K, P]) it
 * returns the K×K block; with sets ([na, K, P] and [nb, K, P]) all blocks, [na, nb, K, K].
 */
export function entk(Ja: Tensor, Jb: Tensor): Tensor {
  if (Ja.rank === 2 && Jb.rank === 2) return Ja.matmul(Jb.T);
  if (Ja.rank !== 3 || Jb.rank !== 3) throw new Error(`entk: expected Jacobians [K, P] or [n, K, P], got [${Ja.shape}] and [${Jb.shape}]`);
  const [na, K, P] = Ja.shape as [number, number, number];
  const nb = Jb.shape[0]!;
  return pg.tidy(() => Ja.reshape([na * K, P]).matmul(Jb.reshape([nb * K, P]).T).reshape([na, K, nb, K]).permute([0, 2, 1, 3]).contiguous());
}

/** s(y) = 2·onehot(y) − 1: [n, K] float64 (+1 on the label, −1 elsewhere). */
export function signVector(y: Tensor, K: number): Tensor {
  return pg.tidy(() => pg.oneHot(y.to('cpu'), K, { dtype: 'float64' }).mul(2).sub(1));
}

/**
 * lpNTK Gram matrix over a labelled set: κ_ij = s(y_i)ᵀ 𝒦(x_i, x_j) s(y_j), computed as the Gram
 * matrix of the sign-projected gradients g_i = s(y_i)ᵀ∇_w z(x_i) (identical, K² times cheaper).
 * With a second set (Jb, yb) it returns the [na, nb] cross-kernel.
 */
export function lpntk(J: Tensor, y: Tensor, Jb?: Tensor, yb?: Tensor): Tensor {
  return pg.tidy(() => {
    const K = J.shape[1]!;
    const G = signVector(y, K).unsqueeze(1).matmul(J).squeeze(1);
    const H = Jb && yb ? signVector(yb, K).unsqueeze(1).matmul(Jb).squeeze(1) : G;
    return G.matmul(H.T);
  });
}

/**
 * The label-blind pseudo NTK (Mohamadi et al. 2023), as compared against in the paper:
 * pNTK(x, x′) = (1/K)·1ᵀ𝒦(x, x′)1, the Gram matrix of ∇_w Σ_k z_k(x) divided by K.
 */
export function pntk(J: Tensor, Jb?: Tensor): Tensor {
  return pg.tidy(() => {
    const K = J.shape[1]!;
    const G = J.sum(1);
    const H = Jb ? Jb.sum(1) : G;
    return G.matmul(H.T).div(K);
  });
}

// ---------------------------------------------------------------- first-order interaction

/** The softmax Jacobian A(x) = ∂p/∂z = diag(p) − p pᵀ, for p of shape [K] or [n, K]. */
export function softmaxJacobian(p: Tensor): Tensor {
  return pg.tidy(() => {
    const K = p.shape[p.rank - 1]!;
    const col = p.unsqueeze(-1);
    return col.mul(pg.eye(K, K, { dtype: p.dtype, device: p.device })).sub(col.matmul(p.unsqueeze(-2)));
  });
}

/**
 * The first-order prediction of how one SGD step of size η on (x_u, y_u) changes p on a set of
 * observed samples: Δp(x_o) ≈ η·A(x_o)·𝒦(x_o, x_u)·(e_{y_u} − p(x_u)). Jo [m, K, P] and po [m, K]
 * are the observed samples' Jacobians and predictions, Ju [K, P] and pu [K] the updated sample's.
 * Returns [m, K] (float64).
 */
export function firstOrderDeltaP(Jo: Tensor, po: Tensor, Ju: Tensor, pu: Tensor, yu: number, eta: number): Tensor {
  return pg.tidy(() => {
    const [m, K, P] = Jo.shape as [number, number, number];
    const r = pg.oneHot(pg.tensor([yu], { dtype: 'int32', device: 'cpu' }), K, { dtype: 'float64' }).squeeze(0).sub(pu); // e_yu − p(x_u)
    // 𝒦(x_o, x_u)·r = ∇z(x_o)·(∇z(x_u)ᵀ r): the same product as entk(Jo, Ju)·r, without forming the K×K blocks.
    const v = r.unsqueeze(0).matmul(Ju); // [1, P] = −∇_w ℓ(x_u, y_u)
    const dz = Jo.reshape([m * K, P]).matmul(v.T).reshape([m, K]); // [m, K]
    const A = softmaxJacobian(po); // [m, K, K]
    return A.matmul(dz.unsqueeze(-1)).squeeze(-1).mul(eta);
  });
}

/** Mean cross-entropy of logits [n, K] against int32 labels [n]. */
export function crossEntropy(logits: Tensor, y: Tensor): Tensor {
  return logits.logSoftmax(-1).gather(1, y.unsqueeze(1)).neg().mean();
}

/** The parameters after one real SGD step of size η on the cross-entropy of (xu, yu) (no graph). */
export function sgdStep(forward: Forward, params: readonly Tensor[], xu: Tensor, yu: Tensor, eta: number): Tensor[] {
  return pg.tidy(() => {
    // Under noGrad, pg.grad gives plain gradients even for parameters that require grad (otherwise it
    // would build and keep a differentiable graph, as for a nested grad).
    const grads = pg.noGrad(() => pg.grad((...w: Tensor[]) => crossEntropy(forward(w, xu), yu), params.map((_, i) => i))(...params) as Tensor[]);
    return pg.noGrad(() => params.map((p, i) => p.detach().sub(grads[i]!.mul(eta))));
  });
}

/**
 * The exact interaction: the change of p on xo [m, d] after one real SGD step of size η on the
 * single sample (xu [1, d], yu [1]). Returns [m, K] in the dtype of the parameters.
 */
export function sgdStepDeltaP(forward: Forward, params: readonly Tensor[], xu: Tensor, yu: Tensor, eta: number, xo: Tensor): Tensor {
  return pg.tidy(() => {
    const after = sgdStep(forward, params, xu, yu, eta);
    return pg.noGrad(() => forward(after, xo).softmax(-1).sub(forward([...params], xo).softmax(-1)));
  });
}

// ---------------------------------------------------------------- using the kernel

/** Row-major copy of a square kernel tensor as float64. */
export function kernelArray(k: Tensor): Float64Array {
  return Float64Array.from(k.dataSync());
}

/**
 * Normalised kernel distance: d_ij = ‖ĝ_i − ĝ_j‖ = √(2 − 2κ_ij/√(κ_ii κ_jj)), the distance between
 * the unit-normalised sign-projected gradients (a metric in [0, 2]; 0 for interchangeable samples,
 * 2 for exactly contradictory ones).
 */
export function kernelDistance(kappa: Float64Array, n: number): Float64Array {
  const d = new Float64Array(n * n);
  for (let i = 0; i < n; i++)
    for (let j = 0; j < n; j++) {
      const den = Math.sqrt(kappa[i * n + i] * kappa[j * n + j]);
      const c = den > 0 ? kappa[i * n + j] / den : i === j ? 1 : 0;
      d[i * n + j] = Math.sqrt(Math.max(0, 2 - 2 * c));
    }
  return d;
}

/**
 * Per-sample interaction score: the mean normalised lpNTK to every other sample,
 * score_i = (1/(n−1)) Σ_{j≠i} κ_ij/√(κ_ii κ_jj). Samples whose label contradicts their
 * neighbourhood (mislabelled ones) score lowest.
 */
export function interactionScores(kappa: Float64Array, n: number): Float64Array {
  const s = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let acc = 0;
    for (let j = 0; j < n; j++) {
      if (j === i) continue;
      const den = Math.sqrt(kappa[i * n + i] * kappa[j * n + j]);
      if (den > 0) acc += kappa[i * n + j] / den;
    }
    s[i] = acc / Math.max(1, n - 1);
  }
  return s;
}

export interface Clustering {
  /** The centres, in the order picked. */
  centres: number[];
  /** Index into `centres` of each sample's nearest centre. */
  assign: Int32Array;
  /** Covering radius after each centre was added (max distance of any sample to its nearest centre). */
  radii: number[];
}

/**
 * Farthest-point clustering (Gonzalez 1985, the greedy 2-approximation of k-centre): start from
 * `start`, repeatedly add the sample farthest from every centre so far; stop at `k` centres or once
 * every sample is within `radius` of a centre; assign each sample to its nearest centre.
 */
export function farthestPointClustering(dist: Float64Array, n: number, opts: { k?: number; radius?: number; start?: number }): Clustering {
  const kMax = Math.min(n, opts.k ?? n);
  const radius = opts.radius ?? -Infinity;
  const start = opts.start ?? 0;
  const near = new Float64Array(n).fill(Infinity);
  const assign = new Int32Array(n);
  const centres: number[] = [];
  const radii: number[] = [];
  let next = start;
  while (centres.length < kMax) {
    const c = next;
    const ci = centres.length;
    centres.push(c);
    let far = -1;
    let farD = -Infinity;
    for (let i = 0; i < n; i++) {
      const d = dist[c * n + i];
      if (d < near[i] || i === c) {
        near[i] = i === c ? 0 : d;
        assign[i] = ci;
      }
      if (near[i] > farD) {
        farD = near[i];
        far = i;
      }
    }
    radii.push(farD);
    if (farD <= radius) break;
    next = far;
  }
  return { centres, assign, radii };
}

/** Cluster members by cluster index (clusters as in `clustering.centres`). */
export function clusterMembers(c: Clustering): number[][] {
  const out: number[][] = c.centres.map(() => []);
  c.assign.forEach((a, i) => out[a]!.push(i));
  return out;
}

/**
 * The redundant samples of a clustering: every member of a multi-sample cluster except its centre
 * (they are interchangeable with the centre to within the covering radius, so learning the centre
 * already teaches them).
 */
export function redundantSamples(c: Clustering): number[] {
  const out: number[] = [];
  const centreSet = new Set(c.centres);
  clusterMembers(c).forEach((members) => {
    if (members.length > 1) for (const i of members) if (!centreSet.has(i)) out.push(i);
  });
  return out.sort((a, b) => a - b);
}
