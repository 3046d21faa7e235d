// Training checkpoints: everything a resumed run needs to continue exactly where it stopped.
//   trainer_state.json      step, data position, RNG state, GradES state (frozen set), counters, history
//   trainable.safetensors   the trained variables (LoRA A/B or full weights), frozen ones included
//   optimizer.safetensors   AdamW moments of the non-frozen variables
//   grades_prev.safetensors GradES "previous" tensors (gradients or weights of the last step)
//   weight_average.safetensors  the moving average of the trained variables, once it has started
//                           (grades.weight_average; absent otherwise)
// A LoRA checkpoint also holds a PEFT adapter, so any checkpoint can be used as a model on its own.
// The folder is written under a temporary name and renamed, so a crash never leaves a half checkpoint.
import { mkdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type * as tf from "@tensorflow/tfjs-core";
import type { DataPosition } from "../data/batches.ts";
import { InputError } from "../errors.ts";
import { pathExists } from "../io/path-exists.ts";
import { readSafetensors, type SafetensorsTensor, writeSafetensors } from "../io/safetensors.ts";
import type { GradesState } from "../train/grades.ts";
import type { TrainSummary } from "../train/types.ts";

export const CHECKPOINT_VERSION = 1;
/** Written only by runs that average their weights, so checkpoints of the others are as they were. */
const AVERAGES_FILE = "weight_average.safetensors";

export interface TrainerState {
  version: number;
  step: number;
  totalSteps: number;
  trainingType: "lora" | "full";
  /** Component names in order, to check the checkpoint fits the model it is resumed on. */
  components: string[];
  data: DataPosition;
  rng: number;
  grades: GradesState;
  optimizerSteps: Record<string, number>;
  trainedTokens: number;
  /** Weight-gradient matrix-steps computed so far (for estimatedComputeSaved). */
  computedMatrixSteps: number;
  history: TrainSummary["history"];
  lastTrainLoss: number | null;
  lastValidLoss: number | null;
  bestValidLoss: number | null;
  evalsWithoutImprovement: number;
}

export interface CheckpointTensors {
  trainable: Map<string, tf.Tensor>;
  optimizer: Map<string, tf.Tensor>;
  gradesPrev: Map<string, tf.Tensor>;
  /** The weights' moving average by variable key (train/weight-average.ts); empty when there is none. */
  averages: Map<string, tf.Tensor>;
}

export interface LoadedCheckpoint {
  state: TrainerState;
  trainable: Map<string, SafetensorsTensor>;
  optimizer: Map<string, SafetensorsTensor>;
  gradesPrev: Map<string, SafetensorsTensor>;
  averages: Map<string, SafetensorsTensor>;
}

export class CheckpointError extends InputError {
  override name = "CheckpointError";
}

async function toHost(
  tensors: Map<string, tf.Tensor>,
): Promise<Map<string, { shape: number[]; data: Float32Array }>> {
  const out = new Map<string, { shape: number[]; data: Float32Array }>();
  for (const [name, t] of tensors)
    out.set(name, { shape: [...t.shape], data: (await t.data()) as Float32Array });
  return out;
}

/**
 * Writes a checkpoint to `dir` (replacing one already there). `extra` may add files (e.g. the PEFT adapter)
 * into the temporary folder before it is renamed into place.
 */
export async function saveCheckpoint(
  dir: string,
  state: TrainerState,
  tensors: CheckpointTensors,
  extra?: (tmpDir: string) => Promise<void>,
): Promise<void> {
  const tmp = `${dir}.partial`;
  await rm(tmp, { recursive: true, force: true });
  await mkdir(tmp, { recursive: true });
  await writeSafetensors(join(tmp, "trainable.safetensors"), await toHost(tensors.trainable));
  await writeSafetensors(join(tmp, "optimizer.safetensors"), await toHost(tensors.optimizer));
  await writeSafetensors(join(tmp, "grades_prev.safetensors"), await toHost(tensors.gradesPrev));
  if (tensors.averages.size > 0)
    await writeSafetensors(join(tmp, AVERAGES_FILE), await toHost(tensors.averages));
  if (extra) await extra(tmp);
  await writeFile(join(tmp, "trainer_state.json"), `${JSON.stringify(state, null, 2)}\n`);
  await rm(dir, { recursive: true, force: true });
  await rename(tmp, dir);
}

export async function loadCheckpoint(dir: string): Promise<LoadedCheckpoint> {
  let state: TrainerState;
  try {
    state = JSON.parse(await readFile(join(dir, "trainer_state.json"), "utf8")) as TrainerState;
  } catch (err) {
    throw new CheckpointError(
      `${dir} is not a training checkpoint: trainer_state.json (${(err as Error).message})`,
    );
  }
  if (state.version !== CHECKPOINT_VERSION) {
    throw new CheckpointError(
      `checkpoint version ${state.version} is not supported (expected ${CHECKPOINT_VERSION})`,
    );
  }
  return {
    state,
    trainable: await readSafetensors(join(dir, "trainable.safetensors")),
    optimizer: await readSafetensors(join(dir, "optimizer.safetensors")),
    gradesPrev: await readSafetensors(join(dir, "grades_prev.safetensors")),
    averages: (await pathExists(join(dir, AVERAGES_FILE)))
      ? await readSafetensors(join(dir, AVERAGES_FILE))
      : new Map(),
  };
}
