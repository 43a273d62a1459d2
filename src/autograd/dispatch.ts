// Tensor methods call the op functions through this object, filled in by ops/index.ts.
// It breaks the import cycle tensor.ts <-> ops/*.ts without giving up the types.
import type * as Ops from './ops/index.js';

export const O = {} as typeof Ops;
