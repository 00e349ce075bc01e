/**
 * Recorded-frame replay (issue 9, deliverable 1, its host side): a model's kernel sequence, once stable, runs per
 * frame without tfjs' graph executor and engine in between.
 *
 * At batch 1 a frame's GPU work is shorter than the host work of issuing it: through `model.execute` every kernel
 * call costs tfjs' graph executor (node ordering, op wrappers, argument checks) and engine (tensor objects, scopes,
 * bookkeeping) ~9 us on a 2-core server before our backend sees it (benchmarks/results/cuda-host-overhead). A
 * ReplayModel records the frame's top-level kernel calls while `model.execute` runs (DeltaEngine.recorder): which
 * kernel, its attributes, and where each input came from (a model input, a weight, a constant the graph made, the
 * output of an earlier call). Once two consecutive recordings agree, later frames call the delta engine's kernel
 * entry directly in that order (DeltaEngine.call: slots, signatures, the data plane, stats as before) and free
 * each intermediate after its last use; only the requested outputs become tf.Tensors. A call none of whose inputs
 * changed since its slot's last run (the frame's change stopped upstream, or there was none) is not run at all: the
 * engine accounts it as the empty step it would be (DeltaEngine.quietCall), and its output is made only if a call
 * that runs, or the app, needs it. A call reading the model input (a new tensor every frame) is skipped when its
 * data plane diffs that input against the slot's baseline and finds no change (DataPlane.probeInput: delta-cuda).
 *
 * Eager execution (`model.execute`, recorded again) whenever the replay would not be the same computation:
 * another input shape or dtype, other outputs or another backend (tapes are keyed by them), a weight of the tape freed,
 * a kernel whose outputs' shapes differ from the recording (the frame is re-run eagerly; its slots already hold
 * this frame's values, so the re-run's steps are empty), and for good a graph that reads tensor values while it
 * runs (control flow, data-dependent shapes: the next frame may take another path).
 */
import * as tf from '@tensorflow/tfjs-core';
import type {KernelFunc, NamedAttrMap, NamedTensorInfoMap, Tensor, TensorInfo} from '@tensorflow/tfjs-core';
import {attrsKey, CallHint, CallRecorder, DeltaEngine, QuietInput, sameShape} from './engine';
import type {NamedInput} from './op_table';
import type {Slot} from './slot';

/** What a ReplayModel runs: a tfjs GraphModel (or anything with its synchronous execute). */
export interface ExecutableModel {
  execute(inputs: Tensor | Tensor[] | tf.NamedTensorMap, outputs?: string | string[]): Tensor | Tensor[];
}

export type ModelInputs = Tensor | Tensor[] | tf.NamedTensorMap;

export interface ReplayOptions {
  /** Consecutive recordings that must agree before replay starts (>= 2: one recording cannot show stability). */
  stableFrames?: number;
  /** Tapes kept (one per input signature, outputs and backend); the least recently used goes. */
  maxTapes?: number;
}

export interface ReplayStats {
  /** Frames run by execute(): replayed + recorded (eager) + eager without recording. */
  frames: number;
  replayedFrames: number;
  recordedFrames: number;
  eagerFrames: number;
  /** Replays abandoned mid-frame (an output shape differed from the recording) and re-run eagerly. */
  mismatches: number;
  /** Kernel calls per frame of the tape in use (0 before one is stable). */
  calls: number;
  /** 'replay' once a tape is stable, 'record' while recording, 'eager' when the model cannot be replayed. */
  mode: 'replay' | 'record' | 'eager';
  /** Why the last frame did not replay (null when it did). */
  reason: string | null;
}

/** Where a recorded call's input comes from. */
type Source =
  | {kind: 'input'; index: number}
  | {kind: 'weight'; info: TensorInfo}
  | {kind: 'constant'; index: number}
  | {kind: 'output'; call: number; out: number; view?: {shape: number[]; dtype: tf.DataType}};

