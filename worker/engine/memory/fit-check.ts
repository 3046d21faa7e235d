// Refuses, before any weight is loaded, a training job whose step cannot fit the backend's memory: with a
// message that names the estimate, the limit and what would fit, instead of an allocation failure deep in a
// step (on wasm a failed malloc is not even reported: tfjs would write through a null pointer).
import type { DecoderConfig } from "../model/config.ts";
import { TrainSpecError } from "../train/spec-error.ts";
import type { TrainSpec } from "../train/types.ts";
import { weightAverageDecay } from "../train/weight-average.ts";
import {
  BACKEND_MEMORY_LIMITS,
  estimateTrainingMemory,
  formatGb,
  type MemoryEstimate,
  type MemoryShape,
  maxSeqLenThatFits,
  neededBytes,
} from "./estimate.ts";

/** `compiledKernels`: the backend has the compiled element-wise kernels (MemoryShape says what changes). */
export function memoryShapeOf(config: DecoderConfig, spec: TrainSpec, compiledKernels = false): MemoryShape {
  return {
    compiledKernels,
    config,
    trainingType: spec.trainingType,
    loraR: spec.lora.r,
    loraDropout: spec.lora.dropout,
    targetModules: spec.lora.targetModules,
    batchSize: spec.batchSize,
    // Batches are padded to their longest example, at most maxSeqLen: plan for the longest.
    seqLen: spec.maxSeqLen,
    grades: spec.grades.enabled,
    weightAverage: weightAverageDecay(spec.grades) !== undefined,
    gradientAccumulationSteps: spec.gradientAccumulationSteps,
  };
}

/**
 * Throws TrainSpecError (field maxSeqLen when a shorter one would fit at this batch size, else model) when the
 * step's estimated memory exceeds what `backend` (a tfjs backend name) can address. Returns the estimate.
 */
export function checkTrainingFits(
  config: DecoderConfig,
  spec: TrainSpec,
  backend: string,
  compiledKernels = false,
): MemoryEstimate {
  const shape = memoryShapeOf(config, spec, compiledKernels);
  const estimate = estimateTrainingMemory(shape);
  const limit = BACKEND_MEMORY_LIMITS[backend];
  if (limit === undefined) return estimate;
  const needed = neededBytes(estimate);
  if (needed <= limit) return estimate;
  const kind = spec.trainingType === "lora" ? `LoRA r ${spec.lora.r}` : "full fine-tuning";
  const what =
    `a training step (${kind}, batch ${spec.batchSize} x ${spec.maxSeqLen} tokens) needs about ` +
    `${formatGb(needed)}; the ${backend} backend holds ${formatGb(limit)}; use a GPU worker`;
  const longest = maxSeqLenThatFits(shape, limit);
  if (longest >= 64) {
    throw new TrainSpecError("maxSeqLen", `${what}, or max_seq_len ${longest} or less at this batch size`);
  }
  throw new TrainSpecError("model", `${what} (the model does not fit at any sequence length)`);
}
