// WebGPU in Node for the delta-webgpu specs: Dawn (npm `webgpu`) on a software Vulkan driver
// (docs/webgpu-setup.md). DELTA_WEBGPU_ADAPTER=lavapipe (default, fast) | swiftshader.
// Sets navigator.gpu and the GPU* globals; tf.setBackend('delta-webgpu') then creates the backend.
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import 'tfjs-backend-delta/cpu';
import {installNodeWebGPU} from 'tfjs-backend-delta/webgpu';
import {configureHarness} from '../kernels/harness';
import {collectUncaptured, scopedFrameCheck} from './error_scope';

export const ADAPTER = process.env.DELTA_WEBGPU_ADAPTER || 'lavapipe';
/** Exact mode on the GPU: float32 with another order/FMA than cpu: 1e-4 relative. */
export const GPU_EXACT_TOL = 1e-4;

export function installWebGPU(): void {
  const r = installNodeWebGPU(ADAPTER);
  if (!r.ok) throw new Error(`delta-webgpu specs: ${r.why}`);
}

export interface GpuBackendLike { device: GPUDevice; plane: {counters: Record<string, number>} }

/** Sets delta-webgpu as the harness backend; every frame runs inside validation/internal/OOM error scopes. */
export async function useDeltaWebGPU(): Promise<GpuBackendLike> {
  installWebGPU();
  if (!(await tf.setBackend('delta-webgpu'))) throw new Error('delta-webgpu did not initialize (no adapter?)');
  const backend = tf.backend() as unknown as GpuBackendLike;
  const device = backend.device;
  const uncaptured: string[] = [];
  collectUncaptured(device, uncaptured);
  configureHarness({
    backend: 'delta-webgpu',
    exactTol: GPU_EXACT_TOL,
    frameCheck: () => scopedFrameCheck(device, uncaptured),
  });
  return backend;
}
