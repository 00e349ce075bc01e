// tfjs-backend-webgpu 4.22 (dense) in Node 20 on Dawn + a software Vulkan driver:
//  1. registration: navigator.gpu + the GPU* globals must exist BEFORE the backend is imported
//     (it registers 'webgpu' only if globalThis.navigator.gpu is set at import time);
//  2. posenet (MobileNetV1, 257x257) on webgpu vs the tfjs cpu backend: max abs / relative error,
//     median frame time (execute + async read of all 4 outputs), no device errors (error scopes);
//  3. the delta-webgpu recipe: a WebGPUBackend subclass under another name with all webgpu kernels
//     copied, tensor GPUBuffers read through backend.tensorMap, and our own compute pipeline run on
//     the backend's device between tfjs programs (both sharing modes: flush + own encoder, and
//     recording into the backend's command encoder);
//  4. readSync/dataSync of a GPU-resident tensor in Node (fails: needs OffscreenCanvas).
//
//   node test/webgpu-env/tfjs-node.mjs [swiftshader|lavapipe] [--frames N] [--size S] [--no-cpu] [--profile]
//
// Without an adapter argument it runs itself once per installed adapter (one process each, so each
// gets tfjs' stock registration and clean timings). Prints "N passed, N failed".
import {spawnSync} from 'node:child_process';
import {existsSync, readFileSync} from 'node:fs';
import {dirname, join} from 'node:path';
import {fileURLToPath} from 'node:url';
import {availableIcds, createGpu} from './gpu-node.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..', '..');
const argv = process.argv.slice(2);
const opt = (name, def) => { const i = argv.indexOf(name); return i >= 0 ? argv[i + 1] : def; };
const FRAMES = Number(opt('--frames', 5));
const SIZE = Number(opt('--size', 257));
const NO_CPU = argv.includes('--no-cpu');
const adapterArg = argv.find((a, i) => !a.startsWith('--') && !(i > 0 && argv[i - 1].startsWith('--')));

if (!adapterArg) {
  // driver: one child process per adapter
  let passed = 0, failed = 0;
  for (const a of availableIcds()) {
    const r = spawnSync(process.execPath, [fileURLToPath(import.meta.url), a, ...argv], {stdio: 'inherit'});
    if (r.status === 0) passed++; else failed++;
  }
  console.log(`${passed} passed, ${failed} failed`);
  process.exit(failed ? 1 : 0);
}

// ---- 1. registration ----------------------------------------------------------------------------
const gpu = createGpu(adapterArg);         // also installs GPUBufferUsage, GPUBuffer, ... on globalThis
globalThis.navigator = {gpu};              // Node 20 has no navigator; Node >= 21 has one: assign .gpu
const tf = await import('@tensorflow/tfjs-core');
await import('@tensorflow/tfjs-backend-cpu');
const tfwebgpu = await import('@tensorflow/tfjs-backend-webgpu'); // registers 'webgpu' (priority 3)
const {loadGraphModel} = await import('@tensorflow/tfjs-converter');

const results = {adapter: adapterArg, checks: {}};
const check = (name, ok, detail) => { results.checks[name] = {ok: !!ok, ...detail}; };

await tf.setBackend('webgpu');
await tf.ready();
const backend = tf.backend();
const device = backend.device;
// the device tfjs created: its limits are the adapter's for the 6 it asks for, defaults otherwise
results.deviceLimits = {
  maxStorageBuffersPerShaderStage: device.limits.maxStorageBuffersPerShaderStage,
  maxComputeWorkgroupStorageSize: device.limits.maxComputeWorkgroupStorageSize,
  maxStorageBufferBindingSize: device.limits.maxStorageBufferBindingSize,
  maxBufferSize: device.limits.maxBufferSize,
};
results.deviceFeatures = [...device.features];
results.adapterInfo = {tfjs: {...backend.adapterInfo}, device: device.adapterInfo?.description ?? '(GPUDevice.adapterInfo not available)'};
results.exports = Object.keys(tfwebgpu).sort();
device.addEventListener?.('uncapturederror', (e) => console.error(`[${adapterArg}] uncaptured: ${e.error.message}`));

