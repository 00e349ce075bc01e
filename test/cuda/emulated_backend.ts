// delta-cuda's backend (src/cuda/backend.ts: engine + data plane + device buffers) on the emulated addon
// (emulated_addon.ts), with tfjs-cpu's kernels as its dense kernels: delta-cuda's JS side without a GPU.
// Used by delta_backend_emulated.spec.ts and, as the backend 'delta-cuda-emulated', by the reliability
// tests (test/fuzz/backends.ts: DELTA_BACKENDS=delta-cuda-emulated, `npm run fuzz -- --backend ...`).
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import 'tfjs-backend-delta/cuda';
import {cpuKernels, DeltaCudaBackend} from '../../../dist/cjs/cuda/backend';
import type {DeltaCudaAddon} from '../../../dist/cjs/cuda/native';
import {EmulatedAddon} from './emulated_addon';

export const EMULATED_CUDA = 'delta-cuda-emulated';

/** delta-cuda with the emulated addon; its dense kernels are tfjs-cpu's (through device-buffer copies). */
export class EmulatedCudaBackend extends DeltaCudaBackend {
  constructor() {
    super(new EmulatedAddon() as unknown as DeltaCudaAddon);
  }
  override runDense(kernelName: string, inputs: tf.NamedTensorInfoMap, attrs: tf.NamedAttrMap) {
    return cpuKernels.get(kernelName)!({inputs, attrs, backend: this});
  }
}

/** Registers the emulated backend under `name` (idempotent) with every tfjs-cpu kernel routed through its engine. */
export function registerEmulatedCuda(name = EMULATED_CUDA): void {
  for (const [kernelName, k] of cpuKernels) {
    if (tf.getKernel(kernelName, name)) continue;
    tf.registerKernel({kernelName, backendName: name,
      kernelFunc: (args) => (args.backend as unknown as DeltaCudaBackend).deltaEngine.call(kernelName, args, k)});
  }
  if (!tf.findBackendFactory(name)) tf.registerBackend(name, () => new EmulatedCudaBackend());
}
