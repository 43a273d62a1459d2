// The core (tensors, ops, autodiff, CPU backend) as one module; src/nn and src/papers import this.
import { registerBackend } from './devices.js';
import { cpuBackend } from './cpu/backend.js';

registerBackend(cpuBackend);

export { Tensor } from './tensor.js';
export type { DType, TypedArray } from './dtype.js';
export type { Device, Backend, Storage, View, Kernel, KernelTable, Capabilities, PrecisionMode } from './backend.js';
export { COMPOSITE } from './backend.js';
export type { OpDef, Example, Domain, Tol } from './opdef.js';
export { OPS, OP_LIST } from './ops/table.js';
export type { KernelMap, OpName } from './ops/table.js';
export * from './ops/index.js';
export { noGrad, enableGrad, isGradEnabled, grad, valueAndGrad, customOp, zeroGrad } from './engine.js';
export { tidy, keep, memory } from './memory.js';
export { scoped } from './ops/core.js';
export { setDefaultDevice, getDefaultDevice, registerBackend, unregisterBackend, getBackend, devices } from './devices.js';
export { Generator, manualSeed, defaultGenerator } from './random.js';
export * as testing from './testing.js';
export { initWebGPU, flush, WebGPUError } from './webgpu/index.js';
export { initCpuThreads, stopCpuThreads, cpuThreads } from './cpu/threads.js';
export type { CpuThreadsOptions, CpuThreadsStatus } from './cpu/threads.js';
