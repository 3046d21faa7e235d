// From a create request to the engine's TrainSpec: "auto" resolved from the dataset size, defaults filled in,
// and the result accepted by the engine's own spec check.
import { describe, expect, it } from "vitest";
import { resolveJobConfig } from "../../api/routes/fine-tuning/config.ts";
import { checkTrainSpec, resolveAuto } from "../../worker/engine/index.ts";
import { trainSpecFor } from "../../worker/train-spec.ts";

const paths = { modelDir: "/m", trainFile: "/t.jsonl", outputDir: "/o", checkpointDir: "/c" };

describe("job configuration", () => {
  it('resolves "auto" from the number of training examples', () => {
    expect(resolveAuto(undefined, 5)).toEqual({ n_epochs: 10, batch_size: 1, learning_rate_multiplier: 1 });
    expect(resolveAuto({ n_epochs: "auto" }, 100)).toEqual({
      n_epochs: 3,
      batch_size: 2,
      learning_rate_multiplier: 1,
    });
    expect(resolveAuto({ batch_size: "auto", learning_rate_multiplier: 2 }, 5000)).toEqual({
      n_epochs: 3,
      batch_size: 8,
      learning_rate_multiplier: 2,
    });
    expect(resolveAuto({ n_epochs: 7, batch_size: 3 }, 20_000)).toEqual({
      n_epochs: 7,
      batch_size: 3,
      learning_rate_multiplier: 1,
    });
  });

  it("scales the base learning rate of the training type by the multiplier unless one is given", () => {
    const lora = resolveJobConfig(
      { model: "m", training_file: "f", hyperparameters: { learning_rate_multiplier: 0.5 } },
      10,
    );
    expect(lora.learning_rate).toBeCloseTo(1e-4);
    const full = resolveJobConfig({ model: "m", training_file: "f", training_type: "full" }, 10);
    expect(full.learning_rate).toBeCloseTo(1e-5);
    const given = resolveJobConfig({ model: "m", training_file: "f", learning_rate: 0.003 }, 10);
    expect(given.learning_rate).toBe(0.003);
  });

  it("uses a given GradES tau as the threshold unless relative_tau is given too", () => {
    const absolute = resolveJobConfig({ model: "m", training_file: "f", grades: { tau: 0.002 } }, 10);
    expect(absolute.grades).toMatchObject({ tau: 0.002, relative_tau: null });
    expect(trainSpecFor(absolute, 1, paths, "cpu", "m").grades).not.toHaveProperty("relativeTau");
    const both = resolveJobConfig(
      { model: "m", training_file: "f", grades: { tau: 0.002, relative_tau: 0.1 } },
      10,
    );
    expect(both.grades).toMatchObject({ tau: 0.002, relative_tau: 0.1 });
    const neither = resolveJobConfig({ model: "m", training_file: "f", grades: { alpha: 0.5 } }, 10);
    expect(neither.grades.relative_tau).toBe(0.5);
  });

  it("maps the defaults onto a TrainSpec the engine accepts", () => {
    const config = resolveJobConfig({ model: "m", training_file: "f" }, 40);
    const spec = trainSpecFor(config, 11, paths, "cpu", "demo-tiny");
    expect(() => checkTrainSpec(spec)).not.toThrow();
    expect(spec).toMatchObject({
      trainingType: "lora",
      batchSize: 2,
      nEpochs: 3,
      seed: 11,
      checkpointDir: "/c",
      checkpointEvery: 50,
      grades: {
        enabled: true,
        metric: "grad_change",
        normalize: "mean",
        relativeTau: 0.5,
        smoothing: 0.9,
        maxFrozenRatio: 1,
      },
      lora: {
        r: 8,
        alpha: 16,
        targetModules: ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"],
      },
    });
    expect(spec.maxSteps).toBeUndefined();
    expect(spec.earlyStopping).toBeUndefined();
  });

  it("carries every extension through: LoRA, GradES, early stopping, limits, resume", () => {
    const config = resolveJobConfig(
      {
        model: "m",
        training_file: "f",
        validation_file: "v",
        lora: { r: 4, alpha: 8, dropout: 0.1, target_modules: ["q_proj", "v_proj"], use_rslora: true },
        grades: {
          tau: 0.01,
          alpha: 0.2,
          metric: "weight_change",
          normalize: "sum",
          relative_tau: null,
          interval: 2,
        },
        early_stopping: { patience: 2 },
        max_seq_len: 128,
        max_steps: 9,
        checkpoint_every: 3,
      },
      40,
    );
    const spec = trainSpecFor(
      config,
      1,
      { ...paths, validationFile: "/v.jsonl", resumeFrom: "/c/step-3" },
      "wasm",
      "b",
    );
    expect(() => checkTrainSpec(spec)).not.toThrow();
    expect(spec).toMatchObject({
      validationFile: "/v.jsonl",
      resumeFrom: "/c/step-3",
      maxSeqLen: 128,
      maxSteps: 9,
      checkpointEvery: 3,
      lora: { r: 4, alpha: 8, dropout: 0.1, targetModules: ["q_proj", "v_proj"], useRslora: true },
      grades: { tau: 0.01, alpha: 0.2, metric: "weight_change", normalize: "sum", interval: 2 },
      earlyStopping: { patience: 2, evalInterval: 10, minDelta: 0 },
    });
    expect(spec.grades.relativeTau).toBeUndefined();
  });
});
