/**
 * The delta-cpu data plane: input baselines and sparsification, output buffers updated in place
 * (copy-on-write while an older output tensor is alive), truncation at the slot threshold, updates.
 */
import {TensorInfo} from '@tensorflow/tfjs-core';
import type {MathBackendCPU} from '@tensorflow/tfjs-backend-cpu';
import {DataPlane, DebugRecord, InputState, PlaneCall, PlaneResult} from '../core/plane';
import type {Slot} from '../core/slot';
import {Candidates, channelsOf, CpuDeltaKernel, CpuInput, CpuKernelCall, CpuSlotStateLike, CpuUpdate, sizeOf} from './types';

const EMPTY = new Float32Array(0);

class CpuSlotState implements CpuSlotStateLike {
  out: Float32Array = EMPTY;
  outShape: number[] = [];
  /** Tensors whose values array is `out` (it may only be mutated when none of them is alive). */
  outDataIds: object[] = [];
  channels = 1;
  pixels = 0;
  baselines: Array<Float32Array | null> = [];
  op: unknown = null;
  cand: Candidates | null = null;
  debug: DebugRecord | null = null;
  /** Output pixels whose propagated value holds a sub-threshold residual (1), and how many. */
  stale: Uint8Array | null = null;
  staleCount = 0;
}

/** Reads a tensor's values as float32 (int tensors are converted; delta inputs are float32). */
function floatValues(backend: MathBackendCPU, info: TensorInfo): Float32Array {
  const v = backend.data.get(info.dataId).values;
  if (v instanceof Float32Array) return v;
  return Float32Array.from(v as ArrayLike<number>);
}

function hasNonFinite(a: ArrayLike<number>): boolean {
  for (let i = 0; i < a.length; i++) if (!Number.isFinite(a[i])) return true;
  return false;
}

/**
 * Diffs x against the baseline: a pixel is active when the largest |x - base| over its channels
 * exceeds thr; active pixels are copied into the baseline and returned as the update, inactive ones
 * keep their residual (|x - base| <= thr holds for every pixel afterwards).
 */
export function sparsify(base: Float32Array, x: ArrayLike<number>, channels: number, thr: number):
    {update: CpuUpdate | null; nonFinite: boolean; held: number} {
  const pixels = channels === 0 ? 0 : base.length / channels;
  let nonFinite = false;
  let count = 0;
  let held = 0;   // pixels left with a residual (0 < max |x - base| <= thr)
  let idx = new Int32Array(64);
  let delta = new Float32Array(64 * channels);
  for (let p = 0, o = 0; p < pixels; p++, o += channels) {
    let m = 0;
    for (let c = 0; c < channels; c++) {
      const v = x[o + c];
      const a = Math.abs(v - base[o + c]);
      if (a > m) m = a;
      else if (!(a === a)) { m = Infinity; nonFinite = true; }  // NaN
      if (v === Infinity || v === -Infinity) nonFinite = true;
    }
    if (m > thr) {
      if (count === idx.length) {
        const ni = new Int32Array(idx.length * 2); ni.set(idx); idx = ni;
        const nd = new Float32Array(delta.length * 2); nd.set(delta); delta = nd;
      }
      idx[count] = p;
      const d0 = count * channels;
      for (let c = 0; c < channels; c++) {
        const v = x[o + c];
        delta[d0 + c] = v - base[o + c];
        base[o + c] = v;
      }
      count++;
    } else if (m > 0) {
      held++;
    }
  }
  if (count === 0) return {update: null, nonFinite, held};
  return {update: {pixels: idx.subarray(0, count), delta: delta.subarray(0, count * channels), count, channels}, nonFinite, held};
}

export class CpuDataPlane implements DataPlane {
  private readonly kernels = new Map<string, CpuDeltaKernel>();
  private live = 0;
  /** Output buffers that slots update in place on later frames (reads hand out copies of them). */
  private readonly slotOwned = new WeakSet<Float32Array>();