async function scoped(fn) {
  device.pushErrorScope('out-of-memory');
  device.pushErrorScope('internal');
  device.pushErrorScope('validation');
  const r = await fn();
  const errs = [await device.popErrorScope(), await device.popErrorScope(), await device.popErrorScope()].filter(Boolean);
  return {r, errors: errs.map((e) => `${e.constructor?.name}: ${e.message}`)};
}

// ---- 2. posenet: webgpu vs cpu --------------------------------------------------------------------
function fileHandler(modelJson, [h, w]) {
  // same as test/util/models.ts fileHandler (inlined so this runs without build/test)
  return {
    async load() {
      const json = JSON.parse(readFileSync(modelJson, 'utf8'));
      const dims = (d) => { if (d?.length === 4) { d[1].size = String(h); d[2].size = String(w); } };
      for (const node of json.modelTopology.node) if (node.op === 'Placeholder') dims(node.attr?.shape?.shape?.dim);
      const dir = dirname(modelJson);
      return tf.io.getModelArtifactsForJSON(json, async (manifest) => {
        const specs = [], bufs = [];
        for (const g of manifest) { specs.push(...g.weights); for (const p of g.paths) bufs.push(readFileSync(join(dir, p))); }
        const all = Buffer.concat(bufs);
        return [specs, all.buffer.slice(all.byteOffset, all.byteOffset + all.byteLength)];
      });
    },
  };
}

function syntheticImage(h, w) {
  // smooth gradients + a disc + deterministic noise, in [-1, 1]
  const v = new Float32Array(h * w * 3);
  let s = 12345;
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) for (let c = 0; c < 3; c++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    const disc = ((x - w / 2) ** 2 + (y - h / 3) ** 2) < (h / 6) ** 2 ? 0.6 : 0;
    v[(y * w + x) * 3 + c] = Math.max(-1, Math.min(1,
        Math.sin(x / 17 + c) * 0.4 + Math.cos(y / 23 - c) * 0.3 + disc + (s / 4294967296 - 0.5) * 0.2));
  }
  return v;
}

const modelJson = join(root, '.cache/models/posenet/model.json');
const median = (a) => { const b = [...a].sort((x, y) => x - y); return b[b.length >> 1]; };

async function runPosenet(backendName, frames) {
  await tf.setBackend(backendName);
  const model = await loadGraphModel(fileHandler(modelJson, [SIZE, SIZE]));
  const input = tf.tensor4d(syntheticImage(SIZE, SIZE), [1, SIZE, SIZE, 3]);
  const outNames = model.outputNodes;
  const once = async () => {
    const outs = model.execute(input, outNames);
    const vals = await Promise.all(outs.map((o) => o.data()));
    const shapes = outs.map((o) => o.shape);
    tf.dispose(outs);
    return {vals, shapes};
  };
  const t0 = performance.now();
  const first = await once();
  const firstMs = performance.now() - t0;
  const times = [];
  for (let i = 0; i < frames; i++) {
    const t = performance.now();
    await once();
    times.push(performance.now() - t);
  }
  let profile;
  if (argv.includes('--profile') && backendName !== 'cpu') {
    // per-kernel GPU time through timestamp queries (tfjs' backend.time(); 'timestamp-query' is
    // offered by both software adapters); each kernel is then its own submit, so the total is higher
    const p = await tf.profile(() => model.execute(input, outNames));
    const byKernel = {};
    for (const k of p.kernels) {
      const ms = await k.kernelTimeMs;
      const e = byKernel[k.name] ??= {n: 0, ms: 0};
      e.n++; e.ms += typeof ms === 'number' ? ms : 0;
    }
    profile = Object.entries(byKernel).sort((a, b) => b[1].ms - a[1].ms).slice(0, 8)
        .map(([k, v]) => `${k} x${v.n}: ${v.ms.toFixed(1)} ms`);
    tf.dispose(p.result);
  }
  input.dispose();
  model.dispose();
  return {outNames, ...first, firstMs, times, medianMs: median(times), profile};
}

