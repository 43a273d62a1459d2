/**
 * The experiment layer, Node-only part: the job runner (worker threads), the files it writes and
 * the terminal progress display. Re-exports the browser-safe part too.
 */
export * from './index.js';
export * from './runner.js';
export * from './files.js';
export * from './outdir.js';
export * from './progress.js';
