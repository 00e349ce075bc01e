/** MaxPool / AvgPool on delta-webgpu (kernels-wgsl/pool.wgsl): windows recomputed at touched outputs. */
import {CallView, poolInfo} from '../../core/op_table';
import {boxTable, GatherPlan, identity} from '../gather';

export function poolPlan(call: CallView): GatherPlan | string {
  const info = poolInfo(call);
  if (info.dilationHeight !== 1 || info.dilationWidth !== 1) return 'delta-webgpu pool: dilation';
  const {inHeight: H, inWidth: W, outHeight: OH, outWidth: OW, strideHeight: sH, strideWidth: sW,
    effectiveFilterHeight: fh, effectiveFilterWidth: fw, batchSize: B} = info;
  const pt = info.padInfo.top, pl = info.padInfo.left;
  // output o reads input rows [o*s - pad, o*s - pad + f): input row i is read by o in [lo, hi]
  const range = (pad: number, f: number, s: number, n: number) => (i: number): [number, number] =>
    [Math.max(0, Math.floor((i + pad - f) / s) + 1), Math.min(n - 1, Math.floor((i + pad) / s))];
  return {
    family: 'pool',
    outShape: [B, OH, OW, info.outChannels],
    params: [H, W, OH, OW, sH, sW, {i32: pt}, {i32: pl}, fh, fw, call.kernel === 'AvgPool' ? 1 : 0],
    bind: [{input: 0}],
    marks: [{input: 0, view: [B, H, W], table: boxTable([B, H, W], identity, range(pt, fh, sH, OH), range(pl, fw, sW, OW))}],
    candView: [B, OH, OW],
    unitMacs: info.outChannels,
  };
}
