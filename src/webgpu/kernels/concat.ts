/** Concat on delta-webgpu (kernels-wgsl/concat.wgsl): up to 4 inputs, any axis of a rank <= 4 tensor. */
import {backend_util, util} from '@tensorflow/tfjs-core';
import {CallView} from '../../core/op_table';
import {boxTable, GatherPlan, identity} from '../gather';

const prod = (a: readonly number[]) => a.reduce((x, y) => x * y, 1);

export function concatPlan(call: CallView): GatherPlan | string {
  const n = call.inputs.length;
  if (n > 4) return `delta-webgpu concat: ${n} inputs (shader binds 4)`;
  const shapes = call.inputs.map((i) => i.info.shape);
  const rank = shapes[0].length;
  const axis = util.parseAxisParam(call.attrs['axis'] as number | number[], shapes[0])[0];
  backend_util.assertParamsConsistent(shapes, axis);
  const outShape = backend_util.computeOutShape(shapes, axis);
  if (shapes.some((s) => prod(s) === 0)) return 'delta-webgpu concat: an empty input';
  const dims = new Array<number>(4).fill(0), offs = new Array<number>(4).fill(0);
  if (axis === rank - 1) {
    const P = prod(outShape.slice(0, -1));
    let off = 0;
    shapes.forEach((s, j) => { dims[j] = s[rank - 1]; offs[j] = off; off += s[rank - 1]; });
    const view: [number, number, number] = [1, 1, P];
    return {
      family: 'concat', outShape, params: [n, 1, ...dims, ...offs, 1, 1],
      bind: call.inputs.map((_i, j) => ({input: j})),
      marks: call.inputs.map((_i, j) => ({input: j, view, table: boxTable(view, identity, identity, identity)})),
      candView: view, unitMacs: outShape[rank - 1],
    };
  }
  // pixel axis: [outer, axis, inner] pixels
  const outer = prod(outShape.slice(0, axis)), inner = prod(outShape.slice(axis + 1, rank - 1)), A = outShape[axis];
  let start = 0;
  const marks = shapes.map((s, j) => {
    dims[j] = s[axis];
    offs[j] = start;
    const view: [number, number, number] = [outer, s[axis], inner];
    const st = start;
    start += s[axis];
    return {input: j, view, table: boxTable(view, identity, (i) => [i + st, i + st], identity)};
  });
  return {
    family: 'concat', outShape, params: [n, 0, ...dims, ...offs, A, inner],
    bind: call.inputs.map((_i, j) => ({input: j})), marks,
    candView: [outer, A, inner], unitMacs: outShape[rank - 1],
  };
}
