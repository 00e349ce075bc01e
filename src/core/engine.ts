/**
 * The control plane (DESIGN §1, §4): maps every kernel call to a slot, validates its signature,
 * detects frames, keeps streams apart, decides dense / delta / fallback, tracks which tensors carry
 * an update and which derive from the delta graph, and keeps per-slot statistics. Data planes do the
 * arithmetic behind the DataPlane interface.
 */
import {KernelBackend, KernelFunc, NamedAttrMap, NamedTensorInfoMap, TensorInfo} from '@tensorflow/tfjs-core';
import {DeltaConfig} from './config';
import {globalState} from './global';
import {CallView, NamedInput, OP_TABLE, OpSpec, size} from './op_table';
import {DataPlane, InputState, PlaneCall, PlaneResult} from './plane';
import {RunMode, Slot} from './slot';
import {contentHash, isSlotName} from './stable_keys';

/** Provenance of a tensor made by a delta kernel. */
interface Tag {
  readonly slot: Slot;
  readonly version: number;
  /** Version of the slot's output the update is relative to (-1: dense run, no update). */
  readonly baseVersion: number;
  /**
   * The earliest version the update applies to as well: the slot's output did not change from this version to
   * baseVersion (its runs in between were quiet), so a consumer that saw any of them can apply it.
   */
  readonly since: number;
  readonly update: unknown | null;
  readonly shape: readonly number[];
}

export const DEFAULT_STREAM = 'default';

/**
 * Per-call facts that do not change while a call's kernel, attributes, input shapes and weights stay the same: a
 * replayed tape (src/core/replay.ts) keeps one per recorded call, filled on its first run, so that the engine does
 * not recompute them every frame.
 */
export interface CallHint {
  why?: string | null;
  signature?: string;
  denseMacs?: number;
  /** The slot the call ran on last (quietCall checks that it is still the call's slot). */
  slot?: Slot;
  /** The slot key slotFor derived last time, with the stream's key state it derived it from (see slotFor). */
  keys?: KeyCache;
}

/**
 * One slotFor derivation: the stream's key state it started from (weighted calls: the occurrences so far in the
 * frame of the weight, by id and by content hash; others: the last keyed slot and the offset from it), the key, and
 * the state it left.
 */
interface KeyCache {
  readonly stream: object;
  readonly weightId: object | null;
  readonly lastKeyed: string;
  readonly lastStable: string;
  readonly offset: number;
  readonly occ: number;
  /** The stream's count records of the weight and of its content hash (weighted calls; null otherwise). */
  readonly occEntry: {epoch: number; n: number} | null;
  readonly stableOcc: number;
  readonly stableEntry: {epoch: number; n: number} | null;
  readonly key: string;
  readonly afterStable: string;
}

/**
 * An input of a call that replay may skip (DeltaEngine.quietCall): a tensor that is the same every frame (a weight,
 * a constant of the tape), or the output of an earlier call of the frame, named by that call's hint (the tensor
 * itself may not exist: a skipped call makes none).
 */
export type QuietInput = {readonly dataId: object} | {readonly producer: CallHint} | {readonly modelInput: number};

/**
 * What a frame recorder (src/core/replay.ts) is told of one model run: the top-level kernel calls (those the
 * app's graph executor makes, not the calls a kernel makes inside), the tensors written outside kernels and
 * reads of tensor values (a graph that reads values while it runs may take another path on the next frame).
 */
export interface CallRecorder {
  call(kernel: string, args: {inputs: NamedTensorInfoMap; attrs?: NamedAttrMap}, dense: KernelFunc, out: TensorInfo | TensorInfo[]): void;
  write(dataId: object, values: unknown, shape: readonly number[], dtype: string): void;
  read(dataId: object): void;
}

/** A count per key that restarts at 0 every frame, without clearing a Map each frame (slotFor's hottest lines were those). */
class FrameCounts<K> {
  private readonly counts = new Map<K, {epoch: number; n: number}>();
  private epoch = 0;
  /** Every count back to 0. */
  restart(): void { this.epoch++; }
  /** The key's record: its count is `n` while `epoch` is current (replayed calls keep the record: no lookup). */
  entry(key: K): {epoch: number; n: number} {
    let e = this.counts.get(key);
    if (!e) this.counts.set(key, e = {epoch: this.epoch, n: 0});
    if (e.epoch !== this.epoch) { e.epoch = this.epoch; e.n = 0; }
    return e;
  }
  current(e: {epoch: number; n: number}): number { return e.epoch === this.epoch ? e.n : 0; }
  set(e: {epoch: number; n: number}, n: number): void { e.epoch = this.epoch; e.n = n; }
  delete(key: K): void { this.counts.delete(key); }
}

class Stream {
  readonly slots = new Map<string, Slot>();
  slotCounter = 0;
  frames = 0;            // frames started so far; the current frame's index is frames - 1
  pos = 0;               // kernel calls in the current frame
  prevLen = 0;           // kernel calls in the previous frame
  firstSig: string | null = null;
  /** firstSig without shapes: the same first call on a new input of another size (resolution, batch). */
  firstLooseSig: string | null = null;
  /** The first call's input tensors and attributes: the same call again is the next frame. */
  firstIds: readonly object[] = [];
  firstAttrs = '';
  frameStartWriteSeq = 0;
  explicitDepth = 0;
  lastKeyed = 'start';
  /** The stable key (survives reloading the model / a new process) of the last keyed slot. */
  lastStable = 'start';
  offset = 0;
  /** Occurrences of each weight (by id) in the current frame. */
  readonly occurrences = new FrameCounts<number>();
  /** Occurrences of each weight content hash + kernel in the current frame. */
  readonly stableOccurrences = new FrameCounts<string>();
  /** Signatures of the calls of the current frame that consumed a new image-like input (rank >= 3). */
  readonly freshImageSigs = new Set<string>();
  keyframe = false;
  resetPending = false;
  /** Error estimate of the frame in progress: sums of denseMacs x staleFraction and of denseMacs. */
  staleMacs = 0;
  estimateMacs = 0;
  /** The last completed frame's error estimate (see DeltaStats.errorEstimate). */
  errorEstimate = 0;
  keyframes = 0;
  /** delta.reset() ran: the next new input (or the first call coming round again) starts frame 0. */
  restart = false;
  constructor(readonly id: string) {}
  get frameIndex(): number { return this.frames - 1; }
}

