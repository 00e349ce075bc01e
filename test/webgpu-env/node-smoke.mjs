// Node smoke test of WebGPU on the software adapters: adapter info + limits, error scopes work,
// and a stream compaction (atomics) feeding dispatchWorkgroupsIndirect, read back and checked.
//
//   node test/webgpu-env/node-smoke.mjs [swiftshader|lavapipe ...] [--json]
//
// Exits 1 if any requested (default: every installed) adapter fails. Prints "N passed, N failed".
import {availableIcds, createGpu} from './gpu-node.mjs';
import {checkErrorScopesWork, describeAdapter, requestFullDevice, runCompaction} from './compaction.mjs';

const args = process.argv.slice(2);
const json = args.includes('--json');
const which = args.filter((a) => !a.startsWith('--'));
const adapters = which.length ? which : availableIcds();
if (!adapters.length) {
  console.error('no software Vulkan ICD found: run scripts/webgpu/setup.sh');
  process.exit(1);
}

let passed = 0, failed = 0;
const report = {};
for (const name of adapters) {
  const r = report[name] = {};
  let gpu;
  try {
    gpu = createGpu(name);
    const t0 = performance.now();
    const adapter = await gpu.requestAdapter();
    if (!adapter) throw new Error('requestAdapter() returned null');
    Object.assign(r, describeAdapter(adapter));
    const device = await requestFullDevice(adapter);
    r.deviceMs = +(performance.now() - t0).toFixed(1);
    r.deviceFeatures = [...device.features].sort();
    device.lost.then((info) => { if (info.reason !== 'destroyed') console.error(`[${name}] device lost: ${info.message}`); });
    r.errorScopes = await checkErrorScopesWork(device);
    if (!r.errorScopes.caught) throw new Error('a broken shader was NOT reported by the validation error scope');
    // indirect dispatch is core WebGPU (no feature to ask for); exercise it with 3% and 0% active
    r.compaction = await runCompaction(device, {n: 1 << 18, density: 0.03});
    r.compactionEmpty = await runCompaction(device, {n: 1 << 18, density: 0, reps: 1});
    r.compactionDense = await runCompaction(device, {n: 1 << 18, density: 1, reps: 3});
    for (const c of [r.compaction, r.compactionEmpty, r.compactionDense]) {
      if (!c.ok) throw new Error(`compaction wrong: ${JSON.stringify(c)}`);
    }
    device.destroy();
    r.ok = true;
    passed++;
  } catch (e) {
    r.ok = false;
    r.error = String(e && e.stack || e);
    failed++;
  }
  gpu = null;
  if (!json) {
    console.log(`\n== ${name}: ${r.ok ? 'OK' : 'FAILED'}`);
    if (r.info) console.log('adapter', r.info);
    if (r.limits) console.log('limits', r.limits);
    if (r.features) console.log('features', r.features.join(' '));
    if (r.errorScopes) console.log('error scope on a broken shader:', r.errorScopes);
    for (const k of ['compaction', 'compactionEmpty', 'compactionDense']) if (r[k]) console.log(k, r[k]);
    if (r.error) console.log(r.error);
  }
}
if (json) console.log(JSON.stringify(report, null, 1));
console.log(`${passed} passed, ${failed} failed`);
// dawn.node keeps the event loop alive while a GPU object is reachable: exit explicitly.
process.exit(failed ? 1 : 0);