if (existsSync(modelJson)) {
  const gpuRun = await scoped(() => runPosenet('webgpu', FRAMES));
  const g = gpuRun.r;
  const res = {size: SIZE, outputs: g.outNames.map((n, i) => `${n} ${JSON.stringify(g.shapes[i])}`),
    webgpuFirstMs: +g.firstMs.toFixed(1), webgpuMedianMs: +g.medianMs.toFixed(1),
    webgpuTimesMs: g.times.map((t) => +t.toFixed(1)), deviceErrors: gpuRun.errors, profile: g.profile};
  let ok = gpuRun.errors.length === 0;
  if (!NO_CPU) {
    const c = await runPosenet('cpu', Math.min(FRAMES, 3));
    res.cpuMedianMs = +c.medianMs.toFixed(1);
    res.err = g.outNames.map((n, i) => {
      let maxAbs = 0, maxRef = 0;
      for (let k = 0; k < c.vals[i].length; k++) {
        maxAbs = Math.max(maxAbs, Math.abs(g.vals[i][k] - c.vals[i][k]));
        maxRef = Math.max(maxRef, Math.abs(c.vals[i][k]));
      }
      return {output: n.split('/')[1], maxAbs: +maxAbs.toExponential(2), maxRef: +maxRef.toFixed(3), rel: +(maxAbs / maxRef).toExponential(2)};
    });
    // all zeros would mean a silent shader failure
    res.webgpuNonZero = g.vals.every((v) => v.some((x) => x !== 0));
    ok = ok && res.webgpuNonZero && res.err.every((e) => e.rel < 1e-3);
    await tf.setBackend('webgpu');
  }
  check('posenet', ok, res);
} else {
  check('posenet', false, {skipped: `${modelJson} missing (node scripts/setup-data.mjs)`});
}

// ---- 3. the delta-webgpu recipe -------------------------------------------------------------------
const {WebGPUBackend} = tfwebgpu;
class SubBackend extends WebGPUBackend {
  // delta-webgpu would keep its engine here and wrap each kernelFunc (like src/cpu/register.ts)
}
const SUB = 'webgpu-sub';
tf.registerBackend(SUB, () => new SubBackend(device, device.adapterInfo));  // (the adapter's info: tfjs keys vendor/architecture)   // same device: shared buffers
for (const k of tf.getKernelsForBackend('webgpu')) tf.registerKernel({...k, backendName: SUB});
results.webgpuKernelCount = tf.getKernelsForBackend('webgpu').length;

{
  const sub = await scoped(async () => {
    await tf.setBackend(SUB);
    const b = tf.backend();
    const x = tf.randomUniform([1, 33, 33, 8], -1, 1, 'float32', 7);
    const w = tf.randomUniform([3, 3, 8, 16], -1, 1, 'float32', 8);
    const y = tf.relu(tf.conv2d(x, w, 1, 'same'));
    const yv = await y.data();
    const [xv, wv] = [await x.data(), await w.data()];
    // reference on cpu
    await tf.setBackend('cpu');
    const ref = await tf.relu(tf.conv2d(tf.tensor(xv, x.shape), tf.tensor(wv, w.shape), 1, 'same')).data();
    await tf.setBackend(SUB);
    let maxAbs = 0; for (let i = 0; i < ref.length; i++) maxAbs = Math.max(maxAbs, Math.abs(ref[i] - yv[i]));
    return {isSubclass: b instanceof SubBackend, sameDevice: b.device === device, maxAbs};
  });
  check('subclass conv2d+relu', sub.errors.length === 0 && sub.r.isSubclass && sub.r.maxAbs < 1e-4, {...sub.r, errors: sub.errors});
}

// Our own pipeline on the backend's device, between tfjs programs:
//   a = relu(x) [tfjs] -> b = a*2+1 [ours, own pipeline, writes a tfjs-allocated output] -> c = b + 1 [tfjs]
const OWN_WGSL = `
@group(0) @binding(0) var<storage, read> src: array<f32>;
@group(0) @binding(1) var<storage, read_write> dst: array<f32>;
@compute @workgroup_size(64) fn main(@builtin(global_invocation_id) g: vec3<u32>) {
  if (g.x < arrayLength(&dst)) { dst[g.x] = src[g.x] * 2.0 + 1.0; }
}`;
const ownPipeline = device.createComputePipeline({layout: 'auto', compute: {module: device.createShaderModule({code: OWN_WGSL}), entryPoint: 'main'}});

