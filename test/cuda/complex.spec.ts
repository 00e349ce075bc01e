// complex64 tensors on delta-cuda (src/cuda/backend.ts keeps them on the host; src/cuda/register.ts runs every
// kernel that reads or makes one with tfjs-cpu's kernel, except the metadata-only ones). Each case is computed on
// tfjs' own 'cpu' backend (the oracle) and on the backend under test from the same inputs: same dtype, shape,
// values (data(), dataSync(), arraySync()), the same error where tfjs-cpu throws, and no tensor, dataId or device
// buffer left behind. Three backends:
//  - delta-cuda-emulated (no GPU): delta-cuda's storage and CPU path on the emulated addon, every kernel tfjs-cpu's;
//  - delta-cuda's own kernel table (CUDA kernels + CPU fallbacks, register.ts) on the emulated addon (no GPU): the
//    emulation has no dense kernels, so a complex64 tensor routed to a CUDA kernel throws here, and float32 ops
//    cannot run (cases that need them are left to the GPU);
//  - delta-cuda on a device (GPU spec: pending without one).
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import * as delta from 'tfjs-backend-delta';
import {DELTA_CUDA, DeltaCudaBackend} from 'tfjs-backend-delta/cuda';
import {denseKernels} from '../../../dist/cjs/cuda/backend';
import type {DeltaCudaAddon} from '../../../dist/cjs/cuda/native';
import {prng, randomArray} from '../util/prng';
import {EmulatedAddon} from './emulated_addon';
import {registerEmulatedCuda} from './emulated_backend';
import {needGpu, noGpuReason, relDiff} from './gpu';

type Make = () => tf.Tensor | tf.Tensor[];
/** floatKernels: the case runs float32 kernels on the backend under test (not on the routing emulation). */
interface Case {name: string; make: Make; floatKernels?: boolean}

const sizeOf = (shape: number[]) => shape.reduce((a, b) => a * b, 1);
const floats = (seed: number, shape: number[]) => tf.tensor(randomArray(prng(seed), sizeOf(shape), 3), shape);
const cplx = (seed: number, shape: number[]) => tf.complex(floats(seed, shape), floats(seed + 1000, shape));

const CASES: Case[] = [
  {name: 'tf.complex', make: () => cplx(1, [2, 3])},
  {name: 'tf.complex of scalars', make: () => tf.complex(4, -7)},
  {name: 'add', make: () => tf.add(cplx(1, [2, 3]), cplx(2, [2, 3]))},
  {name: 'sub', make: () => tf.sub(cplx(1, [2, 3]), cplx(2, [2, 3]))},
  {name: 'mul', make: () => tf.mul(cplx(1, [2, 3]), cplx(2, [2, 3]))},
  {name: 'broadcasting add and mul', make: () => [tf.add(cplx(1, [2, 3]), cplx(2, [3])), tf.mul(cplx(3, [2, 1, 3]), cplx(4, [4, 1]))]},
  {name: 'reshape, then add', make: () => tf.add(tf.reshape(cplx(1, [6]), [2, 3]), cplx(2, [2, 3]))},
  {name: 'concat on axis 0 and 1', make: () => [tf.concat([cplx(1, [2, 3]), cplx(2, [1, 3])], 0), tf.concat([cplx(1, [2, 3]), cplx(3, [2, 2])], 1)]},
  {name: 'concat1d of three', make: () => tf.concat([cplx(1, [2]), cplx(2, [3]), cplx(3, [1])])},
  {name: 'stack', make: () => tf.stack([cplx(1, [3]), cplx(2, [3])], 1)},
  {name: 'real, imag, abs', make: () => { const c = cplx(1, [2, 3]); return [tf.real(c), tf.imag(c), tf.abs(c)]; }},
  {name: 'cast float32, int32, bool -> complex64', make: () => [
    tf.cast(floats(1, [5]), 'complex64'), tf.cast(tf.tensor([3, -2, 0], [3], 'int32'), 'complex64'),
    tf.cast(tf.tensor([true, false], [2], 'bool'), 'complex64')]},
  {name: 'cast complex64 -> float32, int32, bool, complex64', make: () => {
    const c = cplx(1, [4]);
    return [tf.cast(c, 'float32'), tf.cast(c, 'int32'), tf.cast(c, 'bool'), tf.cast(c, 'complex64')];
  }},
  {name: 'upcast: complex64 + float32 / int32 scalar', make: () => [tf.add(tf.complex(4, 7), tf.scalar(1)), tf.add(tf.complex(4, 7), tf.scalar(2, 'int32'))]},
  {name: 'clone, expandDims, squeeze', make: () => {
    const c = cplx(1, [1, 4]);
    return [tf.clone(c), tf.expandDims(c, 2), tf.squeeze(c)];
  }},
  {name: 'zerosLike, onesLike', make: () => { const c = cplx(1, [3]); return [tf.zerosLike(c), tf.onesLike(c)]; }},
  {name: 'equal, notEqual', make: () => { const c = cplx(1, [4]); return [tf.equal(c, c), tf.notEqual(c, cplx(2, [4]))]; }},
  {name: 'fft, ifft', make: () => [tf.spectral.fft(cplx(1, [2, 8])), tf.spectral.ifft(cplx(2, [3, 4]))]},
  {name: 'slice throws as on tfjs-cpu', make: () => tf.slice(cplx(1, [4]), [1], [2])},
  {name: 'tf.complex throws for shapes that do not match', make: () => tf.complex(floats(1, [3]), floats(2, [4]))},
  {name: 'rfft of a float32 tensor', make: () => tf.spectral.rfft(floats(1, [2, 8])), floatKernels: true},
  {name: 'tf.zeros complex64', make: () => tf.zeros([2, 2], 'complex64'), floatKernels: true},
  {name: 'complex of tensors computed on the backend, then float ops on its parts', floatKernels: true, make: () => {
    const x = floats(1, [2, 5]);
    const c = tf.complex(tf.relu(x), tf.mul(x, 2));
    const p = tf.mul(c, c);
    return [p, tf.add(tf.real(p), tf.imag(p))];
  }},
];

