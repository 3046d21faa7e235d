// Rotary position embeddings with transformers' rotate_half convention: the head dimension is split in two
// halves (not interleaved pairs), emb = cat(freqs, freqs), x' = x * cos + rotate_half(x) * sin.
import * as tf from "@tensorflow/tfjs-core";
import { fusedRotaryHeadsFirst, fusedRotaryTakes } from "../kernels/rotary.ts";
import type { RopeScaling } from "./config.ts";

/** inv_freq[i] = 1 / theta^(2i / dim), adjusted for linear or Llama 3 scaling as transformers does. */
export function inverseFrequencies(dim: number, theta: number, scaling?: RopeScaling): Float64Array {
  const inv = new Float64Array(dim / 2);
  for (let i = 0; i < dim / 2; i++) inv[i] = 1 / theta ** ((2 * i) / dim);
  if (scaling?.rope_type === "linear") {
    for (let i = 0; i < inv.length; i++) inv[i]! /= scaling.factor;
  } else if (scaling?.rope_type === "llama3") {
    const {
      factor,
      low_freq_factor: low,
      high_freq_factor: high,
      original_max_position_embeddings: orig,
    } = scaling;
    const lowWavelen = orig / low;
    const highWavelen = orig / high;
    for (let i = 0; i < inv.length; i++) {
      const wavelen = (2 * Math.PI) / inv[i]!;
      if (wavelen > lowWavelen) inv[i]! /= factor;
      else if (wavelen >= highWavelen) {
        const smooth = (orig / wavelen - low) / (high - low);
        inv[i] = (1 - smooth) * (inv[i]! / factor) + smooth * inv[i]!;
      }
    }
  }
  return inv;
}

/** cos and sin tables [T, dim] for positions offset .. offset + T - 1. */
export function rotaryTables(
  length: number,
  dim: number,
  theta: number,
  scaling?: RopeScaling,
  offset = 0,
): { cos: tf.Tensor2D; sin: tf.Tensor2D } {
  const inv = inverseFrequencies(dim, theta, scaling);
  const half = dim / 2;
  const cos = new Float32Array(length * dim);
  const sin = new Float32Array(length * dim);
  for (let t = 0; t < length; t++) {
    for (let i = 0; i < half; i++) {
      // transformers computes the angle in float32; round the same way before taking cos/sin.
      const angle = Math.fround(Math.fround(t + offset) * Math.fround(inv[i]!));
      const c = Math.cos(angle);
      const s = Math.sin(angle);
      cos[t * dim + i] = c;
      cos[t * dim + i + half] = c;
      sin[t * dim + i] = s;
      sin[t * dim + i + half] = s;
    }
  }
  return { cos: tf.tensor2d(cos, [length, dim]), sin: tf.tensor2d(sin, [length, dim]) };
}

/** The [D, D] matrix R with x R = rotate_half(x): -1 at [i + D/2, i], 1 at [i, i + D/2]. */
function rotateHalfMatrix(dim: number): tf.Tensor2D {
  const half = dim / 2;
  const r = new Float32Array(dim * dim);
  for (let i = 0; i < half; i++) {
    r[(i + half) * dim + i] = -1;
    r[i * dim + i + half] = 1;
  }
  return tf.tensor2d(r, [dim, dim]);
}

/**
 * rotate_half(x) = cat(-x[..., d/2:], x[..., :d/2]), computed as x R: every output is one input times ±1, so the
 * product is exact, and one small matmul (and its gradient) is several times faster on wasm than the split,
 * negation and concat it replaces and their gradients (21 ms of a 270 ms LoRA step of the bench model).
 */
export function rotateHalf(x: tf.Tensor): tf.Tensor {
  return tf.tidy(() => {
    const dim = x.shape[x.shape.length - 1]!;
    const rows = tf.reshape(x, [-1, dim]); // [N, D]
    return tf.reshape(tf.matMul(rows, rotateHalfMatrix(dim)), x.shape); // [..., D]
  });
}

/**
 * q or k [B, T, heads, D] rotated and moved heads-first, [B, heads, T, D], as attention multiplies them: one fused
 * kernel each way where the backend has it (kernels/rotary.ts), else the transpose and applyRotary.
 */
export function rotaryHeadsFirst(x: tf.Tensor4D, cos: tf.Tensor2D, sin: tf.Tensor2D): tf.Tensor4D {
  if (fusedRotaryTakes(x)) return fusedRotaryHeadsFirst(x, cos, sin);
  return tf.tidy(() => applyRotary(tf.transpose(x, [0, 2, 1, 3]), cos, sin) as tf.Tensor4D);
}

/** Applies rope to x [..., T, D] with tables [T, D] (broadcast over the leading axes). */
export function applyRotary(x: tf.Tensor, cos: tf.Tensor2D, sin: tf.Tensor2D): tf.Tensor {
  return tf.tidy(() => tf.add(tf.mul(x, cos), tf.mul(rotateHalf(x), sin)));
}
