// The contract between the model code (decoder, LoRA, loader) and the training code (trainer, GradES, export).
import type * as tf from "@tensorflow/tfjs-core";

export type ModelType = "qwen2" | "qwen3" | "llama" | "mistral";

/** The Hugging Face config.json fields the decoder uses, validated. */
export interface ModelConfig {
  model_type: ModelType;
  vocab_size: number;
  hidden_size: number;
  intermediate_size: number;
  num_hidden_layers: number;
  num_attention_heads: number;
  num_key_value_heads: number;
  head_dim: number;
  rms_norm_eps: number;
  rope_theta: number;
  max_position_embeddings: number;
  tie_word_embeddings: boolean;
  /** Qwen2: q/k/v projections have biases. */
  attention_bias: boolean;
  bos_token_id?: number;
  eos_token_id?: number | number[];
}

/** The projections of a decoder layer's attention block (`self_attn`) and of its MLP block (`mlp`). */
export const ATTENTION_PROJECTIONS = ["q_proj", "k_proj", "v_proj", "o_proj"] as const;
export const MLP_PROJECTIONS = ["gate_proj", "up_proj", "down_proj"] as const;

/** The seven projections of a decoder layer that LoRA wraps and GradES tracks. */
export const PROJECTIONS = [...ATTENTION_PROJECTIONS, ...MLP_PROJECTIONS] as const;
export type Projection = (typeof PROJECTIONS)[number];

/**
 * One tracked weight matrix: a projection of one layer. In LoRA mode `variables` is [lora_A, lora_B]
 * (HF/PEFT shapes [r, in] and [out, r]); in full fine-tuning it is [weight] ([out, in]).
 * Bias vectors are not tracked and stay frozen.
 */
export interface Component {
  /** HF module path, e.g. "model.layers.3.self_attn.q_proj" or "model.layers.3.mlp.down_proj". */
  name: string;
  layer: number;
  projection: Projection;
  variables: tf.Variable[];
}

export interface LoraOptions {
  r: number;
  alpha: number;
  dropout: number;
  targetModules: Projection[];
  /** rsLoRA: scaling alpha / sqrt(r) instead of alpha / r. */
  useRslora: boolean;
  seed: number;
}

export interface ForwardOptions {
  /** Enables LoRA dropout. */
  training?: boolean;
  /** Seed for this call's dropout masks, so a resumed run draws the same masks. */
  dropoutSeed?: number;
  /**
   * Start above the lowest `layers` decoder layers, from their output `hidden` [B, T, H] (see layerOutput),
   * instead of from the token embeddings: the activation cache's way of skipping frozen layers.
   */
  from?: { layers: number; hidden: tf.Tensor3D };
  /**
   * The variables the caller takes the gradient for; undefined: all of them. A LoRA pair outside it passes
   * gradients to its input only (kernels/lora-linear.ts).
   */
  trained?: ReadonlySet<tf.Variable>;
}

export interface CausalLM {
  readonly config: ModelConfig;
  /** inputIds int32 [B, T]; attentionMask int32/float32 [B, T] (1 = token, 0 = padding). Returns logits [B, T, V]. */
  forward(inputIds: tf.Tensor2D, attentionMask?: tf.Tensor2D, opts?: ForwardOptions): tf.Tensor3D;
  /** Trainable components in a stable order (layer, then PROJECTIONS order). Empty until LoRA is applied or full mode is set. */
  components(): Component[];
  /**
   * Full fine-tuning: every weight becomes trainable; the targeted projections are the tracked components, the
   * rest are listed by untrackedWeights.
   */
  enableFullFineTuning(targetModules: Projection[]): void;
  /** In full fine-tuning, the trainable weights that are not components (HF name → variable); else empty. */
  untrackedWeights(): Map<string, tf.Variable>;
  /** LoRA: wrap the targeted projections; B = 0, A initialised as PEFT does (kaiming-uniform, a = sqrt(5)). */
  applyLora(opts: LoraOptions): void;
  readonly lora: LoraOptions | undefined;
  /** All weights by HF name (base weights; full fine-tuning reads them to export). */
  namedWeights(): Map<string, tf.Variable | tf.Tensor>;
  /**
   * Final-norm hidden states [B, T, H] (forward without lm_head), so a loss can project to a large vocabulary
   * in chunks instead of materialising [B, T, V] logits. Same arguments as forward.
   */
  hiddenStates?(inputIds: tf.Tensor2D, attentionMask?: tf.Tensor2D, opts?: ForwardOptions): tf.Tensor3D;
  /**
   * The residual stream after the lowest `layers` decoder layers, [B, T, H] (0: the token embeddings); passed
   * back as ForwardOptions.from, the rest of the model continues from it.
   */
  layerOutput?(
    inputIds: tf.Tensor2D,
    attentionMask: tf.Tensor2D | undefined,
    layers: number,
    opts?: ForwardOptions,
  ): tf.Tensor3D;
  /** lm_head weight [V, H] in HF layout (embed_tokens when tied); logits = hidden · lmHeadWeight^T. */
  lmHeadWeight?(): tf.Tensor2D;
  dispose(): void;
}

export interface ChatTemplateMessage {
  role: string;
  content: string;
}

export interface Tokenizer {
  readonly vocabSize: number;
  readonly eosTokenId: number;
  readonly padTokenId: number;
  encode(text: string, opts?: { addSpecialTokens?: boolean }): number[];
  decode(ids: number[], opts?: { skipSpecialTokens?: boolean }): string;
  /** Renders tokenizer_config.json's chat_template (jinja) to text. */
  applyChatTemplate(messages: ChatTemplateMessage[], opts?: { addGenerationPrompt?: boolean }): string;
}
