import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { Command } from "commander";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { registerEvalCommand } from "../../../worker/engine/cli/eval-command.ts";
import { initTinyModel } from "../../../worker/engine/model/init.ts";
import { score } from "../../../worker/engine/train/score.ts";
import { makeTempDir } from "../support/tmp-dir.ts";

let root: string;
let cleanup: () => Promise<void>;
const lines = [
  { prompt: "The food was great.\nSentiment:", completion: " positive" },
  { prompt: "Terrible service, never again.\nSentiment:", completion: " negative" },
  { prompt: "I loved it\nSentiment:", completion: " positive" },
];

beforeAll(async () => {
  ({ dir: root, cleanup } = await makeTempDir("grades-eval-"));
  await initTinyModel(join(root, "model"), {
    preset: "qwen3-tiny",
    seed: 4,
    overrides: {
      hidden_size: 16,
      intermediate_size: 32,
      num_attention_heads: 2,
      num_key_value_heads: 1,
      head_dim: 8,
    },
    initStd: 0.5,
  });
  await writeFile(join(root, "data.jsonl"), `${lines.map((l) => JSON.stringify(l)).join("\n")}\n`);
});

afterAll(async () => {
  await cleanup();
});

async function run(args: string[]): Promise<{ stdout: string; stderr: string }> {
  const program = new Command("grades").exitOverride();
  program.configureOutput({ writeErr: () => {}, writeOut: () => {} });
  registerEvalCommand(program);
  let stdout = "";
  let stderr = "";
  const out = vi.spyOn(process.stdout, "write").mockImplementation((s) => {
    stdout += String(s);
    return true;
  });
  const err = vi.spyOn(process.stderr, "write").mockImplementation((s) => {
    stderr += String(s);
    return true;
  });
  try {
    await program.parseAsync(["node", "grades", ...args]);
  } finally {
    out.mockRestore();
    err.mockRestore();
  }
  return { stdout, stderr };
}

/** log p(completion + EOS | prompt) through the training loss path: -(mean loss × tokens) of a one-line file. */
async function viaScore(prompt: string, completion: string, i: number): Promise<number> {
  const file = join(root, `one-${i}.jsonl`);
  await writeFile(file, `${JSON.stringify({ prompt, completion })}\n`);
  const r = await score({ modelDir: join(root, "model"), dataFile: file, backend: "wasm" });
  return -r.loss * r.tokens;
}

describe("grades eval --choices", () => {
  it("predicts the label that the training loss scores best, and reports accuracy and per-class counts", async () => {
    const choices = [" positive", " negative"];
    const expected: string[] = [];
    let k = 0;
    for (const l of lines) {
      const ll = [];
      for (const c of choices) ll.push(await viaScore(l.prompt, c, k++));
      expected.push(ll[1]! > ll[0]! ? choices[1]! : choices[0]!);
    }
    const { stdout, stderr } = await run([
      "eval",
      "--model",
      join(root, "model"),
      "--data",
      join(root, "data.jsonl"),
      "--choices",
      JSON.stringify(choices),
      "--backend",
      "wasm",
    ]);
    expect(stderr).toBe("");
    const report = JSON.parse(stdout.trim());
    const correct = expected.filter((p, i) => p === lines[i]!.completion).length;
    expect(report.examples).toBe(3);
    expect(report.correct).toBe(correct);
    expect(report.accuracy).toBeCloseTo(correct / 3, 12);
    for (const c of choices) {
      expect(report.perClass[c].examples).toBe(lines.filter((l) => l.completion === c).length);
      expect(report.perClass[c].predicted).toBe(expected.filter((p) => p === c).length);
    }
  });

  it("takes the file's distinct completions when --choices has no value, and names a line whose label is not a choice", async () => {
    const bare = await run([
      "eval",
      "--model",
      join(root, "model"),
      "--data",
      join(root, "data.jsonl"),
      "--choices",
    ]);
    expect(JSON.parse(bare.stdout.trim()).choices).toEqual([" negative", " positive"]);
    const bad = await run([
      "eval",
      "--model",
      join(root, "model"),
      "--data",
      join(root, "data.jsonl"),
      "--choices",
      " positive, neutral",
    ]);
    expect(bad.stderr).toMatch(/grades eval: line 2: completion " negative" is not one of the choices/);
    expect(process.exitCode).toBe(1);
    process.exitCode = 0;
  });
});
