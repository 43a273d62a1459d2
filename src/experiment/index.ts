/**
 * The experiment layer, browser-safe part: the interface a paper implements (types), claim /
 * sanity / finding checks, aggregation over seeds, reports and SVG charts. Papers import from here.
 * The Node-only part (runner, files, progress) is ./node.ts.
 */
export * from './types.js';
export * from './checks.js';
export * from './aggregate.js';
export { aggregateTables, categoricalColumns, DEFAULT_CATEGORICAL, type AggregatedTable, type CellStats } from './aggregate-tables.js';
export { aggregateSeries } from './aggregate-series.js';
export * from './report.js';
export * from './svg.js';
