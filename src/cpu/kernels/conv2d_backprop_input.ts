/** Conv2DBackpropInput (transposed conv) delta kernel: linear, scattered from the changed dy pixels. */
import {backend_util} from '@tensorflow/tfjs-core';
import {convTransposeInfo} from '../../core/op_table';
import {Candidates, CpuDeltaKernel} from '../types';
import {seedConv, stepConv} from './conv_common';

/**
 * x[n, y, x, ci] += Σ_co dy[n, oy, ox, co] * W[kh, kw, ci, co] where y = oy * strideH - padTop + kh
 * (the input gradient of the conv described by info: info.in* is the output here, info.out* the input).
 */
export function scatterConvTranspose(info: backend_util.Conv2DInfo, W: Float32Array, acc: Float64Array,
                                     pixels: Int32Array | null, count: number, vals: Float32Array,
                                     cand: Candidates | null): number {
  const {inHeight, inWidth, inChannels, outHeight, outWidth, outChannels, strideHeight, strideWidth,
    filterHeight, filterWidth, batchSize} = info;
  const padTop = info.padInfo.top, padLeft = info.padInfo.left;
  const dyPlane = outHeight * outWidth;
  const n = pixels ? count : batchSize * dyPlane;
  let macs = 0;
  for (let j = 0; j < n; j++) {
    const p = pixels ? pixels[j] : j;
    const b = Math.floor(p / dyPlane);
    const r = p - b * dyPlane;
    const oy = Math.floor(r / outWidth);
    const ox = r - oy * outWidth;
    const v0 = j * outChannels;
    for (let kh = 0; kh < filterHeight; kh++) {
      const y = oy * strideHeight - padTop + kh;
      if (y < 0 || y >= inHeight) continue;
      for (let kw = 0; kw < filterWidth; kw++) {
        const x = ox * strideWidth - padLeft + kw;
        if (x < 0 || x >= inWidth) continue;
        const xp = (b * inHeight + y) * inWidth + x;
        if (cand) cand.mark(xp);
        const a0 = xp * inChannels;
        const w0 = (kh * filterWidth + kw) * inChannels * outChannels;
        for (let ci = 0; ci < inChannels; ci++) {
          const w = w0 + ci * outChannels;
          let s = 0;
          for (let co = 0; co < outChannels; co++) s += vals[v0 + co] * W[w + co];
          acc[a0 + ci] += s;
        }
        macs += inChannels * outChannels;
      }
    }
  }
  return macs;
}

export const conv2dBackpropInputKernel: CpuDeltaKernel = {
  kernelName: 'Conv2DBackpropInput',
  seed(k, st) {
    const info = convTransposeInfo(k.call);
    return seedConv(k, st, info, [info.batchSize, info.inHeight, info.inWidth, info.inChannels], 'dy', scatterConvTranspose);
  },
  step: (k, st, cand) => stepConv(k, st, cand, 'dy', scatterConvTranspose),
};
