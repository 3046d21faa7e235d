// The `grades train` flags of the training options: each flag names an option of the engine's schema
// (train/options.ts), which gives its description, bounds and default; flags that are not given are left to
// the schema's defaults, exactly as a job's missing request fields are.
import { InvalidArgumentError, Option } from "commander";
import type { z } from "zod";
import { type OptionField, type OptionPath, optionField, type TrainOptionsInput } from "../train/options.ts";

interface Flag {
  flags: string;
  path: OptionPath;
  /** The value a switch without an argument sets. */
  set?: unknown;
  /** A switch's help, when the option's own description does not fit it. */
  help?: string;
  /** Turns the text into the option's value before the schema checks it (default: a number). */
  read?: (raw: string) => unknown;
}

const list = (raw: string) =>
  raw
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean);
const text = (raw: string) => raw;
/** A number, or "auto" for the hyperparameters. */
const numberOrAuto = (raw: string) => (raw === "auto" ? raw : raw.trim() === "" ? Number.NaN : Number(raw));
/** A number, or "none" for an option that may be switched off (null). */
const numberOrNone = (raw: string) => (raw === "none" ? null : numberOrAuto(raw));

export const TRAIN_FLAGS: Flag[] = [
  {
    flags: "--full",
    path: "training_type",
    set: "full",
    help: "full fine-tuning of every weight instead of LoRA",
  },
  { flags: "--lora-r <n>", path: "lora.r" },
  { flags: "--lora-alpha <x>", path: "lora.alpha" },
  { flags: "--lora-dropout <p>", path: "lora.dropout" },
  { flags: "--lora-targets <list>", path: "lora.target_modules", read: list },
  { flags: "--rslora", path: "lora.use_rslora", set: true },
  {
    flags: "--no-grades",
    path: "grades.enabled",
    set: false,
    help: "disable GradES (train for the full budget)",
  },
  { flags: "--grades-tau <x>", path: "grades.tau" },
  { flags: "--grades-alpha <f>", path: "grades.alpha" },
  { flags: "--grades-metric <m>", path: "grades.metric", read: text },
  { flags: "--grades-normalize <n>", path: "grades.normalize", read: text },
  {
    flags: "--grades-relative-tau <f>",
    path: "grades.relative_tau",
    read: numberOrNone,
  },
  { flags: "--grades-relative-reference <r>", path: "grades.relative_reference", read: text },
  {
    flags: "--grades-smoothing <s>",
    path: "grades.smoothing",
    read: numberOrNone,
  },
  { flags: "--grades-interval <n>", path: "grades.interval" },
  { flags: "--grades-max-frozen-ratio <f>", path: "grades.max_frozen_ratio" },
  {
    flags: "--grades-weight-average <a>",
    path: "grades.weight_average",
    read: numberOrNone,
  },
  { flags: "--early-stopping-patience <n>", path: "early_stopping.patience" },
  { flags: "--eval-interval <n>", path: "early_stopping.eval_interval" },
  { flags: "--min-delta <x>", path: "early_stopping.min_delta" },
  { flags: "--epochs <n>", path: "hyperparameters.n_epochs" },
  { flags: "--batch-size <n>", path: "hyperparameters.batch_size" },
  { flags: "--lr-multiplier <x>", path: "hyperparameters.learning_rate_multiplier" },
  { flags: "--lr <x>", path: "learning_rate" },
  { flags: "--grad-accum <n>", path: "gradient_accumulation_steps" },
  { flags: "--weight-decay <x>", path: "weight_decay" },
  { flags: "--warmup-ratio <f>", path: "warmup_ratio" },
  { flags: "--scheduler <s>", path: "lr_scheduler", read: text },
  { flags: "--max-grad-norm <x>", path: "max_grad_norm" },
  { flags: "--max-steps <n>", path: "max_steps" },
  { flags: "--seq-len <n>", path: "max_seq_len" },
  { flags: "--packing", path: "packing", set: true },
  { flags: "--checkpoint-every <n>", path: "checkpoint_every" },
  { flags: "--epoch-checkpoints <n>", path: "epoch_checkpoints" },
  { flags: "--activation-cache-mb <n>", path: "activation_cache_mb" },
];

function describeDefault(path: OptionPath, value: unknown): string {
  if (value !== null && typeof value === "object" && "lora" in value && "full" in value) {
    // Learning rates read as 2e-4, not 0.0002.
    const num = (n: unknown) =>
      typeof n === "number" && n !== 0 && Math.abs(n) < 1e-3 ? n.toExponential() : String(n);
    const byType = `LoRA ${num(value.lora)}, full ${num(value.full)}`;
    return path === "learning_rate" ? `${byType}, times --lr-multiplier` : byType;
  }
  if (path === "hyperparameters.n_epochs" || path === "hyperparameters.batch_size")
    return "auto, from the dataset size";
  if (Array.isArray(value)) return value.join(",");
  return value === null ? "none" : String(value);
}

/** A flag's help: the option's description, its choices when it has a fixed set, and its default. */
function helpOf(flag: Flag, field: OptionField): string {
  if (flag.help) return flag.help;
  const choices = (field.schema as { options?: unknown[] }).options;
  const oneOf =
    Array.isArray(choices) && choices.every((c) => typeof c === "string") ? `: ${choices.join(", ")}` : "";
  return `${field.description}${oneOf} (default: ${describeDefault(flag.path, field.default)})`;
}

/** What is wrong with a flag's value (for a list, with the element at fault). */
function problem(value: unknown, issue: z.core.$ZodIssue): string {
  const bad = Array.isArray(value) && typeof issue.path[0] === "number" ? value[issue.path[0]] : value;
  if (issue.code === "invalid_value")
    return `${JSON.stringify(bad)} is not one of ${issue.values.join(", ")}`;
  return `${JSON.stringify(bad)}: ${issue.message}`;
}

/** The commander option of a flag; its value is checked by the option's schema as it is parsed. */
function toOption(flag: Flag): Option {
  const field = optionField(flag.path);
  const option = new Option(flag.flags, helpOf(flag, field));
  if (flag.set !== undefined) return option;
  const name = flag.flags.split(" ")[0];
  const read = flag.read ?? numberOrAuto;
  return option.argParser((raw: string) => {
    const value = read(raw);
    const parsed = field.schema.safeParse(value);
    if (!parsed.success)
      throw new InvalidArgumentError(`${name}: ${problem(value, parsed.error.issues[0]!)}`);
    return parsed.data;
  });
}

export const trainFlagOptions = (): Option[] => TRAIN_FLAGS.map(toOption);

/** The options the given flags set, nested as the schema names them; flags not given are left out. */
export function optionsFromFlags(values: Record<string, unknown>): TrainOptionsInput {
  const out: Record<string, Record<string, unknown> | unknown> = {};
  for (const flag of TRAIN_FLAGS) {
    const option = new Option(flag.flags);
    let value = values[option.attributeName()];
    if (flag.set !== undefined) {
      // Commander keeps a switch's presence as true (false for a --no-x switch): given, it sets its value.
      const given = option.negate ? value === false : value === true;
      value = given ? flag.set : undefined;
    }
    if (value === undefined) continue;
    const [head, leaf] = flag.path.split(".") as [string, string | undefined];
    if (leaf === undefined) out[head] = value;
    else out[head] = { ...((out[head] as Record<string, unknown>) ?? {}), [leaf]: value };
  }
  return out as TrainOptionsInput;
}
