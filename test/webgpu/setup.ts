// Opens WebGPU for the tests: Node's Dawn binding (`webgpu` package) on whatever adapter the
// machine has (lavapipe on CPU-only CI). Without one, tests skip and say why in one visible line.
import * as pg from '../../src/index.js';

export interface GpuSetup {
  ok: boolean;
  reason: string;
  /** A software adapter (lavapipe): exact IEEE behaviour, no FMA contraction, slow. */
  fallback: boolean;
  limits: { maxStorageBufferBindingSize: number; maxBufferSize: number };
}

let setup: Promise<GpuSetup> | null = null;

export function setupWebGPU(): Promise<GpuSetup> {
  setup ??= (async () => {
    let reason = '';
    try {
      const { create, globals } = await import('webgpu');
      Object.assign(globalThis, globals);
      const res = await pg.initWebGPU(create([]));
      if (res.ok) return { ok: true, reason: '', fallback: res.info.fallback, limits: res.info.limits };
      reason = res.reason;
    } catch (e) {
      reason = `the 'webgpu' package did not load: ${(e as Error).message}`;
    }
    console.log(`WebGPU: skipped (${reason})`);
    return { ok: false, reason, fallback: false, limits: { maxStorageBufferBindingSize: 0, maxBufferSize: 0 } };
  })();
  return setup;
}
