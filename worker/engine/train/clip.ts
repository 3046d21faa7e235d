// Gradient clipping by global norm (torch.nn.utils.clip_grad_norm_): all gradients are scaled by
// min(1, maxNorm / (norm + 1e-6)). The norm stays on the device; the caller reads it with the step's other values.
import * as tf from "@tensorflow/tfjs-core";

/** Returns the clipped gradients (new tensors) and the global norm before clipping (a scalar tensor). */
export function clipByGlobalNorm(
  grads: tf.Tensor[],
  maxNorm: number,
): { clipped: tf.Tensor[]; norm: tf.Scalar } {
  return tf.tidy(() => {
    // No gradients (everything frozen): a step that only measures the loss.
    const norm = (
      grads.length === 0 ? tf.scalar(0) : tf.sqrt(tf.addN(grads.map((g) => tf.sum(tf.square(g)))))
    ) as tf.Scalar;
    if (!(maxNorm > 0) || !Number.isFinite(maxNorm)) return { clipped: grads.map((g) => tf.clone(g)), norm };
    const scale = tf.minimum(tf.scalar(1), tf.div(tf.scalar(maxNorm), tf.add(norm, 1e-6)));
    return { clipped: grads.map((g) => tf.mul(g, scale)), norm };
  });
}
