// Next-token cross-entropy computed from the final hidden states in row chunks, without keeping [B, T, V]
// logits alive. With Qwen's 151,669-token vocabulary the plain route (logits → logSoftmax → one-hot product)
// holds several [B, T, V] float32 tensors on the gradient tape (310 MB each for 512 tokens); here a custom
// gradient recomputes each chunk's logits in the backward pass and never materialises more than
// [chunkRows, V]. The gradient with respect to the lm_head (embed_tokens when tied) is produced only when that
// weight is a trainable variable (full fine-tuning, pretraining): LoRA leaves it frozen and skips the [V, H] work.
import * as tf from "@tensorflow/tfjs-core";
import { crossEntropyWithGradient, hasCrossEntropyKernel } from "../kernels/cross-entropy.ts";
import type { CausalLM, ForwardOptions } from "./types.ts";

/** Hugging Face's ignore label. */
export const IGNORE_LABEL = -100;

/**
 * Up to this many bytes of probabilities ([targets, V] float32, kept as the logits' gradient: the probabilities
 * minus the one-hot targets) are kept from the forward pass for the backward pass instead of recomputing each
 * chunk's logits there: one vocabulary matmul fewer per step (about a tenth of a LoRA step's FLOPs on the bench
 * model, whose 512 targets x 4,096 words take 8 MiB). Above it (Qwen3's vocabulary: 311 MB for 512 targets) the
 * backward pass recomputes them, chunk by chunk.
 */
export const SAVED_PROBABILITIES_BYTES = 64 * 2 ** 20;

/** Whether a loss over `targets` positions of a `vocab`-word vocabulary keeps its probabilities (see above). */
export function keepsProbabilities(targets: number, vocab: number): boolean {
  return targets * vocab * 4 <= SAVED_PROBABILITIES_BYTES;
}

export interface ChunkedLossOptions extends ForwardOptions {
  /** Rows (predicted positions) per chunk; memory is about chunkRows × V floats. */
  chunkRows?: number;
  /** Keep the probabilities for the backward pass (default: when they fit SAVED_PROBABILITIES_BYTES). */
  keepProbabilities?: boolean;
}

/**
 * Sum over predicted positions of -log p(label[t + 1] | tokens ≤ t), labels unshifted with -100 = ignored,
 * exactly what a logits-based loss gives; divide by the number of targets for the mean.
 * hidden [B, T, H] (final-norm states), lmHead [V, H], labels int32 [B, T].
 */
