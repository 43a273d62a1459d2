// Reference numbers recorded from PyTorch by test/fixtures/torch/make_fixtures.py (float64, CPU).
import { readFileSync } from 'node:fs';

/** A JSON fixture from test/fixtures/torch/. */
export function torchFixture<T = any>(name: string): T {
  return JSON.parse(readFileSync(new URL(`../fixtures/torch/${name}`, import.meta.url), 'utf8')) as T;
}

/** Raw bytes of a fixture file (safetensors). */
export function torchFixtureBytes(name: string): Uint8Array {
  return new Uint8Array(readFileSync(new URL(`../fixtures/torch/${name}`, import.meta.url)));
}

/** Throws, naming the first element outside |got - want| <= atol + rtol |want|. */
export function expectAllClose(got: ArrayLike<number>, want: ArrayLike<number>, opts: { rtol?: number; atol?: number; what?: string } = {}): void {
  const rtol = opts.rtol ?? 1e-13, atol = opts.atol ?? 1e-13;
  if (got.length !== want.length) throw new Error(`${opts.what ?? 'values'}: got ${got.length} values, want ${want.length}`);
  for (let i = 0; i < want.length; i++) {
    const ok = Math.abs(got[i] - want[i]) <= atol + rtol * Math.abs(want[i]) || (Number.isNaN(got[i]) && Number.isNaN(want[i]));
    if (!ok) throw new Error(`${opts.what ?? 'values'}: element ${i}: got ${got[i]}, want ${want[i]} (rtol ${rtol}, atol ${atol})`);
  }
}