export interface LayerStats {
  name: string;
  /**
   * Stable layer key: survives reloading the model and a new process (a hash of the filter's contents,
   * the kernel and its occurrence; weightless layers: the last keyed layer's key + offset + kernel).
   * configure({thresholds}) accepts it in place of the name.
   */
  key: string;
  kernel: string;
  outputShape: number[];
  mode: RunMode;
  counts: {dense: number; delta: number; fallback: number};
  /** Share of output pixels that changed on the slot's last run (1 on a dense run). */
  activeFraction: number;
  /** Mean of activeFraction over all runs of the slot. */
  meanActiveFraction: number;
  /** MACs of a dense run / MACs performed on the last run. */
  denseMacs: number;
  performedMacs: number;
  totalDenseMacs: number;
  totalPerformedMacs: number;
  threshold: number;
  fallbackReason: string | null;
  lastFrame: number;
}

export interface DeltaStats {
  backend: string;
  stream: string;
  frame: number;
  layers: LayerStats[];
  totals: {denseMacs: number; performedMacs: number; totalDenseMacs: number; totalPerformedMacs: number;
    slots: number; deltaRuns: number; denseRuns: number; fallbackRuns: number;
    /** Delta runs accounted without running (replay: none of the layer's inputs changed since its last run). */
    skippedRuns: number};
  /**
   * Problems found lazily (no exception mid-model): e.g. keys of configure({thresholds}) /
   * loadThresholds() that match no layer this stream has run.
   */
  warnings: string[];
  /**
   * Error estimate of the last completed frame: the share of the dense MACs of the delta layers whose
   * pixels (outputs or diffed inputs) hold sub-threshold residuals, in [0, 1]. 0 right after a keyframe
   * and in exact mode; keyframeErrorBound compares against it.
   */
  errorEstimate: number;
  /** Keyframes run so far on this stream (interval, error bound or requested; not the first frame). */
  keyframes: number;
}

let nextObjectId = 1;
const objectIds = new WeakMap<object, number>();
function idOf(o: object): number {
  let id = objectIds.get(o);
  if (id === undefined) objectIds.set(o, id = nextObjectId++);
  return id;
}

function namedInputs(inputs: NamedTensorInfoMap | TensorInfo[]): NamedInput[] {
  const out: NamedInput[] = [];
  if (Array.isArray(inputs)) {
    inputs.forEach((info, i) => { if (info != null) out.push({name: String(i), info}); });
  } else {
    for (const name of Object.keys(inputs)) {
      const info = inputs[name];
      if (info != null) out.push({name, info});
    }
  }
  return out;
}

/**
 * A string that is equal for equal attributes (kernel attrs: numbers, strings, booleans, arrays and typed
 * arrays of them, null/undefined). Built by hand: it runs on every kernel call (signatures, frame detection),
 * and JSON.stringify with a replacer cost ~2 us a call, a tenth of the host time of a batch-1 frame.
 */
function attrValueKey(v: unknown): string {
  if (v === null || v === undefined) return '~';
  switch (typeof v) {
    case 'number': return String(v);
    case 'boolean': return v ? 'T' : 'F';
    case 'string': return JSON.stringify(v);  // quoted: never equal to a number or an array
    default: break;
  }
  if (Array.isArray(v) || (ArrayBuffer.isView(v) && !(v instanceof DataView))) {
    const a = v as ArrayLike<unknown>;
    let s = '[';
    for (let i = 0; i < a.length; i++) s += (i ? ',' : '') + attrValueKey(a[i]);
    return s + ']';
  }
  return `{${JSON.stringify(v)}}`;
}

export function attrsKey(attrs: NamedAttrMap | undefined): string {
  if (!attrs) return '';
  let s = '';
  for (const k in attrs) s += `${k}:${attrValueKey((attrs as Record<string, unknown>)[k])};`;
  return s;
}

export class DeltaEngine {
  private readonly streams = new Map<string, Stream>();
  private readonly streamStack: string[] = [];
  /**
   * Provenance tags of tensors made by delta kernels, as a property of the dataId under this engine's own symbol
   * (a WeakMap insertion per kernel call was the engine's hottest line at batch 1; the symbol keeps engines apart,
   * since tfjs moves a dataId object between backends as it is). Non-extensible dataIds use the map.
   */
  private readonly tagKey: symbol = Symbol('tfjs-backend-delta tag');
  private readonly tagMap = new WeakMap<object, Tag>();
  private readonly derived = new WeakSet<object>();
  private readonly externalSeq = new WeakMap<object, number>();
  /** Ids of tensors that key slots (layer weights). */
  private readonly weightIds = new Set<number>();
  /** Content hash of each weight tensor (computed once per tensor). */
  private readonly weightHashes = new WeakMap<object, string>();
  private writeSeq = 0;
  private depth = 0;
  private useCounter = 0;
  private disposed = false;
  /** The frame recorder of a replay runner while it records a model run (null otherwise). */
  recorder: CallRecorder | null = null;
  /** Called with the dataId of every tensor whose data is freed (replay tapes drop when their weights go). */
  readonly disposeListeners = new Set<(dataId: object) => void>();