interface TapeCall {
  readonly kernel: string;
  readonly dense: KernelFunc;
  readonly names: readonly string[];
  readonly sources: readonly Source[];
  /** The inputs came as an array (Pack, Concat, AddN), not a named map. */
  readonly arrayInputs: boolean;
  readonly attrs: NamedAttrMap;
  readonly attrsKey: string;
  readonly outShapes: ReadonlyArray<readonly number[]>;
  readonly outDtypes: readonly string[];
  /** Whether the kernel returned an array (part of what two recordings must agree on). */
  readonly multi: boolean;
  /** Outputs of earlier calls whose last use is this call (freed after it): [call, out] pairs. */
  frees: Array<[number, number]>;
  /** What the engine learns of the call on its first replay (same kernel, attributes, shapes, weights every frame). */
  readonly hint: CallHint;
}

interface ConstantValue {
  readonly values: ArrayBufferView | unknown[];
  readonly shape: readonly number[];
  readonly dtype: string;
}

/** A recording: the calls of one model run and the outputs the app asked for. */
interface Recording {
  readonly calls: TapeCall[];
  readonly constants: ConstantValue[];
  readonly outputs: ReadonlyArray<{call: number; out: number; view?: {shape: number[]; dtype: tf.DataType}}>;
  readonly weights: ReadonlySet<object>;
}

class NotReplayable extends Error {}

/** Records one model run (DeltaEngine.recorder). */
class FrameRecorder implements CallRecorder {
  readonly calls: TapeCall[] = [];
  readonly constants: ConstantValue[] = [];
  readonly weights = new Set<object>();
  /** Producer of each tensor made by a recorded call: dataId -> [call, out, shape] (latest last). */
  private readonly producers = new Map<object, Array<{call: number; out: number; shape: readonly number[]; dtype: string}>>();
  /** Tensors written outside kernels during the run (graph constants), with their values. */
  private readonly written = new Map<object, ConstantValue | null>();
  private readonly constantOf = new Map<object, number>();
  problem: string | null = null;

  constructor(private readonly inputIds: ReadonlyMap<object, number>) {}

  write(dataId: object, values: unknown, shape: readonly number[], dtype: string): void {
    const ok = values != null && (ArrayBuffer.isView(values) || Array.isArray(values));
    this.written.set(dataId, ok ? {values: copyValues(values as ArrayBufferView | unknown[]), shape: [...shape], dtype} : null);
  }

  read(dataId: object): void {
    // weights and the graph's own constants read on the host (e.g. a Reshape's target shape) are the same every
    // frame; values computed from this frame's inputs may steer the graph
    if (!this.producers.has(dataId) && !this.inputIds.has(dataId)) return;
    this.problem ??= 'the graph reads tensor values while it runs (control flow or data-dependent shapes)';
  }

  call(kernel: string, args: {inputs: NamedTensorInfoMap; attrs?: NamedAttrMap}, dense: KernelFunc, out: TensorInfo | TensorInfo[]): void {
    const names: string[] = [];
    const sources: Source[] = [];
    for (const name of Object.keys(args.inputs)) {
      const info = args.inputs[name];
      if (info == null) continue;
      names.push(name);
      sources.push(this.sourceOf(info));
    }
    const outs = Array.isArray(out) ? out : [out];
    const index = this.calls.length;
    outs.forEach((o, k) => {
      let list = this.producers.get(o.dataId);
      if (!list) this.producers.set(o.dataId, list = []);
      list.push({call: index, out: k, shape: [...o.shape], dtype: o.dtype});
    });
    const attrs = (args.attrs ?? {}) as NamedAttrMap;
    this.calls.push({kernel, dense, names, sources, arrayInputs: Array.isArray(args.inputs), attrs, attrsKey: attrsKey(attrs), outShapes: outs.map((o) => [...o.shape]),
      outDtypes: outs.map((o) => o.dtype), multi: Array.isArray(out), frees: [], hint: {}});
  }

