// Bundled into the test bundle by run.mjs, imported after the backend registration and before
// the tfjs-core test files: registers the test env and the spec filter (the way tfjs-backend-cpu /
// tfjs-backend-wasm set up tfjs-core's suites in their own repos), and checks that the backend
// under test and the tests share one tfjs-core (one engine, one kernel registry, one Tensor class).
import {ENGINE} from '@tensorflow/tfjs-core/dist/engine.js';
import {KernelBackend} from '@tensorflow/tfjs-core/dist/backends/backend.js';
import {getKernelsForBackend} from '@tensorflow/tfjs-core/dist/kernel_registry.js';
import {setTestEnvs, setupTestFilters} from '@tensorflow/tfjs-core/dist/jasmine_util.js';
import {MathBackendCPU} from '@tensorflow/tfjs-backend-cpu';
import {SUITES} from './suites.mjs';
// Our package's public API (dist/cjs/index.js; 'delta-dist/' is resolved by run.mjs to the build
// under test; bundled, so it shares the one tfjs-core): read back the configuration to check that
// the run is in exact mode.
import * as delta from 'delta-dist/index.js';

// Replaced at bundle time (esbuild define): 'delta-cpu', or 'cpu' for the reference run.
const BACKEND = __DELTA_CORE_BACKEND__;

// One instance of tfjs-core: the backend factory registered by our package must be visible to
// the engine the tests import, and the backend it makes must be a KernelBackend of that same
// tfjs-core and a MathBackendCPU of the one tfjs-backend-cpu in the bundle.
const factories = Object.keys(ENGINE.registryFactory);
if (!factories.includes(BACKEND)) {
  throw new Error(`backend '${BACKEND}' is not registered with the tests' engine (registered: ${factories})`);
}
const WEBGPU = /webgpu$/.test(BACKEND);
function checkInstance(backend) {
  if (!(backend instanceof KernelBackend)) {
    throw new Error(`'${BACKEND}' backend is not a KernelBackend of the tests' tfjs-core: two tfjs-core instances`);
  }
  // (delta-cuda keeps its tensors on a GPU: a KernelBackend of its own, checked above.)
  if (BACKEND === 'delta-cuda') return;
  // (WebGPU: not imported here, so that the cpu bundles stay without it; its backend has a device)
  if (WEBGPU ? !(backend.device && backend.tensorMap) : !(backend instanceof MathBackendCPU)) {
    throw new Error(`'${BACKEND}' backend is not a ${WEBGPU ? 'WebGPUBackend' : 'MathBackendCPU of the bundled tfjs-backend-cpu'}`);
  }
}
if (WEBGPU) {
  // an async factory (device request): checked once it exists
  beforeAll(async () => { await ENGINE.setBackend(BACKEND); checkInstance(ENGINE.findBackend(BACKEND)); });
} else {
  checkInstance(ENGINE.findBackend(BACKEND));
}
const nKernels = getKernelsForBackend(BACKEND).length;
if (nKernels === 0) throw new Error(`no kernels registered for '${BACKEND}' in the tests' kernel registry`);

// Exact mode: every threshold 0 (the default; nothing here configures them). Checked through
// getConfig() once the package exports it.
let exactMode = 'not checked (getConfig() not exported)';
if (typeof delta?.getConfig === 'function') {
  const c = delta.getConfig();
  const nonZero = [['inputThreshold', c.inputThreshold], ['threshold', c.threshold],
    ...Object.entries(c.thresholds ?? {}).map(([k, v]) => [`thresholds['${k}']`, v])].filter(([, v]) => v !== 0);
  if (nonZero.length) throw new Error(`not in exact mode: ${nonZero.map(([k, v]) => `${k}=${v}`).join(', ')}`);
  exactMode = 'yes (getConfig(): all thresholds 0)';
}
// DELTA_CORE_PRIME=1: every dense run of a delta kernel becomes a seed on zeros plus a delta step to
// the real inputs (configure({primeDeltaPath: true})), so these suites exercise the delta kernels.
const primed = typeof process !== 'undefined' && process.env.DELTA_CORE_PRIME === '1';
if (primed) {
  if (typeof delta?.configure !== 'function') throw new Error('DELTA_CORE_PRIME needs configure() from the package');
  delta.configure({primeDeltaPath: true});
  exactMode += '; delta path primed (seed on zeros + delta step)';
}
globalThis.__deltaCoreSuitesInfo = {backend: BACKEND, factories, kernels: nKernels, exactMode, primed};

