/** Transpose: one strided copy (kernels-cuda/dense_elementwise.cu `stridedCopyKernel`). */
import {KernelConfig, TensorInfo} from '@tensorflow/tfjs-core';
import type {DeltaCudaBackend} from '../backend';
import {stridedCopy, stridesOf} from './util';

export function transposeInfo(backend: DeltaCudaBackend, x: TensorInfo, perm: readonly number[]): TensorInfo {
  const outShape = perm.map((p) => x.shape[p]);
  const xs = stridesOf(x.shape);
  const out = backend.makeOutput(outShape, x.dtype);
  stridedCopy(backend, backend.handleOf(x.dataId), 0, backend.handleOf(out.dataId), 0, outShape, perm.map((p) => xs[p]),
      stridesOf(outShape));
  return out;
}

export const transposeConfig: KernelConfig = {
  kernelName: 'Transpose', backendName: 'delta-cuda',
  kernelFunc: ({inputs, backend, attrs}) =>
    transposeInfo(backend as DeltaCudaBackend, (inputs as {x: TensorInfo}).x, (attrs as {perm: number[]}).perm),
};
