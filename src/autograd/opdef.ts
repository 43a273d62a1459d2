// The shape of an op-table entry. Each primitive op is declared once, with its CPU kernel,
// its WGSL kernel and its gradient rule side by side (see ops/*.ts). Composite ops
// (softmax, layerNorm, crossEntropy, ...) are plain functions of primitives and have no entry.
import type { Tensor } from './tensor.js';
import type { View } from './backend.js';
import type { TypedArray } from './dtype.js';

/** What a gradient rule sees: the op's inputs, its output and its attributes (saved values). */
export interface GradCtx<A = any> {
  inputs: Tensor[];
  out: Tensor;
  attrs: A;
}

/**
 * A gradient rule returns one cotangent per input (null where an input gets none).
 * Rules are written with Tensor ops, so they are themselves differentiable (higher-order grads).
 */
export type GradRule<A = any> = (dy: Tensor, ctx: GradCtx<A>) => (Tensor | null)[];

/** Elementwise unary: the CPU body is a whole strided row loop (no per-element callbacks). */
export type UnaryLoop = (x: TypedArray, xi: number, xs: number, y: TypedArray, yi: number, n: number) => void;
/** Elementwise binary row loop: a[ai + k*as] (op) b[bi + k*bs] -> y[yi + k]. */
export type BinaryLoop = (
  a: TypedArray, ai: number, as: number, b: TypedArray, bi: number, bs: number, y: TypedArray, yi: number, n: number,
) => void;
/** Reduction over a contiguous row x[off .. off+n). */
export type ReduceRow = (x: TypedArray, off: number, n: number) => number;

interface Base<A> {
  name: string;
  grad?: GradRule<A>;
}

export interface UnaryDef<A = any> extends Base<A> {
  kind: 'unary';
  cpu: UnaryLoop;
  /** WGSL expression of `x` (its element, already converted to the compute type). */
  wgsl: string;
}

export interface BinaryDef<A = any> extends Base<A> {
  kind: 'binary';
  cpu: BinaryLoop;
  /** WGSL expression of `a` and `b`. */
  wgsl: string;
}

export interface ReduceDef<A = any> extends Base<A> {
  kind: 'reduce';
  cpu: ReduceRow;
  /** WGSL: the initial accumulator, and how to combine it with an element `v` (and its index `i`). */
  wgsl: { init: string; step: string; index?: boolean };
}

/** Any other kernel: the CPU function does everything, given views and attributes. */
export interface KernelDef<A = any> extends Base<A> {
  kind: 'kernel';
  cpu: (inputs: View[], out: View, attrs: A) => void;
  /** WGSL source or a builder of it; filled in by the WebGPU backend's kernel table where absent. */
  wgsl?: string;
}

export type OpDef<A = any> = UnaryDef<A> | BinaryDef<A> | ReduceDef<A> | KernelDef<A>;
