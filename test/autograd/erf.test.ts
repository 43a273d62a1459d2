// erf and exact GELU against numbers recorded from PyTorch (test/fixtures/torch/erf_gelu.json).
import { describe, expect, it } from 'vitest';
import * as pg from '../../src/index.js';
import { erf32, erf64 } from '../../src/autograd/math.js';
import { expectAllClose, torchFixture } from '../helpers/torch.js';

const fx = torchFixture('erf_gelu.json');
const f64 = (v: number[]) => pg.tensor(v, { dtype: 'float64' });

/** Values and d/dx of sum(f(x)) for a float64 input. */
function valueAndDx(f: (x: pg.Tensor) => pg.Tensor, xs: number[]): { y: number[]; dx: number[] } {
  const x = f64(xs).requiresGrad_();
  const y = f(x);
  y.sum().backward();
  return { y: Array.from(y.dataSync()), dx: Array.from(x.grad!.dataSync()) };
}

describe('erf', () => {
  it('matches torch.erf and its gradient in float64', () => {
    const { y, dx } = valueAndDx((x) => x.erf(), fx.erf.x);
    expectAllClose(y, fx.erf.y, { rtol: 1e-15, atol: 1e-300, what: 'erf' });
    expectAllClose(dx, fx.erf.dx, { rtol: 1e-14, atol: 1e-300, what: "erf'" });
  });

  it('special values: odd, ±1 at ±inf, NaN, -0; float32 is the portable library\'s, within 1 ulp of float64', () => {
    expect(Array.from(f64([Infinity, -Infinity, 0, 40, -40]).erf().dataSync())).toEqual([1, -1, 0, 1, -1]);
    expect(Object.is(f64([-0]).erf().dataSync()[0], -0)).toBe(true);
    expect(Number.isNaN(f64([NaN]).erf().dataSync()[0])).toBe(true);
    const xs = [-3.7, -1.2, -0.3, 1e-20, 0.7, 1.6, 2.9];
    expect(Array.from(pg.tensor(xs).erf().dataSync())).toEqual(xs.map((v) => Math.fround(erf32(Math.fround(v)))));
    pg.tensor(xs).erf().dataSync().forEach((v, i) => expect(Math.abs(v - erf64(Math.fround(xs[i])))).toBeLessThanOrEqual(2 ** -24));
    expect(pg.tensor([1, 2], { dtype: 'int32' }).erf().dtype).toBe('float32');
  });

  it('second derivative: d²/dx² erf = -2x erf\'(x)', () => {
    const x = f64([-1.3, 0.2, 0.9]).requiresGrad_();
    const d1 = pg.grad((t: pg.Tensor) => t.erf().sum())(x) as pg.Tensor;
    const d2 = pg.grad((t: pg.Tensor) => (pg.grad((u: pg.Tensor) => u.erf().sum())(t) as pg.Tensor).sum())(x) as pg.Tensor;
    const want = Array.from(x.dataSync()).map((v) => -2 * v * (2 / Math.sqrt(Math.PI)) * Math.exp(-v * v));
    expectAllClose(d2.dataSync(), want, { rtol: 1e-14, what: 'erf"' });
    expect(d1.shape).toEqual([3]);
  });
});

describe('gelu', () => {
  it("default is exact (approximate 'none') and matches F.gelu in float64, with gradient", () => {
    const { y, dx } = valueAndDx((x) => x.gelu(), fx.gelu_none.x);
    // Below x = -5 the value is x (1 + erf(x/√2)) / 2 with 1 + erf cancelling: absolute tolerance there.
    expectAllClose(y, fx.gelu_none.y, { rtol: 1e-14, atol: 1e-15, what: 'gelu' });
    expectAllClose(dx, fx.gelu_none.dx, { rtol: 1e-14, atol: 1e-14, what: "gelu'" });
    const same = valueAndDx((x) => pg.gelu(x, { approximate: 'none' }), fx.gelu_none.x);
    expect(same.y).toEqual(y);
  });

  it("approximate: 'tanh' matches F.gelu(approximate='tanh')", () => {
    const { y, dx } = valueAndDx((x) => x.gelu({ approximate: 'tanh' }), fx.gelu_tanh.x);
    expectAllClose(y, fx.gelu_tanh.y, { rtol: 1e-14, atol: 1e-15, what: 'gelu tanh' });
    expectAllClose(dx, fx.gelu_tanh.dx, { rtol: 1e-13, atol: 1e-14, what: "gelu tanh'" });
  });

  it('rejects an unknown approximation, naming the op and the value', () => {
    expect(() => pg.gelu(f64([1]), { approximate: 'erf' as any })).toThrow(/gelu: approximate must be 'none' or 'tanh', got "erf"/);
  });

  it('the GELU module defaults to exact and takes {approximate}', () => {
    const x = f64([-1, 0.5, 2]);
    expect(Array.from(new pg.nn.GELU().forward(x).dataSync())).toEqual(Array.from(x.gelu().dataSync()));
    expect(Array.from(new pg.nn.GELU({ approximate: 'tanh' }).forward(x).dataSync())).toEqual(Array.from(x.gelu({ approximate: 'tanh' }).dataSync()));
  });
});
