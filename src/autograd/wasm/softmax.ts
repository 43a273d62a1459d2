// Softmax and logSoftmax over the contiguous rows of a float32 matrix in one kernel: per row, the
// max, then e = exp(x - max) stored, its sum, then e / sum (or x - (log(sum) + max)). The row stays
// in the L1 cache between the passes, so memory is read once and written once, where the composites
// of ops/nn.ts (max, sub, exp, sum, div; x - logsumexp(x)) make five or more passes and as many
// intermediate tensors.
//
// The same bits as those composites on this backend, by construction (test/wasm/softmax.test.ts
// checks it bit for bit): the max is the reduction's (NaN wins; the sign of a zero maximum does
// not matter, as x - 0 and x - (-0) differ only for x = ±0, whose exp is 1 either way), a -inf
// maximum (for logSoftmax also +inf) becomes 0 (the composites' maskedFill), x - max, e / sum and
// x - lse are float32 lane ops, exp is the elementwise kernel's (reference: the float64-lane math
// library with host calls outside its main path; fast: the float32 FAST4 exp), log is the JS log32
// (which the log op's lanes reproduce), and the sum is the sum kernel's order (reduce.ts: four
// float64 accumulators, element i into i % 4, the last n % 4 into the first, (s0 + s1) + (s2 + s3)).
import { F32, F64, I32, V128, block, brIf, call, f32, f32x4, f64, f64x2, forRange, get, i32, ifElse, loop, set, seq, v128, type Code, type ModuleBuilder } from './emit.js';
import * as M from './mathlib.js';
import { fastExp4, mathLanes, viaF64 } from './elementwise.js';

const HIGH = [8, 9, 10, 11, 12, 13, 14, 15, 8, 9, 10, 11, 12, 13, 14, 15];
const br0: Code = [0x0c, 0];

/**
 * rows(x, y, e, s, count, n), for the count contiguous rows of n float32 at x (byte addresses):
 * y[r, :] = softmax(x[r, :]) (log: logSoftmax), e[r, :] = exp(x[r, :] - max) and s[r] = the sum of
 * e[r, :] (what the composite's backward reads). e may be y itself.
 *
 * logSoftmax follows its composite, x - logsumexp(x) (ops/reduce.ts): a max of -inf or +inf is
 * taken as 0, and logsumexp = log(s) + max, with the log op's float32 result (the JS log32 itself,
 * which the wasm log lanes reproduce), both rounded to float32.
 */