  /**
   * The producer of a tensor the run handed on (an input of a later call, or an output of the model). Kernels may
   * hand out an input's buffer as their output (Reshape, a lossless Cast): the latest call that made a tensor of
   * this buffer, shape and dtype. A tensor no call made as it is (a view tfjs made of a kernel's output without a
   * kernel: another shape on the same buffer) reads the buffer's latest producer with its own shape and dtype.
   */
  producerOf(info: TensorInfo): {call: number; out: number; view?: {shape: number[]; dtype: tf.DataType}} | null {
    const list = this.producers.get(info.dataId);
    if (!list) return null;
    for (let i = list.length - 1; i >= 0; i--) if (sameShape(list[i].shape, info.shape) && list[i].dtype === info.dtype) return list[i];
    const p = list[list.length - 1];
    return {call: p.call, out: p.out, view: {shape: [...info.shape], dtype: info.dtype}};
  }

  private sourceOf(info: TensorInfo): Source {
    const p = this.producerOf(info);
    if (p) return {kind: 'output', call: p.call, out: p.out, view: p.view};
    const input = this.inputIds.get(info.dataId);
    if (input !== undefined) return {kind: 'input', index: input};
    if (this.written.has(info.dataId)) {
      const c = this.written.get(info.dataId);
      if (!c) {
        this.problem ??= 'a constant made while the graph runs has no values on the host';
        return {kind: 'constant', index: -1};
      }
      let index = this.constantOf.get(info.dataId);
      if (index === undefined) {
        index = this.constants.push({...c, shape: [...info.shape]}) - 1;
        this.constantOf.set(info.dataId, index);
      }
      return {kind: 'constant', index};
    }
    // made before the run and not an input: a weight of the model (kept alive by the model)
    this.weights.add(info.dataId);
    return {kind: 'weight', info: {dataId: info.dataId, shape: [...info.shape], dtype: info.dtype}};
  }
}

/** A tensor's buffer seen with another shape and dtype (a view), or the tensor itself. */
function viewOf(t: TensorInfo, view: {shape: number[]; dtype: tf.DataType} | undefined): TensorInfo {
  return view ? {dataId: t.dataId, shape: view.shape, dtype: view.dtype} : t;
}

function copyValues(v: ArrayBufferView | unknown[]): ArrayBufferView | unknown[] {
  if (Array.isArray(v)) return [...v];
  const ta = v as unknown as {slice(): ArrayBufferView};
  return typeof ta.slice === 'function' ? ta.slice() : v;
}

function sameValues(a: ConstantValue, b: ConstantValue): boolean {
  if (a.dtype !== b.dtype || !sameShape(a.shape, b.shape)) return false;
  const x = a.values as ArrayLike<unknown>, y = b.values as ArrayLike<unknown>;
  if (x.length !== y.length) return false;
  for (let i = 0; i < x.length; i++) if (!Object.is(x[i], y[i])) return false;
  return true;
}

function sameSource(a: Source, b: Source): boolean {
  if (a.kind !== b.kind) return false;
  switch (a.kind) {
    case 'input': return a.index === (b as typeof a).index;
    case 'constant': return a.index === (b as typeof a).index;
    case 'weight': return a.info.dataId === (b as typeof a).info.dataId && sameShape(a.info.shape, (b as typeof a).info.shape);
    case 'output': {
      const v = a.view, w = (b as typeof a).view;
      return a.call === (b as typeof a).call && a.out === (b as typeof a).out &&
        (v === w || (v !== undefined && w !== undefined && v.dtype === w.dtype && sameShape(v.shape, w.shape)));
    }
  }
}

/** Whether two recordings are the same computation (kernels, attributes, wiring, constants, shapes). */
function sameRecording(a: Recording, b: Recording): boolean {
  if (a.calls.length !== b.calls.length || a.constants.length !== b.constants.length || a.outputs.length !== b.outputs.length) return false;
  for (let i = 0; i < a.calls.length; i++) {
    const x = a.calls[i], y = b.calls[i];
    if (x.kernel !== y.kernel || x.dense !== y.dense || x.attrsKey !== y.attrsKey || x.multi !== y.multi || x.arrayInputs !== y.arrayInputs ||
        x.names.length !== y.names.length || x.outShapes.length !== y.outShapes.length) return false;
    for (let k = 0; k < x.names.length; k++) if (x.names[k] !== y.names[k] || !sameSource(x.sources[k], y.sources[k])) return false;
    for (let k = 0; k < x.outShapes.length; k++) if (!sameShape(x.outShapes[k], y.outShapes[k]) || x.outDtypes[k] !== y.outDtypes[k]) return false;
  }
  for (let i = 0; i < a.constants.length; i++) if (!sameValues(a.constants[i], b.constants[i])) return false;
  for (let i = 0; i < a.outputs.length; i++) {
    if (!sameSource({kind: 'output', ...a.outputs[i]}, {kind: 'output', ...b.outputs[i]})) return false;
  }
  return true;
}