type Outcome = {error: string} | {outs: Array<{shape: number[]; dtype: string; data: ArrayLike<number>; sync: ArrayLike<number>; array: unknown}>};

async function outcome(make: Make): Promise<Outcome> {
  let t: tf.Tensor | tf.Tensor[];
  try {
    t = tf.tidy(make);
  } catch (e) {
    return {error: (e as Error).message};
  }
  const ts = Array.isArray(t) ? t : [t];
  const outs = [];
  for (const x of ts) {
    outs.push({shape: x.shape, dtype: x.dtype, data: await x.data() as ArrayLike<number>, sync: x.dataSync() as ArrayLike<number>,
      array: x.arraySync()});
  }
  tf.dispose(ts);
  return {outs};
}

/** What differs between `make` on tfjs-cpu and on `backend` (also tensors, dataIds, device buffers left). */
async function differences(backend: string, make: Make): Promise<string[]> {
  await tf.setBackend('cpu');
  const ref = await outcome(make);
  await tf.setBackend(backend);
  const b = tf.backend() as DeltaCudaBackend;
  // device buffers of tensors: the data plane's slot states go with delta.reset(), its counter pages are its own
  const buffers = async () => { delta.reset(); await delta.settleStats(); return b.addon.liveBuffers() - b.plane.counterPages(); };
  // the first float32 delta kernel of a backend allocates the plane's own buffers for good: counted from the second run
  const first = await outcome(make);
  const n0 = tf.memory().numTensors, ids0 = b.numDataIds(), live0 = await buffers(), bytes0 = b.memory().numBytesInGPU;
  const got = await outcome(make);
  const problems: string[] = [];
  if (JSON.stringify(first) !== JSON.stringify(got)) problems.push('the first and second runs differ');
  if ('error' in ref || 'error' in got) {
    if (!('error' in ref)) problems.push(`threw ${(got as {error: string}).error}; cpu did not`);
    else if (!('error' in got)) problems.push(`did not throw; cpu threw ${ref.error}`);
    else if (got.error !== ref.error) problems.push(`threw "${got.error}", cpu "${ref.error}"`);
  } else {
    if (got.outs.length !== ref.outs.length) problems.push(`${got.outs.length} outputs, cpu ${ref.outs.length}`);
    got.outs.forEach((g, i) => {
      const r = ref.outs[i];
      if (!r) return;
      if (g.dtype !== r.dtype) problems.push(`output ${i}: dtype ${g.dtype}, cpu ${r.dtype}`);
      if (g.shape.join() !== r.shape.join()) problems.push(`output ${i}: shape [${g.shape}], cpu [${r.shape}]`);
      const e = Math.max(relDiff(g.data, r.data), relDiff(g.sync, r.sync));
      if (!(e <= 1e-6)) problems.push(`output ${i}: rel diff ${e} (${Array.from(g.data).slice(0, 8)} vs cpu ${Array.from(r.data).slice(0, 8)})`);
      if (JSON.stringify(g.array) !== JSON.stringify(r.array)) problems.push(`output ${i}: arraySync ${JSON.stringify(g.array)}, cpu ${JSON.stringify(r.array)}`);
    });
  }
  if (tf.memory().numTensors !== n0) problems.push(`${tf.memory().numTensors - n0} tensors left`);
  if (b.numDataIds() !== ids0) problems.push(`${b.numDataIds() - ids0} dataIds left`);
  const live = await buffers();
  if (live !== live0) problems.push(`${live - live0} device buffers left`);
  if (b.memory().numBytesInGPU !== bytes0) problems.push(`${b.memory().numBytesInGPU - bytes0} device bytes left`);
  return problems;
}

