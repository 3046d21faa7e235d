// Parses and validates a Hugging Face config.json into a ModelConfig, applying transformers' defaults for the
// fields a family may omit. Anything the decoder would silently compute differently from transformers
// (another activation, unsupported rope scaling, Qwen's per-layer sliding window) is rejected by name.
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { InputError } from "../errors.ts";
import { MODEL_DEFAULTS_KEY, type ModelTrainingDefaults, modelTrainingDefaults } from "../train/options.ts";
import { TrainSpecError } from "../train/spec-error.ts";
import type { ModelConfig, ModelType } from "./types.ts";

export const MODEL_TYPES: readonly ModelType[] = ["qwen2", "qwen3", "llama", "mistral"];

export class ModelConfigError extends InputError {
  override name = "ModelConfigError";
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(`config.json: ${field}: ${message}`);
  }
}

/** Rope scaling the decoder implements: none ("default"), "linear", or Llama 3's "llama3". */
export type RopeScaling =
  | { rope_type: "linear"; factor: number }
  | {
      rope_type: "llama3";
      factor: number;
      low_freq_factor: number;
      high_freq_factor: number;
      original_max_position_embeddings: number;
    };

/** ModelConfig plus the optional architecture fields this decoder honours. */
export interface DecoderConfig extends ModelConfig {
  rope_scaling?: RopeScaling;
  /** Mistral: a token attends only to the previous `sliding_window` positions (itself included). */
  sliding_window?: number;
  /** This project's key: what "auto" hyperparameters mean for this model (train/options.ts). */
  grades_finetune?: ModelTrainingDefaults;
}

interface FamilyDefaults {
  rms_norm_eps: number;
  rope_theta: number;
  max_position_embeddings: number;
  attention_bias: boolean;
  /** undefined: hidden_size / num_attention_heads. */
  head_dim?: number;
}

// transformers' configuration_*.py defaults for the fields real checkpoints sometimes omit.
const DEFAULTS: Record<ModelType, FamilyDefaults> = {
  qwen2: { rms_norm_eps: 1e-6, rope_theta: 10000, max_position_embeddings: 32768, attention_bias: true },
  qwen3: {
    rms_norm_eps: 1e-6,
    rope_theta: 10000,
    max_position_embeddings: 32768,
    attention_bias: false,
    head_dim: 128,
  },
  llama: { rms_norm_eps: 1e-6, rope_theta: 10000, max_position_embeddings: 2048, attention_bias: false },
  mistral: {
    rms_norm_eps: 1e-6,
    rope_theta: 10000,
    max_position_embeddings: 4096 * 32,
    attention_bias: false,
  },
};

type Raw = Record<string, unknown>;

/**
 * Upper bounds on the size fields, far above any model this engine could train (the largest open decoders have
 * about 128 layers, hidden 16384, vocabularies of 256k): a config past them is a mistake, refused before any
 * size is multiplied out. The weights' own sizes are the tighter check (checkModelTensors).
 */
export const CONFIG_SIZE_LIMITS: Record<string, number> = {
  vocab_size: 1 << 22,
  hidden_size: 1 << 16,
  intermediate_size: 1 << 18,
  num_hidden_layers: 1024,
  num_attention_heads: 1024,
  num_key_value_heads: 1024,
  head_dim: 4096,
  max_position_embeddings: 1 << 24,
  sliding_window: 1 << 24,
};

function positiveInt(raw: Raw, field: string, fallback?: number): number {
  const v = raw[field] ?? fallback;
  if (v === undefined) throw new ModelConfigError(field, "is required");
  if (typeof v !== "number" || !Number.isInteger(v) || v <= 0) {
    throw new ModelConfigError(field, `must be a positive integer, got ${JSON.stringify(v)}`);
  }
  const max = CONFIG_SIZE_LIMITS[field];
  if (max !== undefined && v > max) throw new ModelConfigError(field, `must be at most ${max}, got ${v}`);
  return v;
}

