/// <reference types="@webgpu/types" />
/**
 * Side-effect entry point `tfjs-backend-delta/webgpu`: registers the `delta-webgpu` backend and every
 * tfjs-backend-webgpu kernel under it, each routed through the delta engine (like ../cpu/register.ts).
 *
 * The backend needs `navigator.gpu` when it is created (tf.setBackend('delta-webgpu')), not when this
 * module is imported. In Node: `installNodeWebGPU()` (exported here) sets it up with the npm `webgpu`
 * package (Dawn), see docs/webgpu-setup.md.
 */
import {findBackendFactory, getKernel, getKernelsForBackend, KernelConfig, KernelFunc, registerBackend, registerKernel} from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-webgpu';
import {DELTA_WEBGPU, DeltaWebGPUBackend} from './backend';

export {DELTA_WEBGPU, DeltaWebGPUBackend};
export {installNodeWebGPU, SOFTWARE_ADAPTERS} from './node_gpu';
export {DEFAULT_DENSE_CROSSOVER, WEBGPU_DELTA_KERNELS} from './plane';
import {livePlanes, webgpuOptions} from './plane';

/**
 * delta-webgpu options (also a test hook). denseCrossover: fraction of a conv's output pixels touched
 * by a step above which the step runs tfjs-webgpu's dense conv + one diff pass instead of the sparse
 * shader (0: always dense, > 1: never). seedWithTfjs (default true): dense runs (seeds, keyframes) of convs use
 * tfjs-webgpu's kernel; false: our conv shader (bit-identical to later steps). fullUpdateAbove (default 0): a dense
 * conv step of a slot whose last known touched share is above it hands its consumers a full update (conv consumers
 * then run tfjs' conv alone; < 0: every dense step, > 1: never). Applies to existing backends and new ones.
 * Returns the previous options.
 */
export function configureDeltaWebGPU(o: {denseCrossover?: number; seedWithTfjs?: boolean; fullUpdateAbove?: number}):
    {denseCrossover: number; seedWithTfjs: boolean; fullUpdateAbove: number} {
  const prev = {...webgpuOptions};
  if (o.denseCrossover !== undefined) {
    webgpuOptions.denseCrossover = o.denseCrossover;
    for (const p of livePlanes) p.denseCrossover = o.denseCrossover;
  }
  if (o.seedWithTfjs !== undefined) {
    webgpuOptions.seedWithTfjs = o.seedWithTfjs;
    for (const p of livePlanes) p.seedWithTfjs = o.seedWithTfjs;
  }
  if (o.fullUpdateAbove !== undefined) {
    webgpuOptions.fullUpdateAbove = o.fullUpdateAbove;
    for (const p of livePlanes) p.fullUpdateAbove = o.fullUpdateAbove;
  }
  return prev;
}

function wrap(config: KernelConfig): KernelConfig {
  const dense = config.kernelFunc;
  const kernelFunc: KernelFunc = (args) =>
      (args.backend as DeltaWebGPUBackend).deltaEngine.call(config.kernelName, args, dense);
  return {...config, backendName: DELTA_WEBGPU, kernelFunc};
}

/** Limits we ask for: the adapter's own values (the WebGPU defaults are lower, e.g. 8 storage buffers). */
const LIMITS = [
  'maxComputeWorkgroupStorageSize', 'maxComputeWorkgroupsPerDimension', 'maxStorageBufferBindingSize',
  'maxBufferSize', 'maxComputeWorkgroupSizeX', 'maxComputeInvocationsPerWorkgroup', 'maxStorageBuffersPerShaderStage',
] as const;

/** Creates the backend on the first adapter of `gpu` (default navigator.gpu), with its own device. */
export async function createDeltaWebGPUBackend(gpu?: GPU): Promise<DeltaWebGPUBackend> {
  const g = gpu ?? (globalThis as {navigator?: {gpu?: GPU}}).navigator?.gpu;
  if (!g) throw new Error('tfjs-backend-delta: delta-webgpu needs navigator.gpu (in Node: the `webgpu` package, see docs/webgpu-setup.md)');
  const adapter = await g.requestAdapter({powerPreference: 'high-performance'});
  if (!adapter) throw new Error('tfjs-backend-delta: delta-webgpu: no WebGPU adapter');
  const requiredLimits: Record<string, number> = {};
  for (const k of LIMITS) requiredLimits[k] = adapter.limits[k];
  const requiredFeatures = (['timestamp-query', 'bgra8unorm-storage'] as GPUFeatureName[]).filter((f) => adapter.features.has(f));
  const device = await adapter.requestDevice({requiredLimits, requiredFeatures});
  const info = (adapter as unknown as {info?: unknown}).info;
  return new DeltaWebGPUBackend(device, info as ConstructorParameters<typeof DeltaWebGPUBackend>[1]);
}

/** Registers `delta-webgpu` (idempotent; call again after tf.removeBackend('delta-webgpu')). */
export function registerDeltaWebGPU(priority = 0): void {
  for (const k of getKernelsForBackend('webgpu')) {
    if (!getKernel(k.kernelName, DELTA_WEBGPU)) registerKernel(wrap(k));
  }
  if (!findBackendFactory(DELTA_WEBGPU)) registerBackend(DELTA_WEBGPU, () => createDeltaWebGPUBackend(), priority);
}

registerDeltaWebGPU();
