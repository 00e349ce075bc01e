// Crossover of the delta-webgpu conv cost model on lavapipe: time of one changed frame of a single conv
// layer (posenet-like shapes) with a given fraction of its input pixels changed (a contiguous band, so the
// touched output fraction is about the same), forced sparse (denseCrossover 2) vs forced dense +
// diff pass (denseCrossover 0), and tfjs-webgpu dense for reference. Median of --reps frames.
//   npm run build && node test/webgpu/crossover-bench.cjs [--reps 5]
const {existsSync} = require('node:fs');
const argv = process.argv.slice(2);
const REPS = Number(argv[argv.indexOf('--reps') + 1] || 5);
process.env.VK_ICD_FILENAMES ??= ['/usr/share/vulkan/icd.d/lvp_icd.json'].filter(existsSync).join(':');
const {create, globals} = require('webgpu');
Object.assign(globalThis, globals);
globalThis.navigator = {gpu: create(['adapter=llvmpipe'])};
const tf = require('@tensorflow/tfjs-core');
require('@tensorflow/tfjs-backend-webgpu');
const {configureDeltaWebGPU} = require('tfjs-backend-delta/webgpu');
const delta = require('tfjs-backend-delta');
const median = (a) => { const b = [...a].sort((x, y) => x - y); return b[b.length >> 1]; };

const LAYERS = [
  {name: '1x1 33x33 384->384', h: 33, cin: 384, cout: 384, f: 1, dw: false},
  {name: '1x1 65x65 128->128', h: 65, cin: 128, cout: 128, f: 1, dw: false},
  {name: 'dw3x3 33x33 384', h: 33, cin: 384, cout: 384, f: 3, dw: true},
];
const FRACS = [0.05, 0.1, 0.2, 0.3, 0.5, 1];

async function time(layer, frac, mode) {
  await tf.setBackend(mode === 'tfjs' ? 'webgpu' : 'delta-webgpu');
  if (mode !== 'tfjs') configureDeltaWebGPU({denseCrossover: mode === 'dense' ? 0 : 2});
  delta.reset();
  const {h, cin, cout, f, dw} = layer;
  const filt = tf.randomUniform(dw ? [f, f, cin, 1] : [f, f, cin, cout], -0.1, 0.1);
  const bias = tf.randomUniform([cout]);
  const base = tf.randomUniform([1, h, h, cin]).arraySync ? null : null;
  const x0 = await tf.randomUniform([1, h, h, cin], 0, 1, 'float32', 1).data();
  const op = (x) => dw ?
    tf.fused.depthwiseConv2d({x, filter: filt, strides: 1, pad: 'same', bias, activation: 'relu6'}) :
    tf.fused.conv2d({x, filter: filt, strides: 1, pad: 'same', bias, activation: 'relu6'});
  const rows = Math.max(1, Math.round(frac * h));
  const times = [];
  for (let r = 0; r <= REPS; r++) {
    const v = x0.slice();
    if (r > 0) for (let y = 0; y < rows; y++) for (let i = y * h * cin; i < (y + 1) * h * cin; i++) v[i] += 0.01 * r;
    const x = tf.tensor4d(v, [1, h, h, cin]);
    const t0 = performance.now();
    const o = mode === 'tfjs' ? op(x) : delta.frame(() => op(x));
    await o.data();
    if (r > 0) times.push(performance.now() - t0);
    tf.dispose([x, o]);
  }
  tf.dispose([filt, bias]);
  void base;
  return median(times);
}

(async () => {
  const out = [];
  for (const layer of LAYERS) {
    const ref = await time(layer, 1, 'tfjs');
    for (const frac of FRACS) {
      const s = await time(layer, frac, 'sparse'), d = await time(layer, frac, 'dense');
      out.push({layer: layer.name, frac, tfjsMs: +ref.toFixed(1), sparseMs: +s.toFixed(1), denseDiffMs: +d.toFixed(1)});
    }
  }
  console.table(out);
  process.exit(0);
})().catch((e) => { console.error(e); process.exit(1); });
