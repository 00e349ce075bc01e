/**
 * Runs one pose model on one backend, frame by frame, and measures what the page shows: the time of
 * model.execute + downloading the model's outputs, the keypoints, and two change maps read from real
 * tensors: the input update mask (the output of the first delta kernel that diffs the frame, at input
 * resolution) and one chosen layer's active pixels (that layer's output, requested as an extra output
 * node). A delta slot's output changes from one frame to the next exactly at the pixels it propagated
 * (test/engine/layer-of.spec.ts checks this against stats()), so "changed since the previous frame" is
 * the backend's own update mask, not a guess. The same maps on the dense backend show that it
 * recomputes, and changes, nearly every pixel.
 */
import * as tf from '@tensorflow/tfjs-core';
import {GraphModel, loadGraphModel} from '@tensorflow/tfjs-converter';
import * as delta from 'tfjs-backend-delta';
import {decodeKeypoints, Keypoint, OutputValues} from '../../src/cli/keypoints';
import type {FrameGeometry} from '../../src/cli/video';
import {DemoModel, MAPPABLE_OPS} from './models';

export type Side = 'dense' | 'delta';

/** Pixels of a [1,h,w,c] tensor whose value changed (any channel) since the previous frame. */
export interface ChangeMap {
  width: number;
  height: number;
  changed: Uint8Array;
  fraction: number;
}

export interface LayerChoice {
  node: string;
  /** Name of the layer in delta.stats().layers (from delta.layerOf on the node's output). */
  layer: string;
  shape: number[];
}

export interface SideResult {
  side: Side;
  /** model.execute + download of the model's outputs (ms); the change maps are read after it. */
  ms: number;
  keypoints: Keypoint[];
  inputMap: ChangeMap | null;
  layerMap: ChangeMap | null;
}

/** One model on one backend, with what it saw on the previous frame (for the change maps). */
export class SideRunner {
  private replay: delta.ReplayModel | null = null;
  readonly times: number[] = [];
  private prevInput: Float32Array | null = null;
  private prevLayer: {node: string; values: Float32Array} | null = null;
  /** Layers the map can show (delta side only; found on the first frame). */
  layers: LayerChoice[] = [];

  private constructor(readonly side: Side, readonly backend: string, readonly model: DemoModel, readonly size: number,
                      private readonly graph: GraphModel, private readonly nodes: Array<{name: string; op: string}>,
                      private readonly consts: tf.Tensor[]) {}

  static async create(side: Side, backend: string, model: DemoModel, size: number): Promise<SideRunner> {
    await tf.setBackend(backend);   // load after setBackend: the weights live on this backend
    let nodes: Array<{name: string; op: string}> = [];
    const rewrite = size !== (model.spec.signatureSize?.[0] ?? model.spec.width);
    // model.json as served; posenet's input placeholder is rewritten to size x size (fully convolutional).
    const fetchFunc = async (input: RequestInfo | URL, init?: RequestInit) => {
      const r = await fetch(input, init);
      if (!String(input).endsWith('model.json')) return r;
      if (!r.ok) throw new Error(`${model.name}: ${String(input)}: HTTP ${r.status} (run node demo/prepare.mjs)`);
      const json = await r.json();
      nodes = json.modelTopology.node.map((n: {name: string; op: string}) => ({name: n.name, op: n.op}));
      if (rewrite) setInputSize(json, size);
      return new Response(JSON.stringify(json), {headers: {'content-type': 'application/json'}});
    };
    const graph = await loadGraphModel(`models/${model.name}/model.json`, {fetchFunc: fetchFunc as typeof fetch});
    const consts = model.inputMaskNode === null ? [tf.scalar(1 / 127.5), tf.scalar(1)] : [];
    return new SideRunner(side, backend, model, size, graph, nodes, consts);
  }

  /** Median ms of the last n frames, leaving out the first 2 (pipelines compile, the delta seed). */
  medianMs(n = 15): number | null {
    const t = this.times.slice(2).slice(-n);
    if (!t.length) return null;
    const s = [...t].sort((a, b) => a - b);
    return s[s.length >> 1];
  }

