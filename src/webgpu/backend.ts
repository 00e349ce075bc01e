/// <reference types="@webgpu/types" />
/**
 * delta-webgpu: tfjs-backend-webgpu's storage and dense kernels (WebGPUBackend subclass), with the
 * delta engine in front of every kernel and the WGSL data plane (plane.ts) behind it.
 */
import {backend_util, DataType, env} from '@tensorflow/tfjs-core';
import {WebGPUBackend} from '@tensorflow/tfjs-backend-webgpu';
import {DeltaEngine} from '../core/engine';
import {WebGpuDataPlane} from './plane';

export const DELTA_WEBGPU = 'delta-webgpu';

type AdapterInfoLike = ConstructorParameters<typeof WebGPUBackend>[1];

export class DeltaWebGPUBackend extends WebGPUBackend {
  readonly deltaEngine: DeltaEngine;
  readonly plane: WebGpuDataPlane;

  constructor(device: GPUDevice, adapterInfo?: AdapterInfoLike) {
    super(device, adapterInfo);
    this.plane = new WebGpuDataPlane(this);
    this.deltaEngine = new DeltaEngine(DELTA_WEBGPU, this, this.plane);
    // releaseResource is private in tfjs-webgpu's typings: wrap it on the instance. It runs when a
    // tensor's data is really freed (at dispose, or at the submit after it when a recorded command
    // still used it).
    const self = this as unknown as {releaseResource(dataId: object): void};
    const release = self.releaseResource.bind(this);
    self.releaseResource = (dataId: object) => {
      this.plane.noteRelease(dataId);
      this.deltaEngine.noteDispose(dataId);
      release(dataId);
    };
  }

  /**
   * Weight values for the engine's stable layer keys (src/core/engine.ts weightHash), only while they are
   * still on the CPU; never a readSync of a GPU buffer: in browsers tfjs-webgpu's readSync goes through a
   * WebGPU canvas (a GPU stall per weight; in headless Chromium on SwiftShader it loses the WebGPU
   * instance, every later call fails), and in Node it throws. null: the key uses dtype and shape, as in Node.
   */
  readValuesForKey(dataId: object): ArrayBufferView | null {
    const values = this.tensorMap.get(dataId)?.values;
    return values && ArrayBuffer.isView(values) ? values : null;
  }

  override write(values: backend_util.BackendValues | null, shape: number[], dtype: DataType): object {
    const dataId = super.write(values as backend_util.BackendValues, shape, dtype);
    this.deltaEngine.noteWrite(dataId, values, shape, dtype);
    return dataId;
  }

  override readSync(dataId: object): backend_util.BackendValues {
    this.deltaEngine.noteRead(dataId);
    if (this.cpuValuesOf(dataId) != null) return super.readSync(dataId);
    const cached = this.plane.readValuesCached(dataId);
    if (cached) return this.keepOnCPU(dataId, cached);
    const token = this.plane.readValuesToken(dataId);
    const values = super.readSync(dataId);
    if (token) this.plane.readValuesStore(token, values);
    return values;
  }

  /**
   * An output aliasing a slot's value buffer that nothing wrote into since its last read-back (a frame whose
   * steps were all empty) is read from the plane's host copy: no GPU copy, submit or map (a fresh array, kept
   * on the tensor as tfjs keeps what it reads). Other outputs of the plane are read back by it (the read-backs
   * of one synchronous run share one submit) and their values kept; any other tensor: tfjs' read.
   */
  override read(dataId: object): Promise<backend_util.BackendValues> {
    this.deltaEngine.noteRead(dataId);
    if (this.cpuValuesOf(dataId) != null || env().getBool('WEBGPU_ENGINE_COMPILE_ONLY')) return super.read(dataId);
    const cached = this.plane.readValuesCached(dataId);
    if (cached) return Promise.resolve(this.keepOnCPU(dataId, cached));
    // the token and the copy are taken now: the values of the buffer's current generation
    const token = this.plane.readValuesToken(dataId);
    if (!token) return super.read(dataId);
    return this.plane.readBack(dataId).then((values) => {
      this.plane.readValuesStore(token, values);
      return this.tensorMap.has(dataId) ? this.keepOnCPU(dataId, values) : values;
    });
  }

  /** As tfjs' convertAndCacheOnCPU (private in its typings): later reads of this tensor return these values. */
  private keepOnCPU(dataId: object, values: Float32Array): Float32Array {
    this.tensorMap.get(dataId).values = values;
    return values;
  }

  /** tfjs' values of a tensor already on the CPU (not uploaded, or read back before), else null. */
  private cpuValuesOf(dataId: object): unknown {
    return this.tensorMap.has(dataId) ? this.tensorMap.get(dataId).values : null;
  }

  override submitQueue(): void {
    this.plane.beforeSubmit();
    super.submitQueue();
    this.plane.afterSubmit();
  }

  override dispose(): void {
    this.deltaEngine.dispose();
    this.plane.dispose();
    super.dispose();
  }
}
