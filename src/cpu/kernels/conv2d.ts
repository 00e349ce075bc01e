/** Conv2D and FusedConv2D delta kernels (NHWC, any kernel size, stride, dilation, padding). */
import {backend_util} from '@tensorflow/tfjs-core';
import {convInfo} from '../../core/op_table';
import {CpuDeltaKernel} from '../types';
import {ConvFamily, markForwardConv, seedConv, stepConv} from './conv_common';

/**
 * Output pixel op of a conv, as tfjs-backend-cpu's conv2D computes it:
 * y[co] += x[iy, ix, ci] * W[kh, kw, ci, co] over kh, kw, ci in that order, float32 after each step.
 */
export function conv2dPixel(info: backend_util.Conv2DInfo, x: Float32Array, W: Float32Array, op: number,
                            acc: Float32Array, out: Float32Array, o0: number): number {
  const {inHeight, inWidth, inChannels, outHeight, outWidth, outChannels, strideHeight, strideWidth,
    dilationHeight, dilationWidth, filterHeight, filterWidth} = info;
  const plane = outHeight * outWidth;
  const b = Math.floor(op / plane);
  const r = op - b * plane;
  const oy = Math.floor(r / outWidth);
  const ox = r - oy * outWidth;
  acc.fill(0);
  let macs = 0;
  const yCorner = oy * strideHeight - info.padInfo.top;
  const xCorner = ox * strideWidth - info.padInfo.left;
  for (let kh = 0; kh < filterHeight; kh++) {
    const iy = yCorner + kh * dilationHeight;
    if (iy < 0 || iy >= inHeight) continue;
    for (let kw = 0; kw < filterWidth; kw++) {
      const ix = xCorner + kw * dilationWidth;
      if (ix < 0 || ix >= inWidth) continue;
      const x0 = ((b * inHeight + iy) * inWidth + ix) * inChannels;
      let w = (kh * filterWidth + kw) * inChannels * outChannels;
      for (let ci = 0; ci < inChannels; ci++) {
        const xv = x[x0 + ci];
        for (let co = 0; co < outChannels; co++) acc[co] += xv * W[w + co];
        w += outChannels;
      }
      macs += inChannels * outChannels;
    }
  }
  out.set(acc, o0);
  return macs;
}

const CONV2D: ConvFamily = {
  inputName: 'x',
  geometry(k) {
    const info = convInfo(k.call);
    return {info, outShape: [info.batchSize, info.outHeight, info.outWidth, info.outChannels], inGrid: [info.inHeight, info.inWidth]};
  },
  markFrom: markForwardConv,
  pixel: conv2dPixel,
};

function convKernel(kernelName: string): CpuDeltaKernel {
  return {
    kernelName,
    seed: (k, st) => seedConv(CONV2D, k, st),
    step: (k, st, cand) => stepConv(CONV2D, k, st, cand),
  };
}

export const conv2dKernel = convKernel('Conv2D');
export const fusedConv2dKernel = convKernel('FusedConv2D');
