/**
 * delta-cuda: a tfjs KernelBackend whose tensors live in CUDA device memory (binding/ + kernels-cuda/),
 * with the delta engine in front of every kernel (like delta-cpu) and the CUDA data plane (plane.ts)
 * behind it.
 *
 * Storage (one entry per dataId, tfjs refcount semantics as tfjs-backend-cpu / -webgpu):
 *   float32, int32: one device buffer, 4 bytes per element, row-major;
 *   bool:           stored as int32 0/1 on the device (kernels see 4-byte elements everywhere), read back
 *                   as Uint8Array as tfjs expects;
 *   string:         kept on the host (no kernel of ours reads strings; the CPU fallback does);
 *   complex64:      kept on the host as tfjs hands it over (interleaved re, im Float32Array, 2 values per
 *                   element); every kernel that reads or makes one runs on the CPU (register.ts: tfjs-cpu's
 *                   kernel, which keeps real and imag parts apart), except the metadata-only ones (Reshape,
 *                   Identity, ...), which share the dataId as for any dtype. No device memory, so
 *                   memory().numBytesInGPU and liveBuffers do not count them; numDataIds() does (one per tensor).
 * Uploads and downloads are ordered on the runtime's one stream through pinned staging buffers
 * (binding/runtime.cc): a download waits for the kernels queued before it, nothing else waits.
 *
 * The API the data plane (src/cuda/plane.ts, branch cuda-delta) builds on, kept stable:
 *   readonly addon: DeltaCudaAddon                 the raw addon (alloc/free/copy/... and every kernel)
 *   readonly deltaEngine: DeltaEngine              constructed with new CudaPlane(this)
 *   handleOf(dataId): Handle                       the device buffer of a tensor
 *   makeOutput(shape, dtype, handle?): TensorInfo  a new tensor on a new (or the given) device buffer;
 *                                                  a given handle's ownership passes to the tensor
 *   makeAlias(shape, handle): TensorInfo           a float32 tensor reading a buffer the plane keeps (a slot's
 *                                                  values): not freed with the tensor; plane.noteRelease(dataId)
 *                                                  is called when the tensor goes
 *   lend(dataId): Handle | null                    the tensor's buffer passes to the plane (the tensor becomes an
 *                                                  alias of it); null when the buffer is not the tensor's alone
 *   runDense(kernelName, inputs, attrs)            the dense kernel the engine calls when it goes dense
 * Plane state buffers are allocated with addon.alloc/free by the plane, never as tensors, so numDataIds()
 * and the engine's leak checks only see tfjs tensors.
 *
 * Kernels with no CUDA implementation run on the CPU (download, tfjs-backend-cpu's kernel, upload) and
 * are counted per kernel in cpuFallbacks().
 */
import {backend_util, BackendTimingInfo, DataId, DataStorage, DataType, engine, KernelBackend, KernelFunc,
  NamedAttrMap, NamedTensorInfoMap, TensorInfo, util} from '@tensorflow/tfjs-core';
import {DeltaEngine} from '../core/engine';
import {cuda, DeltaCudaAddon, DeltaCudaError, Handle} from './native';
import {CudaPlane} from './plane';

export const DELTA_CUDA = 'delta-cuda';

interface CudaTensorData {
  /** Device buffer (null for string and complex64 tensors, which stay on the host). */
  handle: Handle | null;
  shape: number[];
  dtype: DataType;
  refCount: number;
  /** Host values of a string tensor (Uint8Array[]) or a complex64 one (interleaved re, im Float32Array). */
  host: backend_util.BackendValues | null;
  /** The buffer is the data plane's (a slot's values, makeAlias): the plane frees it, not disposeData. */
  borrowed?: boolean;
  /** Bytes this entry added to deviceBytes (taken off when it goes). */
  counted: number;
}

/** Dense kernels of this backend by name (filled by register.ts before any backend is created). */
export const denseKernels = new Map<string, KernelFunc>();
/** Every tfjs-cpu kernel, run for delta-cuda through the CPU (download, kernel, upload; counted). */
export const cpuKernels = new Map<string, KernelFunc>();

