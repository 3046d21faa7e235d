// The summed next-token loss of one batch. A model that exposes its final hidden states and vocabulary
// projection (the engine's decoder does) goes through the chunked loss, which never materialises [B, T, V]
// logits (model/lm-loss.ts); any other CausalLM goes through forward() and the plain logits loss.
import * as tf from "@tensorflow/tfjs-core";
import type { Batch } from "../data/batches.ts";
import { summedNextTokenLoss } from "../model/lm-loss.ts";
import type { CausalLM, ForwardOptions } from "../model/types.ts";
import { summedCrossEntropy } from "./loss.ts";

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

/** Unshifted labels as rows, read from the batch's host copy (no device read). */
function labelRows(batch: Batch): number[][] {
  return Array.from({ length: batch.batchSize }, (_, b) =>
    Array.from(batch.labels.subarray(b * batch.seqLen, (b + 1) * batch.seqLen)),
  );
}

/** Sum of the batch's next-token negative log-likelihoods (a scalar on the device). */
export function batchLossSum(
  model: CausalLM,
  batch: Batch,
  t: BatchTensors,
  opts: ForwardOptions = {},
): tf.Scalar {
  if (model.hiddenStates && model.lmHeadWeight) {
    return summedNextTokenLoss(model, t.ids, t.mask, labelRows(batch), opts);
  }
  return tf.tidy(() => summedCrossEntropy(model.forward(t.ids, t.mask, opts), t.labels));
}
