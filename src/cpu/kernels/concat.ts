/**
 * Concat delta kernel (any rank >= 1, any axis, negative axes; inputs named '0', '1', ...). A "pixel"
 * is every index but the last. Along the last (channel) axis, output pixel p is pixel p of every input
 * side by side (channel counts may differ); along any other axis, each input pixel is one output pixel
 * (map precomputed at seed). A step marks the output pixels of changed input pixels and copies their
 * exact values from the dense inputs. Cost: proportional to changed pixels.
 */
import {backend_util, util} from '@tensorflow/tfjs-core';
import {Candidates, channelsOf, CpuDeltaKernel, CpuKernelCall, CpuSlotStateLike, SeedOutput, sizeOf} from '../types';

interface ConcatState {
  /** Concat along the last axis: channel offset of each input in an output pixel. */
  readonly channelAxis: boolean;
  readonly offsets: Int32Array;
  readonly channels: Int32Array;
  /** Other axes: per input, input pixel -> output pixel. */
  readonly maps: Int32Array[];
}

/** Input pixel -> output pixel for a concat along pixel axis `axis` (< rank - 1). */
function pixelMap(shape: readonly number[], outShape: readonly number[], axis: number, start: number): Int32Array {
  const rank = shape.length;
  const outer = sizeOf(shape.slice(0, axis));
  const inner = sizeOf(shape.slice(axis + 1, rank - 1));
  const dim = shape[axis], outDim = outShape[axis];
  const map = new Int32Array(outer * dim * inner);
  let p = 0;
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < dim; i++) {
      const q0 = (o * outDim + start + i) * inner;
      for (let j = 0; j < inner; j++) map[p++] = q0 + j;
    }
  }
  return map;
}

/** Copies every input's channels of pixel p into out[p * Cout ...] (last-axis concat). */
function copyChannelPixel(s: ConcatState, vals: ReadonlyArray<Float32Array>, p: number, out: Float32Array, Cout: number): void {
  const o0 = p * Cout;
  for (let j = 0; j < vals.length; j++) {
    const Cj = s.channels[j];
    const v = vals[j];
    const i0 = p * Cj, d0 = o0 + s.offsets[j];
    for (let c = 0; c < Cj; c++) out[d0 + c] = v[i0 + c];
  }
}

export const concatKernel: CpuDeltaKernel = {
  kernelName: 'Concat',
  seed(k: CpuKernelCall, st: CpuSlotStateLike): SeedOutput {
    const shapes = k.inputs.map((i) => i.info.shape);
    const rank = shapes[0].length;
    const axis = util.parseAxisParam(k.attr<number | number[]>('axis'), shapes[0])[0];
    backend_util.assertParamsConsistent(shapes, axis);  // as tfjs-backend-cpu: throws on mismatched shapes
    const outShape = backend_util.computeOutShape(shapes, axis);
    const Cout = channelsOf(outShape);
    const out = new Float32Array(sizeOf(outShape));
    const vals = k.inputs.map((i) => i.values);
    const channels = Int32Array.from(shapes.map((s) => channelsOf(s)));
    const offsets = new Int32Array(shapes.length);
    const channelAxis = axis === rank - 1;
    const maps: Int32Array[] = [];
    if (channelAxis) {
      for (let j = 1; j < shapes.length; j++) offsets[j] = offsets[j - 1] + channels[j - 1];
      const s: ConcatState = {channelAxis, offsets, channels, maps};
      st.op = s;
      const pixels = Cout === 0 ? 0 : out.length / Cout;
      for (let p = 0; p < pixels; p++) copyChannelPixel(s, vals, p, out, Cout);
    } else {
      let start = 0;
      for (let j = 0; j < shapes.length; j++) {
        const map = pixelMap(shapes[j], outShape, axis, start);
        maps.push(map);
        start += shapes[j][axis];
        const v = vals[j];
        for (let p = 0; p < map.length; p++) {
          const i0 = p * Cout, o0 = map[p] * Cout;
          for (let c = 0; c < Cout; c++) out[o0 + c] = v[i0 + c];
        }
      }
      st.op = {channelAxis, offsets, channels, maps} as ConcatState;
    }
    return {values: out, shape: outShape, macs: out.length};
  },
  step(k: CpuKernelCall, st: CpuSlotStateLike, cand: Candidates): number {
    const s = st.op as ConcatState;
    const C = cand.channels;
    const E = cand.exact;
    if (s.channelAxis) {
      for (const input of k.inputs) {
        const u = input.update;
        if (!u) continue;
        for (let q = 0; q < u.count; q++) cand.mark(u.pixels[q]);
      }
      const vals = k.inputs.map((i) => i.values);
      for (let q = 0; q < cand.count; q++) copyChannelPixel(s, vals, cand.list[q], E, C);
      return cand.count * C;
    }
    let macs = 0;
    k.inputs.forEach((input, j) => {
      const u = input.update;
      if (!u) return;
      const map = s.maps[j];
      const v = input.values;
      for (let q = 0; q < u.count; q++) {
        const p = u.pixels[q];
        const op = map[p];
        cand.mark(op);
        const i0 = p * C, o0 = op * C;
        for (let c = 0; c < C; c++) E[o0 + c] = v[i0 + c];
      }
      macs += u.count * C;
    });
    return macs;
  },
};
