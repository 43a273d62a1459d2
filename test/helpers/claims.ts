// Reading an experiment's claim checks in the paper tests.
import { expect } from 'vitest';

/** The check named `name`; fails the test (naming the claim) when the run did not check it. */
export function claimNamed<C extends { name: string }>(claims: readonly C[], name: string): C {
  const c = claims.find((x) => x.name === name);
  expect(c, `claim ${name} missing`).toBeDefined();
  return c!;
}

/** Asserts that a run checked exactly the claims its experiment declares. */
export function expectSameClaims(checked: readonly { name: string }[], declared: readonly { name: string }[]): void {
  expect(checked.map((c) => c.name).sort()).toEqual(declared.map((c) => c.name).sort());
}
