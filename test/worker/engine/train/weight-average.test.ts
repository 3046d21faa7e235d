import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import * as tf from "@tensorflow/tfjs-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { initBackend } from "../../../../worker/engine/backend.ts";
import { readSafetensors, type SafetensorsTensor } from "../../../../worker/engine/io/safetensors.ts";
import { estimateTrainingMemory } from "../../../../worker/engine/memory/estimate.ts";
import { memoryShapeOf } from "../../../../worker/engine/memory/fit-check.ts";
import { train } from "../../../../worker/engine/train/train.ts";
import type { TrainEvent, TrainSpec } from "../../../../worker/engine/train/types.ts";
import { averageStartStep, WeightAverage } from "../../../../worker/engine/train/weight-average.ts";
import { makeTempDir } from "../support/tmp-dir.ts";
import { baseSpec, makeTinyModel, writeCountingData } from "./support/fixtures.ts";

let root: string;
let cleanup: () => Promise<void>;

beforeAll(async () => {
  ({ dir: root, cleanup } = await makeTempDir("grades-average-"));
  await initBackend("wasm", { threads: baseSpec(".").threads });
  await makeTinyModel(join(root, "model"));
  await writeCountingData(join(root, "train.jsonl"), 8, 12);
});

afterAll(async () => {
  await cleanup();
});

