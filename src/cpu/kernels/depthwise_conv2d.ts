/** DepthwiseConv2dNative and FusedDepthwiseConv2D delta kernels (channel multiplier supported). */
import {backend_util} from '@tensorflow/tfjs-core';
import {convInfo} from '../../core/op_table';
import {CpuDeltaKernel} from '../types';
import {ConvFamily, markForwardConv, seedConv, stepConv} from './conv_common';

/**
 * Output pixel op of a depthwise conv, as tfjs-backend-cpu computes it:
 * y[ci * mult + m] += x[iy, ix, ci] * W[kh, kw, ci, m] over kh, kw in that order, float32 each step.
 */
export function depthwisePixel(info: backend_util.Conv2DInfo, x: Float32Array, W: Float32Array, op: number,
                               acc: Float32Array, out: Float32Array, o0: number): number {
  const {inHeight, inWidth, inChannels, outHeight, outWidth, outChannels, strideHeight, strideWidth,
    dilationHeight, dilationWidth, filterHeight, filterWidth} = info;
  const mult = outChannels / inChannels;
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
      const w0 = (kh * filterWidth + kw) * outChannels;
      if (mult === 1) {
        for (let ci = 0; ci < inChannels; ci++) acc[ci] += x[x0 + ci] * W[w0 + ci];
      } else {
        for (let ci = 0; ci < inChannels; ci++) {
          const xv = x[x0 + ci];
          const o = ci * mult;
          for (let m = 0; m < mult; m++) acc[o + m] += xv * W[w0 + o + m];
        }
      }
      macs += outChannels;
    }
  }
  out.set(acc, o0);
  return macs;
}

const DEPTHWISE: ConvFamily = {
  inputName: 'x',
  geometry(k) {
    const info = convInfo(k.call);
    return {info, outShape: [info.batchSize, info.outHeight, info.outWidth, info.outChannels], inGrid: [info.inHeight, info.inWidth]};
  },
  markFrom: markForwardConv,
  pixel: depthwisePixel,
};

function depthwiseKernel(kernelName: string): CpuDeltaKernel {
  return {
    kernelName,
    seed: (k, st) => seedConv(DEPTHWISE, k, st),
    step: (k, st, cand) => stepConv(DEPTHWISE, k, st, cand),
  };
}

export const depthwiseConv2dKernel = depthwiseKernel('DepthwiseConv2dNative');
export const fusedDepthwiseConv2dKernel = depthwiseKernel('FusedDepthwiseConv2D');
