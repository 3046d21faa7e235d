import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { registerEvalCommand } from "../../../../worker/engine/cli/eval-command.ts";
import { score } from "../../../../worker/engine/train/score.ts";
import { runCli } from "../support/run-cli.ts";
import { writeTinyTextModel } from "../support/tiny-text-model.ts";
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
  await writeTinyTextModel(join(root, "model"), 4);
  await writeFile(join(root, "data.jsonl"), `${lines.map((l) => JSON.stringify(l)).join("\n")}\n`);
});

afterAll(async () => {
  await cleanup();
});

const run = (args: string[]) => runCli(registerEvalCommand, args);
/** `grades eval` on the test model and data file, with the given --choices arguments. */
const evalWith = (...choices: string[]) =>
  run([
    "eval",
    "--model",
    join(root, "model"),
    "--data",
    join(root, "data.jsonl"),
    "--choices",
    ...choices,
    "--backend",
    "wasm",
  ]);

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
    const { stdout, stderr } = await evalWith(JSON.stringify(choices));
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
    const bare = await evalWith();
    expect(JSON.parse(bare.stdout.trim()).choices).toEqual([" negative", " positive"]);
    const bad = await evalWith(" positive, neutral");
    expect(bad.stderr).toMatch(/grades eval: line 2: completion " negative" is not one of the choices/);
    expect(process.exitCode).toBe(1);
    process.exitCode = 0;
  });
});
