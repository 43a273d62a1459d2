import { defineConfig } from 'vitest/config';

// CI runs on a 2-core machine: generous timeouts (no test asserts wall-clock time).
export default defineConfig({
  test: {
    testTimeout: 120_000,
    hookTimeout: 120_000,
    include: ['test/**/*.test.ts', 'packages/*/test/**/*.test.ts'],
    // Memory tests call gc() so that garbage left by earlier tests is finalized before they count.
    poolOptions: { forks: { execArgv: ['--expose-gc'] }, threads: { execArgv: ['--expose-gc'] } },
  },
});
