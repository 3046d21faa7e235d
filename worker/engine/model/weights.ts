// The Hugging Face weight names and shapes a config implies; the loader checks files against this list and
// the initialiser creates exactly these tensors.
import type { DecoderConfig } from "./config.ts";
import { ATTENTION_PROJECTIONS, MLP_PROJECTIONS } from "./types.ts";

export interface ExpectedWeight {
  name: string;
  shape: number[];
  /** RMSNorm weights start at 1, biases at 0, matrices random. */
  kind: "matrix" | "norm" | "bias" | "embedding";
}

/** Projection weight shapes [out, in] by projection name. */
export function projectionShape(cfg: DecoderConfig, projection: string): [number, number] {
  const H = cfg.hidden_size;
  const I = cfg.intermediate_size;
  const q = cfg.num_attention_heads * cfg.head_dim;
  const kv = cfg.num_key_value_heads * cfg.head_dim;
  switch (projection) {
    case "q_proj":
      return [q, H];
    case "k_proj":
    case "v_proj":
      return [kv, H];
    case "o_proj":
      return [H, q];
    case "gate_proj":
    case "up_proj":
      return [I, H];
    case "down_proj":
      return [H, I];
    default:
      throw new Error(`unknown projection ${projection}`);
  }
}

/** The weights of decoder layer `i`: every layer has the same names (but its index) and shapes. */
function layerWeights(cfg: DecoderConfig, i: number): ExpectedWeight[] {
  const out: ExpectedWeight[] = [];
  const p = `model.layers.${i}`;
  out.push({ name: `${p}.input_layernorm.weight`, shape: [cfg.hidden_size], kind: "norm" });
  for (const proj of ATTENTION_PROJECTIONS) {
    const shape = projectionShape(cfg, proj);
    out.push({ name: `${p}.self_attn.${proj}.weight`, shape, kind: "matrix" });
    if (cfg.attention_bias && proj !== "o_proj") {
      out.push({ name: `${p}.self_attn.${proj}.bias`, shape: [shape[0]], kind: "bias" });
    }
  }
  // transformers' Llama/Mistral put a bias on o_proj too when attention_bias is set; Qwen2 never does.
  if (cfg.attention_bias && cfg.model_type !== "qwen2") {
    out.push({ name: `${p}.self_attn.o_proj.bias`, shape: [cfg.hidden_size], kind: "bias" });
  }
  if (cfg.model_type === "qwen3") {
    out.push({ name: `${p}.self_attn.q_norm.weight`, shape: [cfg.head_dim], kind: "norm" });
    out.push({ name: `${p}.self_attn.k_norm.weight`, shape: [cfg.head_dim], kind: "norm" });
  }
  for (const proj of MLP_PROJECTIONS) {
    out.push({ name: `${p}.mlp.${proj}.weight`, shape: projectionShape(cfg, proj), kind: "matrix" });
  }
  out.push({ name: `${p}.post_attention_layernorm.weight`, shape: [cfg.hidden_size], kind: "norm" });
  return out;
}

/** The weights outside the layers: embeddings, final norm and (untied) lm_head. */
function outerWeights(cfg: DecoderConfig): ExpectedWeight[] {
  const out: ExpectedWeight[] = [
    { name: "model.embed_tokens.weight", shape: [cfg.vocab_size, cfg.hidden_size], kind: "embedding" },
    { name: "model.norm.weight", shape: [cfg.hidden_size], kind: "norm" },
  ];
  if (!cfg.tie_word_embeddings) {
    out.push({ name: "lm_head.weight", shape: [cfg.vocab_size, cfg.hidden_size], kind: "matrix" });
  }
  return out;
}

const elements = (w: ExpectedWeight) => w.shape.reduce((a, b) => a * b, 1);

/**
 * How many tensors and values the config implies, without listing them: cheap for any config, so a folder's
 * config can be held against what its weights actually hold before the full list is built.
 */
export function weightTally(cfg: DecoderConfig): { tensors: number; parameters: number } {
  const layer = layerWeights(cfg, 0);
  const outer = outerWeights(cfg);
  const sum = (ws: ExpectedWeight[]) => ws.reduce((n, w) => n + elements(w), 0);
  return {
    tensors: outer.length + cfg.num_hidden_layers * layer.length,
    parameters: sum(outer) + cfg.num_hidden_layers * sum(layer),
  };
}

export function expectedWeights(cfg: DecoderConfig): ExpectedWeight[] {
  const [embed, norm, lmHead] = outerWeights(cfg);
  const out: ExpectedWeight[] = [embed!];
  for (let i = 0; i < cfg.num_hidden_layers; i++) out.push(...layerWeights(cfg, i));
  out.push(norm!);
  if (lmHead) out.push(lmHead);
  return out;
}

export function parameterCount(cfg: DecoderConfig): number {
  return weightTally(cfg).parameters;
}
