// Compiles every kernels-wgsl module of delta-webgpu (as src/webgpu/programs.ts concatenates them) on
// the software adapter and prints the compiler's messages: `npm run build && node scripts/webgpu/check-wgsl.cjs`.
const {installNodeWebGPU} = require('../../dist/cjs/webgpu/register.js');
const {WGSL} = require('../../dist/cjs/webgpu/wgsl.generated.js');

const MODULES = [
  ['common'], ['sparsify'], ['activation', 'pointwise'], ['activation', 'conv'], ['densediff'], ['ranges'],
  ...['pool', 'resize', 'concat', 'pad', 'mean', 'conv_transpose', 'elementwise'].map((f) => [f, 'gather']),
];

(async () => {
  const r = installNodeWebGPU(process.env.DELTA_WEBGPU_ADAPTER || 'lavapipe');
  if (!r.ok) throw new Error(r.why);
  const adapter = await navigator.gpu.requestAdapter();
  const device = await adapter.requestDevice({requiredLimits: {maxStorageBuffersPerShaderStage: adapter.limits.maxStorageBuffersPerShaderStage}});
  let bad = 0;
  for (const files of MODULES) {
    const m = device.createShaderModule({code: files.map((f) => WGSL[f]).join('\n')});
    const info = await m.getCompilationInfo();
    const errs = info.messages.filter((x) => x.type === 'error');
    if (errs.length) bad++;
    console.log(`${files.join('+')}: ${errs.length ? 'ERROR' : 'ok'}`);
    for (const x of info.messages) console.log(`  ${x.type} ${x.lineNum}:${x.linePos} ${x.message}`);
  }
  process.exit(bad ? 1 : 0);
})();
