/**
 * Conv2D and FusedConv2D (NHWC): the implicit-GEMM kernel of kernels-cuda/dense_conv.cu with bias and
 * activation fused in its epilogue. CPU reference: tfjs-backend-cpu's conv2D / fusedConv2D.
 * NCHW, and a bias or prelu weight that does not broadcast per output channel, run the parts
 * separately (conv, then the broadcasting Add / Prelu kernels).
 */
import {backend_util, KernelConfig, TensorInfo} from '@tensorflow/tfjs-core';
import {cpuKernels, DeltaCudaBackend} from '../backend';
import {Activation, Binary, Unary} from './codes';
import {runBinary} from './binary';
import {runUnary} from './unary';
import {sizeOf} from './util';

export interface FusedParts {
  bias?: TensorInfo | null;
  preluActivationWeights?: TensorInfo | null;
  activation?: string;
  leakyreluAlpha?: number;
}

const ACTIVATIONS: Record<string, Activation> = {
  linear: Activation.Linear, relu: Activation.Relu, relu6: Activation.Relu6, prelu: Activation.Prelu,
  leakyrelu: Activation.LeakyRelu, elu: Activation.Elu, sigmoid: Activation.Sigmoid,
};

/** Epilogue arguments for the kernel, or null when the parts cannot be fused (see unfusedEpilogue). */
export function epilogueArgs(backend: DeltaCudaBackend, parts: FusedParts, oc: number):
    [number, number, number, number, number] | null {
  const act = ACTIVATIONS[parts.activation ?? 'linear'];
  if (act === undefined) throw new Error(`delta-cuda: unknown activation '${parts.activation}'`);
  let bias = 0, alpha = 0, alphaSize = 0;
  if (parts.bias) {
    if (sizeOf(parts.bias.shape) !== oc || parts.bias.shape.length > 1) return null;
    bias = backend.handleOf(parts.bias.dataId);
  }
  if (act === Activation.Prelu) {
    const w = parts.preluActivationWeights;
    if (!w) throw new Error('delta-cuda: prelu activation without preluActivationWeights');
    const n = sizeOf(w.shape);
    // Per output channel ([oc], [1, oc], ...) or one value.
    if (!(n === 1 || (n === oc && w.shape[w.shape.length - 1] === oc))) return null;
    alpha = backend.handleOf(w.dataId);
    alphaSize = n;
  }
  return [bias, alpha, alphaSize, act, parts.leakyreluAlpha ?? 0.2];
}

/** Bias and activation as separate broadcasting kernels on y (consumes y). */
export function unfusedEpilogue(backend: DeltaCudaBackend, y: TensorInfo, parts: FusedParts): TensorInfo {
  let out = y;
  const replace = (next: TensorInfo) => { backend.disposeData(out.dataId); out = next; };
  if (parts.bias) replace(runBinary(backend, Binary.Add, out, parts.bias, 'float32', false));
  switch (parts.activation ?? 'linear') {
    case 'linear': break;
    case 'relu': replace(runUnary(backend, Unary.Relu, out, 'float32')); break;
    case 'relu6': replace(runUnary(backend, Unary.Relu6, out, 'float32')); break;
    case 'elu': replace(runUnary(backend, Unary.Elu, out, 'float32')); break;
    case 'sigmoid': replace(runUnary(backend, Unary.Sigmoid, out, 'float32')); break;
    case 'leakyrelu': replace(runUnary(backend, Unary.LeakyRelu, out, 'float32', parts.leakyreluAlpha ?? 0.2)); break;
    case 'prelu': replace(runBinary(backend, Binary.Prelu, out, parts.preluActivationWeights!, 'float32', false)); break;
    default: throw new Error(`delta-cuda: unknown activation '${parts.activation}'`);
  }
  return out;
}

export function geomOf(c: backend_util.Conv2DInfo, mult = 1): Int32Array {
  return Int32Array.from([c.batchSize, c.inHeight, c.inWidth, c.inChannels, c.outHeight, c.outWidth, c.outChannels,
    c.filterHeight, c.filterWidth, c.strideHeight, c.strideWidth,
    c.dilationHeight, c.dilationWidth, c.padInfo.top, c.padInfo.left, mult]);
}

interface ConvAttrs {
  strides: number | [number, number];
  pad: 'valid' | 'same' | number | backend_util.ExplicitPadding;
  dataFormat: 'NHWC' | 'NCHW';
  dilations: number | [number, number];
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
}

export function conv2dFused(backend: DeltaCudaBackend, x: TensorInfo, filter: TensorInfo, attrs: ConvAttrs,
                            parts: FusedParts): TensorInfo {
  if (attrs.dataFormat === 'NCHW') throw new Error('delta-cuda: Conv2D with dataFormat NCHW is not supported (NHWC only)');
  const info = backend_util.computeConv2DInfo(x.shape as [number, number, number, number],
      filter.shape as [number, number, number, number], attrs.strides, attrs.dilations, attrs.pad, attrs.dimRoundingMode,
      false, backend_util.convertConv2DDataFormat(attrs.dataFormat));
  const y = backend.makeOutput(info.outShape, 'float32');
  const ep = epilogueArgs(backend, parts, info.outChannels);
  const [bias, alpha, alphaSize, act, leaky] = ep ?? [0, 0, 0, Activation.Linear, 0];
  backend.addon.conv2d(backend.handleOf(x.dataId), backend.handleOf(filter.dataId), backend.handleOf(y.dataId),
      geomOf(info), bias, alpha, alphaSize, act, leaky);
  return ep ? y : unfusedEpilogue(backend, y, parts);
}

export const conv2dConfig: KernelConfig = {
  kernelName: 'Conv2D', backendName: 'delta-cuda',
  kernelFunc: ({inputs, backend, attrs}) => {
    const {x, filter} = inputs as {x: TensorInfo; filter: TensorInfo};
    if ((attrs as {dataFormat?: string}).dataFormat === 'NCHW') return cpuKernels.get('Conv2D')!({inputs, backend, attrs});
    return conv2dFused(backend as DeltaCudaBackend, x, filter, attrs as unknown as ConvAttrs, {});
  },
};

export const fusedConv2dConfig: KernelConfig = {
  kernelName: 'FusedConv2D', backendName: 'delta-cuda',
  kernelFunc: ({inputs, backend, attrs}) => {
    const {x, filter, bias, preluActivationWeights} = inputs as Record<string, TensorInfo>;
    const a = attrs as unknown as ConvAttrs & {activation: string; leakyreluAlpha?: number};
    if (a.dataFormat === 'NCHW') return cpuKernels.get('FusedConv2D')!({inputs, backend, attrs});  // rare: on the CPU
    return conv2dFused(backend as DeltaCudaBackend, x, filter, a,
        {bias, preluActivationWeights, activation: a.activation, leakyreluAlpha: a.leakyreluAlpha});
  },
};
