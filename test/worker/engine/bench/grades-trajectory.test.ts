import { cp, readdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { benchSpec } from "../../../../worker/engine/bench/grades/product-options.ts";
import { runOne } from "../../../../worker/engine/bench/grades/run.ts";
import { evalChoicesFile } from "../../../../worker/engine/eval/eval-file.ts";
import { readModelConfig } from "../../../../worker/engine/model/config.ts";
import { train } from "../../../../worker/engine/train/train.ts";
import { writeTinyTextModel } from "../support/tiny-text-model.ts";
import { makeTempDir } from "../support/tmp-dir.ts";

let root: string;
let cleanup: () => Promise<void>;
const CHOICES = [" yes", " no"];
const line = (i: number) =>
  JSON.stringify({ prompt: `item ${i} is ${i % 3 === 0 ? "odd" : "even"}:`, completion: CHOICES[i % 2] });

beforeAll(async () => {
  ({ dir: root, cleanup } = await makeTempDir("grades-trajectory-"));
  await writeTinyTextModel(join(root, "model"), 3);
  await writeFile(join(root, "train.jsonl"), `${Array.from({ length: 8 }, (_, i) => line(i)).join("\n")}\n`);
  await writeFile(
    join(root, "test.jsonl"),
    `${Array.from({ length: 9 }, (_, i) => line(i + 20)).join("\n")}\n`,
  );
});

afterAll(async () => {
  await cleanup();
});

function spec(out: string, checkpointDir: string) {
  const files = {
    modelDir: join(root, "model"),
    trainFile: join(root, "train.jsonl"),
    validationFile: join(root, "train.jsonl"),
    outputDir: join(root, out),
  };
  const s = benchSpec({
    mode: "lora",
    method: "trajectory",
    examples: 8,
    epochs: 2,
    seed: 5,
    files,
    lrMultiplier: 50,
    checkpoints: { dir: checkpointDir, every: 4 },
  });
  return { ...s, backend: "wasm" as const };
}

describe("a trajectory run", () => {
  it("scores each checkpoint as the adapter it holds, ends with the output's score, and removes the checkpoints", async () => {
    // The same run by hand, its checkpoints kept and scored one by one.
    const kept = join(root, "kept");
    const byHand = spec("by-hand", join(root, "hand-checkpoints"));
    const summary = await train(byHand);
    await cp(join(root, "hand-checkpoints"), kept, { recursive: true });
    const steps = (await readdir(kept)).map((d) => Number(d.slice("step-".length))).sort((a, b) => a - b);
    expect(steps.length).toBeGreaterThanOrEqual(3);
    const expected = [];
    for (const step of steps.filter((s) => s < summary.stepsCompleted)) {
      const r = await evalChoicesFile({
        modelDir: join(root, "model"),
        adapterDir: join(kept, `step-${step}`),
        dataFile: join(root, "test.jsonl"),
        choices: CHOICES,
        backend: "wasm",
      });
      expected.push({ step, accuracy: r.accuracy });
    }

    const checkpoints = join(root, "bench-checkpoints");
    const record = await runOne({
      key: { task: "t", mode: "lora", method: "trajectory", seed: 5, setup: "s" },
      spec: spec("bench", checkpoints),
      config: await readModelConfig(join(root, "model")),
      testFile: join(root, "test.jsonl"),
      choices: CHOICES,
      validationTokens: 0,
    });
    // The checkpoints score differently: scoring one model for all of them would not pass.
    expect(new Set(expected.map((p) => p.accuracy)).size).toBeGreaterThan(1);
    expect(record.trajectory).toEqual([...expected, { step: record.steps, accuracy: record.testAccuracy }]);
    expect(record.steps).toBe(summary.stepsCompleted);
    await expect(readdir(checkpoints)).rejects.toThrow();
  });
});
