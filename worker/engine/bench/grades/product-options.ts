// The training options a job gets from the service when it asks for nothing but the training type: the
// benchmark measures the product's defaults, so it builds its specs through the same two functions a job goes
// through (the API's resolveJobConfig, then the worker's trainSpecFor). Their defaults are the ones measured.
import { resolveJobConfig } from "../../../../api/routes/fine-tuning/config.ts";
import type { CreateJobBody } from "../../../../api/routes/fine-tuning/request.ts";
import { trainSpecFor } from "../../../train-spec.ts";
import type { TrainSpec } from "../../train/types.ts";

export type Mode = "lora" | "full";
export type BaseMethod = "full_budget" | "early_stopping" | "grades";
/** A base method, or `grades:<name>`: GradES with some options changed (a variant under study). */
export type Method = BaseMethod | `grades:${string}`;
export type GradesOverrides = Partial<TrainSpec["grades"]>;
export const MODES: readonly Mode[] = ["lora", "full"];
export const METHODS: readonly BaseMethod[] = ["full_budget", "early_stopping", "grades"];

export interface RunFiles {
  modelDir: string;
  trainFile: string;
  validationFile: string;
  outputDir: string;
  checkpointDir: string;
}

/**
 * The spec of one benchmark run: the product's defaults for `mode` and a training set of `examples` lines,
 * n_epochs fixed to `epochs` so every method has the same step budget. full_budget turns GradES off;
 * early_stopping turns it off and asks for the service's validation-loss early stopping (its defaults);
 * grades keeps the product's GradES defaults, and a `grades:<name>` variant applies `overrides` to them. No checkpoints are written (none of the methods needs them).
 */
export function benchSpec(
  mode: Mode,
  method: Method,
  examples: number,
  epochs: number,
  seed: number,
  files: RunFiles,
  overrides: GradesOverrides = {},
): TrainSpec {
  const grades = method === "grades" || method.startsWith("grades:");
  const body = {
    model: "bench",
    training_file: "bench",
    training_type: mode,
    hyperparameters: { n_epochs: epochs },
    ...(grades ? {} : { grades: { enabled: false } }),
    ...(method === "early_stopping" ? { early_stopping: {} } : {}),
  } as CreateJobBody;
  const config = resolveJobConfig(body, examples);
  const spec = trainSpecFor(
    config,
    seed,
    {
      modelDir: files.modelDir,
      trainFile: files.trainFile,
      ...(method === "early_stopping" ? { validationFile: files.validationFile } : {}),
      outputDir: files.outputDir,
      checkpointDir: files.checkpointDir,
    },
    "auto",
    "bench",
  );
  const { checkpointDir: _, checkpointEvery: __, ...rest } = spec;
  return { ...rest, grades: { ...rest.grades, ...(method.startsWith("grades:") ? overrides : {}) } };
}
