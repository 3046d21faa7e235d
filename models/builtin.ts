// The built-in base model shipped in this folder (built by `npm run build:base-model`) and the older name that
// stays an alias of it.
import { fileURLToPath } from "node:url";

export const BUILTIN_MODEL_NAME = "tiny-english-2m";
/** The first built-in model's name: clients and docs that use it get the built-in model. */
export const BUILTIN_MODEL_ALIAS = "demo-tiny";
export const BUILTIN_MODEL_DIR = fileURLToPath(new URL(`./${BUILTIN_MODEL_NAME}/`, import.meta.url));

/**
 * What "auto" means when the built-in model is fine-tuned: its config.json's `grades_finetune` (written by the
 * build; read by worker/engine/train/options.ts). The product's base learning rates suit models of hundreds of
 * millions of parameters and up; at them this 2M-parameter model had not learnt after 360 steps of full
 * fine-tuning that a label is one of two words, and at 10x it learns all three tasks of the GradES benchmark
 * (docs/grades.md: the learning-rate probe, and the 10-epoch series).
 */
export const BUILTIN_MODEL_TRAINING_DEFAULTS = { learning_rate_multiplier: 10 };