function positiveNumber(raw: Raw, field: string, fallback: number): number {
  const v = raw[field] ?? fallback;
  if (typeof v !== "number" || !Number.isFinite(v) || v <= 0) {
    throw new ModelConfigError(field, `must be a positive number, got ${JSON.stringify(v)}`);
  }
  return v;
}

function bool(raw: Raw, field: string, fallback: boolean): boolean {
  const v = raw[field] ?? fallback;
  if (typeof v !== "boolean")
    throw new ModelConfigError(field, `must be true or false, got ${JSON.stringify(v)}`);
  return v;
}

function tokenId(raw: Raw, field: string): number | number[] | undefined {
  const v = raw[field];
  if (v === undefined || v === null) return undefined;
  const ok = (x: unknown) => typeof x === "number" && Number.isInteger(x) && x >= 0;
  if (ok(v)) return v as number;
  if (Array.isArray(v) && v.length > 0 && v.every(ok)) return v as number[];
  throw new ModelConfigError(field, `must be a token id or a list of token ids, got ${JSON.stringify(v)}`);
}

function parseRopeScaling(raw: Raw): RopeScaling | undefined {
  const v = raw.rope_scaling;
  if (v === undefined || v === null) return undefined;
  if (typeof v !== "object") throw new ModelConfigError("rope_scaling", "must be an object or null");
  const rs = v as Raw;
  const type = rs.rope_type ?? rs.type;
  if (type === "default") return undefined;
  const num = (k: string) => {
    const x = rs[k];
    if (typeof x !== "number" || !Number.isFinite(x) || x <= 0) {
      throw new ModelConfigError(`rope_scaling.${k}`, `must be a positive number, got ${JSON.stringify(x)}`);
    }
    return x;
  };
  if (type === "linear") return { rope_type: "linear", factor: num("factor") };
  if (type === "llama3") {
    return {
      rope_type: "llama3",
      factor: num("factor"),
      low_freq_factor: num("low_freq_factor"),
      high_freq_factor: num("high_freq_factor"),
      original_max_position_embeddings: num("original_max_position_embeddings"),
    };
  }
  throw new ModelConfigError(
    "rope_scaling.rope_type",
    `${JSON.stringify(type)} is not supported (supported: default, linear, llama3)`,
  );
}

function parseTrainingDefaults(raw: Raw): ModelTrainingDefaults | undefined {
  if (raw[MODEL_DEFAULTS_KEY] === undefined || raw[MODEL_DEFAULTS_KEY] === null) return undefined;
  try {
    return modelTrainingDefaults(raw);
  } catch (err) {
    if (err instanceof TrainSpecError) throw new ModelConfigError(err.field, err.problem);
    throw err;
  }
}

