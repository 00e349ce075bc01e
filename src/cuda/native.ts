/**
 * The JS side of the delta-cuda addon (binding/ + kernels-cuda/): loads the compiled addon lazily and
 * wraps its functions, bound once, in thin typed helpers (as tfjs-backend-wasm binds its wasm exports).
 *
 * Where the addon is looked for (first hit wins):
 *   1. $DELTA_CUDA_ADDON (a path to a .node file),
 *   2. <package root>/build/cuda/Release/delta_cuda.node  (what `npm run build:cuda` writes).
 * Importing this module never loads anything. `deviceInfo()` never throws; `cuda()` returns the ready
 * addon or throws ONE clear error: "delta-cuda: addon not built (...)" or "delta-cuda: no CUDA device: ...".
 * The delta-cuda backend (backend.ts, register.ts) calls cuda() when it is created.
 */
import {existsSync} from 'fs';
import {join, resolve} from 'path';

export interface CudaDevice {
  name: string;
  /** compute capability, e.g. "9.0" */
  cc: string;
  /** bytes of device memory */
  memory: number;
  multiprocessors: number;
  l2Bytes: number;
}

export interface CudaDeviceInfo {
  count: number;
  devices: CudaDevice[];
  /** why there is no usable device (absent when count > 0) */
  reason?: string;
  /** CUDA driver version (e.g. 13000), 0 without a driver; absent when the addon is not built */
  driverVersion?: number;
  runtimeVersion?: number;
}

export interface CudaBuildInfo {
  /** CMAKE_CUDA_ARCHITECTURES the addon was built for */
  archs: string;
  cudaRuntime: number;
  napiVersion: number;
}

/** The addon's deviceMemory() (binding/addon.cc). */
export interface CudaDeviceMemory {
  /** cudaMemGetInfo: free and total bytes of the device (all processes) */
  free: number;
  total: number;
  /** bytes of device blocks the runtime holds from the driver (live buffers + its block cache) */
  heldBytes: number;
  /** of heldBytes, the freed blocks kept for reuse */
  cachedBytes: number;
  liveBuffers: number;
}

/** A device buffer handle (an index into the addon's bounds-checked table, never a raw pointer). */
export type Handle = number;

/** The addon's raw exports (binding/addon.cc). */
export interface DeltaCudaAddon {
  deviceInfo(): CudaDeviceInfo;
  buildInfo(): CudaBuildInfo;
  init(device: number): number;
  alloc(bytes: number): Handle;
  free(h: Handle): void;
  size(h: Handle): number;
  upload(h: Handle, src: ArrayBufferView | ArrayBuffer, byteOffset?: number): void;
  download<T extends ArrayBufferView | ArrayBuffer>(h: Handle, dst: T, byteOffset?: number): T;
  copy(dst: Handle, dstOffset: number, src: Handle, srcOffset: number, bytes: number): void;
  synchronize(): void;
  liveBuffers(): number;
  /** Device bytes of freed buffers kept for reuse (the runtime's block cache). */
  cachedBytes(): number;
  /** Returns the cached blocks to the driver. */
  trim(): void;
  /** cudaMemGetInfo's free/total (whole device) and the bytes this process's runtime holds (live + cached). */
  deviceMemory(): CudaDeviceMemory;
  /** countZeroed: the count word is known to be zero (a fresh counter entry): no clearing launch before the kernel. */
  sparsify(base: Handle, x: Handle, pixels: number, channels: number, thr: number, idx: Handle, delta: Handle,
           count: Handle, countOffset?: number, readCount?: boolean, nonFiniteOffset?: number, countZeroed?: boolean): number | undefined;
  /**
   * sparsify with its answer on the host at once (kernels-cuda/sparsify.cuh SparsifyReport): waits for the stream
   * and returns 2 * (active pixels) + (1 if x holds a NaN/Inf). `state`: a 16-byte buffer, zeroed once by the caller;
   * the kernel leaves its words 0-2 zeroed and the count in word 3 (for launches queued after it).
   */
  sparsifyProbe(base: Handle, x: Handle, pixels: number, channels: number, thr: number, idx: Handle, delta: Handle, state: Handle): number;
  readU32(h: Handle, byteOffset?: number): number;
  timeSparsify(base: Handle, x: Handle, pixels: number, channels: number, thr: number, idx: Handle, delta: Handle,
               count: Handle, countOffset: number, pristine: Handle, reps: number, flush: Handle): Float64Array;

