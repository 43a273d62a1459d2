// Adam's update in place (Backend.adamStep): one pass over p, g, m and v in the wasm heap, the same
// float ops in the same order as the optimizer's op path, so the same bits (cpu/adam.ts is the JS
// twin; test/nn/optim.test.ts compares both with the op path). float32: four lanes at a time, each
// op rounded to float32 by the lane op itself (sqrt included: correctly rounded); float64: two.
import { F32, F64, I32, V128, f32, f32x4, f64, f64x2, forRange, get, i32, set, v128, type Code, type ModuleBuilder } from './emit.js';

/** The float ops the update uses: lane ops or scalar ones. */
interface Ops {
  add(a: Code, b: Code): Code;
  sub(a: Code, b: Code): Code;
  mul(a: Code, b: Code): Code;
  div(a: Code, b: Code): Code;
  sqrt(a: Code): Code;
}

/**
 * step(p, g, m, v, n, c1, b2, c2, sb, eps, ns), byte addresses of n elements each:
 * m = m + (g - m) c1; v = v b2 + (g g) c2; p = p + (m / (sqrt(v) / sb + eps)) ns.
 */
export function buildAdam(mb: ModuleBuilder, f64e: boolean): void {
  const S = f64e ? f64 : f32, V = f64e ? f64x2 : f32x4, es = f64e ? 8 : 4, W = 16 / es;
  const T = f64e ? F64 : F32;
  const { f } = mb.func('step', [I32, I32, I32, I32, I32, T, T, T, T, T, T]);
  const [P, G, M, VV, N] = [0, 1, 2, 3, 4];
  const scalars = [5, 6, 7, 8, 9, 10];
  const [i, k] = f.locals(I32, 2);
  const splats = f.locals(V128, 6);
  const [gv, mv, vv] = f.locals(V128, 3);
  const [gs, ms, vs] = f.locals(T, 3);
  const [C1, B2, C2, SB, E, NS] = splats;
  /** The update of one group of lanes (vector ops, or scalar ones with the scalar parameters). */
  const update = (ops: Ops, c: number[], g: number, mm: number, vvv: number, ld: (base: number) => Code, st: (base: number, x: Code) => Code): Code[] => {
    const [c1, b2, c2, sb, e, ns] = c;
    return [
      set(g, ld(G)), set(mm, ld(M)), set(vvv, ld(VV)),
      set(mm, ops.add(get(mm), ops.mul(ops.sub(get(g), get(mm)), get(c1)))),
      set(vvv, ops.add(ops.mul(get(vvv), get(b2)), ops.mul(ops.mul(get(g), get(g)), get(c2)))),
      st(M, get(mm)), st(VV, get(vvv)),
      st(P, ops.add(ld(P), ops.mul(ops.div(get(mm), ops.add(ops.div(ops.sqrt(get(vvv)), get(sb)), get(e))), get(ns)))),
    ];
  };
  const at = (base: number) => i32.add(get(base), get(k));
  f.emit(
    ...splats.map((l, j) => set(l, V.splat(get(scalars[j])))),
    set(k, i32.const(0)),
    forRange(i, i32.const(0), i32.sub(get(N), i32.const(W - 1)), W,
      ...update(V, [C1, B2, C2, SB, E, NS], gv, mv, vv, (b) => v128.load(at(b)), (b, x) => v128.store(at(b), x)),
      set(k, i32.add(get(k), i32.const(16)))),
    // the last n % W elements, one at a time (i continues where the groups stopped)
    forRange(i, get(i), get(N), 1,
      ...update(S, scalars, gs, ms, vs, (b) => S.load(at(b)), (b, x) => S.store(at(b), x)),
      set(k, i32.add(get(k), i32.const(es)))),
  );
}
