import { readdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import * as tf from "@tensorflow/tfjs-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { initBackend } from "../../../../worker/engine/backend.ts";
import { loadDataset } from "../../../../worker/engine/data/dataset.ts";
import { readSafetensors } from "../../../../worker/engine/io/safetensors.ts";
import { loadModel } from "../../../../worker/engine/model/loader.ts";
import { loadPeftAdapter } from "../../../../worker/engine/model/peft-adapter.ts";
import { score } from "../../../../worker/engine/train/score.ts";
import { train } from "../../../../worker/engine/train/train.ts";
import { Trainer } from "../../../../worker/engine/train/trainer.ts";
import type { TrainEvent, TrainSpec } from "../../../../worker/engine/train/types.ts";
import { productsRun } from "../support/products.ts";
import { makeTempDir } from "../support/tmp-dir.ts";
import { baseSpec, makeTinyModel, writeCountingData } from "./support/fixtures.ts";

let root: string;
let cleanup: () => Promise<void>;

beforeAll(async () => {
  ({ dir: root, cleanup } = await makeTempDir("grades-train-"));
  await initBackend("wasm", { threads: baseSpec(".").threads });
  await makeTinyModel(join(root, "model"));
  await writeCountingData(join(root, "train.jsonl"), 8, 12);
});

afterAll(async () => {
  await cleanup();
});

function spec(name: string, over: Partial<TrainSpec> = {}): TrainSpec {
  return baseSpec(root, { outputDir: join(root, name), ...over });
}

function grades(over: Partial<TrainSpec["grades"]>): TrainSpec["grades"] {
  return {
    enabled: true,
    tau: 0,
    alpha: 0,
    metric: "grad_change",
    normalize: "mean",
    interval: 1,
    maxFrozenRatio: 1,
    ...over,
  };
}

function collect(): { events: TrainEvent[]; onEvent: (e: TrainEvent) => void } {
  const events: TrainEvent[] = [];
  return { events, onEvent: (e) => void events.push(e) };
}

const stepLosses = (events: TrainEvent[]) =>
  events.flatMap((e) => (e.type === "step" ? [[e.step, e.trainLoss] as const] : []));

/** A Trainer on a freshly loaded model, for tests that look inside a run. */
async function openTrainer(s: TrainSpec) {
  const model = await loadModel(s.modelDir);
  const data = await loadDataset(s.trainFile, { maxSeqLen: s.maxSeqLen, vocabSize: model.config.vocab_size });
  const trainer = new Trainer({ spec: s, model, train: data, padId: 0, backend: "wasm" });
  return {
    model,
    trainer,
    close: () => {
      trainer.dispose();
      model.dispose();
    },
  };
}

describe("training a tiny model", () => {
  it("overfits a tiny dataset: the loss falls far", async () => {
    const { events, onEvent } = collect();
    const summary = await train(spec("overfit", { maxSteps: 60, batchSize: 8, learningRate: 3e-2 }), {
      onEvent,
    });
    const losses = stepLosses(events);
    expect(losses).toHaveLength(60);
    expect(losses[0]![1]).toBeGreaterThan(3);
    expect(summary.finalTrainLoss).toBeLessThan(0.3);
    expect(summary.stopReason).toBe("max_steps");
    expect(summary.backend).toMatch(
      /^wasm \(simd, \d+ threads?(, OpenBLAS matmuls)?\)( x \d+ data-parallel replicas)?$/,
    );
    const stop = events.at(-1);
    expect(stop).toEqual({ type: "stop", step: 60, reason: "max_steps" });
  });

  it("starts from the base model's loss (LoRA B = 0), which score() computes the same", async () => {
    const { events, onEvent } = collect();
    await train(spec("first-step", { maxSteps: 1, batchSize: 8 }), { onEvent });
    const base = await score({
      modelDir: join(root, "model"),
      dataFile: join(root, "train.jsonl"),
      backend: "wasm",
    });
    // One batch of all 8 rows: the first step's loss is the base model's loss over the whole file.
    expect(stepLosses(events)[0]![1]).toBeCloseTo(base.loss, 5);
    // Rows of 12, 11, 10, 12, 11, 10, 12, 11 tokens: each predicts all but its first.
    expect(base.tokens).toBe(89 - 8);
    expect(base.loss).toBeGreaterThan(3);
  });

  it("writes a PEFT adapter that loads back and reproduces the trained model's logits", async () => {
    const s = spec("peft", { maxSteps: 5, batchSize: 8 });
    const { model, trainer, close } = await openTrainer(s);
    for (let i = 0; i < 5; i++) await trainer.trainStep();
    const ids = tf.tensor2d([[1, 2, 3, 4, 5, 6]], [1, 6], "int32");
    const trained = model.forward(ids);
    await trainer.writeOutputs();
    close();

    const config = JSON.parse(await readFile(join(s.outputDir, "adapter_config.json"), "utf8"));
    expect(config).toMatchObject({
      peft_type: "LORA",
      task_type: "CAUSAL_LM",
      r: 4,
      lora_alpha: 8,
      lora_dropout: 0,
      bias: "none",
      use_rslora: false,
      base_model_name_or_path: "model",
      target_modules: ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"],
      // What PEFT's LoraConfig and vLLM check before they accept an adapter: plain LoRA, [out, in] weights
      // (fan_in_fan_out false), no extra trained modules, no DoRA, no LoRA bias, no per-layer patterns.
      fan_in_fan_out: false,
      init_lora_weights: true,
      inference_mode: true,
      modules_to_save: null,
      use_dora: false,
      lora_bias: false,
      layers_to_transform: null,
      rank_pattern: {},
      alpha_pattern: {},
    });
    const tensors = await readSafetensors(join(s.outputDir, "adapter_model.safetensors"));
    expect(tensors.size).toBe(2 * 7 * 2);
    expect(tensors.get("base_model.model.model.layers.1.self_attn.q_proj.lora_A.weight")!.shape).toEqual([
      4, 32,
    ]);
    expect(tensors.get("base_model.model.model.layers.1.self_attn.q_proj.lora_B.weight")!.shape).toEqual([
      32, 4,
    ]);
    expect(tensors.get("base_model.model.model.layers.0.self_attn.k_proj.lora_B.weight")!.shape).toEqual([
      16, 4,
    ]);
    expect(tensors.get("base_model.model.model.layers.0.mlp.down_proj.lora_A.weight")!.shape).toEqual([
      4, 64,
    ]);
    expect(tensors.get("base_model.model.model.layers.0.mlp.gate_proj.lora_B.weight")!.shape).toEqual([
      64, 4,
    ]);
    // B moved away from zero.
    expect(
      tensors.get("base_model.model.model.layers.0.mlp.gate_proj.lora_B.weight")!.data.some((x) => x !== 0),
    ).toBe(true);

    const reloaded = await loadModel(s.modelDir);
    await loadPeftAdapter(reloaded, s.outputDir);
    const again = reloaded.forward(ids);
    const base = await loadModel(s.modelDir);
    const baseLogits = base.forward(ids);
    expect(tf.max(tf.abs(tf.sub(again, trained))).dataSync()[0]).toBeLessThan(1e-5);
    expect(tf.max(tf.abs(tf.sub(baseLogits, trained))).dataSync()[0]).toBeGreaterThan(1e-3);
    tf.dispose([ids, trained, again, baseLogits]);
    reloaded.dispose();
    base.dispose();
  });

  it("keeps frozen matrices bit-identical, drops their optimizer state, and still updates the others", async () => {
    const s = spec("frozen", { maxSteps: 10, batchSize: 4, grades: grades({ tau: -1 }) });
    const { trainer, close } = await openTrainer(s);
    await trainer.trainStep();
    const [frozenA, frozenB, ...rest] = trainer.components;
    trainer.freezeNow(frozenA!.name);
    trainer.freezeNow(frozenB!.name);
    const snapshot = (c: typeof frozenA) => c!.variables.map((v) => Array.from(v.dataSync()));
    const before = [frozenA, frozenB, rest[0]].map(snapshot);
    for (let i = 0; i < 3; i++) await trainer.trainStep();
    expect(snapshot(frozenA)).toEqual(before[0]);
    expect(snapshot(frozenB)).toEqual(before[1]);
    expect(snapshot(rest[0])).not.toEqual(before[2]);
    expect(trainer.optimizer.has(`${frozenA!.name}.lora_A.weight`)).toBe(false);
    expect(trainer.optimizer.has(`${rest[0]!.name}.lora_B.weight`)).toBe(true);
    expect(trainer.optimizer.size).toBe(2 * (trainer.components.length - 2));
    close();
  });

  it("leaves a frozen component out of differentiation: its two weight-gradient products no longer run", async () => {
    const s = spec("no-weight-grad", { maxSteps: 10 });
    const { trainer, close } = await openTrainer(s);
    await trainer.trainStep();
    const matMulsPerStep = async () => {
      const info = await tf.profile(async () => {
        await trainer.trainStep();
        return [];
      });
      return productsRun(info.kernels);
    };
    const before = await matMulsPerStep();
    // A top-layer matrix: the gradient still flows through it to layer 0, so only dA and dB are saved.
    trainer.freezeNow("model.layers.1.mlp.up_proj");
    expect(before - (await matMulsPerStep())).toBe(2);
    close();
  });

  it("keeps the live tensor count flat across many steps with GradES measuring and accumulation", async () => {
    const s = spec("leak", {
      maxSteps: 40,
      batchSize: 2,
      gradientAccumulationSteps: 2,
      grades: grades({ tau: 0 }),
    });
    const { trainer, close } = await openTrainer(s);
    for (let i = 0; i < 3; i++) await trainer.trainStep();
    const before = tf.memory().numTensors;
    for (let i = 0; i < 20; i++) await trainer.trainStep();
    expect(tf.memory().numTensors).toBe(before);
    close();
  });
});

describe("GradES in a real run", () => {
  it("stops with reason all_frozen once every component is frozen, never on a first measurement", async () => {
    const { events, onEvent } = collect();
    const summary = await train(spec("all-frozen", { maxSteps: 30, grades: grades({ tau: 1e9 }) }), {
      onEvent,
    });
    // Step 1 has no previous gradient and step 2 is the first measurement: everything freezes at step 3.
    const freezes = events.filter((e) => e.type === "freeze");
    expect(freezes).toHaveLength(14);
    expect(new Set(freezes.map((e) => e.step))).toEqual(new Set([3]));
    expect(summary.stopReason).toBe("all_frozen");
    expect(summary.stepsCompleted).toBe(3);
    expect(summary.frozenFraction).toBe(1);
    expect(summary.components.every((c) => c.frozenAtStep === 3)).toBe(true);
    expect(summary.estimatedComputeSaved).toBeCloseTo(1 - 3 / 30, 10);
    expect(events.at(-1)).toEqual({ type: "stop", step: 3, reason: "all_frozen" });
    const saved = JSON.parse(await readFile(join(root, "all-frozen", "summary.json"), "utf8"));
    expect(saved.stopReason).toBe("all_frozen");
  });

  it("with weight_change measures W_t - W_(t-1) from step 1 and freezes no earlier than the second measurement", async () => {
    const { events, onEvent } = collect();
    const tensorsBefore = tf.memory().numTensors;
    const summary = await train(
      spec("weight-change", { maxSteps: 30, grades: grades({ tau: 1e9, metric: "weight_change" }) }),
      {
        onEvent,
      },
    );
    expect(new Set(events.filter((e) => e.type === "freeze").map((e) => e.step))).toEqual(new Set([2]));
    expect(summary.stopReason).toBe("all_frozen");
    expect(summary.stepsCompleted).toBe(2);
    expect(summary.components.every((c) => (c.lastMetric ?? 0) > 0)).toBe(true);
    // A finished run releases everything it allocated (the worker runs many jobs in one process).
    expect(tf.memory().numTensors).toBe(tensorsBefore);
  });

  it("with grad_snr measures each matrix's gradient signal in (0, 1], 1 at the first step, and releases its averages", async () => {
    const { events, onEvent } = collect();
    const tensorsBefore = tf.memory().numTensors;
    const summary = await train(
      spec("grad-snr", { maxSteps: 12, grades: grades({ tau: 0, metric: "grad_snr" }) }),
      { onEvent },
    );
    expect(summary.stepsCompleted).toBe(12);
    const first = summary.history[0]!;
    for (const g of Object.values(first.metrics)) expect(g).toBeCloseTo(1, 4);
    const last = summary.history.at(-1)!;
    const gs = Object.values(last.metrics) as number[];
    expect(gs.length).toBe(summary.components.length);
    for (const g of gs) {
      expect(g).toBeGreaterThan(0);
      expect(g).toBeLessThanOrEqual(1 + 1e-6);
    }
    // Real gradients change between steps, so the ratio falls below 1 somewhere.
    expect(Math.min(...gs)).toBeLessThan(0.99);
    expect(events.some((e) => e.type === "freeze")).toBe(false);
    expect(tf.memory().numTensors).toBe(tensorsBefore);
  });

  it("reads the device once per optimizer step: loss, gradient norm and every component's metric together", async () => {
    const s = spec("one-read", {
      maxSteps: 10,
      gradientAccumulationSteps: 2,
      batchSize: 2,
      grades: grades({}),
    });
    const { trainer, close } = await openTrainer(s);
    await trainer.trainStep();
    // Count reads where every tensor read goes through: the engine (Tensor.data and Tensor.dataSync).
    const engine = tf.engine() as unknown as Record<"read" | "readSync", (id: object) => unknown>;
    const read = engine.read.bind(engine);
    const readSync = engine.readSync.bind(engine);
    let reads = 0;
    engine.read = (id) => {
      reads++;
      return read(id);
    };
    engine.readSync = (id) => {
      reads++;
      return readSync(id);
    };
    try {
      for (let i = 0; i < 3; i++) await trainer.trainStep();
    } finally {
      // The spies are own properties shadowing the prototype's methods.
      Reflect.deleteProperty(engine, "read");
      Reflect.deleteProperty(engine, "readSync");
    }
    expect(reads).toBe(3);
    // tau 0 freezes nothing, so all 14 components were measured at each of those steps.
    expect(trainer.components.every((c) => trainer.grades.metricOf(c.name)! > 0)).toBe(true);
    expect(trainer.grades.frozenCount).toBe(0);
    close();
  });

  it("holds every component through the grace period floor(alpha * total_steps)", async () => {
    const { events, onEvent } = collect();
    const summary = await train(spec("grace", { maxSteps: 20, grades: grades({ tau: 1e9, alpha: 0.45 }) }), {
      onEvent,
    });
    const steps = events.filter((e) => e.type === "freeze").map((e) => e.step);
    expect(steps).toHaveLength(14);
    expect(Math.min(...steps)).toBe(9);
    expect(summary.stepsCompleted).toBe(9);
  });

  it("reports each measured component's G on step events, matching the freeze decisions", async () => {
    const { events, onEvent } = collect();
    await train(spec("live-metrics", { maxSteps: 8, grades: grades({ tau: 1e9, alpha: 0.5 }) }), { onEvent });
    const steps = events.flatMap((e) => (e.type === "step" ? [e] : []));
    // Step 1 has no previous gradient to compare with: nothing is measured there.
    expect(steps[0]!.metrics).toBeUndefined();
    expect(steps.every((e) => e.totalComponents === 14)).toBe(true);
    const second = steps[1]!.metrics!;
    expect(Object.keys(second)).toHaveLength(14);
    for (const g of Object.values(second)) expect(g).toBeGreaterThan(0);
    // Every freeze reports the same G as that step's event.
    const freezes = events.flatMap((e) => (e.type === "freeze" ? [e] : []));
    expect(freezes).toHaveLength(14);
    for (const f of freezes)
      expect(steps.find((e) => e.step === f.step)!.metrics![f.component]).toBe(f.metric);
  });

  it("stops at max_frozen_ratio with part of the components frozen", async () => {
    const summary = await train(
      spec("ratio", { maxSteps: 40, grades: grades({ alpha: 0.1, relativeTau: 0.6, maxFrozenRatio: 0.25 }) }),
    );
    expect(summary.stopReason).toBe("all_frozen");
    expect(summary.frozenFraction).toBeGreaterThanOrEqual(0.25);
    expect(summary.frozenFraction).toBeLessThan(1);
    // It stops at the first step where the ratio is reached (the step of the ceil(0.25 × 14) = 4th freeze),
    // well before the step budget.
    const frozenSteps = summary.components
      .flatMap((c) => (c.frozenAtStep === null ? [] : [c.frozenAtStep]))
      .sort((a, b) => a - b);
    expect(summary.stepsCompleted).toBe(frozenSteps[3]);
    expect(summary.stepsCompleted).toBeLessThan(40);
    expect(summary.history.length).toBeGreaterThan(0);
    const last = summary.history.at(-1)!;
    const frozenNames = summary.components.filter((c) => c.frozenAtStep !== null).map((c) => c.name);
    for (const n of frozenNames) expect(last.metrics[n]).toBeNull();
  });
});

describe("checkpoints, resume and cancellation", () => {
  const resumable = (name: string, over: Partial<TrainSpec> = {}) =>
    spec(name, {
      maxSteps: 12,
      batchSize: 3,
      learningRate: 1e-2,
      lora: {
        r: 4,
        alpha: 8,
        dropout: 0.1,
        targetModules: ["q_proj", "v_proj", "down_proj"],
        useRslora: false,
      },
      grades: grades({ alpha: 0, relativeTau: 0.9 }),
      checkpointDir: join(root, name, "checkpoints"),
      checkpointEvery: 4,
      ...over,
    });

  it("cancels through an AbortSignal, checkpointing where it stopped", async () => {
    const controller = new AbortController();
    const { events, onEvent } = collect();
    const summary = await train(resumable("cancel"), {
      signal: controller.signal,
      onEvent: (e) => {
        onEvent(e);
        if (e.type === "step" && e.step === 6) controller.abort();
      },
    });
    expect(summary.stopReason).toBe("cancelled");
    expect(summary.stepsCompleted).toBe(6);
    expect(summary.lastCheckpoint).toBe(join(root, "cancel", "checkpoints", "step-6"));
    expect(events.filter((e) => e.type === "checkpoint").map((e) => e.step)).toEqual([4, 6]);
    expect(events.at(-1)).toEqual({ type: "stop", step: 6, reason: "cancelled" });
    // A LoRA checkpoint is a usable PEFT adapter.
    const model = await loadModel(join(root, "model"));
    await loadPeftAdapter(model, join(root, "cancel", "checkpoints", "step-6"));
    expect(model.components()).toHaveLength(3 * 2);
    model.dispose();
    const files = await readdir(join(root, "cancel", "checkpoints", "step-6"));
    expect(files.sort()).toEqual(
      [
        "adapter_config.json",
        "adapter_model.safetensors",
        "grades_prev.safetensors",
        "optimizer.safetensors",
        "trainable.safetensors",
        "trainer_state.json",
      ].sort(),
    );
  });

  it("resumes from a checkpoint with the same frozen set and continues exactly as the uninterrupted run", async () => {
    const whole = collect();
    const full = await train(resumable("whole"), { onEvent: whole.onEvent });

    const controller = new AbortController();
    const first = collect();
    await train(resumable("part"), {
      signal: controller.signal,
      onEvent: (e) => {
        first.onEvent(e);
        if (e.type === "step" && e.step === 5) controller.abort();
      },
    });
    const frozenByThen = full.components.filter((c) => c.frozenAtStep !== null && c.frozenAtStep <= 5);
    expect(frozenByThen.length).toBeGreaterThan(0);
    const state = JSON.parse(
      await readFile(join(root, "part", "checkpoints", "step-5", "trainer_state.json"), "utf8"),
    );
    expect(Object.keys(state.grades.frozenAt).sort()).toEqual(frozenByThen.map((c) => c.name).sort());

    const second = collect();
    const resumed = await train(
      resumable("part", { resumeFrom: join(root, "part", "checkpoints", "step-5") }),
      {
        onEvent: second.onEvent,
      },
    );
    expect(stepLosses(second.events).map(([s]) => s)).toEqual(
      stepLosses(whole.events)
        .map(([s]) => s)
        .filter((s) => s > 5),
    );
    const expected = stepLosses(whole.events).filter(([s]) => s > 5);
    stepLosses(second.events).forEach(([s, loss], i) => {
      expect(s).toBe(expected[i]![0]);
      expect(loss).toBeCloseTo(expected[i]![1], 5);
    });
    expect(resumed.components.map((c) => c.frozenAtStep)).toEqual(full.components.map((c) => c.frozenAtStep));
    // Another step budget would move the grace period and the schedule: refused, naming both budgets.
    await expect(
      train(
        resumable("other-budget", { maxSteps: 20, resumeFrom: join(root, "part", "checkpoints", "step-5") }),
      ),
    ).rejects.toThrow(/run of 12 steps, this run has 20/);
    expect(resumed.stopReason).toBe(full.stopReason);
    expect(resumed.stepsCompleted).toBe(full.stepsCompleted);
    const a = await readSafetensors(join(root, "whole", "adapter_model.safetensors"));
    const b = await readSafetensors(join(root, "part", "adapter_model.safetensors"));
    for (const [name, t] of a) {
      const u = b.get(name)!;
      let maxDiff = 0;
      t.data.forEach((x, i) => {
        maxDiff = Math.max(maxDiff, Math.abs(x - u.data[i]!));
      });
      expect(maxDiff).toBeLessThan(1e-5);
    }
  });
});

describe("optimizer steps", () => {
  it("accumulating two micro-batches of 2 equals one batch of 4, and follows the warmup-cosine schedule", async () => {
    await writeCountingData(join(root, "four.jsonl"), 4, 9);
    const common = {
      trainFile: join(root, "four.jsonl"),
      maxSteps: 8,
      warmupRatio: 0.25,
      lrScheduler: "cosine" as const,
    };
    const big = collect();
    await train(spec("accum-big", { ...common, batchSize: 4 }), { onEvent: big.onEvent });
    const small = collect();
    await train(spec("accum-small", { ...common, batchSize: 2, gradientAccumulationSteps: 2 }), {
      onEvent: small.onEvent,
    });
    const lr = (events: TrainEvent[]) => events.flatMap((e) => (e.type === "step" ? [e.learningRate] : []));
    expect(lr(big.events).slice(0, 3)).toEqual([0, 5e-3, 1e-2]);
    expect(lr(big.events)[5]).toBeCloseTo(1e-2 * 0.5 * (1 + Math.cos((Math.PI * 3) / 6)), 12);
    // Step 1 has learning rate 0 (warmup from zero); step 2 is the first update. Both see all four rows.
    const a = stepLosses(big.events);
    const b = stepLosses(small.events);
    expect(b[0]![1]).toBeCloseTo(a[0]![1], 5);
    expect(b[1]![1]).toBeCloseTo(a[1]![1], 5);
    expect(b[2]![1]).toBeCloseTo(a[2]![1], 4);
    expect(a[2]![1]).not.toBeCloseTo(a[1]![1], 4);
  });
});

describe("other modes", () => {
  it("full fine-tuning writes a Hugging Face model folder in which every weight was trained", async () => {
    const s = spec("full", { trainingType: "full", maxSteps: 3, learningRate: 1e-3 });
    const summary = await train(s);
    // GradES still tracks the 14 projections only.
    expect(summary.components).toHaveLength(14);
    const files = await readdir(s.outputDir);
    expect(files).toEqual(expect.arrayContaining(["config.json", "model.safetensors", "summary.json"]));
    const trained = await loadModel(s.outputDir);
    const base = await loadModel(s.modelDir);
    const changed = [...base.namedWeights()].filter(([name, w]) => {
      const a = w.dataSync();
      const b = trained.namedWeights().get(name)!.dataSync();
      return a.some((x, i) => x !== b[i]);
    });
    expect(changed.map(([n]) => n).sort()).toEqual([...base.namedWeights().keys()].sort());
    trained.dispose();
    base.dispose();
  });

  it("full fine-tuning changes embeddings and norms while a frozen projection stays bit-identical", async () => {
    const s = spec("full-frozen", { trainingType: "full", maxSteps: 4, learningRate: 1e-2 });
    const { model, trainer, close } = await openTrainer(s);
    const snapshot = (name: string) => Array.from(model.namedWeights().get(name)!.dataSync());
    const frozen = "model.layers.1.self_attn.v_proj";
    const names = [
      `${frozen}.weight`,
      "model.embed_tokens.weight",
      "model.layers.0.input_layernorm.weight",
      "model.layers.1.self_attn.q_norm.weight",
      "model.norm.weight",
    ];
    await trainer.trainStep();
    trainer.freezeNow(frozen);
    const before = names.map(snapshot);
    for (let i = 0; i < 3; i++) await trainer.trainStep();
    const after = names.map(snapshot);
    expect(after[0]).toEqual(before[0]);
    for (let k = 1; k < names.length; k++) expect(after[k], names[k]).not.toEqual(before[k]);
    // The untracked weights are trained but never measured or frozen by GradES.
    expect(trainer.untracked.map((u) => u.name)).toEqual(expect.arrayContaining(names.slice(1)));
    expect(trainer.frozenFraction).toBeCloseTo(1 / 14);
    close();
  });

  it("stops early when the validation loss stops improving", async () => {
    const { events, onEvent } = collect();
    const summary = await train(
      spec("early", {
        maxSteps: 30,
        validationFile: join(root, "train.jsonl"),
        // No later evaluation can improve on the first by 100 nats: the second evaluation ends the run.
        earlyStopping: { patience: 1, evalInterval: 3, minDelta: 100 },
      }),
      { onEvent },
    );
    expect(summary.stopReason).toBe("early_stopping");
    expect(summary.stepsCompleted).toBe(6);
    expect(events.filter((e) => e.type === "eval").map((e) => e.step)).toEqual([3, 6]);
    expect(summary.finalValidLoss).toBeGreaterThan(0);
  });

  it("rejects a bad option naming it by its snake_case path", async () => {
    await expect(train(spec("bad", { batchSize: 0 }))).rejects.toThrow(
      /^hyperparameters\.batch_size: Too small: expected number to be >=1/,
    );
    await expect(train(spec("bad", { grades: grades({ maxFrozenRatio: 2 }) }))).rejects.toThrow(
      /^grades\.max_frozen_ratio: /,
    );
  });

  it("rejects a dataset with a bad line before training, naming the line (and the validation file)", async () => {
    const bad = join(root, "bad.jsonl");
    await writeFile(
      bad,
      `${JSON.stringify({ input_ids: [1, 2, 3] })}\n${JSON.stringify({ input_ids: [1, 470] })}\n`,
    );
    await expect(train(spec("bad-data", { trainFile: bad }))).rejects.toThrow(
      /^line 2: token id 470 is outside the vocabulary \(size 48\)/,
    );
    await expect(train(spec("bad-data", { validationFile: bad }))).rejects.toThrow(
      /^line 2: validation file: token id 470/,
    );
  });
});
