/** DepthwiseConv2dNative and FusedDepthwiseConv2D delta kernels (channel multiplier supported). */
import {backend_util} from '@tensorflow/tfjs-core';
import {convInfo} from '../../core/op_table';
import {Candidates, CpuDeltaKernel} from '../types';
import {seedConv, stepConv} from './conv_common';

/** out[n, oy, ox, ci * mult + m] += x[n, iy, ix, ci] * W[kh, kw, ci, m], scattered from the input side. */
export function scatterDepthwise(info: backend_util.Conv2DInfo, W: Float32Array, acc: Float64Array,
                                 pixels: Int32Array | null, count: number, vals: Float32Array,
                                 cand: Candidates | null): number {
  const {inHeight, inWidth, inChannels, outHeight, outWidth, outChannels, strideHeight, strideWidth,
    dilationHeight, dilationWidth, filterHeight, filterWidth, batchSize} = info;
  const mult = outChannels / inChannels;
  const padTop = info.padInfo.top, padLeft = info.padInfo.left;
  const inPlane = inHeight * inWidth;
  const n = pixels ? count : batchSize * inPlane;
  let macs = 0;
  for (let j = 0; j < n; j++) {
    const p = pixels ? pixels[j] : j;
    const b = Math.floor(p / inPlane);
    const r = p - b * inPlane;
    const iy = Math.floor(r / inWidth);
    const ix = r - iy * inWidth;
    const v0 = j * inChannels;
    for (let kh = 0; kh < filterHeight; kh++) {
      const ty = iy + padTop - kh * dilationHeight;
      if (ty < 0 || ty % strideHeight !== 0) continue;
      const oy = ty / strideHeight;
      if (oy >= outHeight) continue;
      for (let kw = 0; kw < filterWidth; kw++) {
        const tx = ix + padLeft - kw * dilationWidth;
        if (tx < 0 || tx % strideWidth !== 0) continue;
        const ox = tx / strideWidth;
        if (ox >= outWidth) continue;
        const op = (b * outHeight + oy) * outWidth + ox;
        if (cand) cand.mark(op);
        const a0 = op * outChannels;
        const w0 = (kh * filterWidth + kw) * outChannels;
        if (mult === 1) {
          for (let ci = 0; ci < inChannels; ci++) acc[a0 + ci] += vals[v0 + ci] * W[w0 + ci];
        } else {
          for (let ci = 0; ci < inChannels; ci++) {
            const dv = vals[v0 + ci];
            const o = ci * mult;
            for (let m = 0; m < mult; m++) acc[a0 + o + m] += dv * W[w0 + o + m];
          }
        }
        macs += outChannels;
      }
    }
  }
  return macs;
}

function depthwiseKernel(kernelName: string): CpuDeltaKernel {
  return {
    kernelName,
    seed(k, st) {
      const info = convInfo(k.call);
      return seedConv(k, st, info, [info.batchSize, info.outHeight, info.outWidth, info.outChannels], 'x', scatterDepthwise);
    },
    step: (k, st, cand) => stepConv(k, st, cand, 'x', scatterDepthwise),
  };
}

export const depthwiseConv2dKernel = depthwiseKernel('DepthwiseConv2dNative');
export const fusedDepthwiseConv2dKernel = depthwiseKernel('FusedDepthwiseConv2D');
