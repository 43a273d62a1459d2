// The sweep-worker of the tests: papergrad's registry plus the test-only experiments
// (./experiments.ts); otherwise the same as src/sweep-worker.ts.
import { isMainThread } from 'node:worker_threads';
import { isExperimentWorker, workerMain } from '../../../src/experiment/node.js';
import { experiments } from '../../../src/papers/registry.js';
import { workerCli } from '../src/worker.js';
import { testExperiments } from './experiments.js';

const registry = [...experiments, ...testExperiments];
if (isExperimentWorker()) {
  await workerMain(registry);
} else if (isMainThread) {
  process.exitCode = await workerCli(process.argv.slice(2), {
    registry,
    workerScript: new URL(import.meta.url),
    onStarted: (w) => process.once('SIGTERM', () => void w.close(true)),
  });
}
