// pg.compile: elementwise chains deferred and fused into one wasm kernel (src/autograd/fusion.ts)
// must give the eager results bit for bit, run a chain as one kernel, never compute what dies
// unread, leave nothing deferred after the call, and free memory as tidy does.
import { describe, expect, it, vi } from 'vitest';
import * as pg from '../../src/index.js';
import { compiledKernels } from '../../src/autograd/wasm/runtime.js';
import { cases, compare, inputsOf, runCase } from '../helpers/optable.js';

const bits = (t: pg.Tensor) => t.dataSync();
function expectSame(name: string, got: ArrayLike<number>, want: ArrayLike<number>, float: boolean): void {
  const m = compare(got, want, float, 'exact');
  if (m.failure) throw new Error(`${name}: ${m.failure}`);
}

describe('pg.compile gives the eager bits', () => {
  it('every op-table example, run inside compile (float32 and float64 inputs)', () => {
    for (const c of cases()) {
      for (const float of ['float32', 'float64'] as const) {
        const inputs = inputsOf(c, float);
        const eager = pg.tidy(() => runCase(c, inputs).map(bits));
        const fused = pg.compile(() => runCase(c, inputs).map(bits))();
        expect(fused.length).toBe(eager.length);
        fused.forEach((x, k) => expectSame(`${c.name} ${float} [${k}]`, x, eager[k], x instanceof Float32Array));
        pg.tidy(() => inputs.forEach((t) => t.dispose()));
      }
    }
  });

  it('chains with broadcasting, transposed and scalar operands, bools, where, transcendentals', () => {
    const g = new pg.Generator(4);
    const x = pg.randn([33, 17], { generator: g }), row = pg.randn([17], { generator: g }), col = pg.randn([33, 1], { generator: g });
    const t = pg.randn([17, 33], { generator: g });
    const chains: ((d: pg.Device) => pg.Tensor)[] = [
      () => x.mul(row).add(col).relu().mul(2).sub(t.transpose()),
      () => pg.where(x.gt(row), x.exp().mul(col), x.neg().sigmoid()).add(1),
      () => x.tanh().mul(x.tanh()).neg().add(1).sqrt().div(col.abs().add(0.5)),
      () => x.to('float64').mul(row.to('float64')).sub(1).square().maximum(0.25).reciprocal(),
      () => x.gt(0).logicalAnd(col.lt(0.5)).float().mul(x).add(x.sign()),
      () => pg.gelu(x.mul(3), { approximate: 'tanh' }).add(x.silu()).add(x.softplus()).sub(x.erf()),
    ];
    chains.forEach((f, i) => {
      const eager = pg.tidy(() => bits(f('cpu')));
      const fused = pg.compile(() => bits(f('cpu')))();
      expectSame(`chain ${i}`, fused, eager, fused instanceof Float32Array);
    });
  });

  it('a chain is one kernel: relu(a * b + c)', () => {
    const g = new pg.Generator(5);
    const a = pg.randn([1000], { generator: g }), b = pg.randn([1000], { generator: g }), c = pg.randn([1000], { generator: g });
    const y = pg.compile(() => a.mul(b).add(c).relu())();
    expect(bits(y)).toEqual(pg.tidy(() => bits(a.mul(b).add(c).relu())));
    expect(compiledKernels().map((k) => k.key)).toContain('ew relu:float32(add:float32(mul:float32($0,$1),$2)) -> float32 | float32/unit float32/unit float32/unit');
  });

  it('training an MLP: the same losses and parameters as eager; memory as tidy leaves it', () => {
    const run = (compiled: boolean) => {
      const g = new pg.Generator(6);
      const w1 = pg.randn([20, 32], { generator: g }).mul(0.3).requiresGrad_(), b1 = pg.zeros([32]).requiresGrad_();
      const w2 = pg.randn([32, 5], { generator: g }).mul(0.3).requiresGrad_();
      const x = pg.randn([64, 20], { generator: g }), y = pg.randint(0, 5, [64, 1], { generator: g });
      const step = () => {
        const loss = x.matmul(w1).add(b1).tanh().matmul(w2).logSoftmax(-1).gather(1, y).neg().mean();
        loss.backward();
        pg.noGrad(() => [w1, b1, w2].forEach((p) => p.assign_(p.sub(p.grad!.mul(0.1)))));
        pg.zeroGrad([w1, b1, w2]);
        return loss.itemSync();
      };
      const f = compiled ? pg.compile(step) : () => pg.tidy(step);
      const before = pg.memory();
      const losses = [f(), f(), f()];
      const after = pg.memory();
      return { losses, params: [w1, b1, w2].map(bits), grew: after.tensors - before.tensors };
    };
    const e = run(false), c = run(true);
    expect(c.losses).toEqual(e.losses);
    c.params.forEach((p, i) => expectSame(`param ${i}`, p, e.params[i], true));
    expect(c.grew).toBe(e.grew);
  });

  it('computes a deferred result only when it is read or returned; nothing stays deferred', () => {
    const backend = pg.getBackend('cpu') as pg.Backend & { runFused: NonNullable<pg.Backend['runFused']> };
    const spy = vi.spyOn(backend, 'runFused');
    const g = new pg.Generator(7);
    const a = pg.randn([100], { generator: g });
    const before = pg.memory();
    let kept: pg.Tensor | null = null;
    pg.compile(() => {
      a.mul(2).add(1); // dies unread
      kept = pg.keep(a.exp().mul(3));
    })();
    expect(spy).toHaveBeenCalledTimes(2); // the kept chain: exp alone (stored, not recomputed), then mul
    expect(kept!.storage.pending).toBeUndefined();
    expect(bits(kept!)).toEqual(pg.tidy(() => bits(a.exp().mul(3))));
    kept!.dispose();
    expect(pg.memory()).toEqual(before);
    spy.mockRestore();
  });

  it('an error inside the call: no deferred work and no tensors left behind', () => {
    const a = pg.randn([10], { generator: new pg.Generator(8) });
    const before = pg.memory();
    expect(() => pg.compile(() => { a.mul(2).add(1).matmul(pg.ones([3, 3])); })()).toThrow(/matmul/);
    expect(pg.memory()).toEqual(before);
  });

  it("on a backend without fusion ('js') compile runs the ops eagerly, with the same results", () => {
    const a = pg.randn([50], { generator: new pg.Generator(9) }).to('js');
    const y = pg.compile(() => a.mul(a).sub(1).relu())();
    expect(y.storage.pending).toBeUndefined();
    expect(bits(y)).toEqual(pg.tidy(() => bits(a.to('cpu').mul(a.to('cpu')).sub(1).relu())));
  });
});
