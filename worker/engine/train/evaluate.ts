// Mean next-token loss of a model over fixed batches, without gradients: validation and `score`.
import * as tf from "@tensorflow/tfjs-core";
import type { Batch } from "../data/batches.ts";
import type { CausalLM } from "../model/types.ts";
import { batchLossSum, batchTensors } from "./batch-loss.ts";

/** Summed loss and target count over `batches`; the sum stays on the device until one read at the end. */
export async function evaluateLoss(
  model: CausalLM,
  batches: Batch[],
): Promise<{ loss: number; tokens: number }> {
  let total: tf.Scalar = tf.scalar(0);
  let tokens = 0;
  for (const batch of batches) {
    const t = batchTensors(batch);
    const next = tf.tidy(() => tf.add(total, batchLossSum(model, batch, t)) as tf.Scalar);
    tf.dispose([t.ids, t.labels, t.mask, total]);
    total = next;
    tokens += batch.targets;
  }
  const sum = (await total.data())[0]!;
  total.dispose();
  return { loss: tokens > 0 ? sum / tokens : Number.NaN, tokens };
}