  /**
   * Runs one frame. rgb: size*size*3 bytes (the frame fitted as the model expects). layerNode: graph
   * node for the layer map (null: none). findLayers: also request every mappable node once, to learn
   * which stats row each one is (delta side; on the first frame, which is a dense seed anyway).
   */
  async run(rgb: Uint8Array, g: FrameGeometry, layerNode: string | null, findLayers = false): Promise<SideResult> {
    await tf.setBackend(this.backend);
    const spec = this.model.spec;
    const maskNode = this.model.inputMaskNode;
    const candidates = findLayers ? this.nodes.filter((n) => MAPPABLE_OPS.has(n.op)).map((n) => n.name) : [];
    const extra = [...new Set([layerNode, maskNode, ...candidates].filter((n): n is string => !!n))];
    const names = [...spec.outputs, ...extra.filter((n) => !spec.outputs.includes(n))];

    const t0 = performance.now();
    const pre: {mask: tf.Tensor | null} = {mask: null};
    const outs = delta.frame(() => {
      const shape: [number, number, number, number] = [1, this.size, this.size, 3];
      if (spec.dtype === 'int32') {
        const x = tf.tensor4d(Int32Array.from(rgb), shape, 'int32');
        const o = asList(this.execute(x, names));
        x.dispose();
        return o;
      }
      // PoseNet: [-1,1] = x / 127.5 - 1 on the backend; the Mul is the first delta kernel (input mask).
      const x = tf.tensor4d(Float32Array.from(rgb), shape, 'float32');
      pre.mask = tf.mul(x, this.consts[0]);
      const input = tf.sub(pre.mask, this.consts[1]);
      const o = asList(this.execute(input, names));
      tf.dispose([x, input]);
      return o;
    });
    const modelOuts = outs.slice(0, spec.outputs.length);
    const values = await Promise.all(modelOuts.map((o) => o.data() as Promise<Float32Array>));
    const ms = performance.now() - t0;
    this.times.push(ms);

    const byName = new Map(names.map((n, i) => [n, outs[i]]));
    if (findLayers && this.side === 'delta') {
      this.layers = [];
      for (const n of candidates) {
        const t = byName.get(n)!;
        const layer = delta.layerOf(t);
        if (layer && t.rank === 4) this.layers.push({node: n, layer, shape: t.shape});
      }
    }
    const maskTensor = maskNode ? byName.get(maskNode)! : pre.mask!;
    const inputMap = await this.changeMap(maskTensor, 'input');
    const layerMap = layerNode ? await this.changeMap(byName.get(layerNode)!, layerNode) : null;
    tf.dispose([...outs, ...(pre.mask ? [pre.mask] : [])]);

    const outputs: OutputValues[] = modelOuts.map((o, i) => ({name: spec.outputs[i], shape: o.shape, values: values[i]}));
    const keypoints = decodeKeypoints(spec.pose!, outputs, g);
    return {side: this.side, ms, keypoints, inputMap, layerMap};
  }

  private async changeMap(t: tf.Tensor, key: string): Promise<ChangeMap | null> {
    if (t.rank !== 4) return null;
    const [, h, w, c] = t.shape;
    const values = (await t.data()) as Float32Array;
    const prev = key === 'input' ? this.prevInput : (this.prevLayer?.node === key ? this.prevLayer.values : null);
    if (key === 'input') this.prevInput = values; else this.prevLayer = {node: key, values};
    if (!prev || prev.length !== values.length) return null;   // first frame of this map: nothing to compare
    const changed = new Uint8Array(h * w);
    let n = 0;
    for (let p = 0; p < h * w; p++) {
      for (let k = p * c; k < p * c + c; k++) {
        if (values[k] !== prev[k]) { changed[p] = 1; n++; break; }
      }
    }
    return {width: w, height: h, changed, fraction: n / (h * w)};
  }

  /**
   * The delta side runs its frames through a replay model (delta.replayModel: after two recorded frames, the
   * recorded kernel sequence without tfjs' graph executor; the same kernels and outputs); the dense side is
   * plain tfjs.
   */
  private execute(x: tf.Tensor, names: string[]): tf.Tensor | tf.Tensor[] {
    if (this.side !== 'delta') return this.graph.execute(x, names);
    this.replay ??= delta.replayModel(this.graph);
    return this.replay.execute(x, names);
  }

  dispose() {
    this.replay?.dispose();
    this.graph.dispose();
    tf.dispose(this.consts);
  }
}

/** GraphModel.execute returns a lone tensor when one output is asked for. */
const asList = (r: tf.Tensor | tf.Tensor[]) => (Array.isArray(r) ? r : [r]);

function setInputSize(json: {modelTopology: {node: Array<{op: string; attr?: Record<string, any>}>}; signature?: any}, s: number) {
  const dims = (d: Array<{size: string}> | undefined) => { if (d?.length === 4) { d[1].size = String(s); d[2].size = String(s); } };
  for (const node of json.modelTopology.node) if (node.op === 'Placeholder') dims(node.attr?.shape?.shape?.dim);
  for (const input of Object.values(json.signature?.inputs ?? {}) as Array<{tensorShape?: {dim?: Array<{size: string}>}}>) {
    dims(input.tensorShape?.dim);
  }
}
