// The body of POST /v1/fine_tuning/jobs: OpenAI's fields plus our extensions. Every bad value becomes a 400
// whose `param` is the path of the field (`method.supervised.hyperparameters.n_epochs`).
import { z } from "@hono/zod-openapi";

const PROJECTIONS = ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"] as const;

const auto = <T extends z.ZodType>(schema: T) => z.union([z.literal("auto"), schema]);

export const Hyperparameters = z
  .object({
    n_epochs: auto(z.number().int().min(1).max(50)).optional(),
    batch_size: auto(z.number().int().min(1).max(256)).optional(),
    learning_rate_multiplier: auto(z.number().positive().max(100)).optional(),
  })
  .strict()
  .openapi("FineTuningHyperparameters");

export const LoraOptions = z
  .object({
    r: z.number().int().min(1).max(256),
    alpha: z.number().positive().max(4096),
    dropout: z.number().min(0).lt(1),
    target_modules: z.array(z.enum(PROJECTIONS)).min(1),
    use_rslora: z.boolean(),
  })
  .partial()
  .strict()
  .openapi("LoraOptions");

export const GradesOptions = z
  .object({
    enabled: z.boolean(),
    tau: z.number().min(0),
    alpha: z.number().min(0).max(1),
    metric: z.enum(["grad_change", "weight_change"]),
    normalize: z.enum(["sum", "mean"]),
    relative_tau: z.number().positive().nullable(),
    interval: z.number().int().min(1).max(10_000),
    max_frozen_ratio: z.number().gt(0).max(1),
  })
  .partial()
  .strict()
  .openapi("GradesOptions");

export const EarlyStoppingOptions = z
  .object({
    patience: z.number().int().min(1).max(1000),
    eval_interval: z.number().int().min(1).max(100_000),
    min_delta: z.number().min(0),
  })
  .partial()
  .strict()
  .openapi("EarlyStoppingOptions");

export const CreateJobBody = z
  .object({
    model: z.string().min(1),
    training_file: z.string().min(1),
    validation_file: z.string().min(1).nullish(),
    suffix: z
      .string()
      .min(1)
      .max(64)
      .regex(/^[A-Za-z0-9_.-]+$/, "may only contain letters, digits, '_', '-' and '.'")
      .nullish(),
    seed: z.number().int().min(0).max(2_147_483_647).nullish(),
    metadata: z
      .record(z.string().min(1).max(64), z.string().max(512))
      .refine((m) => Object.keys(m).length <= 16, "at most 16 keys")
      .nullish(),
    /** Deprecated by OpenAI in favour of method.supervised.hyperparameters; still accepted. */
    hyperparameters: Hyperparameters.optional(),
    method: z
      .object({
        type: z.literal("supervised"),
        supervised: z.object({ hyperparameters: Hyperparameters.optional() }).strict().optional(),
      })
      .strict()
      .optional(),
    integrations: z.array(z.unknown()).max(0, "integrations are not supported").nullish(),
    training_type: z.enum(["lora", "full"]).optional(),
    lora: LoraOptions.optional(),
    grades: GradesOptions.optional(),
    early_stopping: EarlyStoppingOptions.nullish(),
    learning_rate: z.number().positive().max(1).optional(),
    max_seq_len: z.number().int().min(2).max(32_768).optional(),
    max_steps: z.number().int().min(1).max(1_000_000).optional(),
    /** Steps between checkpoints (a checkpoint is also written when the job is paused or its worker stops). */
    checkpoint_every: z.number().int().min(1).max(1_000_000).optional(),
  })
  .strict()
  .openapi("CreateFineTuningJobRequest");

export type CreateJobBody = z.infer<typeof CreateJobBody>;
