// The op table's public functions, gathered; importing this also installs the Tensor methods.
import { backward, grad, valueAndGrad, noGrad, customOp } from '../engine.js';
import './methods.js';

export type { TensorMethods } from './methods.js';
export * from './elementwise.js';
export * from './reduce.js';
export * from './shape.js';
export * from './matmul.js';
export * from './indexing.js';
export * from './creation.js';
export * from './nn.js';
export { backward, grad, valueAndGrad, noGrad, customOp };
