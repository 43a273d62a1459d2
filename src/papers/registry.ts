/**
 * Every registered experiment, in report order. `npm run reproduce` runs these; worker threads
 * import this same list (from the bundled CLI) to find the experiment of their job.
 * To add a paper: export its Experiment from src/papers/<paper>/experiment.ts (the method itself lives
 * in index.ts, so other papers can import it without the experiment) and list it here.
 */
import type { Experiment } from '../experiment/index.js';
import { example } from './example/experiment.js';
import { dera } from './dera/experiment.js';
import { iteratedLearning } from './iterated-learning/experiment.js';
import { oaif } from './oaif/experiment.js';
import { lpntkExperiment } from './lpntk/experiment.js';
import { headProbing } from './head-probing/experiment.js';
import { filterKd } from './filter-kd/experiment.js';
import { levelSampling } from './level-sampling/experiment.js';
import { multiAgent } from './multi-agent/experiment.js';
import { transda } from './transda/experiment.js';

export const experiments: readonly Experiment[] = [example, dera, iteratedLearning, oaif, lpntkExperiment, headProbing, filterKd, levelSampling, multiAgent, transda];
