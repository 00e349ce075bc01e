/** The task metric (issue 6) of each catalog model: what `--metric task` and the evaluations use. */
import type {TaskMetricSpec} from '../core/task_metrics';
import type {ModelSpec} from './catalog';

/**
 * The task metric of a catalog model (pose models: keypoints, centernet: detection boxes, selfie: mask),
 * or null for a model without one.
 */
export function taskMetricFor(spec: Pick<ModelSpec, 'name' | 'pose' | 'width' | 'height' | 'outputs'>): TaskMetricSpec | null {
  if (spec.pose === 'posenet') return {kind: 'keypoints', model: 'posenet', outputStride: 16};
  if (spec.pose === 'movenet') return {kind: 'keypoints', model: 'movenet', inputSize: [spec.height, spec.width]};
  if (spec.name === 'centernet') return {kind: 'boxes'};
  if (spec.name === 'selfie') return {kind: 'mask'};
  return null;
}

