// Reductions in WebAssembly SIMD: sum, max and min of float32 or float64 rows, in the order of the
// JS kernels (cpu/reduce.ts), so the same bits.
//
// sum: four float64 accumulators, element i of a row into accumulator i % 4 (the last n % 4 into
// the first), combined as (s0 + s1) + (s2 + s3). Two layouts:
//  - rows: a row's elements are contiguous; the accumulators are two f64x2 (s0 s1 | s2 s3);
//  - columns: the kept dim is contiguous and the reduced one strided (a sum over dim 0, as a bias
//    gradient): two outputs per f64x2 lane pair, four accumulators each, the same per-output order.
// max / min: `m = v > m || v !== v ? v : m` from -inf (+inf): NaN wins, and among equal values the
// first stays. Columns keep that per lane. Rows run it on 4 interleaved lanes, then over the lanes
// in order; the result can differ from the sequential one only in the sign of a zero maximum (a -0
// and a 0 in one row), so a zero result is recomputed in order.
import type { DType } from '../dtype.js';
import {
  F64, I32, ModuleBuilder, V128, block, brIf, f32, f32x4, f64, f64x2, forRange, get, i32, ifElse, loop, set, seq, v128, type Code,
} from './emit.js';

export type ReduceOp = 'sum' | 'max' | 'min';

/** rows(x, rs, n, y, count): y[r] = reduce of the n contiguous elements at x + r*rs (bytes), r < count. */
function emitRows(m: ModuleBuilder, op: ReduceOp, e: DType): void {
  const { f } = m.func('rows', [I32, I32, I32, I32, I32]);
  const [x, rs, n, y, count] = [0, 1, 2, 3, 4];
  const [r, p, i, end] = f.locals(I32, 4);
  const f64e = e === 'float64', es = f64e ? 8 : 4;
  const ld = (a: Code): Code => (f64e ? f64.load(a) : f64.promote_f32(f32.load(a)));
  const st = (a: Code, v: Code): Code => (f64e ? f64.store(a, v) : f32.store(a, f32.demote_f64(v)));
  if (op === 'sum') {
    const [a01, a23] = f.locals(V128, 2);
    const [s0, s1, s2, s3] = f.locals(F64, 4);
    const v = f.local(V128);
    f.emit(forRange(r, i32.const(0), get(count), 1,
      set(p, i32.add(get(x), i32.mul(get(r), get(rs)))),
      set(a01, v128.zero()), set(a23, v128.zero()),
      set(end, i32.sub(get(n), i32.const(3))),
      forRange(i, i32.const(0), get(end), 4,
        ...(f64e
          ? [set(a01, f64x2.add(get(a01), v128.load(get(p)))), set(a23, f64x2.add(get(a23), v128.load(get(p), 16)))]
          : [set(v, v128.load(get(p))),
            set(a01, f64x2.add(get(a01), f64x2.promote_low_f32x4(get(v)))),
            set(a23, f64x2.add(get(a23), f64x2.promote_low_f32x4(v128.shuffle(get(v), get(v), [8, 9, 10, 11, 12, 13, 14, 15, 8, 9, 10, 11, 12, 13, 14, 15]))))]),
        set(p, i32.add(get(p), i32.const(4 * es))),
      ),
      set(s0, f64x2.extract_lane(get(a01), 0)), set(s1, f64x2.extract_lane(get(a01), 1)),
      set(s2, f64x2.extract_lane(get(a23), 0)), set(s3, f64x2.extract_lane(get(a23), 1)),
      // i continues from where the groups stopped (forRange left it at the first i >= end)
      block(loop(
        brIf(1, i32.ge_s(get(i), get(n))),
        set(s0, f64.add(get(s0), ld(get(p)))),
        set(p, i32.add(get(p), i32.const(es))),
        set(i, i32.add(get(i), i32.const(1))),
        [0x0c, 0],
      )),
      st(i32.add(get(y), i32.mul(get(r), i32.const(es))), f64.add(f64.add(get(s0), get(s1)), f64.add(get(s2), get(s3)))),
    ));
    return;
  }
  // max / min on 4 accumulators of 4 (float32) or 2 (float64) interleaved lanes (independent
  // chains: a compare-and-select has a latency), then over all lanes in order.
  const L = f64e ? 2 : 4;
  const init = op === 'max' ? -Infinity : Infinity;
  const V = f64e ? f64x2 : f32x4;
  const better = (v: Code, cur: Code): Code => (op === 'max' ? V.gt(v, cur) : V.lt(v, cur));
  const accs = f.locals(V128, 4);
  const v = f.local(V128);
  const s = f.local(F64), w = f.local(F64);
  const seqStep = (val: Code): Code => seq(set(w, val), // s = w > s || w !== w ? w : s
    ifElse(i32.or(op === 'max' ? f64.gt(get(w), get(s)) : f64.lt(get(w), get(s)), f64.ne(get(w), get(w))), [set(s, get(w))]));
  const step = (acc: number, off: number): Code => seq(
    set(v, v128.load(get(p), off)),
    set(acc, v128.bitselect(get(v), get(acc), v128.or(better(get(v), get(acc)), V.ne(get(v), get(v))))),
  );
  f.emit(forRange(r, i32.const(0), get(count), 1,
    set(p, i32.add(get(x), i32.mul(get(r), get(rs)))),
    ...accs.map((a) => set(a, V.const(init))),
    set(end, i32.sub(get(n), i32.const(4 * L - 1))),
    forRange(i, i32.const(0), get(end), 4 * L,
      ...accs.map((a, j) => step(a, 16 * j)),
      set(p, i32.add(get(p), i32.const(4 * L * es))),
    ),
    set(end, i32.sub(get(n), i32.const(L - 1))),
    block(loop(
      brIf(1, i32.ge_s(get(i), get(end))),
      step(accs[0], 0),
      set(p, i32.add(get(p), i32.const(L * es))),
      set(i, i32.add(get(i), i32.const(L))),
      [0x0c, 0],
    )),
    set(s, f64.const(init)),
    ...accs.flatMap((acc) => Array.from({ length: L }, (_, lane) => seqStep(f64e ? f64x2.extract_lane(get(acc), lane) : f64.promote_f32(f32x4.extract_lane(get(acc), lane))))),
    block(loop(
      brIf(1, i32.ge_s(get(i), get(n))),
      seqStep(ld(get(p))),
      set(p, i32.add(get(p), i32.const(es))),
      set(i, i32.add(get(i), i32.const(1))),
      [0x0c, 0],
    )),
    // A zero result may have the other zero's sign than the sequential rule gives: redo in order.
    ifElse(f64.eq(get(s), f64.const(0)), [
      set(s, f64.const(init)),
      set(p, i32.add(get(x), i32.mul(get(r), get(rs)))),
      forRange(i, i32.const(0), get(n), 1, seqStep(ld(get(p))), set(p, i32.add(get(p), i32.const(es)))),
    ]),
    st(i32.add(get(y), i32.mul(get(r), i32.const(es))), get(s)),
  ));
}

