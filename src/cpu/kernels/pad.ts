/**
 * PadV2 delta kernel (any rank, any axis including the last/channel axis; constantValue). Each input
 * pixel (every index but the last) is one output pixel (map precomputed at seed); padded pixels and
 * padded channels hold the constant and never change. A step marks the output pixels of changed input
 * pixels and writes their exact values (input channels + constant padding channels).
 */
import {Candidates, channelsOf, CpuDeltaKernel, CpuKernelCall, CpuSlotStateLike, SeedOutput, sizeOf} from '../types';

interface PadState {
  /** Input pixel -> output pixel. */
  readonly map: Int32Array;
  readonly inChannels: number;
  /** Channel padding before the input's channels. */
  readonly before: number;
  readonly constant: number;
}

function padPixelMap(inShape: readonly number[], outShape: readonly number[], before: readonly number[]): Int32Array {
  const dims = inShape.length - 1;  // pixel dims
  const n = sizeOf(inShape.slice(0, dims));
  const map = new Int32Array(n);
  if (n === 0) return map;
  // Output pixel strides.
  const stride = new Array<number>(dims).fill(1);
  for (let d = dims - 2; d >= 0; d--) stride[d] = stride[d + 1] * outShape[d + 1];
  const coord = new Array<number>(dims).fill(0);
  let base = 0;
  for (let d = 0; d < dims; d++) base += before[d] * stride[d];
  let q = base;
  for (let p = 0; p < n; p++) {
    map[p] = q;
    // Increment the coordinate (odometer), updating q incrementally.
    let d = dims - 1;
    while (d >= 0) {
      coord[d]++;
      q += stride[d];
      if (coord[d] < inShape[d]) break;
      q -= coord[d] * stride[d];
      coord[d] = 0;
      d--;
    }
  }
  return map;
}

function writePixel(s: PadState, x: Float32Array, p: number, out: Float32Array, Cout: number): void {
  const o0 = s.map[p] * Cout;
  const Cin = s.inChannels, b = s.before;
  for (let c = 0; c < b; c++) out[o0 + c] = s.constant;
  const i0 = p * Cin;
  for (let c = 0; c < Cin; c++) out[o0 + b + c] = x[i0 + c];
  for (let c = b + Cin; c < Cout; c++) out[o0 + c] = s.constant;
}

export const padV2Kernel: CpuDeltaKernel = {
  kernelName: 'PadV2',
  seed(k: CpuKernelCall, st: CpuSlotStateLike): SeedOutput {
    const x = k.input('x')!;
    const inShape = x.info.shape;
    const paddings = k.attr<Array<[number, number]>>('paddings');
    const constant = k.attr<number | undefined>('constantValue') ?? 0;
    const outShape = inShape.map((d, i) => paddings[i][0] + d + paddings[i][1]);
    const s: PadState = {
      map: padPixelMap(inShape, outShape, paddings.map((p) => p[0])),
      inChannels: channelsOf(inShape), before: paddings[inShape.length - 1][0], constant,
    };
    st.op = s;
    const Cout = channelsOf(outShape);
    const out = new Float32Array(sizeOf(outShape));
    if (constant !== 0) out.fill(constant);
    if (s.inChannels > 0) for (let p = 0; p < s.map.length; p++) writePixel(s, x.values, p, out, Cout);
    return {values: out, shape: outShape, macs: out.length};
  },
  step(k: CpuKernelCall, st: CpuSlotStateLike, cand: Candidates): number {
    const s = st.op as PadState;
    const x = k.input('x')!;
    const u = x.update;
    if (!u) return 0;
    const C = cand.channels;
    for (let q = 0; q < u.count; q++) {
      const p = u.pixels[q];
      cand.mark(s.map[p]);
      writePixel(s, x.values, p, cand.exact, C);
    }
    return u.count * C;
  },
};