export function summedNextTokenLossFromHidden(
  hidden: tf.Tensor3D,
  lmHead: tf.Tensor2D,
  labels: tf.Tensor2D | number[][],
  chunkRows = 256,
  keepProbabilities?: boolean,
): tf.Scalar {
  const [B, T, H] = hidden.shape;
  const V = lmHead.shape[0];
  const labelRows = Array.isArray(labels) ? labels : (labels.arraySync() as number[][]);
  const rows: number[] = [];
  const targets: number[] = [];
  for (let b = 0; b < B; b++) {
    for (let t = 0; t + 1 < T; t++) {
      const y = labelRows[b]![t + 1]!;
      if (y === IGNORE_LABEL) continue;
      if (!Number.isInteger(y) || y < 0 || y >= V)
        throw new Error(`label ${y} at [${b}, ${t + 1}] is outside the vocabulary (${V})`);
      rows.push(b * T + t);
      targets.push(y);
    }
  }
  if (rows.length === 0) return tf.scalar(0);
  const chunks: [number, number][] = [];
  for (let i = 0; i < rows.length; i += chunkRows) chunks.push([i, Math.min(rows.length, i + chunkRows)]);

  const trainHead = lmHead instanceof tf.Variable && lmHead.trainable;
  return tf.tidy(() => {
    const flat = tf.reshape(hidden, [B * T, H]); // [B*T, H]
    const picked = tf.gather(flat, tf.tensor1d(rows, "int32")) as tf.Tensor2D; // [M, H]
    const lossOf = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
      const h = args[0] as tf.Tensor2D;
      const save = args[args.length - 1] as tf.GradSaveFunc;
      const keep = keepProbabilities ?? keepsProbabilities(rows.length, V);
      const fused = keep && hasCrossEntropyKernel();
      const targetIds = ([s, e]: [number, number]) => tf.tensor1d(targets.slice(s, e), "int32");
      // d(lse - logit[y])/dlogits = softmax - onehot(y). The one-hot stays int32 (the subtraction casts it):
      // the wasm backend's OneHot writes int32 ones into a float32 output.
      const logitGrad = (p: tf.Tensor, chunk: [number, number]) => tf.sub(p, tf.oneHot(targetIds(chunk), V));
      // Each chunk's gradient with respect to its logits, when kept: the backward pass is then products only.
      const kept: tf.Tensor[] = [];
      const value = tf.tidy(() => {
        let total: tf.Tensor = tf.scalar(0);
        for (const chunk of chunks) {
          const [s, e] = chunk;
          // h W^T with W as a transposed operand, not a transposed copy: every backend takes one in its product
          // (the wasm backend's sgemm straight, its XNNPACK path by a copy of its own).
          const logits = tf.matMul(tf.slice(h, [s, 0], [e - s, H]), lmHead, false, true); // [c, V]
          if (fused) {
            const [rowLoss, grad] = crossEntropyWithGradient(logits, targetIds(chunk));
            kept.push(tf.keep(grad));
            total = tf.add(total, tf.sum(rowLoss));
            continue;
          }
          const index = tf.tensor1d(
            targets.slice(s, e).map((y, i) => i * V + y),
            "int32",
          );
          let lse: tf.Tensor; // [c]
          if (keep) {
            // softmax rather than exp(logits - lse): on wasm XNNPACK's softmax over a [c, V] chunk is several
            // times faster than the Exp kernel. The log-sum-exp then comes without Exp too: max(p) =
            // exp(max(logits) - lse) is at least 1 / V, so lse = max(logits) - log(max(p)) loses no precision.
            const p = tf.softmax(logits); // [c, V]
            kept.push(tf.keep(logitGrad(p, chunk)));
            lse = tf.sub(tf.max(logits, -1), tf.log(tf.max(p, -1)));
          } else {
            lse = tf.logSumExp(logits, -1);
          }
          const target = tf.gather(tf.reshape(logits, [-1]), index); // [c]
          total = tf.add(total, tf.sum(tf.sub(lse, target)));
        }
        return total as tf.Scalar;
      });
      // Saved tensors outlive this call until the backward pass has run (tfjs disposes them afterwards).
      save([h, ...kept]);
      tf.dispose(kept);
      const gradFunc = (dy: tf.Tensor, saved: tf.Tensor[]) =>
        tf.tidy(() => {
          const [hs, ...grads] = saved as tf.Tensor2D[];
          const dh: tf.Tensor[] = [];
          let dW: tf.Tensor | undefined;
          for (const [k, chunk] of chunks.entries()) {
            const [s, e] = chunk;
            const hc = tf.slice(hs!, [s, 0], [e - s, H]); // [c, H]
            const g = grads[k] ?? logitGrad(tf.softmax(tf.matMul(hc, lmHead, false, true)), chunk); // [c, V]
            dh.push(tf.matMul(g, lmHead)); // [c, H]
            if (trainHead) {
              // dy goes onto the chunk's [c, H] states rather than onto the [V, H] product.
              const part = tf.matMul(g, tf.mul(hc, dy), true, false); // [V, H]
              dW = dW ? tf.add(dW, part) : part;
            }
          }
          const dHidden = tf.mul(dh.length === 1 ? dh[0]! : tf.concat(dh, 0), dy);
          return trainHead ? [dHidden, dW!] : [dHidden];
        });
      return { value, gradFunc };
    });
    return (trainHead ? lossOf(picked, lmHead) : lossOf(picked)) as tf.Scalar;
  });
}

/** The model's summed next-token loss over a batch, via hiddenStates + lmHeadWeight. */
export function summedNextTokenLoss(
  model: CausalLM,
  inputIds: tf.Tensor2D,
  attentionMask: tf.Tensor2D | undefined,
  labels: tf.Tensor2D | number[][],
  opts: ChunkedLossOptions = {},
): tf.Scalar {
  if (!model.hiddenStates || !model.lmHeadWeight) throw new Error("this model does not expose hidden states");
  const hiddenStates = model.hiddenStates.bind(model);
  const lmHead = model.lmHeadWeight();
  return tf.tidy(() =>
    summedNextTokenLossFromHidden(
      hiddenStates(inputIds, attentionMask, opts),
      lmHead,
      labels,
      opts.chunkRows,
      opts.keepProbabilities,
    ),
  );
}