interface Target {
  label: string;
  name: string;
  gpu: boolean;
  /** delta-cuda's own kernel table (register.ts): metadata-only kernels share dataIds, float ops are CUDA kernels */
  ownKernels: boolean;
  /** float32 kernels can run (not on the routing emulation, which has no dense kernels) */
  floatKernels: boolean;
  register?: () => void;
}

const ROUTING = 'delta-cuda-routing-emulated';
/** delta-cuda's kernel table over the emulated addon (as register.ts registers it for delta-cuda). */
function registerRouting(): void {
  for (const [kernelName, k] of denseKernels) {
    if (tf.getKernel(kernelName, ROUTING)) continue;
    tf.registerKernel({kernelName, backendName: ROUTING,
      kernelFunc: (args) => (args.backend as unknown as DeltaCudaBackend).deltaEngine.call(kernelName, args, k)});
  }
  if (!tf.findBackendFactory(ROUTING)) tf.registerBackend(ROUTING, () => new DeltaCudaBackend(new EmulatedAddon() as unknown as DeltaCudaAddon));
}

const TARGETS: Target[] = [
  {label: 'delta-cuda-emulated (no GPU; tfjs-cpu kernels)', name: 'delta-cuda-emulated-complex', gpu: false, ownKernels: false,
    floatKernels: true, register: () => registerEmulatedCuda('delta-cuda-emulated-complex')},
  {label: 'delta-cuda\'s kernel table on the emulated addon (no GPU)', name: ROUTING, gpu: false, ownKernels: true,
    floatKernels: false, register: registerRouting},
  {label: 'delta-cuda (GPU)', name: DELTA_CUDA, gpu: true, ownKernels: true, floatKernels: true},
];

