// The training options a job gets from the service when it asks for nothing but the training type: the
// benchmark measures the product's defaults, so it builds its specs through the same two functions a job goes
// through (the options schema's resolveTrainOptions, then trainSpecFrom). Their defaults are the ones measured.
import { resolveTrainOptions, type TrainOptionsInput } from "../../train/options.ts";
import { trainSpecFrom } from "../../train/spec-options.ts";
import type { TrainSpec } from "../../train/types.ts";

export type Mode = "lora" | "full";
export type BaseMethod = "full_budget" | "early_stopping" | "grades" | "trajectory";
/** A base method, or `grades:<name>`: GradES with some options changed (a variant under study). */
export type Method = BaseMethod | `grades:${string}`;
/** GradES options a variant changes; null removes an optional one (relativeTau, smoothing, …). */
export type GradesOverrides = { [K in keyof TrainSpec["grades"]]?: TrainSpec["grades"][K] | null };
export const MODES: readonly Mode[] = ["lora", "full"];
/** The methods compared, run by default. */
export const METHODS: readonly BaseMethod[] = ["full_budget", "early_stopping", "grades"];
/**
 * Every method `--methods` accepts. "trajectory" is the full budget again, with about
 * `--trajectory-points` checkpoints scored on the test split afterwards: the accuracy an oracle stop at each of those
 * steps would keep. Writing the checkpoints costs time, so its runs are not timed against the others.
 */
export const ALL_METHODS: readonly BaseMethod[] = [...METHODS, "trajectory"];

export interface RunFiles {
  modelDir: string;
  trainFile: string;
  validationFile: string;
  outputDir: string;
}

export interface BenchRun {
  mode: Mode;
  method: Method;
  /** Lines of the training file (the service's "auto" hyperparameters depend on it). */
  examples: number;
  /** The step budget, the same for every method. */
  epochs: number;
  seed: number;
  files: RunFiles;
  /** The GradES options a `grades:<name>` variant changes. */
  overrides?: GradesOverrides | undefined;
  /** The service's learning_rate_multiplier (default 1: the base learning rate of the mode). */
  lrMultiplier?: number | undefined;
  /** The service's batch_size (default: its "auto" value for the training set's size). */
  batchSize?: number | undefined;
  /** "trajectory" only: where its checkpoints go and every how many steps. */
  checkpoints?: { dir: string; every: number } | undefined;
}

/**
 * The spec of one benchmark run: the product's defaults for the mode and the training set's size, n_epochs
 * fixed so every method has the same step budget. full_budget turns GradES off; early_stopping turns it off
 * and asks for the service's validation-loss early stopping (its defaults); grades keeps the product's GradES
 * defaults, and a `grades:<name>` variant applies its overrides to them. trajectory is the full budget with
 * checkpoints every `checkpoints.every` steps; the other methods write none (they would cost time).
 */
export function benchSpec(r: BenchRun): TrainSpec {
  const variant = r.method.startsWith("grades:");
  const input: TrainOptionsInput = {
    training_type: r.mode,
    hyperparameters: {
      n_epochs: r.epochs,
      learning_rate_multiplier: r.lrMultiplier ?? 1,
      ...(r.batchSize ? { batch_size: r.batchSize } : {}),
    },
    ...(r.method === "grades" || variant ? {} : { grades: { enabled: false } }),
    ...(r.method === "early_stopping" ? { early_stopping: {} } : {}),
  };
  const spec = trainSpecFrom(resolveTrainOptions(input, r.examples), {
    modelDir: r.files.modelDir,
    trainFile: r.files.trainFile,
    ...(r.method === "early_stopping" ? { validationFile: r.files.validationFile } : {}),
    outputDir: r.files.outputDir,
    seed: r.seed,
  });
  const { checkpointDir: _, checkpointEvery: __, epochCheckpoints: ___, ...rest } = spec;
  const checkpoints =
    r.method === "trajectory" && r.checkpoints
      ? { checkpointDir: r.checkpoints.dir, checkpointEvery: r.checkpoints.every }
      : {};
  // A variant's null turns an option off, as a job's null does (e.g. "relativeTau": null tests tau itself).
  const merged: Record<string, unknown> = { ...rest.grades, ...(variant ? r.overrides : {}) };
  for (const [k, v] of Object.entries(merged)) if (v === null) delete merged[k];
  return { ...rest, ...checkpoints, grades: merged as unknown as TrainSpec["grades"] };
}
