// The one schema of training options: its defaults are the product's, the CLI and a job resolve the same
// options to the same spec, and a bad value is named by its snake_case path wherever it is found.
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { resolveJobConfig } from "../../../../api/routes/fine-tuning/config.ts";
import { specFromFlags } from "../../../../worker/engine/cli/train-commands.ts";
import {
  checkTrainSpec,
  modelTrainingDefaults,
  parseTrainOptions,
  resolveTrainOptions,
  TrainSpecError,
} from "../../../../worker/engine/index.ts";
import { trainSpecFor } from "../../../../worker/train-spec.ts";
import { makeTempDir } from "../support/tmp-dir.ts";
import { baseSpec, writeCountingData } from "./support/fixtures.ts";

let root: string;
let cleanup: () => Promise<void>;
/** The model folder's config.json: a small Qwen3 that says what "auto" means for it. */
const modelConfig = {
  model_type: "qwen3",
  vocab_size: 64,
  hidden_size: 16,
  intermediate_size: 32,
  num_hidden_layers: 2,
  num_attention_heads: 2,
  num_key_value_heads: 1,
  head_dim: 8,
  grades_finetune: { learning_rate_multiplier: 4 },
};
beforeAll(async () => {
  ({ dir: root, cleanup } = await makeTempDir("grades-options-"));
  await writeCountingData(join(root, "train.jsonl"), 40, 10);
  await mkdir(join(root, "model"));
  await writeFile(join(root, "model", "config.json"), JSON.stringify(modelConfig));
});
afterAll(async () => cleanup());

const runFlags = (extra: Record<string, unknown> = {}) => ({
  model: join(root, "model"),
  train: join(root, "train.jsonl"),
  out: join(root, "out"),
  seed: 5,
  backend: "wasm" as const,
  grades: true,
  ...extra,
});
const paths = () => ({
  modelDir: join(root, "model"),
  trainFile: join(root, "train.jsonl"),
  outputDir: join(root, "out"),
  checkpointDir: "",
});

/** `f` must throw a TrainSpecError; its field. */
function fieldOf(f: () => unknown): string {
  try {
    f();
  } catch (err) {
    expect(err).toBeInstanceOf(TrainSpecError);
    return (err as TrainSpecError).field;
  }
  throw new Error("did not throw");
}

