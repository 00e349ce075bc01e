/** Conv2DBackpropInput (transposed conv) on delta-webgpu (kernels-wgsl/conv_transpose.wgsl). */
import {CallView, convTransposeInfo, input} from '../../core/op_table';
import {boxTable, GatherPlan, identity} from '../gather';

export function convTransposePlan(call: CallView): GatherPlan | string {
  const info = convTransposeInfo(call);
  const {inHeight: xh, inWidth: xw, inChannels: xc, outHeight: dh, outWidth: dw, outChannels: dc,
    strideHeight: sH, strideWidth: sW, filterHeight: fh, filterWidth: fw, batchSize: B} = info;
  const pt = info.padInfo.top, pl = info.padInfo.left;
  const di = call.inputs.findIndex((i) => i.name === 'dy'), fi = call.inputs.findIndex((i) => i.name === 'filter');
  if (input(call, 'filter')!.shape[3] !== dc) return 'delta-webgpu conv transpose: filter/dy channels';
  // dy pixel o feeds x rows [o*s - pad, o*s - pad + f - 1]
  const range = (pad: number, f: number, s: number, n: number) => (o: number): [number, number] =>
    [Math.max(0, o * s - pad), Math.min(n - 1, o * s - pad + f - 1)];
  const view: [number, number, number] = [B, dh, dw];
  return {
    family: 'conv_transpose',
    outShape: [B, xh, xw, xc],
    params: [xh, xw, xc, dh, dw, dc, sH, sW, fh, fw, {i32: pt}, {i32: pl}],
    bind: [{input: di}, {input: fi}],
    marks: [{input: di, view, table: boxTable(view, identity, range(pt, fh, sH, xh), range(pl, fw, sW, xw))}],
    candView: [B, xh, xw],
    unitMacs: xc * dc,
  };
}
