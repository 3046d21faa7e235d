import * as tf from "@tensorflow/tfjs-core";

/** RMSNorm as transformers computes it: x * rsqrt(mean(x^2, last axis) + eps) * weight (all float32 here). */
export function rmsNorm(x: tf.Tensor, weight: tf.Tensor1D, eps: number): tf.Tensor {
  return tf.tidy(() => {
    const variance = tf.mean(tf.square(x), -1, true);
    return tf.mul(tf.mul(x, tf.rsqrt(tf.add(variance, eps))), weight);
  });
}
