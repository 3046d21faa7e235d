import * as tf from "@tensorflow/tfjs-core";
import { rmsNorm } from "../kernels/rms-norm.ts";
import { type AttentionInputs, type AttentionWeights, type LayerCache, selfAttention } from "./attention.ts";
import type { DecoderConfig } from "./config.ts";
import type { CallContext } from "./linear.ts";
import { type MlpWeights, mlp } from "./mlp.ts";

export interface DecoderLayerWeights {
  input_layernorm: tf.Variable;
  post_attention_layernorm: tf.Variable;
  self_attn: AttentionWeights;
  mlp: MlpWeights;
}

/** Pre-norm block: h += attn(norm(h)); h += mlp(norm(h)). hidden [B*T, H] → [B*T, H]. */
export function decoderLayer(
  hidden: tf.Tensor2D,
  w: DecoderLayerWeights,
  cfg: DecoderConfig,
  inp: AttentionInputs,
  ctx: CallContext,
  cache?: LayerCache,
): tf.Tensor2D {
  return tf.tidy(() => {
    const eps = cfg.rms_norm_eps;
    const attnIn = rmsNorm(hidden, w.input_layernorm as tf.Tensor1D, eps) as tf.Tensor2D;
    const h = tf.add(hidden, selfAttention(attnIn, w.self_attn, cfg, inp, ctx, cache));
    const mlpIn = rmsNorm(h, w.post_attention_layernorm as tf.Tensor1D, eps) as tf.Tensor2D;
    return tf.add(h, mlp(mlpIn, w.mlp, ctx));
  });
}
