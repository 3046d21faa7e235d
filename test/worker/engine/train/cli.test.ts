import { access, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { registerTrainCommands } from "../../../../worker/engine/cli/train-commands.ts";
import { score } from "../../../../worker/engine/train/score.ts";
import { runCli } from "../support/run-cli.ts";
import { makeTempDir } from "../support/tmp-dir.ts";
import { makeTinyModel, writeCountingData } from "./support/fixtures.ts";

let root: string;
let cleanup: () => Promise<void>;

beforeAll(async () => {
  ({ dir: root, cleanup } = await makeTempDir("grades-cli-"));
  await makeTinyModel(join(root, "model"));
  await writeCountingData(join(root, "train.jsonl"), 6, 10);
});

afterAll(async () => {
  await cleanup();
});

const run = (args: string[]) => runCli(registerTrainCommands, args);

const lastLine = (s: string) => JSON.parse(s.trim().split("\n").at(-1)!);

describe("grades train and score", () => {
  it("train writes the adapter and ends with a JSON summary line; score's last line is {loss, tokens}", async () => {
    const out = join(root, "adapter");
    const trained = await run([
      "train",
      ...["--model", join(root, "model"), "--train", join(root, "train.jsonl"), "--out", out],
      ...["--max-steps", "8", "--batch-size", "3", "--lr", "0.02", "--seq-len", "16", "--backend", "wasm"],
      ...["--lora-targets", "q_proj,v_proj", "--lora-r", "2", "--no-grades", "--warmup-ratio", "0"],
    ]);
    const summary = lastLine(trained.stdout);
    expect(summary).toMatchObject({ stopReason: "max_steps", stepsCompleted: 8 });
    expect(summary.backend).toMatch(
      /^wasm \(simd, \d+ threads?(, OpenBLAS matmuls)?\)( x \d+ data-parallel replicas)?$/,
    );
    expect(trained.stderr).toMatch(/step 8\/8 {2}loss \d+\.\d{4} {2}frozen 0%/);
    await access(join(out, "adapter_model.safetensors"));
    // With GradES off there is no freeze map, only the loss curve.
    expect(summary.plots).toEqual([join(out, "loss.svg")]);
    await access(join(out, "loss.svg"));

    const base = await run([
      "score",
      "--model",
      join(root, "model"),
      "--data",
      join(root, "train.jsonl"),
      "--backend",
      "wasm",
    ]);
    const tuned = await run([
      "score",
      ...[
        "--model",
        join(root, "model"),
        "--data",
        join(root, "train.jsonl"),
        "--adapter",
        out,
        "--backend",
        "wasm",
      ],
    ]);
    const b = lastLine(base.stdout);
    const t = lastLine(tuned.stdout);
    expect(Object.keys(b).sort()).toEqual(["loss", "tokens"]);
    const direct = await score({
      modelDir: join(root, "model"),
      dataFile: join(root, "train.jsonl"),
      backend: "wasm",
    });
    expect(b.loss).toBeCloseTo(direct.loss, 6);
    expect(b.tokens).toBe(direct.tokens);
    // Rows of 10, 9, 8, 10, 9, 8 tokens, each predicting all but its first.
    expect(b.tokens).toBe(54 - 6);
    expect(t.tokens).toBe(b.tokens);
    expect(t.loss).toBeLessThan(b.loss);
  });

  it("reports a bad dataset line on stderr with exit code 1", async () => {
    const bad = join(root, "bad.jsonl");
    await writeFile(bad, `${JSON.stringify({ input_ids: [1, 2] })}\n{"input_ids": "x"}\n`);
    try {
      const r = await run([
        "train",
        "--model",
        join(root, "model"),
        "--train",
        bad,
        "--out",
        join(root, "o"),
        "--backend",
        "wasm",
      ]);
      expect(r.stderr.trim().split("\n").at(-1)).toBe(
        'grades train: line 2: "input_ids" must be an array of at least 2 non-negative integers',
      );
      expect(process.exitCode).toBe(1);
    } finally {
      process.exitCode = 0;
    }
  });

  it("takes the backend from GRADES_BACKEND when --backend is absent, and rejects a bad value naming it", async () => {
    const args = [
      ...["--model", join(root, "model"), "--train", join(root, "train.jsonl"), "--out", join(root, "env")],
      ...[
        "--max-steps",
        "1",
        "--batch-size",
        "3",
        "--seq-len",
        "16",
        "--lora-targets",
        "q_proj",
        "--no-grades",
      ],
    ];
    try {
      vi.stubEnv("GRADES_BACKEND", "cpu");
      expect(lastLine((await run(["train", ...args])).stdout)).toMatchObject({
        stepsCompleted: 1,
        backend: "cpu",
      });
      vi.stubEnv("GRADES_BACKEND", "gpu");
      await expect(run(["score", "--model", "m", "--data", "d"])).rejects.toThrow(/GRADES_BACKEND/);
    } finally {
      vi.unstubAllEnvs();
    }
  });

  it("rejects a bad flag value naming the flag", async () => {
    await expect(
      run(["train", "--model", "m", "--train", "t", "--out", "o", "--lora-targets", "q_proj,attn"]),
    ).rejects.toThrow(/--lora-targets: "attn" is not one of/);
    await expect(run(["score", "--model", "m", "--data", "d", "--batch-size", "0"])).rejects.toThrow(
      /--batch-size must be a positive integer/,
    );
  });
});
