/**
 * Every dense CUDA kernel of delta-cuda, registered from this one list (register.ts), as
 * tfjs-backend-webgpu registers its kernels. A kernel not listed here runs on the CPU (tfjs-cpu's kernel,
 * counted in backend.cpuFallbacks()).
 */
import {KernelConfig} from '@tensorflow/tfjs-core';
import {addNConfig, BINARY_KERNELS} from './binary';
import {concatConfig, packConfig, unpackConfig} from './concat';
import {conv2dConfig, fusedConv2dConfig} from './conv2d';
import {conv2dBackpropInputConfig} from './conv2d_backprop_input';
import {depthwiseConv2dConfig, fusedDepthwiseConv2dConfig} from './depthwise_conv2d';
import {fillConfig, onesLikeConfig, zerosLikeConfig} from './fill';
import {gatherNdConfig, gatherV2Config} from './gather';
import {padV2Config} from './pad';
import {avgPoolConfig, maxPoolConfig} from './pool';
import {REDUCE_KERNELS} from './reduce';
import {expandDimsConfig, reshapeConfig, squeezeConfig} from './reshape';
import {resizeBilinearConfig, resizeNearestNeighborConfig} from './resize';
import {sliceConfig, stridedSliceConfig} from './slice';
import {softmaxConfig} from './softmax';
import {transposeConfig} from './transpose';
import {castConfig, identityConfig, UNARY_KERNELS} from './unary';

export const CUDA_KERNELS: KernelConfig[] = [
  conv2dConfig, fusedConv2dConfig, depthwiseConv2dConfig, fusedDepthwiseConv2dConfig, conv2dBackpropInputConfig,
  maxPoolConfig, avgPoolConfig, resizeBilinearConfig, resizeNearestNeighborConfig,
  ...UNARY_KERNELS, castConfig, identityConfig,
  ...BINARY_KERNELS, addNConfig,
  ...REDUCE_KERNELS, softmaxConfig,
  reshapeConfig, expandDimsConfig, squeezeConfig, transposeConfig, sliceConfig, stridedSliceConfig, padV2Config,
  concatConfig, packConfig, unpackConfig, fillConfig, zerosLikeConfig, onesLikeConfig, gatherV2Config, gatherNdConfig,
];
