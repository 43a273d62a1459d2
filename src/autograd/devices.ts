// The registry of backends and the default device.
import type { Backend, Device } from './backend.js';

const backends = new Map<Device, Backend>();
let defaultDevice: Device = 'cpu';

export function registerBackend(b: Backend): void {
  backends.set(b.device, b);
}

export function getBackend(device: Device): Backend {
  const b = backends.get(device);
  if (!b) {
    if (device === 'webgpu') throw new Error("device 'webgpu' is not initialised: call `await pg.initWebGPU()` first");
    throw new Error(`unknown device '${device}' (expected 'cpu' or 'webgpu')`);
  }
  return b;
}

export function hasBackend(device: Device): boolean {
  return backends.has(device);
}

export function setDefaultDevice(device: Device): void {
  getBackend(device);
  defaultDevice = device;
}

export function getDefaultDevice(): Device {
  return defaultDevice;
}
