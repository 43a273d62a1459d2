// papergrad's public API: re-exports only.
export * from './autograd/index.js';
