/**
 * Hand-written SVG figures and a one-page HTML report, with no dependencies (`pg.figures`).
 *
 * Every chart function returns a standalone `<svg xmlns=...>` string with a viewBox, built only
 * from its inputs: no ids, no random numbers and no dates, so the same data always gives
 * byte-identical output and many figures can be inlined into one HTML page without id clashes.
 * All user text goes through escapeXml; non-finite data points are skipped rather than written
 * as "NaN". One file per chart kind under ./figures/, plus the shared pieces:
 *   text.ts (escaping, number formatting, width estimates), scales.ts (ticks and scales),
 *   axes.ts (frame and axes), legend.ts (palette, markers, legends), labels.ts (label placement),
 *   line.ts, bar.ts, heatmap.ts, scatter.ts, simplex.ts, and html.ts (the report page).
 */
export { escapeXml, formatNumber, textWidth, wrapText } from './figures/text.js';
export { formatTick, logTicks, niceStep, niceTicks } from './figures/scales.js';
export { PALETTE } from './figures/legend.js';
export { linePlot, type LinePlotOptions, type LineSeries } from './figures/line.js';
export { scatterPlot, type ScatterPlotOptions, type ScatterSeries } from './figures/scatter.js';
export { barChart, type BarChartOptions, type BarGroup } from './figures/bar.js';
export { heatmap, sequentialColor, type HeatmapOptions } from './figures/heatmap.js';
export { simplexPlot, type Simplex3, type SimplexPath, type SimplexPlotOptions } from './figures/simplex.js';
export { htmlReport, type HtmlReportOptions, type ReportClaim, type ReportSection } from './figures/html.js';
