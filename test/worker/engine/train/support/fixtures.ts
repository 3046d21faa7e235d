// Tiny models and datasets for training tests: small enough that a step takes milliseconds on 2 cores.
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { initTinyModel } from "../../../../../worker/engine/model/init.ts";
import type { ModelConfig } from "../../../../../worker/engine/model/types.ts";
import { GRADES_OFF, type TrainSpec } from "../../../../../worker/engine/train/types.ts";

export const TINY: Partial<ModelConfig> = {
  vocab_size: 48,
  hidden_size: 32,
  intermediate_size: 64,
  num_hidden_layers: 2,
  num_attention_heads: 4,
  num_key_value_heads: 2,
  head_dim: 8,
  max_position_embeddings: 128,
};

/**
 * A qwen3-shaped model with a 48-token vocabulary and no tokenizer. LoRA does not train the embeddings, so they are
 * initialised larger than transformers' 0.02: with tiny ones the logits could not move far enough to overfit.
 */
export async function makeTinyModel(
  dir: string,
  overrides: Partial<ModelConfig> = {},
  seed = 1,
): Promise<string> {
  await initTinyModel(dir, {
    preset: "qwen3-tiny",
    seed,
    overrides: { ...TINY, ...overrides },
    withTokenizer: false,
    initStd: 0.3,
  });
  return dir;
}

/** Pre-tokenized sequences with a learnable pattern: each row counts up from a start token modulo `vocab`. */
export async function writeCountingData(
  path: string,
  rows: number,
  length: number,
  vocab = 48,
): Promise<string> {
  const lines: string[] = [];
  for (let r = 0; r < rows; r++) {
    const start = (r * 7) % vocab;
    const ids = Array.from({ length: length - (r % 3) }, (_, i) => (start + i) % vocab);
    lines.push(JSON.stringify({ input_ids: ids }));
  }
  await writeFile(path, `${lines.join("\n")}\n`);
  return path;
}

export function baseSpec(root: string, over: Partial<TrainSpec> = {}): TrainSpec {
  return {
    modelDir: join(root, "model"),
    trainFile: join(root, "train.jsonl"),
    outputDir: join(root, "out"),
    trainingType: "lora",
    lora: {
      r: 4,
      alpha: 8,
      dropout: 0,
      targetModules: ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"],
      useRslora: false,
    },
    grades: { ...GRADES_OFF },
    nEpochs: 1,
    batchSize: 4,
    gradientAccumulationSteps: 1,
    learningRate: 1e-2,
    weightDecay: 0,
    warmupRatio: 0,
    lrScheduler: "constant",
    maxGradNorm: 1,
    maxSeqLen: 16,
    seed: 3,
    backend: "wasm",
    // Tiny models: the thread pool's hand-offs cost more than their matmuls save (measured: 170 ms per step on
    // one thread, 250-290 ms on two, on a loaded 2-core machine). threads.test.ts covers several threads.
    threads: 1,
    ...over,
  };
}
