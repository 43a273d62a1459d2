// The registry of backends and the default device.
import type { Backend, Device } from './backend.js';

const backends = new Map<Device, Backend>();
let defaultDevice: Device = 'cpu';

/** Makes `b` the backend of device `b.device` (replacing one registered under that name). */
export function registerBackend(b: Backend): void {
  backends.set(b.device, b);
}

/** Removes a device registered by registerBackend (not 'cpu'); tensors on it must be gone first. */
export function unregisterBackend(device: Device): void {
  if (device === 'cpu') throw new Error("unregisterBackend: the 'cpu' backend cannot be removed");
  if (defaultDevice === device) defaultDevice = 'cpu';
  backends.delete(device);
}

export function getBackend(device: Device): Backend {
  const b = backends.get(device);
  if (!b) {
    if (device === 'webgpu') throw new Error("device 'webgpu' is not initialised: call `await pg.initWebGPU()` first");
    throw new Error(`unknown device '${device}' (registered: ${[...backends.keys()].join(', ')})`);
  }
  return b;
}

export function hasBackend(device: Device): boolean {
  return backends.has(device);
}

/** The registered devices, 'cpu' first. */
export function devices(): Device[] {
  return [...backends.keys()];
}

export function setDefaultDevice(device: Device): void {
  getBackend(device);
  defaultDevice = device;
}

export function getDefaultDevice(): Device {
  return defaultDevice;
}