  constructor(readonly backendName: string, readonly backend: KernelBackend, readonly plane: DataPlane) {
    globalState().engines.add(this);
  }

  private get config(): DeltaConfig { return globalState().config; }

  private tagOf(dataId: object): Tag | undefined {
    return (dataId as {[k: symbol]: Tag | undefined})[this.tagKey] ?? this.tagMap.get(dataId);
  }

  private setTag(dataId: object, tag: Tag): void {
    if (Object.isExtensible(dataId)) (dataId as {[k: symbol]: Tag})[this.tagKey] = tag;
    else this.tagMap.set(dataId, tag);
  }

  // ---- hooks called by the backend --------------------------------------------------------------

  /** Called by the backend's write(): a tensor made outside any kernel (a frame, a weight). */
  noteWrite(dataId: object, values?: unknown, shape?: readonly number[], dtype?: string): void {
    if (this.depth !== 0) return;
    this.externalSeq.set(dataId, ++this.writeSeq);
    this.recorder?.write(dataId, values, shape ?? [], dtype ?? 'float32');
  }

  /** Called by the backend's readSync/read: values of a tensor read on the host (the app, or a graph executor). */
  noteRead(dataId: object): void {
    if (this.depth === 0) this.recorder?.read(dataId);
  }

  get isDisposed(): boolean { return this.disposed; }

  /**
   * Called by the backend when a tensor's data is freed. If it was a layer's weights (the model was
   * disposed), the slots keyed by it and the weightless slots that follow them are freed too.
   */
  noteDispose(dataId: object): void {
    for (const l of this.disposeListeners) l(dataId);
    const wid = objectIds.get(dataId);
    if (wid === undefined || !this.weightIds.has(wid)) return;
    this.weightIds.delete(wid);
    const prefix = `w${wid}#`;
    for (const s of this.streams.values()) {
      s.occurrences.delete(wid);
      let removed = false, weighted = false;
      for (const [key, slot] of s.slots) {
        if (key.startsWith(prefix)) {
          this.plane.release(slot);
          s.slots.delete(key);
          removed = true;
        } else if (key.startsWith('w')) {
          weighted = true;
        }
      }
      // Slots before a frame's first weighted layer ('start+k': a model's preprocessing) belong to no
      // weights: they go when the stream's last weighted layer goes.
      if (removed && !weighted) {
        for (const slot of s.slots.values()) this.plane.release(slot);
        s.slots.clear();
      }
    }
  }

  /** The backend is being disposed (tf.engine().reset(), removeBackend). */
  dispose(): void {
    this.resetAll();
    this.disposed = true;
    globalState().engines.delete(this);
  }

  // ---- public API support -----------------------------------------------------------------------

  currentStreamId(): string {
    return this.streamStack.length ? this.streamStack[this.streamStack.length - 1] : DEFAULT_STREAM;
  }

  private stream(id = this.currentStreamId()): Stream {
    let s = this.streams.get(id);
    if (!s) this.streams.set(id, s = new Stream(id));
    return s;
  }

  /** Runs fn in stream `id` (its own slots and frames). */
  withStream<T>(id: string, fn: () => T): T {
    if (typeof id !== 'string' || id.length === 0) throw new Error('tfjs-backend-delta: stream(id, fn): id must be a non-empty string');
    this.streamStack.push(id);
    let result: T;
    try {
      result = fn();
    } catch (e) {
      this.streamStack.pop();
      throw e;
    }
    if (result instanceof Promise) {
      return result.finally(() => this.popStream(id)) as unknown as T;
    }
    this.streamStack.pop();
    return result;
  }

  private popStream(id: string) {
    const i = this.streamStack.lastIndexOf(id);
    if (i >= 0) this.streamStack.splice(i, 1);
  }

  /** Whether the current stream is inside an explicit frame (delta.frame / withFrame). */
  inExplicitFrame(): boolean {
    return this.stream().explicitDepth > 0;
  }

  /** Runs fn as one frame of the current stream (explicit frame marking). */
  withFrame<T>(fn: () => T): T {
    const s = this.stream();
    this.startFrame(s, null);
    s.explicitDepth++;
    let result: T;
    try {
      result = fn();
    } catch (e) {
      s.explicitDepth--;
      throw e;
    }
    if (result instanceof Promise) return result.finally(() => { s.explicitDepth--; }) as unknown as T;
    s.explicitDepth--;
    return result;
  }

  /**
   * Drops all slot state of every stream: the next frame runs dense everywhere. Streams keep their frame
   * detection, since a reset may come between two kernel calls of one model run: the next frame starts
   * at the next call that consumes a new input tensor (or at the frame's first call coming round again),
   * and is frame 0 again.
   */
  resetAll(streamId?: string): void {
    const targets = streamId !== undefined ? [this.stream(streamId)] : [...this.streams.values()];
    for (const s of targets) {
      for (const slot of s.slots.values()) this.plane.release(slot);
      s.slots.clear();
      s.restart = true;
    }
  }

  /** Marks the next frame of a stream as a keyframe (dense everywhere, state kept). */
  requestKeyframe(streamId?: string): void {
    const targets = streamId ? [this.stream(streamId)] : [...this.streams.values()];
    for (const s of targets) s.resetPending = true;
  }

