// The engine's training options: one schema with every option's type, bounds, description and default. The
// HTTP API's request fields, a job's stored configuration and the `grades train` flags are all derived from it.
// Names are the API's (snake_case, OpenAI's grouping of `hyperparameters`), so a bad value is reported by the
// path a user of the API wrote, wherever it is found.
import { z } from "zod";
import { PROJECTIONS } from "../model/types.ts";
import { TrainSpecError } from "./spec-error.ts";

const int = (lo: number, hi: number) => z.number().int().min(lo).max(hi);

/** OpenAI's hyperparameters; each may also be "auto" (see resolveAuto). */
export const hyperparameterFields = {
  n_epochs: int(1, 50).describe("passes over the training data"),
  batch_size: int(1, 256).describe("examples per batch"),
  learning_rate_multiplier: z
    .number()
    .positive()
    .max(100)
    .describe("scales the training type's base learning rate (unless learning_rate is given)"),
};

export const loraFields = {
  r: int(1, 256).describe("LoRA rank"),
  alpha: z.number().positive().max(4096).describe("LoRA alpha (scaling alpha / r)"),
  dropout: z.number().min(0).lt(1).describe("dropout on the LoRA input"),
  target_modules: z
    .array(z.enum(PROJECTIONS))
    .min(1)
    .describe("the projections LoRA wraps and GradES tracks"),
  use_rslora: z.boolean().describe("rank-stabilised LoRA: scaling alpha / sqrt(r)"),
};

export const gradesFields = {
  enabled: z.boolean().describe("GradES early stopping per weight matrix"),
  tau: z.number().min(0).describe("freeze threshold on G (after normalisation)"),
  alpha: z.number().min(0).max(1).describe("grace period as a fraction of total steps"),
  metric: z
    .enum(["grad_change", "weight_change", "grad_snr"])
    .describe(
      "what G measures: the gradient's change (the paper's), the weight's, or the share of the gradient that keeps one direction (sum m² / sum s of its moving averages)",
    ),
  normalize: z.enum(["sum", "mean"]).describe("sum: plain L1; mean: L1 per element"),
  relative_tau: z
    .number()
    .positive()
    .nullable()
    .describe("freeze below this fraction of the matrix's reference G (replaces tau)"),
  relative_reference: z
    .enum(["grace_end", "peak"])
    .describe("relative_tau's reference: G at the end of the grace period, or the largest G so far"),
  smoothing: z
    .number()
    .min(0)
    .lt(1)
    .nullable()
    .describe("freeze on a moving average of G, S = s * S + (1 - s) * G, instead of each step's G"),
  interval: int(1, 10_000).describe("measure G every n steps"),
  max_frozen_ratio: z.number().gt(0).max(1).describe("stop when this fraction of matrices is frozen"),
  weight_average: z
    .number()
    .min(0)
    .lt(1)
    .nullable()
    .describe(
      "a run GradES stops writes a moving average of its weights, A = a * A + (1 - a) * W after each step, started about 1 / (1 - a) steps before the end of the grace period, instead of its last step's",
    ),
};

export const earlyStoppingFields = {
  patience: int(1, 1000).describe("evaluations without improvement before training stops"),
  eval_interval: int(1, 100_000).describe("steps between validation-loss evaluations"),
  min_delta: z.number().min(0).describe("minimum validation-loss improvement"),
};

export const topLevelFields = {
  training_type: z.enum(["lora", "full"]).describe("LoRA adapters, or full fine-tuning of every weight"),
  learning_rate: z.number().positive().max(1).describe("peak learning rate"),
  warmup_ratio: z.number().min(0).max(1).describe("warmup steps as a fraction of total steps"),
  lr_scheduler: z.enum(["cosine", "linear", "constant"]).describe("learning-rate decay after warmup"),
  weight_decay: z.number().min(0).max(10).describe("AdamW weight decay"),
  max_grad_norm: z.number().min(0).describe("clip gradients to this global norm (0: no clipping)"),
  gradient_accumulation_steps: int(1, 1024).describe("batches summed into one optimizer step"),
  max_seq_len: int(2, 32_768).describe("truncate examples to this many tokens"),
  packing: z
    .boolean()
    .describe('join {"text"} examples with EOS into full blocks of max_seq_len tokens, no padding'),
  max_steps: int(1, 1_000_000).nullable().describe("cap on optimizer steps"),
  checkpoint_every: int(1, 1_000_000).describe("steps between checkpoints"),
  epoch_checkpoints: int(0, 50).describe("also checkpoint at the end of each of the last n epochs"),
  activation_cache_mb: z
    .number()
    .min(0)
    .max(1 << 20)
    .describe(
      "MiB for caching each example's output of the entirely frozen lowest layers (bfloat16), so later epochs skip their forward pass; LoRA without dropout only; 0: off",
    ),
};

