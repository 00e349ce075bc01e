/**
 * Side-effect entry point `tfjs-backend-delta/cpu`: registers the `delta-cpu` backend and every cpu
 * kernel under it, each routed through the delta engine.
 */
import {findBackendFactory, getKernel, getKernelsForBackend, KernelConfig, KernelFunc, registerBackend, registerKernel} from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import {DELTA_CPU, DeltaCpuBackend} from './backend';

export {DELTA_CPU, DeltaCpuBackend};

function wrap(config: KernelConfig): KernelConfig {
  const dense = config.kernelFunc;
  const kernelFunc: KernelFunc = (args) =>
      (args.backend as DeltaCpuBackend).deltaEngine.call(config.kernelName, args, dense);
  return {...config, backendName: DELTA_CPU, kernelFunc};
}

/** Registers `delta-cpu` (idempotent; call again after tf.removeBackend('delta-cpu')). */
export function registerDeltaCpu(priority = 0): void {
  for (const k of getKernelsForBackend('cpu')) {
    if (!getKernel(k.kernelName, DELTA_CPU)) registerKernel(wrap(k));
  }
  // registerBackend returns false (with a warning) if it is already registered: check first.
  if (!findBackendFactory(DELTA_CPU)) registerBackend(DELTA_CPU, () => new DeltaCpuBackend(), priority);
}

registerDeltaCpu();
