/**
 * The delta kernels' native functions (binding/delta_*.cc over kernels-cuda/delta_*.cu), typed, on top of
 * the addon's core exports (src/cuda/native.ts). Buffers are handles; a "counter entry" is the 64-byte
 * record of one step in the plane's counter ring (counters.ts; word layout in kernels-cuda/delta_common.cuh).
 */
import type {DeltaCudaAddon, Handle} from '../native';

/** Fused activations, numbered as kernels-cuda/delta_common.cuh `Activation`. */
export const ACTIVATION: Readonly<Record<string, number>> = {
  linear: 0, relu: 1, relu6: 2, leakyrelu: 3, prelu: 4, elu: 5, sigmoid: 6, tanh: 7,
};

/** Counter words of a step entry (kernels-cuda/delta_common.cuh `counters`). */
export const COUNTER = {CAND: 0, OUT: 1, MACS: 2, NONFINITE: 4, IN0: 5, WORDS: 16, MAX_INPUTS: 11, BYTES: 64} as const;

export interface DeltaKernels {
  deltaConvMark(geom: Int32Array, list: Handle, listCountH: Handle, listCountOff: number, stamp: Handle, gen: number,
                cand: Handle, ctrH: Handle, ctrOff: number): void;
  deltaConvCompute(geom: Int32Array, x: Handle, w: Handle, bias: Handle, alpha: Handle, act: number, leaky: number,
                   cand: Handle, ctrH: Handle, ctrOff: number, e: Handle,
                   vals?: Handle, thr?: number, list?: Handle, groups?: Handle, stamp?: Handle, gen?: number,
                   countH?: Handle, countOff?: number): void;
  deltaPixelMark(list: Handle, listCountH: Handle, listCountOff: number, all: number, pixels: number, stamp: Handle,
                 gen: number, cand: Handle, ctrH: Handle, ctrOff: number): void;
  deltaPointwise(op: number, act: number, leaky: number, a: Handle, aElems: number, modeA: number, b: Handle, bElems: number,
                 modeB: number, cand: Handle, ctrH: Handle, ctrOff: number, pixels: number, channels: number, e: Handle,
                 macsPerElement: number): void;
  deltaTruncate(vals: Handle, e: Handle, cand: Handle, ctrH: Handle, ctrOff: number, pixels: number, channels: number,
                thr: number, list: Handle): void;
  /** stamp 0: diff every pixel (no mark ran). */
  deltaDenseDiff(vals: Handle, out: Handle, stamp: Handle, gen: number, pixels: number, channels: number, thr: number,
                 list: Handle, ctrH: Handle, ctrOff: number): void;
  /** Stream-ordered copy of counter words to pinned host memory; returns a ticket (never waits). */
  deltaCountersAsync(h: Handle, byteOffset: number, bytes: number): number;
  /** true (dst filled, ticket released) once the copy is done; false while in flight (never waits). */
  deltaCountersPoll(ticket: number, dst: Uint32Array): boolean;
  deltaFill(h: Handle, byteOffset: number, bytes: number, byteValue: number): void;
  deltaTimerStart(): void;
  deltaTimerStop(): number;
}

export type DeltaAddon = DeltaCudaAddon & DeltaKernels;

const NAMES: ReadonlyArray<keyof DeltaKernels> = [
  'deltaConvMark', 'deltaConvCompute', 'deltaPixelMark', 'deltaPointwise', 'deltaTruncate', 'deltaFill', 'deltaDenseDiff',
  'deltaCountersAsync', 'deltaCountersPoll',
  'deltaTimerStart', 'deltaTimerStop',
];

/** The addon with its delta kernels; throws one clear error when the addon was built without them. */
export function deltaKernels(addon: DeltaCudaAddon): DeltaAddon {
  const a = addon as DeltaAddon;
  const missing = NAMES.filter((n) => typeof (a as unknown as Record<string, unknown>)[n] !== 'function');
  if (missing.length) {
    throw new Error(`delta-cuda: the addon has no delta kernels (${missing.join(', ')}): rebuild it (npm run build:cuda)`);
  }
  return a;
}