  // Dense kernels (binding/dense_*.cc; op codes in src/cuda/kernels/codes.ts). All enqueue on the stream.
  unary(op: number, x: Handle, y: Handle, n: number, inInt: boolean, outInt: boolean, a?: number, b?: number): void;
  /** geom = [rank, shape x6, aStride x6, bStride x6] (strides 0 on broadcast dims). */
  binary(op: number, a: Handle, b: Handle, out: Handle, inInt: boolean, outInt: boolean, geom: Int32Array): void;
  /** geom = [rank, shape x6, srcStride x6, dstStride x6], offsets and strides in elements. */
  stridedCopy(src: Handle, srcOffset: number, dst: Handle, dstOffset: number, geom: Int32Array): void;
  fill(dst: Handle, offset: number, n: number, value: number, isInt: boolean): void;
  gather(x: Handle, indices: Handle, out: Handle, outer: number, axisLen: number, inner: number, nIdx: number): void;
  reduce(op: number, x: Handle, y: Handle, outer: number, inner: number, inInt: boolean, outInt: boolean): void;
  softmax(x: Handle, y: Handle, rows: number, cols: number, log?: boolean): void;
  /** geom = [N, H, W, C, OH, OW, OC, KH, KW, sh, sw, dh, dw, padT, padL, mult]; bias/alpha 0 = none. */
  conv2d(x: Handle, w: Handle, y: Handle, geom: Int32Array, bias: Handle, alpha: Handle, alphaSize: number, act: number, leaky: number): void;
  depthwise(x: Handle, w: Handle, y: Handle, geom: Int32Array, bias: Handle, alpha: Handle, alphaSize: number, act: number, leaky: number): void;
  conv2dBackpropInput(dy: Handle, w: Handle, dx: Handle, geom: Int32Array): void;
  /** How conv2d multiplies: 0 fp32 (SIMT FMAs), 1 tf32x3, 2 tf32, 3 fp16 (tensor cores); returns whether the device has them. */
  setConvPrecision?(code: number): boolean;
  pool(x: Handle, y: Handle, geom: Int32Array, isMax: boolean): void;
  resize(x: Handle, y: Handle, n: number, h: number, w: number, c: number, oh: number, ow: number,
         alignCorners: boolean, halfPixelCenters: boolean, nearest: boolean): void;
}

export class DeltaCudaError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DeltaCudaError';
  }
}

/** Where the addon is loaded from (see the module comment). */
export function addonPath(): string {
  const env = typeof process !== 'undefined' ? process.env.DELTA_CUDA_ADDON : undefined;
  if (env) return resolve(env);
  // dist/cjs/cuda/native.js (and src/cuda/native.ts) -> the package root is three folders up.
  return join(__dirname, '..', '..', '..', 'build', 'cuda', 'Release', 'delta_cuda.node');
}

let loaded: {addon: DeltaCudaAddon | null; error: string | null} | null = null;

/** Loads the addon once; returns it, or null with the reason in `addonError()`. Never throws. */
export function tryLoadAddon(): DeltaCudaAddon | null {
  if (loaded) return loaded.addon;
  const path = addonPath();
  if (!existsSync(path)) {
    loaded = {addon: null, error: `delta-cuda: addon not built (run npm run build:cuda; needs nvcc + cmake): ${path} does not exist`};
    return null;
  }
  try {
    loaded = {addon: require(path) as DeltaCudaAddon, error: null};
  } catch (e) {
    loaded = {addon: null,
      error: `delta-cuda: addon not built (run npm run build:cuda; needs nvcc + cmake): ${path} failed to load: ${(e as Error).message}`};
  }
  return loaded.addon;
}

/** Why the addon could not be loaded, or null when it is loaded (or was not tried yet). */
export function addonError(): string | null {
  return loaded?.error ?? null;
}

/** Devices the addon sees, or {count: 0, reason} (addon missing, no driver, no device). Never throws. */
export function deviceInfo(): CudaDeviceInfo {
  const a = tryLoadAddon();
  if (!a) return {count: 0, devices: [], reason: addonError()!};
  return a.deviceInfo();
}

let ready: DeltaCudaAddon | null = null;
let chosenDevice: number | null = null;

/**
 * How dense Conv2D / FusedConv2D multiply on the GPU:
 *   'fp32'   float32 FMAs (SIMT), the reference;
 *   'tf32x3' tensor cores (sm_80+) with each operand split into two TF32 parts: float32 accuracy (the error of
 *            another summation order), faster where a conv is compute-bound;
 *   'tf32'   tensor cores, one TF32 product per term (10-bit mantissas: ~1e-3 relative error per output).
 *   'fp16'   tensor cores on fp16 operands (float32 sums): tf32's mantissas with half the mma instructions, where
 *            inC and outC are multiples of 4 (other layers run 'tf32'); inputs and weights must stay within fp16's
 *            range (|x| <= 65504: larger values become Inf, which the outputs then show; below ~6e-5 they lose
 *            precision).
 * Below sm_80 every setting runs the float32 kernel.
 */
export type ConvPrecision = 'fp32' | 'tf32x3' | 'tf32' | 'fp16';
/** In the addon's code order (setConvPrecision). */
export const CONV_PRECISIONS: readonly ConvPrecision[] = ['fp32', 'tf32x3', 'tf32', 'fp16'];
/**
 * Default: 'fp32'. Under 'tf32x3' the GPU specs and posenet (agreement 1.000) pass, but selfie's segmentation output
 * differs from tfjs-cpu by ~2e-3 relative (H100 run of 2026-12-06, benchmarks/results/cuda-alias-h100): not float32
 * accuracy on every model yet.
 */