  stats(streamId = this.currentStreamId(), all = false): DeltaStats {
    const s = this.stream(streamId);
    const layers: LayerStats[] = [];
    let denseMacs = 0, performedMacs = 0, totalDenseMacs = 0, totalPerformedMacs = 0;
    let deltaRuns = 0, denseRuns = 0, fallbackRuns = 0, skippedRuns = 0;
    for (const slot of s.slots.values()) {
      if (!all && slot.lastFrame !== s.frameIndex) continue;
      layers.push({
        name: slot.name, key: slot.stableKey, kernel: slot.kernel, outputShape: [...slot.outShape], mode: slot.lastMode,
        counts: {...slot.counts}, activeFraction: slot.activeFraction,
        meanActiveFraction: slot.runs ? slot.sumActiveFraction / slot.runs : 1,
        denseMacs: slot.denseMacs, performedMacs: slot.performedMacs,
        totalDenseMacs: slot.totalDenseMacs, totalPerformedMacs: slot.totalPerformedMacs,
        threshold: slot.outputThreshold, fallbackReason: slot.fallbackReason, lastFrame: slot.lastFrame,
      });
      denseMacs += slot.denseMacs; performedMacs += slot.performedMacs;
      totalDenseMacs += slot.totalDenseMacs; totalPerformedMacs += slot.totalPerformedMacs;
      deltaRuns += slot.counts.delta; denseRuns += slot.counts.dense; fallbackRuns += slot.counts.fallback;
      skippedRuns += slot.skippedRuns;
    }
    layers.sort((a, b) => parseInt(a.name, 10) - parseInt(b.name, 10));
    return {
      backend: this.backendName, stream: s.id, frame: s.frameIndex, layers,
      totals: {denseMacs, performedMacs, totalDenseMacs, totalPerformedMacs, slots: layers.length, deltaRuns, denseRuns, fallbackRuns,
        skippedRuns},
      warnings: this.thresholdWarnings(s),
      errorEstimate: s.estimateMacs > 0 ? s.staleMacs / s.estimateMacs : s.errorEstimate,
      keyframes: s.keyframes,
    };
  }

  /** Stable keys of every slot of a stream (execution order of their last frame). */
  stableKeys(streamId = this.currentStreamId()): string[] {
    const s = this.stream(streamId);
    return [...s.slots.values()].sort((a, b) => parseInt(a.name, 10) - parseInt(b.name, 10)).map((x) => x.stableKey);
  }

  /**
   * Threshold keys (stable keys and names) that match no slot of the stream, checked lazily: only once
   * the stream has completed a frame. Empty when every key matches.
   */
  unknownThresholdKeys(streamId = this.currentStreamId()): string[] {
    const s = this.stream(streamId);
    if (s.frames < 1 || s.slots.size === 0) return [];
    const names = new Set<string>(), keys = new Set<string>();
    for (const slot of s.slots.values()) { names.add(slot.name); keys.add(slot.stableKey); }
    return Object.keys(this.config.thresholds).filter((k) => (isSlotName(k) ? !names.has(k) : !keys.has(k)));
  }

  private thresholdWarnings(s: Stream): string[] {
    const unknown = this.unknownThresholdKeys(s.id);
    if (!unknown.length) return [];
    const loaded = globalState().loadedThresholds;
    const from = loaded ? ` (thresholds loaded from ${loaded.source}, calibrated for model ${loaded.fingerprint})` : '';
    return [`${unknown.length} of ${Object.keys(this.config.thresholds).length} threshold keys match no layer of stream ` +
      `'${s.id}'${from}: ${unknown.slice(0, 3).join(', ')}${unknown.length > 3 ? ', ...' : ''}`];
  }

  /** Debug records (config.debug) of the current stream's slots of the last frame, by slot name. */
  debug(streamId = this.currentStreamId()) {
    const s = this.stream(streamId);
    const out = [];
    for (const slot of s.slots.values()) {
      if (slot.lastFrame !== s.frameIndex || slot.lastMode === 'fallback') continue;
      const rec = this.plane.debugRecord(slot);
      if (rec) out.push({name: slot.name, mode: slot.lastMode, ...rec});
    }
    return out;
  }

  /**
   * Name (as in stats().layers) of the slot whose delta-capable kernel made the tensor with this data
   * id, or null: a tensor from outside the delta graph or from a kernel that ran as a fallback.
   */
  layerOf(dataId: object): string | null {
    return this.tagOf(dataId)?.slot.name ?? null;
  }

  slotCount(): number {
    let n = 0;
    for (const s of this.streams.values()) n += s.slots.size;
    return n;
  }

  // ---- frames and slot keys ---------------------------------------------------------------------

  private startFrame(s: Stream, firstSig: string | null, first?: {ids: readonly object[]; attrs: string; loose: string}) {
    if (s.restart) {
      // The first frame after a reset: the slots of the rest of an interrupted frame go too, so that
      // slot names (and per-layer thresholds) are those of a reset between frames.
      for (const slot of s.slots.values()) this.plane.release(slot);
      s.slots.clear();
      s.restart = false;
      s.frames = 0;
      s.keyframes = 0;
      s.prevLen = 0;
      s.slotCounter = 0;
    } else if (s.frames > 0) {
      s.prevLen = s.pos;
    }
    s.frames++;
    s.pos = 0;
    s.firstSig = firstSig;
    s.firstLooseSig = first?.loose ?? null;
    s.firstIds = first?.ids ?? [];
    s.firstAttrs = first?.attrs ?? '';
    s.frameStartWriteSeq = this.writeSeq;
    s.lastKeyed = 'start';
    s.lastStable = 'start';
    s.offset = 0;
    s.occurrences.restart();
    s.stableOccurrences.restart();
    s.freshImageSigs.clear();
    if (s.frameIndex > 0) s.errorEstimate = s.estimateMacs > 0 ? s.staleMacs / s.estimateMacs : 0;
    else s.errorEstimate = 0;
    s.staleMacs = 0;
    s.estimateMacs = 0;
    const k = this.config.keyframeInterval, bound = this.config.keyframeErrorBound;
    s.keyframe = s.resetPending || (k > 0 && s.frameIndex > 0 && s.frameIndex % k === 0) ||
        (bound > 0 && s.frameIndex > 0 && s.errorEstimate > bound);
    if (s.keyframe && s.frameIndex > 0) s.keyframes++;
    s.resetPending = false;
    this.evict(s);
  }

