// Build: TypeScript -> dist/cjs (one module instance for CJS and ESM users), thin ESM
// wrappers in dist/esm that re-export the CJS build (so `import` and `require` share state).
import {execFileSync} from 'node:child_process';
import {mkdirSync, writeFileSync} from 'node:fs';
import {createRequire} from 'node:module';

const require = createRequire(import.meta.url);
const tsc = require.resolve('typescript/bin/tsc');
execFileSync(process.execPath, [tsc, '-p', 'tsconfig.json'], {stdio: 'inherit'});

mkdirSync('dist/esm', {recursive: true});
const index = require('../dist/cjs/index.js');
const names = Object.keys(index).filter((n) => n !== 'default' && n !== '__esModule');
writeFileSync('dist/esm/index.mjs',
    `import api from '../cjs/index.js';\n` +
    `export const {${names.join(', ')}} = api;\nexport default api;\n`);
writeFileSync('dist/esm/cpu.mjs', `import '../cjs/cpu/register.js';\n`);