/** A stable recording, ready to replay: its constants live on the backend (made once, freed with the tape). */
class Tape {
  readonly constantInfos: TensorInfo[];
  /** Outputs of a call that nothing later reads and the app did not ask for: freed right after the call. */
  private readonly unused: Array<number[]>;
  /** The [call, out] pairs that are outputs of the model (their tensors are handed to the app, never freed here). */
  private readonly finals: Set<string>;
  /**
   * Per call, what DeltaEngine.quietCall needs to skip it (null: it always runs: it has several outputs, or reads
   * several model inputs): its inputs as weights / constants, producing calls or the model input (new every frame:
   * the data plane diffs it, DataPlane.probeInput), and its weight and constant inputs by name (the slot's key).
   */
  private readonly skipPlans: Array<{inputs: QuietInput[]; fixed: NamedInput[]} | null>;

  constructor(readonly engine: DeltaEngine, readonly rec: Recording) {
    const backend = engine.backend;
    this.constantInfos = rec.constants.map((c) => ({
      dataId: backend.write(c.values as never, [...c.shape], c.dtype as tf.DataType), shape: [...c.shape], dtype: c.dtype as tf.DataType,
    }));
    // last use of every output of every call
    const last = new Map<string, number>();
    rec.calls.forEach((c, i) => c.sources.forEach((s) => {
      if (s.kind === 'output') last.set(`${s.call}:${s.out}`, i);
    }));
    this.finals = new Set(rec.outputs.map((o) => `${o.call}:${o.out}`));
    for (const c of rec.calls) c.frees = [];
    for (const [key, i] of last) {
      if (this.finals.has(key)) continue;
      const [call, out] = key.split(':').map(Number);
      rec.calls[i].frees.push([call, out]);
    }
    this.unused = rec.calls.map((c, i) => c.outShapes.map((_, k) => k).filter((k) => !last.has(`${i}:${k}`) && !this.finals.has(`${i}:${k}`)));
    this.skipPlans = rec.calls.map((c) => {
      if (c.multi || c.outShapes.length !== 1 || c.sources.filter((s) => s.kind === 'input').length > 1) return null;
      const inputs: QuietInput[] = [];
      const fixed: NamedInput[] = [];
      c.sources.forEach((s, k) => {
        if (s.kind === 'output') {
          inputs.push({producer: rec.calls[s.call].hint});
          return;
        }
        if (s.kind === 'input') {
          inputs.push({modelInput: s.index});
          return;
        }
        const info = s.kind === 'weight' ? s.info : this.constantInfos[(s as {index: number}).index];
        inputs.push({dataId: info.dataId});
        fixed.push({name: c.names[k], info});
      });
      return {inputs, fixed};
    });
  }

  dispose(): void {
    if (this.engine.isDisposed) return;
    for (const c of this.constantInfos) this.engine.backend.disposeData(c.dataId);
  }

