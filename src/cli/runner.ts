/**
 * Runs a loaded graph model over frames on the active backend, the way an app would: one
 * `model.execute` per frame and camera stream, outputs downloaded with `await data()` inside the timed
 * region (the tfjs e2e benchmark convention), everything disposed. On a delta backend it also records
 * `delta.stats()` per layer and frame.
 */
import * as tf from '@tensorflow/tfjs-core';
import type {GraphModel} from '@tensorflow/tfjs-converter';
import * as delta from '../index';
import type {ModelSpec} from './catalog';
import type {OutputValues} from './keypoints';
import {frameToInput, outputNames} from './models';

/** Per layer (slot) of a delta run: what it did on every frame. */
export interface LayerSeries {
  name: string;
  kernel: string;
  outputShape: number[];
  /** Share of output pixels that changed, per frame (mean over streams); NaN where the layer did not run. */
  active: number[];
  /** Per frame: whether the layer ran its delta kernel (in every stream), not a dense run or fallback. */
  delta: boolean[];
  denseMacs: number[];
  performedMacs: number[];
  modes: Record<string, number>;        // dense / delta / fallback: how many (frame, stream) runs
  fallbackReason: string | null;
}

export interface PassResult {
  /** Wall time per frame (all streams), execute + download. */
  msPerFrame: number[];
  /** Delta backends only: per layer, in first-execution order. */
  layers: LayerSeries[] | null;
  /** tf.memory().numTensors after the pass minus before it (0 = no leak). */
  leakedTensors: number;
}

export interface PassOptions {
  model: GraphModel;
  spec: Pick<ModelSpec, 'name' | 'width' | 'height' | 'dtype' | 'range'>;
  /** streams[b][f]: frame f of camera stream b (RGB uint8 at the model input size). */
  streams: Uint8Array[][];
  /** Called with every frame's downloaded outputs (stream by stream). */
  onOutputs?: (frame: number, stream: number, outputs: OutputValues[]) => void;
  onFrame?: (frame: number, ms: number) => void;
  /** Record delta.stats() per layer (the active backend must be a delta backend). */
  deltaStats?: boolean;
  /** Frames run through this replay model (delta.replayModel(model)) instead of model.execute. */
  replay?: delta.ReplayModel;
}

const streamId = (b: number, streams: number) => (streams === 1 ? undefined : `camera-${b}`);

/** Executes one frame of one stream: input, execute, download, dispose. Returns outputs and ms. */
export async function runFrame(model: GraphModel, spec: PassOptions['spec'], frame: Uint8Array, stream?: string,
                               replay?: delta.ReplayModel): Promise<{outputs: OutputValues[]; ms: number}> {
  const x = frameToInput(spec, frame);
  const t0 = performance.now();
  const exec = () => (replay ? replay.execute(x) : delta.frame(() => model.execute(x)));
  const y = stream ? delta.stream(stream, exec) : exec();
  const ys = Array.isArray(y) ? y : [y as tf.Tensor];
  const values = await Promise.all(ys.map((t) => t.data()));
  const ms = performance.now() - t0;
  const names = outputNames(model);
  const outputs = ys.map((t, i) => ({name: names[i] ?? String(i), shape: t.shape,
    values: values[i] instanceof Float32Array ? values[i] as Float32Array : Float32Array.from(values[i] as ArrayLike<number>)}));
  tf.dispose([x, ...ys]);
  return {outputs, ms};
}

export async function runPass(opts: PassOptions): Promise<PassResult> {
  const {model, spec, streams} = opts;
  const frames = streams[0].length;
  const before = tf.memory().numTensors;
  const msPerFrame: number[] = [];
  const layers = new Map<string, LayerSeries>();
  for (let f = 0; f < frames; f++) {
    let ms = 0;
    const frameLayers = new Map<string, {active: number; dense: number; performed: number; n: number; delta: boolean}>();
    for (let b = 0; b < streams.length; b++) {
      const id = streamId(b, streams.length);
      const r = await runFrame(model, spec, streams[b][f], id, opts.replay);
      ms += r.ms;
      opts.onOutputs?.(f, b, r.outputs);
      if (opts.deltaStats) {
        for (const l of delta.stats(id ? {stream: id} : {}).layers) {
          let s = layers.get(l.name);
          if (!s) {
            layers.set(l.name, s = {name: l.name, kernel: l.kernel, outputShape: l.outputShape, active: [], delta: [], denseMacs: [],
              performedMacs: [], modes: {}, fallbackReason: null});
          }
          s.modes[l.mode] = (s.modes[l.mode] ?? 0) + 1;
          if (l.fallbackReason) s.fallbackReason = l.fallbackReason;
          const acc = frameLayers.get(l.name) ?? {active: 0, dense: 0, performed: 0, n: 0, delta: true};
          acc.active += l.activeFraction; acc.dense += l.denseMacs; acc.performed += l.performedMacs; acc.n++;
          acc.delta &&= l.mode === 'delta';
          frameLayers.set(l.name, acc);
        }
      }
    }
    for (const [name, s] of layers) {
      const acc = frameLayers.get(name);
      s.active.push(acc ? acc.active / acc.n : NaN);
      s.delta.push(acc ? acc.delta : false);
      s.denseMacs.push(acc ? acc.dense : 0);
      s.performedMacs.push(acc ? acc.performed : 0);
    }
    msPerFrame.push(ms);
    opts.onFrame?.(f, ms);
  }
  // Layers first seen after frame 0 get NaN for the frames before.
  for (const s of layers.values()) {
    const missing = frames - s.active.length;
    if (missing > 0) {
      s.active.unshift(...new Array(missing).fill(NaN));
      s.delta.unshift(...new Array(missing).fill(false));
      s.denseMacs.unshift(...new Array(missing).fill(0));
      s.performedMacs.unshift(...new Array(missing).fill(0));
    }
  }
  return {msPerFrame, layers: opts.deltaStats ? [...layers.values()] : null, leakedTensors: tf.memory().numTensors - before};
}
