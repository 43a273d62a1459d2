// The op table: every primitive op, by name. Backends give one kernel per entry (KernelMap), the
// tests enrol every entry (test/helpers/optable.ts), and nothing else lists the ops.
import type { Kernel } from '../backend.js';
import { COMPOSITE } from '../backend.js';
import type { OpDef } from '../opdef.js';
import { BINARY, UNARY, WHERE } from './elementwise.js';
import { CUMSUM, REDUCE } from './reduce.js';
import { CAT, PLACE } from './shape.js';
import { ARGSORT, GATHER, SCATTER_ADD } from './indexing.js';
import { MATMUL } from './matmul.js';
import { FOLD, UNFOLD } from './nn.js';
import { FILL } from './creation.js';

export const OPS = {
  ...UNARY, ...BINARY, where: WHERE, ...REDUCE, cumsum: CUMSUM,
  matmul: MATMUL, place: PLACE, cat: CAT, gather: GATHER, scatterAdd: SCATTER_ADD, argsort: ARGSORT,
  unfold: UNFOLD, fold: FOLD, fill: FILL,
} satisfies Record<string, OpDef>;

export type Ops = typeof OPS;
export type OpName = keyof Ops;
/** The attributes an op's kernel receives (any where the entry does not say, e.g. argmax's). */
export type AttrsOf<N extends OpName> = Ops[N] extends OpDef<infer A> ? (unknown extends A ? any : [A] extends [never] ? any : A) : never;
/** The names of the ops of one family ('unary', 'binary', 'reduce', ...). */
export type OpsOfKind<K extends OpDef['kind']> = { [N in OpName]: Ops[N]['kind'] extends K ? N : never }[OpName];
/** Ops that declare a composite, which a backend may map to 'composite' instead of a kernel. */
type WithComposite = { [N in OpName]: Ops[N] extends { composite: unknown } ? N : never }[OpName];

/**
 * A backend's complete kernel map: one kernel per op (or 'composite' where the op has one).
 * Backends declare theirs `satisfies KernelMap`, so a missing kernel is a compile-time error.
 */
export type KernelMap = {
  readonly [N in OpName]: Kernel<AttrsOf<N>> | (N extends WithComposite ? typeof COMPOSITE : never);
};

/** Every entry, for the tests and the docs. */
export const OP_LIST: readonly OpDef[] = Object.values(OPS);
