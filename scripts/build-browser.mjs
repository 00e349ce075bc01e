// Browser builds (run by scripts/build.mjs after tsc; docs/browser.md):
//
//  dist/browser/{index,cpu,webgpu}.mjs  real ESM for bundlers (package.json "exports", condition
//      "browser"): the three entry points with shared chunks (one module instance of the engine and
//      API across them), every package import left bare so that the app's bundler resolves tfjs-core
//      (and tfjs-backend-cpu / -webgpu) to the app's own single copy. No Node module inside: the Node
//      WebGPU installer (src/webgpu/node_gpu.ts) is replaced by src/browser/node_gpu.ts.
//  dist/tf-backend-delta.js, dist/tf-backend-delta.min.js  UMD for <script> tags (package.json
//      "unpkg"/"jsdelivr"): expects tfjs as the global `tf` like the official tf-backend-webgpu.min.js,
//      registers delta-cpu and delta-webgpu on it, exposes the API as the global `tfDelta` (= `tf.delta`).
//      Under CommonJS / AMD it requires @tensorflow/tfjs-core, -backend-cpu and -backend-webgpu instead.
import * as esbuild from 'esbuild';
import {readFileSync, rmSync} from 'node:fs';
import {dirname, join, resolve} from 'node:path';
import {fileURLToPath} from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));

/** The tfjs packages the UMD takes from its host (global `tf`, or require/define). */
export const UMD_DEPS = ['@tensorflow/tfjs-core', '@tensorflow/tfjs-backend-cpu', '@tensorflow/tfjs-backend-webgpu'];

// Swaps the Node-only WebGPU installer for its browser stand-in (same exports).
const browserStandIns = {
  name: 'browser-stand-ins',
  setup(b) {
    b.onResolve({filter: /\/node_gpu$/}, (a) =>
      (a.importer.includes(`${join('src', 'webgpu')}`) ? {path: join(root, 'src/browser/node_gpu.ts')} : undefined));
  },
};

const common = {
  bundle: true, platform: 'browser', target: 'es2020', logLevel: 'warning', charset: 'utf8',
  plugins: [browserStandIns], legalComments: 'none',
};

export async function buildBrowser() {
  rmSync(join(root, 'dist/browser'), {recursive: true, force: true});
  // ---- ESM for bundlers ---------------------------------------------------------------------
  await esbuild.build({
    ...common,
    entryPoints: {index: 'src/index.ts', cpu: 'src/cpu/register.ts', webgpu: 'src/webgpu/register.ts'},
    absWorkingDir: root,
    outdir: 'dist/browser', format: 'esm', splitting: true, outExtension: {'.js': '.mjs'},
    chunkNames: 'chunks/[name]-[hash]', packages: 'external', sourcemap: true,
  });

  // ---- UMD ----------------------------------------------------------------------------------
  // esbuild writes CommonJS (require of the three tfjs packages left in place); the banner/footer
  // wrap it in a UMD factory whose `require` hands out the host's tfjs.
  const external = new Set();
  const collect = {
    name: 'umd-externals',
    setup(b) {
      b.onResolve({filter: /^@tensorflow\//}, (a) => {
        if (!UMD_DEPS.includes(a.path)) {
          return {errors: [{text: `UMD: ${a.path} is not one of the UMD's host packages (${UMD_DEPS.join(', ')})`}]};
        }
        external.add(a.path);
        return {path: a.path, external: true};
      });
    },
  };
  const banner = `/**
 * ${pkg.name} ${pkg.version} (UMD) | ${pkg.license} | backends delta-cpu, delta-webgpu for TensorFlow.js.
 * Load after tfjs (global \`tf\`: tf-core + tf-backend-cpu + tf-backend-webgpu, or tf.min.js +
 * tf-backend-webgpu.min.js); exposes the API as \`tfDelta\` and \`tf.delta\`. docs/browser.md
 */
(function (global, factory) {
  var deps = ${JSON.stringify(UMD_DEPS)};
  if (typeof exports === 'object' && typeof module !== 'undefined') { module.exports = factory(require); return; }
  if (typeof define === 'function' && define.amd) { define(['require'].concat(deps), function (req) { return factory(req); }); return; }
  global = typeof globalThis !== 'undefined' ? globalThis : global || self;
  var tf = global.tf;
  var need = {registerKernel: 'tf-core.min.js (or tf.min.js)', MathBackendCPU: 'tf-backend-cpu.min.js (or tf.min.js)',
              WebGPUBackend: 'tf-backend-webgpu.min.js'};
  var missing = [];
  for (var k in need) if (!tf || typeof tf[k] !== 'function') missing.push('tf.' + k + ' (' + need[k] + ')');
  if (missing.length) throw new Error('tf-backend-delta: load the tfjs UMD bundles before this script; missing ' + missing.join(', '));
  var api = factory(function (name) {
    if (deps.indexOf(name) < 0) throw new Error('tf-backend-delta: unexpected require(' + name + ')');
    return tf;
  });
  global.tfDelta = api;
  if (Object.isExtensible(tf)) tf.delta = api;
})(this, function (require) {
var module = {exports: {}}, exports = module.exports;`;
  const footer = `return module.exports;\n});`;
  for (const minify of [false, true]) {
    await esbuild.build({
      ...common,
      entryPoints: [join(root, 'src/browser/umd.ts')],
      outfile: join(root, `dist/tf-backend-delta${minify ? '.min' : ''}.js`),
      format: 'cjs', minify, sourcemap: true,
      plugins: [browserStandIns, collect],
      banner: {js: banner}, footer: {js: footer},
    });
  }
  const unexpected = [...external].filter((p) => !UMD_DEPS.includes(p));
  if (unexpected.length) throw new Error(`UMD build requires packages it cannot take from the host: ${unexpected.join(', ')}`);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await buildBrowser();
