/** Fill, ZerosLike, OnesLike: kernels-cuda/dense_elementwise.cu `fillKernel`. */
import {DataType, KernelConfig, TensorInfo} from '@tensorflow/tfjs-core';
import type {DeltaCudaBackend} from '../backend';
import {isInt, sizeOf} from './util';

export function filled(backend: DeltaCudaBackend, shape: number[], dtype: DataType, value: number): TensorInfo {
  if (dtype === 'string' || dtype === 'complex64') throw new Error(`delta-cuda: Fill of ${dtype} is not supported`);
  const out = backend.makeOutput(shape, dtype);
  backend.addon.fill(backend.handleOf(out.dataId), 0, sizeOf(shape), dtype === 'bool' ? Number(!!value) : value, isInt(dtype));
  return out;
}

export const fillConfig: KernelConfig = {
  kernelName: 'Fill', backendName: 'delta-cuda',
  kernelFunc: ({backend, attrs}) => {
    const {shape, value, dtype} = attrs as unknown as {shape: number[]; value: number; dtype: DataType};
    if (typeof value === 'string') throw new Error('delta-cuda: Fill with a string value is not supported');
    return filled(backend as DeltaCudaBackend, shape, dtype ?? 'float32', value);
  },
};

const like = (v: number) => ({inputs, backend}: {inputs: unknown; backend: unknown}) => {
  const x = (inputs as {x: TensorInfo}).x;
  return filled(backend as DeltaCudaBackend, x.shape, x.dtype, v);
};
export const zerosLikeConfig: KernelConfig = {kernelName: 'ZerosLike', backendName: 'delta-cuda', kernelFunc: like(0) as KernelConfig['kernelFunc']};
export const onesLikeConfig: KernelConfig = {kernelName: 'OnesLike', backendName: 'delta-cuda', kernelFunc: like(1) as KernelConfig['kernelFunc']};
