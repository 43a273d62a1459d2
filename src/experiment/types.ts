/**
 * The experiment interface: what every paper reproduction implements (Experiment) and what one
 * seed's run returns (Result). Browser-safe: plain types and data, no Node modules.
 */
import type { BarChartOptions, HeatmapOptions, LineSeries, ScatterPlotOptions, SimplexPlotOptions } from './svg.js';


export interface PaperInfo {
  title: string;
  authors: string;
  venue?: string;
  arxiv?: string;
}

/** A claim the experiment sets out to reproduce; its checks (ClaimCheck) carry the same name. */
export interface ClaimSpec {
  name: string;
  description: string;
}

export type Mode = 'quick' | 'full';
export type DeviceName = 'cpu' | 'webgpu';

export interface RunOptions {
  /** The seed of this job: seed every generator from it. */
  seed: number;
  /** All seeds of this invocation (jobs for the other seeds run independently). */
  seeds: number[];
  mode: Mode;
  /** The runner has already made this the default device. */
  device: DeviceName;
  /** Report progress: fraction in [0, 1] of this job, and an optional short status. */
  onProgress(fraction: number, message?: string): void;
}

export interface Table {
  name: string;
  columns: string[];
  rows: (string | number)[][];
  /**
   * Columns that are never averaged over seeds, e.g. a selected hyperparameter: where the seeds
   * differ the cell lists each value with its seeds. Columns named `seed` or `run`, or
   * `best …` / `selected …` / `chosen …` are categorical without being listed; text is never averaged.
   */
  categorical?: string[];
}

interface SeriesBase {
  /** Figure id: unique within the experiment; the file name of its SVG (out/<paper>/<name>.svg). */
  name: string;
  title: string;
  xLabel?: string;
  yLabel?: string;
  /** Shown under the figure in the HTML report (the runner appends what aggregation did). */
  caption?: string;
}

type Sized = { width?: number; height?: number };
export type LineData = { series: LineSeries[]; logX?: boolean; logY?: boolean; legendNote?: string } & Sized;
export type BarData = Pick<BarChartOptions, 'categories' | 'groups' | 'legendNote'> & Sized;
export type HeatmapData = Omit<HeatmapOptions, 'title' | 'xLabel' | 'yLabel'>;
export type ScatterData = Pick<ScatterPlotOptions, 'series' | 'logX' | 'logY' | 'radius' | 'legend' | 'legendNote'> & Sized;
export type SimplexData = Omit<SimplexPlotOptions, 'title'>;
/** A drawing made by the paper's own renderer: one standalone SVG document (no scripts). */
export type SvgData = { svg: string };

export type Series =
  | (SeriesBase & { kind: 'line'; data: LineData })
  | (SeriesBase & { kind: 'bar'; data: BarData })
  | (SeriesBase & { kind: 'heatmap'; data: HeatmapData })
  | (SeriesBase & { kind: 'scatter'; data: ScatterData })
  | (SeriesBase & { kind: 'simplex'; data: SimplexData })
  | (SeriesBase & { kind: 'svg'; data: SvgData });

export type Comparison = '<' | '<=' | '>' | '>=' | 'in';

export interface ClaimCheck {
  name: string;
  value: number;
  /** A number, or for 'in' an inclusive range [lo, hi]. */
  threshold: number | [number, number];
  comparison: Comparison;
  pass: boolean;
  detail?: string;
}

/**
 * What one seed's run returns. Three kinds of checks are kept apart:
 *  - claims: the paper's claims this reproduction reproduces; they decide the exit status;
 *  - sanity: identities and by-construction facts (a sampler equal to its prior, λ = 0 equal to the
 *    reference); they must pass too, but the report never lists them as reproduced claims;
 *  - findings: paper claims this reproduction measures and does NOT reproduce (or not robustly):
 *    the check states the paper's claim as comparison/threshold and records what was measured;
 *    it never fails the run, and the reports say plainly whether it held.
 */
export interface Result {
  tables: Table[];
  series: Series[];
  claims: ClaimCheck[];
  sanity?: ClaimCheck[];
  findings?: ClaimCheck[];
  notes?: string[];
}

/** The three kinds of checks, as the lists of a Result or of Experiment.aggregate's answer. */
export type CheckKind = 'claims' | 'sanity' | 'findings';
export const CHECK_KINDS: readonly CheckKind[] = ['claims', 'sanity', 'findings'];
export type Checks = { [K in CheckKind]: ClaimCheck[] };

export interface SeedRun {
  seed: number;
  seconds: number;
  result?: Result;
  error?: string;
  /** The worker that ran the job when it ran on a queue (packages/sweep), e.g. "host:pid". */
  worker?: string;
}

export interface Experiment {
  /** Short id: letters, digits, '-' and '_' (it names the output folder and the --paper flag). */
  name: string;
  paper: PaperInfo;
  /** The paper's claims (each checked by a ClaimCheck of the same name in Result.claims). */
  claims: ClaimSpec[];
  /** Sanity checks: by-construction facts that must hold (Result.sanity). */
  sanity?: ClaimSpec[];
  /** Paper claims measured here and not reproduced: the description says what the paper claims (Result.findings). */
  findings?: ClaimSpec[];
  /** One or two sentences shown at the top of the report section. */
  summary?: string;
  /**
   * How many seeds (0, 1, …) a run uses when no seeds are asked for, where the mode's default
   * (1 quick, 3 full) is fewer: for claims stated over several seeds, so that the default run
   * checks them as stated.
   */
  defaultSeeds?: number;
  run(options: RunOptions): Promise<Result> | Result;
  /**
   * Optional checks about all seeds together, e.g. on the mean; called once after every seed ran.
   * A plain array is a list of claims; an object may return any of the three kinds.
   */
  aggregate?(runs: { seed: number; result: Result }[], options: { mode: Mode; device: DeviceName; seeds: number[] }): ClaimCheck[] | Partial<Checks>;
}