export const DEFAULT_CONV_PRECISION: ConvPrecision = 'fp32';
let chosenPrecision: ConvPrecision | null = null;

function parsePrecision(p: unknown, where: string): ConvPrecision {
  if (!CONV_PRECISIONS.includes(p as ConvPrecision)) {
    throw new DeltaCudaError(`delta-cuda: ${where}: unknown conv precision ${JSON.stringify(p)} (one of ${CONV_PRECISIONS.join(', ')})`);
  }
  return p as ConvPrecision;
}

/** The conv precision in effect: configureDeltaCuda's, else $DELTA_CUDA_CONV_PRECISION, else the default. */
export function convPrecision(): ConvPrecision {
  if (chosenPrecision) return chosenPrecision;
  const env = typeof process !== 'undefined' ? process.env.DELTA_CUDA_CONV_PRECISION : undefined;
  return env ? parsePrecision(env, 'DELTA_CUDA_CONV_PRECISION') : DEFAULT_CONV_PRECISION;
}

/** Sets the conv precision; takes effect at once (kernels launched after it), or when the backend starts. */
export function selectConvPrecision(p: ConvPrecision): void {
  chosenPrecision = parsePrecision(p, 'convPrecision');
  if (ready) applyPrecision(ready);
}

function applyPrecision(a: DeltaCudaAddon): void {
  a.setConvPrecision?.(CONV_PRECISIONS.indexOf(convPrecision()));
}

/**
 * Picks the CUDA device for this process (overrides DELTA_CUDA_DEVICE). Must come before the first use
 * (tf.setBackend('delta-cuda')); one process uses one device.
 */
export function selectDevice(device: number): void {
  if (!Number.isInteger(device) || device < 0) throw new DeltaCudaError(`delta-cuda: device ${device} is not a device index`);
  if (ready && chosenDevice !== device) {
    throw new DeltaCudaError(`delta-cuda: already running on device ${chosenDevice}; one process uses one device ` +
        '(choose it before tf.setBackend)');
  }
  chosenDevice = device;
}

/**
 * The addon, initialised on its device ($DELTA_CUDA_DEVICE, default 0; one process uses one device).
 * Throws one DeltaCudaError when the addon is missing or there is no usable device.
 */
export function cuda(): DeltaCudaAddon {
  if (ready) return ready;
  const a = tryLoadAddon();
  if (!a) throw new DeltaCudaError(addonError()!);
  const env = typeof process !== 'undefined' ? process.env.DELTA_CUDA_DEVICE : undefined;
  const device = chosenDevice ?? (env === undefined || env === '' ? 0 : Number(env));
  if (!Number.isInteger(device) || device < 0) throw new DeltaCudaError(`delta-cuda: DELTA_CUDA_DEVICE=${env} is not a device index`);
  const info = a.deviceInfo();
  if (info.count === 0) throw new DeltaCudaError(`delta-cuda: no CUDA device: ${(info.reason ?? 'none found').replace(/^no CUDA device\/driver: /, '')}`);
  try {
    a.init(device);
    applyPrecision(a);
  } catch (e) {
    throw new DeltaCudaError((e as Error).message);
  }
  ready = a;
  chosenDevice = device;
  return a;
}

/** True when cuda() would succeed (addon built and a device present). Never throws. */
export function cudaAvailable(): boolean {
  return deviceInfo().count > 0;
}

/** A float32/int32/uint32 device buffer with typed upload/download (a convenience over handles). */
export class DeviceBuffer {
  readonly handle: Handle;
  private freed = false;
  constructor(readonly bytes: number) {
    this.handle = cuda().alloc(bytes);
  }
  static from(src: Float32Array | Int32Array | Uint32Array): DeviceBuffer {
    const b = new DeviceBuffer(src.byteLength);
    b.upload(src);
    return b;
  }
  upload(src: ArrayBufferView, byteOffset = 0): void {
    cuda().upload(this.handle, src, byteOffset);
  }
  download<T extends ArrayBufferView>(dst: T, byteOffset = 0): T {
    return cuda().download(this.handle, dst, byteOffset);
  }
  free(): void {
    if (this.freed) return;
    this.freed = true;
    cuda().free(this.handle);
  }
}

/**
 * The input rule on the device (kernels-cuda/sparsify.cuh): pixels of x[pixels, channels] whose largest
 * |x - base| exceeds thr are written to idx (compact, order unspecified across tiles) with their deltas
 * in `delta`, and copied into base. The active count is left in `count` (a device word at countOffset)
 * for later launches; with readCount it is also read back (this waits for the stream).
 */
export function sparsify(base: DeviceBuffer, x: DeviceBuffer, pixels: number, channels: number, thr: number,
                         idx: DeviceBuffer, delta: DeviceBuffer, count: DeviceBuffer,
                         opts: {countOffset?: number; readCount?: boolean} = {}): number | undefined {
  return cuda().sparsify(base.handle, x.handle, pixels, channels, thr, idx.handle, delta.handle, count.handle,
      opts.countOffset ?? 0, opts.readCount ?? false);
}
