/** Conv2DBackpropInput (transposed conv) delta kernel: linear, recomputed at the touched pixels. */
import {backend_util} from '@tensorflow/tfjs-core';
import {convTransposeInfo} from '../../core/op_table';
import {Candidates, CpuDeltaKernel} from '../types';
import {ConvFamily, seedConv, stepConv} from './conv_common';

/*
 * Geometry: `info` describes the forward conv whose input gradient this is, so info.in* is this
 * kernel's output (x) and info.out* its input (dy). x[y, x] reads dy[oy, ox] when
 * y = oy * strideH - padTop + kh (no dilation in tfjs' conv2dTranspose).
 */

function markTranspose(info: backend_util.Conv2DInfo, b: number, oy: number, ox: number, cand: Candidates): void {
  const {inHeight, inWidth, strideHeight, strideWidth, filterHeight, filterWidth} = info;
  for (let kh = 0; kh < filterHeight; kh++) {
    const y = oy * strideHeight - info.padInfo.top + kh;
    if (y < 0 || y >= inHeight) continue;
    const row = (b * inHeight + y) * inWidth;
    for (let kw = 0; kw < filterWidth; kw++) {
      const x = ox * strideWidth - info.padInfo.left + kw;
      if (x >= 0 && x < inWidth) cand.mark(row + x);
    }
  }
}

/** Pixel xp of the transposed conv, with tfjs-backend-cpu's loops (per channel a double dot product). */
function transposePixel(info: backend_util.Conv2DInfo, dy: Float32Array, W: Float32Array, xp: number,
                        _acc: Float32Array, out: Float32Array, o0: number): number {
  const {inHeight, inWidth, inChannels, outHeight, outWidth, outChannels, strideHeight, strideWidth,
    filterHeight, filterWidth} = info;
  const topPad = filterHeight - 1 - info.padInfo.top;
  const leftPad = filterWidth - 1 - info.padInfo.left;
  const plane = inHeight * inWidth;
  const b = Math.floor(xp / plane);
  const r = xp - b * plane;
  const xR = Math.floor(r / inWidth);
  const xC = r - xR * inWidth;
  const xRCorner = xR - topPad;
  const xRMin = Math.max(0, Math.ceil(xRCorner / strideHeight));
  const yRMax = Math.min(outHeight, (filterHeight + xRCorner) / strideHeight);
  const xCCorner = xC - leftPad;
  const xCMin = Math.max(0, Math.ceil(xCCorner / strideWidth));
  const yCMax = Math.min(outWidth, (filterWidth + xCCorner) / strideWidth);
  const fS0 = filterWidth * inChannels * outChannels, fS1 = inChannels * outChannels, fS2 = outChannels;
  let macs = 0;
  for (let d1 = 0; d1 < inChannels; d1++) {
    let dot = 0;
    for (let yR = xRMin; yR < yRMax; yR++) {
      const wR = yR * strideHeight - xRCorner;
      for (let yC = xCMin; yC < yCMax; yC++) {
        const wC = yC * strideWidth - xCCorner;
        const dy0 = ((b * outHeight + yR) * outWidth + yC) * outChannels;
        const f0 = fS0 * (filterHeight - 1 - wR) + fS1 * (filterWidth - 1 - wC) + fS2 * d1;
        for (let d2 = 0; d2 < outChannels; d2++) dot += dy[dy0 + d2] * W[f0 + d2];
        macs += outChannels;
      }
    }
    out[o0 + d1] = dot;
  }
  return macs;
}

const TRANSPOSE: ConvFamily = {
  inputName: 'dy',
  geometry(k) {
    const info = convTransposeInfo(k.call);
    return {info, outShape: [info.batchSize, info.inHeight, info.inWidth, info.inChannels], inGrid: [info.outHeight, info.outWidth]};
  },
  // The changed input here is dy, whose pixels are laid out as the forward conv's output.
  markFrom: markTranspose,
  pixel: transposePixel,
};

export const conv2dBackpropInputKernel: CpuDeltaKernel = {
  kernelName: 'Conv2DBackpropInput',
  seed: (k, st) => seedConv(TRANSPOSE, k, st),
  step: (k, st, cand) => stepConv(TRANSPOSE, k, st, cand),
};
