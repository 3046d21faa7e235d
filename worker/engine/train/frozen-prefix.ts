// The lowest layers once they are entirely frozen. Their backward pass is skipped by autodiff alone: with LoRA
// nothing below them trains (the embeddings are frozen), so no listed variable leads into them and tfjs leaves
// their tape nodes out. Their forward pass is what the activation cache (activation-cache.ts) saves: a batch's
// hidden states at the output of layer k - 1 are read from it row by row, the rows it lacks are computed outside
// the gradient tape and stored, and the rest of the model starts from there (ForwardOptions.from).
import * as tf from "@tensorflow/tfjs-core";
import type { Batch } from "../data/batches.ts";
import type { CausalLM, Component, ForwardOptions } from "../model/types.ts";
import type { ActivationCache } from "./activation-cache.ts";
import type { TrainSpec } from "./types.ts";

/** How many of the lowest layers are entirely frozen (every tracked component of theirs is). */
export function frozenPrefixLayers(
  components: Component[],
  isFrozen: (name: string) => boolean,
  numLayers: number,
): number {
  for (let layer = 0; layer < numLayers; layer++) {
    if (components.some((c) => c.layer === layer && !isFrozen(c.name))) return layer;
  }
  return numLayers;
}

/**
 * Why a run cannot cache activations, or undefined when it can. Full fine-tuning trains the embeddings and
 * every norm, so the input of the lowest layers changes at every step; LoRA dropout draws new masks at every
 * step, frozen adapters included, so their output is not a function of the example alone.
 */
export function activationCacheExclusion(
  spec: Pick<TrainSpec, "trainingType" | "lora">,
  limitBytes: number,
): string | undefined {
  if (limitBytes <= 0) return "the activation cache is switched off";
  if (spec.trainingType !== "lora")
    return "full fine-tuning trains the embeddings and norms below every layer";
  if (spec.lora.dropout > 0) return "LoRA dropout makes the frozen layers' output random";
  return undefined;
}

/** A row's real length: its leading attention-mask ones; -1 when the row is not right-padded. */
function realLength(mask: Int32Array, row: number, seqLen: number): number {
  const start = row * seqLen;
  let n = 0;
  while (n < seqLen && mask[start + n] === 1) n++;
  for (let t = n; t < seqLen; t++) if (mask[start + t] !== 0) return -1;
  return n;
}

/**
 * The batch's hidden states [B, T, H] after the lowest `layers` layers, taken from `cache` where it holds them and
 * computed (outside any gradient tape) and stored otherwise. Padding positions are zero: every query masks
 * them out, so what they hold never reaches a real position. A batch without row indices is computed whole.
 */
export async function prefixStates(
  model: CausalLM,
  cache: ActivationCache,
  layers: number,
  batch: Batch,
  opts: ForwardOptions,
): Promise<tf.Tensor3D> {
  if (!model.layerOutput) throw new Error("the model cannot start above its lowest layers");
  const layerOutput = model.layerOutput.bind(model);
  const { batchSize: B, seqLen: T } = batch;
  const H = model.config.hidden_size;
  cache.atDepth(layers);
  const out = new Float32Array(B * T * H);
  const lengths = Array.from({ length: B }, (_, b) => realLength(batch.attentionMask, b, T));
  const keys = batch.indices;
  const missing: number[] = [];
  for (let b = 0; b < B; b++) {
    const cached =
      keys !== undefined && lengths[b]! >= 0 && cache.read(keys[b]!, lengths[b]!, out, b * T * H);
    if (!cached) missing.push(b);
  }
  if (missing.length > 0) {
    // The missing rows as a batch of their own, padded as the whole batch is.
    const ids = new Int32Array(missing.length * T);
    const mask = new Int32Array(missing.length * T);
    missing.forEach((b, j) => {
      ids.set(batch.inputIds.subarray(b * T, (b + 1) * T), j * T);
      mask.set(batch.attentionMask.subarray(b * T, (b + 1) * T), j * T);
    });
    const computed = tf.tidy(() =>
      layerOutput(
        tf.tensor2d(ids, [missing.length, T], "int32"),
        tf.tensor2d(mask, [missing.length, T], "int32"),
        layers,
        opts,
      ),
    ); // [m, T, H]
    const values = (await computed.data()) as Float32Array;
    computed.dispose();
    missing.forEach((b, j) => {
      const length = lengths[b]!;
      const row = values.subarray(j * T * H, (j * T + Math.max(length, 0)) * H);
      out.set(length >= 0 ? row : values.subarray(j * T * H, (j + 1) * T * H), b * T * H);
      if (keys !== undefined && length >= 0) cache.write(keys[b]!, row);
    });
  }
  return tf.tensor3d(out, [B, T, H]);
}
