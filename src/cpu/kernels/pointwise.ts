/**
 * Elementwise delta kernels (activations, Add/Sub/Multiply/AddN with broadcasting, Prelu,
 * FusedBatchNorm): an output pixel may change only where an input pixel changed (or everywhere,
 * when a broadcast input changed); changed pixels are recomputed from the dense input values, so
 * there is no accumulation drift. Cost: proportional to changed pixels.
 */
import {backend_util} from '@tensorflow/tfjs-core';
import {Candidates, CpuDeltaKernel, CpuInput, CpuKernelCall, CpuSlotStateLike, SeedOutput, sizeOf} from '../types';
import * as act from './activations';
import {broadcastIndexMap, sameShape} from './broadcast';

/** How each input is indexed from a flat output index: identity, a map, or modulo (BatchNorm). */
interface Access {
  readonly map: Int32Array | null;
  readonly modulo: number;  // > 0: index = i % modulo
  /** Input pixels coincide with output pixels (same shape). */
  readonly samePixels: boolean;
}

interface PointwiseState {
  readonly access: Access[];
  readonly f: (vals: ReadonlyArray<Float32Array>, access: Access[], i: number) => number;
}

function at(v: Float32Array, a: Access, i: number): number {
  if (a.map) return v[a.map[i]];
  if (a.modulo > 0) return v[i % a.modulo];
  return v[i];
}

type ElementFn = (vals: ReadonlyArray<Float32Array>, access: Access[], i: number) => number;

interface PointwiseDef {
  readonly kernelName: string;
  /** Output shape from the inputs. */
  outShape(k: CpuKernelCall): number[];
  /** Per input: how to index it (default: numpy broadcasting). */
  access?(k: CpuKernelCall, input: CpuInput, outShape: number[]): Access;
  element(k: CpuKernelCall): ElementFn;
}

function broadcastAccess(input: CpuInput, outShape: number[]): Access {
  const shape = input.info.shape;
  if (sameShape(shape, outShape)) return {map: null, modulo: 0, samePixels: true};
  // Same pixel grid, channels broadcast ([B,H,W,1] masks): a changed input pixel changes only its own
  // output pixel.
  const samePixels = shape.length === outShape.length && shape.length > 0 &&
      sameShape(shape.slice(0, -1), outShape.slice(0, -1));
  return {map: broadcastIndexMap(shape, outShape), modulo: 0, samePixels};
}

function makePointwise(def: PointwiseDef): CpuDeltaKernel {
  return {
    kernelName: def.kernelName,
    seed(k: CpuKernelCall, st: CpuSlotStateLike): SeedOutput {
      const shape = def.outShape(k);
      const access = k.inputs.map((i) => (def.access ? def.access(k, i, shape) : broadcastAccess(i, shape)));
      const f = def.element(k);
      st.op = {access, f} as PointwiseState;
      const n = sizeOf(shape);
      const vals = k.inputs.map((i) => i.values);
      const out = new Float32Array(n);
      for (let i = 0; i < n; i++) out[i] = f(vals, access, i);
      return {values: out, shape, macs: n * Math.max(1, k.inputs.length - 1)};
    },
    step(k: CpuKernelCall, st: CpuSlotStateLike, cand: Candidates): number {
      const {access, f} = st.op as PointwiseState;
      let everything = false;
      k.inputs.forEach((input, j) => {
        const u = input.update;
        if (!u) return;
        if (access[j].samePixels) {
          for (let q = 0; q < u.count; q++) cand.mark(u.pixels[q]);
        } else {
          everything = true;  // a broadcast input changed: every output pixel may change
        }
      });
      if (everything) for (let p = 0; p < cand.pixels; p++) cand.mark(p);
      const C = cand.channels;
      const vals = k.inputs.map((i) => i.values);
      const E = cand.exact;
      for (let q = 0; q < cand.count; q++) {
        const o = cand.list[q] * C;
        for (let c = 0; c < C; c++) E[o + c] = f(vals, access, o + c);
      }
      return cand.count * C * Math.max(1, k.inputs.length - 1);
    },
  };
}

