// papergrad's public API: re-exports only.
import { registerBackend } from './autograd/devices.js';
import { cpuBackend } from './autograd/cpu/backend.js';

registerBackend(cpuBackend);

export { Tensor } from './autograd/tensor.js';
export type { DType, TypedArray } from './autograd/dtype.js';
export type { Device, Backend, Storage, View } from './autograd/backend.js';
export type { OpDef } from './autograd/opdef.js';
export * from './autograd/ops/index.js';
export { noGrad, enableGrad, isGradEnabled, grad, valueAndGrad, customOp, zeroGrad } from './autograd/engine.js';
export { tidy, keep, memory } from './autograd/memory.js';
export { setDefaultDevice, getDefaultDevice, registerBackend } from './autograd/devices.js';
export { Generator, manualSeed, defaultGenerator } from './autograd/random.js';
export * as testing from './autograd/testing.js';
