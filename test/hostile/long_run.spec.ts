/**
 * Long runs, on every backend of DELTA_BACKENDS (test/fuzz/backends.ts; delta-cpu by default, delta-webgpu
 * in Node on Dawn's software adapter with DELTA_BACKENDS=delta-webgpu):
 *  - 1,000 frames of a small MobileNet-like net (test/hostile/nets.ts SmallNet, 32x32 scene with moving
 *    objects) in exact mode: every frame equals dense cpu within 1e-5 (relative; no drift of the
 *    accumulators between keyframes), the delta path is taken on every frame but the first and the
 *    keyframes (300, 600, 900: dense), and tf.memory().numTensors, the backend's numDataIds() and
 *    delta.memory() (slots, data-plane buffers) are the same after every frame from frame 2 on; with
 *    --expose-gc (the suite's node flag), the JS heap grows by less than 4 MB from frame 100 to 1,000;
 *  - 1,000 frames with sensor noise in threshold mode: the same memory checks, DESIGN §3's per-slot
 *    invariant on every 50th frame (debug records), and no drift: the worst output error against dense
 *    over the last 200 frames is at most 1.5x that of frames 1-200 (plus 1e-6);
 *  - a real model (PoseNet MobileNetV1 from the test cache, at 65x65 to keep it cheap) for 50 frames:
 *    memory flat; model.dispose() frees every slot and buffer; MoveNet (a model with preprocessing
 *    before its first weighted layer) for 2 frames: model.dispose() frees every slot and buffer too.
 * On delta-cuda (and delta-cuda-emulated) the snapshots add the backend's memory() (numBytesInGPU,
 * liveBuffers: flat like the counts above, and back to the start after model.dispose()) and the addon's
 * deviceMemory(): the bytes its caching allocator holds from the driver flat from frame 2 on, and the
 * device's used memory (cudaMemGetInfo total - free) within 4 MiB of frame 2's (the driver's granularity).
 */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import * as delta from 'tfjs-backend-delta';
import {loadGraphModel} from '@tensorflow/tfjs-converter';
import {isCuda, onDeltaBackendEachSpec, testBackends} from '../fuzz/backends';
import {modelFile} from '../cuda/data';
import {Case, checkInvariant, DebugRec, DeltaRun} from '../kernels/harness';
import {loadModelFile} from 'tfjs-backend-delta/cli';
import {fileHandler, MODELS} from '../util/models';
import {relErrNaN, sceneFrame, SmallNet, take} from './nets';

const FRAMES = Number(process.env.DELTA_LONG_FRAMES || 1000);
const H = 32, W = 32;
const gc = (globalThis as {gc?: () => void}).gc;
/** DELTA_LONG_VERBOSE=1: print what each long run measured. */
const log = (...a: unknown[]) => { if (process.env.DELTA_LONG_VERBOSE) console.log('[long]', ...a); };

/** Counts that must stay the same from frame to frame (cuda: plus the device buffers and their bytes). */
interface Snapshot { numTensors: number; dataIds: number; slots: number; buffers: number; bytesInGPU?: number; liveBuffers?: number }
// delta-cuda's counter ring (src/cuda/delta/counters.ts): 64 KiB pages, 1 .. MAX_WAITING + 1 live by where the
// page boundaries fall: left out of the flat counts, bounded instead.
const PAGE_BYTES = 1024 * 64, RING_PAGES = 5;
/** delta-cuda's device memory as the addon sees it (deviceMemory(), binding/addon.cc). */
interface DeviceMemory { free: number; total: number; heldBytes: number; cachedBytes: number; liveBuffers: number }
type CudaLike = {memory(): {numBytesInGPU: number; liveBuffers: number}; addon: {deviceMemory?: () => DeviceMemory};
  plane: {counterPages(): number}};

