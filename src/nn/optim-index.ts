// pg.optim: optimizers and learning-rate schedules (also available under pg.nn).
export * from './optim.js';
export * from './schedule.js';
export * from './lbfgs.js';
