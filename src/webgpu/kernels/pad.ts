/** PadV2 on delta-webgpu (kernels-wgsl/pad.wgsl): rank <= 4, any axis incl. channels, a constant. */
import {CallView, input} from '../../core/op_table';
import {boxTable, GatherPlan, pixelView} from '../gather';

export function padPlan(call: CallView): GatherPlan | string {
  const inShape = input(call, 'x')!.shape;
  if (inShape.length > 4) return `delta-webgpu pad: rank ${inShape.length} (<= 4)`;
  const paddings = call.attrs['paddings'] as Array<[number, number]>;
  const constant = Number(call.attrs['constantValue'] ?? 0);
  const outShape = inShape.map((d, i) => paddings[i][0] + d + paddings[i][1]);
  const inView = pixelView(inShape)!, outView = pixelView(outShape)!;
  const lead = 4 - inShape.length;  // pixel dims padded to 3 with leading 1s
  const before = [0, 0, 0, 0];
  paddings.forEach((p, i) => { before[lead + i] = p[0]; });
  // rank 1: the only axis is the channel axis
  const inC = inShape[inShape.length - 1], bc = before[3];
  const shift = (d: number) => (i: number): [number, number] => [i + before[d], i + before[d]];
  return {
    family: 'pad', outShape,
    params: [inView[0], inView[1], inView[2], inC, before[0], before[1], before[2], bc, {f32: constant}, outView[1], outView[2]],
    bind: [{input: 0}],
    marks: [{input: 0, view: inView, table: boxTable(inView, shift(0), shift(1), shift(2))}],
    candView: outView, unitMacs: outShape[outShape.length - 1],
  };
}
