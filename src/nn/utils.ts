// Training utilities: EMA of weights, gradient clipping, flat parameter vectors, and the VAE
// helpers (reparameterisation trick and the Gaussian KL).
import * as pg from '../autograd/index.js';
import { scoped, type Tensor, type Generator } from '../autograd/index.js';
import { Module } from './module.js';

function isFloat(t: Tensor): boolean {
  return t.dtype === 'float32' || t.dtype === 'float64';
}

/**
 * Exponential moving average of weights: target = decay * target + (1 - decay) * source for
 * every parameter and floating-point buffer (paired by name; other buffers are copied). Runs
 * under noGrad and writes through assign_, so nothing is recorded and no gradient can reach
 * the target. decay 0 copies the source exactly; decay 1 leaves the target unchanged.
 */
function emaUpdate(target: Module, source: Module, decay: number): void {
  if (!(decay >= 0 && decay <= 1)) throw new Error(`ema.update: decay must be in [0, 1], got ${decay}`);
  const src = new Map([...source.namedParameters(), ...source.namedBuffers({ persistentOnly: true })]);
  const dst = [...target.namedParameters(), ...target.namedBuffers({ persistentOnly: true })];
  const missing = dst.filter(([k]) => !src.has(k)).map(([k]) => k);
  if (missing.length || src.size !== dst.length)
    throw new Error(`ema.update: target and source differ in structure${missing.length ? ` (missing in source: ${missing.join(', ')})` : ''}`);
  pg.tidy(() =>
    pg.noGrad(() => {
      for (const [k, t] of dst) {
        const s = src.get(k)!;
        if (s.shape.join() !== t.shape.join() || s.dtype !== t.dtype)
          throw new Error(`ema.update: ${k}: target [${t.shape.join(', ')}] ${t.dtype} vs source [${s.shape.join(', ')}] ${s.dtype}`);
        if (decay === 1 && isFloat(t)) continue;
        if (decay === 0 || !isFloat(t)) t.assign_(s.clone());
        else t.assign_(t.mul(decay).add(s.mul(1 - decay)));
      }
    }),
  );
}

export const ema = { update: emaUpdate };

/** The p-norm of all of t's elements as a 0-d tensor (p = Infinity: the largest |t|). */
function vectorNorm(t: Tensor, p: number): Tensor {
  if (p === Infinity) return t.abs().max();
  if (p === 2) return t.square().sum().sqrt();
  if (p === 1) return t.abs().sum();
  return t.abs().pow(p).sum().pow(1 / p);
}

/**
 * Rescales the gradients of params so that their global norm is at most maxNorm, as PyTorch's
 * clip_grad_norm_: total = the normType-norm of the per-gradient norms, and every gradient is
 * multiplied by min(1, maxNorm / (total + 1e-6)). Everything is computed on the gradients' device
 * with no readback, so it runs inside WebGPU training steps. Returns total (a 0-d tensor on that
 * device, the norm before clipping; read it with item() / itemSync() if you need the number).
 * normType 2 (default), any p > 0, or Infinity. Parameters without a gradient are skipped.
 */
export function clipGradNorm(params: Iterable<Tensor>, maxNorm: number, opts: { normType?: number } = {}): Tensor {
  const normType = opts.normType ?? 2;
  if (typeof maxNorm !== 'number' || !(maxNorm >= 0)) throw new Error(`clipGradNorm: maxNorm must be a number >= 0, got ${maxNorm}`);
  if (typeof normType !== 'number' || !(normType > 0)) throw new Error(`clipGradNorm: normType must be > 0 or Infinity, got ${normType}`);
  const ps = [...params].filter((p) => p.grad !== null);
  if (!ps.length) return pg.zeros([]);
  const device = ps[0].grad!.device;
  const other = ps.find((p) => p.grad!.device !== device);
  if (other) throw new Error(`clipGradNorm: gradients on ${device} and ${other.grad!.device}; move them to one device first`);
  const dtype = ps.some((p) => p.grad!.dtype === 'float64') ? 'float64' : 'float32';
  return pg.tidy(() =>
    pg.noGrad(() => {
      const total = vectorNorm(pg.stack(ps.map((p) => vectorNorm(p.grad!, normType).cast(dtype))), normType);
      const coef = pg.div(maxNorm, total.add(1e-6)).minimum(1);
      for (const p of ps) replaceGrad(p, p.grad!.mul(coef.cast(p.grad!.dtype)));
      return total;
    }),
  );
}

/** Sets p.grad to g (kept out of tidy scopes) and frees the old gradient. */
function replaceGrad(p: Tensor, g: Tensor): void {
  const old = p.grad;
  p.grad = g;
  old?.dispose();
}

/** Clamps every gradient elementwise to [-clipValue, clipValue]. */
export function clipGradValue(params: Iterable<Tensor>, clipValue: number): void {
  pg.tidy(() =>
    pg.noGrad(() => {
      for (const p of params) if (p.grad) replaceGrad(p, p.grad.clamp(-clipValue, clipValue));
    }),
  );
}

/** All parameters flattened and concatenated into one 1-D tensor (differentiable). */
export const parametersToVector = scoped(function parametersToVector(params: Iterable<Tensor>): Tensor {
  const ps = [...params];
  if (!ps.length) throw new Error('parametersToVector: no parameters');
  return pg.cat(ps.map((p) => p.reshape([-1])), 0);
});

/** Writes consecutive slices of vec into params (in place, not recorded). */
export function vectorToParameters(vec: Tensor, params: Iterable<Tensor>): void {
  const ps = [...params];
  const n = ps.reduce((a, p) => a + p.size, 0);
  if (vec.rank !== 1 || vec.size !== n) throw new Error(`vectorToParameters: expected a vector of ${n} values, got [${vec.shape.join(', ')}]`);
  pg.tidy(() =>
    pg.noGrad(() => {
      let at = 0;
      for (const p of ps) {
        // clone(), not contiguous(): Tensor.assign_ mis-reads a contiguous view with a non-zero offset
        // (it adopts the whole storage at offset 0), so it must get a fresh copy.
        p.assign_(vec.slice(0, at, at + p.size).reshape(p.shape).cast(p.dtype).clone());
        at += p.size;
      }
    }),
  );
}

/** The reparameterisation trick: mu + exp(logvar / 2) * eps with eps ~ N(0, I) (differentiable in mu, logvar). */
export const reparameterize = scoped(function reparameterize(mu: Tensor, logvar: Tensor, opts: { generator?: Generator } = {}): Tensor {
  const eps = pg.randn(mu.shape, { generator: opts.generator, dtype: mu.dtype, device: mu.device });
  return mu.add(logvar.mul(0.5).exp().mul(eps));
});

/**
 * KL(N(mu, diag(exp(logvar))) || N(0, I)) summed over the last dim:
 *   -0.5 * sum(1 + logvar - mu² - exp(logvar)).
 */
export const gaussianKL = scoped(function gaussianKL(mu: Tensor, logvar: Tensor): Tensor {
  return logvar.add(1).sub(mu.square()).sub(logvar.exp()).sum(-1).mul(-0.5);
});
