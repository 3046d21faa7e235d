// The model, batch and training options every engine benchmark uses, so the in-process tables, the
// thread-count runs and the PyTorch reference (torch_reference.py, given the same numbers) all train one shape.
import { join } from "node:path";
import type { LoadedDataset } from "../data/dataset.ts";
import type { ModelConfig } from "../model/types.ts";
import { Rng } from "../train/rng.ts";
import type { TrainSpec } from "../train/types.ts";

export const MODEL: Partial<ModelConfig> = {
  vocab_size: 4096,
  hidden_size: 256,
  intermediate_size: 768,
  num_hidden_layers: 4,
  num_attention_heads: 8,
  num_key_value_heads: 4,
  head_dim: 32,
  max_position_embeddings: 512,
};
/** Qwen/Qwen3-0.6B's config.json, the fields the decoder reads: the reference shape of the memory table. */
export const QWEN3_06B = {
  model_type: "qwen3" as const,
  vocab_size: 151936,
  hidden_size: 1024,
  intermediate_size: 3072,
  num_hidden_layers: 28,
  num_attention_heads: 16,
  num_key_value_heads: 8,
  head_dim: 128,
  max_position_embeddings: 40960,
  rope_theta: 1000000,
  rms_norm_eps: 1e-6,
  tie_word_embeddings: true,
  attention_bias: false,
};
export const BATCH = 4;
export const SEQ = 128;
export const LORA_R = 8;

/** The bench's shape as torch_reference.py's flags. */
export const TORCH_SHAPE_ARGS = [
  `--vocab=${MODEL.vocab_size}`,
  `--hidden=${MODEL.hidden_size}`,
  `--intermediate=${MODEL.intermediate_size}`,
  `--layers=${MODEL.num_hidden_layers}`,
  `--heads=${MODEL.num_attention_heads}`,
  `--kv-heads=${MODEL.num_key_value_heads}`,
  `--head-dim=${MODEL.head_dim}`,
  `--batch=${BATCH}`,
  `--seq=${SEQ}`,
  `--lora-r=${LORA_R}`,
];

export function benchSpec(
  dir: string,
  gradesEnabled: boolean,
  trainingType: "lora" | "full" = "lora",
): TrainSpec {
  return {
    modelDir: dir,
    trainFile: "(in memory)",
    outputDir: join(dir, "out"),
    trainingType,
    lora: {
      r: LORA_R,
      alpha: 16,
      dropout: 0,
      targetModules: ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"],
      useRslora: false,
    },
    // tau 0: every component is measured at every step and none ever freezes.
    grades: {
      enabled: gradesEnabled,
      tau: 0,
      alpha: 0,
      metric: "grad_change",
      normalize: "mean",
      interval: 1,
      maxFrozenRatio: 1,
    },
    nEpochs: 1000,
    batchSize: BATCH,
    gradientAccumulationSteps: 1,
    learningRate: 1e-4,
    weightDecay: 0,
    warmupRatio: 0,
    lrScheduler: "constant",
    maxGradNorm: 1,
    maxSeqLen: SEQ,
    seed: 1,
  };
}

/** `n` examples of random token ids, `length` each (default: the bench's shape). */
export function randomData(n: number, length = SEQ, vocab = MODEL.vocab_size!): LoadedDataset {
  const rng = new Rng(7);
  const examples = Array.from({ length: n }, () => {
    const ids = Array.from({ length }, () => rng.int(vocab));
    return { inputIds: ids, labels: ids };
  });
  return { examples, format: "tokens", dropped: 0 };
}

export { median } from "../median.ts";
