/**
 * Recorded-frame replay (src/core/replay.ts, delta.replayModel), on every backend of DELTA_BACKENDS:
 *  - real models on real video (PoseNet on vtest at 257x257, float input; MoveNet Lightning on pose_1, int32 input
 *    with preprocessing before its first weighted layer): after two recorded frames every frame replays, and its
 *    outputs equal those of `delta.frame(() => model.execute(...))` on the same frames (same slots, same kernels;
 *    bit for bit on delta-cpu, within float rounding elsewhere) and dense cpu in exact mode; tensors, data ids,
 *    slots and plane buffers are flat over the replayed frames; stats() per layer as in eager runs;
 *  - another input size records again (eager frames), then replays at that size; the old size replays at once;
 *  - model.dispose() drops the tape (its weights are gone); a new model records;
 *  - a graph that reads values computed from the frame while it runs (a custom op calling dataSync) is never
 *    replayed, and stays correct (reads of weights, e.g. a Reshape's target shape, are the same every frame); a kernel whose output shape depends on values (Unique) makes a replay mismatch: that frame re-runs
 *    eagerly and is right;
 *  - on a backend that is not a delta backend, replayModel is model.execute.
 */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import * as delta from 'tfjs-backend-delta';
import {GraphModel, loadGraphModel, registerOp} from '@tensorflow/tfjs-converter';
import {frameToInput, loadModelFile} from 'tfjs-backend-delta/cli';
import {isCuda, onDeltaBackendEachSpec, testBackends} from '../fuzz/backends';
import {clipFrames, modelFile} from '../cuda/data';
import {fileHandler, MODELS} from '../util/models';
import {loadSyntheticModel, onBackend, relErrNaN, sceneFrame, take} from './nets';

const safe = <T>(f: () => T): T | null => { try { return f(); } catch { return null; } };

interface Snapshot { numTensors: number; dataIds: number; slots: number; buffers: number }
function snapshot(): Snapshot {
  const m = delta.memory();
  return {numTensors: tf.memory().numTensors, dataIds: tf.engine().backend.numDataIds(), slots: m.slots, buffers: m.buffers};
}

/**
 * A GraphModel x [1,8,8,3] -> Conv2D 3x3 -> DeltaTestRead (reads its input's values on the host, as a graph
 * with control flow does, and passes it on) -> Relu.
 */
const READ_OP = 'DeltaTestRead';
let readRegistered = false;
let reads = 0;
function loadReadingModel(): Promise<GraphModel> {
  if (!readRegistered) {
    registerOp(READ_OP, (node) => {
      const x = node.inputs[0];
      if (tf.getBackend() === 'delta-webgpu') {
        // (Node's WebGPU has no readSync) an async read of the same buffer, kept alive until it lands
        const held = tf.keep(tf.clone(x));
        void held.data().finally(() => held.dispose());
      } else {
        x.dataSync();
      }
      reads++;
      return [tf.clone(x)];
    });
    readRegistered = true;
  }
  const f32 = {type: 'DT_FLOAT'};
  const ints = (xs: number[]) => ({list: {i: xs.map(String)}});
  const b64 = (t: string) => Buffer.from(t).toString('base64');
  const node = [
    {name: 'x', op: 'Placeholder', attr: {dtype: f32, shape: {shape: {dim: [{size: '1'}, {size: '8'}, {size: '8'}, {size: '3'}]}}}},
    {name: 'w', op: 'Const', attr: {dtype: f32, value: {tensor: {dtype: 'DT_FLOAT', tensorShape: {dim: [3, 3, 3, 4].map((d) => ({size: String(d)}))}}}}},
    {name: 'conv', op: 'Conv2D', input: ['x', 'w'], attr: {T: f32, strides: ints([1, 1, 1, 1]), padding: {s: b64('SAME')},
      data_format: {s: b64('NHWC')}, dilations: ints([1, 1, 1, 1]), explicit_paddings: {list: {}}}},
    {name: 'read', op: READ_OP, input: ['conv'], attr: {}},
    {name: 'out', op: 'Relu', input: ['read'], attr: {T: f32}},
  ];
  const w = Float32Array.from({length: 108}, (_, i) => Math.sin(i) * 0.3);
  return loadGraphModel(tf.io.fromMemory({
    modelTopology: {node, library: {}, versions: {}},
    weightSpecs: [{name: 'w', shape: [3, 3, 3, 4], dtype: 'float32' as const}],
    weightData: w.buffer,
    format: 'graph-model',
  }));
}

