/**
 * The "gather" delta kernels of delta-webgpu: every op whose output pixel is a fixed function of a few
 * input pixels, with a separable input->output pixel map (pools, resizes, pad, concat, mean, transposed
 * conv, prelu, addn, batch norm). One shared shape on the device (kernels-wgsl/gather.wgsl +
 * ranges.wgsl): changed input pixels mark the output pixels that read them (a box per input pixel,
 * ranges precomputed here per input row / column / batch), then one pass recomputes the candidates from
 * the dense inputs (the family's `exact`), truncates, updates the values in place and appends the
 * output update. Each op's file in ./kernels/ turns a call into a GatherPlan (or says why it cannot).
 */
import {CallView} from '../core/op_table';
import {Field} from './programs';

/** How one varying input marks output pixels: its pixel view [B, H, W] and the box of each coordinate. */
export interface MarkPlan {
  /** Index into call.inputs. */
  readonly input: number;
  readonly view: readonly [number, number, number];
  /** [bLo(B), bHi(B), rLo(H), rHi(H), cLo(W), cHi(W)] in the output's candidate view. */
  readonly table: Int32Array;
}

export interface GatherPlan {
  /** kernels-wgsl file of the family (prepended to gather.wgsl). */
  readonly family: string;
  readonly outShape: number[];
  /** The family's parameter words (from word 8; see its .wgsl). */
  readonly params: Field[];
  /** What in0..in3 bind: an input of the call (its dense value) or the plan's aux data. */
  readonly bind: ReadonlyArray<{input: number} | 'aux'>;
  /** Constant data computed here (resize source tables, packed batch-norm statistics). */
  readonly aux?: Float32Array;
  /** Varying inputs (every other input is a constant of the layer). */
  readonly marks: readonly MarkPlan[];
  /** The output viewed as [B, H, W] candidate pixels (Mean: its rows [N, H, 1]). */
  readonly candView: readonly [number, number, number];
  /** MACs per unit of `work(op)` of the family. */
  readonly unitMacs: number;
  /** Mean only: the two-pass form (row sums, then batches). */
  readonly mean?: {readonly H: number; readonly W: number; readonly C: number};
}

export type PlanFn = (call: CallView) => GatherPlan | string;

/** A box table for a view [B, H, W]: each coordinate maps to [lo, hi] by the given functions. */
export function boxTable(view: readonly [number, number, number],
                         b: (i: number) => [number, number], r: (i: number) => [number, number],
                         c: (i: number) => [number, number]): Int32Array {
  const [B, H, W] = view;
  const t = new Int32Array(2 * (B + H + W));
  const fill = (off: number, n: number, f: (i: number) => [number, number]) => {
    for (let i = 0; i < n; i++) {
      const [lo, hi] = f(i);
      t[off + i] = lo;
      t[off + n + i] = hi;
    }
  };
  fill(0, B, b);
  fill(2 * B, H, r);
  fill(2 * (B + H), W, c);
  return t;
}

export const identity = (i: number): [number, number] => [i, i];

/** Pixel dims of a shape (all but the last) as a [B, H, W] view (leading 1s), or null above 3 dims. */
export function pixelView(shape: readonly number[]): [number, number, number] | null {
  const dims = shape.slice(0, -1);
  if (dims.length > 3) return null;
  while (dims.length < 3) dims.unshift(1);
  return [dims[0], dims[1], dims[2]];
}

/** Inverts "output o reads input src[o]" per axis into per-input [lo, hi] output ranges (lo > hi: none). */
export function invert(inSize: number, outSize: number, ...sources: ArrayLike<number>[]): (i: number) => [number, number] {
  const lo = new Int32Array(inSize).fill(outSize), hi = new Int32Array(inSize).fill(-1);
  for (const src of sources) {
    for (let o = 0; o < outSize; o++) {
      const i = src[o];
      if (i < 0 || i >= inSize) continue;
      if (o < lo[i]) lo[i] = o;
      if (o > hi[i]) hi[i] = o;
    }
  }
  return (i) => [lo[i], hi[i]];
}
