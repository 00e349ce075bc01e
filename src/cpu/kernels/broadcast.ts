/** Broadcasting helpers (numpy rules, as tfjs' binary ops). */

/** Maps each flat output index to the flat index of an input broadcast to outShape. */
export function broadcastIndexMap(inShape: readonly number[], outShape: readonly number[]): Int32Array {
  const rank = outShape.length;
  const offset = rank - inShape.length;
  const inStrides = new Array<number>(rank).fill(0);
  let stride = 1;
  for (let d = rank - 1; d >= offset; d--) {
    const size = inShape[d - offset];
    inStrides[d] = size === 1 ? 0 : stride;
    stride *= size;
  }
  let total = 1;
  for (const d of outShape) total *= d;
  const map = new Int32Array(total);
  const coord = new Array<number>(rank).fill(0);
  let idx = 0;
  for (let i = 0; i < total; i++) {
    map[i] = idx;
    for (let d = rank - 1; d >= 0; d--) {
      coord[d]++;
      idx += inStrides[d];
      if (coord[d] < outShape[d]) break;
      idx -= inStrides[d] * coord[d];
      coord[d] = 0;
    }
  }
  return map;
}

export function sameShape(a: readonly number[], b: readonly number[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Broadcast values of `shape` to `outShape` as a dense array (small tensors: bias, prelu weights). */
export function broadcastValues(values: Float32Array, shape: readonly number[], outShape: readonly number[]): Float32Array {
  const map = broadcastIndexMap(shape, outShape);
  const out = new Float32Array(map.length);
  for (let i = 0; i < map.length; i++) out[i] = values[map[i]];
  return out;
}
