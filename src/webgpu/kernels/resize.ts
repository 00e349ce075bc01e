/**
 * ResizeBilinear / ResizeNearestNeighbor on delta-webgpu (kernels-wgsl/resize.wgsl): tfjs-backend-cpu's
 * source indices and weights per output row / column, computed here once per slot.
 */
import {CallView, input} from '../../core/op_table';
import {boxTable, GatherPlan, identity, invert} from '../gather';

function bilinearAxis(n: number, old: number, ratio: number, half: boolean) {
  const floor = new Float32Array(n), ceil = new Float32Array(n), frac = new Float32Array(n);
  for (let o = 0; o < n; o++) {
    const f = half ? ratio * (o + 0.5) - 0.5 : ratio * o;
    const fl = Math.max(0, Math.floor(f));
    floor[o] = fl;
    frac[o] = f - fl;
    ceil[o] = Math.min(old - 1, Math.ceil(f));
  }
  return {floor, ceil, frac};
}

function nearestAxis(n: number, old: number, ratio: number, align: boolean, half: boolean): Float32Array {
  const src = new Float32Array(n);
  for (let o = 0; o < n; o++) {
    const f = half ? ratio * (o + 0.5) : ratio * o;
    let i = Math.min(old - 1, align ? Math.round(f) : Math.floor(f));
    if (half) i = Math.max(0, i);
    src[o] = i;
  }
  return src;
}

export function resizePlan(call: CallView): GatherPlan | string {
  const [B, oh, ow, C] = input(call, 'images')!.shape;
  const [nh, nw] = call.attrs['size'] as [number, number];
  const align = Boolean(call.attrs['alignCorners']);
  const half = Boolean(call.attrs['halfPixelCenters']);
  const eff = (o: number, n: number) => (align && n > 1 ? o - 1 : o);
  const rowRatio = eff(oh, nh) / eff(nh, nh), colRatio = eff(ow, nw) / eff(nw, nw);
  const bilinear = call.kernel === 'ResizeBilinear';
  let aux: Float32Array;
  let rows: (i: number) => [number, number], cols: (i: number) => [number, number];
  if (bilinear) {
    const r = bilinearAxis(nh, oh, rowRatio, half), c = bilinearAxis(nw, ow, colRatio, half);
    aux = Float32Array.from([...r.floor, ...r.ceil, ...r.frac, ...c.floor, ...c.ceil, ...c.frac]);
    rows = invert(oh, nh, r.floor, r.ceil);
    cols = invert(ow, nw, c.floor, c.ceil);
  } else {
    const r = nearestAxis(nh, oh, rowRatio, align, half), c = nearestAxis(nw, ow, colRatio, align, half);
    aux = Float32Array.from([...r, ...c]);
    rows = invert(oh, nh, r);
    cols = invert(ow, nw, c);
  }
  return {
    family: 'resize',
    outShape: [B, nh, nw, C],
    params: [oh, ow, nh, nw, bilinear ? 1 : 0],
    bind: [{input: 0}, 'aux'],
    aux,
    marks: [{input: 0, view: [B, oh, ow], table: boxTable([B, oh, ow], identity, rows, cols)}],
    candView: [B, nh, nw],
    unitMacs: C * (bilinear ? 4 : 1),
  };
}
