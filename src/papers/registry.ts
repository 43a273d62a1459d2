/**
 * Every registered experiment, in report order. `npm run reproduce` runs these; worker threads
 * import this same list (from the bundled CLI) to find the experiment of their job.
 * To add a paper: export an Experiment from src/papers/<paper>/index.ts and list it here.
 */
import type { Experiment } from '../nn/experiment.js';
import { example } from './example/index.js';

export const experiments: readonly Experiment[] = [example];
