/**
 * The public API of tfjs-backend-delta: configure, stats, reset, frame, stream, debug.
 * It acts on the active tfjs backend when that is a delta backend (delta-cpu, delta-webgpu, delta-cuda).
 */
import * as tf from '@tensorflow/tfjs-core';
import {DeltaConfig, DeltaConfigUpdate, mergeConfig} from './config';
import type {DeltaEngine, DeltaStats} from './engine';
import {globalState} from './global';

export type {DeltaConfig, DeltaConfigUpdate} from './config';
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

/** What each slot saw and produced on the last frame; needs configure({debug: true}). */
export function debug(options: {stream?: string} = {}) {
  const e = requireEngine('debug()');
  return e.debug(options.stream ?? e.currentStreamId());
}

/** Number of slots and data-plane buffers held by the active delta backend (leak checks). */
export function memory(): {slots: number; buffers: number} {
  const e = requireEngine('memory()');
  return {slots: e.slotCount(), buffers: e.plane.bufferCount()};
}
