/** Softmax over the last axis: kernels-cuda/dense_reduce.cu `softmaxRows` (max-subtracted, one warp a row). */
import {KernelConfig, TensorInfo} from '@tensorflow/tfjs-core';
import {cpuKernels, DeltaCudaBackend} from '../backend';
import {sizeOf} from './util';

export const softmaxConfig: KernelConfig = {
  kernelName: 'Softmax', backendName: 'delta-cuda',
  kernelFunc: (args) => {
    const b = args.backend as DeltaCudaBackend;
    const logits = (args.inputs as {logits: TensorInfo}).logits;
    const dim = (args.attrs as {dim: number}).dim;
    const rank = logits.shape.length;
    if (rank === 0 || (dim !== -1 && dim !== rank - 1) || logits.dtype !== 'float32') {
      return cpuKernels.get('Softmax')!(args);  // another axis: rare, on the CPU (counted)
    }
    const cols = logits.shape[rank - 1];
    const out = b.makeOutput(logits.shape, 'float32');
    b.addon.softmax(b.handleOf(logits.dataId), b.handleOf(out.dataId), cols ? sizeOf(logits.shape) / cols : 0, cols, false);
    return out;
  },
};
