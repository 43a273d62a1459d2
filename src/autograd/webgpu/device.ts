/// <reference types="@webgpu/types" />
// The WebGPU device: acquisition, limits, and the errors that surface from it.
// WebGPU reports most failures asynchronously (error scopes, device.lost); this module collects
// them so that the next operation or readback throws one named error instead of hanging.

export type WebGPUErrorKind = 'device-lost' | 'out-of-memory' | 'validation' | 'internal' | 'index';

/** Every failure of the WebGPU backend (device loss, out of memory, a rejected shader, a bad index). */
export class WebGPUError extends Error {
  override readonly name = 'WebGPUError';
  readonly kind: WebGPUErrorKind;
  constructor(kind: WebGPUErrorKind, message: string) {
    super(`WebGPU ${kind}: ${message}`);
    this.kind = kind;
  }
}

export interface DeviceInfo {
  vendor: string;
  architecture: string;
  device: string;
  description: string;
  /** True for a software adapter (lavapipe, SwiftShader): correct, not fast. */
  fallback: boolean;
  limits: { maxBufferSize: number; maxStorageBufferBindingSize: number; maxComputeWorkgroupStorageSize: number; maxComputeInvocationsPerWorkgroup: number };
}

/** Errors reported after the call that caused them; thrown by the next operation or readback. */
export class ErrorSink {
  private first: WebGPUError | null = null;
  private pending: Promise<unknown>[] = [];
  lost: string | null = null;

  report(e: WebGPUError): void {
    // Keep the first error, unless it only says that something failed earlier (then the root cause wins).
    if (!this.first || /due to a previous error/.test(this.first.message)) this.first = e;
  }

  /** Watches an error scope opened around a call (popped here). */
  watch(device: GPUDevice, kind: WebGPUErrorKind, what: () => string, detail?: () => Promise<string>): void {
    const p = device.popErrorScope().then(
      async (err) => {
        if (!err) return;
        const more = detail ? await detail().catch(() => '') : '';
        this.report(new WebGPUError(kind, `${what()}: ${more || err.message}`));
      },
      () => undefined, // the scope cannot be popped once the device is lost; device.lost reports that
    );
    this.pending.push(p);
    if (this.pending.length > 64) this.pending = this.pending.slice(-64);
  }

  /** Throws the first reported error, if any (the sink then clears, so one failure throws once). */
  throwIfAny(): void {
    if (this.lost !== null) throw new WebGPUError('device-lost', this.lost);
    const e = this.first;
    if (e) {
      this.first = null;
      throw e;
    }
  }

  /** Waits for the error scopes opened so far, then throws what they found. */
  async settle(): Promise<void> {
    const p = this.pending;
    this.pending = [];
    await Promise.all(p);
    this.throwIfAny();
  }
}

/** Requests the adapter and a device with the adapter's larger limits. */
export async function openDevice(gpu: GPU): Promise<{ device: GPUDevice; info: DeviceInfo; keepAlive: unknown[] }> {
  const adapter = await gpu.requestAdapter({ powerPreference: 'high-performance' });
  if (!adapter) throw new Error('no WebGPU adapter (requestAdapter returned null)');
  const want = ['maxBufferSize', 'maxStorageBufferBindingSize', 'maxComputeWorkgroupStorageSize',
    'maxComputeInvocationsPerWorkgroup', 'maxComputeWorkgroupSizeX', 'maxStorageBuffersPerShaderStage'] as const;
  const requiredLimits: Record<string, number> = {};
  for (const k of want) requiredLimits[k] = adapter.limits[k];
  const device = await adapter.requestDevice({ requiredLimits });
  const ai = adapter.info ?? ({} as GPUAdapterInfo);
  const info: DeviceInfo = {
    vendor: ai.vendor ?? '',
    architecture: ai.architecture ?? '',
    device: ai.device ?? '',
    description: ai.description ?? '',
    fallback: !!(ai as { isFallbackAdapter?: boolean }).isFallbackAdapter || /llvmpipe|lavapipe|swiftshader/i.test(`${ai.description} ${ai.device} ${ai.architecture}`),
    limits: {
      maxBufferSize: device.limits.maxBufferSize,
      maxStorageBufferBindingSize: device.limits.maxStorageBufferBindingSize,
      maxComputeWorkgroupStorageSize: device.limits.maxComputeWorkgroupStorageSize,
      maxComputeInvocationsPerWorkgroup: device.limits.maxComputeInvocationsPerWorkgroup,
    },
  };
  // Dawn's Node binding tears the instance down when its JS wrapper is garbage-collected, even
  // with a live device; the backend holds on to the GPU object and the adapter for its lifetime.
  return { device, info, keepAlive: [gpu, adapter] };
}