  /** Whether a tensor's values array may still be changed in place by its slot. */
  isSlotOwned(values: unknown): boolean {
    return values instanceof Float32Array && this.slotOwned.has(values);
  }

  constructor(private readonly backend: MathBackendCPU, kernels: readonly CpuDeltaKernel[]) {
    for (const k of kernels) this.kernels.set(k.kernelName, k);
  }

  hasDeltaKernel(kernel: string): boolean {
    return this.kernels.has(kernel);
  }

  hasBaseline(slot: Slot, i: number): boolean {
    const st = slot.plane as CpuSlotState | null;
    return st != null && st.baselines[i] != null;
  }

  release(slot: Slot): void {
    if (slot.plane) {
      slot.plane = null;
      this.live--;
    }
  }

  bufferCount(): number {
    return this.live;
  }

  debugRecord(slot: Slot): DebugRecord | null {
    return (slot.plane as CpuSlotState | null)?.debug ?? null;
  }

  private kernelCall(call: PlaneCall, inputs: CpuInput[]): CpuKernelCall {
    return {
      call,
      inputs,
      input: (name) => inputs.find((i) => i.name === name),
      attr: <T>(name: string) => call.attrs[name] as T,
    };
  }

  seed(slot: Slot, call: PlaneCall, keepBaseline: readonly boolean[]): PlaneResult {
    const kernel = this.kernels.get(call.kernel)!;
    this.release(slot);
    const st = new CpuSlotState();
    let nonFinite = false;
    const inputs: CpuInput[] = call.inputs.map((ni, i) => {
      let values = floatValues(this.backend, ni.info);
      if (keepBaseline[i]) {
        values = values.slice();
        st.baselines[i] = values;
        if (!nonFinite && hasNonFinite(values)) nonFinite = true;
      } else {
        st.baselines[i] = null;
      }
      return {name: ni.name, info: ni.info, values, update: null};
    });
    const r = kernel.seed(this.kernelCall(call, inputs), st);
    slot.plane = st;  // only once the kernel succeeded
    this.live++;
    st.out = r.values;
    this.slotOwned.add(r.values);
    st.outShape = r.shape;
    st.channels = channelsOf(r.shape);
    st.pixels = st.channels === 0 ? 0 : sizeOf(r.shape) / st.channels;
    if (!nonFinite && hasNonFinite(r.values)) nonFinite = true;
    const out = this.backend.makeTensorInfo(r.shape, 'float32', r.values);
    st.outDataIds = [out.dataId];
    if (call.debug) st.debug = this.record(call, inputs, st, [], r.values);
    return {out, update: null, activePixels: st.pixels, totalPixels: st.pixels, macs: r.macs, nonFinite};
  }