  /**
   * Runs the recorded calls on new inputs (inside a frame of the engine); returns the outputs' tensor infos
   * (each one reference, owned by the caller). Throws NotReplayable when a call's outputs differ in shape from the
   * recording (every tensor made so far is freed first).
   */
  run(inputs: readonly TensorInfo[]): TensorInfo[] {
    const {engine, rec} = this;
    const backend = engine.backend;
    // outputs of the calls so far; null once freed, undefined for the output of a skipped call (no tensor made)
    const vals: Array<Array<TensorInfo | null | undefined>> = [];
    const free = (call: number, out: number) => {
      const t = vals[call][out];
      vals[call][out] = null;
      if (t) backend.disposeData(t.dataId);
    };
    // a skipped call's output that a call which runs (or the app) needs: the slot's current values
    const value = (call: number, out: number): TensorInfo => {
      let t = vals[call][out];
      if (t === undefined) {
        t = engine.quietOutput(rec.calls[call].hint);
        if (!t) throw new NotReplayable(`${rec.calls[call].kernel} (call ${call}) was skipped but its values cannot be handed out`);
        vals[call][out] = t;
      }
      return t!;
    };
    try {
      for (let i = 0; i < rec.calls.length; i++) {
        const c = rec.calls[i];
        // none of the call's inputs changed since its slot's last run (the frame's changes stopped upstream): an
        // empty step, accounted without running (DeltaEngine.quietCall)
        let slot: Slot | undefined;
        const plan = this.skipPlans[i];
        if (plan) {
          const q = engine.quietCall(c.kernel, c.hint, plan.fixed, plan.inputs, inputs);
          if (q === true) {
            vals.push([undefined]);
            for (const [call, o] of c.frees) free(call, o);
            continue;
          }
          if (q) slot = q;
        }
        const named = (c.arrayInputs ? [] : {}) as NamedTensorInfoMap;
        for (let k = 0; k < c.names.length; k++) {
          const s = c.sources[k];
          named[c.names[k]] = s.kind === 'output' ? viewOf(value(s.call, s.out), s.view) : s.kind === 'input' ? inputs[s.index] :
            s.kind === 'weight' ? s.info : this.constantInfos[s.index];
        }
        const out = engine.call(c.kernel, {inputs: named, attrs: c.attrs, backend}, c.dense, c.hint, slot);
        const outs = Array.isArray(out) ? out : [out];
        vals.push(outs);
        if (outs.length !== c.outShapes.length || outs.some((o, k) => !sameShape(o.shape, c.outShapes[k]) || o.dtype !== c.outDtypes[k])) {
          throw new NotReplayable(`${c.kernel} (call ${i}) gave outputs of other shapes than recorded`);
        }
        for (const [call, o] of c.frees) free(call, o);
        for (const o of this.unused[i]) free(i, o);
      }
    } catch (e) {
      for (let i = 0; i < vals.length; i++) for (let k = 0; k < vals[i].length; k++) if (vals[i][k]) free(i, k);
      throw e;
    }
    const result: TensorInfo[] = [];
    const handed = new Set<string>();
    for (const o of rec.outputs) {
      const key = `${o.call}:${o.out}`;
      const t = value(o.call, o.out);
      // the same buffer handed out twice: one reference each
      if (handed.has(key)) backend.incRef(t.dataId);
      handed.add(key);
      result.push(viewOf(t, o.view));
    }
    return result;
  }
}

/**
 * A model whose frames replay its recorded kernel sequence on a delta backend (see the file's comment). Use it in
 * place of the model: `const fast = delta.replayModel(model); fast.execute(frame, outputs)` marks a frame and
 * returns what `model.execute(frame, outputs)` returns. On a non-delta backend it is `model.execute`.
 */
export class ReplayModel {
  private readonly tapes = new Map<string, {tape: Tape | null; last: Recording | null; agreed: number; used: number}>();
  private readonly stableFrames: number;
  private readonly maxTapes: number;
  private unreplayable: string | null = null;
  private useCounter = 0;
  private readonly listening = new Set<DeltaEngine>();
  private readonly listener = (dataId: object) => this.onDispose(dataId);
  private readonly counts = {frames: 0, replayedFrames: 0, recordedFrames: 0, eagerFrames: 0, mismatches: 0};
  private lastCalls = 0;
  private lastMode: ReplayStats['mode'] = 'record';
  private lastReason: string | null = null;

  constructor(readonly model: ExecutableModel, private readonly engineOf: () => DeltaEngine | null, options: ReplayOptions = {}) {
    const stable = options.stableFrames ?? 2;
    if (!Number.isInteger(stable) || stable < 2) throw new Error(`tfjs-backend-delta: replayModel: stableFrames must be an integer >= 2 (got ${stable})`);
    const max = options.maxTapes ?? 4;
    if (!Number.isInteger(max) || max < 1) throw new Error(`tfjs-backend-delta: replayModel: maxTapes must be an integer >= 1 (got ${max})`);
    this.stableFrames = stable;
    this.maxTapes = max;
  }

