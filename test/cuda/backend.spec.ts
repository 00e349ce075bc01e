// The delta-cuda backend itself: registration without a device (no crash at import, one clear message from
// setBackend), and with a device: tensor storage (float32 / int32 / bool / string round trips, read and
// readSync), tfjs refcount semantics (shared dataIds of Reshape, clone, tidy), numDataIds and memory()
// back to their baseline, device selection, the engine in front of every kernel, per-kernel CPU fallback
// counts, leaks over a model-like loop.
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import * as delta from 'tfjs-backend-delta';
import {configureDeltaCuda, CUDA_KERNELS, DELTA_CUDA, DeltaCudaBackend, deviceInfo} from 'tfjs-backend-delta/cuda';
import {needGpu, noGpuReason, useCuda} from './gpu';
import {leakNetwork} from './leak_network';

describe('delta-cuda registration (no GPU needed)', () => {
  it('registers the backend and every kernel at import, without touching a device', () => {
    expect(tf.findBackendFactory(DELTA_CUDA)).toBeTruthy();
    const names = tf.getKernelsForBackend(DELTA_CUDA).map((k) => k.kernelName);
    for (const k of ['Conv2D', 'FusedConv2D', 'FusedDepthwiseConv2D', 'ResizeBilinear', 'Add', 'Mean', 'TopK']) {
      expect(names).toContain(k);
    }
    // One list of CUDA kernels, no duplicates.
    const cuda = CUDA_KERNELS.map((k) => k.kernelName);
    expect(new Set(cuda).size).toBe(cuda.length);
    expect(cuda.length).toBeGreaterThan(60);
  });

  it('without a device, tf.setBackend(delta-cuda) resolves false and tfjs prints one clear reason', async () => {
    if (!noGpuReason()) pending('a CUDA device is present');
    const warnings: string[] = [];
    const warn = console.warn;
    console.warn = (...a: unknown[]) => { warnings.push(a.map(String).join(' ')); };
    let ok: boolean;
    try {
      ok = await tf.setBackend(DELTA_CUDA);
    } finally {
      console.warn = warn;
      tf.removeBackend(DELTA_CUDA);
      // removeBackend unregisters the factory: put it back for the other specs.
      (await import('tfjs-backend-delta/cuda')).registerDeltaCuda();
    }
    expect(ok).toBe(false);
    expect(warnings.join('\n')).toMatch(/Initialization of backend delta-cuda failed/);
    expect(warnings.join('\n')).toMatch(/delta-cuda: (addon not built|no CUDA device): \S/);
    // Our line carries no stack trace.
    expect(warnings.join('\n')).not.toMatch(/\n\s+at /);
  });

  it('rejects a bad device index with a clear error', () => {
    expect(() => configureDeltaCuda({device: -1})).toThrowError(/delta-cuda: device -1 is not a device index/);
    expect(() => configureDeltaCuda({device: 1.5})).toThrowError(/not a device index/);
  });

  it('deviceInfo() never throws', () => {
    expect(Number.isInteger(deviceInfo().count)).toBe(true);
  });
});

