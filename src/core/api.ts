/**
 * The public API of tfjs-backend-delta: configure, stats, reset, frame, stream, debug.
 * It acts on the active tfjs backend when that is a delta backend (delta-cpu, delta-webgpu, delta-cuda).
 */
import * as tf from '@tensorflow/tfjs-core';
import {DeltaConfig, DeltaConfigUpdate, mergeConfig} from './config';
import type {DeltaEngine, DeltaStats} from './engine';
import {globalState} from './global';
import {ExecutableModel, ReplayModel, ReplayOptions} from './replay';
import {CalibrationOptions, CalibrationResult, RunFn, ThresholdsFile, calibrate as calibrateImpl, compareKeys, fingerprintOf,
  parseThresholds} from './calibrate';

export type {DeltaConfig, DeltaConfigUpdate} from './config';
export type {ExecutableModel, ModelInputs, ReplayOptions, ReplayStats} from './replay';
export {ReplayModel} from './replay';
export type {DeltaStats, LayerStats} from './engine';
export type {DebugRecord} from './plane';
export {OP_TABLE, DELTA_KERNELS} from './op_table';

/** A backend instance that runs through a delta engine. */
export interface DeltaBackendLike {
  readonly deltaEngine: DeltaEngine;
}

function engineOf(backend: unknown): DeltaEngine | null {
  const e = (backend as Partial<DeltaBackendLike> | null)?.deltaEngine;
  return e ?? null;
}

/** The engine of the active backend, or null when the active backend is not a delta backend. */
export function activeEngine(): DeltaEngine | null {
  const name = tf.getBackend();
  if (!name) return null;
  return engineOf(tf.engine().findBackend(name));
}

function requireEngine(what: string): DeltaEngine {
  const e = activeEngine();
  if (!e) {
    throw new Error(`tfjs-backend-delta: ${what}: the active backend is '${tf.getBackend()}', not a delta backend ` +
        `(call tf.setBackend('delta-cpu' | 'delta-webgpu' | 'delta-cuda') first)`);
  }
  return e;
}

/**
 * Sets thresholds and options for every delta backend. Thresholds are absolute, in the units of
 * the tensor they apply to (inputThreshold: units of the model's input tensor, e.g. 0.02 for [0,1]
 * input, ~5 for 0-255). Options left out keep their current value.
 */
export function configure(update: DeltaConfigUpdate): DeltaConfig {
  const st = globalState();
  st.config = mergeConfig(st.config, update ?? {});
  if (update && 'thresholds' in update) st.loadedThresholds = null;   // no longer those of a loaded file
  return getConfig();
}

export function getConfig(): DeltaConfig {
  const c = globalState().config;
  return {...c, thresholds: {...c.thresholds}};
}

/** Statistics of the active delta backend's current stream (or `stream`), for the last frame. */
export function stats(options: {stream?: string; all?: boolean} = {}): DeltaStats {
  const e = requireEngine('stats()');
  return e.stats(options.stream ?? e.currentStreamId(), options.all ?? false);
}

/**
 * Waits until the statistics of every delta backend are complete. delta-webgpu counts active pixels
 * and MACs on the device and reads the counters back asynchronously (no readback per layer), so
 * `stats()` may show provisional zeros for the latest delta runs until this resolves:
 * `await delta.settleStats(); delta.stats()`. A no-op for delta-cpu.
 */
export async function settleStats(): Promise<void> {
  await Promise.all([...globalState().engines].map((e) => e.settleStats()));
}

/**
 * Drops all slot state of every delta backend (of one stream with {stream}), or only forces a
 * keyframe with {keyframe: true} (state kept): the next frame runs dense.
 */
export function reset(options: {keyframe?: boolean; stream?: string} = {}): void {
  for (const e of globalState().engines) {
    if (options.keyframe) e.requestKeyframe(options.stream);
    else e.resetAll(options.stream);
  }
}

/** Runs fn as one frame (explicit frame marking). Async functions are supported. */
export function frame<T>(fn: () => T): T {
  const e = activeEngine();
  return e ? e.withFrame(fn) : fn();
}

/** Runs fn in stream `id`: independent cameras through one model each have their own slots. */
export function stream<T>(id: string, fn: () => T): T {
  const e = activeEngine();
  return e ? e.withStream(id, fn) : fn();
}

/**
 * The model, replayed: `replayModel(model).execute(frame, outputs)` runs one frame like
 * `delta.frame(() => model.execute(frame, outputs))`; once two frames record the same kernel sequence, later
 * frames replay it below tfjs' graph executor and engine (the host work of a batch-1 frame), through the same
 * delta kernels. Falls back to model.execute (and records again) on another input shape, other outputs, a freed
 * weight or a shape mismatch; models that read tensor values while they run are never replayed. stats() says
 * which path the last frame took. On a backend that is not a delta backend it is model.execute.
 */