  stats(): ReplayStats {
    return {...this.counts, calls: this.lastCalls, mode: this.lastMode, reason: this.lastReason};
  }

  /** Drops every tape: the next frames record again. */
  invalidate(): void {
    for (const t of this.tapes.values()) t.tape?.dispose();
    this.tapes.clear();
  }

  dispose(): void {
    this.invalidate();
    for (const e of this.listening) e.disposeListeners.delete(this.listener);
    this.listening.clear();
  }

  /** model.execute(inputs, outputs) as one frame, replayed once its recording is stable. */
  execute(inputs: ModelInputs, outputs?: string | string[]): Tensor | Tensor[] {
    this.counts.frames++;
    const engine = this.engineOf();
    if (!engine) return this.eager(null, inputs, outputs, 'the active backend is not a delta backend');
    if (this.unreplayable) return this.eager(engine, inputs, outputs, this.unreplayable);
    const list = inputList(inputs);
    const key = this.keyOf(engine, list, outputs);
    let entry = this.tapes.get(key);
    if (entry && entry.tape && entry.tape.engine !== engine) {
      entry.tape.dispose();
      this.tapes.delete(key);
      entry = undefined;
    }
    if (!entry) {
      this.tapes.set(key, entry = {tape: null, last: null, agreed: 0, used: 0});
      this.evictTapes();
    }
    entry.used = ++this.useCounter;
    if (entry.tape) {
      const tape = entry.tape;
      let infos: TensorInfo[] | null = null;
      try {
        infos = this.inFrame(engine, () => tape.run(list.tensors));
      } catch (e) {
        if (!(e instanceof NotReplayable)) throw e;
        this.counts.mismatches++;
        tape.dispose();
        entry.tape = null;
        entry.last = null;
        entry.agreed = 0;
        return this.record(engine, entry, inputs, list, outputs, `replay mismatch: ${e.message}`);
      }
      this.counts.replayedFrames++;
      this.lastMode = 'replay';
      this.lastReason = null;
      this.lastCalls = tape.rec.calls.length;
      const tensors = infos.map((t) => tf.engine().makeTensorFromTensorInfo(t, engine.backend));
      return Array.isArray(outputs) || (outputs === undefined && tensors.length !== 1) ? tensors : tensors[0];
    }
    return this.record(engine, entry, inputs, list, outputs, `recording (${entry.agreed + 1} of ${this.stableFrames} agreeing frames)`);
  }

  /** The last frame's tape key and what it was made of: a frame like it reuses the string (no rebuilding per frame). */
  private lastKey: {engine: DeltaEngine; outputs: string | string[] | undefined; names: string[]; shapes: number[][]; dtypes: string[];
    key: string} | null = null;

  private keyOf(engine: DeltaEngine, list: {names: string[]; tensors: Tensor[]}, outputs: string | string[] | undefined): string {
    const k = this.lastKey;
    if (k && k.engine === engine && sameOutputs(k.outputs, outputs) && k.names.length === list.names.length &&
        k.names.every((n, i) => n === list.names[i] && k.dtypes[i] === list.tensors[i].dtype && sameShape(k.shapes[i], list.tensors[i].shape))) {
      return k.key;
    }
    const key = `${engine.backendName}|${outputKey(outputs)}|${list.names.join(',')}|` +
        list.tensors.map((t) => `${t.dtype}[${t.shape}]`).join(',');
    this.lastKey = {engine, outputs: Array.isArray(outputs) ? [...outputs] : outputs, names: [...list.names],
      shapes: list.tensors.map((t) => [...t.shape]), dtypes: list.tensors.map((t) => t.dtype), key};
    return key;
  }

  private eager(engine: DeltaEngine | null, inputs: ModelInputs, outputs: string | string[] | undefined, reason: string): Tensor | Tensor[] {
    this.counts.eagerFrames++;
    this.lastMode = 'eager';
    this.lastReason = reason;
    this.lastCalls = 0;
    return engine ? this.inFrame(engine, () => this.model.execute(inputs, outputs)) : this.model.execute(inputs, outputs);
  }