describe('delta-cuda backend on a device', () => {
  let b: DeltaCudaBackend;
  beforeEach(async () => {
    needGpu();
    b = await useCuda();
  });
  afterAll(async () => { if (!noGpuReason()) await tf.setBackend('cpu'); });

  it('round-trips float32, int32, bool and string tensors (read and readSync)', async () => {
    const f = tf.tensor([1.5, -2, 3e-8, Infinity, NaN], [5]);
    const i = tf.tensor([1, -2, 2147483647, -2147483648], [4], 'int32');
    const bo = tf.tensor([true, false, true], [3], 'bool');
    const s = tf.tensor(['a', 'bc'], [2], 'string');
    expect(Array.from(f.dataSync())).toEqual([1.5, -2, Math.fround(3e-8), Infinity, NaN]);
    expect(Array.from(await i.data())).toEqual([1, -2, 2147483647, -2147483648]);
    const bv = await bo.data();
    expect(bv instanceof Uint8Array).toBe(true);
    expect(Array.from(bv)).toEqual([1, 0, 1]);
    expect(await s.data()).toEqual(['a', 'bc'] as unknown as Uint8Array[]);
    expect(b.handleOf(f.dataId)).toBeGreaterThan(0);
    tf.dispose([f, i, bo, s]);
  });

  it('keeps tfjs refcount semantics: reshape shares the buffer, disposing one keeps the other', async () => {
    const n0 = b.numDataIds(), live0 = b.addon.liveBuffers();
    const x = tf.tensor([1, 2, 3, 4, 5, 6], [2, 3]);
    const r = tf.reshape(x, [3, 2]);
    expect(r.dataId).toBe(x.dataId);
    expect(b.refCount(x.dataId)).toBe(2);
    x.dispose();
    expect(Array.from(await r.data())).toEqual([1, 2, 3, 4, 5, 6]);
    const c = tf.clone(r);
    r.dispose();
    expect(Array.from(c.dataSync())).toEqual([1, 2, 3, 4, 5, 6]);
    c.dispose();
    expect(b.numDataIds()).toBe(n0);
    expect(b.addon.liveBuffers()).toBe(live0);
  });

  it('memory() reports device bytes, and they come back after dispose', () => {
    const m0 = b.memory().numBytesInGPU;
    const x = tf.zeros([1000, 250]);
    expect(b.memory().numBytesInGPU - m0).toBe(1000 * 250 * 4);
    x.dispose();
    expect(b.memory().numBytesInGPU).toBe(m0);
  });

  it('moves a tensor made on another backend when a delta-cuda kernel uses it', async () => {
    await tf.setBackend('cpu');
    const x = tf.tensor([1, 2, 3], [3]);
    await tf.setBackend(DELTA_CUDA);
    const y = tf.mul(x, 2);
    expect(Array.from(await y.data())).toEqual([2, 4, 6]);
    tf.dispose([x, y]);
  });

  it('routes every kernel through the delta engine (stats list the layers)', async () => {
    delta.reset();
    const w = tf.randomNormal([3, 3, 3, 8]) as tf.Tensor4D;
    for (let f = 0; f < 3; f++) {
      const y = tf.tidy(() => tf.relu(tf.conv2d(tf.randomNormal([1, 16, 16, 3]) as tf.Tensor4D, w, 1, 'same')));
      await y.data();
      y.dispose();
    }
    const kernels = delta.stats().layers.map((l) => l.kernel);
    expect(kernels).toContain('Conv2D');
    expect(kernels).toContain('Relu');
    w.dispose();
  });

  it('counts CPU fallbacks per kernel', async () => {
    b.resetCpuFallbacks();
    const x = tf.tensor([3, 1, 2, 5, 4], [5]);
    const {values, indices} = tf.topk(x, 2);
    expect(Array.from(await values.data())).toEqual([5, 4]);
    expect(Array.from(await indices.data())).toEqual([3, 4]);
    expect(b.cpuFallbacks()['TopK']).toBe(1);
    tf.dispose([x, values, indices]);
  });

  it('a kernel error is a clear exception and leaves no tensor behind', () => {
    const n0 = tf.memory().numTensors;
    expect(() => tf.tidy(() => tf.conv2d(tf.zeros([1, 4, 4, 3]) as tf.Tensor4D, tf.zeros([3, 3, 2, 4]) as tf.Tensor4D, 1, 'same')))
        .toThrowError(/.+/);
    expect(() => tf.tidy(() => tf.add(tf.zeros([2, 3]), tf.zeros([4])))).toThrowError(/.+/);
    expect(tf.memory().numTensors).toBe(n0);
  });

  it('does not leak over many frames of a small network', async () => {
    // a new network on this stream, as an app switching models: reset (without it no frame of this network would
    // start, the stream's first call being the earlier spec's Conv2D, and every call would get a new slot)
    delta.reset();
    const {run, weights} = leakNetwork();
    // Warm-up frames: slots seeded, the data plane's device-side counters allocated; then stable.
    for (let i = 0; i < 5; i++) {
      const y = run();
      await y.data();
      y.dispose();
    }
    await delta.settleStats();
    const tensorBuffers = () => b.addon.liveBuffers();
    const n0 = tf.memory().numTensors, live0 = tensorBuffers();
    for (let i = 0; i < 20; i++) {
      const y = run();
      await y.data();
      y.dispose();
    }
    await delta.settleStats();
    expect(tf.memory().numTensors).toBe(n0);
    expect(tensorBuffers()).toBe(live0);
    tf.dispose(weights);
  });
});
