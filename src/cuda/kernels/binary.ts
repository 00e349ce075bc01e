/**
 * Elementwise binary kernels with numpy broadcasting (kernels-cuda/dense_elementwise.cu), and AddN.
 * CPU reference: tfjs-backend-cpu's kernel of the same name (same formulas: Mod takes the divisor's sign,
 * FloorDiv floors, comparisons give bool).
 */
import {backend_util, DataType, KernelConfig, KernelFunc, TensorInfo, upcastType} from '@tensorflow/tfjs-core';
import {cpuKernels, DeltaCudaBackend} from '../backend';
import {Binary} from './codes';
import {geom3, isInt, stridesOf} from './util';

/** Strides of `shape` read as if broadcast to `outShape` (0 on broadcast dims). */
function broadcastStrides(shape: readonly number[], outShape: readonly number[]): number[] {
  const s = stridesOf(shape);
  const off = outShape.length - shape.length;
  return outShape.map((_, d) => (d < off || shape[d - off] === 1 ? 0 : s[d - off]));
}

/** inInt: both operands are stored as int32 (int32 or bool); the kernel then computes in int where the op allows. */
export function runBinary(backend: DeltaCudaBackend, op: Binary, a: TensorInfo, b: TensorInfo, outDtype: DataType,
                          computeInt: boolean): TensorInfo {
  const outShape = backend_util.assertAndGetBroadcastShape(a.shape, b.shape);
  const out = backend.makeOutput(outShape, outDtype);
  const geom = geom3(outShape, broadcastStrides(a.shape, outShape), broadcastStrides(b.shape, outShape));
  backend.addon.binary(op, backend.handleOf(a.dataId), backend.handleOf(b.dataId), backend.handleOf(out.dataId),
      computeInt, isInt(outDtype), geom);
  return out;
}

type Kind = 'arith' | 'float' | 'compare' | 'logical' | 'floordiv';

function binaryKernel(name: string, op: Binary, kind: Kind): KernelFunc {
  return (args) => {
    const {a, b} = args.inputs as {a: TensorInfo; b: TensorInfo};
    const be = args.backend as DeltaCudaBackend;
    // The kernel reads both operands with one element type: int storage (int32, bool) or float32. tfjs'
    // ops make the dtypes match first; a mixed pair (a direct runKernel call) runs on the CPU.
    const ints = isInt(a.dtype);
    if (ints !== isInt(b.dtype)) return cpuKernels.get(name)!(args);
    const both = upcastType(a.dtype, b.dtype);
    switch (kind) {
      case 'arith': {
        // int32 op int32 stays int32 (bool operands count as int32), any float32 makes float32.
        const dtype: DataType = both === 'float32' ? 'float32' : 'int32';
        return runBinary(be, op, a, b, dtype, ints);
      }
      case 'float':
        return runBinary(be, op, a, b, 'float32', ints);
      case 'compare':
        return runBinary(be, op, a, b, 'bool', ints);
      case 'logical':
        return runBinary(be, op, a, b, 'bool', ints);
      case 'floordiv':  // tfjs: int32 whatever the operands (floor(a / b) converted)
        return runBinary(be, op, a, b, 'int32', ints);
    }
  };
}

const TABLE: Array<[string, Binary, Kind]> = [
  ['Add', Binary.Add, 'arith'], ['Sub', Binary.Sub, 'arith'], ['Multiply', Binary.Mul, 'arith'],
  ['RealDiv', Binary.Div, 'float'], ['FloorDiv', Binary.FloorDiv, 'floordiv'], ['Mod', Binary.Mod, 'arith'],
  ['SquaredDifference', Binary.SquaredDifference, 'arith'], ['Maximum', Binary.Max, 'arith'], ['Minimum', Binary.Min, 'arith'],
  ['Pow', Binary.Pow, 'arith'], ['Equal', Binary.Equal, 'compare'], ['NotEqual', Binary.NotEqual, 'compare'],
  ['Less', Binary.Less, 'compare'], ['LessEqual', Binary.LessEqual, 'compare'], ['Greater', Binary.Greater, 'compare'],
  ['GreaterEqual', Binary.GreaterEqual, 'compare'], ['LogicalAnd', Binary.And, 'logical'], ['LogicalOr', Binary.Or, 'logical'],
  ['Prelu', Binary.Prelu, 'float'], ['Atan2', Binary.Atan2, 'float'], ['DivNoNan', Binary.DivNoNan, 'float'],
];

export const BINARY_KERNELS: KernelConfig[] = TABLE.map(([name, op, kind]) => {
  const f = binaryKernel(name, op, kind);
  // Prelu's inputs are (x, alpha); the rest (a, b).
  const kernelFunc: KernelFunc = name === 'Prelu' ? (args) => {
    const {x, alpha} = args.inputs as {x: TensorInfo; alpha: TensorInfo};
    if (isInt(x.dtype) !== isInt(alpha.dtype)) return cpuKernels.get('Prelu')!(args);
    return f({...args, inputs: {a: x, b: alpha}});
  } : f;
  return {kernelName: name, backendName: 'delta-cuda', kernelFunc};
});

/** AddN: a sum of same-shape tensors, added left to right (as tfjs-cpu). */
export const addNConfig: KernelConfig = {
  kernelName: 'AddN', backendName: 'delta-cuda',
  kernelFunc: ({inputs, backend}) => {
    const be = backend as DeltaCudaBackend;
    const xs = inputs as unknown as TensorInfo[];
    const dtype: DataType = xs.every((t) => t.dtype !== 'float32') ? 'int32' : 'float32';
    if (xs.length === 1) {
      be.incRef(xs[0].dataId);
      return {dataId: xs[0].dataId, shape: xs[0].shape, dtype: xs[0].dtype};
    }
    let acc = runBinary(be, Binary.Add, xs[0], xs[1], dtype, dtype === 'int32');
    for (let i = 2; i < xs.length; i++) {
      const next = runBinary(be, Binary.Add, acc, xs[i], dtype, dtype === 'int32');
      be.disposeData(acc.dataId);
      acc = next;
    }
    return acc;
  },
};
