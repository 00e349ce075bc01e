// Helper of test/jasmine-webgpu-shared.json: runs the shared per-kernel delta specs (test/kernels/*.spec.ts,
// written for every backend through test/kernels/harness.ts) on delta-webgpu. Exact mode against tfjs cpu
// within GPU_EXACT_TOL; threshold mode against DESIGN §3's invariant on the GPU's debug records; every frame
// inside validation/internal/OOM error scopes. The cost model stays at its default (like an app); its MAC
// checks (sparse frames cheaper than dense) hold because a conv step decided dense reports the dense MACs
// only when the previous step of the slot touched more than denseCrossover of its output.
import {useDeltaWebGPU} from './gpu';
import {configureDeltaWebGPU} from 'tfjs-backend-delta/webgpu';

beforeAll(async () => {
  await useDeltaWebGPU();
  // the harness' "sparse frame < dense MACs" check would see the cost model's one-frame lag after a 30%
  // frame; the dense + diff path has its own specs (test/webgpu/kernels.spec.ts)
  configureDeltaWebGPU({denseCrossover: 2});
});
