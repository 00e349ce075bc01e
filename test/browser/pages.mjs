// The pages of the browser suite (test/browser/run.mjs): how each is built and run.
import {readdirSync} from 'node:fs';
import {join} from 'node:path';
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
  const {root, bundle, pages, jasminePage, runJasminePage, log} = ctx;
  const env = (extra = {}) => ({...Object.fromEntries(Object.entries(process.env).filter(([k]) => k.startsWith('DELTA_'))), ...extra});

  return [
    {
      name: 'kernels',
      what: 'delta-webgpu kernel specs (harness, cpu reference in the page)',
      async run() {
        const specs = readdirSync(join(root, 'test/webgpu')).filter((f) => f.endsWith('.spec.ts')).sort();
        const entry = specs.map((f) => `import './test/webgpu/${f}';`).join('\n') + '\nwindow.__bundleLoaded = true;\n';
        const b = await bundle('kernels', entry);
        log(`kernels: bundled ${specs.join(', ')} (${b.ms} ms)`);
        pages.set('kernels', jasminePage('kernels', env()));
        return runJasminePage('kernels', 20 * 60_000);
      },
    },
    {
      name: 'core',
      what: 'tfjs-core kernel suites on delta-webgpu (exact mode, error scopes)',
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
        const b = await bundle('core', entry, {loader: 'js', define: {
          __DELTA_CORE_BACKEND__: JSON.stringify(backend), __DELTA_CORE_OPS__: JSON.stringify(ops)}});
        bundledOnce(b.metafile, '@tensorflow/tfjs-core', /\/dist\/tf-core[.\w]*\.js$/);
        bundledOnce(b.metafile, '@tensorflow/tfjs-backend-webgpu', /\/dist\/tf-backend-webgpu[.\w]*\.js$/);
        log(`core: bundled ${suites.length} suites on ${backend} (${b.ms} ms)`);
        pages.set('core', jasminePage('core', env()));
        return runJasminePage('core', 30 * 60_000);
      },
    },
  ];
}
