// Parameter initialisers (torch.nn.init). Each one replaces a tensor's values in place (through
// assign_, so the tensor object, its requiresGrad flag and any optimizer reference stay the same),
// runs without recording autograd, and returns the tensor. Random ones take {generator}.
import * as pg from '../autograd/index.js';
import type { Tensor, Generator } from '../autograd/index.js';
import { op, tensor, number, finite, nonNegative, generator, opt, oneOf, options } from '../autograd/args.js';

export interface InitOpts {
  generator?: Generator;
}

export type Nonlinearity =
  | 'linear' | 'identity' | 'conv1d' | 'conv2d' | 'conv3d' | 'sigmoid' | 'tanh' | 'relu' | 'leaky_relu' | 'selu';

/** The recommended gain for a nonlinearity (torch.nn.init.calculate_gain). */
export function calculateGain(nonlinearity: Nonlinearity, param?: number): number {
  switch (nonlinearity) {
    case 'linear': case 'identity': case 'conv1d': case 'conv2d': case 'conv3d': case 'sigmoid':
      return 1;
    case 'tanh':
      return 5 / 3;
    case 'relu':
      return Math.SQRT2;
    case 'leaky_relu': {
      const slope = param ?? 0.01;
      return Math.sqrt(2 / (1 + slope * slope));
    }
    case 'selu':
      return 3 / 4;
  }
  throw new Error(`calculateGain: unknown nonlinearity '${nonlinearity as string}'`);
}

/**
 * fanIn and fanOut of a weight, PyTorch's convention: dim 0 is the output, dim 1 the input and
 * the rest the receptive field (Linear [out, in]; Conv2d [out, in/groups, kh, kw]).
 */
export function calculateFanInAndFanOut(t: Tensor): { fanIn: number; fanOut: number } {
  if (t.rank < 2) throw new Error(`init: fan in and fan out need a tensor with at least 2 dims, got shape [${t.shape.join(', ')}]`);
  let receptive = 1;
  for (let i = 2; i < t.rank; i++) receptive *= t.shape[i];
  return { fanIn: t.shape[1] * receptive, fanOut: t.shape[0] * receptive };
}

function fill(t: Tensor, make: () => Tensor): Tensor {
  return pg.tidy(() => pg.noGrad(() => t.assign_(make())));
}

export const uniform_ = op('init.uniform_', { t: tensor, low: opt(finite), high: opt(finite), opts: options({ generator: opt(generator) }) }, function uniform_(t: Tensor, low = 0, high = 1, opts: InitOpts = {}): Tensor {
  return fill(t, () => pg.rand(t.shape, { low, high, dtype: t.dtype, device: t.device, generator: opts.generator }));
});

export const normal_ = op('init.normal_', { t: tensor, mean: opt(finite), std: opt(nonNegative), opts: options({ generator: opt(generator) }) }, function normal_(t: Tensor, mean = 0, std = 1, opts: InitOpts = {}): Tensor {
  return fill(t, () => pg.randn(t.shape, { mean, std, dtype: t.dtype, device: t.device, generator: opts.generator }));
});

export const constant_ = op('init.constant_', { t: tensor, value: number }, function constant_(t: Tensor, value: number): Tensor {
  return fill(t, () => pg.full(t.shape, value, { dtype: t.dtype, device: t.device }));
});

export const zeros_ = op('init.zeros_', { t: tensor }, (t: Tensor): Tensor => constant_(t, 0));
export const ones_ = op('init.ones_', { t: tensor }, (t: Tensor): Tensor => constant_(t, 1));

/** Ones on the diagonal of a 2-D tensor, zeros elsewhere. */
export const eye_ = op('init.eye_', { t: tensor }, function eye_(t: Tensor): Tensor {
  if (t.rank !== 2) throw new Error(`eye_: expected a 2-D tensor, got shape [${t.shape.join(', ')}]`);
  return fill(t, () => pg.eye(t.shape[0], t.shape[1], { dtype: t.dtype, device: t.device }));
});

const NONLINEARITIES = ['linear', 'identity', 'conv1d', 'conv2d', 'conv3d', 'sigmoid', 'tanh', 'relu', 'leaky_relu', 'selu'] as const;
const KAIMING = { generator: opt(generator), a: opt(finite), mode: opt(oneOf('fanIn', 'fanOut')), nonlinearity: opt(oneOf(...NONLINEARITIES)) };
const XAVIER = { generator: opt(generator), gain: opt(finite) };

export interface KaimingOpts extends InitOpts {
  /** Negative slope of the leaky ReLU that follows (used when nonlinearity is 'leaky_relu'). */
  a?: number;
  mode?: 'fanIn' | 'fanOut';
  nonlinearity?: Nonlinearity;
}

function kaimingStd(t: Tensor, opts: KaimingOpts): number {
  const { fanIn, fanOut } = calculateFanInAndFanOut(t);
  const fan = (opts.mode ?? 'fanIn') === 'fanIn' ? fanIn : fanOut;
  const gain = calculateGain(opts.nonlinearity ?? 'leaky_relu', opts.a ?? 0);
  return gain / Math.sqrt(fan);
}

/** He uniform: U(-b, b) with b = gain * sqrt(3 / fan). */
export const kaimingUniform_ = op('init.kaimingUniform_', { t: tensor, opts: options(KAIMING) }, function kaimingUniform_(t: Tensor, opts: KaimingOpts = {}): Tensor {
  const bound = Math.sqrt(3) * kaimingStd(t, opts);
  return uniform_(t, -bound, bound, { generator: opts.generator });
});

