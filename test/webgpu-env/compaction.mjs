// WebGPU environment checks shared by the Node smoke test (node-smoke.mjs) and the headless
// Chromium page (browser/page.mjs): only the WebGPU API is used (no Node, no DOM), so the same
// code runs on Dawn-in-Node and in Chromium.
//
//  - describeAdapter(adapter): adapter info, features, the limits delta-webgpu cares about.
//  - requestFullDevice(adapter): a device with the adapter's limits that matter for compute.
//  - runCompaction(device, opts): stream compaction with atomics + an indirect dispatch, all in one
//    compute pass, inside error scopes; checked against a JS reference.
//  - checkErrorScopesWork(device): a deliberately broken shader must be reported by an error scope
//    (proves the scopes catch what tfjs-webgpu would otherwise turn into silent zeros).

export const LIMIT_KEYS = [
  'maxComputeWorkgroupStorageSize',
  'maxStorageBuffersPerShaderStage',
  'maxComputeInvocationsPerWorkgroup',
  'maxComputeWorkgroupSizeX',
  'maxComputeWorkgroupSizeY',
  'maxComputeWorkgroupSizeZ',
  'maxComputeWorkgroupsPerDimension',
  'maxStorageBufferBindingSize',
  'maxBufferSize',
  'maxBindGroups',
  'maxBindingsPerBindGroup',
  'maxUniformBuffersPerShaderStage',
  'maxUniformBufferBindingSize',
  'minStorageBufferOffsetAlignment',
  'minUniformBufferOffsetAlignment',
];

export function describeAdapter(adapter) {
  const i = adapter.info || {};
  const limits = {};
  for (const k of LIMIT_KEYS) limits[k] = adapter.limits[k];
  return {
    info: {
      vendor: i.vendor, architecture: i.architecture, device: i.device, description: i.description,
      isFallbackAdapter: i.isFallbackAdapter ?? adapter.isFallbackAdapter,
      subgroupMinSize: i.subgroupMinSize, subgroupMaxSize: i.subgroupMaxSize,
    },
    features: [...adapter.features].sort(),
    limits,
  };
}

/** A device with the adapter's compute limits (the defaults are lower, e.g. 8 storage buffers per
 *  stage, 16 KiB workgroup storage, 128 MiB storage binding) and timestamp-query when offered. */
export async function requestFullDevice(adapter) {
  const requiredLimits = {};
  for (const k of LIMIT_KEYS) {
    if (k.startsWith('min')) continue; // alignments: keep the defaults (a "better" one is smaller)
    requiredLimits[k] = adapter.limits[k];
  }
  const requiredFeatures = ['timestamp-query', 'subgroups', 'shader-f16'].filter((f) => adapter.features.has(f));
  const device = await adapter.requestDevice({requiredLimits, requiredFeatures});
  return device;
}

const WG = 64;

const COMPACT_WGSL = /* wgsl */`
struct Counter { count: atomic<u32>, processed: atomic<u32> }
@group(0) @binding(0) var<storage, read> mask: array<u32>;
@group(0) @binding(1) var<storage, read_write> counter: Counter;
@group(0) @binding(2) var<storage, read_write> list: array<u32>;
@group(0) @binding(3) var<uniform> n: vec4<u32>;

// 1) compaction: every active index appends itself to list (order is not deterministic).
@compute @workgroup_size(${WG})
fn compact(@builtin(global_invocation_id) gid: vec3<u32>) {
  let i = gid.x;
  if (i < n.x && mask[i] != 0u) {
    let slot = atomicAdd(&counter.count, 1u);
    list[slot] = i;
  }
}
`;