/** The interleaved (re, im) values of a complex64 tensor of `shape` (zeros when none are given). */
function complexValues(values: backend_util.BackendValues | null, shape: number[]): Float32Array {
  const n = 2 * util.sizeFromShape(shape);
  if (values == null) return new Float32Array(n);
  const v = values as ArrayLike<number>;
  if (v.length !== n) throw new DeltaCudaError(`delta-cuda: write: ${v.length} values for ${n / 2} complex64 elements (re, im interleaved)`);
  return v instanceof Float32Array ? v : Float32Array.from(v);
}

function bytesOf(shape: readonly number[], dtype: DataType): number {
  return util.sizeFromShape(shape as number[]) * (dtype === 'string' ? 0 : 4);
}

export class DeltaCudaBackend extends KernelBackend {
  readonly addon: DeltaCudaAddon;
  readonly deltaEngine: DeltaEngine;
  readonly plane: CudaPlane;
  readonly data: DataStorage<CudaTensorData>;
  private nextDataId = 0;
  private deviceBytes = 0;
  private readonly fallbackCounts = new Map<string, number>();
  private disposed = false;
  private readonly live = new Set<DataId>();

  /**
   * Throws one DeltaCudaError when the addon is not built or there is no CUDA device. `addon`: another
   * implementation of the addon's functions (test/cuda/emulated_addon.ts runs the backend without a GPU).
   */
  constructor(addon?: DeltaCudaAddon) {
    super();
    this.addon = addon ?? cuda();
    this.data = new DataStorage(this, engine());
    this.plane = new CudaPlane(this);
    this.deltaEngine = new DeltaEngine(DELTA_CUDA, this, this.plane);
  }

  // ---- the API of the data plane ----------------------------------------------------------------

  /** The device buffer holding a tensor's values (4 bytes per element; bool as int32 0/1). */
  handleOf(dataId: DataId): Handle {
    const d = this.data.get(dataId);
    if (!d) throw new DeltaCudaError('delta-cuda: handleOf: the tensor was disposed (or is not on delta-cuda)');
    if (d.handle === null) throw new DeltaCudaError(`delta-cuda: handleOf: a ${d.dtype} tensor has no device buffer`);
    return d.handle;
  }

  /** A new tensor (refCount 1) on a new device buffer, or on `handle` (ownership passes to the tensor). */
  makeOutput(shape: number[], dtype: DataType, handle?: Handle): TensorInfo {
    if (dtype === 'string' || dtype === 'complex64') throw new DeltaCudaError(`delta-cuda: makeOutput: no device storage for ${dtype}`);
    const bytes = bytesOf(shape, dtype);
    if (handle === undefined) {
      handle = this.addon.alloc(bytes);
    } else if (this.addon.size(handle) < bytes) {
      throw new DeltaCudaError(`delta-cuda: makeOutput: buffer ${handle} holds ${this.addon.size(handle)} bytes, ` +
          `[${shape}] ${dtype} needs ${bytes}`);
    }
    const dataId = {id: this.nextDataId++};
    const counted = this.addon.size(handle);
    this.deviceBytes += counted;
    this.data.set(dataId, {handle, shape: [...shape], dtype, refCount: 1, host: null, counted});
    this.live.add(dataId);
    return {dataId, shape, dtype};
  }

  /**
   * A float32 tensor (refCount 1) reading `handle`, a buffer the data plane keeps (a slot's values): the tensor
   * does not own it; when the tensor is freed the plane hears of it (noteRelease) and decides.
   */
  makeAlias(shape: number[], handle: Handle, sized = false): TensorInfo {
    const bytes = bytesOf(shape, 'float32');
    // sized: the plane made the buffer for this shape (a slot's values); the size check is an N-API call per output
    if (!sized && this.addon.size(handle) < bytes) {
      throw new DeltaCudaError(`delta-cuda: makeAlias: buffer ${handle} holds ${this.addon.size(handle)} bytes, [${shape}] needs ${bytes}`);
    }
    const dataId = {id: this.nextDataId++};
    this.deviceBytes += bytes;
    this.data.set(dataId, {handle, shape: [...shape], dtype: 'float32', refCount: 1, host: null, borrowed: true, counted: bytes});
    this.live.add(dataId);
    return {dataId, shape, dtype: 'float32'};
  }