  /**
   * Automatic frame detection: the first call of the frame comes round again with a new input tensor
   * (of the same size, or of another size when that input is image-like: a resolution or batch change),
   * or after as many calls as the previous frame had, or with the very same input tensors and attributes
   * (the app ran the model again on the same tensor: a graph does not repeat a call). After a reset, the
   * next call that consumes a new input tensor starts the next frame. When the app switches to another
   * model for good, the new model's first call starts a frame the second time it consumes a new image
   * within one frame.
   */
  private trackFrame(s: Stream, kernel: string, inputs: readonly NamedInput[], attrs: NamedAttrMap | undefined) {
    if (s.explicitDepth > 0) return;
    const isNew = (i: NamedInput) => (this.externalSeq.get(i.info.dataId) ?? -1) > s.frameStartWriteSeq;
    // A new image-like input (not a scalar or vector constant made inside the frame, like `x.div(255)`).
    const freshImage = () => inputs.some((i) => i.info.shape.length >= 3 && isNew(i));
    const sig = this.callSig(kernel, inputs);
    const loose = () => {
      let l = kernel;
      for (const i of inputs) l += `|${i.info.dtype}/${i.info.shape.length}`;
      return l;
    };
    const start = () => {
      this.startFrame(s, sig, {ids: inputs.map((i) => i.info.dataId), attrs: attrsKey(attrs), loose: loose()});
      if (freshImage()) s.freshImageSigs.add(sig);
    };
    if (s.firstSig === null) return start();
    if (s.pos === 0) return;
    const fresh = inputs.some(isNew);
    if (s.restart && fresh) return start();
    if (sig === s.firstSig) {
      const repeat = inputs.length === s.firstIds.length && inputs.every((i, k) => i.info.dataId === s.firstIds[k]) &&
          attrsKey(attrs) === s.firstAttrs;
      if (fresh || repeat || (s.prevLen > 0 && s.pos >= s.prevLen)) return start();
      return;
    }
    if (!freshImage()) return;
    // The first call again, on a new image of another size: a resolution or batch change.
    if (loose() === s.firstLooseSig) return start();
    // Another model took over the stream: the old first call never comes round again, but the new model's
    // first call consumes a new frame each time.
    if (s.freshImageSigs.has(sig)) return start();
    s.freshImageSigs.add(sig);
  }

  private callSig(kernel: string, inputs: readonly NamedInput[]): string {
    let sig = kernel;
    for (const i of inputs) sig += `|${i.info.dtype}[${i.info.shape}]`;
    return sig;
  }

  private slotFor(s: Stream, kernel: string, spec: OpSpec | undefined, inputs: readonly NamedInput[], hint?: CallHint): Slot {
    s.pos++;
    const weight = spec?.weightInput ? inputs.find((i) => i.name === spec.weightInput) : undefined;
    // a replayed call derives the same key from the same state every frame: reuse the strings built last time
    // (building them and hashing new strings into the maps was a tenth of a replayed quiet frame)
    const c = hint?.keys;
    if (c && c.stream === s && c.weightId === (weight ? weight.info.dataId : null) && (weight ?
        s.occurrences.current(c.occEntry!) === c.occ && s.stableOccurrences.current(c.stableEntry!) === c.stableOcc :
        s.lastKeyed === c.lastKeyed && s.offset === c.offset && s.lastStable === c.lastStable)) {
      const slot = s.slots.get(c.key);
      if (slot && slot.kernel === kernel) {
        if (weight) {
          s.occurrences.set(c.occEntry!, c.occ + 1);
          s.stableOccurrences.set(c.stableEntry!, c.stableOcc + 1);
          s.lastKeyed = c.key;
          s.offset = 0;
          s.lastStable = c.afterStable;
        } else {
          s.offset = c.offset + 1;
        }
        slot.lastUse = ++this.useCounter;
        slot.lastFrame = s.frameIndex;
        return slot;
      }
    }
    const before = {lastKeyed: s.lastKeyed, lastStable: s.lastStable, offset: s.offset};
    let key: string;
    let occ = 0, stableOcc = 0;
    let occEntry: {epoch: number; n: number} | null = null, stableEntry: {epoch: number; n: number} | null = null;
    if (weight) {
      const wid = idOf(weight.info.dataId);
      this.weightIds.add(wid);
      occEntry = s.occurrences.entry(wid);
      occ = occEntry.n;
      s.occurrences.set(occEntry, occ + 1);
      key = `w${wid}#${occ}`;
      s.lastKeyed = key;
      s.offset = 0;
      const hashKey = `${this.weightHash(weight.info)}:${kernel}`;
      stableEntry = s.stableOccurrences.entry(hashKey);
      stableOcc = stableEntry.n;
      s.stableOccurrences.set(stableEntry, stableOcc + 1);
      s.lastStable = `${hashKey}#${stableOcc}`;
    } else {
      key = `${s.lastKeyed}+${++s.offset}`;
    }
    const stableKey = weight ? s.lastStable : `${s.lastStable}+${s.offset}:${kernel}`;
    let slot = s.slots.get(key);
    if (!slot || slot.kernel !== kernel) {
      if (slot) this.plane.release(slot);
      slot = new Slot(key, `${s.slotCounter++}:${kernel}`, kernel);
      s.slots.set(key, slot);
      slot.stableKey = stableKey;
      if (s.slots.size > this.config.maxSlots) this.evictLeastRecentlyUsed(s);
    }
    slot.lastUse = ++this.useCounter;
    slot.lastFrame = s.frameIndex;
    if (hint) {
      hint.keys = {stream: s, weightId: weight ? weight.info.dataId : null, ...before, occ, occEntry, stableOcc, stableEntry, key,
        afterStable: s.lastStable};
    }
    return slot;
  }

