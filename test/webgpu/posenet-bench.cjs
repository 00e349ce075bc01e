// posenet (MobileNetV1 0.75, .cache/models/posenet) on lavapipe: tfjs-backend-webgpu dense vs
// delta-webgpu (exact mode, thresholds 0) on the same synthetic video: a smooth image with a 32x32
// square moving 3 px per frame (~3% of the input pixels change per frame), then one frame without
// change. Per frame: wall time of execute + await data() of the 4 outputs, max relative error of
// delta vs dense, and delta.stats() after settleStats() (dense MACs / performed MACs = the
// arithmetic ceiling of the speedup). Device errors are checked with error scopes.
//   npm run build && node test/webgpu/posenet-bench.cjs [--size 257] [--frames 12] [--adapter lavapipe] [--crossover F]
// (--crossover: delta-webgpu's denseCrossover, 0 = every conv step dense + diff, 2 = never)
const {readFileSync, existsSync} = require('node:fs');
const {dirname, join} = require('node:path');
const argv = process.argv.slice(2);
const opt = (n, d) => { const i = argv.indexOf(n); return i >= 0 ? argv[i + 1] : d; };
const SIZE = Number(opt('--size', 257)), FRAMES = Number(opt('--frames', 12));
const ADAPTER = opt('--adapter', 'lavapipe');
const CROSSOVER = opt('--crossover', null);  // delta-webgpu denseCrossover (default: the plane's)
process.env.VK_ICD_FILENAMES ??= ['/usr/lib/chromium/vk_swiftshader_icd.json', '/usr/share/vulkan/icd.d/lvp_icd.json'].filter(existsSync).join(':');
const {create, globals} = require('webgpu');
Object.assign(globalThis, globals);
globalThis.navigator = {gpu: create([`adapter=${ADAPTER === 'swiftshader' ? 'SwiftShader' : 'llvmpipe'}`])};
const tf = require('@tensorflow/tfjs-core');
require('@tensorflow/tfjs-backend-webgpu');
const deltaWebgpu = require('tfjs-backend-delta/webgpu');
if (CROSSOVER !== null) deltaWebgpu.configureDeltaWebGPU({denseCrossover: Number(CROSSOVER)});
const delta = require('tfjs-backend-delta');
const {loadGraphModel} = require('@tensorflow/tfjs-converter');

const root = join(__dirname, '..', '..');
const modelJson = join(root, '.cache/models/posenet/model.json');
function fileHandler([h, w]) {
  return {async load() {
    const json = JSON.parse(readFileSync(modelJson, 'utf8'));
    for (const node of json.modelTopology.node) {
      const d = node.op === 'Placeholder' ? node.attr?.shape?.shape?.dim : null;
      if (d?.length === 4) { d[1].size = String(h); d[2].size = String(w); }
    }
    return tf.io.getModelArtifactsForJSON(json, async (manifest) => {
      const specs = [], bufs = [];
      for (const g of manifest) { specs.push(...g.weights); for (const p of g.paths) bufs.push(readFileSync(join(dirname(modelJson), p))); }
      const all = Buffer.concat(bufs);
      return [specs, all.buffer.slice(all.byteOffset, all.byteOffset + all.byteLength)];
    });
  }};
}
function frame(f) {
  const v = new Float32Array(SIZE * SIZE * 3);
  const sx = 20 + 3 * f, sy = 40 + 2 * f;
  for (let y = 0; y < SIZE; y++) for (let x = 0; x < SIZE; x++) for (let c = 0; c < 3; c++) {
    const inSq = x >= sx && x < sx + 32 && y >= sy && y < sy + 32;
    v[(y * SIZE + x) * 3 + c] = inSq ? 0.8 - 0.3 * c : Math.sin(x / 17 + c) * 0.4 + Math.cos(y / 23 - c) * 0.3;
  }
  return v;
}
const frames = [];
for (let f = 0; f < FRAMES; f++) frames.push(frame(f));
frames.push(frames[FRAMES - 1]);  // a frame without change (same values, new tensor)
const median = (a) => { const b = [...a].sort((x, y) => x - y); return b[b.length >> 1]; };

async function run(name) {
  await tf.setBackend(name);
  const device = tf.backend().device;
  const model = await loadGraphModel(fileHandler([SIZE, SIZE]));
  const outs = [], times = [], stats = [], errors = [];
  for (let f = 0; f < frames.length; f++) {
    device.pushErrorScope('validation'); device.pushErrorScope('internal');
    const t0 = performance.now();
    const x = tf.tensor4d(frames[f], [1, SIZE, SIZE, 3]);
    const o = model.execute(x, model.outputNodes);
    const vals = await Promise.all(o.map((t) => t.data()));
    times.push(performance.now() - t0);
    tf.dispose([x, ...o]);
    for (const e of [await device.popErrorScope(), await device.popErrorScope()]) if (e) errors.push(`frame ${f}: ${e.message}`);
    outs.push(vals);
    if (name.startsWith('delta')) {
      await delta.settleStats();
      const s = delta.stats();
      const modes = {};
      for (const l of s.layers) modes[l.mode] = (modes[l.mode] ?? 0) + 1;
      stats.push({denseMacs: s.totals.denseMacs, performedMacs: s.totals.performedMacs, modes});
    }
  }
  model.dispose();
  return {outs, times, stats, errors};
}

(async () => {
  const dense = await run('webgpu');
  delta.reset();
  const d = await run('delta-webgpu');
  const rows = [];
  for (let f = 0; f < frames.length; f++) {
    let rel = 0, scale = 0;
    d.outs[f].forEach((v, k) => {
      const ref = dense.outs[f][k];
      let m = 0, r = 0;
      for (let i = 0; i < ref.length; i++) { m = Math.max(m, Math.abs(v[i] - ref[i])); r = Math.max(r, Math.abs(ref[i])); }
      rel = Math.max(rel, m / Math.max(r, 1e-6));
      scale = Math.max(scale, r);
    });
    const s = d.stats[f];
    rows.push({frame: f === frames.length - 1 ? `${f} (no change)` : f, denseMs: +dense.times[f].toFixed(1), deltaMs: +d.times[f].toFixed(1),
      maxRelErr: rel.toExponential(2), maxAbsOut: +scale.toFixed(3), ceiling: +(s.denseMacs / Math.max(1, s.performedMacs)).toFixed(2),
      performedMacsM: +(s.performedMacs / 1e6).toFixed(2), modes: JSON.stringify(s.modes)});
  }
  console.table(rows);
  const warm = (a) => median(a.slice(2, FRAMES));
  console.log(JSON.stringify({size: SIZE, adapter: ADAPTER, denseMedianMs: warm(dense.times), deltaMedianMs: warm(d.times),
    noChangeDenseMs: dense.times.at(-1), noChangeDeltaMs: d.times.at(-1),
    medianCeiling: median(d.stats.slice(2, FRAMES).map((s) => s.denseMacs / Math.max(1, s.performedMacs))),
    plane: tf.backend().plane?.counters, errors: [...dense.errors, ...d.errors]}));
  process.exit(0);
})().catch((e) => { console.error(e); process.exit(1); });
