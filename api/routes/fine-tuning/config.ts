// Turns a validated create request into the job's stored configuration: every "auto" resolved, every default
// filled in, in the API's snake_case. The worker maps it onto the engine's TrainSpec (worker/train-spec.ts).
import type { JobConfig, ResolvedHyperparameters } from "../../../db/queue/job-config.ts";
import type { CreateJobBody } from "./request.ts";

export type { JobConfig, ResolvedHyperparameters };

/** Base learning rates that the multiplier scales: LoRA tolerates far larger steps than full fine-tuning. */
export const BASE_LEARNING_RATE = { lora: 2e-4, full: 1e-5 } as const;

export const DEFAULT_LORA = {
  r: 8,
  alpha: 16,
  dropout: 0,
  target_modules: ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"],
  use_rslora: false,
};

/** Per-element normalisation with a relative threshold: a default that does not depend on matrix or model size. */
export const DEFAULT_GRADES: JobConfig["grades"] = {
  enabled: true,
  tau: 1e-6,
  alpha: 0.3,
  metric: "grad_change",
  normalize: "mean",
  relative_tau: 0.05,
  interval: 1,
  max_frozen_ratio: 1,
};

/**
 * "auto" hyperparameters from the dataset size (examples in the training file), in OpenAI's spirit: a few
 * epochs, larger batches only for larger datasets, multiplier 1.
 */
export function resolveAuto(
  hp: CreateJobBody["hyperparameters"] | undefined,
  examples: number | null,
): ResolvedHyperparameters {
  const n = examples ?? 0;
  const autoBatch = n >= 2048 ? 8 : n >= 256 ? 4 : n >= 32 ? 2 : 1;
  const autoEpochs = n > 0 && n < 10 ? 10 : n >= 10_000 ? 1 : 3;
  return {
    n_epochs: hp?.n_epochs === undefined || hp.n_epochs === "auto" ? autoEpochs : hp.n_epochs,
    batch_size: hp?.batch_size === undefined || hp.batch_size === "auto" ? autoBatch : hp.batch_size,
    learning_rate_multiplier:
      hp?.learning_rate_multiplier === undefined || hp.learning_rate_multiplier === "auto"
        ? 1
        : hp.learning_rate_multiplier,
  };
}

export function resolveJobConfig(body: CreateJobBody, examples: number | null): JobConfig {
  const trainingType = body.training_type ?? "lora";
  const hyperparameters = resolveAuto(
    body.method?.supervised?.hyperparameters ?? body.hyperparameters,
    examples,
  );
  // A `tau` given without `relative_tau` is the threshold the user wants: the default relative threshold would
  // replace it (the engine ignores tau when relative_tau is set) and silently make the setting do nothing.
  const absolute = body.grades?.tau !== undefined && body.grades.relative_tau === undefined;
  const grades = { ...DEFAULT_GRADES, ...(absolute ? { relative_tau: null } : {}), ...body.grades };
  const early = body.early_stopping
    ? { patience: 3, eval_interval: 10, min_delta: 0, ...body.early_stopping }
    : null;
  return {
    hyperparameters,
    training_type: trainingType,
    lora: {
      ...DEFAULT_LORA,
      ...body.lora,
      target_modules: body.lora?.target_modules ?? DEFAULT_LORA.target_modules,
    },
    grades,
    early_stopping: early,
    learning_rate:
      body.learning_rate ?? BASE_LEARNING_RATE[trainingType] * hyperparameters.learning_rate_multiplier,
    max_seq_len: body.max_seq_len ?? 512,
    max_steps: body.max_steps ?? null,
    checkpoint_every: body.checkpoint_every ?? 50,
  };
}
