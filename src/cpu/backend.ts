/** delta-cpu: MathBackendCPU storage and dense kernels, with the delta engine in front of every kernel. */
import {backend_util, DataType} from '@tensorflow/tfjs-core';
import {MathBackendCPU} from '@tensorflow/tfjs-backend-cpu';
import {DeltaEngine} from '../core/engine';
import {CpuDataPlane} from './plane';
import {CPU_DELTA_KERNELS} from './kernels/index';

export const DELTA_CPU = 'delta-cpu';

export class DeltaCpuBackend extends MathBackendCPU {
  readonly deltaEngine: DeltaEngine;
  private readonly plane: CpuDataPlane;

  constructor() {
    super();
    // MathBackendCPU prints a "use tfjs-node" banner on first write; not useful advice here.
    (this as unknown as {firstUse: boolean}).firstUse = false;
    this.plane = new CpuDataPlane(this, CPU_DELTA_KERNELS);
    this.deltaEngine = new DeltaEngine(DELTA_CPU, this, this.plane);
  }

  /**
   * MathBackendCPU hands out its own values array; a slot updates that array in place on a later
   * frame once the tensor is disposed, so what the app got from data()/dataSync() must be a copy.
   */
  override readSync(dataId: object): backend_util.BackendValues {
    this.deltaEngine.noteRead(dataId);
    const values = super.readSync(dataId);
    return this.plane.isSlotOwned(values) ? (values as Float32Array).slice() : values;
  }

  override write(values: backend_util.BackendValues, shape: number[], dtype: DataType): object {
    const dataId = super.write(values, shape, dtype);
    this.deltaEngine.noteWrite(dataId, values, shape, dtype);
    return dataId;
  }

  override disposeData(dataId: object, force = false): boolean {
    const released = super.disposeData(dataId, force);
    if (released && !this.data.has(dataId)) this.deltaEngine.noteDispose(dataId);
    return released;
  }

  override dispose(): void {
    this.deltaEngine.dispose();
    super.dispose();
  }
}