describe("WeightAverage", () => {
  it("starts from the first weights it is given and then folds each step in by hand's arithmetic", () => {
    const before = tf.memory().numTensors;
    const w = tf.tidy(() => tf.variable(tf.tensor1d([1, 2])));
    const avg = new WeightAverage(0.75);
    const entries = [{ key: "w", variable: w }];
    const set = (values: number[]) => tf.tidy(() => w.assign(tf.tensor1d(values)));
    avg.update(entries);
    set([5, -2]);
    avg.update(entries);
    set([9, 10]);
    avg.update(entries);
    // A2 = 0.75 * [1, 2] + 0.25 * [5, -2] = [2, 1]; A3 = 0.75 * [2, 1] + 0.25 * [9, 10] = [3.75, 3.25].
    expect(Array.from(avg.tensors().get("w")!.dataSync())).toEqual([3.75, 3.25]);
    avg.dispose();
    w.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it("swaps the averages in for a write and puts the trained weights back, also when the write fails", async () => {
    const w = tf.variable(tf.tensor1d([1, 1]));
    const other = tf.variable(tf.tensor1d([7]));
    const avg = new WeightAverage(0.5);
    avg.update([{ key: "w", variable: w }]);
    w.assign(tf.tensor1d([3, 5]));
    avg.update([{ key: "w", variable: w }]);
    const entries = [
      { key: "w", variable: w },
      { key: "other", variable: other },
    ];
    const seen = await avg.withAverages(entries, async () => [
      Array.from(w.dataSync()),
      Array.from(other.dataSync()),
    ]);
    // The average [2, 3] during the write; a variable without an average keeps its value.
    expect(seen).toEqual([[2, 3], [7]]);
    expect(Array.from(w.dataSync())).toEqual([3, 5]);
    await expect(
      avg.withAverages(entries, async () => {
        throw new Error("disk full");
      }),
    ).rejects.toThrow("disk full");
    expect(Array.from(w.dataSync())).toEqual([3, 5]);
    avg.dispose();
    tf.dispose([w, other]);
  });

  it("starts about 1 / (1 - a) steps before the end of the grace period, never before the first step", () => {
    expect(averageStartStep(480, 0.98)).toBe(430);
    expect(averageStartStep(480, 0.95)).toBe(460);
    expect(averageStartStep(480, 0)).toBe(479);
    expect(averageStartStep(30, 0.98)).toBe(1);
  });

  it("refuses a decay outside [0, 1)", () => {
    expect(() => new WeightAverage(1)).toThrow(/\[0, 1\)/);
    expect(() => new WeightAverage(-0.1)).toThrow(/\[0, 1\)/);
  });
});

/** Adds the PEFT prefix to a trainable variable's key (trainable.safetensors → adapter_model.safetensors). */
const peftName = (key: string) => `base_model.model.${key}`;

/** The float64 moving average of the weights checkpointed at steps start..end. */
function referenceAverage(
  steps: Map<number, Map<string, SafetensorsTensor>>,
  start: number,
  end: number,
  decay: number,
): Map<string, Float64Array> {
  const avg = new Map<string, Float64Array>();
  for (const [key, t] of steps.get(start)!) avg.set(key, Float64Array.from(t.data));
  for (let s = start + 1; s <= end; s++) {
    for (const [key, t] of steps.get(s)!) {
      const a = avg.get(key)!;
      t.data.forEach((x, i) => {
        a[i] = decay * a[i]! + (1 - decay) * x;
      });
    }
  }
  return avg;
}

function maxDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let d = 0;
  for (let i = 0; i < a.length; i++) d = Math.max(d, Math.abs(a[i]! - b[i]!));
  return d;
}

describe("a run that averages its weights (grades.weight_average)", () => {
  const decay = 0.5;
  // The grace period ends at step 4 and the average starts its memory, 1 / (1 - 0.5) = 2 steps, before: at
  // step 2. With tau 0 GradES measures but never freezes, so the run takes all 8 steps.
  const averaged = (name: string, over: Partial<TrainSpec> = {}): TrainSpec =>
    baseSpec(root, {
      outputDir: join(root, name),
      maxSteps: 8,
      batchSize: 3,
      learningRate: 3e-2,
      grades: {
        enabled: true,
        tau: 0,
        alpha: 0.5,
        metric: "grad_change",
        normalize: "mean",
        interval: 1,
        maxFrozenRatio: 1,
        weightAverage: decay,
      },
      checkpointDir: join(root, name, "checkpoints"),
      checkpointEvery: 1,
      ...over,
    });
  /** Every matrix freezes at the end of the grace period: GradES stops the run at step 4. */
  const stopsAtGraceEnd = (name: string, over: Partial<TrainSpec> = {}): TrainSpec => {
    const s = averaged(name, over);
    return { ...s, grades: { ...s.grades, tau: 1e9 } };
  };

  /** The trained weights of every checkpoint of a run, by step. */
  async function trainedWeights(name: string): Promise<Map<number, Map<string, SafetensorsTensor>>> {
    const dir = join(root, name, "checkpoints");
    const out = new Map<number, Map<string, SafetensorsTensor>>();
    for (const entry of await readdir(dir)) {
      const step = Number(entry.replace("step-", ""));
      out.set(step, await readSafetensors(join(dir, entry, "trainable.safetensors")));
    }
    return out;
  }

  /** The largest difference between a written adapter's tensors and the given ones (by trainable key). */
  function adapterDiff(adapter: Map<string, SafetensorsTensor>, expected: Map<string, ArrayLike<number>>) {
    expect(adapter.size).toBe(expected.size);
    let d = 0;
    for (const [key, ref] of expected) d = Math.max(d, maxDiff(adapter.get(peftName(key))!.data, ref));
    return d;
  }
  const dataOf = (m: Map<string, SafetensorsTensor>) => new Map([...m].map(([k, t]) => [k, t.data] as const));
  const readAdapter = (...path: string[]) =>
    readSafetensors(join(root, ...path, "adapter_model.safetensors"));

  it("GradES's stop writes the average from before the end of the grace period as its adapter", async () => {
    const summary = await train(stopsAtGraceEnd("stopped"));
    expect(summary).toMatchObject({ stopReason: "all_frozen", stepsCompleted: 4 });
    const steps = await trainedWeights("stopped");
    const adapter = await readAdapter("stopped");
    expect(adapterDiff(adapter, referenceAverage(steps, 2, 4, decay))).toBeLessThan(1e-6);
    // The average is not the last step's weights: the test tells the two apart.
    expect(adapterDiff(adapter, dataOf(steps.get(4)!))).toBeGreaterThan(1e-3);
  });

  it("checkpoints' adapters hold the average, their trained tensors the weights; a run to its budget writes its last", async () => {
    const summary = await train(averaged("budget"));
    expect(summary).toMatchObject({ stopReason: "max_steps", stepsCompleted: 8 });
    const steps = await trainedWeights("budget");
    // A run that reaches its budget has been annealed by its schedule: its last weights, not the average.
    expect(adapterDiff(await readAdapter("budget"), dataOf(steps.get(8)!))).toBe(0);
    // A checkpoint's adapter is what a GradES stop there would write: the trained weights before the average
    // starts, the average after; its trainable tensors are the trained weights, which a resumed run continues.
    expect(adapterDiff(await readAdapter("budget", "checkpoints", "step-1"), dataOf(steps.get(1)!))).toBe(0);
    const mid = await readAdapter("budget", "checkpoints", "step-6");
    expect(adapterDiff(mid, referenceAverage(steps, 2, 6, decay))).toBeLessThan(1e-6);
    expect(adapterDiff(mid, dataOf(steps.get(6)!))).toBeGreaterThan(1e-3);
    expect(await readdir(join(root, "budget", "checkpoints", "step-6"))).toContain(
      "weight_average.safetensors",
    );
    expect(await readdir(join(root, "budget", "checkpoints", "step-1"))).not.toContain(
      "weight_average.safetensors",
    );
  });

  it("resumed from a checkpoint inside the average, goes on as the uninterrupted run", async () => {
    // Both write a checkpoint every other step: writing one's averaged adapter must not change the weights
    // training goes on from, and the resumed run's last checkpoint must hold the uninterrupted run's average.
    await train(averaged("whole", { checkpointEvery: 2 }));
    const controller = new AbortController();
    await train(averaged("part", { checkpointEvery: 2 }), {
      signal: controller.signal,
      onEvent: (e: TrainEvent) => {
        if (e.type === "step" && e.step === 5) controller.abort();
      },
    });
    await train(
      averaged("part", { checkpointEvery: 2, resumeFrom: join(root, "part", "checkpoints", "step-5") }),
    );
    for (const file of ["adapter_model.safetensors", "trainable.safetensors", "weight_average.safetensors"]) {
      const a = await readSafetensors(join(root, "whole", "checkpoints", "step-8", file));
      const b = await readSafetensors(join(root, "part", "checkpoints", "step-8", file));
      expect(b.size).toBe(a.size);
      for (const [name, t] of a) expect(maxDiff(t.data, b.get(name)!.data)).toBeLessThan(1e-5);
    }
  });

  it("full fine-tuning writes every trained weight's average into its model folder", async () => {
    const summary = await train(stopsAtGraceEnd("full", { trainingType: "full", learningRate: 1e-3 }));
    expect(summary.stopReason).toBe("all_frozen");
    const steps = await trainedWeights("full");
    const expected = referenceAverage(steps, 2, 4, decay);
    const model = await readSafetensors(join(root, "full", "model.safetensors"));
    expect(expected.has("model.embed_tokens.weight")).toBe(true);
    for (const [key, ref] of expected) expect(maxDiff(model.get(key)!.data, ref)).toBeLessThan(1e-6);
  });

  it("is a GradES option: without GradES no average is held", async () => {
    const on = averaged("x");
    const off = averaged("off", { grades: { ...on.grades, enabled: false } });
    await train(off);
    const steps = await trainedWeights("off");
    expect(adapterDiff(await readAdapter("off", "checkpoints", "step-6"), dataOf(steps.get(6)!))).toBe(0);

    // The memory estimate holds one more float per trainable parameter, only where the average is kept.
    const config = JSON.parse(await readFile(join(root, "model", "config.json"), "utf8"));
    const { weightAverage: _, ...plain } = on.grades;
    const withAverage = estimateTrainingMemory(memoryShapeOf(config, on));
    const gradesOnly = estimateTrainingMemory(memoryShapeOf(config, averaged("x", { grades: plain })));
    const noGrades = estimateTrainingMemory(memoryShapeOf(config, off));
    expect(withAverage.trainingStateBytes - gradesOnly.trainingStateBytes).toBe(
      withAverage.trainableParameters * 4,
    );
    expect(noGrades.trainingStateBytes).toBeLessThan(gradesOnly.trainingStateBytes);
  });
});
