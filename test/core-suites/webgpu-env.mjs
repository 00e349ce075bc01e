// Bundled first by run.mjs for DELTA_CORE_BACKEND=delta-webgpu|webgpu: WebGPU in Node (Dawn on the
// software adapter) before tfjs-backend-webgpu is imported, which otherwise registers nothing.
import {installNodeWebGPU} from 'delta-dist/webgpu/node_gpu.js';

const r = installNodeWebGPU(process.env.DELTA_WEBGPU_ADAPTER || 'lavapipe');
if (!r.ok) throw new Error(`core-suites on WebGPU: ${r.why}`);