  private record(engine: DeltaEngine, entry: {tape: Tape | null; last: Recording | null; agreed: number}, inputs: ModelInputs,
                 list: {tensors: Tensor[]}, outputs: string | string[] | undefined, reason: string): Tensor | Tensor[] {
    if (engine.recorder) return this.eager(engine, inputs, outputs, 'another replay model is recording on this backend');
    const inputIds = new Map<object, number>();
    list.tensors.forEach((t, i) => { if (!inputIds.has(t.dataId)) inputIds.set(t.dataId, i); });
    const rec = new FrameRecorder(inputIds);
    engine.recorder = rec;
    let result: Tensor | Tensor[];
    try {
      result = this.inFrame(engine, () => this.model.execute(inputs, outputs));
    } finally {
      engine.recorder = null;
    }
    this.counts.recordedFrames++;
    this.lastMode = 'record';
    this.lastReason = reason;
    this.lastCalls = 0;
    const outs = Array.isArray(result) ? result : [result];
    let problem = rec.problem;
    const outputRefs: Array<{call: number; out: number; view?: {shape: number[]; dtype: tf.DataType}}> = [];
    for (const o of outs) {
      const p = rec.producerOf(o);
      if (!p) {
        problem ??= 'an output is not made by a kernel of the run (an input or a weight passed through)';
        break;
      }
      outputRefs.push(p);
    }
    if (problem) {
      // a graph that reads values (or hands out its inputs) may run differently next time: never replayed
      this.unreplayable = problem;
      this.lastMode = 'eager';
      this.lastReason = problem;
      this.invalidate();
      return result;
    }
    const recording: Recording = {calls: rec.calls, constants: rec.constants, outputs: outputRefs, weights: rec.weights};
    entry.agreed = entry.last && sameRecording(entry.last, recording) ? entry.agreed + 1 : 1;
    entry.last = recording;
    if (entry.agreed >= this.stableFrames) {
      this.listen(engine);
      entry.tape = new Tape(engine, recording);
    }
    return result;
  }

  /**
   * fn as one frame; inside an explicit frame of the app (`delta.frame(() => { preprocess; fast.execute(x) })`)
   * as part of that frame.
   */
  private inFrame<T>(engine: DeltaEngine, fn: () => T): T {
    return engine.inExplicitFrame() ? fn() : engine.withFrame(fn);
  }

  private listen(engine: DeltaEngine): void {
    if (this.listening.has(engine)) return;
    engine.disposeListeners.add(this.listener);
    this.listening.add(engine);
  }

  /** A weight of a tape was freed (the model was disposed): that tape goes, the model records again. */
  private onDispose(dataId: object): void {
    for (const [key, t] of this.tapes) {
      if (t.tape?.rec.weights.has(dataId) || t.last?.weights.has(dataId)) {
        t.tape?.dispose();
        this.tapes.delete(key);
      }
    }
  }

  private evictTapes(): void {
    while (this.tapes.size > this.maxTapes) {
      let oldest: string | null = null, used = Infinity;
      for (const [k, t] of this.tapes) if (t.used < used) { used = t.used; oldest = k; }
      const t = this.tapes.get(oldest!)!;
      t.tape?.dispose();
      this.tapes.delete(oldest!);
    }
  }
}

function inputList(inputs: ModelInputs): {names: string[]; tensors: Tensor[]} {
  if (inputs instanceof tf.Tensor) return {names: ['0'], tensors: [inputs]};
  if (Array.isArray(inputs)) return {names: inputs.map((_, i) => String(i)), tensors: inputs};
  const names = Object.keys(inputs);
  return {names, tensors: names.map((n) => inputs[n])};
}

function sameOutputs(a: string | string[] | undefined, b: string | string[] | undefined): boolean {
  if (!Array.isArray(a) || !Array.isArray(b)) return a === b;
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

function outputKey(outputs: string | string[] | undefined): string {
  if (outputs === undefined) return '*';
  return Array.isArray(outputs) ? `[${outputs.join(',')}]` : outputs;
}