const ARGS_WGSL = /* wgsl */`
struct Counter { count: atomic<u32>, processed: atomic<u32> }
@group(0) @binding(0) var<storage, read_write> counter: Counter;
@group(0) @binding(1) var<storage, read_write> args: array<u32, 3>;

// 2) indirect arguments: ceil(count / WG) workgroups (0 when nothing is active: a no-op dispatch).
@compute @workgroup_size(1)
fn writeArgs() {
  let c = atomicLoad(&counter.count);
  args[0] = (c + ${WG - 1}u) / ${WG}u;
  args[1] = 1u;
  args[2] = 1u;
}
`;

const APPLY_WGSL = /* wgsl */`
struct Counter { count: atomic<u32>, processed: atomic<u32> }
@group(0) @binding(0) var<storage, read_write> counter: Counter;
@group(0) @binding(1) var<storage, read> list: array<u32>;
@group(0) @binding(2) var<storage, read> src: array<f32>;
@group(0) @binding(3) var<storage, read_write> dst: array<f32>;

// 3) the sparse update, dispatched indirectly: touches only the listed (active) entries.
@compute @workgroup_size(${WG})
fn apply(@builtin(global_invocation_id) gid: vec3<u32>) {
  let j = gid.x;
  if (j < atomicLoad(&counter.count)) {
    let i = list[j];
    dst[i] = src[i] * 2.0 + 1.0;
    atomicAdd(&counter.processed, 1u);
  }
}
`;

function lcg(seed) {
  let s = seed >>> 0;
  return () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 4294967296);
}

async function scoped(device, fn) {
  device.pushErrorScope('out-of-memory');
  device.pushErrorScope('internal');
  device.pushErrorScope('validation');
  let result;
  try {
    result = await fn();
  } finally {
    const validation = await device.popErrorScope();
    const internal = await device.popErrorScope();
    const oom = await device.popErrorScope();
    const errs = [validation, internal, oom].filter(Boolean).map((e) => `${e.constructor?.name}: ${e.message}`);
    if (errs.length) throw new Error(`WebGPU errors: ${errs.join(' | ')}`);
  }
  return result;
}

async function pipeline(device, code, entryPoint) {
  const module = device.createShaderModule({code});
  const info = await module.getCompilationInfo();
  const errors = info.messages.filter((m) => m.type === 'error');
  if (errors.length) throw new Error(`WGSL ${entryPoint}: ${errors.map((m) => `${m.lineNum}:${m.linePos} ${m.message}`).join('; ')}`);
  return device.createComputePipelineAsync({layout: 'auto', compute: {module, entryPoint}});
}

/**
 * Stream compaction + indirect dispatch. n entries, a mask with the given density.
 * Returns {n, active, count, processed, args, ok, ms} (ms: wall time of submit -> readback).
 */
