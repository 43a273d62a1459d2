/**
 * The packed matmul's micro-kernel loop as a WebAssembly SIMD function (f64x2), built from bytes
 * written here (no toolchain, no eval). It computes exactly what cpu/matmul.ts's JS loop computes,
 * bit for bit: per 4x4 tile, 16 float64 sums starting at 0 with k ascending (each product rounded,
 * then added: wasm never fuses a multiply-add), then added into the accumulator block. V8 keeps the
 * eight f64x2 accumulators in registers, where the scalar JS kernel spills (~2.5x faster measured).
 *
 * Memory is a WebAssembly.Memory the caller owns (imported as m.mem): the packed A block, the
 * packed B block and the float64 accumulator are laid out in it by cpu/matmul.ts.
 *
 *   panel(pa, pb, kc, pacc, mcPad, ncPad)
 *     for jr in 0, 4, .., ncPad - 4:            (B sliver at pb + jr*kc*8, kept in L1)
 *       for ir in 0, 4, .., mcPad - 4:          (A sliver at pa + ir*kc*8)
 *         acc[ir..ir+3][jr..jr+3] += sliverA(kc x 4)^T · sliverB(kc x 4)
 *   Byte addresses; acc rows are ncPad doubles apart; mcPad, ncPad multiples of 4; kc >= 1.
 *
 * Where WebAssembly (or its SIMD) is missing or refused (a strict CSP without 'wasm-unsafe-eval'),
 * createWasmPanel returns null and cpu/matmul.ts keeps its JS kernel.
 */

export interface WasmPanel {
  memory: WebAssembly.Memory;
  panel(pa: number, pb: number, kc: number, pacc: number, mcPad: number, ncPad: number): void;
}

// ---- a minimal wasm binary writer
const I32 = 0x7f, V128 = 0x7b;
const BLOCK = 0x02, LOOP = 0x03, END = 0x0b, BR_IF = 0x0d, VOID = 0x40;
const GET = 0x20, SET = 0x21, TEE = 0x22, I32_CONST = 0x41;
const I32_ADD = 0x6a, I32_MUL = 0x6c, I32_LT_U = 0x49;

function uleb(n: number): number[] {
  const out: number[] = [];
  do {
    let b = n & 0x7f;
    n >>>= 7;
    if (n) b |= 0x80;
    out.push(b);
  } while (n);
  return out;
}
function sleb(n: number): number[] {
  const out: number[] = [];
  for (;;) {
    const b = n & 0x7f;
    n >>= 7;
    const last = (n === 0 && !(b & 0x40)) || (n === -1 && (b & 0x40) !== 0);
    out.push(last ? b : b | 0x80);
    if (last) return out;
  }
}
const str = (s: string): number[] => [...uleb(s.length), ...[...s].map((c) => c.charCodeAt(0))];
const vec = (items: number[][]): number[] => [...uleb(items.length), ...items.flat()];
const section = (id: number, body: number[]): number[] => [id, ...uleb(body.length), ...body];
const simd = (op: number, ...imm: number[]): number[] => [0xfd, ...uleb(op), ...imm];
const memarg = (offset: number): number[] => [3, ...uleb(offset)]; // align 2^3 (a hint only)
const V128_LOAD = 0x00, V128_LOAD64_SPLAT = 0x0a, V128_STORE = 0x0b, V128_CONST = 0x0c, F64X2_ADD = 0xf0, F64X2_MUL = 0xf2;