  /**
   * The tensor's buffer passes to the data plane, the tensor now reads it as an alias (makeAlias). Null (nothing
   * changes) when the tensor is not a float32 tensor owning its buffer alone (a Reshape shares dataIds: refCount).
   */
  lend(dataId: DataId): Handle | null {
    const d = this.data.get(dataId);
    if (!d || d.borrowed || d.handle === null || d.dtype !== 'float32' || d.refCount !== 1) return null;
    d.borrowed = true;
    return d.handle;
  }

  /** Runs this backend's dense kernel (the kernelFunc the engine calls when a slot runs dense). */
  runDense(kernelName: string, inputs: NamedTensorInfoMap, attrs: NamedAttrMap): TensorInfo | TensorInfo[] {
    const k = denseKernels.get(kernelName);
    if (!k) throw new DeltaCudaError(`delta-cuda: runDense: no kernel ${kernelName} is registered for delta-cuda`);
    return k({inputs, attrs, backend: this});
  }

  /** Kernels that ran on the CPU (no CUDA kernel), with how many calls each. */
  cpuFallbacks(): Record<string, number> {
    return Object.fromEntries([...this.fallbackCounts.entries()].sort((a, b) => b[1] - a[1]));
  }

  /** Called by the CPU-fallback wrapper (register.ts) once per call. */
  noteCpuFallback(kernelName: string): void {
    this.fallbackCounts.set(kernelName, (this.fallbackCounts.get(kernelName) ?? 0) + 1);
  }

  resetCpuFallbacks(): void {
    this.fallbackCounts.clear();
  }

  // ---- KernelBackend ----------------------------------------------------------------------------

  override write(values: backend_util.BackendValues | null, shape: number[], dtype: DataType): DataId {
    const dataId = {id: this.nextDataId++};
    this.store(dataId, values, shape, dtype, 1);
    this.deltaEngine.noteWrite(dataId, values, shape, dtype);
    return dataId;
  }

  override move(dataId: DataId, values: backend_util.BackendValues | null, shape: number[], dtype: DataType, refCount: number): void {
    this.store(dataId, values, shape, dtype, refCount);
  }

  private store(dataId: DataId, values: backend_util.BackendValues | null, shape: number[], dtype: DataType, refCount: number) {
    if (dtype === 'string' || dtype === 'complex64') {
      const host = dtype === 'string' ? values : complexValues(values, shape);
      this.data.set(dataId, {handle: null, shape, dtype, refCount, host, counted: 0});
      this.live.add(dataId);
      return;
    }
    const size = util.sizeFromShape(shape);
    const handle = this.addon.alloc(size * 4);
    this.deviceBytes += size * 4;
    this.data.set(dataId, {handle, shape, dtype, refCount, host: null, counted: size * 4});
    this.live.add(dataId);
    if (values != null && size > 0) this.upload(handle, values as ArrayLike<number> & ArrayBufferView, dtype, size);
  }

  private upload(handle: Handle, values: ArrayBufferView & ArrayLike<number>, dtype: DataType, size: number) {
    if (values.length !== size) throw new DeltaCudaError(`delta-cuda: write: ${values.length} values for ${size} elements`);
    let src: Float32Array | Int32Array;
    if (dtype === 'float32') src = values instanceof Float32Array ? values : Float32Array.from(values);
    else src = values instanceof Int32Array ? values : Int32Array.from(values as ArrayLike<number>);
    this.addon.upload(handle, src);
  }

  override readSync(dataId: DataId): backend_util.BackendValues {
    this.deltaEngine.noteRead(dataId);
    const d = this.data.get(dataId);
    if (!d) throw new DeltaCudaError('delta-cuda: read of a disposed tensor');
    if (d.dtype === 'string') return d.host as backend_util.BackendValues;
    // a copy, as a float32 read is (a fresh download): the caller may write into what it gets
    if (d.dtype === 'complex64') return (d.host as Float32Array).slice();
    const size = util.sizeFromShape(d.shape);
    if (d.dtype === 'float32') return this.addon.download(d.handle!, new Float32Array(size));
    const ints = this.addon.download(d.handle!, new Int32Array(size));
    if (d.dtype === 'bool') return Uint8Array.from(ints);
    return ints;
  }

