/**
 * Types of the delta-cpu data plane. Tensors are NHWC-like: a "pixel" is every index but the last
 * dimension, and the last dimension holds the channels that a pixel's change is measured over.
 */
import {TensorInfo} from '@tensorflow/tfjs-core';
import type {PlaneCall} from '../core/plane';

/** Sparse change of a tensor: changed pixels and their per-channel deltas (compact, count x channels). */
export interface CpuUpdate {
  readonly pixels: Int32Array;
  readonly delta: Float32Array;
  readonly count: number;
  readonly channels: number;
}

export interface CpuInput {
  readonly name: string;
  readonly info: TensorInfo;
  /** Dense value this slot sees (for a diffed input: the slot's baseline, not the raw tensor). */
  readonly values: Float32Array;
  /** Change since the slot's previous call; null: unchanged (and always null on a dense run). */
  readonly update: CpuUpdate | null;
}

export interface CpuKernelCall {
  readonly call: PlaneCall;
  readonly inputs: readonly CpuInput[];
  input(name: string): CpuInput | undefined;
  attr<T>(name: string): T;
}

/**
 * Output pixels touched on a delta step. A kernel marks each pixel whose value may have changed
 * and writes its exact new value (all channels) into `exact`; the data plane then truncates.
 */
export class Candidates {
  private readonly stamp: Int32Array;
  private gen = 0;
  readonly list: Int32Array;
  count = 0;
  readonly exact: Float32Array;

  constructor(readonly pixels: number, readonly channels: number) {
    this.stamp = new Int32Array(pixels);
    this.list = new Int32Array(pixels);
    this.exact = new Float32Array(pixels * channels);
  }

  begin(): void {
    this.count = 0;
    if (++this.gen === 0x7fffffff) {
      this.stamp.fill(0);
      this.gen = 1;
    }
  }

  /** Marks pixel p; true if it was not marked yet on this step. */
  mark(p: number): boolean {
    if (this.stamp[p] === this.gen) return false;
    this.stamp[p] = this.gen;
    this.list[this.count++] = p;
    return true;
  }

  isMarked(p: number): boolean {
    return this.stamp[p] === this.gen;
  }

  markAll(): void {
    this.begin();
    for (let p = 0; p < this.pixels; p++) this.mark(p);
  }
}

export interface SeedOutput {
  readonly values: Float32Array;
  readonly shape: number[];
  readonly macs: number;
}

export interface CpuDeltaKernel {
  readonly kernelName: string;
  /** Dense run: compute the whole output and (re)initialize kernel state in st.op. */
  seed(k: CpuKernelCall, st: CpuSlotStateLike): SeedOutput;
  /**
   * Delta run: from the inputs' updates, mark the output pixels that may change and write their
   * exact new values into cand.exact. Returns the multiply-accumulates performed.
   */
  step(k: CpuKernelCall, st: CpuSlotStateLike, cand: Candidates): number;
}

/** The part of a slot's CPU state that kernels use. */
export interface CpuSlotStateLike {
  /** Propagated output (what the output tensor holds); read-only for kernels. */
  readonly out: Float32Array;
  readonly outShape: readonly number[];
  /** Kernel-specific state (accumulators, index maps), set by seed. */
  op: unknown;
}

export function channelsOf(shape: readonly number[]): number {
  return shape.length === 0 ? 1 : shape[shape.length - 1];
}

export function sizeOf(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}
