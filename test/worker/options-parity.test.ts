// A job and `grades train` given the same options and seed train the same: the worker's mapping of a stored job
// configuration and the CLI's flags go through the engine's one options schema to the same spec and losses.
import { join } from "node:path";
import { Command } from "commander";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { resolveJobConfig } from "../../api/routes/fine-tuning/config.ts";
import { registerEngineCommands, type TrainEvent, train } from "../../worker/engine/index.ts";
import { trainSpecFor } from "../../worker/train-spec.ts";
import { makeTempDir } from "./engine/support/tmp-dir.ts";
import { makeTinyModel, writeCountingData } from "./engine/train/support/fixtures.ts";

let root: string;
let cleanup: () => Promise<void>;
beforeAll(async () => {
  ({ dir: root, cleanup } = await makeTempDir("grades-parity-"));
  await makeTinyModel(join(root, "model"));
  await writeCountingData(join(root, "train.jsonl"), 12, 10);
});
afterAll(async () => cleanup());

/** The step losses `grades train --events` prints. */
async function cliLosses(args: string[]): Promise<number[]> {
  const program = new Command("grades").exitOverride();
  registerEngineCommands(program);
  let stdout = "";
  const out = vi.spyOn(process.stdout, "write").mockImplementation((s) => {
    stdout += String(s);
    return true;
  });
  const err = vi.spyOn(process.stderr, "write").mockImplementation(() => true);
  try {
    await program.parseAsync(["node", "grades", "train", ...args, "--events"]);
  } finally {
    out.mockRestore();
    err.mockRestore();
  }
  const events = stdout
    .trim()
    .split("\n")
    .filter((l) => l.startsWith('{"type"'))
    .map((l) => JSON.parse(l) as TrainEvent);
  return events.flatMap((e) => (e.type === "step" ? [e.trainLoss] : []));
}

describe("a job and the CLI with the same options", () => {
  it("train with the same loss sequence", async () => {
    const config = resolveJobConfig(
      {
        model: "m",
        training_file: "f",
        hyperparameters: { n_epochs: 2, batch_size: 3 },
        learning_rate: 0.02,
        warmup_ratio: 0.2,
        lr_scheduler: "linear",
        weight_decay: 0.01,
        max_grad_norm: 0.5,
        gradient_accumulation_steps: 2,
        max_seq_len: 16,
        lora: { r: 2, alpha: 4, dropout: 0.1, target_modules: ["q_proj", "v_proj", "down_proj"] },
        grades: { alpha: 0.5, relative_tau: 0.5, weight_average: 0.9 },
      },
      12,
    );
    const spec = trainSpecFor(
      config,
      9,
      {
        modelDir: join(root, "model"),
        trainFile: join(root, "train.jsonl"),
        outputDir: join(root, "job-out"),
        checkpointDir: join(root, "job-ckpt"),
      },
      "wasm",
      "model",
    );
    const jobLosses: number[] = [];
    await train(spec, {
      onEvent: (e) => {
        if (e.type === "step") jobLosses.push(e.trainLoss);
      },
    });

    const losses = await cliLosses([
      ...[
        "--model",
        join(root, "model"),
        "--train",
        join(root, "train.jsonl"),
        "--out",
        join(root, "cli-out"),
      ],
      ...["--seed", "9", "--backend", "wasm", "--epochs", "2", "--batch-size", "3", "--lr", "0.02"],
      ...[
        "--warmup-ratio",
        "0.2",
        "--scheduler",
        "linear",
        "--weight-decay",
        "0.01",
        "--max-grad-norm",
        "0.5",
      ],
      ...[
        "--grad-accum",
        "2",
        "--seq-len",
        "16",
        "--lora-r",
        "2",
        "--lora-alpha",
        "4",
        "--lora-dropout",
        "0.1",
      ],
      ...[
        "--lora-targets",
        "q_proj,v_proj,down_proj",
        "--grades-alpha",
        "0.5",
        "--grades-relative-tau",
        "0.5",
        "--grades-weight-average",
        "0.9",
      ],
    ]);
    expect(spec.grades.weightAverage).toBe(0.9);
    expect(jobLosses).toHaveLength(4);
    expect(losses).toEqual(jobLosses);
  });
});
