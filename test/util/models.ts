// The real models of the end-to-end tests: loading a cached graph model from disk (no fetch) and the
// input convention of each model (size, dtype, value range), taken from the models' signatures and from
// how @vladmandic/human 3.3.6 (src/body/*.ts, src/object/centernet.ts, src/segmentation/selfie.ts)
// prepares their inputs.
import * as tf from '@tensorflow/tfjs-core';
import {GraphModel, loadGraphModel} from '@tensorflow/tfjs-converter';
import {readFileSync} from 'node:fs';
import {dirname, join} from 'node:path';
import {setupData} from './video';

export interface ModelSpec {
  name: string;                      // key in <cache>/models and in setupData().models
  width: number;                     // input width and height fed to the model
  height: number;
  dtype: 'float32' | 'int32';
  range: [number, number];           // value range of the input: RGB 0..255 maps linearly onto it
  /** How the frame is fitted into width x height: MoveNet pads to a square (letterbox), others stretch. */
  fit: 'stretch' | 'pad';
  /** Output node names of model.execute(x) in the order it returns them (the model's signature). */
  outputs: string[];
  /** The model's own input size when it differs from width x height: the loader then rewrites the
   *  input placeholder's shape (only for fully convolutional models, where that is valid). */
  signatureSize?: [number, number];
  /** Exact-mode overrides per output, each with the reason. The check is max|a-b| / max(max|ref|, floor)
   *  <= tol, by default tol 1e-4 and floor 1e-6 (relative); floor 1 makes it absolute for outputs in [0,1]. */
  exactTolerance?: Record<string, {tol?: number; floor?: number; why: string}>;
  note: string;
}

export const MODELS: Record<string, ModelSpec> = {
  // PoseNet MobileNetV1 (output stride 16): fully convolutional, signature says 385x385. Any size
  // 16k+1 works (25x25 outputs at 385, 17x17 at 257); 257 keeps CPU runs short.
  // human: tf.sub(tf.div(resized, 127.5), 1) -> [-1, 1].
  'posenet': {
    name: 'posenet', width: 257, height: 257, dtype: 'float32', range: [-1, 1], fit: 'stretch',
    signatureSize: [385, 385],
    outputs: ['MobilenetV1/displacement_fwd_2/BiasAdd', 'MobilenetV1/heatmap_2/BiasAdd',
      'MobilenetV1/displacement_bwd_2/BiasAdd', 'MobilenetV1/offset_2/BiasAdd'],
    note: 'input image:0 [1,H,W,3] float32 in [-1,1] (x/127.5-1), any H,W = 16k+1 (signature: 385)',
  },
  // MoveNet SinglePose Lightning v4: input:0 [1,192,192,3] int32 0..255 (human: padInput = pad to
  // square, resizeBilinear, cast int32). Output Identity:0 [1,1,17,3] = (y, x, score), y/x in [0,1] of
  // the padded square.
  'movenet-lightning': {
    name: 'movenet-lightning', width: 192, height: 192, dtype: 'int32', range: [0, 255], fit: 'pad',
    outputs: ['Identity'],
    note: 'input input:0 [1,192,192,3] int32 0..255, letterboxed square; out [1,1,17,3] (y,x,score)',
  },
  // BlazePose Lite (landmarks, the second stage of MediaPipe pose): input_1 [N,256,256,3] float32
  // [0,1] (human: tf.div(resize, 255)).
  'blazepose-lite': {
    name: 'blazepose-lite', width: 256, height: 256, dtype: 'float32', range: [0, 1], fit: 'stretch',
    // signature keys (nodes Identity_4, Identity, Identity_1, Identity_3, Identity_2)
    outputs: ['world_3d', 'activation_heatmap', 'activation_segmentation', 'output_poseflag', 'ld_3d'],
    exactTolerance: {
      'activation_segmentation': {tol: 2e-2, why: 'ill-conditioned: sigmoid of logits up to ~900 in magnitude; on ' +
        'dense cpu itself a 1-ulp perturbation of the input changes it by ~1e-3 (max|a-b|/max|ref|); 2e-2 is 20x ' +
        'that, the same margin the well-conditioned outputs get (their 1-ulp sensitivity is 5e-6..3e-5)'},
      'output_poseflag': {floor: 1, why: 'one probability, often 1e-7..1e-3 on frames without a centered person: ' +
        'relative to its own value it is at float noise (1-ulp input perturbation on dense cpu: up to 1.7e-4), ' +
        'so it is compared in absolute terms'},
    },
    note: 'input input_1 [1,256,256,3] float32 [0,1]; out world_3d [1,117], heatmap [1,64,64,39], ' +
      'segmentation [1,256,256,1], poseflag [1,1], ld_3d [1,195]',
  },
  // CenterNet MobileNetV3 (object detection): tower_0/images [1,512,512,3] float32 0..255 (human feeds
  // resizeBilinear(input) without normalization). Its head ends in TopK + gathers (tower_0/detections).
  'centernet': {
    name: 'centernet', width: 512, height: 512, dtype: 'float32', range: [0, 255], fit: 'stretch',
    outputs: ['tower_0/wh', 'tower_0/keypoints', 'tower_0/detections'],
    note: 'input tower_0/images [1,512,512,3] float32 0..255; out wh [1,128,128,4], keypoints ' +
      '[1,128,128,80] (class heatmaps), detections [1,100,6] (x1,y1,x2,y2,score,class; TopK)',
  },
  // MediaPipe selfie segmentation: input_1:0 [1,256,256,3] float32 [0,1] (human: div 255).
  'selfie': {
    name: 'selfie', width: 256, height: 256, dtype: 'float32', range: [0, 1], fit: 'stretch',
    outputs: ['activation_10'],
    note: 'input input_1:0 [1,256,256,3] float32 [0,1]; out activation_10 [1,256,256,1] (sigmoid mask)',
  },
};

