// Measured memory of the running backend, for checking the estimates in estimate.ts.
import * as tf from "@tensorflow/tfjs-core";
import type { DecoderConfig } from "../model/config.ts";
import { loadModel } from "../model/loader.ts";
import { Trainer } from "../train/trainer.ts";
import type { TrainSpec } from "../train/types.ts";

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

/** Weights' bytes and the most bytes a training step added on top, over `steps` steps of `spec` on wasm. */
export async function measureTrainingSteps(
  spec: TrainSpec,
  steps = 2,
): Promise<{ weightsBytes: number; stepPeakBytes: number; config: DecoderConfig }> {
  const tracker = trackWasmAllocations();
  try {
    const model = await loadModel(spec.modelDir);
    const weightsBytes = tracker.live();
    const V = model.config.vocab_size;
    // Full-length rows, so every step has batchSize x maxSeqLen tokens: the shape the estimate plans for.
    const examples = Array.from({ length: spec.batchSize }, (_, r) => {
      const ids = Array.from({ length: spec.maxSeqLen }, (_, i) => (i * 7 + r) % V);
      return { inputIds: ids, labels: ids };
    });
    const train = { examples, format: "tokens" as const, dropped: 0 };
    const trainer = new Trainer({ spec, model, train, padId: 0, backend: "wasm" });
    let stepPeakBytes = 0;
    for (let i = 0; i < steps; i++) {
      tracker.resetPeak();
      await trainer.trainStep();
      stepPeakBytes = Math.max(stepPeakBytes, tracker.peak() - weightsBytes);
    }
    trainer.dispose();
    model.dispose();
    return { weightsBytes, stepPeakBytes, config: model.config };
  } finally {
    tracker.stop();
  }
}
