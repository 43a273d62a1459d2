// Which backend serves the 'cpu' device, and the precision it runs in.
import type { Backend, PrecisionMode } from '../backend.js';
import { getBackend } from '../devices.js';
import { CpuBackend } from '../cpu/backend.js';
import { wasmAvailable, wasmUnavailableReason } from './emit.js';
import { WasmBackend } from './backend.js';

let said = false;

/**
 * The backend for the 'cpu' device: the wasm backend where WebAssembly SIMD compiles, otherwise
 * the pure-JS backend (said once on the console, with the reason; nothing fails).
 */
export function cpuDeviceBackend(): Backend {
  if (wasmAvailable()) return new WasmBackend('cpu');
  if (!said) {
    said = true;
    globalThis.console?.info?.(`papergrad: WebAssembly is not available (${wasmUnavailableReason()}); the CPU runs papergrad's pure-JS kernels (same results, slower)`);
  }
  return new CpuBackend('cpu');
}

export interface CpuInfo {
  /** 'wasm': kernels emitted as WebAssembly; 'js': the pure-JS kernels. */
  kernels: 'wasm' | 'js';
  /** The precision mode the 'cpu' device runs in. */
  precision: PrecisionMode;
  /** Why the kernels are 'js', when they are. */
  reason?: string;
}

/** What serves the 'cpu' device. */
export function cpuInfo(): CpuInfo {
  const b = getBackend('cpu');
  if (b instanceof WasmBackend) return { kernels: 'wasm', precision: b.precision };
  return { kernels: 'js', precision: 'reference', reason: wasmUnavailableReason() || undefined };
}

/**
 * The precision of the 'cpu' device: 'reference' (the default: the pure-JS backend's bits) or
 * 'fast' (float32 matmul accumulates in float32: deterministic, within each op's tolerance).
 * Returns the mode in effect: the pure-JS kernels have only 'reference'.
 */
export function setCpuPrecision(mode: PrecisionMode): PrecisionMode {
  if (mode !== 'reference' && mode !== 'fast') throw new Error(`setCpuPrecision: expected 'reference' or 'fast', got ${JSON.stringify(mode)}`);
  const b = getBackend('cpu');
  if (b instanceof WasmBackend) b.precision = mode;
  return cpuInfo().precision;
}
