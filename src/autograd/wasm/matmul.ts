// Matrix products in WebAssembly SIMD, emitted by emit.ts: the packed, blocked algorithm of
// cpu/matmul.ts with the same blocking and summation order, so the same bits.
//
//   for each MC x NC block of C (256 x 256):
//     acc = 0 (float64)
//     for each KC panel of K (256), in order:
//       pack the A block into slivers of MR rows, the B block into slivers of NR columns
//       panel: for each MR x NR tile, c = sum over the panel's k, ascending, from 0; acc += c
//     C block = acc, rounded once (float32 outputs)
//
// Every output element is therefore ((0 + c_panel1) + c_panel2) + ..., with each c_panel summed
// from 0 in k order: the JS kernel's order, whatever the tile shape or the split across threads.
// Each product is rounded, then added: wasm never fuses a multiply-add.
//
// Precision 'reference' (float64 accumulation): 4x4 tiles as 8 f64x2 accumulators (V8 keeps them
// in registers; the scalar JS kernel spills). Precision 'fast' (float32 inputs only): float32
// slivers and accumulators, 4x8 tiles as 8 f32x4 accumulators, twice the lanes per instruction;
// the order is fixed the same way, so results are the same bits from run to run and for any split.
import {
  I32, ModuleBuilder, V128, brIf, call, f32, f32x4, f64, f64x2, forRange, get, i32, ifElse, loop, seq, set, tee, v128,
  wasmAvailable, type Code,
} from './emit.js';

export const MR = 4;
/** Sliver widths of B: 4 (float64 accumulation) or 8 (float32). */
export const NR_REF = 4, NR_FAST = 8;
export const KC = 256, MC = 256, NC = 256;

/** The element type of a buffer: float32 or float64. */
export type Elem = 'f32' | 'f64';
const size = (e: Elem) => (e === 'f32' ? 4 : 8);

function load(e: Elem, addr: Code): Code {
  return e === 'f32' ? f64.promote_f32(f32.load(addr)) : f64.load(addr);
}

/**
 * panel(pa, pb, kc, pacc, mcPad, ncPad), float64: for each 4x4 tile (jr outer, ir inner),
 * acc[ir..ir+3][jr..jr+3] += A sliver^T . B sliver over kc steps. Byte addresses; acc rows are
 * ncPad doubles apart; mcPad and ncPad are multiples of 4, kc >= 1.
 */
export function emitPanel64(m: ModuleBuilder, name: string | null = 'panel'): number {
  const { f, index } = m.func(name, [I32, I32, I32, I32, I32, I32]);
  const [pa, pb, kc, pacc, mcPad, ncPad] = [0, 1, 2, 3, 4, 5];
  const [jr, ir, p, ia, ib, ci, ldc] = f.locals(I32, 7);
  const c = f.locals(V128, 8); // row r: c[2r] = columns 0-1, c[2r+1] = columns 2-3
  const [b0, b1, a] = f.locals(V128, 3);
  f.emit(set(ldc, i32.mul(get(ncPad), i32.const(8))));
  f.emit(set(jr, i32.const(0)), loop( // do-while: ncPad >= 4
    set(ir, i32.const(0)), loop(
      set(ia, i32.add(get(pa), i32.mul(i32.mul(get(ir), get(kc)), i32.const(8)))),
      set(ib, i32.add(get(pb), i32.mul(i32.mul(get(jr), get(kc)), i32.const(8)))),
      ...c.map((x) => set(x, v128.zero())),
      set(p, get(kc)), loop( // do-while: kc >= 1
        set(b0, v128.load(get(ib))),
        set(b1, v128.load(get(ib), 16)),
        ...[0, 1, 2, 3].map((r) => seq(
          set(a, v128.load64_splat(get(ia), 8 * r)),
          set(c[2 * r], f64x2.add(get(c[2 * r]), f64x2.mul(get(a), get(b0)))),
          set(c[2 * r + 1], f64x2.add(get(c[2 * r + 1]), f64x2.mul(get(a), get(b1)))),
        )),
        set(ia, i32.add(get(ia), i32.const(32))),
        set(ib, i32.add(get(ib), i32.const(32))),
        brIf(0, tee(p, i32.sub(get(p), i32.const(1)))),
      ),
      // ci = pacc + (ir*ncPad + jr)*8; row r at ci + r*ldc
      set(ci, i32.add(get(pacc), i32.mul(i32.add(i32.mul(get(ir), get(ncPad)), get(jr)), i32.const(8)))),
      ...[0, 1, 2, 3].map((r) => seq(
        v128.store(get(ci), f64x2.add(v128.load(get(ci)), get(c[2 * r]))),
        v128.store(get(ci), f64x2.add(v128.load(get(ci), 16), get(c[2 * r + 1])), 16),
        set(ci, i32.add(get(ci), get(ldc))),
      )),
      brIf(0, i32.lt_u(tee(ir, i32.add(get(ir), i32.const(4))), get(mcPad))),
    ),
    brIf(0, i32.lt_u(tee(jr, i32.add(get(jr), i32.const(4))), get(ncPad))),
  ));
  return index;
}

