import { describe, expect, it } from "vitest";
import { parseModelConfig, toHfConfigJson } from "../../../../worker/engine/model/config.ts";
import { inverseFrequencies } from "../../../../worker/engine/model/rotary.ts";

const minimal = {
  vocab_size: 100,
  hidden_size: 64,
  intermediate_size: 128,
  num_hidden_layers: 2,
  num_attention_heads: 8,
};

describe("config.json parsing", () => {
  it("keeps the training defaults a model carries, writes them back, and names a bad one", () => {
    const config = parseModelConfig({
      ...minimal,
      model_type: "qwen3",
      grades_finetune: { learning_rate_multiplier: 10 },
    });
    expect(config.grades_finetune).toEqual({ learning_rate_multiplier: 10 });
    expect(toHfConfigJson(config).grades_finetune).toEqual({ learning_rate_multiplier: 10 });
    expect(parseModelConfig({ ...minimal, model_type: "qwen3" }).grades_finetune).toBeUndefined();
    const bad = (grades_finetune: unknown) => () =>
      parseModelConfig({ ...minimal, model_type: "qwen3", grades_finetune });
    expect(bad({ learning_rate_multiplier: 0 })).toThrow(
      /^config\.json: grades_finetune\.learning_rate_multiplier: /,
    );
    expect(bad({ learning_rate_multiplier: 1000 })).toThrow(/grades_finetune\.learning_rate_multiplier/);
    expect(bad({ n_epochs: 3 })).toThrow(/grades_finetune\.n_epochs/);
    expect(bad(5)).toThrow(/grades_finetune/);
  });

  it("applies transformers' defaults per family", () => {
    const llama = parseModelConfig({ ...minimal, model_type: "llama" });
    expect(llama).toMatchObject({
      num_key_value_heads: 8,
      head_dim: 8,
      rms_norm_eps: 1e-6,
      rope_theta: 10000,
      max_position_embeddings: 2048,
      tie_word_embeddings: false,
      attention_bias: false,
    });
    // Qwen2's q/k/v always carry biases; Mistral's projections never do, whatever the file says.
    expect(parseModelConfig({ ...minimal, model_type: "qwen2", attention_bias: false }).attention_bias).toBe(
      true,
    );
    expect(parseModelConfig({ ...minimal, model_type: "mistral", attention_bias: true }).attention_bias).toBe(
      false,
    );
    // Qwen3Config's head_dim defaults to 128, not hidden / heads.
    expect(parseModelConfig({ ...minimal, model_type: "qwen3" }).head_dim).toBe(128);
    expect(parseModelConfig({ ...minimal, model_type: "qwen3", head_dim: 16 }).head_dim).toBe(16);
    expect(parseModelConfig({ ...minimal, model_type: "mistral", sliding_window: 4096 }).sliding_window).toBe(
      4096,
    );
    expect(parseModelConfig({ ...minimal, model_type: "llama", eos_token_id: [1, 2] }).eos_token_id).toEqual([
      1, 2,
    ]);
  });

  it.each([
    [{ model_type: "gpt2" }, /model_type: "gpt2" is not supported/],
    [{ model_type: "llama", hidden_size: undefined }, /hidden_size: is required/],
    [
      { model_type: "llama", num_hidden_layers: 2.5 },
      /num_hidden_layers: must be a positive integer, got 2\.5/,
    ],
    [
      { model_type: "llama", num_key_value_heads: 3 },
      /num_key_value_heads: 3 must divide num_attention_heads \(8\)/,
    ],
    [{ model_type: "llama", rms_norm_eps: -1 }, /rms_norm_eps: must be a positive number/],
    [{ model_type: "llama", tie_word_embeddings: "yes" }, /tie_word_embeddings: must be true or false/],
    [{ model_type: "llama", hidden_act: "gelu" }, /hidden_act: "gelu" is not supported/],
    [
      { model_type: "llama", rope_scaling: { rope_type: "yarn", factor: 4 } },
      /rope_scaling\.rope_type: "yarn" is not supported/,
    ],
    [{ model_type: "qwen2", use_sliding_window: true }, /use_sliding_window/],
    [{ model_type: "llama", mlp_bias: true }, /mlp_bias: MLP biases are not supported/],
    [{ model_type: "llama", head_dim: 7 }, /head_dim: must be even/],
  ])("names the bad field: %j", (patch, message) => {
    expect(() => parseModelConfig({ ...minimal, ...patch })).toThrow(message);
  });

  it("implements Llama 3 rope scaling as transformers does", () => {
    const scaling = {
      rope_type: "llama3" as const,
      factor: 8,
      low_freq_factor: 1,
      high_freq_factor: 4,
      original_max_position_embeddings: 8192,
    };
    const plain = inverseFrequencies(128, 500000);
    const scaled = inverseFrequencies(128, 500000, scaling);
    // High frequencies (wavelength < 8192 / 4) are untouched, low ones (wavelength > 8192) divided by 8.
    expect(scaled[0]).toBe(plain[0]);
    expect(scaled[63]).toBeCloseTo(plain[63]! / 8, 15);
    // In between, a smooth blend: wavelength 2π / inv within (2048, 8192).
    const mid = plain.findIndex((f) => (2 * Math.PI) / f > 2048 && (2 * Math.PI) / f < 8192);
    const smooth = (8192 / ((2 * Math.PI) / plain[mid]!) - 1) / 3;
    expect(scaled[mid]).toBeCloseTo((1 - smooth) * (plain[mid]! / 8) + smooth * plain[mid]!, 15);
  });
});