/** A GraphModel x [N,H,W,1] -> Relu -> Reshape [-1] -> DeltaTestUnique (tf.unique: output length = distinct values). */
const UNIQUE_OP = 'DeltaTestUnique';
let uniqueRegistered = false;
function loadUniqueModel(): Promise<GraphModel> {
  if (!uniqueRegistered) {
    registerOp(UNIQUE_OP, (node) => [tf.unique(node.inputs[0] as tf.Tensor1D).values]);
    uniqueRegistered = true;
  }
  const f32 = {type: 'DT_FLOAT'};
  const node = [
    {name: 'x', op: 'Placeholder', attr: {dtype: f32, shape: {shape: {dim: [{size: '1'}, {size: '4'}, {size: '4'}, {size: '1'}]}}}},
    {name: 'shape', op: 'Const', attr: {dtype: {type: 'DT_INT32'}, value: {tensor: {dtype: 'DT_INT32', tensorShape: {dim: [{size: '1'}]}}}}},
    {name: 'relu', op: 'Relu', input: ['x'], attr: {T: f32}},
    {name: 'flat', op: 'Reshape', input: ['relu', 'shape'], attr: {T: f32}},
    {name: 'uniq', op: UNIQUE_OP, input: ['flat'], attr: {}},
  ];
  return loadGraphModel(tf.io.fromMemory({
    modelTopology: {node, library: {}, versions: {}},
    weightSpecs: [{name: 'shape', shape: [1], dtype: 'int32' as const}],
    weightData: Int32Array.of(-1).buffer,
    format: 'graph-model',
  }));
}

/**
 * A GraphModel with two image inputs whose branches meet: x -> Conv2D(wx) -> cx; y -> Conv2D(wy) -> Relu -> ry;
 * AddV2(cx, ry) -> Relu -> out. Outputs [out, ry]: when y does not change, ry's branch is quiet while x's is not.
 */
function loadTwoInputModel(): Promise<GraphModel> {
  const f32 = {type: 'DT_FLOAT'};
  const ints = (xs: number[]) => ({list: {i: xs.map(String)}});
  const b64 = (t: string) => Buffer.from(t).toString('base64');
  const conv = (name: string, x: string, w: string) => ({name, op: 'Conv2D', input: [x, w], attr: {T: f32, strides: ints([1, 1, 1, 1]),
    padding: {s: b64('SAME')}, data_format: {s: b64('NHWC')}, dilations: ints([1, 1, 1, 1]), explicit_paddings: {list: {}}}});
  const image = (name: string) => ({name, op: 'Placeholder', attr: {dtype: f32, shape: {shape: {dim: [1, 8, 8, 3].map((d) => ({size: String(d)}))}}}});
  const weight = (name: string) => ({name, op: 'Const', attr: {dtype: f32, value: {tensor: {dtype: 'DT_FLOAT',
    tensorShape: {dim: [3, 3, 3, 4].map((d) => ({size: String(d)}))}}}}});
  const node = [
    image('x'), image('y'), weight('wx'), weight('wy'),
    conv('cx', 'x', 'wx'), conv('cy', 'y', 'wy'),
    {name: 'ry', op: 'Relu', input: ['cy'], attr: {T: f32}},
    {name: 'sum', op: 'AddV2', input: ['cx', 'ry'], attr: {T: f32}},
    {name: 'out', op: 'Relu', input: ['sum'], attr: {T: f32}},
  ];
  const w = Float32Array.from({length: 216}, (_, i) => Math.sin(i * 0.7) * 0.3);
  return loadGraphModel(tf.io.fromMemory({
    modelTopology: {node, library: {}, versions: {}},
    weightSpecs: [{name: 'wx', shape: [3, 3, 3, 4], dtype: 'float32' as const}, {name: 'wy', shape: [3, 3, 3, 4], dtype: 'float32' as const}],
    weightData: w.buffer,
    format: 'graph-model',
  }));
}

