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

interface MallocModule {
  _malloc(bytes: number): number;
  _free(pointer: number): void;
}

/** Peak bytes of tensor buffers the wasm backend held at once, counted from its malloc/free calls. */
export interface AllocationTracker {
  /** Bytes live now. */
  live(): number;
  /** Most bytes live at once since the tracker started or was last reset. */
  peak(): number;
  resetPeak(): void;
  stop(): void;
}

/**
 * Counts the wasm backend's tensor allocations (every buffer goes through the module's _malloc and _free)
 * to give the peak a step needs; unlike tf.memory().numBytes it counts a buffer shared by several tensors
 * (reshape, clone) once. Allocations XNNPACK makes inside wasm for its own scratch space are not seen.
 */
export function trackWasmAllocations(): AllocationTracker {
  const wasm = (tf.backend() as unknown as { wasm?: MallocModule }).wasm;
  if (!wasm) throw new Error("trackWasmAllocations needs the wasm backend");
  // Emscripten's exported wrappers replace themselves with the raw export on first call, so bind the raw ones.
  const raw = (wasm as { asm?: { malloc?: MallocModule["_malloc"]; free?: MallocModule["_free"] } }).asm;
  const malloc = raw?.malloc ?? wasm._malloc;
  const free = raw?.free ?? wasm._free;
  const sizes = new Map<number, number>();
  let live = 0;
  let peak = 0;
  const tracked: MallocModule = {
    _malloc: (bytes: number) => {
      const p = malloc(bytes);
      sizes.set(p, bytes);
      live += bytes;
      if (live > peak) peak = live;
      return p;
    },
    _free: (p: number) => {
      live -= sizes.get(p) ?? 0;
      sizes.delete(p);
      free(p);
    },
  };
  wasm._malloc = tracked._malloc;
  wasm._free = tracked._free;
  return {
    live: () => live,
    peak: () => peak,
    resetPeak: () => {
      peak = live;
    },
    stop: () => {
      wasm._malloc = malloc;
      wasm._free = free;
    },
  };
}
