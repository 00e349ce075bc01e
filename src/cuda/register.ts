/**
 * Side-effect entry point `tfjs-backend-delta/cuda`: registers the `delta-cuda` backend and its kernels,
 * each routed through the delta engine (like ../cpu/register.ts).
 *
 * Kernels: the CUDA ones of kernels/index.ts (one list, as tfjs-backend-webgpu registers its kernels);
 * every other kernel tfjs-backend-cpu has runs on the CPU (download inputs, tfjs-cpu's kernel, upload
 * outputs) and is counted per kernel in backend.cpuFallbacks().
 *
 * Importing never touches the GPU. `await tf.setBackend('delta-cuda')` creates the backend; without the
 * addon or a device it returns false and tfjs prints "Initialization of backend delta-cuda failed" followed
 * by our one-line reason ("delta-cuda: addon not built (...)" / "delta-cuda: no CUDA device: ...").
 * Pick the device before that: DELTA_CUDA_DEVICE=n or configureDeltaCuda({device: n}).
 */
import {backend_util, DataId, findBackendFactory, getKernel, getKernelsForBackend, KernelConfig, KernelFunc, NamedTensorInfoMap,
  registerBackend, registerKernel, TensorInfo} from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import {MathBackendCPU} from '@tensorflow/tfjs-backend-cpu';
import {cpuKernels, DELTA_CUDA, DeltaCudaBackend, denseKernels} from './backend';
import {CUDA_KERNELS} from './kernels/index';
import {ConvPrecision, convPrecision, cudaAvailable, DEFAULT_CONV_PRECISION, deviceInfo, DeltaCudaError, selectConvPrecision, selectDevice} from './native';

export {DELTA_CUDA, DeltaCudaBackend, CUDA_KERNELS, cudaAvailable, deviceInfo, convPrecision, DEFAULT_CONV_PRECISION};
export type {ConvPrecision};

/**
 * Options of delta-cuda. `device` takes effect when the backend is created (before tf.setBackend('delta-cuda'));
 * `convPrecision` ('fp32' | 'tf32x3' | 'tf32' | 'fp16', see native.ts; also $DELTA_CUDA_CONV_PRECISION) at once.
 */
export function configureDeltaCuda(o: {device?: number; convPrecision?: ConvPrecision}): void {
  const known = new Set(['device', 'convPrecision']);
  for (const k of Object.keys(o)) if (!known.has(k)) throw new DeltaCudaError(`delta-cuda: configureDeltaCuda: unknown option ${k}`);
  if (o.device !== undefined) selectDevice(o.device);
  if (o.convPrecision !== undefined) selectConvPrecision(o.convPrecision);
}

let cpu: MathBackendCPU | null = null;
function cpuBackend(): MathBackendCPU {
  if (!cpu) {
    cpu = new MathBackendCPU();
    (cpu as unknown as {firstUse: boolean}).firstUse = false;  // no "use tfjs-node" banner
  }
  return cpu;
}

/**
 * A complex64 tensor on tfjs-cpu from interleaved (re, im) values. tfjs-cpu keeps the parts as two float32
 * tensors under the complex one (complexTensorInfos, as its Complex kernel makes them): its kernels read
 * them there, and disposing the complex tensor disposes them.
 */
function cpuComplex(c: MathBackendCPU, values: Float32Array, shape: number[]): DataId {
  const {real, imag} = backend_util.splitRealAndImagArrays(values);
  const dataId = c.write(null as unknown as backend_util.BackendValues, shape, 'complex64');
  c.data.get(dataId).complexTensorInfos = {
    real: {dataId: c.write(real, shape, 'float32'), shape, dtype: 'float32'},
    imag: {dataId: c.write(imag, shape, 'float32'), shape, dtype: 'float32'},
  };
  return dataId;
}

