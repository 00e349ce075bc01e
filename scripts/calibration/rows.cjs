// The rows of the GPU calibration protocol that the frame packs of a carry folder allow (run.sh runs them;
// pack.mjs copies this file to <carry>/js/rows.cjs). Prints one line per row: its name, then evaluate.cjs's
// arguments. Windows: vtest calibrates on 0-49 and evaluates on the second pack (100-399, or what fit);
// pose_1 (one pack, 0-119) on 0-49 / 50-119. Environment (run.sh sets it): OUTDIR, COST_MODEL, EVALS,
// CAL_SECONDS, TARGETS (calibration targets, evaluated against 0.99; default "0.99 0.995"), ROWS (regexp),
// EVAL_ARGS (appended to every row).
const {existsSync, readFileSync} = require('node:fs');
const {join} = require('node:path');

const C = process.argv[2];
const {set, packs: index} = JSON.parse(readFileSync(join(C, 'frames', 'index.json'), 'utf8'));
const env = (k, d) => process.env[k] || d;
// Heaviest first (rows start in this order); `from`: packs of another size, resized (evaluate.cjs --frames).
const MODELS = [
  {model: 'centernet', pack: '512x512-stretch'},
  {model: 'posenet', pack: '257x257-stretch'},
  {model: 'movenet-lightning', pack: '192x192-pad'},
  {model: 'selfie', pack: '256x256-stretch', from: '257x257-stretch'},
  {model: 'posenet', pack: '577x577-stretch', size: '577x577'},
  {model: 'posenet', pack: '769x577-stretch', size: '769x577'},
];
const fileOf = (e, start) => join(C, 'frames', `${e.clip}-${e.size}-${e.fit}${start ? `-from${start}` : ''}.frames.br`);
const rowsRe = process.env.ROWS ? new RegExp(process.env.ROWS) : null;
for (const t of env('TARGETS', '0.99 0.995').split(/\s+/)) {
  for (const clip of ['vtest', 'pose_1']) {
    for (const m of MODELS) {
      if (!existsSync(join(C, 'models', m.model, 'model.json'))) continue;
      const find = (p) => index.find((e) => e.clip === clip && `${e.size}-${e.fit}` === p && e.ranges.length);
      const e = find(m.pack) ?? (m.from ? find(m.from) : undefined);
      if (!e) continue;
      let cal, ev;
      if (e.ranges.length === 2) { cal = e.ranges[0]; ev = e.ranges[1]; } else {
        const [a, b] = e.ranges[0];
        cal = [a, a + 49]; ev = [clip === 'vtest' ? 100 : a + 50, b];
      }
      const name = `${m.model}${m.size ? `-${m.size}` : ''}-${clip}-${t}`;
      if (rowsRe && !rowsRe.test(name)) continue;
      // another set's rows (pack.mjs --set) get its name in their file names: results of two runs can share a folder
      const tag = [m.size, Number(t) !== 0.99 ? `cal${t.replace('.', '')}` : null, set !== 'main' ? set : null].filter(Boolean).join('-');
      const args = ['--model', join(C, 'models', m.model, 'model.json'), ...(m.size ? ['--size', m.size] : []),
        '--frames', e.ranges.map(([a]) => fileOf(e, a)).join(','), '--cal', `${cal[0]},${cal[1] + 1}`, '--eval', `${ev[0]},${ev[1] + 1}`,
        '--backend', 'delta-cuda', '--cost-model', env('COST_MODEL', 'sparse'), '--target', '0.99', '--cal-target', t,
        '--evaluations', env('EVALS', '60'), '--seconds', env('CAL_SECONDS', '150'), '--out', env('OUTDIR', 'out'),
        ...(tag ? ['--tag', tag] : []), ...env('EVAL_ARGS', '').split(/\s+/).filter(Boolean)];
      console.log([name, ...args].join(' '));
    }
  }
}
