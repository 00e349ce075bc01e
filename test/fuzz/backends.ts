// The delta backends the reliability tests (test/fuzz, test/hostile) run on. Every check there is
// backend-parametric: it takes a backend name from this list and compares against tfjs' own dense
// 'cpu' backend (the oracle). Only delta-cpu exists today; delta-webgpu and delta-cuda register here
// once their entry points land in package.json "exports".
//
// Select with DELTA_BACKENDS=delta-cpu,delta-webgpu (specs) or `npm run fuzz -- --backend B`.
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';

/** Known delta backends and the package entry point that registers each. */
export const DELTA_BACKENDS: Record<string, string> = {
  'delta-cpu': 'tfjs-backend-delta/cpu',
  'delta-webgpu': 'tfjs-backend-delta/webgpu',
  'delta-cuda': 'tfjs-backend-delta/cuda',
};

/** Registers a delta backend (loads its entry point); throws a clear error if it is not available. */
export function loadBackend(name: string): void {
  const entry = DELTA_BACKENDS[name];
  if (!entry) throw new Error(`unknown delta backend '${name}' (known: ${Object.keys(DELTA_BACKENDS).join(', ')})`);
  if (tf.findBackendFactory(name)) return;
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    require(entry);
  } catch (e) {
    throw new Error(`delta backend '${name}' is not available in this build (${entry}: ${(e as Error).message.split('\n')[0]})`);
  }
  if (!tf.findBackendFactory(name)) throw new Error(`${entry} loaded but did not register '${name}'`);
}

/** The backends to test: $DELTA_BACKENDS (comma separated) or delta-cpu. Each is loaded. */
export function testBackends(): string[] {
  const names = (process.env.DELTA_BACKENDS ?? 'delta-cpu').split(',').map((s) => s.trim()).filter(Boolean);
  for (const n of names) loadBackend(n);
  return names;
}
