// Stands in for Node built-ins (node:fs, node:path, node:os, ...) in the browser bundles of shared
// specs: the specs only use them for optional result files, inside try/catch. Every function throws.
const no = (name) => () => { throw new Error(`${name}() is not available in the browser`); };
const names = ['mkdirSync', 'writeFileSync', 'readFileSync', 'existsSync', 'statSync', 'readdirSync', 'rmSync',
  'join', 'resolve', 'dirname', 'basename', 'relative', 'normalize', 'availableParallelism', 'cpus', 'createHash',
  'spawnSync', 'execFileSync', 'fileURLToPath', 'createRequire'];
module.exports = Object.fromEntries(names.map((n) => [n, no(n)]));