function snapshot(): Snapshot {
  const m = delta.memory();
  const s: Snapshot = {numTensors: tf.memory().numTensors, dataIds: tf.engine().backend.numDataIds(), slots: m.slots, buffers: m.buffers};
  if (isCuda(tf.getBackend())) {
    const backend = tf.backend() as unknown as CudaLike;
    const b = backend.memory();
    s.bytesInGPU = b.numBytesInGPU;
    s.liveBuffers = b.liveBuffers - backend.plane.counterPages();
  }
  return s;
}
function deviceMemory(): DeviceMemory & {pages: number} {
  const {addon, plane} = tf.backend() as unknown as CudaLike;
  if (!addon.deviceMemory) throw new Error('the delta-cuda addon has no deviceMemory(): rebuild it (run.sh build / npm run build:cuda)');
  return {...addon.deviceMemory(), pages: plane.counterPages()};
}
const MiB = 2 ** 20;
/**
 * delta-cuda from frame `from` on: the bytes of live buffers other than counter pages (allocator's held -
 * cached - pages) flat; the allocator's held bytes at most the counter ring's pages above frame `from`'s;
 * the device's used bytes (cudaMemGetInfo) within 4 MiB.
 */
function deviceFlat(dev: Array<DeviceMemory & {pages: number}>, from: number, skip: (f: number) => boolean = () => false): string[] {
  const bad: string[] = [];
  const used = (d: DeviceMemory) => d.total - d.free;
  const live = (d: DeviceMemory & {pages: number}) => d.heldBytes - d.cachedBytes - d.pages * PAGE_BYTES;
  for (let f = from + 1; f < dev.length; f++) {
    if (skip(f)) continue;
    if (live(dev[f]) !== live(dev[from])) bad.push(`frame ${f}: live buffers other than counter pages hold ${live(dev[f])} B vs ${live(dev[from])} B at frame ${from}`);
    if (dev[f].heldBytes - dev[from].heldBytes > RING_PAGES * PAGE_BYTES) bad.push(`frame ${f}: allocator holds ${dev[f].heldBytes} B vs ${dev[from].heldBytes} B at frame ${from}`);
    if (used(dev[f]) - used(dev[from]) > 4 * MiB) bad.push(`frame ${f}: device used ${(used(dev[f]) / MiB).toFixed(1)} MiB vs ${(used(dev[from]) / MiB).toFixed(1)} MiB at frame ${from}`);
  }
  return bad;
}
function heapMB(): number {
  gc?.();
  return process.memoryUsage().heapUsed / 2 ** 20;
}

/** Dense reference outputs of the SmallNet on 'cpu' for frames 0..n-1 (computed in one pass). */
async function denseRun(net: SmallNet, n: number, frame: (f: number) => Float32Array): Promise<Float32Array[][]> {
  const copy = net.copy();
  const prev = tf.getBackend();
  await tf.setBackend('cpu');
  copy.load();
  const out: Float32Array[][] = [];
  for (let f = 0; f < n; f++) {
    const x = tf.tensor4d(frame(f), [1, H, W, 3]);
    out.push(await take(copy.run(x)));
    x.dispose();
  }
  copy.dispose();
  await tf.setBackend(prev);
  return out;
}

/** Frames from `from` + 1 on whose snapshot differs from frame `from`'s (frames `skip` says are left out). */
function flat(snaps: Snapshot[], from: number, skip: (f: number) => boolean = () => false): string[] {
  const bad: string[] = [];
  for (let f = from + 1; f < snaps.length; f++) {
    if (skip(f)) continue;
    const a = snaps[from], b = snaps[f];
    if (JSON.stringify(a) !== JSON.stringify(b)) {
      bad.push(`frame ${f}: ${JSON.stringify(b)} vs frame ${from}: ${JSON.stringify(a)}`);
    }
  }
  return bad;
}

