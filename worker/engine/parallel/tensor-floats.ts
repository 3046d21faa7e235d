// A tensor's values for copying into shared memory without the copy dataSync() makes on wasm, and a variable
// overwritten from shared memory in place: the data-parallel replicas move every trained weight and gradient
// through shared memory at every step (16 MB each way on the bench model in full fine-tuning), and a view of the
// wasm heap saves a pass and an allocation of each.
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

/**
 * Writes `values` over a variable's own buffer, on wasm where no other tensor shares it (the wasm backend counts
 * references to a buffer: shared-copies' Identity shares it, as the variable's initial tensor may): a replica's
 * fresh weights then cost one copy, where assign() allocated a tensor, copied into it and freed the old one, 46
 * dispatches a step in full fine-tuning of the bench model. False where it cannot, for the caller to assign.
 */
export function overwriteVariable(v: tf.Variable, values: Float32Array): boolean {
  if (tf.getBackend() !== "wasm" || v.dtype !== "float32" || v.size !== values.length) return false;
  const backend = tf.backend() as BackendWasm;
  if (backend.refCount(v.dataId) !== 1) return false;
  (backend.typedArrayFromHeap(v) as Float32Array).set(values);
  return true;
}
