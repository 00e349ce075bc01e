// The tfjs-core kernel test suites that must pass on delta-cpu in exact mode (all thresholds 0).
// Shared by setup.mjs (bundled: builds the jasmine spec filter) and run.mjs (imports the test
// files, prints the per-op summary).
//
// op:        the op name as the acceptance criterion lists it (used in the summary).
// files:     tfjs-core test files (relative to @tensorflow/tfjs-core/dist) that define its suites.
// describes: the top-level describeWithFlags() names of its suites in those files. A spec belongs
//            to the op when its full name starts with `${describe} ${TEST_ENV_NAME} ` (describe
//            WithFlags appends the test env's name and flags), so 'conv2d' does not swallow
//            'conv2dTranspose' and 'relu' does not swallow 'relu6'.
// excludes:  substrings of spec names not to run, each with the reason. Only for reasons that
//            have nothing to do with our kernels (every one of them also fails, or cannot run, on
//            tfjs's own 'cpu' backend: check with DELTA_CORE_BACKEND=cpu node test/core-suites/run.mjs).
//            With tfjs-core 4.22.0 none is needed: every spec of these suites passes on 'cpu' and
//            on delta-cpu (tfjs's own cpu setup_test excluded 'basic/im2row in NCHW with' fused
//            conv2d specs in older releases; they pass on 4.22.0, so they run here).
//            Form: excludes: [{match: 'substring of the spec name', reason: 'why'}].
export const TEST_ENV_NAME = 'delta-cpu';

export const SUITES = [
  {op: 'conv2d', files: ['ops/conv2d_test.js'], describes: ['conv2d']},
  {op: 'fused conv2d', files: ['ops/fused/fused_conv2d_test.js'], describes: ['fused conv2d']},
  {op: 'depthwiseConv2D', files: ['ops/depthwise_conv2d_test.js'],
   describes: ['depthwiseConv2D', 'depthwiseConv2d gradients']},
  {op: 'fused depthwiseConv2D', files: ['ops/fused/fused_depthwise_conv2d_test.js'],
   describes: ['fused depthwiseConv2D']},
  {op: 'conv2dTranspose', files: ['ops/conv2d_transpose_test.js'], describes: ['conv2dTranspose']},
  {op: 'maxPool', files: ['ops/max_pool_test.js'], describes: ['maxPool', 'maxPoolBackprop']},
  {op: 'avgPool', files: ['ops/avg_pool_test.js'], describes: ['avgPool']},
  {op: 'relu', files: ['ops/relu_test.js'], describes: ['relu']},
  {op: 'relu6', files: ['ops/relu6_test.js'], describes: ['relu6']},
  {op: 'leakyrelu', files: ['ops/leaky_relu_test.js'], describes: ['leakyrelu']},
  // binary_ops_test.js also holds maximum/minimum/mod/atan2/... suites: not selected.
  {op: 'prelu', files: ['ops/binary_ops_test.js'], describes: ['prelu']},
  {op: 'elu', files: ['ops/elu_test.js'], describes: ['elu']},
  {op: 'sigmoid', files: ['ops/sigmoid_test.js'], describes: ['sigmoid']},
  {op: 'tanh', files: ['ops/tanh_test.js'], describes: ['tanh']},
  {op: 'batchNorm', files: ['ops/batchnorm_test.js'], describes: ['batchNorm4D', 'batchNorm3D', 'batchNorm2D']},
  {op: 'add', files: ['ops/add_test.js'], describes: ['add']},
  {op: 'addN', files: ['ops/add_n_test.js'], describes: ['addN']},
  {op: 'sub', files: ['ops/sub_test.js'], describes: ['sub']},
  // arithmetic_test.js also holds the div and pow suites: not selected.
  {op: 'mul', files: ['ops/arithmetic_test.js'], describes: ['mul']},
  {op: 'resizeBilinear', files: ['ops/image/resize_bilinear_test.js'],
   describes: ['resizeBilinear', 'resizeBilinear gradients']},
  {op: 'resizeNearestNeighbor', files: ['ops/image/resize_nearest_neighbor_test.js'],
   describes: ['resizeNearestNeighbor', 'resizeNearestNeighbor gradients']},
  // 'memory test' in concat_test.js is a concat suite too (concat of an empty and a non-empty tensor).
  {op: 'concat', files: ['ops/concat_test.js'],
   describes: ['concat1d', 'concat2d', 'concat3d', 'concat throws for non-tensors', 'memory test']},
  {op: 'pad', files: ['ops/pad_test.js'], describes: ['pad 1d', 'pad 2d', 'pad 3d', 'pad 4d', 'pad']},
  {op: 'mean', files: ['ops/mean_test.js'], describes: ['mean']},
];

/** The op a spec belongs to (by its full name), or null when it is in none of SUITES. */
export function opOf(fullName, envName = TEST_ENV_NAME) {
  for (const s of SUITES) {
    for (const d of s.describes) {
      if (fullName.startsWith(`${d} ${envName} `)) return s;
    }
  }
  return null;
}

/** null when the spec is to run, else the documented reason for excluding it. */
export function exclusionOf(fullName, envName = TEST_ENV_NAME) {
  const s = opOf(fullName, envName);
  if (!s) return 'not one of the listed op suites';
  for (const e of s.excludes ?? []) {
    if (fullName.includes(e.match)) return e.reason;
  }
  return null;
}
