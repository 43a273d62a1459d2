/// <reference types="@webgpu/types" />
// Public entry points of the WebGPU backend: initWebGPU, flush, WebGPUError.
import { getBackend, hasBackend, registerBackend } from '../devices.js';
import { openDevice, WebGPUError, type DeviceInfo } from './device.js';
import { WebGPUBackend } from './backend.js';

export { WebGPUError };
export type { DeviceInfo };
export type InitResult = { ok: true; info: DeviceInfo } | { ok: false; reason: string };

let current: WebGPUBackend | null = null;
let opening: Promise<InitResult> | null = null;

/**
 * Opens the GPU (default `navigator.gpu`; in Node pass `create([])` from the `webgpu` package) and
 * registers the 'webgpu' device. Never throws: without an adapter it warns once and returns
 * {ok: false, reason}, and the CPU keeps working. After a device loss it opens a new device.
 */
export function initWebGPU(gpu?: GPU): Promise<InitResult> {
  if (current && current.errors.lost === null) return Promise.resolve({ ok: true, info: current.info });
  opening ??= open(gpu).finally(() => { opening = null; });
  return opening;
}

async function open(gpu?: GPU): Promise<InitResult> {
  const g = gpu ?? (globalThis as { navigator?: { gpu?: GPU } }).navigator?.gpu;
  let reason: string;
  if (!g) reason = 'navigator.gpu is undefined (no WebGPU in this environment)';
  else {
    try {
      const { device, info, keepAlive } = await openDevice(g);
      current = new WebGPUBackend(device, info, keepAlive);
      registerBackend(current);
      return { ok: true, info };
    } catch (e) {
      reason = (e as Error).message;
    }
  }
  console.warn(`papergrad: WebGPU unavailable (${reason}); tensors stay on the CPU`);
  return { ok: false, reason };
}

/** Submits the GPU work queued so far (readbacks do this themselves). A no-op without WebGPU. */
export function flush(): void {
  if (hasBackend('webgpu')) getBackend('webgpu').flush?.();
}

/** The live WebGPU backend (for tests and benchmarks: pool and queue statistics, sync). */
export function webgpuBackend(): WebGPUBackend | null {
  return current;
}
