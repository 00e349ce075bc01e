/**
 * DepthwiseConv2dNative and FusedDepthwiseConv2D (NHWC, channel multiplier): kernels-cuda/dense_conv.cu
 * `depthwiseKernel` with the fused epilogue. CPU reference: tfjs-backend-cpu's depthwiseConv2dNative /
 * fusedDepthwiseConv2D.
 */
import {backend_util, KernelConfig, TensorInfo} from '@tensorflow/tfjs-core';
import {cpuKernels, DeltaCudaBackend} from '../backend';
import {Activation} from './codes';
import {epilogueArgs, FusedParts, geomOf, unfusedEpilogue} from './conv2d';

interface DwAttrs {
  strides: number | [number, number];
  pad: 'valid' | 'same' | number | backend_util.ExplicitPadding;
  dataFormat: 'NHWC' | 'NCHW';
  dilations: number | [number, number];
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
}

export function depthwiseFused(backend: DeltaCudaBackend, x: TensorInfo, filter: TensorInfo, attrs: DwAttrs,
                               parts: FusedParts): TensorInfo {
  if (attrs.dataFormat === 'NCHW') throw new Error('delta-cuda: DepthwiseConv2dNative with dataFormat NCHW is not supported');
  let dilations = attrs.dilations;
  if (dilations == null) dilations = [1, 1];
  const info = backend_util.computeConv2DInfo(x.shape as [number, number, number, number],
      filter.shape as [number, number, number, number], attrs.strides, dilations, attrs.pad, attrs.dimRoundingMode,
      true);
  const y = backend.makeOutput(info.outShape, 'float32');
  const ep = epilogueArgs(backend, parts, info.outChannels);
  const [bias, alpha, alphaSize, act, leaky] = ep ?? [0, 0, 0, Activation.Linear, 0];
  const mult = info.outChannels / info.inChannels;
  backend.addon.depthwise(backend.handleOf(x.dataId), backend.handleOf(filter.dataId), backend.handleOf(y.dataId),
      geomOf(info, mult), bias, alpha, alphaSize, act, leaky);
  return ep ? y : unfusedEpilogue(backend, y, parts);
}

export const depthwiseConv2dConfig: KernelConfig = {
  kernelName: 'DepthwiseConv2dNative', backendName: 'delta-cuda',
  kernelFunc: ({inputs, backend, attrs}) => {
    const {x, filter} = inputs as {x: TensorInfo; filter: TensorInfo};
    if ((attrs as {dataFormat?: string}).dataFormat === 'NCHW') return cpuKernels.get('DepthwiseConv2dNative')!({inputs, backend, attrs});
    return depthwiseFused(backend as DeltaCudaBackend, x, filter, attrs as unknown as DwAttrs, {});
  },
};

export const fusedDepthwiseConv2dConfig: KernelConfig = {
  kernelName: 'FusedDepthwiseConv2D', backendName: 'delta-cuda',
  kernelFunc: ({inputs, backend, attrs}) => {
    const {x, filter, bias, preluActivationWeights} = inputs as Record<string, TensorInfo>;
    const a = attrs as unknown as DwAttrs & {activation: string; leakyreluAlpha?: number};
    if (a.dataFormat === 'NCHW') return cpuKernels.get('FusedDepthwiseConv2D')!({inputs, backend, attrs});
    return depthwiseFused(backend as DeltaCudaBackend, x, filter, a,
        {bias, preluActivationWeights, activation: a.activation, leakyreluAlpha: a.leakyreluAlpha});
  },
};
