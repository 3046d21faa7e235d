// The next-token loss's softmax cross-entropy over a chunk of logits, with the gradient with respect to the
// logits, as one kernel where the wasm backend has the compiled binding (blas/cross-entropy.c); model/lm-loss.ts
// composes tfjs ops elsewhere. The gradient comes out of the forward pass because the loss keeps it for the
// backward pass anyway (in place of the probabilities it kept before), so the backward pass is only products.
import type { KernelConfig, KernelFunc, TensorInfo } from "@tensorflow/tfjs-core";
import * as tf from "@tensorflow/tfjs-core";
import type { WasmBackend } from "./backend-memory.ts";
import type { Blas } from "./blas.ts";

export const CROSS_ENTROPY = "GradesCrossEntropy";

/** The wasm kernel: (loss [rows], grad [rows, V]) from logits [rows, V] and int32 targets [rows]. */
export function crossEntropyConfig(blas: Blas): KernelConfig {
  const kernelFunc: KernelFunc = ({ inputs, backend }) => {
    const { logits, targets } = inputs as Record<"logits" | "targets", TensorInfo>;
    const b = backend as unknown as WasmBackend;
    const [rows, v] = logits.shape as [number, number];
    const outs = [b.makeOutput([rows], "float32"), b.makeOutput([rows, v], "float32")];
    // Views taken after the allocations: a heap that grew has a new buffer.
    const [loss, grad] = outs.map((t) => b.typedArrayFromHeap(t) as Float32Array) as [
      Float32Array,
      Float32Array,
    ];
    const ids = b.typedArrayFromHeap(targets) as Int32Array;
    blas.crossEntropy(v, b.typedArrayFromHeap(logits) as Float32Array, ids, loss, grad);
    return outs;
  };
  return { kernelName: CROSS_ENTROPY, backendName: "wasm", kernelFunc };
}

/** Whether the active backend runs the cross-entropy as one kernel (wasm with the binding). */
export function hasCrossEntropyKernel(): boolean {
  return tf.getKernel(CROSS_ENTROPY, tf.getBackend()) !== undefined;
}

/**
 * Per row of logits [rows, V] and its target word (int32 [rows], each in [0, V)): the loss -log softmax(x)[y]
 * and the gradient softmax(x) - onehot(y) of that loss with respect to x. No gradient flows through this op:
 * the caller's custom gradient uses the returned one (the caller checks hasCrossEntropyKernel).
 */
export function crossEntropyWithGradient(logits: tf.Tensor, targets: tf.Tensor): [tf.Tensor1D, tf.Tensor2D] {
  return tf.engine().runKernel(CROSS_ENTROPY, { logits, targets }) as [tf.Tensor1D, tf.Tensor2D];
}
