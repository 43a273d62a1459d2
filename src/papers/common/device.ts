/**
 * Building data on the CPU whatever the default device is.
 *
 * The data generators of src/nn/data create tensors on the default device and some of them read
 * their input back synchronously (`injectLabelNoise`, `truePosterior` use dataSync), which the
 * WebGPU backend cannot do. `onCpu(fn)` runs fn with the CPU as the default device (restoring the
 * previous default afterwards, also when fn throws); move the results with `t.to(device)`, which
 * is synchronous from the CPU.
 *
 * Generic helper (not specific to one paper): papers/common.
 */
import * as pg from '../../autograd/index.js';

export function onCpu<T>(fn: () => T): T {
  const prev = pg.getDefaultDevice();
  pg.setDefaultDevice('cpu');
  try {
    return fn();
  } finally {
    pg.setDefaultDevice(prev);
  }
}
