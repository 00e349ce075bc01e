/** PadV2 (constant padding): fill with the constant, then one strided copy of x into the interior. */
import {KernelConfig, TensorInfo} from '@tensorflow/tfjs-core';
import type {DeltaCudaBackend} from '../backend';
import {isInt, sizeOf, stridedCopy, stridesOf} from './util';

export const padV2Config: KernelConfig = {
  kernelName: 'PadV2', backendName: 'delta-cuda',
  kernelFunc: ({inputs, backend, attrs}) => {
    const b = backend as DeltaCudaBackend;
    const x = (inputs as {x: TensorInfo}).x;
    const {paddings, constantValue} = attrs as unknown as {paddings: Array<[number, number]>; constantValue: number};
    const outShape = paddings.map((p, d) => p[0] + x.shape[d] + p[1]);
    const out = b.makeOutput(outShape, x.dtype);
    const h = b.handleOf(out.dataId);
    b.addon.fill(h, 0, sizeOf(outShape), constantValue, isInt(x.dtype));
    const os = stridesOf(outShape);
    let offset = 0;
    for (let d = 0; d < outShape.length; d++) offset += paddings[d][0] * os[d];
    stridedCopy(b, b.handleOf(x.dataId), 0, h, offset, x.shape, stridesOf(x.shape), os);
    return out;
  },
};
