// Reading outputs back on delta-webgpu (src/webgpu/backend.ts read/readSync, plane.ts readValuesCached/readBack):
// a small conv net (two outputs) over frames of which some repeat the last values (a new tensor each time).
//  - a frame with no change records nothing, and its outputs are read from the plane's host copy of the last
//    read-back: no GPU copy, submit or map (Dawn's prototypes counted), values equal, bit for bit, the previous
//    frame's and dense cpu's (1e-4 relative, exact mode);
//  - a changed frame (and a seed: reset, keyframe, new weights after the old ones were disposed) is read back
//    from the GPU, its outputs in one submit, values of that frame (never the last ones);
//  - the same with busy chains passing through (conv steps run tfjs' conv alone; their outputs are tfjs' tensors
//    whose values the plane's buffers got a copy of);
//  - an array handed out is the app's: mutating it changes no later read; an older output tensor kept alive
//    over later frames reads its own frame's values;
//  - no device validation/internal/OOM error (error scopes around every frame).
//   npm run build && node scripts/build-tests.mjs && node test/run-jasmine.cjs <json with webgpu/readback.spec.js>
import * as tf from '@tensorflow/tfjs-core';
import * as delta from 'tfjs-backend-delta';
import {configureDeltaWebGPU} from 'tfjs-backend-delta/webgpu';
import {openErrorScopes} from './error_scope';
import {GPU_EXACT_TOL, GpuBackendLike, installWebGPU} from './gpu';
import {prng, randomArray, relErr} from '../util/prng';

const SHAPE: [number, number, number, number] = [1, 12, 12, 3];
const SIZE = SHAPE.reduce((a, b) => a * b);

interface Weights { f1: tf.Tensor4D; b1: tf.Tensor1D; dw: tf.Tensor4D; f2: tf.Tensor4D; b2: tf.Tensor1D; f3: tf.Tensor4D }
type WeightValues = Record<keyof Weights, Float32Array>;
const W_SHAPES: Record<keyof Weights, number[]> = {f1: [3, 3, 3, 8], b1: [8], dw: [3, 3, 8, 1], f2: [1, 1, 8, 4], b2: [4], f3: [3, 3, 8, 2]};

function weightValues(seed: number): WeightValues {
  const rand = prng(seed);
  return Object.fromEntries(Object.entries(W_SHAPES).map(([k, s]) => [k, randomArray(rand, s.reduce((a, b) => a * b), 0.5)])) as WeightValues;
}
function weights(v: WeightValues): Weights {
  return Object.fromEntries(Object.entries(W_SHAPES).map(([k, s]) => [k, tf.tensor(v[k as keyof Weights], s)])) as unknown as Weights;
}

/** conv 3x3 + relu -> depthwise 3x3 + relu6 -> two heads: conv 1x1 + bias, conv 3x3 stride 2 + relu. */
function net(x: tf.Tensor4D, w: Weights): tf.Tensor[] {
  return tf.tidy(() => {
    const h = tf.fused.conv2d({x, filter: w.f1, bias: w.b1, strides: 1, pad: 'same', activation: 'relu'});
    const d = tf.fused.depthwiseConv2d({x: h, filter: w.dw, strides: 1, pad: 'same', activation: 'relu6'});
    return [tf.fused.conv2d({x: d, filter: w.f2, bias: w.b2, strides: 1, pad: 'same'}),
      tf.fused.conv2d({x: d, filter: w.f3, strides: 2, pad: 'same', activation: 'relu'})];
  });
}

/** Frame values: a random frame, or `base` with a rectangle of new values (a sparse change). */
function frame(seed: number, base?: Float32Array, rect?: [number, number, number, number]): Float32Array {
  const rand = prng(seed);
  if (!base) return randomArray(rand, SIZE);
  const v = base.slice();
  const [y0, x0, y1, x1] = rect!;
  for (let y = y0; y < y1; y++) for (let x = x0; x < x1; x++) for (let c = 0; c < 3; c++) v[(y * SHAPE[2] + x) * 3 + c] = rand() * 2 - 1;
  return v;
}