/** panel for 'fast' float32: 4x8 tiles, f32x4 accumulators, float32 slivers and acc. */
function emitPanel32(m: ModuleBuilder): number {
  const { f, index } = m.func(null, [I32, I32, I32, I32, I32, I32]);
  const [pa, pb, kc, pacc, mcPad, ncPad] = [0, 1, 2, 3, 4, 5];
  const [jr, ir, p, ia, ib, ci, ldc] = f.locals(I32, 7);
  const c = f.locals(V128, 8); // row r: c[2r] = columns 0-3, c[2r+1] = columns 4-7
  const [b0, b1, a] = f.locals(V128, 3);
  f.emit(set(ldc, i32.mul(get(ncPad), i32.const(4))));
  f.emit(set(jr, i32.const(0)), loop(
    set(ir, i32.const(0)), loop(
      set(ia, i32.add(get(pa), i32.mul(i32.mul(get(ir), get(kc)), i32.const(4)))),
      set(ib, i32.add(get(pb), i32.mul(i32.mul(get(jr), get(kc)), i32.const(4)))),
      ...c.map((x) => set(x, v128.zero())),
      set(p, get(kc)), loop(
        set(b0, v128.load(get(ib))),
        set(b1, v128.load(get(ib), 16)),
        ...[0, 1, 2, 3].map((r) => seq(
          set(a, v128.load32_splat(get(ia), 4 * r)),
          set(c[2 * r], f32x4.add(get(c[2 * r]), f32x4.mul(get(a), get(b0)))),
          set(c[2 * r + 1], f32x4.add(get(c[2 * r + 1]), f32x4.mul(get(a), get(b1)))),
        )),
        set(ia, i32.add(get(ia), i32.const(16))),
        set(ib, i32.add(get(ib), i32.const(32))),
        brIf(0, tee(p, i32.sub(get(p), i32.const(1)))),
      ),
      set(ci, i32.add(get(pacc), i32.mul(i32.add(i32.mul(get(ir), get(ncPad)), get(jr)), i32.const(4)))),
      ...[0, 1, 2, 3].map((r) => seq(
        v128.store(get(ci), f32x4.add(v128.load(get(ci)), get(c[2 * r]))),
        v128.store(get(ci), f32x4.add(v128.load(get(ci), 16), get(c[2 * r + 1])), 16),
        set(ci, i32.add(get(ci), get(ldc))),
      )),
      brIf(0, i32.lt_u(tee(ir, i32.add(get(ir), i32.const(4))), get(mcPad))),
    ),
    brIf(0, i32.lt_u(tee(jr, i32.add(get(jr), i32.const(8))), get(ncPad))),
  ));
  return index;
}

/**
 * pack(src, rs, cs, rows, kc, dst): the rows x kc block at src (element (i, k) at
 * src + (i*rs + k*cs) * size(e), strides in elements) as slivers of R rows: sliver s holds, for
 * k = 0..kc-1, the R values of rows sR..sR+R-1 at k, contiguous; rows past `rows` are zeros.
 * The destination is float64 (acc 'f64') or float32.
 */
