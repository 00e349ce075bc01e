/**
 * GatherV2 with batchDims 0: kernels-cuda/dense_elementwise.cu `gatherKernel`. Indices are checked on
 * the host first (tfjs-cpu throws for an index out of range; a gather's indices are small).
 */
import {backend_util, KernelConfig, TensorInfo, util} from '@tensorflow/tfjs-core';
import {cpuKernels, DeltaCudaBackend} from '../backend';
import {sizeOf} from './util';

export const gatherV2Config: KernelConfig = {
  kernelName: 'GatherV2', backendName: 'delta-cuda',
  kernelFunc: (args) => {
    const b = args.backend as DeltaCudaBackend;
    const {x, indices} = args.inputs as {x: TensorInfo; indices: TensorInfo};
    const {axis, batchDims} = args.attrs as {axis: number; batchDims?: number};
    if ((batchDims ?? 0) !== 0 || indices.dtype !== 'int32' || x.dtype === 'string' || x.dtype === 'complex64') {
      return cpuKernels.get('GatherV2')!(args);
    }
    const ax = util.parseAxisParam(axis, x.shape)[0];
    const idx = b.readSync(indices.dataId) as Int32Array;
    for (let i = 0; i < idx.length; i++) {
      util.assert(idx[i] <= x.shape[ax] - 1 && idx[i] >= 0,
          () => `GatherV2: the index value ${idx[i]} is not in [0, ${x.shape[ax] - 1}]`);
    }
    const outShape = [...x.shape.slice(0, ax), ...indices.shape, ...x.shape.slice(ax + 1)];
    const out = b.makeOutput(outShape, x.dtype);
    b.addon.gather(b.handleOf(x.dataId), b.handleOf(indices.dataId), b.handleOf(out.dataId), sizeOf(x.shape.slice(0, ax)),
        x.shape[ax], sizeOf(x.shape.slice(ax + 1)), idx.length);
    return out;
  },
};

/**
 * GatherNd: the index tuples are read on the host (validated as tfjs-cpu does; they are small) and
 * flattened to slice numbers, then the gather kernel copies whole slices of params on the device.
 */
export const gatherNdConfig: KernelConfig = {
  kernelName: 'GatherNd', backendName: 'delta-cuda',
  kernelFunc: (args) => {
    const b = args.backend as DeltaCudaBackend;
    const {params, indices} = args.inputs as {params: TensorInfo; indices: TensorInfo};
    if (indices.dtype !== 'int32' || params.dtype === 'string' || params.dtype === 'complex64') {
      return cpuKernels.get('GatherNd')!(args);
    }
    const sliceRank = indices.shape[indices.shape.length - 1];
    const [resultShape, numSlices, sliceSize, strides] =
        backend_util.prepareAndValidate(params as never, indices as never);
    const paramsSize = sizeOf(params.shape);
    const idx = b.readSync(indices.dataId) as Int32Array;
    const flat = new Int32Array(numSlices);
    for (let i = 0; i < numSlices; i++) {
      let f = 0;
      for (let j = 0; j < sliceRank; j++) f += idx[i * sliceRank + j] * strides[j];
      if (f < 0 || f >= paramsSize / sliceSize) {
        throw new Error(`Invalid indices: ${Array.from(idx.subarray(i * sliceRank, (i + 1) * sliceRank))} does not index into ${params.shape}`);
      }
      flat[i] = f;
    }
    const out = b.makeOutput(resultShape, params.dtype);
    if (numSlices === 0 || sliceSize === 0) return out;
    const flatT = b.makeTensorInfo([numSlices], 'int32', flat);
    try {
      b.addon.gather(b.handleOf(params.dataId), b.handleOf(flatT.dataId), b.handleOf(out.dataId), 1, paramsSize / sliceSize,
          sliceSize, numSlices);
    } finally {
      b.disposeData(flatT.dataId);
    }
    return out;
  },
};