/** He normal: N(0, std²) with std = gain / sqrt(fan). */
export const kaimingNormal_ = op('init.kaimingNormal_', { t: tensor, opts: options(KAIMING) }, function kaimingNormal_(t: Tensor, opts: KaimingOpts = {}): Tensor {
  return normal_(t, 0, kaimingStd(t, opts), { generator: opts.generator });
});

export interface XavierOpts extends InitOpts {
  gain?: number;
}

/** Glorot uniform: U(-b, b) with b = gain * sqrt(6 / (fanIn + fanOut)). */
export const xavierUniform_ = op('init.xavierUniform_', { t: tensor, opts: options(XAVIER) }, function xavierUniform_(t: Tensor, opts: XavierOpts = {}): Tensor {
  const { fanIn, fanOut } = calculateFanInAndFanOut(t);
  const bound = (opts.gain ?? 1) * Math.sqrt(6 / (fanIn + fanOut));
  return uniform_(t, -bound, bound, { generator: opts.generator });
});

/** Glorot normal: N(0, std²) with std = gain * sqrt(2 / (fanIn + fanOut)). */
export const xavierNormal_ = op('init.xavierNormal_', { t: tensor, opts: options(XAVIER) }, function xavierNormal_(t: Tensor, opts: XavierOpts = {}): Tensor {
  const { fanIn, fanOut } = calculateFanInAndFanOut(t);
  return normal_(t, 0, (opts.gain ?? 1) * Math.sqrt(2 / (fanIn + fanOut)), { generator: opts.generator });
});

/**
 * A (semi-)orthogonal matrix (Saxe et al. 2013), as torch.nn.init.orthogonal_: the tensor is viewed
 * as [shape[0], rest]; a Gaussian matrix is orthonormalised by QR (modified Gram–Schmidt in float64
 * on the CPU) with the signs of R's diagonal folded into Q so the result is Haar-distributed.
 * Rows are orthonormal when rows <= cols, columns otherwise; the result is scaled by gain.
 */
export const orthogonal_ = op('init.orthogonal_', { t: tensor, opts: options(XAVIER) }, function orthogonal_(t: Tensor, opts: XavierOpts = {}): Tensor {
  if (t.rank < 2) throw new Error(`orthogonal_: expected a tensor with at least 2 dims, got shape [${t.shape.join(', ')}]`);
  const rows = t.shape[0];
  const cols = t.size / rows;
  const flat = pg.tidy(() => pg.randn([rows, cols], { dtype: 'float64', device: 'cpu', generator: opts.generator }).dataSync()) as Float64Array;
  // Work on the tall orientation: m >= n, orthonormalise the n columns of an m x n matrix.
  const tall = rows >= cols;
  const m = tall ? rows : cols, n = tall ? cols : rows;
  const a = new Float64Array(m * n); // column-major: column j at a[j*m .. j*m+m)
  for (let i = 0; i < rows; i++)
    for (let j = 0; j < cols; j++) {
      const v = flat[i * cols + j];
      if (tall) a[j * m + i] = v;
      else a[i * m + j] = v;
    }
  for (let j = 0; j < n; j++) {
    const cj = j * m;
    for (let k = 0; k < j; k++) {
      const ck = k * m;
      let dot = 0;
      for (let i = 0; i < m; i++) dot += a[ck + i] * a[cj + i];
      for (let i = 0; i < m; i++) a[cj + i] -= dot * a[ck + i];
    }
    let norm = 0;
    for (let i = 0; i < m; i++) norm += a[cj + i] * a[cj + i];
    norm = Math.sqrt(norm);
    // R[j][j] = norm > 0, so the sign correction of torch's QR (Q *= sign(diag R)) is the identity here.
    if (norm === 0) throw new Error('orthogonal_: degenerate random draw');
    for (let i = 0; i < m; i++) a[cj + i] /= norm;
  }
  const gain = opts.gain ?? 1;
  const out = new Float64Array(rows * cols);
  for (let i = 0; i < rows; i++)
    for (let j = 0; j < cols; j++) out[i * cols + j] = gain * (tall ? a[j * m + i] : a[i * m + j]);
  return fill(t, () => pg.tensor(out, { dtype: 'float64', shape: t.shape, device: 'cpu' }).to(t.dtype).to(t.device));
});

/** N(mean, std²) truncated to [a, b] by rejection (redraws until every element falls inside). */
export const truncNormal_ = op('init.truncNormal_', { t: tensor, opts: options({ generator: opt(generator), mean: opt(finite), std: opt(nonNegative), a: opt(finite), b: opt(finite) }) }, function truncNormal_(t: Tensor, opts: InitOpts & { mean?: number; std?: number; a?: number; b?: number } = {}): Tensor {
  const mean = opts.mean ?? 0, std = opts.std ?? 1, lo = opts.a ?? -2, hi = opts.b ?? 2;
  if (!(lo < hi)) throw new Error(`truncNormal_: need a < b, got ${lo}, ${hi}`);
  const out = new Float64Array(t.size);
  let filled = 0;
  for (let round = 0; filled < t.size; round++) {
    if (round > 1000) throw new Error('truncNormal_: [a, b] has too little probability mass');
    const need = t.size - filled;
    const draw = pg.tidy(() => pg.randn([Math.max(need * 2, 16)], { dtype: 'float64', device: 'cpu', mean, std, generator: opts.generator }).dataSync());
    for (let i = 0; i < draw.length && filled < t.size; i++) if (draw[i] >= lo && draw[i] <= hi) out[filled++] = draw[i];
  }
  return fill(t, () => pg.tensor(out, { dtype: 'float64', shape: t.shape, device: 'cpu' }).to(t.dtype).to(t.device));
});