const sameAsX = (k: CpuKernelCall) => [...k.inputs[0].info.shape];
const broadcastShape = (k: CpuKernelCall) =>
    k.inputs.slice(1).reduce((s, i) => backend_util.assertAndGetBroadcastShape(s, i.info.shape), [...k.inputs[0].info.shape]);

function unary(kernelName: string, fn: (x: number) => number): CpuDeltaKernel {
  return makePointwise({
    kernelName,
    outShape: sameAsX,
    element: () => (v, a, i) => fn(at(v[0], a[0], i)),
  });
}

export const reluKernel = unary('Relu', act.relu);
export const relu6Kernel = unary('Relu6', act.relu6);
export const eluKernel = unary('Elu', act.elu);
export const sigmoidKernel = unary('Sigmoid', act.sigmoid);
export const tanhKernel = unary('Tanh', act.tanh);

export const leakyReluKernel = makePointwise({
  kernelName: 'LeakyRelu',
  outShape: sameAsX,
  element: (k) => {
    const alpha = k.attr<number>('alpha');
    return (v, a, i) => act.leakyRelu(at(v[0], a[0], i), alpha);
  },
});

export const preluKernel = makePointwise({
  kernelName: 'Prelu',
  outShape: broadcastShape,
  element: (k) => {
    const xi = k.inputs.findIndex((i) => i.name === 'x');
    const ai = k.inputs.findIndex((i) => i.name === 'alpha');
    return (v, a, i) => act.prelu(at(v[xi], a[xi], i), at(v[ai], a[ai], i));
  },
});

function binary(kernelName: string, fn: (a: number, b: number) => number): CpuDeltaKernel {
  return makePointwise({
    kernelName,
    outShape: broadcastShape,
    element: (k) => {
      const ai = k.inputs.findIndex((i) => i.name === 'a');
      const bi = k.inputs.findIndex((i) => i.name === 'b');
      return (v, acc, i) => fn(at(v[ai], acc[ai], i), at(v[bi], acc[bi], i));
    },
  });
}

export const addKernel = binary('Add', (a, b) => a + b);
export const subKernel = binary('Sub', (a, b) => a - b);
export const multiplyKernel = binary('Multiply', (a, b) => a * b);

export const addNKernel = makePointwise({
  kernelName: 'AddN',
  outShape: sameAsX,
  // float32 rounding after every add, in input order, as tfjs-backend-cpu's addN.
  element: () => (v, a, i) => {
    let s = at(v[0], a[0], i);
    for (let j = 1; j < v.length; j++) s = Math.fround(s + at(v[j], a[j], i));
    return s;
  },
});

/** tfjs' batchNorm indexes mean/variance/scale/offset by flat index modulo their length. */
export const fusedBatchNormKernel = makePointwise({
  kernelName: 'FusedBatchNorm',
  outShape: sameAsX,
  access(_k, input, outShape) {
    if (input.name === 'x') return {map: null, modulo: 0, samePixels: true};
    const n = sizeOf(input.info.shape);
    return {map: null, modulo: n, samePixels: sameShape(input.info.shape, outShape)};
  },
  element(k) {
    const idx = (name: string) => k.inputs.findIndex((i) => i.name === name);
    const [x, m, vr, off, sc] = [idx('x'), idx('mean'), idx('variance'), idx('offset'), idx('scale')];
    const eps = k.attr<number | undefined>('varianceEpsilon') ?? 0.001;
    return (v, a, i) => {
      const offset = off >= 0 ? at(v[off], a[off], i) : 0;
      const scale = sc >= 0 ? at(v[sc], a[sc], i) : 1;
      return offset + (at(v[x], a[x], i) - at(v[m], a[m], i)) * scale / Math.sqrt(at(v[vr], a[vr], i) + eps);
    };
  },
});

export const POINTWISE_KERNELS: CpuDeltaKernel[] = [
  reluKernel, relu6Kernel, eluKernel, sigmoidKernel, tanhKernel, leakyReluKernel, preluKernel,
  addKernel, subKernel, multiplyKernel, addNKernel, fusedBatchNormKernel,
];

