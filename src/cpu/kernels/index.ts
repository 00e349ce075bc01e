/** Every delta kernel of delta-cpu, registered from this one list. */
import {CpuDeltaKernel} from '../types';
import {conv2dKernel, fusedConv2dKernel} from './conv2d';
import {conv2dBackpropInputKernel} from './conv2d_backprop_input';
import {depthwiseConv2dKernel, fusedDepthwiseConv2dKernel} from './depthwise_conv2d';
import {POINTWISE_KERNELS} from './pointwise';
import {maxPoolKernel} from './max_pool';
import {avgPoolKernel} from './avg_pool';
import {resizeBilinearKernel} from './resize_bilinear';
import {resizeNearestNeighborKernel} from './resize_nearest_neighbor';
import {concatKernel} from './concat';
import {padV2Kernel} from './pad';
import {meanKernel} from './mean';

export const CPU_DELTA_KERNELS: CpuDeltaKernel[] = [
  conv2dKernel, fusedConv2dKernel, depthwiseConv2dKernel, fusedDepthwiseConv2dKernel, conv2dBackpropInputKernel,
  ...POINTWISE_KERNELS,
  maxPoolKernel, avgPoolKernel, resizeBilinearKernel, resizeNearestNeighborKernel, concatKernel, padV2Kernel,
  meanKernel,
];
