// Measured memory of the running backend, for checking the estimates in estimate.ts.
import * as tf from "@tensorflow/tfjs-core";

interface WasmBackendLike {
  wasm?: { HEAPU8?: Uint8Array };
}

/**
 * Size of the wasm backend's linear memory in bytes. It grows when the allocator needs more and never shrinks,
 * so it is the peak the backend has needed so far; undefined on other backends.
 */
export function wasmHeapBytes(): number | undefined {
  if (tf.getBackend() !== "wasm") return undefined;
  const heap = (tf.backend() as unknown as WasmBackendLike).wasm?.HEAPU8;
  return heap ? heap.buffer.byteLength : undefined;
}
