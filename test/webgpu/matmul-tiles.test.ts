// Every tiled WGSL matmul kernel (MATMUL_TILES, forced with setMatmulTile) against the CPU: ragged
// sizes, all three operand load modes (scalar, vec4 along k, vec4 along m/n), batches and split K.
import { afterAll, describe, expect, it } from 'vitest';
import * as pg from '../../src/index.js';
import { MATMUL_TILES, setMatmulTile } from '../../src/autograd/webgpu/kernels/matmul.js';
import { compare } from '../helpers/optable.js';
import { setupWebGPU } from './setup.js';

const gpu = await setupWebGPU();
afterAll(() => setMatmulTile(null));

/** [name, a, b] on the CPU; each product is also run on WebGPU and compared. */
function cases(g: pg.Generator): [string, pg.Tensor, pg.Tensor][] {
  const r = (shape: number[]) => pg.randn(shape, { generator: g });
  return [
    ['ragged 37x29 @ 29x41 (scalar loads)', r([37, 29]), r([29, 41])],
    ['130x64 @ 64x136 (vec4 along k for a, along n for b)', r([130, 64]), r([64, 136])],
    ['a^T, b^T: 132x40 @ 40x68 (vec4 along m for a, along k for b)', r([40, 132]).T, r([68, 40]).T],
    ['batched + broadcast 3x2x20x12 @ 12x28', r([3, 2, 20, 12]), r([12, 28])],
    ['split K: 40x1024 @ 1024x48', r([40, 1024]), r([1024, 48])],
  ];
}

describe.skipIf(!gpu.ok)('WebGPU matmul tiles', () => {
  for (const tile of Object.keys(MATMUL_TILES)) {
    it(`${tile} agrees with the CPU to 1e-5 (relative to the largest output)`, async () => {
      setMatmulTile(tile);
      for (const [name, a, b] of cases(new pg.Generator(5))) {
        const want = a.matmul(b).dataSync();
        const got = await a.to('webgpu').matmul(b.to('webgpu')).data();
        const m = compare(got, want, true, { rel: 1e-5 });
        expect(m.failure, `${tile}, ${name}`).toBeNull();
      }
      setMatmulTile(null);
    });
  }
  it('rejects an unknown tile name', () => {
    expect(() => setMatmulTile('t999')).toThrow(/unknown tile 't999'.*t128v/);
  });
});
