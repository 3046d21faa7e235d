// The summed next-token loss of one batch. Models that expose their final hidden states and vocabulary
// projection (the engine's decoder does) take the fused path, which never materialises [B, T, V] logits;
// any other CausalLM goes through forward() and the plain logits loss.
import * as tf from "@tensorflow/tfjs-core";
import type { Batch } from "../data/batches.ts";
import type { CausalLM, ForwardOptions } from "../model/types.ts";
import { fusedCrossEntropySum, shiftedTargets } from "./fused-loss.ts";
import { summedCrossEntropy } from "./loss.ts";

interface ExposesHiddenStates {
  hiddenStates(inputIds: tf.Tensor2D, attentionMask?: tf.Tensor2D, opts?: ForwardOptions): tf.Tensor3D;
  lmHeadWeight(): tf.Tensor2D;
}

function exposesHiddenStates(model: CausalLM): model is CausalLM & ExposesHiddenStates {
  const m = model as Partial<ExposesHiddenStates>;
  return typeof m.hiddenStates === "function" && typeof m.lmHeadWeight === "function";
}

export interface BatchTensors {
  ids: tf.Tensor2D;
  labels: tf.Tensor2D;
  mask: tf.Tensor2D;
}

export function batchTensors(batch: Batch): BatchTensors {
  const shape: [number, number] = [batch.batchSize, batch.seqLen];
  return {
    ids: tf.tensor2d(batch.inputIds, shape, "int32"),
    labels: tf.tensor2d(batch.labels, shape, "int32"),
    mask: tf.tensor2d(batch.attentionMask, shape, "int32"),
  };
}

/** Sum of the batch's next-token negative log-likelihoods (a scalar on the device). */
export function batchLossSum(
  model: CausalLM,
  batch: Batch,
  t: BatchTensors,
  opts: ForwardOptions = {},
): tf.Scalar {
  return tf.tidy(() => {
    if (exposesHiddenStates(model)) {
      const h = model.hiddenStates(t.ids, t.mask, opts); // [B, T, H]
      const flat = tf.reshape(h, [batch.batchSize * batch.seqLen, h.shape[2]]) as tf.Tensor2D; // [B*T, H]
      return fusedCrossEntropySum(
        flat,
        model.lmHeadWeight(),
        shiftedTargets(batch.labels, batch.batchSize, batch.seqLen),
      );
    }
    return summedCrossEntropy(model.forward(t.ids, t.mask, opts), t.labels);
  });
}
