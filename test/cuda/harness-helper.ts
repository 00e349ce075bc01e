// Jasmine helper of test/cuda/jasmine-kernels.json: runs the shared per-kernel delta specs
// (test/kernels/*.spec.ts, oracle: dense cpu; checks as documented in test/kernels/harness.ts) on
// delta-cuda. Exact-mode tolerance 1e-4 relative (float32 sums in another order than tfjs-cpu, as
// delta-webgpu). Without a CUDA device every spec is pending with the reason.
import {configureHarness} from '../kernels/harness';
import {noGpuReason} from './gpu';

const why = noGpuReason();
// The plane has delta kernels for the conv family and pointwise ops so far (docs/delta-cuda-plane.md): the
// other kernels run dense on the GPU and are reported as fallback with their reason; their values are still
// checked against the oracle on every frame.
if (why === null) {
  configureHarness({backend: 'delta-cuda', exactTol: 1e-4, allowFallback: (_kernel, reason) => reason !== null});
}
beforeEach(() => {
  if (why !== null) pending(`delta-cuda GPU spec skipped: ${why}`);
});
