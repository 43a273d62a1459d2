/**
 * Entry point of `npm run sweep-worker -- --queue URL [--device webgpu] [--concurrency n]`
 * (bundled by scripts/run-ts.mjs into packages/sweep/.tmp/, bullmq left to node_modules). The
 * same bundle is the script of each job's worker thread, which runs the job by name from
 * papergrad's registry (src/papers/registry.ts).
 */
import { isMainThread } from 'node:worker_threads';
import { isExperimentWorker, workerMain } from '../../../src/experiment/node.js';
import { experiments } from '../../../src/papers/registry.js';
import { workerCli, type RunningWorker } from './worker.js';

if (isExperimentWorker()) {
  await workerMain(experiments);
} else if (isMainThread) {
  process.exitCode = await workerCli(process.argv.slice(2), {
    registry: experiments,
    workerScript: new URL(import.meta.url),
    onStarted: stopOnSignals,
  });
}

/** First SIGINT / SIGTERM: finish the running jobs, take no more; a second one: stop at once. */
function stopOnSignals(w: RunningWorker): void {
  let asked = false;
  const onSignal = (sig: NodeJS.Signals): void => {
    if (asked) {
      process.stderr.write(`\nsweep-worker ${w.name}: stopping now; its running jobs go back on the queue once their locks expire\n`);
      process.exit(130);
    }
    asked = true;
    process.stderr.write(`\nsweep-worker ${w.name}: ${sig}: finishing the running jobs, taking no more (${sig} again to stop at once)\n`);
    void w.close(false);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
}
