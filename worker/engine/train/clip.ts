// Gradient clipping by global norm (torch.nn.utils.clip_grad_norm_): all gradients are scaled by
// min(1, maxNorm / (norm + 1e-6)). The factor is not applied here: the optimizer multiplies each gradient by it
// as it reads it (train/adamw.ts), so clipping writes no gradient out. The norm and the factor stay on the
// device; the caller reads the norm with the step's other values.
import * as tf from "@tensorflow/tfjs-core";
import { sumOfSquares } from "../kernels/sum-squares.ts";

/**
 * The global norm of the gradients (a scalar tensor) and, when clipping is on, the factor to multiply them by
 * (a scalar tensor, 1 where the norm is within maxNorm). `sumSquares`: their sum of squares where the caller
 * has it already (the pass that summed the replicas' gradients computed it), so they are not read again.
 */
export function clipFactor(
  grads: tf.Tensor[],
  maxNorm: number,
  sumSquares?: number,
): { norm: tf.Scalar; scale?: tf.Scalar } {
  return tf.tidy(() => {
    const norm = tf.sqrt(sumSquares === undefined ? sumOfSquares(grads) : tf.scalar(sumSquares)) as tf.Scalar;
    if (!(maxNorm > 0) || !Number.isFinite(maxNorm)) return { norm };
    const scale = tf.minimum(tf.scalar(1), tf.div(tf.scalar(maxNorm), tf.add(norm, 1e-6))) as tf.Scalar;
    return { norm, scale };
  });
}
