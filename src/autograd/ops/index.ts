// The op table's public functions, gathered; ops/index.ts also fills the dispatch object that
// Tensor methods call through.
import { O } from '../dispatch.js';
import { backward, grad, valueAndGrad, noGrad, customOp, checkInPlace } from '../engine.js';

export * from './elementwise.js';
export * from './reduce.js';
export * from './shape.js';
export * from './matmul.js';
export * from './indexing.js';
export * from './creation.js';
export * from './nn.js';
export { backward, grad, valueAndGrad, noGrad, customOp };

import * as elementwise from './elementwise.js';
import * as reduce from './reduce.js';
import * as shape from './shape.js';
import * as mm from './matmul.js';
import * as indexing from './indexing.js';
import * as creation from './creation.js';
import * as nn from './nn.js';

Object.assign(O, elementwise, reduce, shape, mm, indexing, creation, nn, { backward, grad, valueAndGrad, noGrad, customOp, checkInPlace });
