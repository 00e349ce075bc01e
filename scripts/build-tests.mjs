// Transpile the TypeScript specs (test/**/*.ts) to CommonJS under build/test. Specs import the
// package by its own name ('tfjs-backend-delta', 'tfjs-backend-delta/cpu'), which Node resolves to
// dist/ through package.json "exports", so specs and users load the same module instances.
import * as esbuild from 'esbuild';
import {readdirSync, statSync} from 'node:fs';
import {join} from 'node:path';

function walk(dir) {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    return statSync(p).isDirectory() ? walk(p) : (p.endsWith('.ts') && !p.endsWith('.d.ts') ? [p] : []);
  });
}
await esbuild.build({
  entryPoints: walk('test'),
  outdir: 'build/test',
  outbase: 'test',
  format: 'cjs',
  platform: 'node',
  target: 'node20',
  sourcemap: 'inline',
  logLevel: 'warning',
});
