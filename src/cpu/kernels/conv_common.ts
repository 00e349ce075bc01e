/**
 * Shared machinery of the conv-family delta kernels. State: the pre-activation accumulator A of the
 * layer (bias added on dense runs only); a delta step scatters W * Δin of each changed input pixel
 * into A (work ∝ changed pixels x taps x channels) and re-evaluates the activation at the touched
 * output pixels. The dense run is the same scatter over every input pixel, so both paths share code.
 */
import {backend_util} from '@tensorflow/tfjs-core';
import {Candidates, CpuKernelCall, CpuSlotStateLike, SeedOutput, sizeOf} from '../types';
import {activationFn} from './activations';
import {broadcastValues} from './broadcast';

export interface ConvState {
  readonly info: backend_util.Conv2DInfo;
  /** float64: accumulating float32 deltas over many frames must not add rounding drift. */
  readonly acc: Float64Array;
  readonly act: (x: number, alpha: number) => number;
  /** Per output element prelu weights (null unless activation is prelu). */
  readonly alpha: Float32Array | null;
  readonly linear: boolean;
}

/**
 * Scatters input pixels into the accumulator. `pixels`: input pixel indices (null: all), `vals`:
 * their channel vectors (compact: vals[j * inC ...] for the j-th listed pixel; for all pixels, the
 * dense input). Marks touched output pixels in cand (when given). Returns the MACs performed.
 */
export type Scatter = (info: backend_util.Conv2DInfo, weights: Float32Array, acc: Float64Array,
                       pixels: Int32Array | null, count: number, vals: Float32Array,
                       cand: Candidates | null) => number;

export function initAccumulator(k: CpuKernelCall, outShape: number[]): Float64Array {
  const acc = new Float64Array(sizeOf(outShape));
  const bias = k.input('bias');
  if (bias) {
    const b = bias.values;
    const C = outShape[3];
    if (b.length === 1) acc.fill(b[0]);
    else if (b.length === C && bias.info.shape[bias.info.shape.length - 1] === C) {
      for (let i = 0; i < acc.length; i += C) acc.set(b, i);
    } else {
      acc.set(broadcastValues(b, bias.info.shape, outShape));
    }
  }
  return acc;
}

export function seedConv(k: CpuKernelCall, st: CpuSlotStateLike, info: backend_util.Conv2DInfo,
                         outShape: number[], inputName: string, scatter: Scatter): SeedOutput {
  const acc = initAccumulator(k, outShape);
  const activation = k.attr<string | undefined>('activation') ?? 'linear';
  const preluWeights = k.input('preluActivationWeights');
  const alpha = activation === 'prelu' && preluWeights ?
      broadcastValues(preluWeights.values, preluWeights.info.shape, outShape) : null;
  const state: ConvState = {
    info, acc, alpha, linear: activation === 'linear',
    act: activationFn(activation, k.attr<number | undefined>('leakyreluAlpha') ?? 0),
  };
  st.op = state;
  const x = k.input(inputName)!;
  const macs = scatter(info, k.input('filter')!.values, acc, null, 0, x.values, null);
  const out = new Float32Array(acc.length);
  if (state.linear) out.set(acc);
  else for (let i = 0; i < acc.length; i++) out[i] = state.act(acc[i], alpha ? alpha[i] : 0);
  return {values: out, shape: outShape, macs};
}

export function stepConv(k: CpuKernelCall, st: CpuSlotStateLike, cand: Candidates, inputName: string,
                         scatter: Scatter): number {
  const state = st.op as ConvState;
  const u = k.input(inputName)!.update;
  if (!u) return 0;
  const macs = scatter(state.info, k.input('filter')!.values, state.acc, u.pixels, u.count, u.delta, cand);
  const C = cand.channels;
  const {acc, alpha} = state;
  const E = cand.exact;
  for (let q = 0; q < cand.count; q++) {
    const o = cand.list[q] * C;
    if (state.linear) {
      for (let c = 0; c < C; c++) E[o + c] = acc[o + c];
    } else {
      for (let c = 0; c < C; c++) E[o + c] = state.act(acc[o + c], alpha ? alpha[o + c] : 0);
    }
  }
  return macs;
}
