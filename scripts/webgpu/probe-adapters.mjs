// Which WebGPU adapters work here: Dawn (npm `webgpu`) on each software Vulkan ICD, and headless
// Chromium (Debian's, via playwright-core) with --enable-unsafe-webgpu. For each: request an
// adapter + device and run the compaction/indirect-dispatch check (test/webgpu-env/compaction.mjs)
// on a small buffer inside error scopes. Called at the end of scripts/webgpu/setup.sh.
//   node scripts/webgpu/probe-adapters.mjs        exit 0 if at least one Node adapter works
import {existsSync} from 'node:fs';
import {createServer} from 'node:http';
import {ICDS, createGpu} from '../../test/webgpu-env/gpu-node.mjs';
import {requestFullDevice, runCompaction} from '../../test/webgpu-env/compaction.mjs';

const line = (s) => console.log(`[webgpu-probe] ${s}`);
let nodeOk = 0;
for (const [name, {icd}] of Object.entries(ICDS)) {
  if (!existsSync(icd)) { line(`node/${name}: no ICD (${icd})`); continue; }
  try {
    const t0 = performance.now();
    const gpu = createGpu(name);
    const adapter = await gpu.requestAdapter();
    if (!adapter) throw new Error('requestAdapter() -> null (Dawn rejected the driver: see the Warning lines above)');
    const device = await requestFullDevice(adapter);
    const r = await runCompaction(device, {n: 4096, density: 0.1, reps: 1});
    device.destroy();
    if (!r.ok) throw new Error(`compaction wrong ${JSON.stringify(r)}`);
    line(`node/${name}: OK  "${adapter.info.description}"  (${Math.round(performance.now() - t0)} ms incl. compaction check)`);
    nodeOk++;
  } catch (e) {
    line(`node/${name}: FAILED ${String(e.message || e).split('\n')[0]}`);
  }
}

const chromiumPath = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
let pw = null;
try { pw = await import('playwright-core'); } catch { /* not installed */ }
if (!existsSync(chromiumPath)) line(`chromium: ${chromiumPath} missing`);
else if (!pw) line('chromium: playwright-core not installed (npm ci)');
else {
  const server = createServer((q, r) => { r.writeHead(200, {'content-type': 'text/html'}); r.end('<!doctype html><title>probe</title>'); });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  try {
    const t0 = performance.now();
    const browser = await pw.chromium.launch({executablePath: chromiumPath, headless: true,
      args: ['--enable-unsafe-webgpu', '--disable-quic', '--disable-background-networking', '--disable-component-update', '--no-first-run']});
    const page = await browser.newPage();
    await page.goto(`http://127.0.0.1:${server.address().port}/`);   // WebGPU needs a secure context: localhost, not about:blank
    const r = await page.evaluate(async () => {
      const a = await navigator.gpu?.requestAdapter();
      if (!a) return null;
      const d = await a.requestDevice();
      d.pushErrorScope('validation');
      const m = d.createShaderModule({code: '@group(0) @binding(0) var<storage, read_write> b: array<atomic<u32>>; @compute @workgroup_size(64) fn main() { atomicAdd(&b[0], 1u); }'});
      const p = d.createComputePipeline({layout: 'auto', compute: {module: m, entryPoint: 'main'}});
      const buf = d.createBuffer({size: 4, usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC});
      const ind = d.createBuffer({size: 12, usage: GPUBufferUsage.INDIRECT | GPUBufferUsage.COPY_DST});
      d.queue.writeBuffer(ind, 0, new Uint32Array([3, 1, 1]));
      const rd = d.createBuffer({size: 4, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST});
      const e = d.createCommandEncoder(); const pass = e.beginComputePass();
      pass.setPipeline(p); pass.setBindGroup(0, d.createBindGroup({layout: p.getBindGroupLayout(0), entries: [{binding: 0, resource: {buffer: buf}}]}));
      pass.dispatchWorkgroupsIndirect(ind, 0); pass.end();
      e.copyBufferToBuffer(buf, 0, rd, 0, 4); d.queue.submit([e.finish()]);
      await rd.mapAsync(GPUMapMode.READ);
      const count = new Uint32Array(rd.getMappedRange())[0];
      const err = await d.popErrorScope();
      return {vendor: a.info.vendor, architecture: a.info.architecture, count, err: err && err.message};
    });
    await browser.close();
    const ms = Math.round(performance.now() - t0);
    if (!r) line(`chromium: FAILED no adapter (${browser.version()})`);
    else if (r.count !== 192 || r.err) line(`chromium: FAILED indirect atomics count=${r.count} err=${r.err}`);
    else line(`chromium: OK  ${r.vendor}/${r.architecture}  (${browser.version()}, ${ms} ms incl. launch)`);
  } catch (e) {
    line(`chromium: FAILED ${String(e.message || e).split('\n')[0]}`);
  } finally {
    server.close();
  }
}
process.exit(nodeOk ? 0 : 1);