// Diagnostics for the summary: how the kernel calls of each spec ran in the delta engine (dense
// seed, delta update or fallback to the dense kernel), from the per-slot counters of the public
// stats({all: true}), diffed against what was seen before. Slots freed in between (the engine
// frees a weight's slots when the weight tensor is disposed, i.e. at the end of every spec) are
// caught on their way out through the engine's data plane release(). Called by run.mjs's reporter
// after each spec; null when the backend has no delta engine.
const runState = new WeakMap();  // backend instance -> {seen: Map(slot name -> counts), freed: []}
function runStateOf(b) {
  let rs = runState.get(b);
  if (!rs) {
    rs = {seen: new Map(), freed: []};
    runState.set(b, rs);
    const plane = b.deltaEngine?.plane;
    if (plane && typeof plane.release === 'function') {
      const release = plane.release;
      plane.release = function(slot, ...rest) {
        if (slot?.name && slot.counts) rs.freed.push({name: slot.name, counts: {...slot.counts}});
        return release.call(this, slot, ...rest);
      };
    }
  }
  return rs;
}
// Hook every delta backend as soon as the engine makes it (before its first kernel call): tfjs's
// engine makes backends in initializeBackend() (from setBackend() and findBackend()).
const initializeBackend = ENGINE.initializeBackend;
ENGINE.initializeBackend = function(name, ...rest) {
  const r = initializeBackend.call(this, name, ...rest);
  const b = this.registry[name];
  if (b?.deltaEngine) runStateOf(b);
  return r;
};
globalThis.__deltaCoreSuitesTakeRunCounts = () => {
  const b = ENGINE.registry[BACKEND];
  if (!b?.deltaEngine || typeof delta?.stats !== 'function' || ENGINE.backendName !== BACKEND) return null;
  let layers;
  try {
    layers = delta.stats({all: true}).layers;
  } catch {
    return null;
  }
  const rs = runStateOf(b);
  const out = {dense: 0, delta: 0, fallback: 0};
  for (const l of [...rs.freed, ...layers]) {
    const prev = rs.seen.get(l.name) ?? {dense: 0, delta: 0, fallback: 0};
    for (const k of Object.keys(out)) out[k] += Math.max(0, l.counts[k] - prev[k]);
    rs.seen.set(l.name, {...l.counts});
  }
  rs.freed.length = 0;
  return out;
};

// dataSync of a GPU tensor needs OffscreenCanvas, which Node lacks: tfjs-core then skips its sync-only specs
setTestEnvs([{name: BACKEND, backendName: BACKEND, isDataSync: !WEBGPU}]);

// One filter per suite: specs whose full name starts with '<describe> <env> ' run, unless they
// contain one of the op's documented exclusions (see suites.mjs). Nothing else runs (the test
// files also hold suites of ops that are not in the list).
const TEST_FILTERS = SUITES.flatMap((s) => s.describes.map((d) => ({
  startsWith: `${d} ${BACKEND} `,
  excludes: (s.excludes ?? []).map((e) => e.match),
})));
setupTestFilters(TEST_FILTERS, () => false);

// The test files also hold top-level suites of ops that are not in the list (div, pow, maximum,
// minimum, mod, atan2, squaredDifference): do not even declare them, so that jasmine's counts
// (and the skipped count in test/run.mjs) cover the listed ops only. Their names are kept for
// the summary. Nested describes inside a selected suite are declared as usual.
const declare = globalThis.describe;
const notDeclared = [];
let depth = 0;
globalThis.describe = function describe(name, fn) {
  if (depth === 0 && !TEST_FILTERS.some((f) => name.startsWith(f.startsWith))) {
    notDeclared.push(name);
    return undefined;
  }
  depth++;
  try {
    return declare(name, fn);
  } finally {
    depth--;
  }
};
globalThis.__deltaCoreSuitesInfo.notDeclared = notDeclared;
