// The pages of the browser suite (test/browser/run.mjs): how each is built and run.
import {spawnSync} from 'node:child_process';
import {cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync} from 'node:fs';
import {createRequire} from 'node:module';
import {join, relative, resolve} from 'node:path';
import {execFileSync} from 'node:child_process';
import * as vm from 'node:vm';
import * as esbuild from 'esbuild';
import {SUITES} from '../core-suites/suites.mjs';

/** Checks on an esbuild metafile that a package is bundled once, as ESM (no prebuilt UMD/CJS bundle). */
export function bundledOnce(metafile, pkg, umd) {
  const inputs = Object.keys(metafile.inputs).filter((p) => p.includes(`node_modules/${pkg}/`));
  const roots = new Set(inputs.map((p) => p.slice(0, p.lastIndexOf(`node_modules/${pkg}/`))));
  const bad = inputs.filter((p) => umd.test(p));
  if (inputs.length === 0 || roots.size !== 1 || bad.length) {
    throw new Error(`${pkg} is not bundled exactly once as ESM (copies under: ${[...roots]}; prebuilt bundles: ${bad}; files: ${inputs.length})`);
  }
}

export function definePages(ctx) {
  const {root, out, bundle, pages, frames, jasminePage, runJasminePage, runChecksPage, checksResult, log} = ctx;
  let dataIndex = null;
  // Test data as the Node suites get it (scripts/setup-data.mjs: idempotent, cached).
  function testData() {
    if (dataIndex) return dataIndex;
    const setup = spawnSync(process.execPath, [join(root, 'scripts/setup-data.mjs')], {cwd: root, stdio: 'inherit'});
    const indexFile = join(resolve(process.env.DELTA_CACHE || join(root, '.cache')), 'data.json');
    if (!existsSync(indexFile)) throw new Error(`scripts/setup-data.mjs exited ${setup.status} and wrote no ${indexFile}`);
    return (dataIndex = JSON.parse(readFileSync(indexFile, 'utf8')));
  }
  const cli = () => createRequire(import.meta.url)(join(root, 'dist/cjs/cli/index.js'));
  /** Decodes n frames of a clip at the model's input size (ffmpeg, in Node) and serves them as /frames/<model>/<clip>. */
  function serveFrames(model, clip, n, size) {
    const data = testData();
    if (!data.clips[clip] || !data.ffmpeg) throw new Error(`clip ${clip} or ffmpeg not available (scripts/setup-data.mjs)`);
    if (!data.models[model]) throw new Error(`model ${model} not in the cache (scripts/setup-data.mjs)`);
    const spec = cli().MODELS[model];
    const [w, h] = size ? [size, size] : [spec.width, spec.height];
    const c = cli().decodeFrames(data.clips[clip], {start: 0, count: n, width: w, height: h, fit: spec.fit, ffmpeg: data.ffmpeg});
    const all = new Uint8Array(c.frames.reduce((a, f) => a + f.length, 0));
    c.frames.reduce((o, f) => (all.set(f, o), o + f.length), 0);
    frames.set(`${model}/${clip}`, all);
  }
  const env = (extra = {}) => ({...Object.fromEntries(Object.entries(process.env).filter(([k]) => k.startsWith('DELTA_'))), ...extra});

  // The spec and helper sources (test/.../*.ts) a jasmine config of the Node suites selects (its globs are
  // over the transpiled build/test/.../*.js; `!` excludes).
  function sourcesOf(configFile) {
    const cfg = JSON.parse(readFileSync(join(root, configFile), 'utf8'));
    const walk = (dir) => readdirSync(join(root, dir), {withFileTypes: true}).flatMap((e) =>
      (e.isDirectory() ? walk(`${dir}/${e.name}`) : e.name.endsWith('.ts') && !e.name.endsWith('.d.ts') ? [`${dir}/${e.name}`] : []));
    const all = walk('test').map((f) => f.slice('test/'.length).replace(/\.ts$/, '.js'));
    const re = (g) => new RegExp(`^${g.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*\*\//g, '(?:.*/)?').replace(/\*/g, '[^/]*')}$`);
    const select = (globs) => {
      const inc = globs.filter((g) => !g.startsWith('!')).map(re), exc = globs.filter((g) => g.startsWith('!')).map((g) => re(g.slice(1)));
      return all.filter((f) => inc.some((r) => r.test(f)) && !exc.some((r) => r.test(f))).sort().map((f) => `test/${f.replace(/\.js$/, '.ts')}`);
    };
    return {helpers: select(cfg.helpers ?? []), specs: select(cfg.spec_files ?? [])};
  }

  function jasminePageFromConfig(name, configFile, what) {
    return {
      name, what,
      async run() {
        const {helpers, specs} = sourcesOf(configFile);
        if (!specs.length) throw new Error(`${configFile} selects no spec under test/`);
        const entry = [...helpers, ...specs].map((f) => `import './${f}';`).join('\n') + '\nwindow.__bundleLoaded = true;\n';
        const b = await bundle(name, entry);
        log(`${name}: bundled ${[...helpers, ...specs].map((f) => f.slice(5)).join(', ')} (${b.ms} ms)`);
        pages.set(name, jasminePage(name, env()));
        return runJasminePage(name, 30 * 60_000);
      },
    };
  }

  /** tfjs-core's suites on delta-webgpu; primed: every dense run of a delta kernel becomes a seed on zeros
   *  plus a delta step (configure({primeDeltaPath: true}), as test/core-suites with DELTA_CORE_PRIME=1). */
  function corePage(name, primed) {
    return {
      name,
      what: `tfjs-core kernel suites on delta-webgpu (exact mode${primed ? ', delta path primed' : ''}, error scopes)`,
      async run() {
        const backend = process.env.DELTA_CORE_BACKEND || 'delta-webgpu';
        const ops = process.env.DELTA_BROWSER_CORE_OPS ? process.env.DELTA_BROWSER_CORE_OPS.split(',') : null;
        const suites = ops ? SUITES.filter((s) => ops.includes(s.op)) : SUITES;
        const core = '@tensorflow/tfjs-core/dist';
        const entry = [
          `import '${core}/index.js';`,
          `import '${core}/public/chained_ops/register_all_chained_ops.js';`,
          `import '${core}/register_all_gradients.js';`,
          backend === 'webgpu' ? `import '@tensorflow/tfjs-backend-webgpu';` : `import 'tfjs-backend-delta/webgpu';`,
          `import './test/browser/core-setup.mjs';`,
          ...[...new Set(suites.flatMap((s) => s.files))].map((f) => `import '${core}/${f}';`),
          'window.__bundleLoaded = true;',
        ].join('\n');
        const b = await bundle(name, entry, {loader: 'js', define: {
          __DELTA_CORE_BACKEND__: JSON.stringify(backend), __DELTA_CORE_OPS__: JSON.stringify(ops), __DELTA_CORE_PRIME__: String(primed)}});
        bundledOnce(b.metafile, '@tensorflow/tfjs-core', /\/dist\/tf-core[.\w]*\.js$/);
        bundledOnce(b.metafile, '@tensorflow/tfjs-backend-webgpu', /\/dist\/tf-backend-webgpu[.\w]*\.js$/);
        log(`${name}: bundled ${suites.length} suites on ${backend} (${b.ms} ms)`);
        pages.set(name, jasminePage(name, env()));
        const r = await runJasminePage(name, 30 * 60_000);
        if (r.skipped) r.note = `${r.skipped} excluded: test/browser/core-excludes.mjs`;
        return r;
      },
    };
  }

  return [
    // The Node suites' own jasmine configs say which specs and helpers run on delta-webgpu: the same files
    // run here (test/webgpu/models.spec.ts is excluded there and replaced by the 'models' page here).
    jasminePageFromConfig('kernels', 'test/jasmine-webgpu.json', 'delta-webgpu kernel specs (test/webgpu: harness, cpu reference in the page)'),
    jasminePageFromConfig('shared-kernels', 'test/jasmine-webgpu-shared.json',
        'shared per-kernel delta specs (test/kernels) on delta-webgpu, exact + threshold mode'),
    corePage('core', false),
    corePage('core-primed', true),
    {
      name: 'umd',
      what: 'dist/tf-backend-delta.min.js + official tfjs UMD bundles (<script>, global tf): posenet frames',
      async run() {
        const job = {model: 'posenet', clip: 'pose_1', size: 257};
        serveFrames(job.model, job.clip, 3, job.size);
        pages.set('umd', `<!doctype html><meta charset="utf-8"><title>umd</title>
<script>addEventListener('error', (e) => { window.__bundleError = String(e.error?.stack ?? e.message); });</script>
<script src="/tfjs/tfjs-core/tf-core.min.js"></script>
<script src="/tfjs/tfjs-backend-cpu/tf-backend-cpu.min.js"></script>
<script src="/tfjs/tfjs-backend-webgpu/tf-backend-webgpu.min.js"></script>
<script src="/tfjs/tfjs-converter/tf-converter.min.js"></script>
<script src="/dist/tf-backend-delta.min.js"></script>
<script src="/umd-page.js"></script>`);
        return runChecksPage('umd', 20 * 60_000, job);
      },
    },
    {
      name: 'bundlers',
      what: "an app importing 'tfjs-backend-delta/webgpu' built with esbuild and Vite: one tfjs-core, tree-shaking, runs",
      async run() {
        // The app's sources with the package installed by name (a link to this repository, as npm link).
        const src = join(out, 'app-src');
        rmSync(src, {recursive: true, force: true});
        cpSync(join(root, 'test/browser/app'), src, {recursive: true});
        mkdirSync(join(src, 'node_modules'), {recursive: true});
        symlinkSync(root, join(src, 'node_modules/tfjs-backend-delta'), 'dir');
        const checks = [];
        const check = (name, ok, detail = '') => checks.push({name, ok: !!ok, detail: String(detail)});
        const fromPkg = (inputs, path) => inputs.some((p) => p.endsWith(path));

        // esbuild (minified, as an app would ship it)
        const eb = join(out, 'app-esbuild');
        rmSync(eb, {recursive: true, force: true});
        const r = await esbuild.build({entryPoints: [join(src, 'main.mjs')], bundle: true, format: 'esm', platform: 'browser',
          target: 'chrome120', minify: true, outfile: join(eb, 'main.js'), metafile: true, logLevel: 'error'});
        writeFileSync(join(eb, 'index.html'), '<!doctype html><meta charset="utf-8"><script type="module" src="./main.js"></script>');
        const inputs = Object.keys(r.metafile.inputs);
        let one = '';
        try { bundledOnce(r.metafile, '@tensorflow/tfjs-core', /\/dist\/tf-core[.\w]*\.js$/); } catch (e) { one = e.message; }
        check('esbuild: tfjs-core bundled once (the app\'s copy), as ESM', !one, one);
        check('esbuild: the package resolved to its browser ESM build (dist/browser), no CommonJS or Node code',
            fromPkg(inputs, 'dist/browser/webgpu.mjs') && !inputs.some((p) => p.includes('dist/cjs') || p.includes('dist/esm/') || p.includes('node_gpu')),
            inputs.filter((p) => !p.includes('node_modules/@tensorflow')).join(', '));
        // Tree-shaking: only the API
        const ts = await esbuild.build({entryPoints: [join(src, 'only-api.mjs')], bundle: true, format: 'esm', platform: 'browser',
          minify: true, write: false, metafile: true, logLevel: 'error'});
        const tsInputs = Object.keys(ts.metafile.inputs);
        const text = ts.outputFiles[0].text;
        check(`esbuild tree-shaking: an app using only getConfig() gets no backend, kernels or WGSL (${(text.length / 1024).toFixed(0)} KiB)`,
            !tsInputs.some((p) => /tfjs-backend-(cpu|webgpu)|dist\/browser\/(cpu|webgpu)\.mjs/.test(p)) && !text.includes('@compute'),
            tsInputs.filter((p) => !p.includes('tfjs-core')).join(', '));

        // Vite (rolldown)
        const {build, version} = await import('vite');
        const vo = join(out, 'app-vite');
        const vr = await build({root: src, base: './', configFile: false, logLevel: 'error',
          build: {outDir: vo, emptyOutDir: true, minify: true, reportCompressedSize: false}});
        const chunks = (Array.isArray(vr) ? vr : [vr]).flatMap((o) => o.output).filter((c) => c.type === 'chunk');
        const ids = chunks.flatMap((c) => c.moduleIds ?? Object.keys(c.modules ?? {}));
        const engines = new Set(ids.filter((p) => p.replace(/\\/g, '/').endsWith('tfjs-core/dist/engine.js')));
        check(`Vite ${version}: tfjs-core bundled once (one engine module)`, engines.size === 1, [...engines].join(', ') || `${ids.length} modules`);
        check(`Vite ${version}: the package resolved to dist/browser`, ids.some((p) => p.endsWith('dist/browser/webgpu.mjs')) && !ids.some((p) => p.includes('dist/cjs')),
            ids.filter((p) => !p.includes('node_modules')).join(', '));
        // The UMD outside a browser: under CommonJS it requires the tfjs packages; as a plain script without
        // tfjs loaded first it names what is missing.
        const umd = join(root, 'dist/tf-backend-delta.min.js');
        let cjs = '';
        try {
          cjs = execFileSync(process.execPath, ['-e', `const tf = require('@tensorflow/tfjs-core'); const d = require(${JSON.stringify(umd)});
            tf.setBackend('delta-cpu').then(() => console.log(JSON.stringify([typeof d.configure, typeof d.stats, tf.getBackend(),
              !!tf.findBackendFactory('delta-webgpu')])))`], {cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore']}).trim().split('\n').pop();
        } catch (e) { cjs = String(e.message).split('\n')[0]; }
        check('UMD under CommonJS (Node require): API exported, delta-cpu runs, delta-webgpu registered', cjs === '["function","function","delta-cpu",true]', cjs);
        let missing = '';
        try { vm.runInNewContext(readFileSync(umd, 'utf8'), {tf: {registerKernel() {}}}); } catch (e) { missing = String(e.message); }
        check('UMD as a script without tf-backend-cpu / -webgpu: a clear error naming them',
            missing.includes('tf.MathBackendCPU (tf-backend-cpu.min.js') && missing.includes('tf.WebGPUBackend (tf-backend-webgpu.min.js)'), missing);
        log(`bundlers: esbuild ${(Object.values(r.metafile.outputs)[0].bytes / 1024).toFixed(0)} KiB, Vite ${version} ${chunks.length} chunk(s)`);
        const node = checksResult(checks);
        const inEsbuild = await runChecksPage('app-esbuild', 10 * 60_000, null, `/b/${relative(out, eb)}/index.html`);
        const inVite = await runChecksPage('app-vite', 10 * 60_000, null, `/b/${relative(out, vo)}/index.html`);
        for (const [tag, x] of [['esbuild app', inEsbuild], ['Vite app', inVite]]) for (const f of x.failures) f.name = `${tag}: ${f.name}`;
        return [node, inEsbuild, inVite].reduce((a, x) => ({passed: a.passed + x.passed, failed: a.failed + x.failed, skipped: 0,
          failures: [...a.failures, ...x.failures]}), {passed: 0, failed: 0, skipped: 0, failures: []});
      },
    },
    // Last: by far the slowest page (SwiftShader).
    {
      name: 'models',
      what: 'real models on vtest.avi and pose_1.mp4: delta-webgpu exact mode vs cpu',
      async run() {
        const n = Number(process.env.DELTA_BROWSER_FRAMES || 2);
        const modelRe = process.env.DELTA_MODELS ? new RegExp(process.env.DELTA_MODELS) : null;
        const clipRe = process.env.DELTA_CLIPS ? new RegExp(process.env.DELTA_CLIPS) : null;
        const jobs = [];
        const t = Date.now();
        for (const clip of ['vtest', 'pose_1']) {
          if (clipRe && !clipRe.test(clip)) continue;
          for (const model of Object.keys(cli().MODELS)) {
            if (modelRe && !modelRe.test(model)) continue;
            serveFrames(model, clip, n);
            jobs.push({model, clip, frames: n});
          }
        }
        log(`models: decoded ${jobs.length} x ${n} frames (${Date.now() - t} ms)`);
        const b = await bundle('models', `import './test/browser/models.spec.ts';\nwindow.__bundleLoaded = true;\n`);
        log(`models: bundled (${b.ms} ms)`);
        pages.set('models', jasminePage('models', env({DELTA_BROWSER_JOBS: JSON.stringify(jobs)})));
        return runJasminePage('models', 40 * 60_000);
      },
    },
    ];
}
