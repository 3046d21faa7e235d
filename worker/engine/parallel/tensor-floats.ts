// A tensor's values for copying into shared memory, without the copy dataSync() makes on wasm: the data-parallel
// replicas move every trained weight and gradient through shared memory at every step (16 MB each way on the
// bench model in full fine-tuning), and a view of the wasm heap saves one pass and one allocation of each.
import type { BackendWasm } from "@tensorflow/tfjs-backend-wasm";
import * as tf from "@tensorflow/tfjs-core";

/**
 * The float32 values of `t`: on wasm a view of its heap, valid only until the backend next allocates (copy out
 * of it at once); elsewhere dataSync()'s copy.
 */
export function floatsOf(t: tf.Tensor): Float32Array {
  if (t.dtype !== "float32") throw new Error(`expected a float32 tensor, got ${t.dtype}`);
  if (tf.getBackend() !== "wasm") return t.dataSync() as Float32Array;
  return (tf.backend() as BackendWasm).typedArrayFromHeap(t) as Float32Array;
}
