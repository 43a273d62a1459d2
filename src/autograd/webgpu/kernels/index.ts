// The WebGPU kernels of the op table's 'kernel' entries, by entry name. ('where' is an
// elementwise map of its WGSL expression; unary, binary and reduce entries use their WGSL.)
import type { View } from '../../backend.js';
import type { Ctx } from '../context.js';
import { matmul } from './matmul.js';
import { cat, place } from './shape.js';
import { argsort, gather, scatterAdd } from './indexing.js';
import { cumsum } from './scan.js';
import { fold, unfold } from './conv.js';

export type Kernel = (ctx: Ctx, inputs: View[], out: View, attrs: any) => void;

export const KERNELS: Record<string, Kernel> = { matmul, place, cat, gather, scatterAdd, argsort, cumsum, unfold, fold };
