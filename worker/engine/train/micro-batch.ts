// The gradient of one micro-batch: the part of a training step that the data-parallel replicas
// (parallel/replicas.ts) split by rows, so the trainer and every replica compute it with this one function.
import * as tf from "@tensorflow/tfjs-core";
import type { Batch } from "../data/batches.ts";
import type { CausalLM, ForwardOptions } from "../model/types.ts";
import type { ActivationCache } from "./activation-cache.ts";
import { batchLossSum, batchTensors } from "./batch-loss.ts";
import { prefixStates } from "./frozen-prefix.ts";

export interface MicroBatchGradients {
  /** The batch's summed loss divided by `targets`. */
  value: tf.Scalar;
  /** One per variable, in the order given. */
  grads: tf.Tensor[];
  /** The gradients' sum of squares, where the pass that produced them computed it (the replicas' sum). */
  sumSquares?: number;
}

/**
 * The loss of `batch` and its gradients for `vars`. The loss is summed over the batch's targets and divided by
 * `targets`, the whole step's count, so micro-batches (and the replicas' shares of one) add up to the gradient
 * of one large batch. With `cachedLayers` above 0 the forward pass starts above those entirely frozen layers,
 * from their cached (or just computed) output, off the tape.
 */
export async function microBatchGradients(
  model: CausalLM,
  cache: ActivationCache | undefined,
  batch: Batch,
  vars: tf.Variable[],
  targets: number,
  cachedLayers: number,
  opts: ForwardOptions,
): Promise<MicroBatchGradients> {
  const t = batchTensors(batch);
  const start = cachedLayers > 0 ? await prefixStates(model, cache!, cachedLayers, batch, opts) : undefined;
  const trained = { ...opts, trained: new Set(vars) };
  const forward = start ? { ...trained, from: { layers: cachedLayers, hidden: start } } : trained;
  const lossOf = () => tf.div(batchLossSum(model, batch, t, forward), targets) as tf.Scalar;
  try {
    // Everything frozen (benchmarks step such a trainer): the loss alone.
    if (vars.length === 0) return { value: tf.tidy(lossOf), grads: [] };
    const r = tf.variableGrads(lossOf, vars);
    return { value: r.value, grads: vars.map((v) => r.grads[v.name]!) };
  } finally {
    tf.dispose([t.ids, t.labels, t.mask, ...(start ? [start] : [])]);
  }
}
