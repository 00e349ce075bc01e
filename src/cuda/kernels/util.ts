/** Helpers shared by the dense CUDA kernels' TS wrappers: dtypes, strides, geometry blocks. */
import {DataType, TensorInfo, util} from '@tensorflow/tfjs-core';
import type {DeltaCudaBackend} from '../backend';
import type {Handle} from '../native';

export const MAX_RANK = 6;

/** int32 and bool (stored as int32 0/1) use int arithmetic on the device. */
export function isInt(dtype: DataType): boolean {
  return dtype === 'int32' || dtype === 'bool';
}

export function sizeOf(shape: readonly number[]): number {
  return util.sizeFromShape(shape as number[]);
}

/** Row-major strides (elements). */
export function stridesOf(shape: readonly number[]): number[] {
  const s = new Array<number>(shape.length);
  let k = 1;
  for (let d = shape.length - 1; d >= 0; d--) { s[d] = k; k *= shape[d]; }
  return s;
}

/**
 * Collapses a strided walk (shape, two stride lists) to at most MAX_RANK dims: adjacent dims that are
 * contiguous for both stride lists merge; size-1 dims go. Throws when more than MAX_RANK remain.
 */
export function collapse(shape: readonly number[], s1: readonly number[], s2: readonly number[]):
    {shape: number[]; s1: number[]; s2: number[]} {
  const sh: number[] = [], a: number[] = [], b: number[] = [];
  for (let d = 0; d < shape.length; d++) {
    if (shape[d] === 1) continue;
    const k = sh.length - 1;
    if (k >= 0 && a[k] === s1[d] * shape[d] && b[k] === s2[d] * shape[d]) {
      sh[k] *= shape[d]; a[k] = s1[d]; b[k] = s2[d];
    } else {
      sh.push(shape[d]); a.push(s1[d]); b.push(s2[d]);
    }
  }
  if (sh.length > MAX_RANK) throw new Error(`delta-cuda: more than ${MAX_RANK} non-mergeable dimensions`);
  return {shape: sh, s1: a, s2: b};
}

/** [rank, shape x6, s1 x6, s2 x6] for the binary / stridedCopy kernels. */
export function geom3(shape: readonly number[], s1: readonly number[], s2: readonly number[]): Int32Array {
  const c = collapse(shape, s1, s2);
  const g = new Int32Array(1 + 3 * MAX_RANK);
  g[0] = c.shape.length;
  for (let d = 0; d < c.shape.length; d++) {
    g[1 + d] = c.shape[d]; g[1 + MAX_RANK + d] = c.s1[d]; g[1 + 2 * MAX_RANK + d] = c.s2[d];
  }
  return g;
}

/** Copies x (read through srcStrides from srcOffset) into dst at dstOffset with dstStrides. */
export function stridedCopy(backend: DeltaCudaBackend, src: Handle, srcOffset: number, dst: Handle, dstOffset: number,
                            shape: readonly number[], srcStrides: readonly number[], dstStrides: readonly number[]): void {
  if (sizeOf(shape) === 0) return;
  backend.addon.stridedCopy(src, srcOffset, dst, dstOffset, geom3(shape, srcStrides, dstStrides));
}

/** A tensor sharing x's device buffer under another shape (Reshape semantics: refcount + 1). */
export function reshapeInfo(backend: DeltaCudaBackend, x: TensorInfo, shape: number[]): TensorInfo {
  const n = sizeOf(shape);
  if (n !== sizeOf(x.shape)) throw new Error(`delta-cuda: cannot reshape [${x.shape}] to [${shape}]`);
  backend.incRef(x.dataId);
  return {dataId: x.dataId, shape, dtype: x.dtype};
}

/** A contiguous copy of x (a new buffer). */
export function copyOf(backend: DeltaCudaBackend, x: TensorInfo, shape = x.shape, dtype = x.dtype): TensorInfo {
  const out = backend.makeOutput(shape, dtype);
  const n = sizeOf(shape);
  if (n > 0) backend.addon.copy(backend.handleOf(out.dataId), 0, backend.handleOf(x.dataId), 0, n * 4);
  return out;
}
