/**
 * GatherV2 with batchDims 0: kernels-cuda/dense_elementwise.cu `gatherKernel`. Indices are checked on
 * the host first (tfjs-cpu throws for an index out of range; a gather's indices are small).
 */
import {KernelConfig, TensorInfo, util} from '@tensorflow/tfjs-core';
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
