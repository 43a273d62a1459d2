// Elementwise kernels: one generic strided kernel per (op, rank class, dtypes). The operands'
// strides (0 on broadcast dims, negative for flips) are collapsed on the CPU, so most calls run at
// rank 1 or 2; the op's WGSL expression from the op table is pasted into the loop body.
import type { View } from '../../backend.js';
import { broadcastStrides, collapseDims, contiguousStrides, sizeOf } from '../../shape.js';
import type { Ctx } from '../context.js';
import { grid1d, main1d, params, prelude, unravel, type Params, type PField, type WType } from '../wgsl.js';

const WG = 256;

export interface MapSpec {
  /** Cache-key name of the op. */
  name: string;
  /** WGSL expression of the variables in `vars`. */
  expr: string;
  /** Variable names bound to the inputs, in order ('x'; 'a','b'; 'c','a','b'). */
  vars: readonly string[];
  /** Storage types of the inputs and the output. */
  types: readonly WType[];
  out: WType;
  /** The compute type, exposed to the expression as `T` (for literals such as `T(0)`). */
  t: WType;
}

function layout(rank: number, k: number): Params {
  return params(`map:${rank}:${k}`, () => {
    const fields: PField[] = [['n', 'u'], ['sh', 'u', rank]];
    for (let j = 0; j < k; j++) fields.push([`off${j}_`, 'i'], [`st${j}_`, 'i', rank]);
    return fields;
  });
}

/** Runs `spec` over inputs broadcast to out.shape; out is fresh and contiguous. */
export function map(ctx: Ctx, spec: MapSpec, inputs: View[], out: View): void {
  const n = sizeOf(out.shape);
  const strides = inputs.map((v) => broadcastStrides(v.shape, v.strides, out.shape));
  const c = collapseDims(out.shape, [contiguousStrides(out.shape), ...strides]);
  const rank = c.shape.length;
  const k = inputs.length;
  const p = layout(rank, k);
  const vals: Record<string, number | readonly number[]> = { n, sh: c.shape };
  inputs.forEach((v, j) => {
    vals[`off${j}_`] = v.offset;
    vals[`st${j}_`] = c.strides[j + 1];
  });
  const key = `map:${spec.name}:${rank}:${spec.types.join(',')}>${spec.out}`;
  ctx.launch(key, () => mapWGSL(spec, rank, p), p, vals, [ctx.buffer(out), ...inputs.map((v) => ctx.buffer(v))], grid1d(n, WG));
}

function mapWGSL(spec: MapSpec, rank: number, params: Params): string {
  const binds = spec.vars.map((_, j) => `@group(1) @binding(${j + 2}) var<storage, read> pg_in${j}: array<${spec.types[j]}>;`).join('\n');
  const ops = spec.vars.map((_, j) => ({ o: `pg_o${j}`, base: `off${j}_`, strides: `st${j}_` }));
  const loads = spec.vars.map((v, j) => `  let ${v} = pg_in${j}[u32(pg_o${j})];`).join('\n');
  return `${params.binding()}
@group(1) @binding(1) var<storage, read_write> pg_out: array<${spec.out}>;
${binds}
alias T = ${spec.t};
${prelude(spec.expr, spec.t)}
${main1d(WG)}${params.decls()}  if (gi >= n) { return; }
${unravel('gi', rank, 'sh', ops)}${loads}
  pg_out[gi] = ${spec.out}(${spec.expr});
}
`;
}

/** A strided copy of `x` into a fresh contiguous `out` of the same dtype, moving raw bits. */
export function copy(ctx: Ctx, x: View, out: View): void {
  map(ctx, { name: 'copy', expr: 'x', vars: ['x'], types: ['u32'], out: 'u32', t: 'u32' }, [x], out);
}

/** Spec of an op-table unary entry for input/output dtypes. */
export function unarySpec(name: string, expr: string, xt: WType, out: WType): MapSpec {
  return { name, expr, vars: ['x'], types: [xt], out, t: xt };
}

export function binarySpec(name: string, expr: string, t: WType, out: WType): MapSpec {
  return { name, expr, vars: ['a', 'b'], types: [t, t], out, t };
}

/** where(c, a, b) selects bits, so it is exact for every dtype. */
export function whereSpec(expr: string): MapSpec {
  return { name: 'where', expr, vars: ['c', 'a', 'b'], types: ['u32', 'u32', 'u32'], out: 'u32', t: 'u32' };
}