/** GPUBuffer of a tensor on the webgpu backend (uploads CPU-side values first). */
function gpuBufferOf(b, t) {
  b.uploadToGPU(t.dataId);
  const d = b.tensorMap.get(t.dataId);
  if (!(d.resource instanceof GPUBuffer)) throw new Error('tensor is not in a GPUBuffer');
  return d.resource;
}

function ownKernel(b, a, mode) {
  // output allocated by tfjs (same pool, same usage STORAGE|COPY_SRC|COPY_DST), so tfjs owns its lifetime
  const outInfo = b.makeTensorInfo(a.shape, 'float32');
  const src = gpuBufferOf(b, a);
  const dst = gpuBufferOf(b, outInfo);
  const bindGroup = device.createBindGroup({layout: ownPipeline.getBindGroupLayout(0),
    entries: [{binding: 0, resource: {buffer: src}}, {binding: 1, resource: {buffer: dst}}]});
  const n = a.size;
  if (mode === 'flush') {
    // (A) flush tfjs' batched commands, then our own encoder, submitted at once (queue order holds)
    b.ensureCommandEncoderReady();      // submitQueue() finishes this.commandEncoder: it must exist
    b.endComputePassEncoder();
    b.submitQueue();
    const enc = device.createCommandEncoder();
    const pass = enc.beginComputePass();
    pass.setPipeline(ownPipeline); pass.setBindGroup(0, bindGroup);
    pass.dispatchWorkgroups(Math.ceil(n / 64));
    pass.end();
    device.queue.submit([enc.finish()]);
  } else {
    // (B) record into tfjs' own command encoder (no extra submit): end its pass, add ours; mark the
    // tensors as owned by the pending command buffer so a dispose before the submit is deferred
    b.ensureCommandEncoderReady();
    b.endComputePassEncoder();
    const pass = b.commandEncoder.beginComputePass();
    pass.setPipeline(ownPipeline); pass.setBindGroup(0, bindGroup);
    pass.dispatchWorkgroups(Math.ceil(n / 64));
    pass.end();
    b.commandQueueOwnedIds.add(a.dataId);
    b.commandQueueOwnedIds.add(outInfo.dataId);
  }
  return tf.engine().makeTensorFromTensorInfo(outInfo);
}

for (const mode of ['flush', 'shared-encoder']) {
  const r = await scoped(async () => {
    await tf.setBackend(SUB);
    const b = tf.backend();
    const x = tf.tensor1d(Float32Array.from({length: 1000}, (_, i) => (i % 7) - 3));
    const a = tf.relu(x);
    const bT = ownKernel(b, a, mode);
    a.dispose();                          // disposing the input right after is safe in both modes
    const c = tf.add(bT, 1);
    const v = await c.data();
    let bad = 0;
    for (let i = 0; i < 1000; i++) if (v[i] !== Math.max(0, (i % 7) - 3) * 2 + 2) bad++;
    tf.dispose([x, bT, c]);
    return {bad};
  });
  check(`own pipeline between tfjs ops (${mode})`, r.errors.length === 0 && r.r.bad === 0, {...r.r, errors: r.errors});
}

// ---- 4. readSync in Node ---------------------------------------------------------------------------
{
  await tf.setBackend('webgpu');
  // values still on the CPU (never uploaded) read synchronously; anything produced by a GPU program
  // needs OffscreenCanvas (tfjs-webgpu reads back through a canvas), which Node does not have
  const cpuSide = tf.tensor1d([-1, 2, -3, 4]);
  const big = tf.relu(tf.randomUniform([4096], -1, 1));
  const onGpu = tf.backend().tensorMap.get(big.dataId).resource != null;
  let err = null;
  try { big.dataSync(); } catch (e) { err = `${e.constructor.name}: ${e.message}`; }
  const after = Array.from((await big.data()).slice(0, 2)).length === 2;   // async read still fine
  check('readSync of a GPU tensor in Node', err != null && after, {resourceOnGpu: onGpu, dataSyncThrows: err,
    asyncDataAfterwards: after, cpuSideDataSync: Array.from(cpuSide.dataSync())});
}

const failed = Object.values(results.checks).filter((c) => !c.ok).length;
const passed = Object.keys(results.checks).length - failed;
console.log(`\n== tfjs-backend-webgpu on ${adapterArg}`);
console.log(JSON.stringify(results, null, 1));
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