function emitPack(m: ModuleBuilder, e: Elem, acc: Elem, R: number): number {
  const { f, index } = m.func(null, [I32, I32, I32, I32, I32, I32]);
  const [src, rs, cs, rows, kc, dst] = [0, 1, 2, 3, 4, 5];
  const [i, k, s, d, rsb, csb, full, r] = f.locals(I32, 8);
  const es = size(e), ds = size(acc);
  const ld = (addr: Code) => (acc === 'f64' ? load(e, addr) : f32.load(addr)); // f32 -> f32: no conversion
  const st = (addr: Code, v: Code, off = 0) => (acc === 'f64' ? f64.store(addr, v, off) : f32.store(addr, v, off));
  const zero = acc === 'f64' ? f64.const(0) : f32.const(0);
  /** Row j of the sliver at k: src address s + j*rsb. */
  const rowAddr = (j: number): Code => (j === 0 ? get(s) : i32.add(get(s), j === 1 ? get(rsb) : i32.mul(get(rsb), i32.const(j))));
  f.emit(
    set(rsb, i32.mul(get(rs), i32.const(es))),
    set(csb, i32.mul(get(cs), i32.const(es))),
    set(full, i32.sub(get(rows), i32.rem_u(get(rows), i32.const(R)))),
    forRange(i, i32.const(0), get(full), R,
      set(s, i32.add(get(src), i32.mul(get(i), get(rsb)))),
      set(d, i32.add(get(dst), i32.mul(i32.mul(get(i), get(kc)), i32.const(ds)))),
      forRange(k, i32.const(0), get(kc), 1,
        ...Array.from({ length: R }, (_, j) => st(get(d), ld(rowAddr(j)), j * ds)),
        set(s, i32.add(get(s), get(csb))),
        set(d, i32.add(get(d), i32.const(R * ds))),
      ),
    ),
    // The ragged last sliver: valid rows, then zeros.
    ifElse(i32.lt_u(get(full), get(rows)), [
      set(s, i32.add(get(src), i32.mul(get(full), get(rsb)))),
      set(d, i32.add(get(dst), i32.mul(i32.mul(get(full), get(kc)), i32.const(ds)))),
      forRange(k, i32.const(0), get(kc), 1,
        forRange(r, i32.const(0), i32.const(R), 1,
          ifElse(i32.lt_u(i32.add(get(full), get(r)), get(rows)),
            [st(i32.add(get(d), i32.mul(get(r), i32.const(ds))), ld(i32.add(get(s), i32.mul(get(r), get(rsb)))))],
            [st(i32.add(get(d), i32.mul(get(r), i32.const(ds))), zero)]),
        ),
        set(s, i32.add(get(s), get(csb))),
        set(d, i32.add(get(d), i32.const(R * ds))),
      ),
    ]),
  );
  return index;
}

/**
 * packed(a, ars, acs, b, brs, bcs, out, ldo, M, N, K, scratch): the blocked product of an M x K
 * by a K x N operand (byte addresses, strides in elements) into out (row stride ldo elements).
 * Scratch (byte address, 16-aligned) must hold scratchBytes(M, N, K, acc) bytes.
 */
