// papergrad's public API: re-exports only.
export * from './autograd/index.js';
export * as nn from './nn/index.js';
export * as optim from './nn/optim-index.js';
export * as data from './nn/data/index.js';
export * as stats from './nn/stats.js';
export * as safetensors from './nn/safetensors.js';
export * as figures from './experiment/svg.js';
export * as rl from './nn/rl/index.js';
export {
  save, load, saveBytes, loadBytes, toBlob, fromBlob, saveTrainingState, loadTrainingState,
} from './nn/checkpoint.js';
