// The delta backends the reliability tests (test/fuzz, test/hostile) run on. Every check there is
// backend-parametric: it takes a backend name from this list and compares against tfjs' own dense
// 'cpu' backend (the oracle). delta-webgpu runs in Node on Dawn's software adapter (setUpWebGPU below);
// delta-cuda needs the built addon and a CUDA device (the offline bundle's `run.sh test` on a GPU server);
// delta-cuda-emulated is delta-cuda's backend and data plane on the emulated addon with tfjs-cpu's dense
// kernels (test/cuda/emulated_backend.ts): its JS side (engine, plane, buffer lifetimes) without a GPU.
//
// Select with DELTA_BACKENDS=delta-cpu,delta-webgpu (specs) or `npm run fuzz -- --backend B`.
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import * as delta from 'tfjs-backend-delta';
import {configureHarness} from '../kernels/harness';
import {collectUncaptured, scopedFrameCheck} from '../webgpu/error_scope';

/** Known delta backends and the package entry point that registers each. */
export const DELTA_BACKENDS: Record<string, string> = {
  'delta-cpu': 'tfjs-backend-delta/cpu',
  'delta-webgpu': 'tfjs-backend-delta/webgpu',
  'delta-cuda': 'tfjs-backend-delta/cuda',
  'delta-cuda-emulated': '../cuda/emulated_backend',
};

/** delta-cuda on the GPU or emulated (the device-memory checks of the long runs apply to both). */
export const isCuda = (name: string): boolean => name === 'delta-cuda' || name === 'delta-cuda-emulated';

/** Registers a delta backend (loads its entry point); throws a clear error if it is not available. */
export function loadBackend(name: string): void {
  const entry = DELTA_BACKENDS[name];
  if (!entry) throw new Error(`unknown delta backend '${name}' (known: ${Object.keys(DELTA_BACKENDS).join(', ')})`);
  // A factory already there: registered by an import of the entry point (the offline bundle imports
  // tfjs-backend-delta/cuda statically: esbuild does not follow require(entry)).
  if (!tf.findBackendFactory(name)) {
    try {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const m = require(entry) as {registerEmulatedCuda?: () => void};
      if (name === 'delta-cuda-emulated') m.registerEmulatedCuda!();
    } catch (e) {
      throw new Error(`delta backend '${name}' is not available in this build (${entry}: ${(e as Error).message.split('\n')[0]})`);
    }
    if (!tf.findBackendFactory(name)) throw new Error(`${entry} loaded but did not register '${name}'`);
    if (name === 'delta-webgpu') setUpWebGPU(entry);
  }
  // float32 sums in another order than tfjs-cpu: the GPU kernel specs' tolerance (test/cuda/harness-helper.ts)
  if (isCuda(name)) configureHarness({exactTol: 1e-4});
}

/**
 * delta-webgpu in Node: Dawn on the software adapter ($DELTA_WEBGPU_ADAPTER, default lavapipe), the GPU
 * exact-mode tolerance (1e-4: float32 in another order than cpu) and validation/internal/OOM error scopes
 * around every harness frame (a device error fails the case). The cost model's dense path is off
 * (denseCrossover 2): the harness' MAC checks expect sparse work on every sparse frame, and the model
 * decides from the previous frame (a sparse frame after a 30% one would run dense); that path has its own
 * specs (test/webgpu/kernels.spec.ts).
 */
function setUpWebGPU(entry: string): void {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const w = require(entry) as {installNodeWebGPU(a?: string): {ok: boolean; why: string}; configureDeltaWebGPU(o: {denseCrossover?: number}): unknown};
  const r = w.installNodeWebGPU(process.env.DELTA_WEBGPU_ADAPTER || 'lavapipe');
  if (!r.ok) throw new Error(`delta backend 'delta-webgpu' is not available: ${r.why}`);
  w.configureDeltaWebGPU({denseCrossover: 2});
  const uncaptured: string[] = [];
  let hooked: unknown = null;
  configureHarness({
    exactTol: 1e-4,
    frameCheck: () => {
      const b = tf.findBackend('delta-webgpu') as unknown as {device?: GPUDevice} | null;
      const device = b?.device;
      if (!device) return async () => null;
      if (hooked !== device) {
        hooked = device;
        collectUncaptured(device, uncaptured);
      }
      return scopedFrameCheck(device, uncaptured);
    },
  });
}

/** The backends to test: $DELTA_BACKENDS (comma separated) or delta-cpu. Each is loaded. */
export function testBackends(): string[] {
  const names = (process.env.DELTA_BACKENDS ?? 'delta-cpu').split(',').map((s) => s.trim()).filter(Boolean);
  for (const n of names) loadBackend(n);
  return names;
}

/**
 * Jasmine hooks for a block of specs on one delta backend: before each spec the backend is active (not silently
 * another one: delta-cuda without its addon or a device fails here, with tfjs' reason above) and the delta
 * configuration is exact mode with defaults; after each, the configuration is back to that.
 */
export function onDeltaBackendEachSpec(backend: string): void {
  const defaults = () => {
    delta.configure({inputThreshold: 0, threshold: 0, thresholds: {}, keyframeInterval: 300, debug: false});
    delta.reset();
  };
  beforeEach(async () => {
    if (!(await tf.setBackend(backend))) throw new Error(`tf.setBackend('${backend}') failed`);
    defaults();
  });
  afterEach(defaults);
}
