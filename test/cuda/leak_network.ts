// The small network of the delta-cuda leak specs: backend.spec.ts ('does not leak over many frames of a
// small network', on the GPU) and delta_backend_emulated.spec.ts (the same network on the emulated addon).
import * as tf from '@tensorflow/tfjs-core';

/**
 * Random weights (made now, on the current backend) and run(): one frame on a new random input, fused conv
 * (stride 2, relu6, a new bias constant every frame) -> depthwise -> resizeBilinear -> mean -> softmax, in a
 * tidy. The caller disposes `weights`.
 */
export function leakNetwork(): {run: () => tf.Tensor; weights: tf.Tensor[]} {
  const w1 = tf.randomNormal([3, 3, 3, 16]) as tf.Tensor4D, w2 = tf.randomNormal([3, 3, 16, 1]) as tf.Tensor4D;
  const run = () => tf.tidy(() => {
    const x = tf.randomUniform([1, 32, 32, 3]) as tf.Tensor4D;
    const h = tf.fused.conv2d({x, filter: w1, strides: 2, pad: 'same', activation: 'relu6', bias: tf.ones([16])});
    const d = tf.depthwiseConv2d(h, w2, 1, 'same');
    return tf.softmax(tf.mean(tf.image.resizeBilinear(d, [8, 8]), [1, 2]));
  });
  return {run, weights: [w1, w2]};
}
