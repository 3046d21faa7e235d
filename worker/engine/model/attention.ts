// Grouped-query self-attention as in transformers' Llama/Qwen2/Qwen3/Mistral: q/k/v projections (Qwen2 with
// biases), Qwen3's per-head RMSNorm of q and k before rope, rotary embeddings, softmax(q k^T / sqrt(D) + mask) v
// with each group of num_heads / num_kv_heads query heads sharing one kv head, then o_proj.
import * as tf from "@tensorflow/tfjs-core";
import { attentionCore, hasAttentionKernel } from "../kernels/attention.ts";
import { rmsNorm } from "../kernels/rms-norm.ts";
import type { DecoderConfig } from "./config.ts";
import type { CallContext, Linear } from "./linear.ts";
import { rotaryHeadsFirst } from "./rotary.ts";

export interface AttentionWeights {
  q_proj: Linear;
  k_proj: Linear;
  v_proj: Linear;
  o_proj: Linear;
  /** Qwen3 only: RMSNorm weights [head_dim]. */
  q_norm?: tf.Variable;
  k_norm?: tf.Variable;
}

/** What every layer shares in one forward pass. */
export interface AttentionInputs {
  batch: number;
  length: number;
  /** [T, D] rotary tables. */
  cos: tf.Tensor2D;
  sin: tf.Tensor2D;
  /** Additive mask [B, 1, 1, T, T]: 0 where a query may attend, a large negative number elsewhere. */
  mask: tf.Tensor;
}

/** Large enough to zero a softmax weight in float32, small enough that a fully masked row stays finite. */
export const MASKED = -1e9;

/**
 * Builds the additive causal + padding (+ sliding window) mask [B, 1, 1, T, T] from attentionMask [B, T]
 * (1 = token, 0 = padding). Query rows of padding tokens are don't-care; they stay finite.
 */
export function buildAttentionMask(
  attentionMask: tf.Tensor2D | undefined,
  batch: number,
  length: number,
  slidingWindow?: number,
): tf.Tensor {
  return tf.tidy(() => {
    const causal = new Float32Array(length * length);
    for (let i = 0; i < length; i++) {
      for (let j = 0; j < length; j++) {
        const visible = j <= i && (slidingWindow === undefined || i - j < slidingWindow);
        causal[i * length + j] = visible ? 0 : MASKED;
      }
    }
    const causalT = tf.tensor(causal, [1, 1, 1, length, length]);
    if (!attentionMask) return tf.tile(causalT, [batch, 1, 1, 1, 1]);
    // [B, T] → [B, 1, 1, 1, T]: padding keys are hidden from every query.
    const keys = tf.reshape(tf.cast(attentionMask, "float32"), [batch, 1, 1, 1, length]);
    const padding = tf.mul(tf.sub(1, keys), MASKED);
    return tf.add(causalT, padding);
  });
}

/**
 * One layer's keys and values (after rope) of the positions processed so far, for incremental decoding:
 * k, v [B, nKV, P, D]. The tensors are kept outside tidy scopes; `disposeCache` releases them.
 */
export interface LayerCache {
  k?: tf.Tensor;
  v?: tf.Tensor;
}

/** Additive mask [1, 1, 1, T, P + T] for T new positions after P cached ones (one unpadded sequence). */
export function buildCachedMask(newLength: number, past: number, slidingWindow?: number): tf.Tensor {
  const total = past + newLength;
  const mask = new Float32Array(newLength * total);
  for (let i = 0; i < newLength; i++) {
    const pos = past + i;
    for (let j = 0; j < total; j++) {
      const visible = j <= pos && (slidingWindow === undefined || pos - j < slidingWindow);
      mask[i * total + j] = visible ? 0 : MASKED;
    }
  }
  return tf.tensor(mask, [1, 1, 1, newLength, total]);
}

/**
 * hidden [B*T, H] → [B*T, H]. With `cache`, the T positions follow the cached ones: their keys and values are
 * appended to the cache, and `inp.mask` must be [.., T, P + T] (see buildCachedMask).
 */
