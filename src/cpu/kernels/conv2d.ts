/** Conv2D and FusedConv2D delta kernels (NHWC, any kernel size, stride, dilation, padding). */
import {backend_util} from '@tensorflow/tfjs-core';
import {CpuDeltaKernel} from '../types';
import {ConvFamily, forEachForwardTap, forwardGeometry, markForwardConv, seedConv, stepConv} from './conv_common';

/**
 * Output pixel op of a conv, as tfjs-backend-cpu's conv2D computes it:
 * y[co] += x[iy, ix, ci] * W[kh, kw, ci, co] over kh, kw, ci in that order, float32 after each step.
 */
export function conv2dPixel(info: backend_util.Conv2DInfo, x: Float32Array, W: Float32Array, op: number,
                            acc: Float32Array, out: Float32Array, o0: number): number {
  const {inChannels, outChannels} = info;
  acc.fill(0);
  const taps = forEachForwardTap(info, op, (x0, tap) => {
    let w = tap * inChannels * outChannels;
    for (let ci = 0; ci < inChannels; ci++) {
      const xv = x[x0 + ci];
      for (let co = 0; co < outChannels; co++) acc[co] += xv * W[w + co];
      w += outChannels;
    }
  });
  out.set(acc, o0);
  return taps * inChannels * outChannels;
}

const CONV2D: ConvFamily = {inputName: 'x', geometry: forwardGeometry, markFrom: markForwardConv, pixel: conv2dPixel};

function convKernel(kernelName: string): CpuDeltaKernel {
  return {
    kernelName,
    seed: (k, st) => seedConv(CONV2D, k, st),
    step: (k, st, cand) => stepConv(CONV2D, k, st, cand),
  };
}

export const conv2dKernel = convKernel('Conv2D');
export const fusedConv2dKernel = convKernel('FusedConv2D');
