/**
 * Classification accuracy, the one metric every classifier experiment repeats.
 *
 * Generic helper (not specific to one paper): papers/common.
 */
import * as pg from '../../autograd/index.js';
import type { Tensor } from '../../autograd/index.js';

/**
 * Fraction of rows whose argmax logit is the label: `logits()` returns [n, K] logits (built and
 * freed inside one tidy, without gradients), `labels` is int32 [n] on the same device.
 */
export async function argmaxAccuracy(logits: () => Tensor, labels: Tensor): Promise<number> {
  const a = pg.tidy(() => pg.noGrad(() => logits().argmax(1).eq(labels).float().mean()));
  const v = await a.item();
  a.dispose();
  return Number(v);
}
