/**
 * ResizeBilinear and ResizeNearestNeighbor (NHWC): kernels-cuda/dense_pool_resize.cu `resizeKernel`, with
 * tfjs-cpu's source coordinates computed in double. CPU reference: tfjs-backend-cpu's resizeBilinear /
 * resizeNearestNeighbor.
 */
import {KernelConfig, TensorInfo} from '@tensorflow/tfjs-core';
import {cpuKernels, DeltaCudaBackend} from '../backend';

function resize(nearest: boolean): KernelConfig['kernelFunc'] {
  return ({inputs, backend, attrs}) => {
    const b = backend as DeltaCudaBackend;
    const images = (inputs as {images: TensorInfo}).images;
    const {alignCorners, halfPixelCenters, size} = attrs as unknown as
        {alignCorners: boolean; halfPixelCenters: boolean; size: [number, number]};
    if (images.shape.length !== 4) throw new Error(`delta-cuda: resize expects a rank-4 NHWC tensor, got [${images.shape}]`);
    if (images.dtype !== 'float32' && !nearest) return cpuKernels.get('ResizeBilinear')!({inputs, backend, attrs});  // int images: rare
    const [n, h, w, c] = images.shape;
    const [oh, ow] = size;
    const y = b.makeOutput([n, oh, ow, c], images.dtype === 'float32' ? 'float32' : images.dtype);
    // Nearest copies 4-byte words, so int32 works as float32 does.
    b.addon.resize(b.handleOf(images.dataId), b.handleOf(y.dataId), n, h, w, c, oh, ow, !!alignCorners,
        !!halfPixelCenters, nearest);
    return y;
  };
}

export const resizeBilinearConfig: KernelConfig = {kernelName: 'ResizeBilinear', backendName: 'delta-cuda', kernelFunc: resize(false)};
export const resizeNearestNeighborConfig: KernelConfig =
    {kernelName: 'ResizeNearestNeighbor', backendName: 'delta-cuda', kernelFunc: resize(true)};