/** Validates a parsed config.json object. */
export function parseModelConfig(raw: unknown): DecoderConfig {
  if (raw === null || typeof raw !== "object" || Array.isArray(raw)) {
    throw new ModelConfigError("(root)", "must be a JSON object");
  }
  const r = raw as Raw;
  const modelType = r.model_type;
  if (typeof modelType !== "string" || !MODEL_TYPES.includes(modelType as ModelType)) {
    throw new ModelConfigError(
      "model_type",
      `${JSON.stringify(modelType)} is not supported (supported: ${MODEL_TYPES.join(", ")})`,
    );
  }
  const type = modelType as ModelType;
  const d = DEFAULTS[type];
  const act = r.hidden_act ?? "silu";
  if (act !== "silu")
    throw new ModelConfigError("hidden_act", `${JSON.stringify(act)} is not supported (only silu)`);
  // Llama's optional gate/up/down biases: the decoder has none, so refuse the config rather than the weights.
  if (r.mlp_bias === true) throw new ModelConfigError("mlp_bias", "MLP biases are not supported");
  if (r.use_sliding_window === true) {
    throw new ModelConfigError(
      "use_sliding_window",
      "Qwen's per-layer sliding window attention is not supported",
    );
  }

  const hidden = positiveInt(r, "hidden_size");
  const heads = positiveInt(r, "num_attention_heads");
  const kvHeads = positiveInt(r, "num_key_value_heads", heads);
  if (heads % kvHeads !== 0) {
    throw new ModelConfigError(
      "num_key_value_heads",
      `${kvHeads} must divide num_attention_heads (${heads})`,
    );
  }
  let headDim: number;
  if (r.head_dim !== undefined && r.head_dim !== null) headDim = positiveInt(r, "head_dim");
  else if (d.head_dim !== undefined) headDim = d.head_dim;
  else {
    if (hidden % heads !== 0) {
      throw new ModelConfigError(
        "head_dim",
        `absent and hidden_size ${hidden} is not divisible by ${heads} heads`,
      );
    }
    headDim = hidden / heads;
  }
  if (headDim % 2 !== 0)
    throw new ModelConfigError("head_dim", `must be even for rotary embeddings, got ${headDim}`);

  const config: DecoderConfig = {
    model_type: type,
    vocab_size: positiveInt(r, "vocab_size"),
    hidden_size: hidden,
    intermediate_size: positiveInt(r, "intermediate_size"),
    num_hidden_layers: positiveInt(r, "num_hidden_layers"),
    num_attention_heads: heads,
    num_key_value_heads: kvHeads,
    head_dim: headDim,
    rms_norm_eps: positiveNumber(r, "rms_norm_eps", d.rms_norm_eps),
    rope_theta: positiveNumber(r, "rope_theta", d.rope_theta),
    max_position_embeddings: positiveInt(r, "max_position_embeddings", d.max_position_embeddings),
    tie_word_embeddings: bool(r, "tie_word_embeddings", false),
    // transformers hard-codes these: Qwen2's q/k/v always have biases, Mistral's projections never do.
    attention_bias:
      type === "qwen2" ? true : type === "mistral" ? false : bool(r, "attention_bias", d.attention_bias),
  };
  const bos = tokenId(r, "bos_token_id");
  if (typeof bos === "number") config.bos_token_id = bos;
  else if (Array.isArray(bos)) throw new ModelConfigError("bos_token_id", "must be a single token id");
  const eos = tokenId(r, "eos_token_id");
  if (eos !== undefined) config.eos_token_id = eos;
  const ropeScaling = parseRopeScaling(r);
  if (ropeScaling) config.rope_scaling = ropeScaling;
  if (type === "mistral" && r.sliding_window !== undefined && r.sliding_window !== null) {
    config.sliding_window = positiveInt(r, "sliding_window");
  }
  const trainingDefaults = parseTrainingDefaults(r);
  if (trainingDefaults) config.grades_finetune = trainingDefaults;
  return config;
}

/** Reads and validates `dir/config.json`. */
export async function readModelConfig(dir: string): Promise<DecoderConfig> {
  const path = join(dir, "config.json");
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch {
    throw new ModelConfigError("(file)", `no config.json in the model folder ${dir}`);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new ModelConfigError("(file)", `${path} is not valid JSON (${(err as Error).message})`);
  }
  return parseModelConfig(raw);
}

/** The config.json we write: the validated fields plus what transformers needs to load the folder. */
export function toHfConfigJson(config: DecoderConfig): Record<string, unknown> {
  const archByType: Record<ModelType, string> = {
    qwen2: "Qwen2ForCausalLM",
    qwen3: "Qwen3ForCausalLM",
    llama: "LlamaForCausalLM",
    mistral: "MistralForCausalLM",
  };
  const out: Record<string, unknown> = {
    architectures: [archByType[config.model_type]],
    hidden_act: "silu",
    torch_dtype: "float32",
    ...config,
  };
  if (config.model_type === "qwen2" || config.model_type === "qwen3") out.use_sliding_window = false;
  return out;
}
