/**
 * What the delta-cuda plane (src/cuda/plane.ts) needs from one op's sparse kernels. One file per op family
 * (conv.ts, pointwise.ts) builds a CudaDeltaOp for a call when its slot is seeded; the op keeps the
 * call's constant parameters (geometry, weights' handles, activation), so a step only passes buffers.
 */
import type {Handle} from '../native';
import type {DeltaAddon} from './addon';

/** A device word holding a count: (buffer, byte offset). */
export interface CountWord {
  readonly handle: Handle;
  readonly offset: number;
}

/** The buffers of one step (owned by the plane and the slot). */
export interface StepBuffers {
  /** Dense value each input has for this slot (its baseline for a diffed input, else the tensor). */
  readonly inputs: readonly Handle[];
  /** Per output pixel: generation stamp of the last step that marked it. */
  readonly stamp: Handle;
  /** This step's generation (nonzero). */
  readonly gen: number;
  /** Candidate output pixels (compact). */
  readonly cand: Handle;
  /** The step's counter entry (buffer, byte offset of the 64-byte entry). */
  readonly ctr: CountWord;
  /** Exact values of the candidates, [k, channels] (plane scratch). */
  readonly e: Handle;
  /**
   * A mark-free step (ops with `markFree`): cand is the changed input's list and this word holds its count (the
   * kernel copies it into the entry's CAND word); the stamps were not written.
   */
  readonly candCount?: CountWord;
}

/** Truncation fused into the compute (ops with `fusesTruncation`). */
export interface FusedTruncation {
  readonly vals: Handle;
  readonly thr: number;
  readonly list: Handle;
  /** Per candidate group: arrival counters (one word per output pixel, zeroed at seed). */
  readonly groups: Handle;
}

export interface CudaDeltaOp {
  readonly outShape: number[];
  /** Output pixels (all dims but the last) and channels (the last dim). */
  readonly pixels: number;
  readonly channels: number;
  /** MACs of a dense run (as delta-cpu counts them). */
  readonly denseMacs: number;
  /** Input indices whose change can change the output (weights are constants). */
  readonly varying: readonly number[];
  /** Output pixels one changed input pixel can reach (convs; the cost model's bound on a diffed input's candidates). */
  readonly footprint?: number;
  /** A depthwise conv (the cost model may give it its own crossover: its recompute costs more per pixel). */
  readonly depthwise?: boolean;
  /**
   * Output pixel p reads input pixel p alone (a 1x1 conv, stride 1, no padding): the changed input pixels are the
   * candidates, so a sparse step with one changed input needs no mark (StepBuffers.candCount).
   */
  readonly markFree?: boolean;
  /** Dense run: every output pixel into dst ([pixels, channels]). */
  dense(k: DeltaAddon, inputs: readonly Handle[], dst: Handle): void;
  /** Marks the output pixels that input i's changed pixels (list, count word) reach. */
  mark(k: DeltaAddon, i: number, list: Handle, count: CountWord, b: StepBuffers): void;
  /**
   * Exact values of the marked candidates into b.e (and their MACs into the counter entry); with `t`
   * (only when fusesTruncation) also the truncation, in the same launch.
   */
  compute(k: DeltaAddon, b: StepBuffers, t?: FusedTruncation): void;
  /** compute() takes a FusedTruncation (no separate deltaTruncate launch). */
  readonly fusesTruncation: boolean;
}
