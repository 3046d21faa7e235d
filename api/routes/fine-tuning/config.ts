// Turns a validated create request into the job's stored configuration: the engine resolves every "auto" (for
// the base model, whose config.json may say what "auto" means for it) and fills in every default
// (worker/engine/train/options.ts), so a job trains as `grades train` would.
import type { JobConfig } from "../../../db/queue/job-config.ts";
import { modelTrainingDefaults, resolveTrainOptions } from "../../../worker/engine/index.ts";
import type { CreateJobBody } from "./request.ts";

export type { JobConfig };

export function resolveJobConfig(
  body: CreateJobBody,
  examples: number | null,
  modelConfig: Record<string, unknown> = {},
): JobConfig {
  const {
    model: _model,
    training_file: _training,
    validation_file: _validation,
    suffix: _suffix,
    seed: _seed,
    metadata: _metadata,
    integrations: _integrations,
    method,
    hyperparameters,
    ...options
  } = body;
  return resolveTrainOptions(
    { ...options, hyperparameters: method?.supervised?.hyperparameters ?? hyperparameters },
    examples,
    modelTrainingDefaults(modelConfig),
  );
}
