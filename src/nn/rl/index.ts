/**
 * pg.rl — a reinforcement-learning kit (browser-safe). Environments step in plain typed arrays;
 * only the networks use tensors. Layout of every rollout array: time-major, row t * N + i.
 *
 * Environments (env.ts)
 *   VecEnv            numEnvs × numAgents copies; obs Float32Array [numEnvs·numAgents·obsSize];
 *                     step(actions Int32Array) fills rewards, terminated, truncated; ended episodes
 *                     auto-reset (obs = new episode's first obs) with finalObs, episodeReturn/Length kept
 *   VecEnvBase        the base class of vectorised environments: allocates those output arrays
 *   Env, SyncVecEnv   one environment (reset(rng), step(actions, rewards, at, rng) → RUNNING |
 *                     TERMINATED | TRUNCATED, observe(out, at)); SyncVecEnv(envs, {seed, maxSteps})
 *   Rng               seeded Philox word stream for JS code: uint32, float, int(n), bernoulli, choice, permutation
 *   TwoArmedBandit, GridRoom   small test environments (envs.ts)
 * Returns (returns.ts)
 *   gae({numSteps, numEnvs, rewards, values, terminated, truncated, truncValues, lastValues, gamma, lambda})
 *   nStepReturns({..., n?})   n-step (default: to the rollout's end) bootstrapped returns; normalize(x)
 * Storage (storage.ts)
 *   RolloutBuffer(numSteps, numEnvs, obsSize): recordPolicy, recordOutcome, computeGae, computeNStep
 *   minibatches(n, numMinibatches, generator) → Int32Array[];  gatherRows(src, rowSize, idx, out?)
 * Policy and losses (policy.ts)
 *   Categorical(logits).logProb(actions) / .entropy() / .probs()   (tensors, differentiable)
 *   sampleActions(logits typed array, rows, numActions, {generator, greedy}) → {actions, logProbs}
 *   ppoLoss({logProb, oldLogProb, advantages, values, returns, oldValues, entropy, clipCoef,
 *            clipValueLoss, valueCoef, entropyCoef}) → {loss, policyLoss, valueLoss, entropy, approxKl, clipFraction}
 *   a2cLoss({logProb, values, returns, advantages?, entropy, valueCoef, entropyCoef})
 * Networks and learner (ppo.ts)
 *   layerInit(linear, {gain, bias}) (orthogonal); clipping: pg.nn.clipGradNorm (clipGradNormTensor: the same)
 *   ActorCritic(obsSize, numActions, {hidden, activation, shared, generator}): forward → {logits, value}, features
 *   PPO(env, net, config): collect() → episodes, computeAdvantages(), update() → stats, iterate()
 */
export * from './rng.js';
export * from './env.js';
export * from './envs.js';
export * from './returns.js';
export * from './storage.js';
export * from './policy.js';
export * from './ppo.js';
