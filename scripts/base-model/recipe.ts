// The base model's recipe: every choice the build makes, in one place. Its JSON is part of the inputs hash.
import { BUILTIN_MODEL_NAME } from "../../models/builtin.ts";

export const BASE_MODEL_RECIPE = {
  name: BUILTIN_MODEL_NAME,
  seed: 1234,
  /** Fraction of whole documents held out for validation. */
  validationFraction: 0.02,
  tokenizer: {
    vocabSize: 8192,
    unkToken: "<unk>",
    bosToken: "<s>",
    eosToken: "</s>",
    /** ChatML turn markers, so the model can be fine-tuned on chat. */
    chatTokens: ["<|im_start|>", "<|im_end|>"],
    characterCoverage: 0.9995,
  },
  model: {
    model_type: "qwen3" as const,
    vocab_size: 8192,
    hidden_size: 128,
    intermediate_size: 512,
    num_hidden_layers: 4,
    num_attention_heads: 4,
    num_key_value_heads: 2,
    head_dim: 32,
    rms_norm_eps: 1e-6,
    rope_theta: 10000,
    tie_word_embeddings: true,
    max_position_embeddings: 4096,
  },
  train: {
    blockSize: 128,
    batchSize: 8,
    gradientAccumulationSteps: 1,
    maxTokens: 8_000_000,
    learningRate: 5e-3,
    weightDecay: 0.1,
    warmupRatio: 0.05,
    lrScheduler: "cosine" as const,
    maxGradNorm: 1,
    evalInterval: 100,
    evalBlocks: 64,
    checkpointEvery: 50,
  },
  /** add-k values tried for the bigram baseline; the card reports the best on the held-out blocks. */
  bigramK: [1, 0.3, 0.1, 0.03, 0.01, 0.003, 0.001],
  /** Held-out blocks whose loss the card records and the tests recompute. */
  testSliceBlocks: 16,
};

export type BaseModelRecipe = typeof BASE_MODEL_RECIPE;