function emitPacked(m: ModuleBuilder, e: Elem, acc: Elem, pack: number, panel: number, NR: number): void {
  const { f } = m.func('packed', [I32, I32, I32, I32, I32, I32, I32, I32, I32, I32, I32, I32]);
  const [a, ars, acs, b, brs, bcs, out, ldo, M, N, K, scr] = Array.from({ length: 12 }, (_, i) => i);
  const [pa, pb, pacc, i0, j0, p0, mc, nc, kc, mcPad, ncPad, i, j, o, s, kcMax, mcMax, ncMax] = f.locals(I32, 18);
  const es = size(e), ds = size(acc);
  const min = (x: Code, y: Code) => seq(x, y, i32.lt_s(x, y), 0x1b); // select(x, y, x < y)
  const roundUp = (x: Code, q: number) => i32.and(i32.add(x, i32.const(q - 1)), i32.const(-q));
  const st = (addr: Code, v: Code) => (e === 'f64' ? f64.store(addr, v) : f32.store(addr, acc === 'f64' ? f32.demote_f64(v) : v));
  const ld = (addr: Code) => (acc === 'f64' ? f64.load(addr) : f32.load(addr));
  f.emit(
    set(mcMax, min(i32.const(MC), roundUp(get(M), MR))),
    set(ncMax, min(i32.const(NC), roundUp(get(N), NR))),
    set(kcMax, min(i32.const(KC), get(K))),
    set(pa, get(scr)),
    set(pb, i32.add(get(pa), i32.mul(i32.mul(get(mcMax), get(kcMax)), i32.const(ds)))),
    set(pacc, i32.add(get(pb), i32.mul(i32.mul(get(kcMax), get(ncMax)), i32.const(ds)))),
    forRange(i0, i32.const(0), get(M), MC,
      set(mc, min(i32.const(MC), i32.sub(get(M), get(i0)))),
      set(mcPad, roundUp(get(mc), MR)),
      forRange(j0, i32.const(0), get(N), NC,
        set(nc, min(i32.const(NC), i32.sub(get(N), get(j0)))),
        set(ncPad, roundUp(get(nc), NR)),
        seq(get(pacc), i32.const(0), i32.mul(i32.mul(get(mcPad), get(ncPad)), i32.const(ds)), 0xfc, 0x0b, 0x00), // memory.fill
        forRange(p0, i32.const(0), get(K), KC,
          set(kc, min(i32.const(KC), i32.sub(get(K), get(p0)))),
          seq(
            i32.add(get(a), i32.mul(i32.add(i32.mul(get(i0), get(ars)), i32.mul(get(p0), get(acs))), i32.const(es))),
            get(ars), get(acs), get(mc), get(kc), get(pa), call(pack),
          ),
          seq(
            i32.add(get(b), i32.mul(i32.add(i32.mul(get(p0), get(brs)), i32.mul(get(j0), get(bcs))), i32.const(es))),
            get(bcs), get(brs), get(nc), get(kc), get(pb), call(pack + 1),
          ),
          call(panel, get(pa), get(pb), get(kc), get(pacc), get(mcPad), get(ncPad)),
        ),
        // The finished block: one rounding per element (float32 outputs).
        set(o, i32.add(get(out), i32.mul(i32.add(i32.mul(get(i0), get(ldo)), get(j0)), i32.const(es)))),
        set(s, get(pacc)),
        forRange(i, i32.const(0), get(mc), 1,
          forRange(j, i32.const(0), get(nc), 1,
            st(i32.add(get(o), i32.mul(get(j), i32.const(es))), ld(i32.add(get(s), i32.mul(get(j), i32.const(ds))))),
          ),
          set(o, i32.add(get(o), i32.mul(get(ldo), i32.const(es)))),
          set(s, i32.add(get(s), i32.mul(get(ncPad), i32.const(ds)))),
        ),
      ),
    ),
  );
}

/** Scratch bytes `packed` needs for an M x N x K product. */
export function scratchBytes(M: number, N: number, K: number, fast: boolean): number {
  const NR = fast ? NR_FAST : NR_REF, ds = fast ? 4 : 8;
  const mcMax = Math.min(MC, Math.ceil(M / MR) * MR), ncMax = Math.min(NC, Math.ceil(N / NR) * NR), kcMax = Math.min(KC, K);
  return (mcMax * kcMax + kcMax * ncMax + mcMax * ncMax) * ds;
}

/** The matmul module for elements `e`: export `packed`; float32 accumulation where `fast`. */
export function buildMatmul(m: ModuleBuilder, e: Elem, fast: boolean): void {
  const acc: Elem = fast && e === 'f32' ? 'f32' : 'f64';
  const NR = acc === 'f32' ? NR_FAST : NR_REF;
  // Function indices: pack A (R = MR) then pack B (R = NR) next to each other, then the panel.
  const pack = emitPack(m, e, acc, MR);
  const packB = emitPack(m, e, acc, NR);
  if (packB !== pack + 1) throw new Error('internal: pack functions out of order');
  const panel = acc === 'f64' ? emitPanel64(m, null) : emitPanel32(m);
  emitPacked(m, e, acc, pack, panel, NR);
}

/** The panel function over a memory of its own, for the pure-JS backend's matmul (cpu/matmul.ts). */
export interface WasmPanel {
  memory: WebAssembly.Memory;
  panel(pa: number, pb: number, kc: number, pacc: number, mcPad: number, ncPad: number): void;
}

/**
 * Compiles `panel` against a fresh (unshared) memory, or returns null where WebAssembly SIMD is
 * unavailable or refused; cpu/matmul.ts then keeps its JS micro-kernel.
 */
export function createWasmPanel(): WasmPanel | null {
  if (!wasmAvailable()) return null;
  try {
    const memory = new WebAssembly.Memory({ initial: 1 });
    const m = new ModuleBuilder();
    m.importMemory('m', 'mem', 1, undefined, false);
    emitPanel64(m, 'panel');
    const inst = new WebAssembly.Instance(new WebAssembly.Module(m.bytes()), { m: { mem: memory } });
    return { memory, panel: inst.exports.panel as WasmPanel['panel'] };
  } catch {
    return null;
  }
}

