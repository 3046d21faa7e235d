// Mean next-token loss of a model over fixed batches, without gradients: validation and `score`.
import * as tf from "@tensorflow/tfjs-core";
import type { Batch } from "../data/batches.ts";
import type { CausalLM } from "../model/types.ts";
import { summedCrossEntropy } from "./loss.ts";

export function batchTensors(batch: Batch): { ids: tf.Tensor2D; labels: tf.Tensor2D; mask: tf.Tensor2D } {
  const shape: [number, number] = [batch.batchSize, batch.seqLen];
  return {
    ids: tf.tensor2d(batch.inputIds, shape, "int32"),
    labels: tf.tensor2d(batch.labels, shape, "int32"),
    mask: tf.tensor2d(batch.attentionMask, shape, "int32"),
  };
}

/** Summed loss and target count over `batches`; the sum stays on the device until one read at the end. */
export async function evaluateLoss(
  model: CausalLM,
  batches: Batch[],
): Promise<{ loss: number; tokens: number }> {
  let total: tf.Scalar = tf.scalar(0);
  let tokens = 0;
  for (const batch of batches) {
    const { ids, labels, mask } = batchTensors(batch);
    const next = tf.tidy(
      () => tf.add(total, summedCrossEntropy(model.forward(ids, mask), labels)) as tf.Scalar,
    );
    tf.dispose([ids, labels, mask, total]);
    total = next;
    tokens += batch.targets;
  }
  const sum = (await total.data())[0]!;
  total.dispose();
  return { loss: tokens > 0 ? sum / tokens : Number.NaN, tokens };
}
