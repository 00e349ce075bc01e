/**
 * Conv2DBackpropInput (the transposed convolution of decoder heads, e.g. selfie's last layer), NHWC:
 * kernels-cuda/dense_conv.cu `backpropInputKernel`. CPU reference: tfjs-backend-cpu's conv2DBackpropInput.
 */
import {backend_util, KernelConfig, TensorInfo} from '@tensorflow/tfjs-core';
import {cpuKernels, DeltaCudaBackend} from '../backend';
import {geomOf} from './conv2d';

export const conv2dBackpropInputConfig: KernelConfig = {
  kernelName: 'Conv2DBackpropInput', backendName: 'delta-cuda',
  kernelFunc: ({inputs, backend, attrs}) => {
    const b = backend as DeltaCudaBackend;
    const {dy, filter} = inputs as {dy: TensorInfo; filter: TensorInfo};
    const a = attrs as unknown as {inputShape: [number, number, number, number]; strides: number | [number, number];
      pad: 'valid' | 'same' | number | backend_util.ExplicitPadding; dataFormat: 'NHWC' | 'NCHW'; dimRoundingMode?: 'floor' | 'round' | 'ceil'};
    if (a.dataFormat === 'NCHW') return cpuKernels.get('Conv2DBackpropInput')!({inputs, backend, attrs});
    const info = backend_util.computeConv2DInfo(a.inputShape, filter.shape as [number, number, number, number], a.strides,
        1, a.pad, a.dimRoundingMode, false, 'channelsLast');
    if (info.outHeight !== dy.shape[1] || info.outWidth !== dy.shape[2] || info.outChannels !== dy.shape[3]) {
      // tfjs-cpu accepts a dy that does not match the forward geometry (it reads what it needs): same here.
      return cpuKernels.get('Conv2DBackpropInput')!({inputs, backend, attrs});
    }
    const dx = b.makeOutput(a.inputShape, 'float32');
    b.addon.conv2dBackpropInput(b.handleOf(dy.dataId), b.handleOf(filter.dataId), b.handleOf(dx.dataId), geomOf(info));
    return dx;
  },
};