/** A complete, resolved set of options: what a job stores and what the engine trains with. */
export const TrainOptions = z
  .object({
    ...topLevelFields,
    hyperparameters: z.object(hyperparameterFields).strict(),
    lora: z.object(loraFields).strict(),
    grades: z.object(gradesFields).strict(),
    early_stopping: z.object(earlyStoppingFields).strict().nullable(),
  })
  .strict();
export type TrainOptions = z.infer<typeof TrainOptions>;

const auto = <T extends z.ZodType>(schema: T) => z.union([z.literal("auto"), schema]);

export const HyperparametersInput = z
  .object({
    n_epochs: auto(hyperparameterFields.n_epochs),
    batch_size: auto(hyperparameterFields.batch_size),
    learning_rate_multiplier: auto(hyperparameterFields.learning_rate_multiplier),
  })
  .partial()
  .strict();
export const LoraInput = z.object(loraFields).partial().strict();
export const GradesInput = z.object(gradesFields).partial().strict();
export const EarlyStoppingInput = z.object(earlyStoppingFields).partial().strict();
/** The top-level options, each optional. */
export const topLevelInputFields = z.object(topLevelFields).partial().shape;

/** Options as a user gives them: any subset, "auto" allowed for the hyperparameters. */
export const TrainOptionsInput = z
  .object({
    ...topLevelInputFields,
    hyperparameters: HyperparametersInput.optional(),
    lora: LoraInput.optional(),
    grades: GradesInput.optional(),
    early_stopping: EarlyStoppingInput.nullish(),
  })
  .strict();
export type TrainOptionsInput = z.infer<typeof TrainOptionsInput>;

/**
 * What a base model may say about its own fine-tuning, in its config.json under `grades_finetune`: the
 * learning_rate_multiplier that "auto" means for it. The base rates below suit models of hundreds of millions of
 * parameters and up; a small model learns at them too slowly to show anything in a few epochs (the built-in
 * model carries 10, docs/grades.md).
 */
export const ModelTrainingDefaults = z
  .object({ learning_rate_multiplier: hyperparameterFields.learning_rate_multiplier.optional() })
  .strict();
export type ModelTrainingDefaults = z.infer<typeof ModelTrainingDefaults>;

/** The key of config.json that holds a model's ModelTrainingDefaults. */
export const MODEL_DEFAULTS_KEY = "grades_finetune";

/**
 * A model's training defaults from its config.json object (empty when it has none). Throws TrainSpecError naming
 * the field when they do not validate (a registered model's were checked when it was registered).
 */
export function modelTrainingDefaults(config: Record<string, unknown>): ModelTrainingDefaults {
  const raw = config[MODEL_DEFAULTS_KEY];
  if (raw === undefined || raw === null) return {};
  const parsed = ModelTrainingDefaults.safeParse(raw);
  if (parsed.success) return parsed.data;
  const e = specError(parsed.error);
  const field = e.field === "(options)" ? MODEL_DEFAULTS_KEY : `${MODEL_DEFAULTS_KEY}.${e.field}`;
  throw new TrainSpecError(field, e.problem);
}

/** Base learning rates that the multiplier scales: LoRA tolerates far larger steps than full fine-tuning. */
export const BASE_LEARNING_RATE = { lora: 2e-4, full: 1e-5 } as const;

