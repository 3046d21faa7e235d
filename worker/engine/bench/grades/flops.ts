// Estimated training FLOPs of a run, from the model's shape and what the run computed. Per token, a matmul with
// an [out, in] weight costs 2·in·out FLOPs forward and 2·in·out for the gradient of its input; the gradient of
// the weight costs another 2·in·out, but only for matrices still being trained (LoRA: the A and B factors,
// r·(in + out) each). Evaluation passes are forward only. Attention scores (quadratic in the short sequences
// used here), norms, embeddings and the lm_head (projected at label positions only) are left out.
import type { ModelConfig, Projection } from "../../model/types.ts";

/** [in, out] of each projection of one layer. */
export function projectionShapes(c: ModelConfig): Record<Projection, [number, number]> {
  const q = c.num_attention_heads * c.head_dim;
  const kv = c.num_key_value_heads * c.head_dim;
  const h = c.hidden_size;
  const f = c.intermediate_size;
  return {
    q_proj: [h, q],
    k_proj: [h, kv],
    v_proj: [h, kv],
    o_proj: [q, h],
    gate_proj: [h, f],
    up_proj: [h, f],
    down_proj: [f, h],
  };
}

/** Weights of all projections of all layers: the matmul parameters every token goes through. */
export function matmulParameters(c: ModelConfig): number {
  const one = Object.values(projectionShapes(c)).reduce((n, [i, o]) => n + i * o, 0);
  return one * c.num_hidden_layers;
}

/** Trainable elements of one component: the weight (full) or the LoRA pair (r·in + out·r). */
export function componentSize(c: ModelConfig, projection: Projection, loraR: number | undefined): number {
  const [i, o] = projectionShapes(c)[projection];
  return loraR === undefined ? i * o : loraR * (i + o);
}

export interface FlopsInput {
  config: ModelConfig;
  loraR: number | undefined;
  /** Training tokens over the whole run, and the steps they came in. */
  trainedTokens: number;
  steps: number;
  /** Per component: its projection, and the steps it was trained for (frozen at step s: s steps). */
  components: { projection: Projection; trainedSteps: number }[];
  /** Tokens pushed through forward-only evaluation passes (validation). */
  evalTokens: number;
}

export function estimateTrainingFlops(x: FlopsInput): number {
  const n = matmulParameters(x.config);
  const tokensPerStep = x.steps > 0 ? x.trainedTokens / x.steps : 0;
  const weightGrads = x.components.reduce(
    (sum, c) => sum + 2 * componentSize(x.config, c.projection, x.loraR) * c.trainedSteps * tokensPerStep,
    0,
  );
  return 4 * n * x.trainedTokens + weightGrads + 2 * n * x.evalTokens;
}
