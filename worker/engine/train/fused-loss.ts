// Memory-lean cross-entropy for large vocabularies (Qwen: 151k tokens). Materialising logits [B, T, V] and
// their softmax costs several B·T·V floats — gigabytes at T = 512 — more than the wasm heap holds. Here only
// the labelled positions are projected to the vocabulary, a chunk of rows at a time, and the backward pass
// recomputes each chunk's softmax instead of keeping it: peak memory is a few chunk × V floats.
// The vocabulary projection (lm_head, or the tied embedding) is never trained, so only the hidden states
// receive a gradient: d(sum CE)/dh = (softmax(h Wᵀ) − onehot(target)) W.
import * as tf from "@tensorflow/tfjs-core";
import { IGNORE_INDEX } from "../data/formats.ts";

/** Rows of logits computed at once: 256 × 151669 floats ≈ 155 MB per chunk tensor. */
const DEFAULT_CHUNK_ROWS = 256;

/**
 * Sum of −log softmax(h_i Wᵀ)[target_i] over the rows i whose target is not -100.
 * hidden [N, H] (differentiable), weight [V, H] (constant), targets: N host ints.
 */
export function fusedCrossEntropySum(
  hidden: tf.Tensor2D,
  weight: tf.Tensor2D,
  targets: ArrayLike<number>,
  chunkRows = DEFAULT_CHUNK_ROWS,
): tf.Scalar {
  const rows: number[] = [];
  const gold: number[] = [];
  for (let i = 0; i < targets.length; i++) {
    if (targets[i] !== IGNORE_INDEX) {
      rows.push(i);
      gold.push(targets[i]!);
    }
  }
  const vocab = weight.shape[0];
  const chunks: { start: number; size: number }[] = [];
  for (let s = 0; s < rows.length; s += chunkRows)
    chunks.push({ start: s, size: Math.min(chunkRows, rows.length - s) });

  const lossOfRows = tf.customGrad(((h: tf.Tensor, save: tf.GradSaveFunc) => {
    save([h]);
    const value = tf.tidy(() => {
      const parts = chunks.map(({ start, size }) => {
        const hc = tf.slice(h, [start, 0], [size, -1]); // [C, H]
        const logits = tf.matMul(hc as tf.Tensor2D, weight, false, true); // [C, V]
        const lse = tf.logSumExp(logits, -1); // [C]
        const picked = tf.sum(
          tf.mul(logits, tf.oneHot(tf.tensor1d(gold.slice(start, start + size), "int32"), vocab)),
          -1,
        );
        return tf.sum(tf.sub(lse, picked));
      });
      return parts.length === 0 ? tf.scalar(0) : tf.addN(parts);
    });
    const gradFunc = (dy: tf.Tensor, saved: tf.Tensor[]) =>
      tf.tidy(() => {
        const hs = saved[0]!;
        const parts = chunks.map(({ start, size }) => {
          const hc = tf.slice(hs, [start, 0], [size, -1]);
          const probs = tf.softmax(tf.matMul(hc as tf.Tensor2D, weight, false, true), -1); // [C, V]
          const onehot = tf.oneHot(tf.tensor1d(gold.slice(start, start + size), "int32"), vocab);
          return tf.matMul(tf.sub(probs, onehot) as tf.Tensor2D, weight); // [C, H]
        });
        const dh = parts.length === 1 ? parts[0]! : tf.concat(parts, 0);
        return tf.mul(dh, dy);
      });
    return { value: value as tf.Scalar, gradFunc };
  }) as unknown as Parameters<typeof tf.customGrad<tf.Scalar>>[0]);

  return tf.tidy(() => {
    if (rows.length === 0) return tf.mul(tf.sum(hidden), 0) as tf.Scalar;
    const selected = tf.gather(hidden, tf.tensor1d(rows, "int32")); // [M, H]
    return lossOfRows(selected) as tf.Scalar;
  });
}

/** Next-token targets per row of a flattened [B, T] batch: row (b, t) predicts labels[b, t + 1]. */
export function shiftedTargets(labels: Int32Array, batch: number, seqLen: number): Int32Array {
  const out = new Int32Array(batch * seqLen).fill(IGNORE_INDEX);
  for (let b = 0; b < batch; b++) {
    for (let t = 0; t < seqLen - 1; t++) out[b * seqLen + t] = labels[b * seqLen + t + 1]!;
  }
  return out;
}
