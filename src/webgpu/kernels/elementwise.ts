/** Prelu, AddN and FusedBatchNorm on delta-webgpu (kernels-wgsl/elementwise.wgsl). */
import {CallView, input} from '../../core/op_table';
import {boxTable, GatherPlan, identity, pixelView} from '../gather';

const prod = (a: readonly number[]) => a.reduce((x, y) => x * y, 1);
const same = (a: readonly number[], b: readonly number[]) => a.length === b.length && a.every((d, i) => d === b[i]);

function base(call: CallView, x: number, params: GatherPlan['params'], bind: GatherPlan['bind'], varying: number[],
              unitMacs: number, aux?: Float32Array): GatherPlan | string {
  const shape = call.inputs[x].info.shape;
  const view = pixelView(shape);
  if (!view || shape.length === 0) return `delta-webgpu ${call.kernel}: rank ${shape.length} (1..4)`;
  const table = boxTable(view, identity, identity, identity);
  return {
    family: 'elementwise', outShape: [...shape], params, bind, aux,
    marks: varying.map((i) => ({input: i, view, table})), candView: view, unitMacs,
  };
}

/** Strides of `a` broadcast against x's [B, H, W, C] (numpy rules, right-aligned; 0 on broadcast dims). */
function broadcastStrides(a: readonly number[], x: readonly number[]): number[] | null {
  if (a.length > x.length || x.length > 4) return null;
  const strides = [0, 0, 0, 0];
  let s = 1;
  for (let k = 1; k <= a.length; k++) {
    const ad = a[a.length - k], xd = x[x.length - k];
    if (ad !== 1 && ad !== xd) return null;
    strides[4 - k] = ad === 1 ? 0 : s;
    s *= ad;
  }
  return strides;
}

export function preluPlan(call: CallView): GatherPlan | string {
  const xi = call.inputs.findIndex((i) => i.name === 'x'), ai = call.inputs.findIndex((i) => i.name === 'alpha');
  const x = call.inputs[xi].info.shape, a = input(call, 'alpha')!.shape;
  const strides = broadcastStrides(a, x);
  const view = pixelView(x);
  if (!strides || !view) return `delta-webgpu prelu: alpha of shape [${a}] for x [${x}]`;
  return base(call, xi, [0, 0, 0, {f32: 0}, 0, 0, 0, 0, ...strides, view[1], view[2]], [{input: xi}, {input: ai}], [xi], x[x.length - 1]);
}

export function addNPlan(call: CallView): GatherPlan | string {
  const n = call.inputs.length;
  if (n > 4) return `delta-webgpu addn: ${n} inputs (shader binds 4)`;
  if (!call.inputs.every((i) => same(i.info.shape, call.inputs[0].info.shape))) return 'delta-webgpu addn: shapes differ';
  const shape = call.inputs[0].info.shape;
  return base(call, 0, [1, n], call.inputs.map((_i, j) => ({input: j})), call.inputs.map((_i, j) => j),
      shape[shape.length - 1] * Math.max(1, n - 1));
}

/** FusedBatchNorm: the four statistics are packed once into one constant buffer (read by the plane). */
export function batchNormPlan(call: CallView): GatherPlan | string {
  const xi = call.inputs.findIndex((i) => i.name === 'x');
  const len = (name: string) => { const t = input(call, name); return t ? prod(t.shape) : 0; };
  const shape = call.inputs[xi].info.shape;
  const lengths = [len('mean'), len('variance'), len('offset'), len('scale')];
  if (!lengths[0] || !lengths[1]) return 'delta-webgpu batch norm: mean and variance are required';
  const eps = Number(call.attrs['varianceEpsilon'] ?? 0.001);
  return base(call, xi, [2, 0, 0, {f32: eps}, ...lengths], [{input: xi}, 'aux'], [xi], shape[shape.length - 1]);
}

/** Inputs packed into the aux buffer of FusedBatchNorm, in order. */
export const BATCH_NORM_PACKED = ['mean', 'variance', 'offset', 'scale'];
