// How much memory one training step needs, from the model's config and the run's options alone (nothing is
// loaded), and whether that fits the backend. The one owner of these rules: train() refuses a job that cannot
// fit before it loads any weights, the bench prints the table, docs/engine-model.md explains the numbers.
//
// Everything is float32. A step holds:
// - the weights;
// - per trainable parameter: the AdamW moments m and v, the gradient, GradES's previous gradient (when GradES
//   runs), the accumulated gradient (with gradient accumulation) and the weights' moving average (with
//   grades.weight_average). Clipping writes no copy: AdamW scales each
//   gradient as it reads it (train/clip.ts);
// - activations: TensorFlow.js's gradient tape keeps every tensor an op saves for the backward pass until the
//   whole backward pass is done, and it keeps the gradient of every intermediate tensor too (tfjs-core's
//   backpropagateGradients releases nothing before the end). So the step's peak holds about two floats for
//   every float any op of the forward pass produced: ACTIVATION_COPIES below, measured (memory/measure.ts);
// - the loss's vocabulary chunk: logits of CHUNK_ROWS positions at a time, with their softmax, never [B, T, V]
//   (model/lm-loss.ts), alive at the start of the backward pass, before most activation gradients exist; and,
//   where they are small enough to be kept (keepsProbabilities), every target's probabilities (kept as the
//   logits' gradient, softmax minus the one-hot target).
// The per-token counts follow the ops in model/attention.ts, mlp.ts, linear.ts, lora.ts and, in their composed
// or compiled form, kernels/rms-norm.ts, swiglu.ts, rotary.ts, lora-linear.ts and attention.ts
// (MemoryShape.compiledKernels).
import { loraRunsFused } from "../model/linear.ts";
import { keepsProbabilities } from "../model/lm-loss.ts";
import type { ModelConfig, Projection } from "../model/types.ts";

/** Bytes per float32. */
const F32 = 4;
/** Forward outputs are held about twice at the peak: as saved tensors and as their gradients (see above). */
export const ACTIVATION_COPIES = 2;
/** Rows per chunk of the vocabulary projection in the loss (model/lm-loss.ts' default). */
export const CHUNK_ROWS = 256;
/** Live [CHUNK_ROWS, V] tensors while a chunk's gradient is computed: logits, softmax and its temporaries. */
const CHUNK_COPIES = 4;
/**
 * [H, V] matrices live in the loss besides its transposed lm_head: measured, not derived. With Qwen3's
 * 151,936-token vocabulary at hidden 1024 the step needed 0.36 GB more than the other terms explain (about 0.6
 * of an [H, V] float32 matrix); on small vocabularies the term is negligible.
 */
const EXTRA_HEAD_COPIES = 0.6;
/**
 * The wasm heap grows by steps and keeps freed blocks for reuse, so it ends above the peak of live tensors:
 * measured 1.10-1.25x on the bench model. Used when comparing an estimate with a backend's limit.
 */
export const ALLOCATOR_OVERHEAD = 1.25;

/** Address space each backend can give tensors; undefined when only the machine's memory limits it. */
export const BACKEND_MEMORY_LIMITS: Record<string, number | undefined> = {
  // wasm32: a 32-bit address space, 65536 pages of 64 KiB.
  wasm: 4 * 2 ** 30,
  cpu: undefined,
  tensorflow: undefined,
};

export interface MemoryShape {
  config: Pick<
    ModelConfig,
    | "vocab_size"
    | "hidden_size"
    | "intermediate_size"
    | "num_hidden_layers"
    | "num_attention_heads"
    | "num_key_value_heads"
    | "head_dim"
    | "tie_word_embeddings"
    | "attention_bias"
  > & { model_type: string };
  trainingType: "lora" | "full";
  /** LoRA rank (ignored for full fine-tuning). */
  loraR: number;
  targetModules: readonly Projection[];
  batchSize: number;
  seqLen: number;
  /** GradES keeps the previous step's gradients (or weights) of every trainable parameter. */
  grades: boolean;
  /** The run keeps a moving average of its trained weights (grades.weight_average). */
  weightAverage?: boolean;
  gradientAccumulationSteps?: number;
  /**
   * The backend computes RMSNorm, SwiGLU, rotary embeddings and LoRA's projections as compiled kernels (wasm
   * with the binding: kernels/rms-norm.ts, swiglu.ts, rotary.ts, lora-linear.ts), which keep fewer forward
   * outputs than the composed ops. Default false: the composed counts, an upper bound for every backend.
   */
  compiledKernels?: boolean;
  /** LoRA dropout: above 0 a LoRA projection runs composed (its mask applies to the adapter's input alone). */
  loraDropout?: number;
}