/**
 * cols(x, ks, n, y, count): y[j] = reduce over k < n of the element at x + j*es + k*ks (bytes),
 * j < count: the kept dim contiguous, each output's elements in k order (two outputs per f64x2).
 */
function emitCols(m: ModuleBuilder, op: ReduceOp, e: DType): void {
  const { f } = m.func('cols', [I32, I32, I32, I32, I32]);
  const [x, ks, n, y, count] = [0, 1, 2, 3, 4];
  const [j, k, p, end, pairs] = f.locals(I32, 5);
  const f64e = e === 'float64', es = f64e ? 8 : 4;
  // Two adjacent outputs' elements at one k as f64x2 (`single`: one output, splat).
  const ld2 = (a: Code, single: boolean): Code => f64e
    ? (single ? v128.load64_splat(a) : v128.load(a))
    : f64x2.promote_low_f32x4(single ? v128.load32_splat(a) : v128.load64_zero(a));
  const st2 = (a: Code, v: Code, single: boolean): Code => f64e
    ? (single ? f64.store(a, f64x2.extract_lane(v, 0)) : v128.store(a, v))
    : (single ? v128.store32_lane0(a, f32x4.demote_f64x2_zero(v)) : v128.store64_lane0(a, f32x4.demote_f64x2_zero(v)));
  const body = (single: boolean): Code => {
    const col = (d: number): Code => ld2(i32.add(get(p), i32.mul(get(ks), i32.const(d))), single);
    if (op === 'sum') {
      const A = accs;
      return seq(
        ...A.map((a) => set(a, v128.zero())),
        set(end, i32.sub(get(n), i32.const(3))),
        forRange(k, i32.const(0), get(end), 4,
          ...A.map((a, d) => set(a, f64x2.add(get(a), col(d)))),
          set(p, i32.add(get(p), i32.mul(get(ks), i32.const(4)))),
        ),
        block(loop(
          brIf(1, i32.ge_s(get(k), get(n))),
          set(A[0], f64x2.add(get(A[0]), col(0))),
          set(p, i32.add(get(p), get(ks))),
          set(k, i32.add(get(k), i32.const(1))),
          [0x0c, 0],
        )),
        st2(i32.add(get(y), i32.mul(get(j), i32.const(es))), f64x2.add(f64x2.add(get(A[0]), get(A[1])), f64x2.add(get(A[2]), get(A[3]))), single),
      );
    }
    const [acc, v] = accs;
    const init = op === 'max' ? -Infinity : Infinity;
    return seq(
      set(acc, f64x2.const(init)),
      forRange(k, i32.const(0), get(n), 1,
        set(v, col(0)),
        set(acc, v128.bitselect(get(v), get(acc), v128.or(op === 'max' ? f64x2.gt(get(v), get(acc)) : f64x2.lt(get(v), get(acc)), f64x2.ne(get(v), get(v))))),
        set(p, i32.add(get(p), get(ks))),
      ),
      st2(i32.add(get(y), i32.mul(get(j), i32.const(es))), get(acc), single),
    );
  };
  const accs = f.locals(V128, 4);
  f.emit(
    set(pairs, i32.and(get(count), i32.const(-2))),
    forRange(j, i32.const(0), get(pairs), 2, set(p, i32.add(get(x), i32.mul(get(j), i32.const(es)))), body(false)),
    ifElse(i32.lt_u(get(pairs), get(count)), [set(j, get(pairs)), set(p, i32.add(get(x), i32.mul(get(j), i32.const(es)))), body(true)]),
  );
}

/** The reduction module of op over elements of dtype e: exports rows and cols. */
export function buildReduce(m: ModuleBuilder, op: ReduceOp, e: DType): void {
  emitRows(m, op, e);
  emitCols(m, op, e);
}