describe("training options", () => {
  it("default to the product's GradES, LoRA and schedule settings", () => {
    const o = resolveTrainOptions({}, 40);
    expect(o.grades).toEqual({
      enabled: true,
      tau: 1e-6,
      alpha: 0.5,
      metric: "grad_change",
      normalize: "mean",
      relative_tau: 0.5,
      relative_reference: "grace_end",
      smoothing: 0.9,
      interval: 1,
      max_frozen_ratio: 1,
      weight_average: null,
    });
    expect(o.lora).toMatchObject({ r: 8, alpha: 16, dropout: 0, use_rslora: false });
    expect(o.lora.target_modules).toHaveLength(7);
    expect(o).toMatchObject({
      hyperparameters: { n_epochs: 3, batch_size: 2, learning_rate_multiplier: 1 },
      learning_rate: 2e-4,
      warmup_ratio: 0.03,
      lr_scheduler: "cosine",
      weight_decay: 0,
      max_grad_norm: 1,
      gradient_accumulation_steps: 1,
      early_stopping: null,
      epoch_checkpoints: 3,
      activation_cache_mb: 256,
    });
    expect(resolveTrainOptions({ early_stopping: {} }, 40).early_stopping).toEqual({
      patience: 3,
      eval_interval: 10,
      min_delta: 0,
    });
  });

  it("give LoRA a grace period of half the steps and full fine-tuning 30 %, unless one is asked for", () => {
    expect(resolveTrainOptions({}, 40).grades.alpha).toBe(0.5);
    expect(resolveTrainOptions({ training_type: "full" }, 40).grades.alpha).toBe(0.3);
    expect(resolveTrainOptions({ training_type: "full", grades: { alpha: 0.1 } }, 40).grades.alpha).toBe(0.1);
    expect(resolveTrainOptions({ grades: { alpha: 0 } }, 40).grades.alpha).toBe(0);
  });

  it("resolve an auto learning-rate multiplier to the base model's own, and leave a given one or rate alone", () => {
    const model = modelTrainingDefaults(modelConfig);
    expect(model).toEqual({ learning_rate_multiplier: 4 });
    const lora = resolveTrainOptions({}, 40, model);
    expect(lora.hyperparameters.learning_rate_multiplier).toBe(4);
    expect(lora.learning_rate).toBeCloseTo(8e-4, 12);
    const full = resolveTrainOptions({ training_type: "full" }, 40, model);
    expect(full.learning_rate).toBeCloseTo(4e-5, 12);
    const auto = resolveTrainOptions({ hyperparameters: { learning_rate_multiplier: "auto" } }, 40, model);
    expect(auto.learning_rate).toBeCloseTo(8e-4, 12);
    const given = resolveTrainOptions({ hyperparameters: { learning_rate_multiplier: 2 } }, 40, model);
    expect(given.learning_rate).toBeCloseTo(4e-4, 12);
    expect(resolveTrainOptions({ learning_rate: 0.01 }, 40, model).learning_rate).toBe(0.01);
    // A model that says nothing: the base rates.
    expect(resolveTrainOptions({}, 40, modelTrainingDefaults({})).learning_rate).toBe(2e-4);
    expect(fieldOf(() => modelTrainingDefaults({ grades_finetune: { learning_rate_multiplier: -1 } }))).toBe(
      "grades_finetune.learning_rate_multiplier",
    );
    expect(fieldOf(() => modelTrainingDefaults({ grades_finetune: { learning_rate: 1 } }))).toBe(
      "grades_finetune.learning_rate",
    );
  });

  it("give `grades train` without flags and a job without options the same spec", async () => {
    const cli = await specFromFlags(runFlags());
    const job = trainSpecFor(
      resolveJobConfig({ model: "m", training_file: "f" }, 40, modelConfig),
      5,
      paths(),
      "wasm",
      "",
    );
    expect(cli).toEqual(job);
  });

  it("let a job set the schedule, weight decay, clipping, accumulation and the activation cache, as the CLI flags do", async () => {
    const options = {
      warmup_ratio: 0.2,
      lr_scheduler: "linear" as const,
      weight_decay: 0.05,
      max_grad_norm: 0.5,
      gradient_accumulation_steps: 3,
      activation_cache_mb: 64,
    };
    const spec = trainSpecFor(
      resolveJobConfig({ model: "m", training_file: "f", ...options }, 40, modelConfig),
      5,
      paths(),
      "wasm",
      "",
    );
    expect(spec).toMatchObject({
      warmupRatio: 0.2,
      lrScheduler: "linear",
      weightDecay: 0.05,
      maxGradNorm: 0.5,
      gradientAccumulationSteps: 3,
      activationCacheMb: 64,
    });
    const cli = await specFromFlags(
      runFlags({
        warmupRatio: 0.2,
        scheduler: "linear",
        weightDecay: 0.05,
        maxGradNorm: 0.5,
        gradAccum: 3,
        activationCacheMb: 64,
      }),
    );
    expect(cli).toEqual(spec);
  });

  it("name a bad value by its snake_case path, in a stored config and in a spec built by hand", () => {
    const config = resolveJobConfig({ model: "m", training_file: "f" }, 40);
    const bad = { ...config, hyperparameters: { ...config.hyperparameters, n_epochs: 0 } };
    expect(fieldOf(() => trainSpecFor(bad, 1, paths(), "wasm", ""))).toBe("hyperparameters.n_epochs");
    expect(fieldOf(() => checkTrainSpec(baseSpec(root, { nEpochs: 0 })))).toBe("hyperparameters.n_epochs");
    expect(fieldOf(() => checkTrainSpec(baseSpec(root, { warmupRatio: 2 })))).toBe("warmup_ratio");
    expect(fieldOf(() => checkTrainSpec(baseSpec(root, { activationCacheMb: -1 })))).toBe(
      "activation_cache_mb",
    );
    const relative = baseSpec(root);
    relative.grades = { ...relative.grades, enabled: true, relativeTau: -1 };
    expect(fieldOf(() => checkTrainSpec(relative))).toBe("grades.relative_tau");
    expect(
      fieldOf(() =>
        checkTrainSpec(baseSpec(root, { earlyStopping: { patience: 1, evalInterval: 1, minDelta: 0 } })),
      ),
    ).toBe("early_stopping");
  });

  it("read a configuration stored before an option existed with that option's default", () => {
    const {
      epoch_checkpoints: _e,
      warmup_ratio: _w,
      ...old
    } = resolveJobConfig({ model: "m", training_file: "f" }, 40);
    expect(parseTrainOptions(old)).toMatchObject({ epoch_checkpoints: 3, warmup_ratio: 0.03 });
  });
});
