/**
 * Advantage and return estimates over a rollout, on plain typed arrays in time-major layout:
 * element t * N + i is step t of environment (or agent row) i, for T steps and N rows.
 *
 * Episode ends inside the rollout come in two kinds (see env.ts):
 *  - terminated[t·N+i] = 1: s_{t+1} is terminal, so nothing is bootstrapped after step t;
 *  - truncated[t·N+i] = 1: the time limit cut the episode after step t; the state was not terminal, so
 *    step t bootstraps from truncValues[t·N+i] = V(final observation), and nothing flows back
 *    across the boundary from the next episode.
 * At the end of the rollout, lastValues[i] = V(s_T) (the observation after the last step).
 */

export interface ReturnsInput {
  /** Steps T and rows N. */
  numSteps: number;
  numEnvs: number;
  rewards: ArrayLike<number>;
  /** V(s_t) for every step (needed by GAE, and by nStepReturns when n < T). */
  values?: ArrayLike<number>;
  terminated: ArrayLike<number>;
  truncated?: ArrayLike<number>;
  /** V(final observation) where truncated (other entries are ignored). Required if any step is truncated. */
  truncValues?: ArrayLike<number>;
  /** [N]: V(s_T). */
  lastValues: ArrayLike<number>;
  gamma: number;
}

function checkInput(who: string, o: ReturnsInput, needValues: boolean): void {
  const TN = o.numSteps * o.numEnvs;
  const len = (name: string, a: ArrayLike<number> | undefined, n: number): void => {
    if (a !== undefined && a.length !== n) throw new Error(`${who}: ${name} has ${a.length} entries, expected ${n} (numSteps ${o.numSteps} x numEnvs ${o.numEnvs})`);
  };
  if (!(Number.isInteger(o.numSteps) && o.numSteps >= 1 && Number.isInteger(o.numEnvs) && o.numEnvs >= 1))
    throw new Error(`${who}: numSteps and numEnvs must be positive integers, got ${o.numSteps}, ${o.numEnvs}`);
  if (!(o.gamma >= 0 && o.gamma <= 1)) throw new Error(`${who}: gamma must be in [0, 1], got ${o.gamma}`);
  len('rewards', o.rewards, TN);
  len('terminated', o.terminated, TN);
  len('truncated', o.truncated, TN);
  len('truncValues', o.truncValues, TN);
  len('values', o.values, TN);
  if (o.lastValues.length !== o.numEnvs) throw new Error(`${who}: lastValues has ${o.lastValues.length} entries, expected numEnvs ${o.numEnvs}`);
  if (needValues && !o.values) throw new Error(`${who}: values are required`);
  if (o.truncated && !o.truncValues)
    for (let k = 0; k < TN; k++)
      if (o.truncated[k]) throw new Error(`${who}: step ${Math.floor(k / o.numEnvs)} of row ${k % o.numEnvs} is truncated but no truncValues were given`);
}

/**
 * Generalised advantage estimation (Schulman et al. 2016):
 *   δ_t = r_t + γ·next_t − V(s_t),  next_t = 0 (terminated), V(final obs) (truncated), V(s_{t+1}) otherwise;
 *   A_t = δ_t + γλ·(1 − ended_t)·A_{t+1},  returns_t = A_t + V(s_t).
 * Computed in float64; written to Float32Arrays (or the ones given in `out`).
 */
export function gae(o: ReturnsInput & { lambda: number }, out: { advantages?: Float32Array; returns?: Float32Array } = {}): { advantages: Float32Array; returns: Float32Array } {
  checkInput('gae', o, true);
  if (!(o.lambda >= 0 && o.lambda <= 1)) throw new Error(`gae: lambda must be in [0, 1], got ${o.lambda}`);
  const T = o.numSteps, N = o.numEnvs, TN = T * N;
  const adv = out.advantages ?? new Float32Array(TN);
  const ret = out.returns ?? new Float32Array(TN);
  if (adv.length !== TN || ret.length !== TN) throw new Error(`gae: output arrays need ${TN} entries`);
  const { rewards, terminated, truncated, truncValues, lastValues, gamma, lambda } = o;
  const values = o.values!;
  for (let i = 0; i < N; i++) {
    let next = 0; // A_{t+1}
    for (let t = T - 1; t >= 0; t--) {
      const k = t * N + i;
      const v = values[k]!;
      let boot: number, carry: number;
      if (terminated[k]) (boot = 0), (carry = 0);
      else if (truncated?.[k]) (boot = truncValues![k]!), (carry = 0);
      else (boot = t === T - 1 ? lastValues[i]! : values[k + N]!), (carry = 1);
      const delta = rewards[k]! + gamma * boot - v;
      next = delta + gamma * lambda * carry * next;
      adv[k] = next;
      ret[k] = next + v;
    }
  }
  return { advantages: adv, returns: ret };
}

/**
 * n-step bootstrapped returns (A2C): R_t = Σ_{j<k} γ^j r_{t+j} + γ^k·B, where the sum stops after n
 * steps, at the end of the episode or at the end of the rollout, whichever comes first, and B is 0
 * after a terminal step, V(final obs) after a truncated one, and V(s_{t+k}) otherwise
 * (lastValues at the rollout's end). Without n, every step looks ahead to the end of the rollout
 * (the usual A2C target, R_t = r_t + γ·R_{t+1}); with n given, `values` are needed.
 */
export function nStepReturns(o: ReturnsInput & { n?: number }, out?: Float32Array): Float32Array {
  const T = o.numSteps, N = o.numEnvs;
  const n = o.n ?? T;
  if (!(Number.isInteger(n) && n >= 1)) throw new Error(`nStepReturns: n must be a positive integer, got ${o.n}`);
  checkInput('nStepReturns', o, n < T);
  const ret = out ?? new Float32Array(T * N);
  if (ret.length !== T * N) throw new Error(`nStepReturns: output needs ${T * N} entries`);
  const { rewards, terminated, truncated, truncValues, lastValues, values, gamma } = o;
  for (let i = 0; i < N; i++)
    for (let t = 0; t < T; t++) {
      let acc = 0, disc = 1, boot = 0;
      for (let j = 0; ; j++) {
        const s = t + j, k = s * N + i;
        acc += disc * rewards[k]!;
        disc *= gamma;
        if (terminated[k]) { boot = 0; break; }
        if (truncated?.[k]) { boot = truncValues![k]!; break; }
        if (s === T - 1) { boot = lastValues[i]!; break; }
        if (j + 1 === n) { boot = values![k + N]!; break; }
      }
      ret[t * N + i] = acc + disc * boot;
    }
  return ret;
}

/** (x − mean) / (std + eps) over all entries (unbiased std, as PyTorch's advantage normalisation). */
export function normalize(x: Float32Array, eps = 1e-8): Float32Array {
  const n = x.length;
  if (n < 2) return x;
  let m = 0;
  for (let k = 0; k < n; k++) m += x[k]!;
  m /= n;
  let v = 0;
  for (let k = 0; k < n; k++) v += (x[k]! - m) * (x[k]! - m);
  const s = Math.sqrt(v / (n - 1)) + eps;
  for (let k = 0; k < n; k++) x[k] = (x[k]! - m) / s;
  return x;
}
