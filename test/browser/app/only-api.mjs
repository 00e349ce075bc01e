// Tree-shaking probe (test/browser/run.mjs): an app that only reads the configuration must not pull
// in the backends (no delta-cpu kernels, no WGSL, no tfjs-backend-webgpu).
import {getConfig} from 'tfjs-backend-delta';
console.log(getConfig().inputThreshold);