  step(slot: Slot, call: PlaneCall, states: readonly InputState[]): PlaneResult | null {
    const st = slot.plane as CpuSlotState | null;
    const kernel = this.kernels.get(call.kernel);
    if (!st || !kernel) return null;
    const raw: Array<Float32Array | null> = [];
    const inputs: CpuInput[] = [];
    let inputStale = 0;
    for (let i = 0; i < call.inputs.length; i++) {
      const ni = call.inputs[i];
      const s = states[i];
      raw[i] = null;
      if (s.kind === 'diff') {
        const base = st.baselines[i]!;
        const x = floatValues(this.backend, ni.info);
        const r = sparsify(base, x, channelsOf(ni.info.shape), call.inputThresholds[i]);
        if (r.nonFinite) return null;
        const inPixels = base.length / Math.max(1, channelsOf(ni.info.shape));
        if (inPixels > 0) inputStale = Math.max(inputStale, r.held / inPixels);
        if (call.debug) raw[i] = x.slice();
        inputs.push({name: ni.name, info: ni.info, values: base, update: r.update});
      } else if (s.kind === 'update') {
        const u = s.update as CpuUpdate;
        if (hasNonFinite(u.delta)) return null;
        inputs.push({name: ni.name, info: ni.info, values: floatValues(this.backend, ni.info), update: u.count ? u : null});
      } else {
        // const / unchanged: a diffed input that did not change keeps its baseline (with residuals).
        inputs.push({name: ni.name, info: ni.info, values: st.baselines[i] ?? floatValues(this.backend, ni.info), update: null});
      }
    }

    const C = st.channels;
    if (!st.cand) st.cand = new Candidates(st.pixels, C);
    const cand = st.cand;
    cand.begin();
    const macs = kernel.step(this.kernelCall(call, inputs), st, cand);

    // Truncation: propagate a candidate pixel when its largest channel change exceeds the threshold.
    const thr = call.outputThreshold;
    const E = cand.exact;
    let P = st.out;
    let n = 0;
    let nonFinite = false;
    const pixels = new Int32Array(cand.count);
    const delta = new Float32Array(cand.count * C);
    const stale = st.stale ??= new Uint8Array(st.pixels);
    for (let k = 0; k < cand.count; k++) {
      const p = cand.list[k];
      const o = p * C;
      let m = 0;
      let bad = false;
      for (let c = 0; c < C; c++) {
        const e = E[o + c];
        const a = Math.abs(e - P[o + c]);
        if (a > m) m = a;
        if (!Number.isFinite(e)) bad = true;
      }
      const s = m > thr || bad ? 0 : (m > 0 ? 1 : 0);
      st.staleCount += s - stale[p];
      stale[p] = s;
      if (m > thr || bad) {
        if (bad) nonFinite = true;
        pixels[n] = p;
        const d0 = n * C;
        for (let c = 0; c < C; c++) delta[d0 + c] = E[o + c] - P[o + c];
        n++;
      }
    }
    const alive = st.outDataIds.filter((id) => this.backend.data.has(id));
    if (n > 0) {
      if (alive.length > 0) {
        P = st.out = P.slice();  // an older output tensor still reads this buffer
        this.slotOwned.add(P);
      }
      for (let j = 0; j < n; j++) {
        const o = pixels[j] * C;
        for (let c = 0; c < C; c++) P[o + c] = E[o + c];
      }
    }
    const out = this.backend.makeTensorInfo(st.outShape, 'float32', P);
    st.outDataIds = n > 0 && alive.length > 0 ? [out.dataId] : [...alive, out.dataId];
    const update: CpuUpdate = {pixels: pixels.subarray(0, n), delta: delta.subarray(0, n * C), count: n, channels: C};
    if (call.debug) st.debug = this.record(call, inputs, st, raw, P);
    const staleFraction = Math.max(inputStale, st.pixels > 0 ? st.staleCount / st.pixels : 0);
    // no input brought a change: no candidate, no state touched (a diffed input's residuals stay in its baseline)
    const quiet = n === 0 && cand.count === 0 && inputs.every((i) => i.update === null);
    return {out, update, activePixels: n, totalPixels: st.pixels, macs, nonFinite, staleFraction, quiet};
  }

  /** The slot's values as a new tensor with an empty update (an output of a call replay skipped). */
  currentOutput(slot: Slot): {out: TensorInfo; update: CpuUpdate} | null {
    const st = slot.plane as CpuSlotState | null;
    if (!st) return null;
    const out = this.backend.makeTensorInfo(st.outShape, 'float32', st.out);
    st.outDataIds = [...st.outDataIds.filter((id) => this.backend.data.has(id)), out.dataId];
    return {out, update: {pixels: new Int32Array(0), delta: EMPTY, count: 0, channels: st.channels}};
  }

  private record(call: PlaneCall, inputs: readonly CpuInput[], st: CpuSlotState,
                 raw: ReadonlyArray<Float32Array | null>, out: Float32Array): DebugRecord {
    return {
      kernel: call.kernel,
      attrs: call.attrs,
      inputs: inputs.map((i) => ({name: i.name, shape: [...i.info.shape], dtype: i.info.dtype, values: i.values.slice()})),
      output: out.slice(),
      outputShape: [...st.outShape],
      outputThreshold: call.outputThreshold,
      inputThresholds: call.inputThresholds,
      rawInputs: call.inputs.map((_, i) => raw[i] ?? null),
    };
  }
}