  /**
   * FNV-1a 64 of a weight tensor's bytes, dtype and shape (hex), once per tensor. Values come from the
   * backend's optional `readValuesForKey(dataId)` hook, else readSync; where neither can read them,
   * a key from dtype and shape only (still stable, but equal for weights of the same shape).
   */
  private weightHash(info: TensorInfo): string {
    let h = this.weightHashes.get(info.dataId);
    if (h !== undefined) return h;
    let values: ArrayBufferView | null = null;
    try {
      const b = this.backend as unknown as {readValuesForKey?(id: object): ArrayBufferView | null};
      values = b.readValuesForKey ? b.readValuesForKey(info.dataId) : (this.backend.readSync(info.dataId) as ArrayBufferView);
      if (values && !ArrayBuffer.isView(values)) values = null;   // string tensors
    } catch {
      values = null;
    }
    h = contentHash(values, `${info.dtype}[${info.shape}]`);
    this.weightHashes.set(info.dataId, h);
    return h;
  }

  private evict(s: Stream) {
    const ttl = this.config.slotTtlFrames;
    if (ttl <= 0) return;
    for (const [key, slot] of s.slots) {
      if (slot.lastFrame < s.frameIndex - ttl) {
        this.plane.release(slot);
        s.slots.delete(key);
      }
    }
  }

  private evictLeastRecentlyUsed(s: Stream) {
    const bySlotUse = [...s.slots.entries()].sort((a, b) => a[1].lastUse - b[1].lastUse);
    for (const [key, slot] of bySlotUse.slice(0, Math.ceil(bySlotUse.length / 2))) {
      this.plane.release(slot);
      s.slots.delete(key);
    }
  }

  // ---- the kernel call --------------------------------------------------------------------------

  isDerived(info: TensorInfo): boolean {
    return this.derived.has(info.dataId) || this.tagOf(info.dataId) !== undefined;
  }

  /** Every kernel of a delta backend goes through here. */
  call(kernel: string, args: {inputs: NamedTensorInfoMap; attrs?: NamedAttrMap; backend: unknown},
       dense: KernelFunc, hint?: CallHint, slot?: Slot): TensorInfo | TensorInfo[] {
    if (this.disposed) return dense(args as Parameters<KernelFunc>[0]);
    const recorder = this.depth === 0 ? this.recorder : null;
    this.depth++;
    let out: TensorInfo | TensorInfo[];
    try {
      out = this.callInner(kernel, args, dense, hint, slot);
    } finally {
      this.depth--;
    }
    recorder?.call(kernel, args, dense, out);
    return out;
  }

  private callInner(kernel: string, args: {inputs: NamedTensorInfoMap; attrs?: NamedAttrMap; backend: unknown},
                    dense: KernelFunc, hint?: CallHint, presetSlot?: Slot): TensorInfo | TensorInfo[] {
    const s = this.stream();
    const inputs = namedInputs(args.inputs);
    const spec = OP_TABLE.get(kernel);
    // (a preset slot: quietCall already counted the call in the frame and found its slot)
    if (!presetSlot) this.trackFrame(s, kernel, inputs, args.attrs);
    const slot = presetSlot ?? this.slotFor(s, kernel, spec, inputs, hint);
    if (hint) hint.slot = slot;
    const attrs = (args.attrs ?? {}) as Record<string, unknown>;
    const view: CallView = {kernel, inputs, attrs};

    let why: string | null | undefined = hint?.why;
    if (why === undefined) {
      if (!spec) why = 'no delta kernel (dense, re-sparsified downstream)';
      else if (!this.plane.hasDeltaKernel(kernel)) why = `delta kernel not implemented on ${this.backendName}`;
      else why = spec.unsupported(view) ?? this.plane.unsupported?.(view) ?? null;
      if (hint) hint.why = why;
    }
    if (why !== null || !spec) return this.fallback(slot, args, dense, inputs, why);

    const signature = hint?.signature ?? this.signature(view, spec);
    if (hint) hint.signature = signature;
    const cls = spec.opClass(view, (i) => this.isDerived(i));
    const outputThreshold = this.config.thresholds[slot.stableKey] ?? this.config.thresholds[slot.name] ??
        (cls === 'nonlinear' ? this.config.threshold : 0);
    const inputThresholds = inputs.map((i) => (this.isDerived(i.info) ? this.config.threshold : this.config.inputThreshold));
    const call: PlaneCall = {
      kernel, spec, inputs, attrs, backend: this.backend, outputThreshold, inputThresholds, debug: this.config.debug,
    };
    slot.outputThreshold = outputThreshold;

    let states: InputState[] | null = null;
    if (slot.seeded && !slot.poisoned && !s.keyframe && slot.signature === signature) {
      states = this.resolveInputs(slot, spec, inputs);
    }
    let result: PlaneResult | null = null;
    let mode: RunMode = 'delta';
    if (states) result = this.plane.step(slot, call, states);
    let primed = false;
    if (!result && this.config.primeDeltaPath) primed = (result = this.primedSeed(slot, call, spec, signature)) !== null;
    if (!result) {
      mode = 'dense';
      // Inputs that will not come with a usable update (no tag, or a tag of another shape, e.g. a
      // Reshape sharing the producer's dataId) are stored, to be diffed on the next frame.
      const keepBaseline = inputs.map((i) => !spec.constInputs.includes(i.name) && !this.carriesUpdates(i.info));
      // If the dense kernel throws (bad shapes), the slot must not look seeded with stale state.
      slot.seeded = false;
      slot.signature = null;
      result = this.plane.seed(slot, call, keepBaseline);
      slot.signature = signature;
      slot.seeded = true;
    }
    slot.poisoned = result.nonFinite;
    slot.outShape = result.out.shape;
    slot.fallbackReason = null;
    slot.inputDataIds = inputs.map((i) => i.info.dataId);
    slot.inputProducers = inputs.map((i) => this.tagOf(i.info.dataId)?.slot ?? null);
    slot.inputVersions = inputs.map((i) => this.tagOf(i.info.dataId)?.version ?? -1);
    // A primed seed's update is relative to its zero seed, which no consumer has seen: not applicable.
    const baseVersion = mode === 'delta' && !primed ? slot.version : -1;
    const since = baseVersion < 0 ? -1 : Math.min(baseVersion, slot.changedVersion);
    slot.version++;
    // a quiet step left the output (and the slot's state) as it was: consumers that saw an older version still see
    // the current values
    if (mode !== 'delta' || primed || result.quiet !== true) slot.changedVersion = slot.version;
    this.setTag(result.out.dataId, {slot, version: slot.version, baseVersion, since, update: result.update, shape: result.out.shape});
    const denseMacs = hint?.denseMacs ?? spec.denseMacs(view, result.out.shape);
    if (hint) hint.denseMacs = denseMacs;
    this.record(slot, mode, result.activePixels / Math.max(1, result.totalPixels), denseMacs, result.macs);
    s.estimateMacs += denseMacs;
    slot.staleFraction = mode === 'delta' ? Math.min(1, Math.max(0, result.staleFraction ?? 0)) : 0;
    slot.config = this.config;
    if (mode === 'delta') s.staleMacs += denseMacs * slot.staleFraction;
    if (result.deferredCounts) this.settleLater(slot, result, result.deferredCounts);
    return result.out;
  }

