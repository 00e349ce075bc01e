// Bundled into the browser suite's tfjs-core page (test/browser/pages.mjs) after the backend
// registration and before tfjs-core's test files: the browser counterpart of test/core-suites/setup.mjs
// for delta-webgpu. Registers the test env (as tfjs-backend-webgpu's own test registry does: GPU
// kernels, no CPU forwarding), the spec filter of test/core-suites/suites.mjs, checks one tfjs-core and
// exact mode, and wraps every spec in validation/internal/out-of-memory error scopes on the backend's
// device: a device error fails the spec.
import {ENGINE} from '@tensorflow/tfjs-core/dist/engine.js';
import {KernelBackend} from '@tensorflow/tfjs-core/dist/backends/backend.js';
import {getKernelsForBackend} from '@tensorflow/tfjs-core/dist/kernel_registry.js';
import {setTestEnvs, setupTestFilters} from '@tensorflow/tfjs-core/dist/jasmine_util.js';
import {WebGPUBackend} from '@tensorflow/tfjs-backend-webgpu';
import * as delta from 'tfjs-backend-delta';
import {SUITES} from '../core-suites/suites.mjs';
import {BROWSER_EXCLUDES} from './core-excludes.mjs';

// 'delta-webgpu', or 'webgpu' for the reference run (esbuild define).
const BACKEND = __DELTA_CORE_BACKEND__;
// Suites to run (esbuild define): null = all of SUITES.
const OPS = __DELTA_CORE_OPS__;
const suites = OPS ? SUITES.filter((s) => OPS.includes(s.op)) : SUITES;

const factories = Object.keys(ENGINE.registryFactory);
if (!factories.includes(BACKEND)) throw new Error(`backend '${BACKEND}' is not registered with the tests' engine (registered: ${factories})`);
const nKernels = getKernelsForBackend(BACKEND).length;
if (nKernels === 0) throw new Error(`no kernels registered for '${BACKEND}' in the tests' kernel registry`);
const c = delta.getConfig();
const nonZero = [['inputThreshold', c.inputThreshold], ['threshold', c.threshold],
  ...Object.entries(c.thresholds ?? {}).map(([k, v]) => [`thresholds['${k}']`, v])].filter(([, v]) => v !== 0);
if (nonZero.length) throw new Error(`not in exact mode: ${nonZero.map(([k, v]) => `${k}=${v}`).join(', ')}`);
// Primed (esbuild define): every dense run of a delta kernel becomes a seed on zeros plus a delta step.
const PRIMED = __DELTA_CORE_PRIME__;
if (PRIMED) delta.configure({primeDeltaPath: true});

// isDataSync false: a synchronous read of a GPU tensor does not work in this headless Chromium (docs/browser.md).
setTestEnvs([{name: BACKEND, backendName: BACKEND, flags: {WEBGPU_CPU_FORWARD: false}, isDataSync: false}]);
const TEST_FILTERS = suites.flatMap((s) => s.describes.map((d) => ({
  startsWith: `${d} ${BACKEND} `,
  excludes: [...(s.excludes ?? []).map((e) => e.match),
    ...BROWSER_EXCLUDES.filter((e) => e.describe === d).map((e) => e.spec)],
})));
setupTestFilters(TEST_FILTERS, () => false);

// Only declare the listed suites (the test files also hold suites of other ops).
const declare = globalThis.describe;
let depth = 0;
globalThis.describe = function describe(name, fn) {
  if (depth === 0 && !TEST_FILTERS.some((f) => name.startsWith(f.startsWith))) return undefined;
  depth++;
  try { return declare(name, fn); } finally { depth--; }
};

// The backend made by the engine (tfjs-core's describeWithFlags resets the engine per suite: a new
// backend, a new device): it must be a KernelBackend of this tfjs-core and a WebGPUBackend.
const hooked = new WeakSet();
const uncaptured = [];
let scoped = null;
beforeEach(() => {
  const b = ENGINE.registry[BACKEND];
  if (!(b instanceof KernelBackend)) throw new Error(`'${BACKEND}' is not a KernelBackend of the tests' tfjs-core: two tfjs-core instances`);
  if (!(b instanceof WebGPUBackend)) throw new Error(`'${BACKEND}' is not a WebGPUBackend of the bundled tfjs-backend-webgpu`);
  const device = b.device;
  if (!hooked.has(device)) {
    hooked.add(device);
    device.addEventListener('uncapturederror', (e) => uncaptured.push(String(e.error?.message ?? e)));
  }
  device.pushErrorScope('out-of-memory');
  device.pushErrorScope('internal');
  device.pushErrorScope('validation');
  scoped = device;
});
afterEach(async () => {
  const device = scoped;
  scoped = null;
  if (!device) return;
  const errs = [];
  for (let i = 0; i < 3; i++) {
    try {
      const e = await device.popErrorScope();
      if (e) errs.push(`${e.constructor?.name ?? 'GPUError'}: ${e.message}`);
    } catch (e) {
      errs.push(`popErrorScope: ${e.message}`);
    }
  }
  errs.push(...uncaptured.splice(0).map((m) => `uncaptured: ${m}`));
  if (errs.length) fail(`device errors: ${errs.join(' | ').slice(0, 2000)}`);
});

globalThis.__deltaCoreInfo = {backend: BACKEND, primed: PRIMED, kernels: nKernels, factories, suites: suites.map((s) => s.op)};