for (const backend of testBackends()) {
  describe(`recorded-frame replay (delta.replayModel) on ${backend}`, () => {
    beforeAll(() => { jasmine.DEFAULT_TIMEOUT_INTERVAL = 10 * 60_000; });
    // float32 sums in another order than tfjs-cpu on the GPU planes
    const tol = backend === 'delta-cpu' ? 1e-5 : 1e-4;
    onDeltaBackendEachSpec(backend);

    // (sizes and fits the offline bundle carries frames of: test/cuda/data.ts)
    const realModels: Array<{name: 'posenet' | 'movenet-lightning'; clip: string; size: number; fit: 'stretch' | 'pad'; frames: number;
      threshold: number}> = [
      {name: 'posenet', clip: 'vtest', size: 257, fit: 'stretch', frames: 6, threshold: 0.04},
      {name: 'movenet-lightning', clip: 'pose_1', size: 192, fit: 'pad', frames: 6, threshold: 5},
    ];
    for (const m of realModels) {
      it(`${m.name} on ${m.clip} (real frames): replayed frames equal eager frames and dense cpu, memory flat`, async () => {
        const file = safe(() => modelFile(m.name));
        if (!file) { pending(`${m.name} is not in the test cache (scripts/setup-data.mjs)`); return; }
        const frames = safe(() => clipFrames(m.clip, m.size, m.size, m.fit, 0, m.frames));
        if (!frames) { pending(`clip ${m.clip} is not available`); return; }
        const spec = {...MODELS[m.name], width: m.size, height: m.size};
        const load = () => (m.name === 'posenet' ? loadGraphModel(fileHandler(file, [m.size, m.size])) : loadModelFile(file));
        const outputs = spec.outputs;
        const input = (f: number) => frameToInput(spec, frames[f]);
        // dense reference
        const ref = await onBackend('cpu', async () => {
          const model = await load();
          const out: Float32Array[][] = [];
          for (let f = 0; f < m.frames; f++) {
            const x = input(f);
            out.push(await take(model.execute(x, outputs) as tf.Tensor[]));
            x.dispose();
          }
          model.dispose();
          return out;
        });
        for (const threshold of [0, m.threshold]) {
          delta.configure({inputThreshold: threshold});
          const model = await load();
          const eager: Float32Array[][] = [];
          const eagerModes: string[][] = [];
          delta.reset();
          for (let f = 0; f < m.frames; f++) {
            const x = input(f);
            eager.push(await take(delta.frame(() => model.execute(x, outputs)) as tf.Tensor[]));
            eagerModes.push(delta.stats().layers.map((l) => `${l.name}:${l.mode}`));
            x.dispose();
          }
          delta.reset();
          const fast = delta.replayModel(model);
          const snaps: Snapshot[] = [];
          for (let f = 0; f < m.frames; f++) {
            const x = input(f);
            const got = await take(fast.execute(x, outputs) as tf.Tensor[]);
            x.dispose();
            snaps.push(snapshot());
            const st = fast.stats();
            expect(st.mode).withContext(`frame ${f}`).toBe(f < 2 ? 'record' : 'replay');
            expect(delta.stats().layers.map((l) => `${l.name}:${l.mode}`)).withContext(`threshold ${threshold} frame ${f}: layer modes`)
                .toEqual(eagerModes[f]);
            got.forEach((g, k) => {
              const e = relErrNaN(g, eager[f][k]);
              if (backend === 'delta-cpu') expect(e).withContext(`threshold ${threshold} frame ${f} output ${k} vs eager`).toBe(0);
              else expect(e).withContext(`threshold ${threshold} frame ${f} output ${k} vs eager`).toBeLessThanOrEqual(tol);
              if (threshold === 0) expect(relErrNaN(g, ref[f][k])).withContext(`frame ${f} output ${k} vs dense cpu`).toBeLessThanOrEqual(1e-4);
            });
          }
          const st = fast.stats();
          expect(st.replayedFrames).toBe(m.frames - 2);
          expect(st.recordedFrames).toBe(2);
          expect(st.calls).toBeGreaterThan(m.name === 'posenet' ? 30 : 60);
          for (let f = 3; f < m.frames; f++) expect(snaps[f]).withContext(`frame ${f} vs frame 2`).toEqual(snaps[2]);
          fast.dispose();
          model.dispose();
        }
      });
    }

    it('another input size records again, then replays; the first size replays at once', async () => {
      const model = await loadSyntheticModel(301, {preprocess: true});
      const fast = delta.replayModel(model);
      const modes: string[] = [];
      const sizes = [16, 16, 16, 24, 24, 24, 24, 16, 16];
      const inputs = sizes.map((s, f) => ({shape: [1, s, s, 3], values: sceneFrame(302, f, {h: s, w: s, objects: 2})}));
      const ref = await onBackend('cpu', async () => {
        const m = await loadSyntheticModel(301, {preprocess: true});
        const out: Float32Array[] = [];
        for (const i of inputs) { const x = tf.tensor(i.values, i.shape); out.push((await take(m.execute(x) as tf.Tensor))[0]); x.dispose(); }
        m.dispose();
        return out;
      });
      for (const [f, i] of inputs.entries()) {
        const x = tf.tensor(i.values, i.shape);
        const got = (await take(fast.execute(x) as tf.Tensor))[0];
        x.dispose();
        modes.push(fast.stats().mode);
        expect(relErrNaN(got, ref[f])).withContext(`frame ${f}`).toBeLessThanOrEqual(tol);
      }
      expect(modes).toEqual(['record', 'record', 'replay', 'record', 'record', 'replay', 'replay', 'replay', 'replay']);
      fast.dispose();
      model.dispose();
    });

    it('inside the app\'s own delta.frame (preprocessing before the model): one frame each, replayed, right', async () => {
      const model = await loadSyntheticModel(351);
      const fast = delta.replayModel(model);
      const inputs = [0, 1, 2, 3, 4].map((f) => sceneFrame(352, f, {h: 16, w: 16, objects: 2, range: [0, 255]}));
      const ref = await onBackend('cpu', async () => {
        const m = await loadSyntheticModel(351);
        const out: Float32Array[] = [];
        for (const v of inputs) {
          const x = tf.tensor(v, [1, 16, 16, 3]);
          const y = tf.div(x, 255);
          out.push((await take(m.execute(y) as tf.Tensor))[0]);
          tf.dispose([x, y]);
        }
        m.dispose();
        return out;
      });
      const frames: number[] = [];
      const layerCounts: number[] = [];
      for (const [f, v] of inputs.entries()) {
        const x = tf.tensor(v, [1, 16, 16, 3]);
        const got = (await take(delta.frame(() => {
          const y = tf.div(x, 255);
          const o = fast.execute(y) as tf.Tensor;
          y.dispose();
          return o;
        })))[0];
        x.dispose();
        expect(relErrNaN(got, ref[f])).withContext(`frame ${f}`).toBeLessThanOrEqual(tol);
        expect(fast.stats().mode).withContext(`frame ${f}`).toBe(f < 2 ? 'record' : 'replay');
        const st = delta.stats();
        frames.push(st.frame);
        // every layer of the frame, the preprocessing's included, ran in this one frame; none re-seeded
        layerCounts.push(st.layers.length);
        if (f > 0) expect(st.layers.some((l) => l.mode === 'dense')).withContext(`frame ${f}: ${st.layers.map((l) => l.mode)}`).toBe(false);
      }
      expect(frames).toEqual([0, 1, 2, 3, 4]);
      expect(new Set(layerCounts).size).withContext(`layers per frame ${layerCounts}`).toBe(1);
      fast.dispose();
      model.dispose();
    });

    it('model.dispose() drops the tape; a new model records, replays and is right', async () => {
      const base = snapshot();
      const frame = (f: number) => tf.tensor(sceneFrame(311, f, {h: 16, w: 16, objects: 2}), [1, 16, 16, 3]);
      let model = await loadSyntheticModel(312);
      const fast = delta.replayModel(model);
      for (let f = 0; f < 3; f++) { const x = frame(f); await take(fast.execute(x) as tf.Tensor); x.dispose(); }
      expect(fast.stats().mode).toBe('replay');
      model.dispose();
      fast.dispose();
      expect(snapshot()).withContext('model and replay tape gone').toEqual(base);
      model = await loadSyntheticModel(313);
      const again = delta.replayModel(model);
      const inputs = [0, 1, 2, 3].map((f) => ({shape: [1, 16, 16, 3], values: sceneFrame(311, f, {h: 16, w: 16, objects: 2})}));
      const ref = await onBackend('cpu', async () => {
        const m = await loadSyntheticModel(313);
        const out: Float32Array[] = [];
        for (const i of inputs) { const x = tf.tensor(i.values, i.shape); out.push((await take(m.execute(x) as tf.Tensor))[0]); x.dispose(); }
        m.dispose();
        return out;
      });
      const modes: string[] = [];
      for (const [f, i] of inputs.entries()) {
        const x = tf.tensor(i.values, i.shape);
        expect(relErrNaN((await take(again.execute(x) as tf.Tensor))[0], ref[f])).withContext(`frame ${f}`).toBeLessThanOrEqual(tol);
        x.dispose();
        modes.push(again.stats().mode);
      }
      expect(modes).toEqual(['record', 'record', 'replay', 'replay']);
      again.dispose();
      model.dispose();
    });

    it('a graph that reads values of the frame while it runs is never replayed, and stays right', async () => {
      const inputs = [0, 1, 2, 3, 4].map((f) => sceneFrame(322, f, {h: 8, w: 8, objects: 1}));
      const ref = await onBackend('cpu', async () => {
        const m = await loadReadingModel();
        const out: Float32Array[] = [];
        for (const v of inputs) { const x = tf.tensor(v, [1, 8, 8, 3]); out.push((await take(m.execute(x) as tf.Tensor))[0]); x.dispose(); }
        m.dispose();
        return out;
      });
      const model = await loadReadingModel();
      const fast = delta.replayModel(model);
      reads = 0;
      for (const [f, v] of inputs.entries()) {
        const x = tf.tensor(v, [1, 8, 8, 3]);
        const got = (await take(fast.execute(x) as tf.Tensor))[0];
        x.dispose();
        expect(relErrNaN(got, ref[f])).withContext(`frame ${f}`).toBeLessThanOrEqual(tol);
        expect(fast.stats().mode).withContext(`frame ${f}`).toBe('eager');
      }
      expect(reads).withContext('the graph ran (and read) on every frame').toBe(inputs.length);
      expect(fast.stats().reason).toContain('reads tensor values');
      expect(fast.stats().replayedFrames).toBe(0);
      fast.dispose();
      model.dispose();
    });

    it('a kernel whose output shape depends on values (Unique): the mismatching frame re-runs eagerly and is right', async () => {
      // tfjs-webgpu's Unique reads its input with readSync, which Node's WebGPU cannot do
      if (backend === 'delta-webgpu') { pending('tfjs-webgpu Unique needs readSync (not in Node)'); return; }
      const model = await loadUniqueModel();
      const fast = delta.replayModel(model);
      const base = snapshot();
      // distinct positive values: 3, 3, 3, then 5 (a replay would give 5 values where 3 were recorded), then 5, 5, 5
      const counts = [3, 3, 3, 5, 5, 5, 5];
      for (const [f, n] of counts.entries()) {
        const v = new Float32Array(16).map((_, k) => (k < 16 - n ? -1 : k));  // negatives become 0 after relu
        const x = tf.tensor(v, [1, 4, 4, 1]);
        const got = (await take(fast.execute(x) as tf.Tensor))[0];
        x.dispose();
        const want = [0, ...Array.from({length: n}, (_, k) => 16 - n + k)];
        expect(Array.from(got)).withContext(`frame ${f}`).toEqual(want);
      }
      const st = fast.stats();
      expect(st.mismatches).toBe(1);
      expect(st.replayedFrames).toBeGreaterThanOrEqual(3);
      fast.dispose();
      expect(snapshot().numTensors).toBe(base.numTensors);
      model.dispose();
    });

    it('quiet calls are skipped: frames where one input or none changed equal eager frames and dense cpu', async () => {
      const rand = (seed: number) => Float32Array.from({length: 192}, (_, i) => Math.sin(seed * 12.9898 + i * 78.233) * 0.5);
      // [x seed, y seed] per frame: 0-1 record, then both change, x alone, none, none, y alone, both, none; then
      // configure() (same values, a new configuration) and none twice: the first runs every call, the second skips
      const seeds = [[1, 1], [2, 2], [3, 3], [4, 3], [4, 3], [4, 3], [4, 5], [6, 7], [6, 7], [6, 7], [6, 7]];
      const reconfigure = (f: number) => { if (f === 9) delta.configure({inputThreshold: 0, threshold: 0}); };
      const feeds = (f: number) => ({x: tf.tensor(rand(seeds[f][0]), [1, 8, 8, 3]), y: tf.tensor(rand(100 + seeds[f][1]), [1, 8, 8, 3])});
      const outputs = ['out', 'ry'];
      const ref = await onBackend('cpu', async () => {
        const m = await loadTwoInputModel();
        const out: Float32Array[][] = [];
        for (let f = 0; f < seeds.length; f++) {
          const i = feeds(f);
          out.push(await take(m.execute(i, outputs) as tf.Tensor[]));
          tf.dispose([i.x, i.y]);
        }
        m.dispose();
        return out;
      });
      const model = await loadTwoInputModel();
      delta.reset();
      const eager: Float32Array[][] = [];
      for (let f = 0; f < seeds.length; f++) {
        reconfigure(f);
        const i = feeds(f);
        eager.push(await take(delta.frame(() => model.execute(i, outputs)) as tf.Tensor[]));
        tf.dispose([i.x, i.y]);
      }
      delta.reset();
      const fast = delta.replayModel(model);
      const skipped: number[] = [];
      const snaps: Snapshot[] = [];
      let before = 0;
      for (let f = 0; f < seeds.length; f++) {
        reconfigure(f);
        const i = feeds(f);
        const got = await take(fast.execute(i, outputs) as tf.Tensor[]);
        tf.dispose([i.x, i.y]);
        snaps.push(snapshot());
        expect(fast.stats().mode).withContext(`frame ${f}`).toBe(f < 2 ? 'record' : 'replay');
        got.forEach((g, k) => {
          if (backend === 'delta-cpu') expect(relErrNaN(g, eager[f][k])).withContext(`frame ${f} output ${k} vs eager`).toBe(0);
          else expect(relErrNaN(g, eager[f][k])).withContext(`frame ${f} output ${k} vs eager`).toBeLessThanOrEqual(tol);
          expect(relErrNaN(g, ref[f][k])).withContext(`frame ${f} output ${k} vs dense cpu`).toBeLessThanOrEqual(1e-4);
        });
        const total = delta.stats().totals.skippedRuns;
        skipped.push(total - before);
        before = total;
        // every layer ran (or was accounted) in this frame, none re-seeded after the first frame
        const st = delta.stats();
        expect(st.layers.length).withContext(`frame ${f}`).toBe(5);
        if (f > 0) expect(st.layers.filter((l) => l.mode !== 'delta').map((l) => l.name)).withContext(`frame ${f}`).toEqual([]);
      }
      // skipped per frame: y unchanged -> ry (frames 3-5); nothing changed -> ry, sum, out (frames 4, 5, 8, 10). A data
      // plane that diffs a model input before its call (DataPlane.probeInput: delta-cuda) skips the unchanged input's
      // layers too: y's (frame 3), x's (frame 6), both (frames 4, 5, 8, 10)
      const probes = typeof (tf.backend() as unknown as {plane?: {probeInput?: unknown}}).plane?.probeInput === 'function';
      expect(probes).toBe(isCuda(backend));
      expect(skipped).toEqual(probes ? [0, 0, 0, 2, 5, 5, 1, 0, 5, 0, 5] : [0, 0, 0, 1, 3, 3, 0, 0, 3, 0, 3]);
      for (let f = 3; f < seeds.length; f++) expect(snaps[f]).withContext(`frame ${f} vs frame 2`).toEqual(snaps[2]);
      fast.dispose();
      model.dispose();
    });

    it('on a backend that is not a delta backend it is model.execute', async () => {
      const model = await onBackend('cpu', () => loadSyntheticModel(331));
      await tf.setBackend('cpu');
      const fast = delta.replayModel(model);
      const x = tf.tensor(sceneFrame(332, 0, {h: 16, w: 16, objects: 2}), [1, 16, 16, 3]);
      const a = (await take(fast.execute(x) as tf.Tensor))[0];
      const b = (await take(model.execute(x) as tf.Tensor))[0];
      expect(relErrNaN(a, b)).toBe(0);
      expect(fast.stats().mode).toBe('eager');
      expect(fast.stats().reason).toContain('not a delta backend');
      x.dispose();
      model.dispose();
      await tf.setBackend(backend);
    });

    if (isCuda(backend)) {
      it('delta-cuda: a replayed frame makes no more device buffers than an eager one', async () => {
        const model = await loadSyntheticModel(341);
        const fast = delta.replayModel(model);
        const live = () => (tf.backend() as unknown as {memory(): {liveBuffers: number}}).memory().liveBuffers;
        const counts: number[] = [];
        for (let f = 0; f < 6; f++) {
          const x = tf.tensor(sceneFrame(342, f, {h: 16, w: 16, objects: 2}), [1, 16, 16, 3]);
          await take(fast.execute(x) as tf.Tensor);
          x.dispose();
          counts.push(live());
        }
        expect(counts.slice(3)).toEqual([counts[2], counts[2], counts[2]]);
        fast.dispose();
        model.dispose();
      });
    }
  });
}

describe('replayModel arguments', () => {
  it('rejects a model without execute and bad options', () => {
    expect(() => delta.replayModel({} as never)).toThrowError(/execute/);
    expect(() => delta.replayModel({execute: () => tf.scalar(0)}, {stableFrames: 1})).toThrowError(/stableFrames/);
    expect(() => delta.replayModel({execute: () => tf.scalar(0)}, {maxTapes: 0})).toThrowError(/maxTapes/);
  });
});
