/**
 * Scales and ticks: "nice" tick values (1, 2, 5 times a power of ten) for linear axes, decades for
 * log axes, tick labels, and the Scale that maps data values to pixels.
 */

function pow10(k: number): number {
  // Division by an exact power of ten gives the correctly rounded decimal (0.001, not 0.0010000000000000002).
  return k >= 0 ? 10 ** k : 1 / 10 ** -k;
}

/**
 * A "nice" step near `raw`: 1, 2 or 5 times a power of ten, chosen by
 * rounding in log space (so 0.3 → 0.2 and 0.4 → 0.5).
 */
export function niceStep(raw: number): number {
  if (!(raw > 0) || !Number.isFinite(raw)) return 1;
  const exp = Math.floor(Math.log10(raw));
  const frac = raw / pow10(exp);
  const nice = frac < 1.5 ? 1 : frac < 3 ? 2 : frac < 7 ? 5 : 10;
  return nice === 10 ? pow10(exp + 1) : nice * pow10(exp);
}

/** Decimal digits needed to print multiples of `step` exactly. */
function decimalsFor(step: number): number {
  let d = 0;
  while (d < 20) {
    const s = step * 10 ** d;
    if (Math.abs(s - Math.round(s)) <= 1e-9 * Math.max(1, s)) break;
    d++;
  }
  return d;
}

/**
 * Ticks at multiples of a nice step that enclose [lo, hi] (the first tick is
 * <= lo and the last >= hi), about `target` intervals. A degenerate or
 * non-finite range is widened so an axis can always be drawn.
 */
export function niceTicks(lo: number, hi: number, target = 5): number[] {
  if (!Number.isFinite(lo) || !Number.isFinite(hi)) [lo, hi] = [0, 1];
  if (lo > hi) [lo, hi] = [hi, lo];
  const mid = (lo + hi) / 2;
  if (hi - lo <= Math.abs(mid) * 1e-9 || hi === lo) {
    const d = mid === 0 ? 1 : Math.abs(mid) * 0.1;
    lo = mid - d;
    hi = mid + d;
  }
  const n = Math.max(1, Math.round(target));
  const step = niceStep(hi / n - lo / n); // divided first so ±1e308 spans do not overflow
  const exp = Math.floor(Math.log10(step) + 1e-9);
  const start = Math.floor(lo / step + 1e-9);
  const end = Math.ceil(hi / step - 1e-9);
  const ticks: number[] = [];
  for (let i = start; i <= end && ticks.length < 1000; i++) {
    // i*step accumulates binary error (3*0.1 = 0.30000000000000004); going
    // through the integer multiple of the mantissa and an exact power of ten does not.
    const v = exp < 0 && exp > -300 ? (i * Math.round(step * pow10(-exp))) / pow10(-exp) : i * step;
    // Near ±1.8e308 the enclosing tick can overflow; such a tick is dropped.
    if (Number.isFinite(v)) ticks.push(v === 0 ? 0 : v);
  }
  return ticks.length >= 2 ? ticks : [lo, hi];
}

/** Decade ticks for a log axis enclosing [lo, hi] (both > 0); 2× and 5× added for short ranges. */
export function logTicks(lo: number, hi: number): number[] {
  if (!(lo > 0) || !Number.isFinite(lo)) lo = 1;
  if (!(hi > 0) || !Number.isFinite(hi)) hi = 10;
  if (lo > hi) [lo, hi] = [hi, lo];
  let k0 = Math.floor(Math.log10(lo) + 1e-9);
  let k1 = Math.ceil(Math.log10(hi) - 1e-9);
  if (k1 <= k0) k1 = k0 + 1;
  const decades = k1 - k0;
  if (decades > 10) {
    // Keep about 8 labels: step by whole decades, aligned to a multiple of the step.
    const s = Math.ceil(decades / 8);
    k0 = Math.floor(k0 / s) * s;
    k1 = Math.ceil(k1 / s) * s;
    const out: number[] = [];
    for (let k = k0; k <= k1; k += s) out.push(pow10(k));
    return out;
  }
  const out: number[] = [];
  for (let k = k0; k <= k1; k++) {
    out.push(pow10(k));
    if (decades <= 2 && k < k1) out.push(2 * pow10(k), 5 * pow10(k));
  }
  return out;
}

/** Label for a tick value; `step` decides how many decimals a linear axis needs. */
export function formatTick(v: number, step?: number): string {
  if (!Number.isFinite(v)) return String(v);
  if (v === 0) return '0';
  const a = Math.abs(v);
  if (a >= 1e6 || a < 1e-3) {
    // Short scientific form: 1e-4, 2.5e6.
    return Number(v.toPrecision(6)).toExponential().replace('e+', 'e');
  }
  if (step === undefined) return String(Number(v.toPrecision(6)));
  return v.toFixed(Math.min(20, decimalsFor(step)));
}

export interface Scale {
  log: boolean;
  d0: number;
  d1: number;
  p0: number;
  p1: number;
  ticks: number[];
  labels: string[];
  map(v: number): number;
  valid(v: number): boolean;
}

export function makeScale(values: number[], log: boolean, p0: number, p1: number, target: number, includeZero = false): Scale {
  let lo = Infinity;
  let hi = -Infinity;
  for (const v of values) {
    if (!Number.isFinite(v) || (log && v <= 0)) continue;
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  if (includeZero && !log && lo <= hi) {
    lo = Math.min(lo, 0);
    hi = Math.max(hi, 0);
  }
  let ticks: number[];
  let labels: string[];
  if (log) {
    ticks = lo <= hi ? logTicks(lo, hi) : logTicks(1, 10);
    labels = ticks.map((t) => formatTick(t));
  } else {
    ticks = lo <= hi ? niceTicks(lo, hi, target) : niceTicks(0, 1, target);
    const step = ticks.length > 1 ? Math.abs(ticks[1]! - ticks[0]!) : 1;
    labels = ticks.map((t) => formatTick(t, step));
  }
  const d0 = ticks[0]!;
  const d1 = ticks[ticks.length - 1]!;
  const t0 = log ? Math.log10(d0) : d0;
  const t1 = log ? Math.log10(d1) : d1;
  const span = t1 - t0 || 1;
  return {
    log,
    d0,
    d1,
    p0,
    p1,
    ticks,
    labels,
    map: (v) => p0 + (((log ? Math.log10(v) : v) - t0) / span) * (p1 - p0),
    valid: (v) => Number.isFinite(v) && (!log || v > 0),
  };
}
