/** DepthwiseConv2dNative and FusedDepthwiseConv2D delta kernels (channel multiplier supported). */
import {backend_util} from '@tensorflow/tfjs-core';
import {CpuDeltaKernel} from '../types';
import {ConvFamily, forEachForwardTap, forwardGeometry, markForwardConv, seedConv, stepConv} from './conv_common';

/**
 * Output pixel op of a depthwise conv, as tfjs-backend-cpu computes it:
 * y[ci * mult + m] += x[iy, ix, ci] * W[kh, kw, ci, m] over kh, kw in that order, float32 each step.
 */
export function depthwisePixel(info: backend_util.Conv2DInfo, x: Float32Array, W: Float32Array, op: number,
                               acc: Float32Array, out: Float32Array, o0: number): number {
  const {inChannels, outChannels} = info;
  const mult = outChannels / inChannels;
  acc.fill(0);
  const taps = forEachForwardTap(info, op, (x0, tap) => {
    const w0 = tap * outChannels;
    if (mult === 1) {
      for (let ci = 0; ci < inChannels; ci++) acc[ci] += x[x0 + ci] * W[w0 + ci];
    } else {
      for (let ci = 0; ci < inChannels; ci++) {
        const xv = x[x0 + ci];
        const o = ci * mult;
        for (let m = 0; m < mult; m++) acc[o + m] += xv * W[w0 + o + m];
      }
    }
  });
  out.set(acc, o0);
  return taps * outChannels;
}

const DEPTHWISE: ConvFamily = {inputName: 'x', geometry: forwardGeometry, markFrom: markForwardConv, pixel: depthwisePixel};

function depthwiseKernel(kernelName: string): CpuDeltaKernel {
  return {
    kernelName,
    seed: (k, st) => seedConv(DEPTHWISE, k, st),
    step: (k, st, cand) => stepConv(DEPTHWISE, k, st, cand),
  };
}

export const depthwiseConv2dKernel = depthwiseKernel('DepthwiseConv2dNative');
export const fusedDepthwiseConv2dKernel = depthwiseKernel('FusedDepthwiseConv2D');
