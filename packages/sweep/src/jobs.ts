/**
 * What travels through the queue: a job names a registered experiment, a seed, a mode and a device
 * (plain data, checked by the worker; no code), and its answer is that seed's result as JSON.
 */
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { NAME_RE, type DeviceName, type Mode, type SeedRun } from '../../../src/experiment/node.js';

/** One queue per device: a worker started with --device webgpu takes only the WebGPU jobs. */
export const queueName = (device: DeviceName): string => `papergrad-${device}`;

/** Tries of a job that throws (the first run and two retries), one second apart. */
export const DEFAULT_ATTEMPTS = 3;
export const RETRY_DELAY_MS = 1000;
/** How long finished jobs (and their results) stay on the queue for later sweeps to reuse. */
export const KEEP_SECONDS = 30 * 24 * 3600;

export interface JobData {
  experiment: string;
  seed: number;
  /** All seeds of the sweep that enqueued the job (what Experiment.run gets as `seeds`). */
  seeds: number[];
  mode: Mode;
  device: DeviceName;
  /** codeVersion() of the enqueuing side: a worker with other code puts the job back. */
  code: string;
}

export const OUTPUT_SCHEMA = 'papergrad.sweep-job/1';

/** A finished job's return value, stored on the queue as toJson() text (so NaN and ±Infinity survive). */
export interface JobOutput {
  schema: typeof OUTPUT_SCHEMA;
  run: SeedRun;
  worker: string;
  code: string;
}

/**
 * The job's id: the same (code, experiment, mode, device, seed) always gives the same id, so
 * enqueuing a sweep twice adds nothing, and a finished job's result is reused rather than rerun.
 * BullMQ ids may not contain ':'.
 */
export const jobId = (j: Pick<JobData, 'code' | 'experiment' | 'mode' | 'device' | 'seed'>): string =>
  `papergrad.${j.code}.${j.experiment}.${j.mode}.${j.device}.${j.seed}`;

/** The repository's root (this file is packages/sweep/src/jobs.ts, or a bundle in packages/sweep/.tmp/). */
export const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));

let cachedVersion: string | undefined;

/**
 * A hash of papergrad's sources (every .ts file under src/, line endings normalized): the same on
 * every machine that has the same checkout. It is part of each job's id, so results computed by
 * other code are never reused, and workers refuse jobs enqueued from other code.
 */
export function codeVersion(root = REPO_ROOT): string {
  if (cachedVersion !== undefined && root === REPO_ROOT) return cachedVersion;
  const files: string[] = [];
  const walk = (dir: string, rel: string): void => {
    for (const d of readdirSync(dir, { withFileTypes: true })) {
      if (d.name.startsWith('.')) continue;
      if (d.isDirectory()) walk(join(dir, d.name), `${rel}${d.name}/`);
      else if (d.isFile() && d.name.endsWith('.ts')) files.push(`${rel}${d.name}`);
    }
  };
  walk(join(root, 'src'), 'src/');
  files.sort();
  const h = createHash('sha256');
  for (const f of files) h.update(f).update('\0').update(readFileSync(join(root, f), 'utf8').replace(/\r\n/g, '\n')).update('\0');
  const v = h.digest('hex').slice(0, 12);
  if (root === REPO_ROOT) cachedVersion = v;
  return v;
}

/** The job's data if it is well-formed, else a description of what is wrong (a worker never trusts the queue). */
export function checkJobData(d: unknown): JobData | string {
  if (typeof d !== 'object' || d === null) return 'the job carries no data object';
  const o = d as Record<string, unknown>;
  const isSeed = (x: unknown): x is number => typeof x === 'number' && Number.isSafeInteger(x) && x >= 0;
  if (typeof o['experiment'] !== 'string' || !NAME_RE.test(o['experiment'])) return `bad experiment name ${JSON.stringify(o['experiment'])}`;
  if (!isSeed(o['seed'])) return `bad seed ${JSON.stringify(o['seed'])}`;
  if (!Array.isArray(o['seeds']) || !o['seeds'].every(isSeed)) return 'bad seeds list';
  if (o['mode'] !== 'quick' && o['mode'] !== 'full') return `bad mode ${JSON.stringify(o['mode'])}`;
  if (o['device'] !== 'cpu' && o['device'] !== 'webgpu') return `bad device ${JSON.stringify(o['device'])}`;
  if (typeof o['code'] !== 'string') return 'no code version';
  return { experiment: o['experiment'], seed: o['seed'], seeds: o['seeds'] as number[], mode: o['mode'], device: o['device'], code: o['code'] };
}

/** An Error whose stack is the experiment's error text (what BullMQ keeps as the job's stack trace). */
export function jobError(text: string): Error {
  const e = new Error(text.split('\n')[0]!);
  e.stack = text;
  return e;
}
