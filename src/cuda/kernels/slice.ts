/** Slice and StridedSlice: one strided copy each (negative strides read backwards). */
import {KernelConfig, slice_util, TensorInfo} from '@tensorflow/tfjs-core';
import type {DeltaCudaBackend} from '../backend';
import {reshapeInfo, stridedCopy, stridesOf} from './util';

/** out[c] = x[begin + c * step] over `shape` (same rank as x). */
export function sliceInfo(backend: DeltaCudaBackend, x: TensorInfo, begin: readonly number[], shape: readonly number[],
                          step?: readonly number[]): TensorInfo {
  const xs = stridesOf(x.shape);
  let offset = 0;
  for (let d = 0; d < begin.length; d++) offset += begin[d] * xs[d];
  const out = backend.makeOutput([...shape], x.dtype);
  stridedCopy(backend, backend.handleOf(x.dataId), offset, backend.handleOf(out.dataId), 0, shape,
      xs.map((s, d) => s * (step ? step[d] : 1)), stridesOf(shape));
  return out;
}

export const sliceConfig: KernelConfig = {
  kernelName: 'Slice', backendName: 'delta-cuda',
  kernelFunc: ({inputs, backend, attrs}) => {
    const x = (inputs as {x: TensorInfo}).x;
    const a = attrs as unknown as {begin: number | number[]; size: number | number[]};
    const [begin, size] = slice_util.parseSliceParams(x as unknown as Parameters<typeof slice_util.parseSliceParams>[0],
        a.begin, a.size);
    slice_util.assertParamsValid(x as unknown as Parameters<typeof slice_util.assertParamsValid>[0], begin, size);
    return sliceInfo(backend as DeltaCudaBackend, x, begin, size);
  },
};

export const stridedSliceConfig: KernelConfig = {
  kernelName: 'StridedSlice', backendName: 'delta-cuda',
  kernelFunc: ({inputs, backend, attrs}) => {
    const b = backend as DeltaCudaBackend;
    const x = (inputs as {x: TensorInfo}).x;
    const a = attrs as unknown as {begin: number[]; end: number[]; strides: number[]; beginMask: number; endMask: number;
      ellipsisMask: number; newAxisMask: number; shrinkAxisMask: number};
    const info = slice_util.sliceInfo(x.shape, a.begin, a.end, a.strides, a.beginMask, a.endMask, a.ellipsisMask,
        a.newAxisMask, a.shrinkAxisMask);
    if (info.isIdentity) return reshapeInfo(b, x, info.finalShape);
    // Full-rank extent of the slice (shrunk axes have extent 1), then the final shape (a reshape).
    const size = slice_util.computeOutShape(info.begin, info.end, info.strides);
    const sliced = sliceInfo(b, x, info.begin, size, info.strides);
    if (sliced.shape.join() === info.finalShape.join()) return sliced;
    const out = reshapeInfo(b, sliced, info.finalShape);
    b.disposeData(sliced.dataId);
    return out;
  },
};