export interface MemoryEstimate {
  parameters: number;
  trainableParameters: number;
  weightsBytes: number;
  /** Optimizer moments, gradients and their copies. */
  trainingStateBytes: number;
  activationBytes: number;
  /** The part of activationBytes that grows with seqLen squared (attention scores and probabilities). */
  attentionBytes: number;
  lossChunkBytes: number;
  /** Peak bytes of live tensors during a step. */
  totalBytes: number;
}

interface ProjectionShape {
  in: number;
  out: number;
}

function projectionShapes(c: MemoryShape["config"]): Record<Projection, ProjectionShape> {
  const q = c.num_attention_heads * c.head_dim;
  const kv = c.num_key_value_heads * c.head_dim;
  const h = c.hidden_size;
  const i = c.intermediate_size;
  return {
    q_proj: { in: h, out: q },
    k_proj: { in: h, out: kv },
    v_proj: { in: h, out: kv },
    o_proj: { in: q, out: h },
    gate_proj: { in: h, out: i },
    up_proj: { in: h, out: i },
    down_proj: { in: i, out: h },
  };
}

/** Parameters of the whole model, as transformers counts them (tied embeddings once). */
export function parameterCount(c: MemoryShape["config"]): number {
  const shapes = projectionShapes(c);
  const projections = Object.values(shapes).reduce((n, s) => n + s.in * s.out, 0);
  const bias = c.attention_bias ? shapes.q_proj.out + shapes.k_proj.out + shapes.v_proj.out : 0;
  const qkNorm = c.model_type === "qwen3" ? 2 * c.head_dim : 0;
  const layer = projections + bias + 2 * c.hidden_size + qkNorm;
  const embeddings = c.vocab_size * c.hidden_size * (c.tie_word_embeddings ? 1 : 2);
  return embeddings + c.num_hidden_layers * layer + c.hidden_size;
}

/**
 * Floats the forward pass produces per token and layer, op by op (reshapes share buffers and are not counted).
 * `lora`: the rank when the targets carry LoRA adapters.
 */
function forwardFloatsPerToken(shape: MemoryShape, lora: number | undefined): number {
  const c = shape.config;
  const h = c.hidden_size;
  const q = c.num_attention_heads * c.head_dim;
  const kv = c.num_key_value_heads * c.head_dim;
  const inter = c.intermediate_size;
  const qkNorm = c.model_type === "qwen3";
  const compiled = shape.compiledKernels === true;
  // An RMSNorm of n floats a token: composed, square, x * rsqrt and * weight; compiled, its output and one rsqrt
  // per normalised row (`rows` a token).
  const norm = (n: number, rows: number) => (compiled ? n + rows : 3 * n);
  // Two RMSNorms; then o_proj's output, two residual adds, down_proj's output.
  let floats = 2 * norm(h, 1) + 4 * h;
  // q and k: projection, (Qwen3) RMSNorm per head, then composed a transpose and rope (x cos, rotate_half as
  // x R, x sin, add: 4x), compiled the one rotated output; without a q-norm, q's scaling.
  floats += (q + kv) * (1 + (compiled ? 1 : 1 + 4));
  if (qkNorm) floats += norm(q + kv, c.num_attention_heads + c.num_key_value_heads);
  else floats += q;
  // v: projection and transpose; attention output: probs x v and its transpose.
  floats += 2 * kv + 2 * q;
  // MLP: gate, sigmoid, up, silu x up, and composed, gate x sigmoid.
  floats += (compiled ? 4 : 5) * inter;
  if (lora !== undefined) {
    // A LoRA'd projection adds, composed, x A^T [r], its scaling [r], (x A^T s) B^T and the sum with the base
    // output; compiled, only x A^T s (the adapter's product accumulates into the base output).
    const shapes = projectionShapes(c);
    const fused = loraRunsFused(shape.loraDropout ?? 0, true, compiled);
    for (const t of shape.targetModules) floats += fused ? lora : 2 * lora + 2 * shapes[t].out;
  }
  return floats;
}

