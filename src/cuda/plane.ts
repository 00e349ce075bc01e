/**
 * The data plane of delta-cuda. PLACEHOLDER until the sparse CUDA kernels land (branch cuda-delta
 * replaces this file wholesale): it implements no delta kernel, so the engine runs every kernel through
 * this backend's dense CUDA kernels and stats() reports each call as a fallback
 * ("delta kernel not implemented on delta-cuda"). It holds no state.
 */
import {DataPlane, DebugRecord, PlaneCall, PlaneResult} from '../core/plane';
import type {Slot} from '../core/slot';
import type {DeltaCudaBackend} from './backend';

export class CudaPlane implements DataPlane {
  constructor(readonly backend: DeltaCudaBackend) {}

  hasDeltaKernel(_kernel: string): boolean {
    return false;
  }

  seed(_slot: Slot, call: PlaneCall): PlaneResult {
    throw new Error(`delta-cuda: no delta kernel for ${call.kernel} (the engine must not seed it)`);
  }

  step(): PlaneResult | null {
    return null;
  }

  hasBaseline(): boolean {
    return false;
  }

  release(_slot: Slot): void { /* no state */ }

  bufferCount(): number {
    return 0;
  }

  debugRecord(): DebugRecord | null {
    return null;
  }

  dispose(): void { /* no state */ }
}
