/// <reference types="@webgpu/types" />
/**
 * delta-webgpu: tfjs-backend-webgpu's storage and dense kernels (WebGPUBackend subclass), with the
 * delta engine in front of every kernel and the WGSL data plane (plane.ts) behind it.
 */
import {backend_util, DataType} from '@tensorflow/tfjs-core';
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
    return super.readSync(dataId);
  }

  override read(dataId: object): Promise<backend_util.BackendValues> {
    this.deltaEngine.noteRead(dataId);
    return super.read(dataId);
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
