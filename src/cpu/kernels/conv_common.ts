/**
 * Shared machinery of the conv-family delta kernels (output-stationary recompute).
 *
 * A delta step marks the output pixels whose receptive field contains a changed input pixel and
 * recomputes exactly those from the dense input values, with tfjs-backend-cpu's own order of
 * float32 operations (its loops: filter row, filter column, input channel; float32 rounding after
 * every multiply-add; then + bias, then the activation). Consequences: in exact mode delta-cpu equals
 * the cpu backend bit for bit on every frame, even on ill-conditioned models; there is no
 * accumulator and no drift. Work is proportional to the touched output pixels (their taps x channels).
 */
import {backend_util} from '@tensorflow/tfjs-core';
import {convInfo} from '../../core/op_table';
import {Candidates, CpuKernelCall, CpuSlotStateLike, SeedOutput, sizeOf} from '../types';
import {activationFn} from './activations';
import {broadcastValues} from './broadcast';

/** Geometry and per-kernel arithmetic of one conv-family kernel. */
export interface ConvFamily {
  /** Input carrying the frame-to-frame changes ('x' or 'dy'). */
  readonly inputName: string;
  geometry(k: CpuKernelCall): {info: backend_util.Conv2DInfo; outShape: number[]; inGrid: [number, number]};
  /**
   * Marks the output pixels that read input pixel p (batch b, row y, column x); in pixel units of
   * the output (b * outH + row) * outW + col.
   */
  markFrom(info: backend_util.Conv2DInfo, b: number, y: number, x: number, cand: Candidates): void;
  /**
   * Computes output pixel op (all channels) into out[o0 ...] from the dense input, exactly as
   * tfjs-backend-cpu does, using acc (outChannels float32 scratch). Returns the MACs performed.
   */
  pixel(info: backend_util.Conv2DInfo, x: Float32Array, W: Float32Array, op: number,
        acc: Float32Array, out: Float32Array, o0: number): number;
}

interface ConvState {
  readonly info: backend_util.Conv2DInfo;
  readonly outChannels: number;
  /** Pixel grid of the changed input (x for convs, dy for the transposed conv). */
  readonly inPlane: number;
  readonly inWidth: number;
  /** Bias per output element (or per channel when it repeats per pixel), null without bias. */
  readonly bias: Float32Array | null;
  readonly act: ((x: number, alpha: number) => number) | null;
  /** Per output element prelu weights (null unless activation is prelu). */
  readonly alpha: Float32Array | null;
  readonly acc: Float32Array;
}

function biasValues(k: CpuKernelCall, outShape: number[]): Float32Array | null {
  const bias = k.input('bias');
  if (!bias) return null;
  const C = outShape[3];
  const shape = bias.info.shape;
  if (bias.values.length === C && shape[shape.length - 1] === C) return bias.values;  // per channel
  return broadcastValues(bias.values, shape, outShape);
}

/** Writes pixel op's final values: fround(conv + bias), then the activation (as cpu's add + activation kernels). */
function epilogue(s: ConvState, op: number, out: Float32Array, o0: number) {
  const C = s.outChannels;
  const {bias, act, alpha} = s;
  if (bias) {
    const b0 = bias.length === C ? 0 : op * C;
    for (let c = 0; c < C; c++) out[o0 + c] = out[o0 + c] + bias[b0 + c];
  }
  if (act) {
    for (let c = 0; c < C; c++) out[o0 + c] = act(out[o0 + c], alpha ? alpha[op * C + c] : 0);
  }
}

export function seedConv(family: ConvFamily, k: CpuKernelCall, st: CpuSlotStateLike): SeedOutput {
  const {info, outShape, inGrid} = family.geometry(k);
  const activation = k.attr<string | undefined>('activation') ?? 'linear';
  const preluWeights = k.input('preluActivationWeights');
  const s: ConvState = {
    info,
    outChannels: outShape[3],
    inPlane: inGrid[0] * inGrid[1],
    inWidth: inGrid[1],
    bias: biasValues(k, outShape),
    act: activation === 'linear' ? null : activationFn(activation, k.attr<number | undefined>('leakyreluAlpha') ?? 0),
    alpha: activation === 'prelu' && preluWeights ?
        broadcastValues(preluWeights.values, preluWeights.info.shape, outShape) : null,
    acc: new Float32Array(outShape[3]),
  };
  st.op = s;
  const x = k.input(family.inputName)!.values;
  const W = k.input('filter')!.values;
  const out = new Float32Array(sizeOf(outShape));
  const pixels = out.length / s.outChannels;
  let macs = 0;
  for (let op = 0; op < pixels; op++) {
    const o0 = op * s.outChannels;
    macs += family.pixel(info, x, W, op, s.acc, out, o0);
    epilogue(s, op, out, o0);
  }
  return {values: out, shape: outShape, macs};
}