function panelModuleBytes(): Uint8Array<ArrayBuffer> {
  // Locals: params 0..5 (pa, pb, kc, pacc, mcPad, ncPad), then i32 jr, ir, p, ia, ib, ci, ldc,
  // then v128 c0..c7 (row r: c[2r] = columns 0-1, c[2r+1] = columns 2-3), b0, b1, a.
  const [pa, pb, kc, pacc, mcPad, ncPad] = [0, 1, 2, 3, 4, 5];
  const [jr, ir, p, ia, ib, ci, ldc] = [6, 7, 8, 9, 10, 11, 12];
  const c = (i: number) => 13 + i;
  const [b0, b1, a] = [21, 22, 23];
  const get = (l: number) => [GET, l];
  const set = (l: number) => [SET, l];
  const konst = (n: number) => [I32_CONST, ...sleb(n)];
  const code: number[] = [];
  const emit = (...xs: (number | number[])[]) => { for (const x of xs) typeof x === 'number' ? code.push(x) : code.push(...x); };

  emit(get(ncPad), konst(8), I32_MUL, set(ldc));
  emit(konst(0), set(jr));
  emit(LOOP, VOID); // jr loop (do-while: ncPad >= 4)
  emit(konst(0), set(ir));
  emit(LOOP, VOID); // ir loop
  // ia = pa + ir*kc*8; ib = pb + jr*kc*8
  emit(get(pa), get(ir), get(kc), I32_MUL, konst(8), I32_MUL, I32_ADD, set(ia));
  emit(get(pb), get(jr), get(kc), I32_MUL, konst(8), I32_MUL, I32_ADD, set(ib));
  for (let i = 0; i < 8; i++) emit(simd(V128_CONST, ...new Array(16).fill(0)), set(c(i)));
  emit(get(kc), set(p));
  emit(LOOP, VOID); // p loop (do-while: kc >= 1)
  emit(get(ib), simd(V128_LOAD, ...memarg(0)), set(b0));
  emit(get(ib), simd(V128_LOAD, ...memarg(16)), set(b1));
  for (let r = 0; r < 4; r++) {
    emit(get(ia), simd(V128_LOAD64_SPLAT, ...memarg(8 * r)), set(a));
    emit(get(c(2 * r)), get(a), get(b0), simd(F64X2_MUL), simd(F64X2_ADD), set(c(2 * r)));
    emit(get(c(2 * r + 1)), get(a), get(b1), simd(F64X2_MUL), simd(F64X2_ADD), set(c(2 * r + 1)));
  }
  emit(get(ia), konst(32), I32_ADD, set(ia));
  emit(get(ib), konst(32), I32_ADD, set(ib));
  emit(get(p), konst(-1), I32_ADD, TEE, p, BR_IF, 0);
  emit(END);
  // ci = pacc + (ir*ncPad + jr)*8; row r at ci + r*ldc: acc += c
  emit(get(pacc), get(ir), get(ncPad), I32_MUL, get(jr), I32_ADD, konst(8), I32_MUL, I32_ADD, set(ci));
  for (let r = 0; r < 4; r++) {
    for (let h = 0; h < 2; h++) {
      emit(get(ci), get(ci), simd(V128_LOAD, ...memarg(16 * h)), get(c(2 * r + h)), simd(F64X2_ADD), simd(V128_STORE, ...memarg(16 * h)));
    }
    emit(get(ci), get(ldc), I32_ADD, set(ci));
  }
  emit(get(ir), konst(4), I32_ADD, TEE, ir, get(mcPad), I32_LT_U, BR_IF, 0);
  emit(END);
  emit(get(jr), konst(4), I32_ADD, TEE, jr, get(ncPad), I32_LT_U, BR_IF, 0);
  emit(END);
  emit(END); // function body

  const locals = vec([[...uleb(7), I32], [...uleb(11), V128]]);
  const body = [...locals, ...code];
  const bytes = [
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    ...section(1, vec([[0x60, ...vec([[I32], [I32], [I32], [I32], [I32], [I32]]), 0x00]])), // (i32 x6) -> ()
    ...section(2, vec([[...str('m'), ...str('mem'), 0x02, 0x00, 0x01]])), // import memory, min 1 page
    ...section(3, vec([[0x00]])),
    ...section(7, vec([[...str('panel'), 0x00, 0x00]])),
    ...section(10, vec([[...uleb(body.length), ...body]])),
  ];
  return new Uint8Array(bytes);
}

/** Compiles and instantiates the kernel (synchronously; the module is a few hundred bytes), or returns null. */
export function createWasmPanel(): WasmPanel | null {
  try {
    if (typeof WebAssembly === 'undefined') return null;
    const memory = new WebAssembly.Memory({ initial: 1 });
    const mod = new WebAssembly.Module(panelModuleBytes());
    const inst = new WebAssembly.Instance(mod, { m: { mem: memory } });
    const panel = inst.exports.panel as WasmPanel['panel'];
    return { memory, panel };
  } catch {
    return null; // no WebAssembly, no SIMD, or compilation refused (CSP)
  }
}