/**
 * direct(a, ars, acs, b, brs, bcs, out, M, N, K, t): the unpacked product of cpu/matmul.ts's
 * directMatmul (small or vector-shaped products), each output summed in float64 from 0 with k
 * ascending, as there (its three loop orders give the same bits; this one picks by shape):
 *  - N >= 2: a row of the output at a time, t[j] += a[i,k] * b[k,j] over k (two j per f64x2);
 *  - N == 1: the column, t[i] += a[i,k] * b[k,0] over k (two i per f64x2).
 * t: scratch of max(M, N) doubles (byte address); strides in elements, addresses in bytes.
 */
export function buildDirect(m: ModuleBuilder, e: Elem): void {
  const { f } = m.func('direct', [I32, I32, I32, I32, I32, I32, I32, I32, I32, I32, I32]);
  const [a, ars, acs, b, brs, bcs, out, M, N, K, t] = Array.from({ length: 11 }, (_, i) => i);
  const [i, j, k, pa, pb, po, pairs, len] = f.locals(I32, 8);
  const [s, v] = f.locals(V128, 2);
  const es = size(e);
  const ld = (addr: Code): Code => load(e, addr);
  const st = (addr: Code, x: Code): Code => (e === 'f64' ? f64.store(addr, x) : f32.store(addr, f32.demote_f64(x)));
  /** Two elements at p and p + stride (bytes) as f64x2. */
  const ld2 = (p: Code, strideBytes: Code): Code => f64x2.replace_lane(f64x2.splat(ld(p)), 1, ld(i32.add(p, strideBytes)));
  // t[0 .. len) += x * (the len elements at p, stride sb bytes apart), two at a time
  const axpy = (x: Code, sb: Code): Code => seq(
    set(s, f64x2.splat(x)),
    forRange(j, i32.const(0), get(pairs), 2,
      set(v, v128.load(i32.add(get(t), i32.mul(get(j), i32.const(8))))),
      v128.store(i32.add(get(t), i32.mul(get(j), i32.const(8))), f64x2.add(get(v), f64x2.mul(get(s), ld2(get(pb), sb)))),
      set(pb, i32.add(get(pb), i32.mul(sb, i32.const(2)))),
    ),
    ifElse(i32.lt_u(get(pairs), get(len)), [
      f64.store(i32.add(get(t), i32.mul(get(pairs), i32.const(8))),
        f64.add(f64.load(i32.add(get(t), i32.mul(get(pairs), i32.const(8)))), f64.mul(f64x2.extract_lane(get(s), 0), ld(get(pb))))),
    ]),
  );
  const zeroT = seq(get(t), i32.const(0), i32.mul(get(len), i32.const(8)), 0xfc, 0x0b, 0x00); // memory.fill
  f.emit(ifElse(i32.ge_u(get(N), i32.const(2)), [
    // rows of the output
    set(len, get(N)), set(pairs, i32.and(get(N), i32.const(-2))),
    forRange(i, i32.const(0), get(M), 1,
      zeroT,
      forRange(k, i32.const(0), get(K), 1,
        set(pa, i32.add(get(a), i32.mul(i32.add(i32.mul(get(i), get(ars)), i32.mul(get(k), get(acs))), i32.const(es)))),
        set(pb, i32.add(get(b), i32.mul(i32.mul(get(k), get(brs)), i32.const(es)))),
        axpy(ld(get(pa)), i32.mul(get(bcs), i32.const(es))),
      ),
      set(po, i32.add(get(out), i32.mul(i32.mul(get(i), get(N)), i32.const(es)))),
      forRange(j, i32.const(0), get(N), 1, st(i32.add(get(po), i32.mul(get(j), i32.const(es))), f64.load(i32.add(get(t), i32.mul(get(j), i32.const(8)))))),
    ),
  ], [
    // one column: all of it at once
    set(len, get(M)), set(pairs, i32.and(get(M), i32.const(-2))),
    zeroT,
    forRange(k, i32.const(0), get(K), 1,
      set(pb, i32.add(get(a), i32.mul(i32.mul(get(k), get(acs)), i32.const(es)))), // the column k of A, walked by axpy
      axpy(ld(i32.add(get(b), i32.mul(i32.mul(get(k), get(brs)), i32.const(es)))), i32.mul(get(ars), i32.const(es))),
    ),
    forRange(i, i32.const(0), get(M), 1, st(i32.add(get(out), i32.mul(i32.mul(get(i), get(N)), i32.const(es))), f64.load(i32.add(get(t), i32.mul(get(i), i32.const(8)))))),
  ]));
}