/**
 * Attention floats per token and layer over every key position (q carries the scale): composed, the scores, the
 * masked scores and the softmax; compiled (kernels/attention.ts), only the softmax, which the kernel keeps for
 * its backward pass (the scores' gradient lives inside that kernel, one batch item and kv head at a time).
 */
function attentionFloatsPerToken(shape: MemoryShape): number {
  return (shape.compiledKernels === true ? 1 : 3) * shape.config.num_attention_heads * shape.seqLen;
}

export function estimateTrainingMemory(shape: MemoryShape): MemoryEstimate {
  const c = shape.config;
  const shapes = projectionShapes(c);
  const lora = shape.trainingType === "lora";
  const perLayer = shape.targetModules.reduce(
    (n, t) => n + (lora ? shape.loraR * (shapes[t].in + shapes[t].out) : shapes[t].in * shapes[t].out),
    0,
  );
  const trainable = perLayer * c.num_hidden_layers;
  const parameters = parameterCount(c) + (lora ? trainable : 0);
  const copies =
    3 +
    (shape.grades ? 1 : 0) +
    (shape.weightAverage ? 1 : 0) +
    ((shape.gradientAccumulationSteps ?? 1) > 1 ? 1 : 0);
  const tokens = shape.batchSize * shape.seqLen;
  const layers = c.num_hidden_layers;
  const attention = tokens * layers * attentionFloatsPerToken(shape) * F32;
  const forward =
    tokens * layers * forwardFloatsPerToken(shape, lora ? shape.loraR : undefined) * F32 + attention;
  const rows = Math.min(CHUNK_ROWS, tokens);
  // The chunk's logits and softmax, plus the transposed lm_head [H, V] the loss keeps for its backward pass.
  const kept = keepsProbabilities(tokens, c.vocab_size) ? tokens : 0;
  const lossChunk =
    (CHUNK_COPIES * rows + kept + (1 + EXTRA_HEAD_COPIES) * c.hidden_size) * c.vocab_size * F32;
  // The loss chunk is live at the start of the backward pass, when one copy of the activations exists; the
  // activation gradients have grown to the second copy only later, after the chunk is gone.
  const activationPeak = Math.max(ACTIVATION_COPIES * forward, forward + lossChunk);
  const weightsBytes = parameters * F32;
  const trainingStateBytes = trainable * copies * F32;
  return {
    parameters,
    trainableParameters: trainable,
    weightsBytes,
    trainingStateBytes,
    activationBytes: ACTIVATION_COPIES * forward,
    attentionBytes: ACTIVATION_COPIES * attention,
    lossChunkBytes: lossChunk,
    totalBytes: weightsBytes + trainingStateBytes + activationPeak,
  };
}

/** What the backend's allocator will ask for: the estimate plus its growth and reuse overhead. */
export function neededBytes(estimate: MemoryEstimate): number {
  return estimate.totalBytes * ALLOCATOR_OVERHEAD;
}

/** The longest sequence (a multiple of `step`) whose step fits `limit` bytes at this batch, or 0 if none. */
export function maxSeqLenThatFits(shape: MemoryShape, limit: number, step = 64): number {
  const fits = (seqLen: number) => neededBytes(estimateTrainingMemory({ ...shape, seqLen })) <= limit;
  if (!fits(step)) return 0;
  let lo = step;
  let hi = step;
  while (fits(hi * 2) && hi < 2 ** 20) hi *= 2;
  hi *= 2;
  // Invariant: lo fits, hi does not (or is past the search cap).
  while (hi - lo > step) {
    const mid = Math.floor((lo + hi) / 2 / step) * step;
    if (fits(mid)) lo = mid;
    else hi = mid;
  }
  return lo;
}

export const formatGb = (bytes: number, digits = 1) => `${(bytes / 2 ** 30).toFixed(digits)} GB`;