export function stepConv(family: ConvFamily, k: CpuKernelCall, st: CpuSlotStateLike, cand: Candidates): number {
  const s = st.op as ConvState;
  const input = k.input(family.inputName)!;
  const u = input.update;
  if (!u) return 0;
  const {inPlane, inWidth} = s;
  for (let j = 0; j < u.count; j++) {
    const p = u.pixels[j];
    const b = Math.floor(p / inPlane);
    const r = p - b * inPlane;
    const y = Math.floor(r / inWidth);
    family.markFrom(s.info, b, y, r - y * inWidth, cand);
  }
  const W = k.input('filter')!.values;
  const E = cand.exact;
  let macs = 0;
  for (let q = 0; q < cand.count; q++) {
    const op = cand.list[q];
    const o0 = op * s.outChannels;
    macs += family.pixel(s.info, input.values, W, op, s.acc, E, o0);
    epilogue(s, op, E, o0);
  }
  return macs;
}

/**
 * Marks the outputs of a forward conv (or depthwise conv) that read input pixel (b, y, x):
 * out row oy reads y when y = oy * strideH - padTop + kh * dilationH for some filter row kh.
 */
export function markForwardConv(info: backend_util.Conv2DInfo, b: number, y: number, x: number, cand: Candidates): void {
  const {outHeight, outWidth, strideHeight, strideWidth, dilationHeight, dilationWidth, filterHeight, filterWidth} = info;
  const padTop = info.padInfo.top, padLeft = info.padInfo.left;
  for (let kh = 0; kh < filterHeight; kh++) {
    const ty = y + padTop - kh * dilationHeight;
    if (ty < 0 || ty % strideHeight !== 0) continue;
    const oy = ty / strideHeight;
    if (oy >= outHeight) continue;
    const row = (b * outHeight + oy) * outWidth;
    for (let kw = 0; kw < filterWidth; kw++) {
      const tx = x + padLeft - kw * dilationWidth;
      if (tx < 0 || tx % strideWidth !== 0) continue;
      const ox = tx / strideWidth;
      if (ox < outWidth) cand.mark(row + ox);
    }
  }
}

/** Geometry of a forward conv or depthwise conv (the changed input is x). */
export function forwardGeometry(k: CpuKernelCall) {
  const info = convInfo(k.call);
  return {
    info,
    outShape: [info.batchSize, info.outHeight, info.outWidth, info.outChannels],
    inGrid: [info.inHeight, info.inWidth] as [number, number],
  };
}

/**
 * Visits the in-bounds taps of output pixel op of a forward conv in tfjs-backend-cpu's order (filter
 * row, then column), with the offset of the input pixel's channels and the tap index kh * fw + kw.
 * Returns the number of taps visited.
 */
export function forEachForwardTap(info: backend_util.Conv2DInfo, op: number,
                                  visit: (x0: number, tap: number) => void): number {
  const {inHeight, inWidth, inChannels, dilationHeight, dilationWidth, filterHeight, filterWidth} = info;
  const [b, yCorner, xCorner] = windowCorner(info, op);
  let taps = 0;
  for (let kh = 0; kh < filterHeight; kh++) {
    const iy = yCorner + kh * dilationHeight;
    if (iy < 0 || iy >= inHeight) continue;
    for (let kw = 0; kw < filterWidth; kw++) {
      const ix = xCorner + kw * dilationWidth;
      if (ix < 0 || ix >= inWidth) continue;
      visit(((b * inHeight + iy) * inWidth + ix) * inChannels, kh * filterWidth + kw);
      taps++;
    }
  }
  return taps;
}

/**
 * Batch index and top-left input coordinate (may be negative: padding) of the window that output
 * pixel op of a conv or pool reads.
 */
export function windowCorner(info: backend_util.Conv2DInfo, op: number): [number, number, number] {
  const plane = info.outHeight * info.outWidth;
  const b = Math.floor(op / plane);
  const r = op - b * plane;
  const oy = Math.floor(r / info.outWidth);
  const ox = r - oy * info.outWidth;
  return [b, oy * info.strideHeight - info.padInfo.top, ox * info.strideWidth - info.padInfo.left];
}
