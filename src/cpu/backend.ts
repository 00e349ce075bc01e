/** delta-cpu: MathBackendCPU storage and dense kernels, with the delta engine in front of every kernel. */
import {backend_util, DataType} from '@tensorflow/tfjs-core';
import {MathBackendCPU} from '@tensorflow/tfjs-backend-cpu';
import {DeltaEngine} from '../core/engine';
import {CpuDataPlane} from './plane';
import {CPU_DELTA_KERNELS} from './kernels/index';

export const DELTA_CPU = 'delta-cpu';

export class DeltaCpuBackend extends MathBackendCPU {
  readonly deltaEngine: DeltaEngine;

  constructor() {
    super();
    // MathBackendCPU prints a "use tfjs-node" banner on first write; not useful advice here.
    (this as unknown as {firstUse: boolean}).firstUse = false;
    this.deltaEngine = new DeltaEngine(DELTA_CPU, this, new CpuDataPlane(this, CPU_DELTA_KERNELS));
  }

  override write(values: backend_util.BackendValues, shape: number[], dtype: DataType): object {
    const dataId = super.write(values, shape, dtype);
    this.deltaEngine.noteWrite(dataId);
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