export function buildSoftmax(m: ModuleBuilder, fast: boolean, log: boolean): void {
  const host = fast ? -1 : m.importFunc('js', 'exp', [F64], [F64]);
  const logHost = log ? m.importFunc('js', 'log', [F64], [F64]) : -1;
  const { f } = m.func('rows', [I32, I32, I32, I32, I32, I32]);
  const [X, Y, E, S, COUNT, N] = [0, 1, 2, 3, 4, 5];
  const [r, p, q, i] = f.locals(I32, 4);
  const accs = f.locals(V128, 4);
  const [v, mv, e, a01, a23] = f.locals(V128, 5);
  const tmp = f.locals(V128, 3);
  const [mx, w] = f.locals(F32, 2);
  const [s0, s1, s2, s3] = f.locals(F64, 4);
  const scratch = new M.MathScratch(f);
  /** exp of the four lanes of local u, as the elementwise exp kernel computes them. */
  const exp4 = (u: number): Code => (fast ? fastExp4(u, tmp) : viaF64(u, tmp, (x, res) => mathLanes(scratch, 'exp', host, x, res)));
  /** exp(x - max) for the lanes of x (max splat in mv), via local v. */
  const expShifted = (x: Code): Code => seq(set(v, f32x4.sub(x, get(mv))), exp4(v));
  /** acc = the reduction's max rule, lane by lane: v > acc || v !== v ? v : acc. */
  const maxStep = (acc: number, val: Code): Code => seq(set(v, val),
    set(acc, v128.bitselect(get(v), get(acc), v128.or(f32x4.gt(get(v), get(acc)), f32x4.ne(get(v), get(v))))));
  const maxScalar = (val: Code): Code => seq(set(w, val), ifElse(i32.or(f32.gt(get(w), get(mx)), f32.ne(get(w), get(w))), [set(mx, get(w))]));
  const row = (base: number) => i32.add(get(base), i32.mul(get(r), i32.shl(get(N), i32.const(2))));
  /** while (i < limit) { body; i += step } (i continues from where the last loop left it). */
  const rest = (limit: Code, step: number, ...body: Code[]): Code => block(loop(
    brIf(1, i32.ge_s(get(i), limit)), ...body, set(i, i32.add(get(i), i32.const(step))), br0));

  f.hoistConstants(() => f.emit(forRange(r, i32.const(0), get(COUNT), 1,
    // 1. the row's max
    set(p, row(X)),
    ...accs.map((a) => set(a, f32x4.const(-Infinity))),
    forRange(i, i32.const(0), i32.sub(get(N), i32.const(15)), 16,
      ...accs.map((a, j) => maxStep(a, v128.load(get(p), 16 * j))),
      set(p, i32.add(get(p), i32.const(64)))),
    rest(i32.sub(get(N), i32.const(3)), 4, maxStep(accs[0], v128.load(get(p))), set(p, i32.add(get(p), i32.const(16)))),
    ...accs.slice(1).map((a) => maxStep(accs[0], get(a))),
    set(mx, f32.const(-Infinity)),
    ...[0, 1, 2, 3].map((lane) => maxScalar(f32x4.extract_lane(get(accs[0]), lane))),
    rest(get(N), 1, maxScalar(f32.load(get(p))), set(p, i32.add(get(p), i32.const(4)))),
    ifElse(log ? i32.or(f32.eq(get(mx), f32.const(-Infinity)), f32.eq(get(mx), f32.const(Infinity))) : f32.eq(get(mx), f32.const(-Infinity)),
      [set(mx, f32.const(0))]),
    // 2. e = exp(x - max); then summed in the sum kernel's order (a pass of its own over the row in
    // L1: the accumulators in the exp loop pushed its constants out of registers)
    set(p, row(X)), set(q, row(E)), set(mv, f32x4.splat(get(mx))),
    forRange(i, i32.const(0), i32.sub(get(N), i32.const(3)), 4,
      v128.store(get(q), expShifted(v128.load(get(p)))),
      set(p, i32.add(get(p), i32.const(16))), set(q, i32.add(get(q), i32.const(16)))),
    rest(get(N), 1,
      v128.store32_lane0(get(q), expShifted(v128.load32_splat(get(p)))),
      set(p, i32.add(get(p), i32.const(4))), set(q, i32.add(get(q), i32.const(4)))),
    set(q, row(E)),
    set(a01, v128.zero()), set(a23, v128.zero()),
    forRange(i, i32.const(0), i32.sub(get(N), i32.const(3)), 4,
      set(e, v128.load(get(q))),
      set(a01, f64x2.add(get(a01), f64x2.promote_low_f32x4(get(e)))),
      set(a23, f64x2.add(get(a23), f64x2.promote_low_f32x4(v128.shuffle(get(e), get(e), HIGH)))),
      set(q, i32.add(get(q), i32.const(16)))),
    set(s0, f64x2.extract_lane(get(a01), 0)), set(s1, f64x2.extract_lane(get(a01), 1)),
    set(s2, f64x2.extract_lane(get(a23), 0)), set(s3, f64x2.extract_lane(get(a23), 1)),
    rest(get(N), 1, set(s0, f64.add(get(s0), f64.promote_f32(f32.load(get(q))))), set(q, i32.add(get(q), i32.const(4)))),
    // 3. s = the sum (rounded to float32, as the sum kernel stores it); y = e / s, or for log
    // y = x - (log(s) + max)
    set(w, f32.demote_f64(f64.add(f64.add(get(s0), get(s1)), f64.add(get(s2), get(s3))))),
    f32.store(i32.add(get(S), i32.shl(get(r), i32.const(2))), get(w)),
    // log: w = log(s) + max, then y = x - w; else y = e / w
    ...(log ? [set(w, f32.add(f32.demote_f64(call(logHost, f64.promote_f32(get(w)))), get(mx))), set(p, row(X))] : [set(p, row(E))]),
    set(q, row(Y)), set(mv, f32x4.splat(get(w))),
    forRange(i, i32.const(0), i32.sub(get(N), i32.const(3)), 4,
      v128.store(get(q), (log ? f32x4.sub : f32x4.div)(v128.load(get(p)), get(mv))),
      set(p, i32.add(get(p), i32.const(16))), set(q, i32.add(get(q), i32.const(16)))),
    rest(get(N), 1, f32.store(get(q), (log ? f32.sub : f32.div)(f32.load(get(p)), get(w))),
      set(p, i32.add(get(p), i32.const(4))), set(q, i32.add(get(q), i32.const(4)))),
  )));
}