/** 2% of the model's input range: the input threshold of the "real video" runs. */
export function inputThreshold(spec: ModelSpec, share = 0.02): number {
  return share * (spec.range[1] - spec.range[0]);
}

/** An RGB uint8 frame (height*width*3, HWC) as the model's input tensor [1,H,W,3] on the current backend. */
export function frameToInput(spec: ModelSpec, frame: Uint8Array): tf.Tensor4D {
  const shape: [number, number, number, number] = [1, spec.height, spec.width, 3];
  if (frame.length !== spec.height * spec.width * 3) {
    throw new Error(`${spec.name}: frame has ${frame.length} bytes, expected ${spec.height}x${spec.width}x3`);
  }
  if (spec.dtype === 'int32') {
    const [lo, hi] = spec.range;
    if (lo !== 0 || hi !== 255) throw new Error('int32 inputs are raw 0..255');
    return tf.tensor4d(Int32Array.from(frame), shape, 'int32');
  }
  const [lo, hi] = spec.range;
  const s = (hi - lo) / 255;
  const v = new Float32Array(frame.length);
  for (let i = 0; i < frame.length; i++) v[i] = frame[i] * s + lo;
  return tf.tensor4d(v, shape, 'float32');
}

/** A file-system IOHandler: model.json + its weight shards (concatenated in manifest order).
 *  inputSize [h, w] rewrites the size of every 4-D input placeholder (and the signature). */
export function fileHandler(modelJson: string, inputSize?: [number, number]): tf.io.IOHandler {
  return {
    async load() {
      const json = JSON.parse(readFileSync(modelJson, 'utf8')) as tf.io.ModelJSON;
      if (inputSize) setInputSize(json, inputSize);
      const dir = dirname(modelJson);
      return tf.io.getModelArtifactsForJSON(json, async (manifest) => {
        const specs: tf.io.WeightsManifestEntry[] = [];
        const buffers: Buffer[] = [];
        for (const group of manifest) {
          specs.push(...group.weights);
          for (const p of group.paths) buffers.push(readFileSync(join(dir, p)));
        }
        const all = Buffer.concat(buffers);
        const data = all.buffer.slice(all.byteOffset, all.byteOffset + all.byteLength) as ArrayBuffer;
        return [specs, data];
      });
    },
  };
}

// model.json's topology is a TF GraphDef in JSON (untyped here).
function setInputSize(json: any, [h, w]: [number, number]) {
  const dims = (d: Array<{size: string}>) => { if (d?.length === 4) { d[1].size = String(h); d[2].size = String(w); } };
  for (const node of json.modelTopology.node) {
    if (node.op === 'Placeholder') dims(node.attr?.shape?.shape?.dim);
  }
  for (const input of Object.values(json.signature?.inputs ?? {}) as Array<{tensorShape?: {dim: Array<{size: string}>}}>) {
    dims(input.tensorShape?.dim ?? []);
  }
}

/** Loads a cached model onto the current backend (call after tf.setBackend: weights are written to it). */
export async function loadModel(name: string): Promise<GraphModel> {
  const file = setupData().models[name];
  if (!file) throw new Error(`model ${name} is not in the cache (scripts/setup-data.mjs)`);
  const spec = MODELS[name];
  const resize = spec?.signatureSize &&
      (spec.signatureSize[0] !== spec.height || spec.signatureSize[1] !== spec.width);
  return loadGraphModel(fileHandler(file, resize ? [spec.height, spec.width] : undefined));
}

/** Output node names of a loaded model, in the order model.execute(x) returns them. */
export function outputNames(model: GraphModel): string[] {
  return model.outputNodes.map((n) => n.replace(/:0$/, ''));
}
