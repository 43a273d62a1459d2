/**
 * Level sampling and environment design for zero-shot RL: Garcin, Doran, Guo, Lucas, Albrecht,
 * "How the level sampling process impacts zero-shot generalisation in deep reinforcement learning"
 * (SSED, arXiv 2310.03494) and "DRED: zero-shot transfer in reinforcement learning via
 * data-regularised environment design" (ICML 2024, arXiv 2402.03479). See README.md.
 *
 * The method as small functions, each in its file:
 *   tinycave.ts    the TinyCave gridworld family (levels as data, a vectorised environment)
 *   generators.ts  G*, domain randomisation, random edits, level features and the moss statistic
 *   samplers.ts    uniform and PLR sampling (scores, rank prioritisation, staleness)
 *   sources.ts     where episodes get levels: fixed set + sampler, a stream (DR), DRED's buffer
 *   vae.ts         the level VAE, decoding with masks, slerp interpolation
 *   agent.ts       PPO training on a level source, evaluation, the MI probe and the gap bound
 *   shift.ts       real-vs-generated logistic-regression AUC
 * The shared RL pieces (PPO, GAE, vectorised environments) are pg.rl (src/nn/rl).
 */
export * from './tinycave.js';
export * from './generators.js';
export * from './samplers.js';
export * from './sources.js';
export * from './vae.js';
export * from './agent.js';
export * from './shift.js';