export async function runCompaction(device, {n = 1 << 18, density = 0.03, seed = 1, reps = 3} = {}) {
  return scoped(device, async () => {
    const rnd = lcg(seed);
    const mask = new Uint32Array(n);
    const src = new Float32Array(n);
    let active = 0;
    for (let i = 0; i < n; i++) {
      mask[i] = rnd() < density ? 1 : 0;
      active += mask[i];
      src[i] = i % 1000;
    }
    const S = GPUBufferUsage.STORAGE, CD = GPUBufferUsage.COPY_DST, CS = GPUBufferUsage.COPY_SRC;
    const mk = (size, usage, data) => {
      const b = device.createBuffer({size, usage});
      if (data) device.queue.writeBuffer(b, 0, data);
      return b;
    };
    const maskB = mk(n * 4, S | CD, mask);
    const srcB = mk(n * 4, S | CD, src);
    const dstB = mk(n * 4, S | CD | CS);
    const listB = mk(n * 4, S);
    const counterB = mk(8, S | CD | CS);
    const argsB = mk(12, S | GPUBufferUsage.INDIRECT | CS);
    const nB = mk(16, GPUBufferUsage.UNIFORM | CD, new Uint32Array([n, 0, 0, 0]));
    const [pc, pa, pp] = await Promise.all([
      pipeline(device, COMPACT_WGSL, 'compact'),
      pipeline(device, ARGS_WGSL, 'writeArgs'),
      pipeline(device, APPLY_WGSL, 'apply'),
    ]);
    const bg = (p, bufs) => device.createBindGroup({
      layout: p.getBindGroupLayout(0),
      entries: bufs.map((buffer, binding) => ({binding, resource: {buffer}})),
    });
    const bc = bg(pc, [maskB, counterB, listB, nB]);
    const ba = bg(pa, [counterB, argsB]);
    const bp = bg(pp, [counterB, listB, srcB, dstB]);
    const readB = device.createBuffer({size: 8 + 12, usage: GPUBufferUsage.MAP_READ | CD});
    const outB = device.createBuffer({size: n * 4, usage: GPUBufferUsage.MAP_READ | CD});

    const times = [];
    let counts, args, out;
    for (let r = 0; r < reps; r++) {
      const t0 = performance.now();
      const enc = device.createCommandEncoder();
      enc.clearBuffer(counterB);
      enc.clearBuffer(dstB);
      // All three dispatches in ONE compute pass: each dispatch is its own usage scope, so the
      // storage writes of one are visible to the next, and argsB may be STORAGE in dispatch 2
      // and INDIRECT in dispatch 3.
      const pass = enc.beginComputePass();
      pass.setPipeline(pc); pass.setBindGroup(0, bc); pass.dispatchWorkgroups(Math.ceil(n / WG));
      pass.setPipeline(pa); pass.setBindGroup(0, ba); pass.dispatchWorkgroups(1);
      pass.setPipeline(pp); pass.setBindGroup(0, bp); pass.dispatchWorkgroupsIndirect(argsB, 0);
      pass.end();
      enc.copyBufferToBuffer(counterB, 0, readB, 0, 8);
      enc.copyBufferToBuffer(argsB, 0, readB, 8, 12);
      enc.copyBufferToBuffer(dstB, 0, outB, 0, n * 4);
      device.queue.submit([enc.finish()]);
      await Promise.all([readB.mapAsync(GPUMapMode.READ), outB.mapAsync(GPUMapMode.READ)]);
      const ab = readB.getMappedRange();
      counts = Array.from(new Uint32Array(ab, 0, 2));
      args = Array.from(new Uint32Array(ab, 8, 3));
      out = new Float32Array(outB.getMappedRange().slice(0));
      readB.unmap(); outB.unmap();
      times.push(performance.now() - t0);
    }
    let bad = 0;
    for (let i = 0; i < n; i++) {
      const want = mask[i] ? src[i] * 2 + 1 : 0;
      if (out[i] !== want) bad++;
    }
    for (const b of [maskB, srcB, dstB, listB, counterB, argsB, nB, readB, outB]) b.destroy();
    const [count, processed] = counts;
    const ok = bad === 0 && count === active && processed === active &&
        args[0] === Math.ceil(active / WG) && args[1] === 1 && args[2] === 1;
    times.sort((a, b) => a - b);
    return {n, density, active, count, processed, args, wrong: bad, ok, msMedian: +times[times.length >> 1].toFixed(3)};
  });
}

/** A shader that fails to compile must show up in the validation scope (and not as silent zeros). */
export async function checkErrorScopesWork(device) {
  device.pushErrorScope('validation');
  const module = device.createShaderModule({code: '@compute @workgroup_size(1) fn main() { let x: u32 = 1.5; }'});
  try {
    device.createComputePipeline({layout: 'auto', compute: {module, entryPoint: 'main'}});
  } catch (e) {
    // Some implementations throw instead; count that as caught too.
    await device.popErrorScope();
    return {caught: true, how: 'exception', message: String(e.message || e).split('\n')[0]};
  }
  const err = await device.popErrorScope();
  return {caught: !!err, how: err ? err.constructor?.name : null, message: err ? err.message.split('\n').slice(0, 2).join(' ') : null};
}
