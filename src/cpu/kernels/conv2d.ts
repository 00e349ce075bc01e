/** Conv2D and FusedConv2D delta kernels (NHWC, any kernel size, stride, dilation, padding). */
import {backend_util} from '@tensorflow/tfjs-core';
import {convInfo} from '../../core/op_table';
import {Candidates, CpuDeltaKernel} from '../types';
import {seedConv, stepConv} from './conv_common';

/**
 * out[n, oy, ox, co] += Σ_ci x[n, iy, ix, ci] * W[kh, kw, ci, co] for every tap where
 * iy = oy * strideH - padTop + kh * dilationH (same for columns), scattered from the input side.
 */
export function scatterConv2d(info: backend_util.Conv2DInfo, W: Float32Array, acc: Float64Array,
                              pixels: Int32Array | null, count: number, vals: Float32Array,
                              cand: Candidates | null): number {
  const {inHeight, inWidth, inChannels, outHeight, outWidth, outChannels, strideHeight, strideWidth,
    dilationHeight, dilationWidth, filterHeight, filterWidth, batchSize} = info;
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
        const w0 = (kh * filterWidth + kw) * inChannels * outChannels;
        for (let ci = 0; ci < inChannels; ci++) {
          const dv = vals[v0 + ci];
          const w = w0 + ci * outChannels;
          for (let co = 0; co < outChannels; co++) acc[a0 + co] += dv * W[w + co];
        }
        macs += inChannels * outChannels;
      }
    }
  }
  return macs;
}

function convKernel(kernelName: string): CpuDeltaKernel {
  return {
    kernelName,
    seed(k, st) {
      const info = convInfo(k.call);
      return seedConv(k, st, info, [info.batchSize, info.outHeight, info.outWidth, info.outChannels], 'x', scatterConv2d);
    },
    step: (k, st, cand) => stepConv(k, st, cand, 'x', scatterConv2d),
  };
}

export const conv2dKernel = convKernel('Conv2D');
export const fusedConv2dKernel = convKernel('FusedConv2D');
