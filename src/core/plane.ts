/**
 * The contract between the control plane (src/core) and a data plane (cpu, webgpu, cuda).
 * The core decides dense / delta / fallback, owns slots, signatures, frames, streams and stats;
 * a data plane owns the numbers: input baselines, accumulators, output buffers and updates.
 */
import {KernelBackend, TensorInfo} from '@tensorflow/tfjs-core';
import type {CallView, NamedInput, OpSpec} from './op_table';
import type {Slot} from './slot';

export interface PlaneCall {
  readonly kernel: string;
  readonly spec: OpSpec;
  readonly inputs: readonly NamedInput[];
  readonly attrs: Readonly<Record<string, unknown>>;
  readonly backend: KernelBackend;
  /** Output truncation threshold of this slot (0 = propagate every change). */
  readonly outputThreshold: number;
  /** Per input: threshold used when the input is diffed against the slot's baseline. */
  readonly inputThresholds: readonly number[];
  /** Record inputs/outputs for the debug API. */
  readonly debug: boolean;
}

/**
 * How a data plane gets the change of one input on a delta step:
 * - 'const': a constant of the layer (same dataId, guaranteed by the signature);
 * - 'unchanged': same tensor as last frame: no change;
 * - 'update': the tensor carries an update relative to what this slot saw last frame;
 * - 'diff': no usable update: diff the dense value against the slot's stored baseline.
 */
export type InputState =
    {readonly kind: 'const'} | {readonly kind: 'unchanged'} | {readonly kind: 'diff'} |
    {readonly kind: 'update'; readonly update: unknown};

export interface PlaneResult {
  readonly out: TensorInfo;
  /** The output's change relative to this slot's previous output (null on a dense run). */
  readonly update: unknown | null;
  /** Output pixels (all dims but the last) that changed; on a dense run, all of them. */
  readonly activePixels: number;
  readonly totalPixels: number;
  /** Multiply-accumulates actually performed (counted by the kernel, not by a formula). */
  readonly macs: number;
  /** A NaN/Inf was seen in an input or produced: the slot re-seeds on its next call. */
  readonly nonFinite: boolean;
  /**
   * Optional: share of the slot's pixels (outputs, and diffed inputs) whose propagated value holds a
   * sub-threshold residual after this run (0 on a dense run). The engine's error estimate and
   * keyframeErrorBound use it; a plane that does not report it counts as 0.
   */
  readonly staleFraction?: number;
  /**
   * Optional, for data planes whose counts live on a device (delta-webgpu): activePixels and macs
   * above are provisional (usually 0) and this promise delivers the real ones later, without a
   * readback per layer. The engine patches the slot's stats when it resolves; `settleStats()` in the
   * public API awaits every pending one (DataPlane.settle). nonFinite: as above, found on the device
   * (the slot re-seeds on its next call after the counts arrive).
   */
  readonly deferredCounts?: Promise<{activePixels: number; macs: number; nonFinite?: boolean}>;
  /**
   * Optional: the step changed nothing (no input changed: the slot's state and output are as before, the update is
   * empty). Replay then skips the slot's consumers whose other inputs did not change either (DeltaEngine.quietCall).
   */
  readonly quiet?: boolean;
}

export interface DebugRecord {
  readonly kernel: string;
  readonly attrs: Readonly<Record<string, unknown>>;
  /** Dense values of every input as this slot saw them (after input sparsification). */
  readonly inputs: ReadonlyArray<{name: string; shape: number[]; dtype: string; values: Float32Array | Int32Array}>;
  /** The propagated output (what the output tensor holds). */
  readonly output: Float32Array;
  readonly outputShape: number[];
  readonly outputThreshold: number;
  readonly inputThresholds: readonly number[];
  /** Per input: the raw tensor value it was given (before sparsification), for 'diff' inputs. */
  readonly rawInputs: ReadonlyArray<Float32Array | null>;
}

export interface DataPlane {
  /** Whether this data plane implements the delta kernel (else the kernel runs dense: fallback). */
  hasDeltaKernel(kernel: string): boolean;
  /** Dense run that (re)initializes the slot's state. keepBaseline[i]: store input i to diff later. */
  seed(slot: Slot, call: PlaneCall, keepBaseline: readonly boolean[]): PlaneResult;
  /** Delta run; null if it cannot run this step (the core then seeds). */
  step(slot: Slot, call: PlaneCall, inputs: readonly InputState[]): PlaneResult | null;
  /** Whether the slot holds a baseline for input i (needed for 'diff'). */
  hasBaseline(slot: Slot, inputIndex: number): boolean;
  /** Free the slot's data-plane state. */
  release(slot: Slot): void;
  /** Buffers the data plane holds for slots (for leak checks). */
  bufferCount(): number;
  debugRecord(slot: Slot): DebugRecord | null;
  /**
   * Optional: why this data plane cannot run this call as a delta kernel although it implements the
   * kernel (e.g. an activation or a broadcast its shaders do not have); the engine then runs the
   * dense kernel and reports the call as a fallback with this reason. null: supported.
   */
  unsupported?(call: CallView): string | null;
  /** Optional: resolves once every PlaneResult.deferredCounts handed out so far has resolved. */
  settle?(): Promise<void>;
  /**
   * Optional (replay's quiet calls): the slot's current output as a new tensor, with an empty update (as a quiet
   * step hands out); null when the slot holds no output. A plane without it never has calls skipped.
   */
  currentOutput?(slot: Slot): {out: TensorInfo; update: unknown} | null;
  /**
   * Optional (replay's quiet calls that read a model input): whether `info`, input i of the slot's call (a new tensor
   * every frame), differs from the baseline the slot keeps for it by more than `threshold` anywhere, diffed where the
   * data lives. false: the call would be an empty step (the engine skips it). true: it must run, and runs next; what
   * the diff found may be kept for that step (a step that is not that one must seed again). A plane without it runs
   * every call that reads a model input.
   */
  probeInput?(slot: Slot, inputIndex: number, info: TensorInfo, threshold: number): boolean;
}