/** Dense cpu outputs of the net (the reference). */
async function cpuOutputs(wv: WeightValues, x: Float32Array): Promise<Float32Array[]> {
  const prev = tf.getBackend();
  await tf.setBackend('cpu');
  const w = weights(wv);
  const xt = tf.tensor4d(x, SHAPE);
  const outs = net(xt, w);
  const vals = await Promise.all(outs.map((o) => o.data() as Promise<Float32Array>));
  tf.dispose([xt, ...outs, ...Object.values(w)]);
  await tf.setBackend(prev);
  return vals;
}

/** Calls on Dawn's prototypes (every backend's recording goes through them). */
const DAWN = {copies: 0, submits: 0, maps: 0};
const restores: Array<() => void> = [];
function countDawn() {
  const wrap = (proto: Record<string, unknown> | undefined, name: string, key: keyof typeof DAWN) => {
    const f = proto?.[name] as ((...a: unknown[]) => unknown) | undefined;
    if (!proto || !f) throw new Error(`no ${name} to count on Dawn's prototypes`);
    proto[name] = function(this: unknown, ...a: unknown[]) { DAWN[key]++; return f.apply(this, a); };
    restores.push(() => { proto[name] = f; });
  };
  const g = globalThis as unknown as Record<string, {prototype: Record<string, unknown>} | undefined>;
  wrap(g.GPUCommandEncoder?.prototype, 'copyBufferToBuffer', 'copies');
  wrap(g.GPUQueue?.prototype, 'submit', 'submits');
  wrap(g.GPUBuffer?.prototype, 'mapAsync', 'maps');
}

interface Counters { readbacks: number; readCacheHits: number; dispatches: number; steps: number; seeds: number; passThroughSteps: number }
interface Run { values: Float32Array[]; outs: tf.Tensor[]; read: {copies: number; submits: number; maps: number; readbacks: number; hits: number}; dispatches: number; seeds: number; errors: string[] }

