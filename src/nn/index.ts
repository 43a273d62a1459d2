// pg.nn: modules, layers, attention, GPT, losses, initialisers, utilities, optimizers and schedules.
export * from './module.js';
export * from './layers.js';
export * from './attention.js';
export * from './gpt.js';
export * from './losses.js';
export * from './utils.js';
export * from './optim.js';
export * from './lbfgs.js';
export * from './schedule.js';
// A namespace: its normal_/uniform_ would clash with pg.normal_/pg.uniform_.
export * as init from './init.js';
export * from './torch.js';
export * from './window-attention.js';
