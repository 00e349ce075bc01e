// Jasmine helper of test/cuda/jasmine-kernels-emulated.json: the shared per-kernel delta specs
// (test/kernels/*.spec.ts, oracle: dense cpu) on delta-cuda's JS side without a GPU: the backend and data plane
// on the emulated addon with tfjs-cpu's dense kernels (emulated_backend.ts). Checks the plane's decisions (cost
// model, full updates, copy-on-write, counts) the way the GPU run checks them; the kernels themselves are the
// emulation's, so this does not replace the GPU run.
import {configureHarness} from '../kernels/harness';
import {EMULATED_CUDA, registerEmulatedCuda} from './emulated_backend';

registerEmulatedCuda();
configureHarness({backend: EMULATED_CUDA, exactTol: 1e-4, allowFallback: (_kernel, reason) => reason !== null});
