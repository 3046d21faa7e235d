// Causal-LM cross-entropy as Hugging Face computes it: logits at position t predict labels at t + 1, positions
// whose label is -100 are left out. Computed through logSoftmax (stable for large logits) and a one-hot product
// instead of gather, whose gradient the wasm backend lacks.
import * as tf from "@tensorflow/tfjs-core";
import { IGNORE_INDEX } from "../data/formats.ts";

/**
 * Sum of the next-token negative log-likelihoods over all labelled positions of a batch.
 * logits [B, T, V]; labels int32 [B, T] (unshifted, -100 = ignore). Divide by the label count for the mean.
 */
export function summedCrossEntropy(logits: tf.Tensor3D, labels: tf.Tensor2D): tf.Scalar {
  return tf.tidy(() => {
    const [b, t, v] = logits.shape;
    const predicting = tf.slice(logits, [0, 0, 0], [b, t - 1, v]); // [B, T-1, V]
    const targets = tf.slice(labels, [0, 1], [b, t - 1]); // [B, T-1]
    const valid = tf.notEqual(targets, tf.scalar(IGNORE_INDEX, "int32"));
    const safeTargets = tf.where(valid, targets, tf.zerosLike(targets)) as tf.Tensor2D;
    const logProbs = tf.logSoftmax(predicting, -1); // [B, T-1, V]
    const picked = tf.sum(tf.mul(logProbs, tf.oneHot(safeTargets, v)), -1); // [B, T-1]
    return tf.neg(tf.sum(tf.mul(picked, tf.cast(valid, "float32")))) as tf.Scalar;
  });
}

/** How many positions of `labels` (rows of unshifted labels) are predicted targets. */
export function countTargets(labels: number[][]): number {
  let n = 0;
  for (const row of labels) for (let i = 1; i < row.length; i++) if (row[i] !== IGNORE_INDEX) n++;
  return n;
}
