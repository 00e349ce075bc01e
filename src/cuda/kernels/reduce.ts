/**
 * Reductions (Sum, Mean, Max, Min, Prod, ArgMax, ArgMin, All, Any): the reduced axes are moved innermost
 * (a transpose when they are not already), then kernels-cuda/dense_reduce.cu reduces rows.
 * CPU reference: tfjs-backend-cpu's kernels of the same name.
 */
import {backend_util, DataType, KernelConfig, TensorInfo, util} from '@tensorflow/tfjs-core';
import type {DeltaCudaBackend} from '../backend';
import {Reduce} from './codes';
import {transposeInfo} from './transpose';
import {isInt, reshapeInfo, sizeOf} from './util';

function outDtypeOf(op: Reduce, x: DataType): DataType {
  switch (op) {
    case Reduce.Sum: case Reduce.Prod: return x === 'float32' ? 'float32' : 'int32';
    case Reduce.Mean: return 'float32';
    case Reduce.Max: case Reduce.Min: return x === 'bool' ? 'bool' : x;
    case Reduce.ArgMax: case Reduce.ArgMin: return 'int32';
    default: return 'bool';
  }
}

export function reduceInfo(backend: DeltaCudaBackend, op: Reduce, x: TensorInfo, axis: number | number[], keepDims: boolean): TensorInfo {
  const rank = x.shape.length;
  let axes = util.parseAxisParam(axis, x.shape);
  const perm = backend_util.getAxesPermutation(axes, rank);
  let input = x;
  if (perm != null) {
    input = transposeInfo(backend, x, perm);
    axes = backend_util.getInnerMostAxes(axes.length, rank);
  }
  const [outShape, reduceShape] = backend_util.computeOutAndReduceShapes(input.shape, axes);
  const inner = sizeOf(reduceShape), outer = sizeOf(outShape);
  const dtype = outDtypeOf(op, x.dtype);
  const out = backend.makeOutput(outShape, dtype);
  try {
    backend.addon.reduce(op, backend.handleOf(input.dataId), backend.handleOf(out.dataId), outer, inner, isInt(x.dtype), isInt(dtype));
  } finally {
    if (input !== x) backend.disposeData(input.dataId);
  }
  if (!keepDims) return out;
  const kept = reshapeInfo(backend, out, backend_util.expandShapeToKeepDim(outShape, util.parseAxisParam(axis, x.shape)));
  backend.disposeData(out.dataId);
  return kept;
}

function reduceKernel(op: Reduce): KernelConfig['kernelFunc'] {
  return ({inputs, backend, attrs}) => {
    const x = (inputs as {x: TensorInfo}).x;
    // Max names its axes reductionIndices, the others axis.
    const a = attrs as unknown as {axis?: number | number[]; reductionIndices?: number | number[]; keepDims?: boolean};
    const axis = (a.axis ?? a.reductionIndices)!;
    const keepDims = a.keepDims;
    if (x.dtype === 'string' || x.dtype === 'complex64') throw new Error(`delta-cuda: reduction of ${x.dtype} is not supported`);
    if (op === Reduce.ArgMax || op === Reduce.ArgMin) {
      return reduceInfo(backend as DeltaCudaBackend, op, x, [util.parseAxisParam(axis, x.shape)[0]], false);
    }
    return reduceInfo(backend as DeltaCudaBackend, op, x, axis, !!keepDims);
  };
}

const TABLE: Array<[string, Reduce]> = [
  ['Sum', Reduce.Sum], ['Mean', Reduce.Mean], ['Max', Reduce.Max], ['Min', Reduce.Min], ['Prod', Reduce.Prod],
  ['ArgMax', Reduce.ArgMax], ['ArgMin', Reduce.ArgMin], ['All', Reduce.All], ['Any', Reduce.Any],
];
export const REDUCE_KERNELS: KernelConfig[] = TABLE.map(([kernelName, op]) =>
  ({kernelName, backendName: 'delta-cuda', kernelFunc: reduceKernel(op)}));
