/**
 * Elementwise unary kernels (kernels-cuda/dense_elementwise.cu `unaryKernel`): one table row per tfjs
 * kernel, plus Cast and Identity. CPU reference: tfjs-backend-cpu's kernel of the same name.
 */
import {DataType, KernelConfig, KernelFunc, TensorInfo} from '@tensorflow/tfjs-core';
import type {DeltaCudaBackend} from '../backend';
import {Unary} from './codes';
import {copyOf, isInt, sizeOf} from './util';

/** Runs unary op `op` of x into a new tensor of dtype `outDtype`. */
export function runUnary(backend: DeltaCudaBackend, op: Unary, x: TensorInfo, outDtype: DataType, a = 0, b = 0): TensorInfo {
  const out = backend.makeOutput(x.shape, outDtype);
  backend.addon.unary(op, backend.handleOf(x.dataId), backend.handleOf(out.dataId), sizeOf(x.shape), isInt(x.dtype),
      isInt(outDtype), a, b);
  return out;
}

/** Output dtype: float ops give float32; sign-preserving ops keep int32. */
function unaryKernel(op: Unary, keepsInt: boolean, params?: (attrs: Record<string, unknown>) => [number, number]): KernelFunc {
  return ({inputs, backend, attrs}) => {
    const x = (inputs as {x: TensorInfo}).x;
    const [a, b] = params ? params((attrs ?? {}) as Record<string, unknown>) : [0, 0];
    const outDtype: DataType = keepsInt && isInt(x.dtype) ? 'int32' : 'float32';
    return runUnary(backend as DeltaCudaBackend, op, x, outDtype, a, b);
  };
}

const TABLE: Array<[string, Unary, boolean, ((attrs: Record<string, unknown>) => [number, number])?]> = [
  ['Relu', Unary.Relu, true], ['Relu6', Unary.Relu6, true], ['Sigmoid', Unary.Sigmoid, false], ['Tanh', Unary.Tanh, false],
  ['Exp', Unary.Exp, false], ['Log', Unary.Log, false], ['Sqrt', Unary.Sqrt, false], ['Rsqrt', Unary.Rsqrt, false],
  ['Neg', Unary.Neg, true], ['Abs', Unary.Abs, true], ['Square', Unary.Square, true], ['Elu', Unary.Elu, false],
  ['LeakyRelu', Unary.LeakyRelu, false, (a) => [Number(a.alpha ?? 0.2), 0]],
  ['Step', Unary.Step, false, (a) => [Number(a.alpha ?? 0), 0]],
  ['Floor', Unary.Floor, false], ['Ceil', Unary.Ceil, false], ['Round', Unary.Round, false], ['Sin', Unary.Sin, false],
  ['Cos', Unary.Cos, false], ['Softplus', Unary.Softplus, false], ['Sign', Unary.Sign, true],
  ['Reciprocal', Unary.Reciprocal, false], ['Log1p', Unary.Log1p, false], ['Expm1', Unary.Expm1, false],
  ['Erf', Unary.Erf, false], ['Selu', Unary.Selu, false],
  ['ClipByValue', Unary.Clip, false, (a) => [Number(a.clipValueMin), Number(a.clipValueMax)]],
];

/** Neg/Abs/... of int32 stay int32; Relu/Relu6 of int32 too (tfjs-cpu keeps the dtype). */
export const UNARY_KERNELS: KernelConfig[] = TABLE.map(([kernelName, op, keepsInt, params]) => ({
  kernelName, backendName: 'delta-cuda', kernelFunc: unaryKernel(op, keepsInt, params),
}));

/** LogicalNot and IsNan give bool. */
UNARY_KERNELS.push(
  {kernelName: 'LogicalNot', backendName: 'delta-cuda', kernelFunc: ({inputs, backend}) =>
    runUnary(backend as DeltaCudaBackend, Unary.Not, (inputs as {x: TensorInfo}).x, 'bool')},
  {kernelName: 'IsNan', backendName: 'delta-cuda', kernelFunc: ({inputs, backend}) =>
    runUnary(backend as DeltaCudaBackend, Unary.IsNan, (inputs as {x: TensorInfo}).x, 'bool')},
);

/** Cast: float -> int truncates, anything -> bool is != 0, a same-dtype cast is a copy. */
export const castConfig: KernelConfig = {
  kernelName: 'Cast', backendName: 'delta-cuda',
  kernelFunc: ({inputs, backend, attrs}) => {
    const b = backend as DeltaCudaBackend;
    const x = (inputs as {x: TensorInfo}).x;
    const dtype = (attrs as {dtype: DataType}).dtype;
    if (dtype === 'complex64' || dtype === 'string' || x.dtype === 'string' || x.dtype === 'complex64') {
      throw new Error(`delta-cuda: Cast from ${x.dtype} to ${dtype} is not supported`);
    }
    if (dtype === x.dtype) return copyOf(b, x);
    if (dtype === 'bool') return runUnary(b, Unary.CastBool, x, 'bool');
    return runUnary(b, Unary.Identity, x, dtype);
  },
};

/** Identity: a new tensor with the same values (tfjs-cpu shares the buffer; a copy is simplest here). */
export const identityConfig: KernelConfig = {
  kernelName: 'Identity', backendName: 'delta-cuda',
  kernelFunc: ({inputs, backend}) => {
    const x = (inputs as {x: TensorInfo}).x;
    const b = backend as DeltaCudaBackend;
    b.incRef(x.dataId);
    return {dataId: x.dataId, shape: x.shape, dtype: x.dtype};
  },
};
