// delta-webgpu kernels vs the dense cpu backend (the harness of test/kernels, driven on delta-webgpu):
// every frame of each sequence (10 frames, random blobs changing 0..30% of the pixels, a frame without
// change, one passing the same tensor) equals tfjs cpu within 1e-4 relative (exact mode); the slots took
// the delta path after the first frame; a frame without change performs <= 1% of the dense MACs; sparse
// frames fewer MACs than dense; an older output tensor keeps its values (copy-on-write); no tensor leaks;
// no device validation/internal/OOM error in any frame (error scopes). Every kernel of the op table, in
// exact AND threshold mode (invariant on the GPU's debug records), runs in the shared specs of
// test/kernels on delta-webgpu: test/jasmine-webgpu-shared.json.
//
//   npm run build && node scripts/build-tests.mjs && node test/run-jasmine.cjs test/jasmine-webgpu.json
//   DELTA_WEBGPU_ADAPTER=swiftshader ... (default lavapipe)
import * as tf from '@tensorflow/tfjs-core';
import * as delta from 'tfjs-backend-delta';
import {Case, kernelSpecs, ODD_CHANNELS, Rng, runCase} from '../kernels/harness';
import {caseBuilders, CaseMaker, weights} from '../kernels/cases';
import {GpuBackendLike, useDeltaWebGPU} from './gpu';
import {configureDeltaWebGPU} from 'tfjs-backend-delta/webgpu';
import {relErr} from '../util/prng';

/** denseCrossover of the sparse-path specs: never dense (the harness' MAC checks expect sparse work on
 *  every sparse frame; with the cost model a frame right after a 30% frame runs dense: one-frame lag). */
const SPARSE_ONLY = 2;

let backend: GpuBackendLike;

const {cases, randomShape, convCase, depthwiseCase, chainCase, unarySpecs} = caseBuilders({
  seedPrefix: 'webgpu', perSpec: 4, chainCases: 3, channels: [1, 3, 4, 7, 16],
  convIn: ODD_CHANNELS, convOut: [1, 3, 4, 8, 70], depthwiseIn: ODD_CHANNELS,
});