/** A tfjs-cpu kernel run for delta-cuda: inputs downloaded, outputs uploaded, the call counted. */
function onCpu(config: KernelConfig): KernelFunc {
  return ({inputs, attrs, backend}) => {
    const b = backend as DeltaCudaBackend;
    b.noteCpuFallback(config.kernelName);
    const c = cpuBackend();
    const made: DataId[] = [];
    const toCpu = (info: TensorInfo | null | undefined): TensorInfo | null | undefined => {
      if (info == null) return info;
      const values = b.readSync(info.dataId);
      const dataId = info.dtype === 'complex64' ? cpuComplex(c, values as Float32Array, info.shape) :
        c.write(values, info.shape, info.dtype);
      made.push(dataId);
      return {dataId, shape: info.shape, dtype: info.dtype};
    };
    const cpuInputs = (Array.isArray(inputs) ? (inputs as TensorInfo[]).map(toCpu) :
      Object.fromEntries(Object.entries(inputs).map(([k, v]) => [k, toCpu(v)]))) as NamedTensorInfoMap;
    try {
      const out = config.kernelFunc({inputs: cpuInputs, attrs, backend: c});
      const outs = Array.isArray(out) ? out : [out];
      const back = outs.map((o) => b.makeTensorInfo(o.shape, o.dtype, c.readSync(o.dataId)));
      for (const o of outs) made.push(o.dataId);
      return Array.isArray(out) ? back : back[0];
    } finally {
      for (const id of new Set(made)) c.disposeData(id, true);
    }
  };
}

/** Kernels that only relabel a dataId (refcount + 1, another shape): any dtype, no device access. */
const METADATA_ONLY = new Set(['Reshape', 'ExpandDims', 'Squeeze', 'Identity']);

/**
 * String and complex64 tensors live on the host: a CUDA kernel given one runs on the CPU instead, and so does
 * a Cast to complex64 (tfjs-cpu builds it from the real part and zeros).
 */
function onGpuOrCpu(kernelName: string, gpu: KernelFunc): KernelFunc {
  if (METADATA_ONLY.has(kernelName)) return gpu;
  return (args) => {
    const ins = Object.values(args.inputs ?? {}) as Array<TensorInfo | null | undefined>;
    const onHost = ins.some((t) => t != null && (t.dtype === 'string' || t.dtype === 'complex64')) ||
      (kernelName === 'Cast' && (args.attrs as {dtype?: unknown} | undefined)?.dtype === 'complex64');
    if (onHost && cpuKernels.has(kernelName)) return cpuKernels.get(kernelName)!(args);
    return gpu(args);
  };
}

function routed(kernelName: string, dense: KernelFunc): KernelFunc {
  return (args) => (args.backend as DeltaCudaBackend).deltaEngine.call(kernelName, args, dense);
}

/** Registers `delta-cuda` (idempotent; call again after tf.removeBackend('delta-cuda')). */
export function registerDeltaCuda(priority = 0): void {
  for (const k of getKernelsForBackend('cpu')) cpuKernels.set(k.kernelName, onCpu(k));
  for (const k of CUDA_KERNELS) denseKernels.set(k.kernelName, onGpuOrCpu(k.kernelName, k.kernelFunc));
  for (const [name, k] of cpuKernels) if (!denseKernels.has(name)) denseKernels.set(name, k);
  for (const [name, dense] of denseKernels) {
    if (!getKernel(name, DELTA_CUDA)) registerKernel({kernelName: name, backendName: DELTA_CUDA, kernelFunc: routed(name, dense)});
  }
  if (!findBackendFactory(DELTA_CUDA)) {
    registerBackend(DELTA_CUDA, () => {
      try {
        return new DeltaCudaBackend();
      } catch (e) {
        // tfjs prints err.stack: keep it to the one line that says why.
        const err = e instanceof DeltaCudaError ? e : new DeltaCudaError(`delta-cuda: ${(e as Error).message}`);
        err.stack = err.message;
        throw err;
      }
    }, priority);
  }
}

registerDeltaCuda();
