/** The package's entry points: ESM and CJS on Node 20 share one module instance. */
import {execFileSync} from 'node:child_process';

describe('entry points', () => {
  it('works from ESM (import) and shares state with require()', () => {
    const out = execFileSync(process.execPath, ['test/fixtures/esm-smoke.mjs'], {encoding: 'utf8'});
    const r = JSON.parse(out.trim().split('\n').pop()!);
    expect(r.sharedConfig).toBe(true);
    expect(r.values).toEqual([[0, 2, 0, 4], [0, 5, 0, 4]]);
    expect(r.modes).toEqual(['delta']);
  });

  it('works from CJS (require)', () => {
    const src = "const tf=require('@tensorflow/tfjs-core');require('tfjs-backend-delta/cpu');const d=require('tfjs-backend-delta');" +
        "tf.setBackend('delta-cpu').then(()=>{console.log(typeof d.configure, typeof d.stats, tf.getBackend())})";
    const out = execFileSync(process.execPath, ['-e', src], {encoding: 'utf8'});
    expect(out.trim().split('\n').pop()).toBe('function function delta-cpu');
  });
});