describe('delta-webgpu kernels (vs cpu, exact mode)', () => {
  beforeAll(async () => { backend = await useDeltaWebGPU(); configureDeltaWebGPU({denseCrossover: SPARSE_ONLY}); });

  const specs: Array<[string, CaseMaker]> = [
    ...unarySpecs(),
    ['Add', cases(4, (i, rng, seed) => {
      const shape = randomShape(rng);
      const C = shape[3];
      if (i % 2 === 0) return {label: `Add x[${shape}] + y[${shape}]`, seed, kernels: ['Add'], inputShapes: [shape, shape], consts: {}, op: (_c, [x, y]) => tf.add(x, y)};
      return {label: `Add x[${shape}] + const[${C}]`, seed, kernels: ['Add'], inputShapes: [shape],
        consts: {b: {shape: [C], values: rng.array(C)}}, op: (c, [x]) => tf.add(x, c.b)};
    })],
    ['Sub', cases(4, (i, rng, seed) => {
      const shape = randomShape(rng);
      const C = shape[3];
      if (i % 2 === 0) return {label: `Sub x[${shape}] - y[${shape}]`, seed, kernels: ['Sub'], inputShapes: [shape, shape], consts: {}, op: (_c, [x, y]) => tf.sub(x, y)};
      return {label: `Sub const[${C}] - x[${shape}]`, seed, kernels: ['Sub'], inputShapes: [shape],
        consts: {b: {shape: [C], values: rng.array(C)}}, op: (c, [x]) => tf.sub(c.b, x)};
    })],
    ['Multiply', cases(4, (i, rng, seed) => {
      const shape = randomShape(rng);
      const C = shape[3];
      if (i % 3 === 0) return {label: `Multiply x[${shape}] * y[${shape}]`, seed, kernels: ['Multiply'], inputShapes: [shape, shape], consts: {}, op: (_c, [x, y]) => tf.mul(x, y)};
      if (i % 3 === 1) return {label: `Multiply x[${shape}] * const[${C}]`, seed, kernels: ['Multiply'], inputShapes: [shape],
        consts: {b: {shape: [C], values: rng.array(C)}}, op: (c, [x]) => tf.mul(x, c.b)};
      return {label: `Multiply x[${shape}] * scalar 1.5 (a new scalar tensor every frame)`, seed, kernels: ['Multiply'], inputShapes: [shape],
        consts: {}, op: (_c, [x]) => tf.mul(x, 1.5)};
    })],
    ['Conv2D', convCase('Conv2D', 'linear', false)],
    ['FusedConv2D linear +bias', convCase('FusedConv2D', 'linear', true)],
    ['FusedConv2D relu +bias', convCase('FusedConv2D', 'relu', true)],
    ['FusedConv2D relu6', convCase('FusedConv2D', 'relu6', false)],
    ['FusedConv2D relu6 +bias', convCase('FusedConv2D', 'relu6', true)],
    ['DepthwiseConv2dNative', depthwiseCase(false, 'linear')],
    ['FusedDepthwiseConv2D relu6 +bias', depthwiseCase(true, 'relu6')],
    ['FusedDepthwiseConv2D relu +bias', depthwiseCase(true, 'relu')],
    ['chain conv -> relu -> depthwise -> add', chainCase()],
  ];
  for (const [group, make] of specs) kernelSpecs(group, make(group), ['exact']);

  // The cost model's dense path (tfjs-webgpu dense conv + one diff pass), forced on every conv step:
  // same checks but the MAC ones (a dense-computed step performs the dense MACs by design).
  describe('conv steps computed dense + diff pass (denseCrossover 0)', () => {
    let before = 0;
    beforeAll(() => { configureDeltaWebGPU({denseCrossover: 0}); before = backend.plane.counters.denseSteps; });
    afterAll(() => { configureDeltaWebGPU({denseCrossover: SPARSE_ONLY}); });
    const convGroups = new Set(['Conv2D', 'FusedConv2D relu +bias', 'FusedConv2D relu6', 'DepthwiseConv2dNative',
      'FusedDepthwiseConv2D relu6 +bias', 'chain conv -> relu -> depthwise -> add']);
    for (const [group, make] of specs) {
      if (!convGroups.has(group)) continue;
      const g = `${group} (dense+diff)`;
      const mk = make(g);
      kernelSpecs(g, () => mk().map((c) => ({...c, macsExempt: c.kernels})), ['exact']);
    }
    it('took the dense path', () => {
      expect(backend.plane.counters.denseSteps - before).toBeGreaterThan(100);
    });
  });

  it('a call the delta-webgpu shaders do not cover runs dense and is reported as fallback', async () => {
    // AddN of 5 tensors: the gather shader binds 4 inputs (delta-cpu has it; this is plane-specific)
    const seed = 4242;
    const c: Case = {
      label: 'AddN of 5 (fallback) -> Relu', seed, kernels: ['Relu'], inputShapes: [[1, 12, 13, 3]], chain: true, consts: {},
      op: (_k, [x]) => tf.relu(tf.addN([x, tf.mul(x, 2), tf.mul(x, 3), tf.mul(x, 4), tf.mul(x, 5)])),
    };
    const r = await runCase(c, 'exact', 'fallback');
    expect(r.failures).toEqual([]);
    await tf.setBackend('delta-webgpu');
    delta.reset();
    const x = tf.randomUniform([1, 12, 13, 3]);
    const out = delta.frame(() => c.op({}, [x]));
    await out.data();
    const layers = delta.stats().layers;
    const addn = layers.find((l) => l.kernel === 'AddN');
    expect(addn?.mode).toBe('fallback');
    expect(addn?.fallbackReason ?? '').toContain('5 inputs');
    tf.dispose([x, out]);
    delta.reset();
  });

  it('cost model (host): a chain conv -> relu -> conv switches dense/sparse per slot from its last known share and equals cpu', async () => {
    // Row bands change a known share of the input; denseCrossover 0.5. The host decides each conv step from
    // the share its slot touched on its last settled step (this test settles every frame: the previous
    // frame's), and records only that branch; traceConvStep reports each step when its counts settle.
    const H = 24, W = 20, C = 5, C1 = 16, C2 = 8;
    const rng = new Rng(99);
    const f1 = weights(rng, [3, 3, C, C1], 9 * C), b1 = rng.array(C1, -0.3, 0.3), f2 = weights(rng, [1, 1, C1, C2], C1);
    let w: tf.Tensor[] = [];  // weights of the current backend (constants of the slots: made once)
    const makeWeights = () => { w = [tf.tensor4d(f1, [3, 3, C, C1]), tf.tensor1d(b1), tf.tensor4d(f2, [1, 1, C1, C2])]; };
    const op = (x: tf.Tensor4D) => {
      const a = tf.relu(tf.fused.conv2d({x, filter: w[0] as tf.Tensor4D, bias: w[1], strides: 1, pad: 'same'}));
      return tf.conv2d(a as tf.Tensor4D, w[2] as tf.Tensor4D, 1, 'same');
    };
    const fracs = [1, 0.9, 0.8, 0.04, 0.04, 1, 0.04, 0, 0.6, 0.04];
    const frames: Float32Array[] = [];
    let v = rng.array(H * W * C);
    for (const fr of fracs) {
      v = v.slice();
      const rows = Math.round(fr * H), y0 = rng.int(0, H - rows);
      for (let y = y0; y < y0 + rows; y++) for (let i = y * W * C; i < (y + 1) * W * C; i++) v[i] += rng.uniform(0.1, 0.8);
      frames.push(v);
    }
    await tf.setBackend('cpu');
    const ref: Float32Array[] = [];
    makeWeights();
    for (const fv of frames) {
      const o = tf.tidy(() => op(tf.tensor4d(fv, [1, H, W, C])));
      ref.push(await o.data() as Float32Array);
      o.dispose();
    }
    tf.dispose(w);
    await tf.setBackend('delta-webgpu');
    makeWeights();
    const prev = configureDeltaWebGPU({denseCrossover: 0.5});
    delta.reset();
    const failures: string[] = [];
    type Trace = {dense: boolean; ran: boolean; fraction: number};
    // per frame: the traces of conv1 and conv2 (none for a step without change), and conv2's MACs vs dense
    const t1: Array<Trace | null> = [], t2: Array<Trace | null> = [], macs2: boolean[] = [];
    let cur1: Trace | null = null, cur2: Trace | null = null;
    type Hook = ((k: string, s: readonly number[], d: boolean, ran: boolean, f: number) => void) | null;
    const plane = (backend as unknown as {plane: {traceConvStep: Hook; counters: {hostUnchanged: number}}}).plane;
    plane.traceConvStep = (k, _s, dense, ran, fraction) => { if (k === 'FusedConv2D') cur1 = {dense, ran, fraction}; else cur2 = {dense, ran, fraction}; };
    let unchanged = 0;
    try {
      const tensorsBefore = tf.memory().numTensors;
      for (let f = 0; f < frames.length; f++) {
        cur1 = cur2 = null;
        const u0 = plane.counters.hostUnchanged;
        const x = tf.tensor4d(frames[f], [1, H, W, C]);
        const o = delta.frame(() => tf.tidy(() => op(x)));
        const got = await o.data() as Float32Array;
        tf.dispose([x, o]);
        await delta.settleStats();
        if (f === 7) unchanged = plane.counters.hostUnchanged - u0;
        if (f > 0) { t1.push(cur1); t2.push(cur2); }
        const r = relErr(got, ref[f]);
        if (!(r <= 1e-4)) failures.push(`frame ${f}: rel error ${r}`);
        const convs = delta.stats().layers.filter((l) => l.kernel === 'FusedConv2D' || l.kernel === 'Conv2D');
        if (convs.length !== 2) failures.push(`frame ${f}: ${convs.length} conv slots`);
        for (const [k, l] of convs.entries()) {
          if (f > 0 && l.mode !== 'delta') failures.push(`frame ${f}: ${l.name} ran ${l.mode}`);
          // a dense-computed step performs the dense MACs (conv2, 1x1: in-bound taps = all)
          if (k === 1 && f > 0) macs2.push(l.performedMacs === l.denseMacs);
        }
      }
      expect(tf.memory().numTensors).toBe(tensorsBefore);
    } finally {
      plane.traceConvStep = null;
      tf.dispose(w);
      configureDeltaWebGPU(prev);
      delta.reset();
    }
    expect(failures).toEqual([]);

    // frame 7 repeats frame 6's values (a new tensor, values on the CPU): found unchanged on the host, both
    // steps empty (no trace: nothing recorded)
    expect(unchanged).toBe(1);
    expect(t1[6]).toBeNull();
    expect(t2[6]).toBeNull();
    // the rule: a step is dense iff the slot's previous traced share > 0.5 (the first step after the seed: unknown, sparse)
    for (const t of [t1, t2]) {
      let last = -1;
      t.forEach((s, i) => {
        if (!s) return;
        expect(s.dense).withContext(`step ${i + 1} after share ${last}`).toBe(last > 0.5);
        last = s.fraction;
      });
    }
    // conv1 (3x3): band + 2 rows of 24 touched. 90%: sparse (no share yet) -> dense at 80% -> dense at 4%
    // (propagated 3 rows: 12.5%) -> sparse at 4% -> sparse at 100% -> dense at 4%; 60% after that.
    expect(t1.slice(0, 5).map((s) => s!.dense)).toEqual([false, true, true, false, false]);
    expect(t1[5]!.dense).toBe(true);
    expect(t1[4]!.fraction).toBe(1);
    expect(t1[3]!.fraction).toBeCloseTo(3 / 24, 6);
    // conv2 (1x1): both branches taken; a dense step that ran performs the dense MACs
    const s2 = t2.filter((s): s is Trace => s !== null);
    expect(s2.length).toBe(frames.length - 2);
    expect(s2.some((s) => s.dense)).toBe(true);
    expect(s2.some((s) => !s.dense)).toBe(true);
    t2.forEach((s, i) => { if (s?.ran) expect(macs2[i]).withContext(`conv2 dense step ${i + 1}: dense MACs`).toBe(true); });
  });

  it('a dense-decided conv step without change is gated off on the device (0 MACs, values kept)', async () => {
    // the frame reaches the conv through Neg (no delta kernel: a GPU tensor, so the host cannot compare it)
    await tf.setBackend('delta-webgpu');
    const prev = configureDeltaWebGPU({denseCrossover: 0});
    delta.reset();
    try {
      const f = tf.tensor(weights(new Rng(8), [3, 3, 4, 16], 36), [3, 3, 4, 16]);
      const f2 = tf.tensor(weights(new Rng(10), [3, 3, 16, 4], 144), [3, 3, 16, 4]);
      const v = new Rng(9).array(1 * 18 * 18 * 4);
      const run = async (vals: Float32Array) => {
        const x = tf.tensor4d(vals, [1, 18, 18, 4]);
        const o = delta.frame(() => tf.tidy(() => tf.conv2d(tf.relu(tf.conv2d(tf.neg(x), f as tf.Tensor4D, 1, 'same')) as tf.Tensor4D, f2 as tf.Tensor4D, 1, 'same')));
        const r = await o.data();
        tf.dispose([x, o]);
        await delta.settleStats();
        return r;
      };
      const a = await run(v);
      const v2 = v.slice(); for (let i = 0; i < 18 * 4 * 9; i++) v2[i] += 0.5;  // half the rows change
      const b = await run(v2);
      const before = backend.plane.counters.denseSteps, steps = backend.plane.counters.steps;
      const hostDense = backend.plane.counters.hostDenseSteps, empty = backend.plane.counters.emptySteps;
      const c = await run(v2.slice());  // same values, a new tensor: a step with nothing changed
      // both conv steps were recorded (dense path, decided on the host), and neither diff pass ran on the device
      expect(backend.plane.counters.steps - steps).toBeGreaterThanOrEqual(2);
      expect(backend.plane.counters.hostDenseSteps - hostDense).toBe(2);
      expect(backend.plane.counters.emptySteps - empty).toBe(0);
      expect(backend.plane.counters.denseSteps - before).toBe(0);
      expect(relErr(c, b)).toBe(0);
      expect(relErr(a, b)).toBeGreaterThan(0);
      const convs = delta.stats().layers.filter((l) => l.kernel === 'Conv2D');
      expect(convs.length).toBe(2);
      for (const l of convs) {
        expect(l.mode).toBe('delta');
        expect(l.performedMacs).toBe(0);
        expect(l.activeFraction).toBe(0);
      }
      tf.dispose([f, f2]);
    } finally {
      configureDeltaWebGPU(prev);
      delta.reset();
    }
  });

  it('busy chains: a dense step hands a full update, conv consumers pass through, a calm frame leaves it in one frame; equal cpu', async () => {
    const H = 24, W = 24, C = 3;
    const rng = new Rng(21);
    const f1 = weights(rng, [3, 3, C, 8], 27), f2 = weights(rng, [3, 3, 8, 8], 72), f3 = weights(rng, [3, 3, 8, 4], 72);
    // 0 seed, 1-2 every pixel changes, 3 one pixel, 4 = 3 again, 5 and 6 one pixel
    const frames: Float32Array[] = [];
    let v = rng.array(H * W * C);
    for (let k = 0; k < 7; k++) {
      v = v.slice();
      if (k === 1 || k === 2) for (let i = 0; i < v.length; i++) v[i] += rng.uniform(-0.5, 0.5);
      if (k === 3 || k === 5 || k === 6) v[(k * W + 5 + k) * C] += 0.75;
      frames.push(v);
    }
    let w: tf.Tensor4D[] = [];
    const mk = () => { w = [tf.tensor4d(f1, [3, 3, C, 8]), tf.tensor4d(f2, [3, 3, 8, 8]), tf.tensor4d(f3, [3, 3, 8, 4])]; };
    const op = (x: tf.Tensor4D) => tf.add(tf.conv2d(tf.conv2d(tf.conv2d(x, w[0], 1, 'same'), w[1], 1, 'same'), w[2], 1, 'same'), 1);
    await tf.setBackend('cpu');
    mk();
    const ref: Float32Array[] = [];
    for (const fv of frames) { const o = tf.tidy(() => op(tf.tensor4d(fv, [1, H, W, C]))); ref.push(await o.data() as Float32Array); o.dispose(); }
    tf.dispose(w);
    await tf.setBackend('delta-webgpu');
    mk();
    const prev = configureDeltaWebGPU({denseCrossover: 0.12, fullUpdateAbove: 0});
    delta.reset();
    const c = backend.plane.counters;
    const passes: number[] = [], fulls: number[] = [], dense: number[] = [];
    try {
      for (let f = 0; f < frames.length; f++) {
        const p0 = c.passThroughSteps, u0 = c.fullUpdates, d0 = c.hostDenseSteps;
        const x = tf.tensor4d(frames[f], [1, H, W, C]);
        const o = delta.frame(() => tf.tidy(() => op(x)));
        const got = await o.data() as Float32Array;
        tf.dispose([x, o]);
        await delta.settleStats();
        expect(relErr(got, ref[f])).withContext(`frame ${f}`).toBeLessThan(1e-5);
        passes.push(c.passThroughSteps - p0);
        fulls.push(c.fullUpdates - u0);
        dense.push(c.hostDenseSteps - d0);
      }
    } finally {
      configureDeltaWebGPU(prev);
      tf.dispose(w);
      delta.reset();
    }
    // 1: no share known yet: sparse everywhere. 2: conv1 (busy, measured) runs dense + diff and hands a full
    // update: conv2 and conv3 pass through (tfjs' conv alone) and hand full updates on (to the add).
    // 3: conv1 still busy by its last share: the same. 4 repeats 3: nothing. 5: conv1 measured calm (one pixel)
    // runs sparse; conv2 and conv3, back from passing through (share assumed, not measured), run dense + diff
    // and hand no full update. 6: every share measured calm: sparse everywhere.
    expect(passes).toEqual([0, 0, 2, 2, 0, 0, 0]);
    expect(fulls).toEqual([0, 0, 3, 3, 0, 0, 0]);
    expect(dense).toEqual([0, 0, 1, 1, 0, 2, 0]);
  });

  it('a frame repeating the last values in a new tensor is found unchanged on the host and records nothing', async () => {
    await tf.setBackend('delta-webgpu');
    const prev = configureDeltaWebGPU({denseCrossover: 0});  // (the dense branch would be recorded otherwise)
    delta.reset();
    try {
      const f = tf.tensor(weights(new Rng(12), [3, 3, 3, 8], 27), [3, 3, 3, 8]);
      const v = new Rng(13).array(1 * 16 * 16 * 3);
      const run = async (vals: Float32Array) => {
        const x = tf.tensor4d(vals, [1, 16, 16, 3]);
        const o = delta.frame(() => tf.tidy(() => tf.relu(tf.conv2d(x, f as tf.Tensor4D, 1, 'same'))));
        const r = await o.data();
        tf.dispose([x, o]);
        await delta.settleStats();
        return r;
      };
      await run(v);
      const v2 = v.slice(); v2[5] += 0.25;  // one pixel changes
      const b = await run(v2);
      const c0 = {...backend.plane.counters};
      const c = await run(v2.slice());
      const c1 = backend.plane.counters;
      expect(c1.hostUnchanged - c0.hostUnchanged).toBe(1);
      expect(c1.dispatches - c0.dispatches).toBe(0);
      expect(c1.emptySteps - c0.emptySteps).toBe(2);
      expect(relErr(c, b)).toBe(0);
      // and a change after it is seen again (the comparison is with the last values diffed)
      const v3 = v2.slice(); v3[100] -= 0.5;
      const d = await run(v3);
      expect(backend.plane.counters.hostUnchanged - c1.hostUnchanged).toBe(0);
      await tf.setBackend('cpu');
      const fc = tf.tensor(weights(new Rng(12), [3, 3, 3, 8], 27), [3, 3, 3, 8]);
      const x3 = tf.tensor4d(v3, [1, 16, 16, 3]);
      const ref = tf.relu(tf.conv2d(x3, fc as tf.Tensor4D, 1, 'same'));
      expect(relErr(d, await ref.data())).toBeLessThan(1e-5);
      tf.dispose([fc, x3, ref]);
      await tf.setBackend('delta-webgpu');
      tf.dispose(f);
    } finally {
      configureDeltaWebGPU(prev);
      delta.reset();
    }
  });

  it('a frame without change (the same tensor) records no dispatch', async () => {
    await tf.setBackend('delta-webgpu');
    delta.reset();
    const f = tf.tensor(weights(new Rng(7), [3, 3, 3, 8], 27), [3, 3, 3, 8]);
    const x = tf.randomUniform([1, 20, 20, 3]);
    const run = () => delta.frame(() => tf.tidy(() => tf.relu(tf.conv2d(x as tf.Tensor4D, f as tf.Tensor4D, 1, 'same'))));
    const a = run(); await a.data(); a.dispose();
    const before = {...backend.plane.counters};
    const b = run(); await b.data(); b.dispose();
    const after = backend.plane.counters;
    expect(after.dispatches - before.dispatches).toBe(0);
    expect(after.emptySteps - before.emptySteps).toBe(2);
    await delta.settleStats();
    expect(delta.stats().totals.performedMacs).toBe(0);
    tf.dispose([f, x]);
    delta.reset();
  });
  it('thresholds changed by configure() after a slot was seeded take effect on its next step (re-seed)', async () => {
    // regression: the slot's shaders had its thresholds baked in at seed time, so configure() only took
    // effect after the slot's next dense run (found by the browser demo's threshold slider)
    await tf.setBackend('delta-webgpu');
    delta.reset();
    const prev = delta.getConfig();
    try {
      delta.configure({inputThreshold: 0, threshold: 0});
      const base = new Rng(11).array(1 * 12 * 12 * 4, -1, 1);
      const frame = (shift: number) => tf.tensor4d(base.map((v) => v + shift), [1, 12, 12, 4]);
      const run = async (shift: number) => {
        const x = frame(shift);
        const y = delta.frame(() => tf.relu(x));
        const v = await y.data();
        tf.dispose([x, y]);
        return v;
      };
      await run(0);
      const exact = await run(0.01);
      expect(relErr(exact, base.map((v) => Math.max(v + 0.01, 0)))).toBeLessThan(1e-6);
      // a large input threshold: the next step re-seeds (dense: exact at +0.02), then +0.03 is below the
      // threshold relative to what the slot saw (+0.02) and is not propagated
      delta.configure({inputThreshold: 0.5});
      const reseeded = await run(0.02);
      expect(relErr(reseeded, base.map((v) => Math.max(v + 0.02, 0)))).toBeLessThan(1e-6);
      const held = await run(0.03);
      expect(relErr(held, reseeded)).toBe(0);
      await delta.settleStats();
      const relu = delta.stats().layers.find((l) => l.kernel === 'Relu')!;
      expect(relu.counts.dense).toBe(2);  // the first frame and the re-seed
      expect(relu.counts.delta).toBe(2);
    } finally {
      delta.configure(prev);
      delta.reset();
    }
  });
  it('primeDeltaPath: a slot that re-seeds hands its consumers no update relative to its old values', async () => {
    // regression (tfjs-core's batchnorm4D gradient spec, primed): a primed seed's update is relative to its
    // zero seed, but its tag said "relative to the slot's previous output": a consumer that had seen that
    // output applied it and kept a stale result.
    await tf.setBackend('delta-webgpu');
    delta.reset();
    const prev = delta.getConfig();
    try {
      delta.configure({inputThreshold: 0, threshold: 0, primeDeltaPath: true});
      const r = new Rng(12);
      const av = r.array(72, -1, 1), bv = r.array(72, -1, 1), cv = r.array(72, -1, 1);
      const [a, b, c] = [av, bv, cv].map((v) => tf.tensor4d(v, [1, 3, 3, 8]));
      // frame 1: mul(a, scalar) -> mul(., c); frame 2: the first mul's signature changes (re-seeds), the
      // second's does not (its input comes from the re-seeded slot)
      const y1 = delta.frame(() => tf.mul(tf.mul(a, tf.scalar(-1)), c));
      expect(relErr(await y1.data(), av.map((v, k) => -v * cv[k]))).toBeLessThan(1e-6);
      const y2 = delta.frame(() => tf.mul(tf.mul(a, b), c));
      expect(relErr(await y2.data(), av.map((v, k) => v * bv[k] * cv[k]))).toBeLessThan(1e-6);
      tf.dispose([a, b, c, y1, y2]);
    } finally {
      delta.configure(prev);
      delta.reset();
    }
  });
});