describe('delta-webgpu: reading outputs back (host copy of unchanged values, one submit)', () => {
  let backend: GpuBackendLike & {plane: {counters: Counters}};
  let saved: ReturnType<typeof delta.getConfig>;
  let w: Weights;
  const wv = weightValues(11);
  /** The values of `w` (the first spec ends with new weights). */
  let wNow = wv;

  beforeAll(async () => {
    installWebGPU();
    if (!(await tf.setBackend('delta-webgpu'))) throw new Error('delta-webgpu did not initialize');
    backend = tf.backend() as unknown as typeof backend;
    countDawn();
    saved = delta.getConfig();
    delta.configure({inputThreshold: 0, threshold: 0, thresholds: {}, keyframeInterval: 0});
    delta.reset();
    w = weights(wv);
  });
  afterAll(() => {
    for (const r of restores.splice(0)) r();
    tf.dispose(Object.values(w));
    delta.reset();
    delta.configure(saved);
  });

  /** One frame (a new input tensor) on delta-webgpu; counts taken around its outputs' data() only. */
  async function run(x: Float32Array, opts: {keep?: boolean; read?: boolean} = {}): Promise<Run> {
    const c = backend.plane.counters;
    const d0 = c.dispatches, s0 = c.seeds;
    const close = openErrorScopes(backend.device);
    const xt = tf.tensor4d(x, SHAPE);
    const outs = delta.frame(() => net(xt, w));
    xt.dispose();
    const r0 = {...DAWN}, k0 = {readbacks: c.readbacks, hits: c.readCacheHits};
    const values = opts.read === false ? [] : await Promise.all(outs.map((o) => o.data() as Promise<Float32Array>));
    const read = {copies: DAWN.copies - r0.copies, submits: DAWN.submits - r0.submits, maps: DAWN.maps - r0.maps,
      readbacks: c.readbacks - k0.readbacks, hits: c.readCacheHits - k0.hits};
    const errors = (await close()).map((e) => e.message);
    if (!opts.keep) tf.dispose(outs);
    return {values, outs, read, dispatches: c.dispatches - d0, seeds: c.seeds - s0, errors};
  }

  function expectClose(got: Float32Array[], ref: Float32Array[], what: string) {
    expect(got.length).toBe(ref.length);
    got.forEach((g, i) => expect(relErr(g, ref[i])).withContext(`${what}: output ${i} vs dense cpu`).toBeLessThan(GPU_EXACT_TOL));
  }
  /** Bit for bit (as 32-bit words: NaN payloads and -0 included); no Buffer (the spec also runs in Chromium). */
  function expectSame(got: Float32Array[], prev: Float32Array[], what: string) {
    got.forEach((g, i) => {
      const a = new Uint32Array(g.buffer, g.byteOffset, g.length), b = new Uint32Array(prev[i].buffer, prev[i].byteOffset, prev[i].length);
      expect(a.length === b.length && a.every((v, k) => v === b[k])).withContext(`${what}: output ${i} bit for bit`).toBeTrue();
    });
  }
  function expectFromHostCopy(r: Run, what: string) {
    expect(r.dispatches).withContext(`${what}: dispatches`).toBe(0);
    expect(r.read).withContext(`${what}: read`).toEqual({copies: 0, submits: 0, maps: 0, readbacks: 0, hits: 2});
  }
  function expectReadBack(r: Run, what: string) {
    expect(r.read.readbacks).withContext(`${what}: read-backs`).toBe(2);
    expect(r.read.hits).withContext(`${what}: host copies used`).toBe(0);
    expect(r.read.maps).withContext(`${what}: maps (+ counter pages)`).toBeGreaterThanOrEqual(2);
    // both outputs' copies (and the frame's own work, counter copies) in one submit
    expect(r.read.submits).withContext(`${what}: submits`).toBe(1);
    expect(r.read.copies).withContext(`${what}: copies`).toBeGreaterThanOrEqual(2);
  }

  it('serves no-change frames from the host copy, reads changed and re-seeded frames back, never stale', async () => {
    const A = frame(1);
    const B = frame(2, A, [2, 2, 6, 7]);
    const C = frame(3, B, [8, 5, 11, 9]);
    const D = frame(4);
    const E = frame(5);
    const ref = {A: await cpuOutputs(wv, A), B: await cpuOutputs(wv, B), C: await cpuOutputs(wv, C), D: await cpuOutputs(wv, D), E: await cpuOutputs(wv, E)};
    const errors: string[] = [];
    const all = (r: Run) => { errors.push(...r.errors); return r; };

    const a0 = all(await run(A));
    expect(a0.seeds).toBeGreaterThan(0);
    expectReadBack(a0, 'seed frame A');
    expectClose(a0.values, ref.A, 'seed frame A');

    const a1 = all(await run(A.slice()));
    expectFromHostCopy(a1, 'A repeated');
    expectSame(a1.values, a0.values, 'A repeated');
    expectClose(a1.values, ref.A, 'A repeated');
    // the app's arrays: mutating them changes no later read (fresh copies)
    for (const v of a1.values) v.fill(12345);
    const a2 = all(await run(A.slice()));
    expectFromHostCopy(a2, 'A again after mutating the last arrays');
    expectSame(a2.values, a0.values, 'A again after mutating the last arrays');
    expect(a2.values[0]).not.toBe(a1.values[0]);

    // readSync of a no-change frame: the host copy (in Node a GPU readSync has no canvas to go through)
    const a3 = all(await run(A.slice(), {keep: true, read: false}));
    const hits0 = backend.plane.counters.readCacheHits;
    const sync = a3.outs.map((o) => o.dataSync() as Float32Array);
    expect(backend.plane.counters.readCacheHits - hits0).toBe(2);
    expectSame(sync, a0.values, 'A repeated, dataSync');
    tf.dispose(a3.outs);

    // a changed frame: read back (one submit), values of B; its tensors kept alive over the next frames unread
    const b0 = all(await run(B, {keep: true, read: false}));
    const b1 = all(await run(B.slice()));
    expect(b1.dispatches).withContext('B repeated: dispatches').toBe(0);
    expectReadBack(b1, 'B repeated, first read of B');  // nothing of B was read back yet
    expectClose(b1.values, ref.B, 'B repeated');
    const b2 = all(await run(B.slice()));
    expectFromHostCopy(b2, 'B repeated twice');
    expectSame(b2.values, b1.values, 'B repeated twice');

    const c0 = all(await run(C));
    expect(c0.dispatches).toBeGreaterThan(0);
    expectReadBack(c0, 'changed frame C');
    expectClose(c0.values, ref.C, 'changed frame C');
    expect(relErr(c0.values[0], ref.B[0])).withContext('C differs from B').toBeGreaterThan(1e-3);
    // the older tensors of B (copy-on-write kept their buffers) read B's values, not C's
    const old = await Promise.all(b0.outs.map((o) => o.data() as Promise<Float32Array>));
    expectClose(old, ref.B, 'B tensors read after C');
    tf.dispose(b0.outs);
    expectFromHostCopy(all(await run(C.slice())), 'C repeated');

    // delta.reset(): slots and buffers go (pooled buffers come back as new slots' buffers); same values, then new ones
    delta.reset();
    const r0 = all(await run(C.slice()));
    expect(r0.seeds).toBeGreaterThan(0);
    expectReadBack(r0, 'C after reset');
    expectClose(r0.values, ref.C, 'C after reset');
    delta.reset();
    const r1 = all(await run(D));
    expectReadBack(r1, 'D after reset');
    expectClose(r1.values, ref.D, 'D after reset');
    expectFromHostCopy(all(await run(D.slice())), 'D repeated');

    // keyframe: a dense frame (a write into every value buffer) even with the same values
    delta.reset({keyframe: true});
    const k0 = all(await run(D.slice()));
    expect(k0.seeds).toBeGreaterThan(0);
    expectReadBack(k0, 'D keyframe');
    expectClose(k0.values, ref.D, 'D keyframe');
    delta.reset({keyframe: true});
    const k1 = all(await run(E));
    expectReadBack(k1, 'E keyframe');
    expectClose(k1.values, ref.E, 'E keyframe');
    const k2 = all(await run(E.slice()));
    expectFromHostCopy(k2, 'E repeated');

    // new weights after the old ones were disposed (their slots released), on the same frame values
    tf.dispose(Object.values(w));
    const wv2 = weightValues(12);
    w = weights(wv2);
    wNow = wv2;
    const n0 = all(await run(E.slice()));
    expect(n0.seeds).toBeGreaterThan(0);
    expectReadBack(n0, 'E with new weights');
    expectClose(n0.values, await cpuOutputs(wv2, E), 'E with new weights');
    expect(relErr(n0.values[0], ref.E[0])).withContext('new weights differ').toBeGreaterThan(1e-3);

    expect(errors).toEqual([]);
  });

  it('the same with busy chains passing through (outputs of tfjs\' convs, copied into the value buffers)', async () => {
    // every conv step dense, every dense step of a measured slot hands a full update: its consumers pass through
    const prev = configureDeltaWebGPU({denseCrossover: 0, fullUpdateAbove: -1});
    try {
      delta.reset();
      const A = frame(21), B = frame(22, A, [0, 0, 12, 6]), C = frame(23, B, [0, 6, 12, 12]), D = frame(24), E = frame(25, D, [3, 3, 9, 9]);
      const ref = {A: await cpuOutputs(wNow, A), D: await cpuOutputs(wNow, D), E: await cpuOutputs(wNow, E)};
      const errors: string[] = [];
      const all = async (r: Run) => { errors.push(...r.errors); await delta.settleStats(); return r; };
      const a0 = await all(await run(A));
      expectClose(a0.values, ref.A, 'A');
      expectFromHostCopy(await all(await run(A.slice())), 'A repeated');
      await all(await run(B));
      await all(await run(C));
      const p0 = backend.plane.counters.passThroughSteps;
      // D changed, not read: the value buffers were written since A's read-back; its repeat reads D back
      const d0 = await all(await run(D, {read: false}));
      expect(backend.plane.counters.passThroughSteps - p0).withContext('steps passing through on D').toBeGreaterThan(0);
      expect(d0.dispatches).toBeGreaterThan(0);
      const d1 = await all(await run(D.slice()));
      expectReadBack(d1, 'D repeated, first read of D');
      expectClose(d1.values, ref.D, 'D repeated');
      expectFromHostCopy(await all(await run(D.slice())), 'D repeated twice');
      // E changed and read (pass-through outputs: tfjs' tensors, read back by the plane), then repeated
      const p1 = backend.plane.counters.passThroughSteps;
      const e0 = await all(await run(E));
      expect(backend.plane.counters.passThroughSteps - p1).withContext('steps passing through on E').toBeGreaterThan(0);
      expectReadBack(e0, 'changed frame E');
      expectClose(e0.values, ref.E, 'changed frame E');
      const e1 = await all(await run(E.slice()));
      expectFromHostCopy(e1, 'E repeated');
      expectSame(e1.values, e0.values, 'E repeated');
      expect(errors).toEqual([]);
    } finally {
      configureDeltaWebGPU(prev);
      delta.reset();
    }
  });
});
