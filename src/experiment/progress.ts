/**
 * Progress display for long runs. On a terminal: one updating line per running job (bar,
 * percentage, elapsed time, ETA, message) under a summary line, redrawn in place; text logged
 * meanwhile is printed above the bars. Otherwise (a pipe, a CI log): plain lines such as
 * `[example seed=0] 40% step 240/600`, at most one per 10% of a job or per few seconds.
 */

export interface OutStream {
  write(s: string): unknown;
  isTTY?: boolean;
  columns?: number;
}

export interface Progress {
  /** A job starts; `label` is shown in front of its bar, e.g. "example seed=0". */
  start(id: string, label: string): void;
  update(id: string, fraction: number, message?: string): void;
  end(id: string, status: 'ok' | 'failed', summary?: string): void;
  /** Print text (a finished report, an error) without tearing the bars. */
  log(text: string): void;
  /** Stop redrawing; leaves the terminal on a fresh line. */
  close(): void;
}

export interface ProgressOptions {
  /** Default: stream.isTTY. */
  tty?: boolean;
  /** Total number of jobs, for the summary line. */
  total?: number;
  /** Clock in ms (tests). */
  now?: () => number;
  /** Minimum ms between two redraws on a terminal (default 100). */
  redrawMs?: number;
}

/** 5s, 1m05s, 2h03m. */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '?';
  const s = Math.round(seconds);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}

/** Remaining time by linear extrapolation; undefined until there is enough to go on. */
export function estimateRemaining(elapsedSeconds: number, fraction: number): number | undefined {
  if (!(fraction > 0.01) || !(elapsedSeconds > 0.5)) return undefined;
  if (fraction >= 1) return 0;
  return (elapsedSeconds * (1 - fraction)) / fraction;
}

/** A bar of `width` cells for fraction in [0, 1]. */
export function bar(fraction: number, width: number): string {
  const f = Math.min(1, Math.max(0, Number.isFinite(fraction) ? fraction : 0));
  const full = Math.floor(f * width);
  return '█'.repeat(full) + '░'.repeat(width - full);
}

interface Job {
  label: string;
  t0: number;
  fraction: number;
  message: string;
  // plain mode
  lastBucket: number;
  lastPrint: number;
  lastMessage: string;
}

/** Cuts s to n display cells (treating every code point as one cell). */
function clip(s: string, n: number): string {
  const cps = [...s];
  return cps.length <= n ? s : cps.slice(0, Math.max(0, n - 1)).join('') + '…';
}

export function createProgress(stream: OutStream, opts: ProgressOptions = {}): Progress {
  const tty = opts.tty ?? !!stream.isTTY;
  const now = opts.now ?? (() => performance.now());
  const redrawMs = opts.redrawMs ?? 100;
  const jobs = new Map<string, Job>();
  let done = 0;
  let failed = 0;
  let drawn = 0; // lines of the bar area currently on screen
  let lastDraw = -Infinity;
  let timer: ReturnType<typeof setTimeout> | null = null;
  let closed = false;

  // Lines must not wrap, or moving the cursor up over them would miss; unknown width: 100.
  const width = (): number => (stream.columns && stream.columns >= 20 ? stream.columns - 1 : 99);

  const line = (j: Job): string => {
    const elapsed = (now() - j.t0) / 1000;
    const eta = estimateRemaining(elapsed, j.fraction);
    const pct = `${Math.floor(j.fraction * 100)}%`.padStart(4);
    const text = `[${j.label}] ${bar(j.fraction, 20)} ${pct} ${formatDuration(elapsed)}${eta === undefined ? '' : ` eta ${formatDuration(eta)}`}${j.message ? `  ${j.message}` : ''}`;
    return clip(text, width());
  };

  const clear = (): void => {
    if (drawn > 0) stream.write(`\x1b[${drawn}F\x1b[J`); // to the start of the area, erase below
    drawn = 0;
  };

  const draw = (): void => {
    if (!tty || closed) return;
    lastDraw = now();
    const lines: string[] = [];
    const total = opts.total ?? done + jobs.size;
    lines.push(clip(`jobs: ${done}/${total} done${failed ? ` (${failed} failed)` : ''}, ${jobs.size} running`, width()));
    for (const j of jobs.values()) lines.push(line(j));
    clear();
    stream.write(lines.join('\n') + '\n');
    drawn = lines.length;
  };

  const schedule = (): void => {
    if (!tty || closed) return;
    const wait = redrawMs - (now() - lastDraw);
    if (wait <= 0) {
      draw();
      return;
    }
    if (timer) return;
    timer = setTimeout(() => {
      timer = null;
      draw();
    }, wait);
    (timer as { unref?: () => void }).unref?.();
  };

  const plain = (j: Job, text: string): void => {
    stream.write(`[${j.label}] ${text}\n`);
    j.lastPrint = now();
  };

  return {
    start(id, label) {
      const j: Job = { label, t0: now(), fraction: 0, message: '', lastBucket: 0, lastPrint: now(), lastMessage: '' };
      jobs.set(id, j);
      if (tty) draw();
      else plain(j, 'started');
    },
    update(id, fraction, message) {
      const j = jobs.get(id);
      if (!j) return;
      j.fraction = Math.min(1, Math.max(0, Number.isFinite(fraction) ? fraction : 0));
      if (message !== undefined) j.message = message;
      if (tty) {
        schedule();
        return;
      }
      const bucket = Math.floor(j.fraction * 10);
      const t = now();
      // A new 10% step, or a new message after 5 s of silence.
      if (bucket > j.lastBucket || (j.message !== j.lastMessage && t - j.lastPrint >= 5000)) {
        j.lastBucket = Math.max(j.lastBucket, bucket);
        j.lastMessage = j.message;
        plain(j, `${Math.floor(j.fraction * 100)}%${j.message ? ` ${j.message}` : ''}`);
      }
    },
    end(id, status, summary) {
      const j = jobs.get(id);
      if (!j) return;
      jobs.delete(id);
      done++;
      if (status === 'failed') failed++;
      const text = `${status === 'ok' ? 'done' : 'FAILED'} in ${formatDuration((now() - j.t0) / 1000)}${summary ? ` ${summary}` : ''}`;
      if (tty) {
        clear();
        stream.write(`[${j.label}] ${text}\n`);
        draw();
      } else plain(j, text);
    },
    log(text) {
      if (tty) clear();
      stream.write(text.endsWith('\n') ? text : text + '\n');
      if (tty && jobs.size) draw();
    },
    close() {
      if (timer) clearTimeout(timer);
      timer = null;
      if (tty) clear();
      closed = true;
    },
  };
}
