/**
 * MaxPool and AvgPool (NHWC): kernels-cuda/dense_pool_resize.cu `poolKernel`, with tfjs-cpu's window
 * walk (clipped to the image, padding never counted). CPU reference: tfjs-backend-cpu's maxPool / avgPool.
 */
import {backend_util, KernelConfig, TensorInfo} from '@tensorflow/tfjs-core';
import type {DeltaCudaBackend} from '../backend';
import {copyOf} from './util';

function pool(isMax: boolean): KernelConfig['kernelFunc'] {
  return ({inputs, backend, attrs}) => {
    const b = backend as DeltaCudaBackend;
    const x = (inputs as {x: TensorInfo}).x;
    const a = attrs as unknown as {filterSize: number | [number, number]; strides: number | [number, number];
      pad: 'valid' | 'same' | number | backend_util.ExplicitPadding; dimRoundingMode?: 'floor' | 'round' | 'ceil'};
    const c = backend_util.computePool2DInfo(x.shape as [number, number, number, number], a.filterSize, a.strides, 1,
        a.pad, a.dimRoundingMode);
    // tfjs-cpu returns the input itself for a 1x1 window with stride 1 and no padding.
    if (c.filterWidth === 1 && c.filterHeight === 1 && c.strideHeight === 1 && c.strideWidth === 1 &&
        c.outHeight === c.inHeight && c.outWidth === c.inWidth) {
      return copyOf(b, x);
    }
    if (x.dtype !== 'float32') throw new Error(`delta-cuda: ${isMax ? 'MaxPool' : 'AvgPool'} of ${x.dtype} is not supported`);
    const y = b.makeOutput(c.outShape, 'float32');
    b.addon.pool(b.handleOf(x.dataId), b.handleOf(y.dataId), Int32Array.from([c.batchSize, c.inHeight, c.inWidth,
      c.inChannels, c.outHeight, c.outWidth, c.inChannels, c.effectiveFilterHeight, c.effectiveFilterWidth, c.strideHeight,
      c.strideWidth, c.dilationHeight, c.dilationWidth, c.padInfo.top, c.padInfo.left, 1]), isMax);
    return y;
  };
}

export const maxPoolConfig: KernelConfig = {kernelName: 'MaxPool', backendName: 'delta-cuda', kernelFunc: pool(true)};
export const avgPoolConfig: KernelConfig = {kernelName: 'AvgPool', backendName: 'delta-cuda', kernelFunc: pool(false)};