for (const backend of testBackends()) {
  describe(`long runs on ${backend}`, () => {
    beforeAll(() => { jasmine.DEFAULT_TIMEOUT_INTERVAL = 10 * 60_000; });
    const cuda = isCuda(backend);
    onDeltaBackendEachSpec(backend);

    it(`${FRAMES} frames of a small conv net in exact mode: exact every frame, memory flat`, async () => {
      const net = SmallNet.random(101);
      const frame = (f: number) => sceneFrame(102, f, {h: H, w: W, objects: 3});
      const ref = await denseRun(net, FRAMES, frame);
      net.load();
      const snaps: Snapshot[] = [];
      const dev: Array<DeviceMemory & {pages: number}> = [];
      let heapAt100 = 0, worst = 0, worstAt = -1;
      const notDelta: number[] = [];
      for (let f = 0; f < FRAMES; f++) {
        const x = tf.tensor4d(frame(f), [1, H, W, 3]);
        const ys = await take(net.run(x));
        x.dispose();
        ys.forEach((y, k) => {
          const r = relErrNaN(y, ref[f][k]);
          if (!(r <= worst)) { worst = r; worstAt = f; }
        });
        const layers = delta.stats().layers.filter((l) => l.mode !== 'fallback');
        const deltaRuns = layers.filter((l) => l.mode === 'delta').length;
        if (f > 0 && f % 300 !== 0 && deltaRuns < layers.length) notDelta.push(f);
        if (f > 0 && f % 300 === 0) expect(deltaRuns).withContext(`keyframe ${f}`).toBe(0);
        snaps.push(snapshot());
        if (cuda) dev.push(deviceMemory());
        if (f === 100) heapAt100 = heapMB();
      }
      log(`exact: ${FRAMES} frames, worst rel error ${worst.toExponential(2)} at frame ${worstAt}, memory ${JSON.stringify(snaps[FRAMES - 1])}, ` +
        `heap ${heapAt100.toFixed(1)} -> ${heapMB().toFixed(1)} MB${gc ? '' : ' (no --expose-gc)'}`);
      // delta-webgpu, delta-cuda: float32 in another order than cpu (the GPU kernel specs' tolerance)
      const tol = backend === 'delta-webgpu' || backend === 'delta-cuda' ? 1e-4 : 1e-5;
      expect(worst).withContext(`worst relative error ${worst} at frame ${worstAt}`).toBeLessThanOrEqual(tol);
      expect(notDelta).withContext('frames where a slot did not take the delta path').toEqual([]);
      expect(flat(snaps, 2).slice(0, 5)).toEqual([]);
      if (cuda) {
        log(`exact: device memory frame 2 ${JSON.stringify(dev[2])}, frame ${FRAMES - 1} ${JSON.stringify(dev[FRAMES - 1])}`);
        expect(deviceFlat(dev, 2).slice(0, 5)).withContext('delta-cuda device memory').toEqual([]);
      }
      if (gc && FRAMES >= 1000) expect(heapMB() - heapAt100).withContext('heap growth, MB').toBeLessThan(4);
      net.dispose();
      expect(delta.memory().slots).toBeLessThanOrEqual(1);
    });

    it(`${FRAMES} frames with sensor noise in threshold mode: invariant holds, no drift, memory flat`, async () => {
      const net = SmallNet.random(103);
      const frame = (f: number) => sceneFrame(104, f, {h: H, w: W, objects: 2, noise: 0.01});
      const ref = await denseRun(net, FRAMES, frame);
      const thresholds = {input: 0.03, inner: 0.01};
      delta.configure({inputThreshold: thresholds.input, threshold: thresholds.inner});
      net.load();
      const snaps: Snapshot[] = [];
      const dev: Array<DeviceMemory & {pages: number}> = [];
      const err: number[] = [];
      const invariantFailures: string[] = [];
      // The checker needs a Case only for the thresholds it expects per slot (a chain: inputs of either).
      const asCase = {label: 'SmallNet', seed: 103, kernels: [], inputShapes: [], consts: {}, op: null, chain: true,
        nonlinear: [], thresholds} as unknown as Case;
      for (let f = 0; f < FRAMES; f++) {
        const sample = f % 50 === 25;
        if (sample) delta.configure({debug: true});
        const x = tf.tensor4d(frame(f), [1, H, W, 3]);
        const ys = await take(net.run(x));
        x.dispose();
        if (sample) {
          await delta.settleStats();  // delta-webgpu: debug records are read back after the submit
          const records = delta.debug() as unknown as DebugRec[];
          delta.configure({debug: false});
          const run = {values: [], shape: [], stats: [], debug: [records], problems: []} as DeltaRun;
          const inv = await checkInvariant(asCase, run);
          await tf.setBackend(backend);
          invariantFailures.push(...inv.failures.map((p) => `frame ${f}: ${p.what}`));
          // delta-cuda: a kernel without a CUDA delta kernel runs 'fallback' and records nothing
          const minRecords = cuda ? delta.stats().layers.filter((l) => l.mode !== 'fallback').length : 10;
          if (records.length < minRecords) invariantFailures.push(`frame ${f}: only ${records.length} debug records (${minRecords} expected)`);
        }
        err.push(Math.max(...ys.map((y, k) => relErrNaN(y, ref[f][k]))));
        snaps.push(snapshot());
        if (cuda) dev.push(deviceMemory());
      }
      expect(invariantFailures.slice(0, 5)).toEqual([]);
      // delta-cuda: a debug frame's record copies are device buffers until the slot's next step (left out here)
      expect(flat(snaps, 2, (f) => cuda && f % 50 === 25).slice(0, 5)).toEqual([]);
      if (cuda && FRAMES > 27) {
        // from the first debug frame on: its record copies, freed on the next step, stay in the allocator's cache
        log(`threshold: device memory frame 26 ${JSON.stringify(dev[26])}, frame ${FRAMES - 1} ${JSON.stringify(dev[FRAMES - 1])}`);
        expect(deviceFlat(dev, 26, (f) => f % 50 === 25).slice(0, 5)).withContext('delta-cuda device memory').toEqual([]);
      }
      const window = Math.min(200, Math.floor(FRAMES / 4));
      const early = Math.max(...err.slice(1, 1 + window)), late = Math.max(...err.slice(FRAMES - window));
      log(`threshold: ${FRAMES} frames, worst error vs dense: frames 1-${window} ${early.toExponential(2)}, last ${window} ${late.toExponential(2)}; ` +
        `memory ${JSON.stringify(snaps[FRAMES - 1])}`);
      expect(late).withContext(`worst error, frames 1-${window}: ${early}, last ${window} frames: ${late}`).toBeLessThanOrEqual(1.5 * early + 1e-6);
      expect(err.every(Number.isFinite)).toBe(true);
      net.dispose();
    });

    it('a real model (PoseNet at 65x65) for 50 frames: memory flat, model.dispose() frees all state', async () => {
      const file = safeModelFile('posenet');
      if (!file) { pending('posenet is not in the test cache (scripts/setup-data.mjs)'); return; }
      const S = 65;  // PoseNet is fully convolutional: any 16k+1
      delta.configure({inputThreshold: 0.04});  // 2% of its [-1, 1] input range
      const base = snapshot();
      const model = await loadGraphModel(fileHandler(file, [S, S]));
      const snaps: Snapshot[] = [];
      const dev: Array<DeviceMemory & {pages: number}> = [];
      for (let f = 0; f < 50; f++) {
        const x = tf.tensor4d(sceneFrame(105, f, {h: S, w: S, objects: 3, noise: 0.01, range: [-1, 1]}), [1, S, S, 3]);
        await take(model.execute(x) as tf.Tensor[]);
        x.dispose();
        snaps.push(snapshot());
        if (cuda) dev.push(deviceMemory());
        if (f > 0) expect(delta.stats().layers.filter((l) => l.mode === 'delta').length).withContext(`frame ${f}`).toBeGreaterThan(20);
      }
      expect(flat(snaps, 1).slice(0, 5)).toEqual([]);
      if (cuda) expect(deviceFlat(dev, 2).slice(0, 5)).withContext('delta-cuda device memory').toEqual([]);
      model.dispose();
      expect(snapshot()).toEqual(base);
    });

    it('a real model with preprocessing before its first weighted layer (MoveNet): model.dispose() frees all state', async () => {
      const file = safeModelFile('movenet-lightning');
      if (!file) { pending('movenet-lightning is not in the test cache'); return; }
      const base = snapshot();
      const spec = MODELS['movenet-lightning'];
      const resize = spec.signatureSize && (spec.signatureSize[0] !== spec.height || spec.signatureSize[1] !== spec.width);
      const model = await loadModelFile(file, resize ? [spec.height, spec.width] : undefined);
      for (let f = 0; f < 2; f++) {
        const v = sceneFrame(106, f, {h: 192, w: 192, objects: 2, range: [0, 255]});
        const x = tf.tensor4d(Int32Array.from(v, Math.round), [1, 192, 192, 3], 'int32');
        await take(model.execute(x) as tf.Tensor);
        x.dispose();
      }
      expect(delta.memory().slots).toBeGreaterThan(100);
      model.dispose();
      expect(snapshot()).withContext('after model.dispose()').toEqual(base);
    });
  });
}

/** The model's file: the test cache, or in the delta-cuda offline bundle its data folder (test/cuda/data.ts). */
function safeModelFile(name: string): string | null {
  try {
    return modelFile(name);
  } catch {
    return null;
  }
}
