/** The gather delta kernels of delta-webgpu, registered from one list (kernel name -> plan). */
import {PlanFn} from '../gather';
import {concatPlan} from './concat';
import {convTransposePlan} from './conv_transpose';
import {addNPlan, batchNormPlan, preluPlan} from './elementwise';
import {meanPlan} from './mean';
import {padPlan} from './pad';
import {poolPlan} from './pool';
import {resizePlan} from './resize';

export const GATHER_KERNELS: Readonly<Record<string, PlanFn>> = {
  MaxPool: poolPlan,
  AvgPool: poolPlan,
  ResizeBilinear: resizePlan,
  ResizeNearestNeighbor: resizePlan,
  Concat: concatPlan,
  PadV2: padPlan,
  Mean: meanPlan,
  Conv2DBackpropInput: convTransposePlan,
  Prelu: preluPlan,
  AddN: addNPlan,
  FusedBatchNorm: batchNormPlan,
};
