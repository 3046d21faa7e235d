import { initTinyModel } from "../../../../worker/engine/model/init.ts";

/**
 * A Qwen3-shaped model with its preset's tokenizer, small enough to train and score text in milliseconds
 * (hidden 16), its weights large enough (std 0.5) that different adapters score lines differently.
 */
export async function writeTinyTextModel(dir: string, seed: number): Promise<void> {
  await initTinyModel(dir, {
    preset: "qwen3-tiny",
    seed,
    overrides: {
      hidden_size: 16,
      intermediate_size: 32,
      num_attention_heads: 2,
      num_key_value_heads: 1,
      head_dim: 8,
    },
    initStd: 0.5,
  });
}
