/**
 * Entry of the UMD bundles dist/tf-backend-delta(.min).js (scripts/build-browser.mjs). Like the
 * official tf-backend-webgpu.min.js they expect tfjs as the global `tf` (tf-core + tf-backend-cpu +
 * tf-backend-webgpu UMD bundles, or tf.min.js + tf-backend-webgpu.min.js) and register their backends
 * on it when loaded: `delta-cpu` and `delta-webgpu`. The API of `tfjs-backend-delta` (configure, stats,
 * frame, ...) plus the webgpu entry's exports become the global `tfDelta`, also reachable as `tf.delta`.
 */
export * from '../index';
export {DELTA_CPU, DeltaCpuBackend, registerDeltaCpu} from '../cpu/register';
export {DELTA_WEBGPU, DeltaWebGPUBackend, configureDeltaWebGPU, createDeltaWebGPUBackend, registerDeltaWebGPU} from '../webgpu/register';