  /**
   * Replay's shortcut (src/core/replay.ts) for a call none of whose inputs changed since its slot's last run: a
   * weight or constant that is the same tensor, and outputs of earlier calls whose slots' values did not change
   * since this slot saw them (their runs since were quiet, or skipped); `fixed`: the weight and constant inputs by
   * name (the slot's key). Such a call is an empty step: its data
   * plane would change nothing and hand out its values again. It is accounted as one (the frame's call position,
   * the slot's stats) without running; no output tensor is made (quietOutput makes one if a later call or the app
   * needs it). Returns true when skipped; null when it must run (nothing counted yet); a Slot when it must run
   * with that slot (the call is counted in the frame already: pass it to call()).
   */
  quietCall(kernel: string, hint: CallHint, fixed: readonly NamedInput[], inputs: readonly QuietInput[],
            modelInputs: readonly TensorInfo[] = []): true | Slot | null {
    const slot = hint.slot;
    if (this.disposed || hint.why !== null || slot === undefined || !this.plane.currentOutput) return null;
    const config = this.config;
    if (config.debug || slot.config !== config) return null;
    const s = this.stream();
    if (s.keyframe || s.explicitDepth === 0 || s.slots.get(slot.key) !== slot) return null;
    if (!slot.seeded || slot.poisoned || slot.signature !== hint.signature || slot.lastMode === 'fallback' ||
        slot.inputDataIds.length !== inputs.length) return null;
    // (one model input at most: a new tensor every frame, diffed against the slot's baseline by the data plane below)
    let probe = -1;
    let probeInfo: TensorInfo | undefined;
    for (let i = 0; i < inputs.length; i++) {
      const q = inputs[i];
      if ('dataId' in q) {
        if (q.dataId !== slot.inputDataIds[i]) return null;
      } else if ('producer' in q) {
        const p = q.producer.slot;
        if (q.producer.why !== null || p === undefined || p !== slot.inputProducers[i] || p.changedVersion > slot.inputVersions[i]) return null;
      } else {
        const info = modelInputs[q.modelInput];
        // (a tensor made by a delta kernel brings its update: the call runs and applies it)
        if (probe >= 0 || !info || !this.plane.probeInput || this.isDerived(info) || !this.plane.hasBaseline(slot, i)) return null;
        probe = i;
        probeInfo = info;
      }
    }
    const spec = OP_TABLE.get(kernel);
    const found = this.slotFor(s, kernel, spec, fixed, hint);
    if (found !== slot) return found;
    if (probeInfo) {
      if (this.plane.probeInput!(slot, probe, probeInfo, this.config.inputThreshold)) return slot;  // changed: it runs now
      slot.inputDataIds[probe] = probeInfo.dataId;
    }
    slot.skippedRuns++;
    const denseMacs = hint.denseMacs ?? 0;
    this.record(slot, 'delta', 0, denseMacs, 0);
    s.estimateMacs += denseMacs;
    s.staleMacs += denseMacs * slot.staleFraction;
    return true;
  }

  /**
   * The current values of a call's slot as a new tensor (an output of a call quietCall skipped), tagged with an
   * empty update that any consumer which saw a version since the slot's last change can apply. null if the data
   * plane cannot hand them out.
   */
  quietOutput(hint: CallHint): TensorInfo | null {
    const slot = hint.slot!;
    const r = this.plane.currentOutput?.(slot) ?? null;
    if (!r) return null;
    this.setTag(r.out.dataId, {slot, version: slot.version, baseVersion: slot.version, since: slot.changedVersion, update: r.update, shape: r.out.shape});
    return r.out;
  }