  override async read(dataId: DataId): Promise<backend_util.BackendValues> {
    // The download waits only for the work queued before it on the stream; the delta steps' counters ride
    // along (one async copy queued before, delivered after: the stream is drained by then).
    this.plane.beforeRead();
    const values = this.readSync(dataId);
    this.plane.afterRead();
    return values;
  }

  /** Weight bytes for the engine's stable layer keys (one download per weight tensor, at first use). */
  readValuesForKey(dataId: DataId): ArrayBufferView | null {
    const v = this.readSync(dataId);
    return ArrayBuffer.isView(v) ? v : null;
  }

  override refCount(dataId: DataId): number {
    return this.data.has(dataId) ? this.data.get(dataId)!.refCount : 0;
  }

  override incRef(dataId: DataId): void {
    const d = this.data.get(dataId);
    if (d) d.refCount++;
  }

  override disposeData(dataId: DataId, force = false): boolean {
    if (!this.data.has(dataId)) return true;
    const d = this.data.get(dataId)!;
    d.refCount--;
    if (!force && d.refCount > 0) return false;
    this.deviceBytes -= d.counted;
    if (!d.borrowed && d.handle !== null && !this.disposed) this.addon.free(d.handle);
    this.data.delete(dataId);
    this.live.delete(dataId);
    if (d.borrowed) this.plane.noteRelease(dataId);
    this.deltaEngine.noteDispose(dataId);
    return true;
  }

  override numDataIds(): number {
    return this.data.numDataIds();
  }

  /** numBytesInGPU: bytes of live tensors; cachedBytes: freed device blocks the runtime keeps for reuse. */
  override memory(): {unreliable: boolean; reasons?: string[]; numBytesInGPU: number; liveBuffers: number; cachedBytes: number} {
    return {unreliable: false, numBytesInGPU: this.deviceBytes, liveBuffers: this.addon.liveBuffers(),
      cachedBytes: this.addon.cachedBytes()};
  }

  override timerAvailable(): boolean {
    return true;
  }

  /** Wall time of f until the device has finished its work (includes host-side launch overhead). */
  override async time(f: () => void): Promise<BackendTimingInfo> {
    this.addon.synchronize();
    const t0 = util.now();
    f();
    this.addon.synchronize();
    return {kernelMs: util.now() - t0};
  }

  override floatPrecision(): 32 {
    return 32;
  }

  override epsilon(): number {
    return 1e-7;
  }

  override dispose(): void {
    if (this.disposed) return;
    this.deltaEngine.dispose();
    (this.plane as {dispose?: () => void}).dispose?.();
    for (const dataId of [...this.dataIds()]) this.disposeData(dataId, true);
    this.disposed = true;
  }

  /** Every live dataId (DataStorage is a WeakMap: dispose() needs the list). */
  private dataIds(): DataId[] {
    return [...this.live];
  }

  /** Shape, dtype and device buffer of a tensor (for kernels). */
  info(dataId: DataId): CudaTensorData {
    const d = this.data.get(dataId);
    if (!d) throw new DeltaCudaError('delta-cuda: a kernel input was disposed');
    return d;
  }

  /** A new scalar-free output for kernels: shape, dtype, fresh device buffer. */
  makeTensorInfo(shape: number[], dtype: DataType, values?: backend_util.BackendValues): TensorInfo {
    if (values !== undefined || dtype === 'string' || dtype === 'complex64') {
      const dataId = {id: this.nextDataId++};
      this.store(dataId, values ?? null, shape, dtype, 1);
      return {dataId, shape, dtype};
    }
    return this.makeOutput(shape, dtype);
  }

  /** Frees a kernel's intermediate tensor. */
  disposeIntermediateTensorInfo(info: TensorInfo): void {
    this.disposeData(info.dataId);
  }
}
