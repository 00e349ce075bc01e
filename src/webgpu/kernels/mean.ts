/** Mean over H,W on delta-webgpu (kernels-wgsl/mean.wgsl): row sums of changed rows, then per batch. */
import {CallView, input} from '../../core/op_table';
import {boxTable, GatherPlan, identity} from '../gather';

export function meanPlan(call: CallView): GatherPlan | string {
  const [N, H, W, C] = input(call, 'x')!.shape;
  const keepDims = Boolean(call.attrs['keepDims']);
  const view: [number, number, number] = [N, H, W];
  return {
    family: 'mean',
    outShape: keepDims ? [N, 1, 1, C] : [N, C],
    params: [H, W],
    bind: ['aux'],  // the row sums (the plane binds them)
    marks: [{input: 0, view, table: boxTable(view, identity, identity, () => [0, 0])}],
    candView: [N, H, 1],
    unitMacs: C,
    mean: {H, W, C},
  };
}
