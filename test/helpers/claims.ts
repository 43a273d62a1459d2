// Reading an experiment's checks (claims, sanity checks, findings) in the paper tests.
import { readFileSync } from 'node:fs';
import { expect } from 'vitest';
import type { Checks, ClaimCheck, Experiment, Result } from '../../src/experiment/index.js';

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

type Declared = Pick<Experiment, 'claims' | 'sanity' | 'findings' | 'aggregate'>;

/**
 * Asserts that a seed's result checks exactly the claims, sanity checks and findings its experiment
 * declares, counting those its aggregate(runs) adds over seeds (called here on this one result).
 */
export function expectSameChecks(result: Result, exp: Declared): void {
  const agg = exp.aggregate?.([{ seed: 0, result }], { mode: 'quick', device: 'cpu', seeds: [0] }) ?? [];
  const extra: Checks = Array.isArray(agg) ? { claims: agg, sanity: [], findings: [] } : { claims: agg.claims ?? [], sanity: agg.sanity ?? [], findings: agg.findings ?? [] };
  expectSameClaims([...result.claims, ...extra.claims], exp.claims);
  expectSameClaims([...(result.sanity ?? []), ...extra.sanity], exp.sanity ?? []);
  expectSameClaims([...(result.findings ?? []), ...extra.findings], exp.findings ?? []);
}

/** A failure message that shows the check's value, comparison and detail. */
export function describeCheck(c: ClaimCheck): string {
  return `${c.name}: ${c.value} ${c.comparison} ${JSON.stringify(c.threshold)} — ${c.detail ?? ''}`;
}

/** Asserts that every claim and every sanity check of a result passes (findings may go either way). */
export function expectChecksPass(result: Result): void {
  for (const c of [...result.claims, ...(result.sanity ?? [])]) expect(c.pass, describeCheck(c)).toBe(true);
  for (const f of result.findings ?? []) expect(Number.isNaN(f.value), `finding ${f.name} was not measured`).toBe(false);
}

/** Asserts that the paper's README names every declared check (its tables come from these names). */
export function expectReadmeNamesChecks(paper: string, exp: Declared): void {
  const readme = readFileSync(new URL(`../../src/papers/${paper}/README.md`, import.meta.url), 'utf8');
  for (const spec of [...exp.claims, ...(exp.sanity ?? []), ...(exp.findings ?? [])]) expect(readme, `README of ${paper} does not name ${spec.name}`).toContain(`\`${spec.name}\``);
}