/**
 * The defaults. GradES: per-element normalisation with a relative threshold, so the default does not depend on
 * matrix or model size, tested on a moving average of G (smoothing 0.9, about ten measurements) against half of
 * G at the end of the grace period. A single minibatch's G is mostly noise (±50 %): tested directly, a threshold
 * low enough not to freeze on a lucky draw (0.05) froze the upper layers early and the lowest ones never, so
 * runs did not stop; the average, at 0.5, stopped every brown run of docs/grades.md's first 10-epoch series at
 * 32-47 % of the budget with the full budget's accuracy (LoRA and full fine-tuning), and on the shipped model
 * all 18 runs of its three tasks. LoRA dropout 0, as PEFT's default: dropout's random masks change the gradient
 * from step to step by themselves, which G would measure as noise and which delays freezing. Validation loss
 * every 10 steps: jobs here are often tens of steps long, and with a longer interval early stopping would never
 * act. No weight average: at the defaults' stops, after the training set is memorised, it moved the accuracy by
 * less than a point, up on two tasks and down on every seed of the third; it pays with a shorter grace period
 * (docs/grades.md).
 */
type TrainDefaults = Omit<TrainOptions, "hyperparameters" | "learning_rate" | "early_stopping" | "grades"> & {
  early_stopping: NonNullable<TrainOptions["early_stopping"]>;
  /** Without alpha, which depends on the training type (GRACE_ALPHA). */
  grades: Omit<TrainOptions["grades"], "alpha">;
};

/**
 * GradES's grace period by training type, as a fraction of the steps (docs/grades.md, 10 epochs). LoRA 0.5: on
 * the shipped model every LoRA run stopped within a point of the full budget's accuracy on all three tasks
 * (1.3-1.8x faster); 0.3 was hardly faster where LoRA's pairs settle late anyway (spam), lost 1.4 points on
 * brown and stopped nothing on sentiment; on the first, less pretrained model a LoRA run froze at 0.3 on a loss
 * plateau and lost 15 points. Full fine-tuning 0.3: 2.3-2.8x faster on all three tasks, within a point on two
 * and 1.3 points below on spam, where 0.5 kept the accuracy (0.5 below) at 1.5x.
 */
export const GRACE_ALPHA = { lora: 0.5, full: 0.3 } as const;

export const TRAIN_DEFAULTS: TrainDefaults = {
  training_type: "lora",
  warmup_ratio: 0.03,
  lr_scheduler: "cosine",
  weight_decay: 0,
  max_grad_norm: 1,
  gradient_accumulation_steps: 1,
  max_seq_len: 512,
  packing: false,
  max_steps: null,
  checkpoint_every: 50,
  epoch_checkpoints: 3,
  activation_cache_mb: 256,
  lora: { r: 8, alpha: 16, dropout: 0, target_modules: [...PROJECTIONS], use_rslora: false },
  grades: {
    enabled: true,
    tau: 1e-6,
    metric: "grad_change",
    normalize: "mean",
    relative_tau: 0.5,
    relative_reference: "grace_end",
    smoothing: 0.9,
    interval: 1,
    max_frozen_ratio: 1,
    weight_average: null,
  },
  /** Used when early stopping is asked for; it is off by default (it needs a validation file). */
  early_stopping: { patience: 3, eval_interval: 10, min_delta: 0 },
};

export type ResolvedHyperparameters = TrainOptions["hyperparameters"];

/**
 * "auto" hyperparameters from the dataset size (examples in the training file) and the base model, in OpenAI's
 * spirit: a few epochs, larger batches only for larger datasets, the model's own multiplier (else 1).
 */
export function resolveAuto(
  hp: TrainOptionsInput["hyperparameters"] | undefined,
  examples: number | null,
  model: ModelTrainingDefaults = {},
): ResolvedHyperparameters {
  const n = examples ?? 0;
  const given = <T>(v: T | "auto" | undefined, fallback: T): T =>
    v === undefined || v === "auto" ? fallback : v;
  return {
    n_epochs: given(hp?.n_epochs, n > 0 && n < 10 ? 10 : n >= 10_000 ? 1 : 3),
    batch_size: given(hp?.batch_size, n >= 2048 ? 8 : n >= 256 ? 4 : n >= 32 ? 2 : 1),
    learning_rate_multiplier: given(hp?.learning_rate_multiplier, model.learning_rate_multiplier ?? 1),
  };
}

/** The first problem of a failed parse as a TrainSpecError naming the option's path. */
function specError(err: z.ZodError): TrainSpecError {
  const issue = err.issues[0]!;
  const path = issue.path.map(String);
  if (issue.code === "unrecognized_keys") path.push(String(issue.keys[0]));
  return new TrainSpecError(path.join(".") || "(options)", issue.message);
}

