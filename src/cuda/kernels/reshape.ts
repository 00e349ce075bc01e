/** Reshape, ExpandDims, Squeeze: metadata only, the output shares the input's device buffer (refcount). */
import {backend_util, KernelConfig, TensorInfo, util} from '@tensorflow/tfjs-core';
import type {DeltaCudaBackend} from '../backend';
import {reshapeInfo} from './util';

export const reshapeConfig: KernelConfig = {
  kernelName: 'Reshape', backendName: 'delta-cuda',
  kernelFunc: ({inputs, backend, attrs}) => {
    const x = (inputs as {x: TensorInfo}).x;
    const shape = util.inferFromImplicitShape((attrs as {shape: number[]}).shape, util.sizeFromShape(x.shape));
    return reshapeInfo(backend as DeltaCudaBackend, x, shape);
  },
};

export const expandDimsConfig: KernelConfig = {
  kernelName: 'ExpandDims', backendName: 'delta-cuda',
  kernelFunc: ({inputs, backend, attrs}) => {
    const x = (inputs as {input: TensorInfo}).input;
    const dim = (attrs as {dim: number}).dim;
    const rank = x.shape.length;
    let axis = dim;
    if (dim < 0) {
      util.assert(-(rank + 1) <= dim, () => `Axis must be in the interval [${-(rank + 1)}, ${rank}]`);
      axis = rank + dim + 1;
    }
    const shape = x.shape.slice();
    shape.splice(axis, 0, 1);
    return reshapeInfo(backend as DeltaCudaBackend, x, shape);
  },
};

export const squeezeConfig: KernelConfig = {
  kernelName: 'Squeeze', backendName: 'delta-cuda',
  kernelFunc: ({inputs, backend, attrs}) => {
    const x = (inputs as {x: TensorInfo}).x;
    const axis = (attrs as {axis: number[]}).axis;
    const keptDims = util.squeezeShape(x.shape, util.parseAxisParam(axis, x.shape)).newShape;
    void backend_util;
    return reshapeInfo(backend as DeltaCudaBackend, x, keptDims);
  },
};