export function replayModel(model: ExecutableModel, options: ReplayOptions = {}): ReplayModel {
  if (!model || typeof (model as {execute?: unknown}).execute !== 'function') {
    throw new Error('tfjs-backend-delta: replayModel(model): model must have an execute(inputs, outputs) method (a tfjs GraphModel)');
  }
  return new ReplayModel(model, activeEngine, options);
}

/** What each slot saw and produced on the last frame; needs configure({debug: true}). */
export function debug(options: {stream?: string} = {}) {
  const e = requireEngine('debug()');
  return e.debug(options.stream ?? e.currentStreamId());
}

/**
 * The layer (its name in stats().layers) whose delta kernel produced `tensor`, or null when no delta
 * kernel made it (the frame itself, or a kernel that ran as a fallback). With an intermediate node as
 * an extra output of model.execute, this names the stats row of that node; the values of such an
 * output change from one frame to the next exactly at the pixels the layer propagated.
 */
export function layerOf(tensor: tf.TensorInfo): string | null {
  return requireEngine('layerOf()').layerOf(tensor.dataId);
}

/** Number of slots and data-plane buffers held by the active delta backend (leak checks). */
export function memory(): {slots: number; buffers: number} {
  const e = requireEngine('memory()');
  return {slots: e.slotCount(), buffers: e.plane.bufferCount()};
}

// ---- automatic per-layer thresholds (issue 6) ---------------------------------------------------

export type {CalibrationMetric, CalibrationOptions, CalibrationProgress, CalibrationResult, RunFn, ThresholdsFile} from './calibrate';
export {THRESHOLDS_FORMAT, fingerprintOf, saveThresholds} from './calibrate';
export type {BoxMetric, CompiledMetric, DecodedKeypoint, KeypointMetric, MaskMetric, MetricAccumulator, MetricFunction, OutputArray,
  TaskMetricSpec} from './task_metrics';
/** Task metrics (what calibrate's {kind: 'keypoints' | 'boxes' | 'mask'} compute), for evaluations. */
export {boxMatch, compileMetric, decodeMovenet, decodePosenet, iou, keypointAgreement, keypointTolerance, maskIou,
  metricName} from './task_metrics';
/** Parses and checks a thresholds file without applying it (loadThresholds' checks). */
export {parseThresholds as parseThresholdsFile} from './calibrate';

/**
 * Searches per-layer thresholds (input threshold included) on the active delta backend that skip the
 * most MACs while `options.metric` of the outputs against the dense outputs stays <= `options.target`
 * on every one of `frames` calibration frames. `run(f)` runs the model on frame f and returns its
 * outputs (calibrate disposes them). The configuration is restored afterwards: apply the result with
 * `configure(result)` or `loadThresholds(saveThresholds(result))`.
 */
export async function calibrate(run: RunFn, frames: number, options: CalibrationOptions): Promise<CalibrationResult> {
  requireEngine('calibrate()');
  return calibrateImpl(() => requireEngine('calibrate()'), () => reset(), run, frames, options);
}

/**
 * Applies a thresholds file written by saveThresholds(): configure({inputThreshold, threshold,
 * thresholds}) with its stable keys. The match with the model is checked lazily, once frames have run:
 * keys that match no layer show in stats().warnings, and checkThresholds() throws. Returns the file.
 */
export function loadThresholds(json: string, source = 'JSON'): ThresholdsFile {
  const file = parseThresholds(json);
  configure({inputThreshold: file.inputThreshold, threshold: file.threshold ?? 0, thresholds: file.thresholds});
  globalState().loadedThresholds = {source, fingerprint: file.model.fingerprint, keys: file.model.keys};
  return file;
}

/**
 * Throws a clear error when the thresholds loaded with loadThresholds() (or configured by key) do not
 * match the model the current stream has run (call it after at least one frame). Returns the stable keys.
 */
export function checkThresholds(options: {stream?: string} = {}): string[] {
  const e = requireEngine('checkThresholds()');
  const id = options.stream ?? e.currentStreamId();
  const keys = e.stableKeys(id);
  if (!keys.length) throw new Error('tfjs-backend-delta: checkThresholds(): no frame has run on this stream yet');
  const loaded = globalState().loadedThresholds;
  if (loaded) {
    const {missing} = compareKeys({model: {fingerprint: loaded.fingerprint, keys: loaded.keys}}, keys);
    const fp = fingerprintOf(keys);
    if (missing.length) {
      throw new Error(`tfjs-backend-delta: thresholds from ${loaded.source} were calibrated for another model ` +
          `(fingerprint ${loaded.fingerprint}, this model ${fp}): ${missing.length} of ${loaded.keys.length} layers not found` +
          (missing.length ? ` (e.g. ${missing[0]})` : ''));
    }
  }
  const unknown = e.unknownThresholdKeys(id);
  if (unknown.length) throw new Error(`tfjs-backend-delta: ${unknown.length} threshold keys match no layer of this model (e.g. ${unknown[0]})`);
  return keys;
}