/** Checks complete options against the schema; throws TrainSpecError naming the first bad one. */
export function checkTrainOptions(options: unknown): TrainOptions {
  const parsed = TrainOptions.safeParse(options);
  if (!parsed.success) throw specError(parsed.error);
  return parsed.data;
}

const defined = <T extends object>(o: T): Partial<T> =>
  Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;

/** Fills every default in and resolves "auto" (for the base model's defaults, if given); the result is checked. */
export function resolveTrainOptions(
  input: TrainOptionsInput,
  examples: number | null,
  model: ModelTrainingDefaults = {},
): TrainOptions {
  const { hyperparameters: hpIn, lora, grades, early_stopping, ...top } = input;
  const hyperparameters = resolveAuto(hpIn, examples, model);
  const trainingType = top.training_type ?? TRAIN_DEFAULTS.training_type;
  // A `tau` given without `relative_tau` is the threshold the user wants: the default relative threshold would
  // replace it (the engine ignores tau when relative_tau is set) and silently make the setting do nothing.
  const absolute = grades?.tau !== undefined && grades.relative_tau === undefined;
  return checkTrainOptions({
    ...TRAIN_DEFAULTS,
    learning_rate: BASE_LEARNING_RATE[trainingType] * hyperparameters.learning_rate_multiplier,
    ...defined(top),
    hyperparameters,
    lora: { ...TRAIN_DEFAULTS.lora, ...defined(lora ?? {}) },
    grades: {
      ...TRAIN_DEFAULTS.grades,
      alpha: GRACE_ALPHA[trainingType],
      ...(absolute ? { relative_tau: null } : {}),
      ...defined(grades ?? {}),
    },
    early_stopping: early_stopping ? { ...TRAIN_DEFAULTS.early_stopping, ...defined(early_stopping) } : null,
  });
}

/** Reads options from outside (a stored job configuration, possibly written before an option existed). */
export function parseTrainOptions(raw: unknown, examples: number | null = null): TrainOptions {
  const parsed = TrainOptionsInput.safeParse(raw);
  if (!parsed.success) throw specError(parsed.error);
  return resolveTrainOptions(parsed.data, examples);
}

const SECTIONS = {
  hyperparameters: hyperparameterFields,
  lora: loraFields,
  grades: gradesFields,
  early_stopping: earlyStoppingFields,
} as const;

/** Every option's path (`lora.r`, `warmup_ratio`). */
export type OptionPath =
  | keyof typeof topLevelFields
  | { [S in keyof typeof SECTIONS]: `${S}.${keyof (typeof SECTIONS)[S] & string}` }[keyof typeof SECTIONS];

export interface OptionField {
  /** What a value given for the option must satisfy ("auto" is also allowed for the hyperparameters). */
  schema: z.ZodType;
  description: string;
  /**
   * The default ("auto" for the hyperparameters; for the options whose default depends on the training type,
   * its value by type, see BY_TRAINING_TYPE).
   */
  default: unknown;
}

/** The options whose default depends on the training type, and their defaults by type. */
const BY_TRAINING_TYPE: Partial<Record<OptionPath, { lora: number; full: number }>> = {
  learning_rate: BASE_LEARNING_RATE,
  "grades.alpha": GRACE_ALPHA,
};

/** One option's schema, description and default, by its path. */
export function optionField(path: OptionPath): OptionField {
  const [head, leaf] = path.split(".") as [string, string | undefined];
  const byType = BY_TRAINING_TYPE[path];
  if (leaf === undefined) {
    const schema = topLevelFields[head as keyof typeof topLevelFields];
    const fallback = byType ?? TRAIN_DEFAULTS[head as keyof TrainDefaults];
    return { schema, description: schema.description ?? path, default: fallback };
  }
  const field = (SECTIONS[head as keyof typeof SECTIONS] as Record<string, z.ZodType>)[leaf]!;
  const description = field.description ?? path;
  if (head === "hyperparameters") return { schema: auto(field), description, default: "auto" };
  if (byType) return { schema: field, description, default: byType };
  const defaults = TRAIN_DEFAULTS[head as "lora" | "grades" | "early_stopping"] as Record<string, unknown>;
  return { schema: field, description, default: defaults[leaf] };
}
