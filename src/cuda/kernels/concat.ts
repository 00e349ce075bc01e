/** Concat and Pack: one strided copy per input into its slab of the output. Unpack: one slice per output. */
import {backend_util, KernelConfig, TensorInfo, util} from '@tensorflow/tfjs-core';
import type {DeltaCudaBackend} from '../backend';
import {sliceInfo} from './slice';
import {reshapeInfo, sizeOf, stridedCopy, stridesOf} from './util';

export function concatInfo(backend: DeltaCudaBackend, xs: TensorInfo[], axisAttr: number): TensorInfo {
  const axis = util.parseAxisParam(axisAttr, xs[0].shape)[0];
  backend_util.assertParamsConsistent(xs.map((t) => t.shape), axis);
  const outShape = backend_util.computeOutShape(xs.map((t) => t.shape), axis);
  const dtype = xs.every((t) => t.dtype === xs[0].dtype) ? xs[0].dtype :
    (xs.some((t) => t.dtype === 'float32') ? 'float32' : 'int32');
  if (dtype !== xs[0].dtype || xs.some((t) => t.dtype !== dtype)) {
    throw new Error(`delta-cuda: Concat of mixed dtypes (${xs.map((t) => t.dtype)}) is not supported`);
  }
  const out = backend.makeOutput(outShape, dtype);
  const os = stridesOf(outShape);
  const h = backend.handleOf(out.dataId);
  let offset = 0;
  for (const x of xs) {
    if (sizeOf(x.shape) > 0) stridedCopy(backend, backend.handleOf(x.dataId), 0, h, offset * os[axis], x.shape, stridesOf(x.shape), os);
    offset += x.shape[axis];
  }
  return out;
}

export const concatConfig: KernelConfig = {
  kernelName: 'Concat', backendName: 'delta-cuda',
  kernelFunc: ({inputs, backend, attrs}) => {
    const xs = (inputs as unknown as TensorInfo[]);
    const axis = (attrs as {axis: number}).axis;
    backend_util.assertParamsConsistent(xs.map((t) => t.shape), util.parseAxisParam(axis, xs[0].shape)[0]);
    const nonEmpty = xs.filter((t) => sizeOf(t.shape) > 0);
    const b = backend as DeltaCudaBackend;
    if (nonEmpty.length === 1) {
      const shape = backend_util.computeOutShape(xs.map((t) => t.shape), util.parseAxisParam(axis, xs[0].shape)[0]);
      return reshapeInfo(b, nonEmpty[0], shape);
    }
    return concatInfo(b, nonEmpty.length ? nonEmpty : xs, axis);
  },
};

export const packConfig: KernelConfig = {
  kernelName: 'Pack', backendName: 'delta-cuda',
  kernelFunc: ({inputs, backend, attrs}) => {
    const b = backend as DeltaCudaBackend;
    const xs = inputs as unknown as TensorInfo[];
    const axis = (attrs as {axis: number}).axis;
    if (xs.length === 1) {
      const shape = xs[0].shape.slice();
      shape.splice(axis < 0 ? axis + shape.length + 1 : axis, 0, 1);
      return reshapeInfo(b, xs[0], shape);
    }
    const rank = xs[0].shape.length;
    const ax = axis < 0 ? axis + rank + 1 : axis;
    const expanded = xs.map((t) => {
      const shape = t.shape.slice();
      shape.splice(ax, 0, 1);
      return {dataId: t.dataId, shape, dtype: t.dtype};
    });
    return concatInfo(b, expanded, ax);
  },
};

export const unpackConfig: KernelConfig = {
  kernelName: 'Unpack', backendName: 'delta-cuda',
  kernelFunc: ({inputs, backend, attrs}) => {
    const b = backend as DeltaCudaBackend;
    const x = (inputs as {value: TensorInfo}).value;
    let axis = (attrs as {axis: number}).axis;
    if (axis < 0) axis += x.shape.length;
    const num = x.shape[axis];
    const outShape = x.shape.filter((_, d) => d !== axis);
    const size = x.shape.slice();
    size[axis] = 1;
    const outs: TensorInfo[] = [];
    for (let i = 0; i < num; i++) {
      const begin = new Array<number>(x.shape.length).fill(0);
      begin[axis] = i;
      const part = sliceInfo(b, x, begin, size);
      outs.push({dataId: part.dataId, shape: outShape, dtype: part.dtype});
    }
    return outs;
  },
};