export function selfAttention(
  hidden: tf.Tensor2D,
  w: AttentionWeights,
  cfg: DecoderConfig,
  inp: AttentionInputs,
  ctx: CallContext,
  cache?: LayerCache,
): tf.Tensor2D {
  return tf.tidy(() => {
    const { batch: B, length: T } = inp;
    const nH = cfg.num_attention_heads;
    const nKV = cfg.num_key_value_heads;
    const g = nH / nKV;
    const D = cfg.head_dim;

    let q: tf.Tensor = tf.reshape(w.q_proj.apply(hidden, ctx), [B, T, nH, D]); // [B, T, nH, D]
    let k: tf.Tensor = tf.reshape(w.k_proj.apply(hidden, ctx), [B, T, nKV, D]); // [B, T, nKV, D]
    const v = tf.reshape(w.v_proj.apply(hidden, ctx), [B, T, nKV, D]); // [B, T, nKV, D]
    // The scores' 1 / sqrt(D) is applied to q, not to the scores: T·D products per head instead of T·S, and with
    // Qwen3's q-norm just D, on its weight (rotary embeddings are linear, so the order does not matter).
    const scale = 1 / Math.sqrt(D);
    if (w.q_norm && w.k_norm) {
      q = rmsNorm(q, tf.mul(w.q_norm, scale) as tf.Tensor1D, cfg.rms_norm_eps);
      k = rmsNorm(k, w.k_norm as tf.Tensor1D, cfg.rms_norm_eps);
    } else {
      q = tf.mul(q, scale);
    }
    q = rotaryHeadsFirst(q as tf.Tensor4D, inp.cos, inp.sin); // [B, nH, T, D]
    k = rotaryHeadsFirst(k as tf.Tensor4D, inp.cos, inp.sin); // [B, nKV, T, D]
    let vt = tf.transpose(v, [0, 2, 1, 3]); // [B, nKV, T, D]
    if (cache) {
      if (cache.k && cache.v) {
        k = tf.concat([cache.k, k], 2); // [B, nKV, P+T, D]
        vt = tf.concat([cache.v, vt], 2); // [B, nKV, P+T, D]
      }
      tf.dispose([cache.k, cache.v].filter((t): t is tf.Tensor => t !== undefined));
      cache.k = tf.keep(k);
      cache.v = tf.keep(vt);
    }
    const S = k.shape[2]!; // key positions: T, or P + T with a cache

    // Query head h uses kv head floor(h / g) (transformers' repeat_kv), so the g query heads of a group are
    // stacked along the time axis and multiplied with their shared k/v once, without copying k/v g times.
    const qg = tf.reshape(q, [B * nKV, g * T, D]) as tf.Tensor3D; // [B*nKV, g*T, D]
    const k3 = tf.reshape(k, [B * nKV, S, D]) as tf.Tensor3D; // [B*nKV, S, D]
    const v3 = tf.reshape(vt, [B * nKV, S, D]) as tf.Tensor3D; // [B*nKV, S, D]
    const ctxOut =
      !cache && hasAttentionKernel()
        ? attentionCore(qg, k3, v3, inp.mask, B, T)
        : composedCore(qg, k3, v3, inp.mask, [B, nKV, g, T, S]);
    const heads = tf.transpose(tf.reshape(ctxOut, [B, nH, T, D]), [0, 2, 1, 3]); // [B, T, nH, D]
    return w.o_proj.apply(tf.reshape(heads, [B * T, nH * D]), ctx); // [B*T, H]
  });
}

/**
 * softmax(q k^T + mask) v of tfjs ops: q [B*nKV, g*T, D], k and v [B*nKV, S, D], mask broadcast to
 * [B, nKV, g, T, S]; a cache's mask has batch 1, so decoding always takes this path.
 */
function composedCore(
  qg: tf.Tensor3D,
  k3: tf.Tensor3D,
  v3: tf.Tensor3D,
  mask: tf.Tensor,
  [B, nKV, g, T, S]: [number, number, number, number, number],
): tf.Tensor3D {
  return tf.tidy(() => {
    const scores = tf.matMul(qg, k3, false, true); // [B*nKV, g*T, S], scaled through q
    const masked = tf.add(tf.reshape(scores, [B, nKV, g, T, S]), mask); // [B, nKV, g, T, S]
    const probs = tf.reshape(tf.softmax(masked), [B * nKV, g * T, S]); // [B*nKV, g*T, S]
    return tf.matMul(probs, v3); // [B*nKV, g*T, D]
  });
}