  /**
   * Counts that a data plane reads back later (PlaneResult.deferredCounts): replace the provisional
   * numbers recorded for this run (the slot's last-run fields only if it has not run again since).
   */
  private settleLater(slot: Slot, prov: PlaneResult, counts: NonNullable<PlaneResult['deferredCounts']>) {
    const run = slot.runs;
    const provFraction = prov.activePixels / Math.max(1, prov.totalPixels);
    const total = prov.totalPixels;
    counts.then(({activePixels, macs, nonFinite}) => {
      // a NaN/Inf seen on the device: the slot re-seeds on its next call (as PlaneResult.nonFinite)
      if (nonFinite) slot.poisoned = true;
      const fraction = activePixels / Math.max(1, total);
      slot.sumActiveFraction += fraction - provFraction;
      slot.totalPerformedMacs += macs - prov.macs;
      if (slot.runs === run) {
        slot.activeFraction = fraction;
        slot.performedMacs = macs;
      }
    }, () => { /* the plane was disposed: provisional numbers stay */ });
  }

  /** Waits for the data plane's deferred counts (GPU counters) so that stats() is complete. */
  async settleStats(): Promise<void> {
    await this.plane.settle?.();
  }

  /** config.primeDeltaPath: seed on zeros, then a delta step to the real inputs (null if it cannot). */
  private primedSeed(slot: Slot, call: PlaneCall, spec: OpSpec, signature: string): PlaneResult | null {
    const varying = call.inputs.map((i) => !spec.constInputs.includes(i.name));
    const zeros: TensorInfo[] = [];
    const zeroInputs = call.inputs.map((i, k) => {
      if (!varying[k]) return i;
      const z: TensorInfo = {
        dataId: this.backend.write(new Float32Array(size(i.info.shape)), i.info.shape, i.info.dtype),
        shape: i.info.shape, dtype: i.info.dtype,
      };
      zeros.push(z);
      return {name: i.name, info: z};
    });
    try {
      slot.seeded = false;
      slot.signature = null;
      const seeded = this.plane.seed(slot, {...call, inputs: zeroInputs}, varying);
      this.backend.disposeData(seeded.out.dataId);
      const result = this.plane.step(slot, call, varying.map((v) => (v ? {kind: 'diff'} : {kind: 'const'}) as InputState));
      if (result) {
        slot.seeded = true;
        slot.signature = signature;
      }
      return result;
    } catch {
      return null;  // e.g. a kernel that rejects zeros: the ordinary seed runs (and reports its own error)
    } finally {
      for (const z of zeros) this.backend.disposeData(z.dataId);
    }
  }

  /** Whether a tensor comes from a delta kernel with updates that apply to it as shaped. */
  private carriesUpdates(info: TensorInfo): boolean {
    const tag = this.tagOf(info.dataId);
    return tag !== undefined && sameShape(tag.shape, info.shape);
  }

  private resolveInputs(slot: Slot, spec: OpSpec, inputs: readonly NamedInput[]): InputState[] | null {
    const states: InputState[] = [];
    if (slot.inputDataIds.length !== inputs.length) return null;
    for (let i = 0; i < inputs.length; i++) {
      const info = inputs[i].info;
      if (spec.constInputs.includes(inputs[i].name)) {
        states.push({kind: 'const'});
        continue;
      }
      if (info.dataId === slot.inputDataIds[i]) {
        states.push({kind: 'unchanged'});
        continue;
      }
      const tag = this.tagOf(info.dataId);
      const seen = slot.inputVersions[i];
      if (tag && tag.update !== null && tag.slot === slot.inputProducers[i] &&
          tag.since <= seen && seen <= tag.baseVersion && sameShape(tag.shape, info.shape)) {
        states.push({kind: 'update', update: tag.update});
        continue;
      }
      if (this.plane.hasBaseline(slot, i)) {
        states.push({kind: 'diff'});
        continue;
      }
      return null;  // no way to know what changed: dense run, re-seed
    }
    return states;
  }

  private signature(view: CallView, spec: OpSpec): string {
    let sig = `${view.kernel}|${attrsKey(view.attrs as NamedAttrMap)}`;
    for (const i of view.inputs) {
      sig += `|${i.name}:${i.info.dtype}[${i.info.shape}]`;
      if (spec.constInputs.includes(i.name)) sig += `#${idOf(i.info.dataId)}`;
    }
    return sig;
  }

  private fallback(slot: Slot, args: {inputs: NamedTensorInfoMap; attrs?: NamedAttrMap; backend: unknown},
                   dense: KernelFunc, inputs: readonly NamedInput[], why: string | null): TensorInfo | TensorInfo[] {
    if (slot.seeded) {
      this.plane.release(slot);
      slot.seeded = false;
      slot.signature = null;
    }
    const out = dense(args as Parameters<KernelFunc>[0]);
    if (inputs.some((i) => this.isDerived(i.info))) {
      for (const o of Array.isArray(out) ? out : [out]) this.derived.add(o.dataId);
    }
    slot.fallbackReason = why;
    const outShape = Array.isArray(out) ? (out[0]?.shape ?? []) : out.shape;
    slot.outShape = outShape;
    this.record(slot, 'fallback', 1, 0, 0);
    return out;
  }

  private record(slot: Slot, mode: RunMode, activeFraction: number, denseMacs: number, macs: number) {
    slot.lastMode = mode;
    slot.counts[mode]++;
    slot.activeFraction = activeFraction;
    slot.sumActiveFraction += activeFraction;
    slot.runs++;
    slot.denseMacs = denseMacs;
    slot.performedMacs = macs;
    slot.totalDenseMacs += denseMacs;
    slot.totalPerformedMacs += macs;
  }
}

export function sameShape(a: readonly number[], b: readonly number[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