for (const t of TARGETS) {
  describe(`complex64 on ${t.label}`, () => {
    let b: DeltaCudaBackend;
    let before: string;
    beforeAll(() => {
      before = tf.getBackend() ?? 'cpu';
      t.register?.();
    });
    beforeEach(async () => {
      if (t.gpu) needGpu();
      if (tf.getBackend() !== t.name) expect(await tf.setBackend(t.name)).toBe(true);
      b = tf.backend() as DeltaCudaBackend;
    });
    afterAll(async () => {
      if (!t.gpu) tf.removeBackend(t.name);
      if (!t.gpu || !noGpuReason()) await tf.setBackend(before);
    });

    for (const c of CASES) {
      if (c.floatKernels && !t.floatKernels) continue;
      it(`${c.name}: as tfjs-cpu, nothing left behind`, async () => {
        b.resetCpuFallbacks();
        expect(await differences(t.name, c.make)).toEqual([]);
      });
    }

    if (!t.floatKernels) {
      it('(the emulation has no dense kernels: a float32 op that reaches a CUDA kernel throws)', () => {
        const n0 = tf.memory().numTensors;
        expect(() => tf.tidy(() => tf.add(tf.scalar(1), tf.scalar(2)))).toThrowError(/not a function/);
        expect(() => tf.tidy(() => tf.cast(tf.scalar(1), 'int32'))).toThrowError(/not a function/);
        expect(tf.memory().numTensors).toBe(n0);
      });
    }

    it('keeps complex64 values on the host: no device memory, its float32 parts can go', async () => {
      const m0 = b.memory().numBytesInGPU, live0 = b.addon.liveBuffers(), ids0 = b.numDataIds();
      const re = tf.tensor([1, 2, 3]), im = tf.tensor([-4, 5, -6]);
      const c = tf.complex(re, im);
      tf.dispose([re, im]);
      expect(b.memory().numBytesInGPU).toBe(m0);
      expect(b.addon.liveBuffers()).toBe(live0);
      expect(b.numDataIds()).toBe(ids0 + 1);
      expect(Array.from(await c.data())).toEqual([1, -4, 2, 5, 3, -6]);
      c.dispose();
      expect(b.numDataIds()).toBe(ids0);
    });

    it('dataSync() returns a copy: writing into it does not change the tensor', () => {
      const c = tf.complex([1, 2], [3, 4]);
      const v = c.dataSync() as Float32Array;
      v[0] = 99;
      expect(Array.from(c.dataSync())).toEqual([1, 3, 2, 4]);
      c.dispose();
    });

    it('write() refuses a complex64 tensor whose values are not 2 per element', () => {
      expect(() => b.write(new Float32Array(3), [2], 'complex64')).toThrowError(/3 values for 2 complex64 elements/);
    });

    it('a complex64 tensor made on tfjs-cpu moves over when a kernel uses it', async () => {
      await tf.setBackend('cpu');
      const c = tf.complex([1, 2], [3, 4]);
      await tf.setBackend(t.name);
      const ids0 = b.numDataIds();
      const y = tf.add(c, c);
      expect(Array.from(await y.data())).toEqual([2, 6, 4, 8]);
      expect(b.numDataIds()).toBe(ids0 + 2);  // c (moved) and y
      tf.dispose([c, y]);
      expect(b.numDataIds()).toBe(ids0);
    });

    it('kernels with complex64 inputs run as the delta engine\'s dense fallbacks, with the reason', async () => {
      delta.reset();
      const x = tf.complex([1, 2], [3, 4]);
      const y = tf.tidy(() => tf.concat([tf.add(x, x), x]));
      expect(Array.from(await y.data())).toEqual([2, 6, 4, 8, 1, 3, 2, 4]);
      const layers = delta.stats({all: true}).layers;
      expect(layers.map((l) => `${l.kernel}:${l.mode}`)).toEqual(['Complex:fallback', 'Add:fallback', 'Concat:fallback']);
      // (Complex and Concat have no delta kernel on delta-cuda: the engine says so before it looks at dtypes)
      expect(layers[1].fallbackReason).toMatch(/complex64/);
      tf.dispose([x, y]);
    });

    if (t.ownKernels) {
      it('reshape, expandDims, squeeze and clone share the complex64 tensor\'s dataId (no CPU round trip)', () => {
        const c = tf.complex([1, 2, 3, 4], [5, 6, 7, 8]);
        const ids0 = b.numDataIds();
        b.resetCpuFallbacks();
        const row = tf.reshape(c, [1, 4]);
        const r = [tf.reshape(c, [2, 2]), tf.expandDims(c, 0), row, tf.squeeze(row), tf.clone(c)];
        for (const x of r) expect(x.dataId).toBe(c.dataId);
        expect(b.numDataIds()).toBe(ids0);
        expect(b.refCount(c.dataId)).toBe(1 + r.length);
        expect(b.cpuFallbacks()).toEqual({});
        c.dispose();
        expect(Array.from(r[0].dataSync())).toEqual([1, 5, 2, 6, 3, 7, 4, 8]);
        tf.dispose(r);
        expect(b.numDataIds()).toBe(ids0 - 1);
      });

      it('complex64 kernels run on the CPU, counted; a cast to complex64 too', () => {
        const c = tf.complex([1, 2], [3, 4]);
        b.resetCpuFallbacks();
        const y = tf.tidy(() => tf.real(tf.add(tf.concat([c, c]), tf.cast(tf.tensor([1, 1, 1, 1]), 'complex64'))));
        expect(Array.from(y.dataSync())).toEqual([2, 3, 2, 3]);
        const f = b.cpuFallbacks();
        for (const k of ['Concat', 'Cast', 'Add', 'Real']) expect(f[k]).withContext(k).toBe(1);
        tf.dispose([c, y]);
      });

      it('a string tensor reshapes by sharing its dataId too', async () => {
        const s = tf.tensor(['a', 'bc', 'd', 'e'], [4], 'string');
        b.resetCpuFallbacks();
        const r = tf.reshape(s, [2, 2]);
        expect(r.dataId).toBe(s.dataId);
        expect(await r.array()).toEqual([['a', 'bc'], ['d', 'e']]);
        expect(b.cpuFallbacks()).toEqual({});
        tf.dispose([s, r]);
      });
    }

    if (t.ownKernels && t.floatKernels) {
      it('float32 work around complex64 tensors stays on the GPU', async () => {
        const x = floats(7, [2, 5]);
        b.resetCpuFallbacks();
        const y = tf.tidy(() => tf.relu(tf.add(tf.real(tf.complex(tf.mul(x, 2), x)), 1)));
        await y.data();
        expect(Object.keys(b.cpuFallbacks()).sort()).toEqual(['Complex', 'Real']);
        tf.dispose([x, y]);
      });
    }
  });
}
