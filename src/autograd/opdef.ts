// The shape of an op-table entry. Each primitive op is declared once (ops/*.ts): its name, its
// gradient rule, optionally an equivalent composite of other primitives, and how the tests
// exercise it (input domains, the tolerance every backend must meet). Kernels are not here: each
// backend folder has a kernel map keyed by these names (ops/table.ts types it). Composite ops
// (softmax, layerNorm, crossEntropy, ...) are plain functions of primitives and have no entry.
import type { Tensor } from './tensor.js';
import type { GradRule } from './engine.js';

export type { GradCtx, GradRule } from './engine.js';

export interface OpDef<A = any> {
  readonly name: string;
  /**
   * The family: how backends drive the kernel (a unary/binary/ternary map over broadcast strided
   * operands, a row reduction, or a kernel of its own); the tests add special values to maps.
   */
  readonly kind: 'unary' | 'binary' | 'ternary' | 'reduce' | 'kernel';
  readonly grad?: GradRule<A>;
  /**
   * The same op as a composite of other primitives, for backends that map the op to 'composite'
   * instead of giving a kernel (a backend stub, a backend missing a kernel). It must agree with
   * the op within `check.tol` (tested: test/autograd/optable.test.ts).
   */
  readonly composite?: (inputs: Tensor[], attrs: A) => Tensor;
  /** How the tests exercise the op. Required: an op without examples does not compile. */
  readonly check: OpCheck;
}

/**
 * How closely a backend in 'fast' precision mode must match the CPU backend (backends in
 * 'reference' mode must give the same bits):
 * - 'exact': the same bits (NaN matches NaN);
 * - {ulp}: within that many float32 ulps of the CPU value (anything within `tiny` counts as equal);
 * - {rel}: |x - cpu| <= rel * max|cpu| over the output (sums in another order).
 */
export type Tol = 'exact' | { ulp: number; tiny?: number } | { rel: number };

export interface OpCheck {
  /** One or more calls that run the op; each is gradient-checked (float64) and run on every backend. */
  readonly examples: readonly Example[];
  /** The tolerance of the op on 'fast' backends; default 'exact'. */
  readonly tol?: Tol;
  /** Unary/binary maps are also run on special values (0, -0, ±inf, NaN, ...) unless this is false. */
  readonly special?: boolean;
}

export interface Example {
  /** What the example varies (shown in test names). */
  readonly note?: string;
  /** Inputs drawn from these domains (float ones as float64 for gradchecks, float32 elsewhere). */
  readonly inputs: readonly Domain[];
  /** Runs the op through its public function. */
  readonly call: (...xs: Tensor[]) => Tensor | Tensor[];
  /** false: not gradient-checked (e.g. a kink inside the domain, an integer output). */
  readonly grad?: boolean;
}

/** Where an example's input comes from. Float draws are seeded (the tests' generator). */
export type Domain =
  | { readonly kind: 'normal'; readonly shape: readonly number[]; readonly scale: number; readonly away: number }
  | { readonly kind: 'uniform'; readonly shape: readonly number[]; readonly lo: number; readonly hi: number }
  | { readonly kind: 'int'; readonly shape: readonly number[]; readonly lo: number; readonly hi: number }
  | { readonly kind: 'bool'; readonly shape: readonly number[] }
  | { readonly kind: 'values'; readonly values: readonly number[]; readonly dtype: 'float' | 'int32' | 'bool'; readonly shape?: readonly number[] };

/** Normal draws times `scale`; with `away` > 0, pushed at least that far from 0 (kinks of abs, relu). */
export const normal = (shape: readonly number[], scale = 1, away = 0): Domain => ({ kind: 'normal', shape, scale, away });
/** Uniform draws in [lo, hi). */
export const uniform = (shape: readonly number[], lo: number, hi: number): Domain => ({ kind: 'uniform', shape, lo, hi });
/** int32 draws in [lo, hi). */
export const ints = (shape: readonly number[], lo: number, hi: number): Domain => ({ kind: 'int', shape, lo, hi });
/** Random bools. */
export const bools = (shape: readonly number[]): Domain => ({ kind: 'bool', shape });
/** Fixed values (float, int32 or bool). */
export const values = (vs: readonly number[], dtype: 'float' | 'int32' | 'bool' = 'float', shape?: readonly number[]): Domain =>
  ({ kind: 'values', values: vs, dtype, shape });
