import * as tf from "@tensorflow/tfjs-core";

/** A variable that takes over `t` (tf.variable keeps its own reference, so the source is released here). */
export function ownedVariable(t: tf.Tensor, trainable = false): tf.Variable {
  const v = tf.variable(t, trainable);
  t.dispose();
  return v;
}
