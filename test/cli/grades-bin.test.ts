// The `grades` CLI end to end through its real entry point (`node bin/grades.js`, as `npx grades` runs it):
// init-model → train → score (with and without the adapter) → inspect → generate, and how bad input fails.
import { execFile } from "node:child_process";
import { writeFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makeTempDir } from "../worker/engine/support/tmp-dir.ts";

const REPO = resolve(import.meta.dirname, "../..");

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function grades(args: string[]): Promise<Run> {
  return new Promise((done) => {
    execFile(
      process.execPath,
      ["bin/grades.js", ...args],
      { cwd: REPO, timeout: 60_000, maxBuffer: 16 * 1024 * 1024 },
      (err, stdout, stderr) => {
        const code = err ? (typeof err.code === "number" ? err.code : 1) : 0;
        done({ code, stdout, stderr });
      },
    );
  });
}

function ok(r: Run): Run {
  if (r.code !== 0) throw new Error(`exit ${r.code}\n${r.stderr}`);
  return r;
}

const lastJsonLine = (s: string): unknown => JSON.parse(s.trim().split("\n").at(-1)!);

const chat = (user: string, assistant: string) =>
  JSON.stringify({
    messages: [
      { role: "user", content: user },
      { role: "assistant", content: assistant },
    ],
  });

let root: string;
let cleanup: () => Promise<void>;
let model: string;
let adapter: string;
let data: string;

beforeAll(async () => {
  ({ dir: root, cleanup } = await makeTempDir("grades-cli-bin-"));
  model = join(root, "model");
  adapter = join(root, "adapter");
  data = join(root, "train.jsonl");
  await writeFile(
    data,
    `${[
      chat("What is the capital of France?", "Paris."),
      chat("What is 2 + 2?", "4."),
      chat("Name a colour.", "Blue."),
      chat("Say hello.", "Hello!"),
    ].join("\n")}\n`,
  );
});

afterAll(async () => {
  await cleanup();
});

describe("grades through bin/grades.js", () => {
  it("init-model, train, score, inspect and generate work in sequence", async () => {
    const init = ok(await grades(["init-model", "--preset", "qwen3-tiny", "--seed", "3", "--out", model]));
    expect(lastJsonLine(init.stdout)).toMatchObject({ out: model, model_type: "qwen3" });

    const train = ok(
      await grades([
        ...["train", "--model", model, "--train", data, "--out", adapter],
        ...["--max-steps", "3", "--batch-size", "2", "--lr", "0.01", "--warmup-ratio", "0", "--no-grades"],
        ...["--lora-r", "4", "--seq-len", "32"],
      ]),
    );
    expect(lastJsonLine(train.stdout)).toMatchObject({
      stopReason: "max_steps",
      stepsCompleted: 3,
      outputDir: adapter,
    });
    expect(train.stderr).toMatch(/step 3\/3/);

    const base = lastJsonLine(ok(await grades(["score", "--model", model, "--data", data])).stdout) as {
      loss: number;
      tokens: number;
    };
    const tuned = lastJsonLine(
      ok(await grades(["score", "--model", model, "--data", data, "--adapter", adapter])).stdout,
    ) as { loss: number; tokens: number };
    for (const s of [base, tuned]) {
      expect(Object.keys(s).sort()).toEqual(["loss", "tokens"]);
      expect(Number.isFinite(s.loss)).toBe(true);
      expect(Number.isInteger(s.tokens)).toBe(true);
      expect(s.tokens).toBeGreaterThan(0);
    }
    expect(tuned.tokens).toBe(base.tokens);
    // Three steps on these very examples must lower their loss.
    expect(tuned.loss).toBeLessThan(base.loss - 1e-3);

    const modelInfo = JSON.parse(ok(await grades(["inspect", model])).stdout) as Record<string, unknown>;
    expect(modelInfo).toMatchObject({
      kind: "model",
      model_type: "qwen3",
      tokenizer: true,
      chat_template: true,
    });
    expect(modelInfo.parameters).toBe((lastJsonLine(init.stdout) as { parameters: number }).parameters);

    const adapterInfo = JSON.parse(ok(await grades(["inspect", adapter])).stdout) as Record<string, unknown>;
    expect(adapterInfo).toMatchObject({ kind: "lora_adapter", r: 4, lora_alpha: 16, scaling: 4 });
    expect((adapterInfo.target_modules as string[]).sort()).toEqual(
      ["down_proj", "gate_proj", "k_proj", "o_proj", "q_proj", "up_proj", "v_proj"].sort(),
    );

    const gen = ok(
      await grades([
        ...["generate", "--model", model, "--adapter", adapter, "--prompt", "Say hello.", "--chat"],
        ...["--max-new-tokens", "4"],
      ]),
    );
    // A random tiny model's text is arbitrary (often whitespace); what the CLI promises is the continuation
    // alone, on stdout, without the prompt or the chat template's markers.
    expect(gen.stderr).toBe("");
    expect(gen.stdout.endsWith("\n")).toBe(true);
    expect(gen.stdout).not.toContain("Say hello.");
    expect(gen.stdout).not.toContain("<|im_start|>");
  }, 90_000);

  it("fails with one line naming the problem, not a stack, on a bad flag or a bad file", async () => {
    const missing = join(root, "no-such.jsonl");
    const bad = join(root, "bad.jsonl");
    await writeFile(bad, `${chat("hi", "there")}\n{"messages": []}\n`);
    const cases: { args: string[]; names: RegExp }[] = [
      {
        args: ["train", "--model", model, "--train", data, "--out", join(root, "x"), "--max-steps", "abc"],
        names: /--max-steps/,
      },
      {
        args: ["train", "--model", model, "--train", missing, "--out", join(root, "y")],
        names: /no-such\.jsonl/,
      },
      { args: ["score", "--model", model, "--data", bad], names: /line 2: .*messages/ },
      { args: ["inspect", join(root, "no-such-model")], names: /config\.json/ },
      {
        args: ["generate", "--model", join(root, "no-such-model"), "--prompt", "hi"],
        names: /tokenizer\.json|config\.json/,
      },
    ];
    for (const c of cases) {
      const r = await grades(c.args);
      const lines = r.stderr.trim().split("\n");
      expect({ args: c.args.join(" "), code: r.code, lines: lines.length }).toEqual({
        args: c.args.join(" "),
        code: 1,
        lines: 1,
      });
      expect(lines[0]).toMatch(c.names);
      expect(r.stderr).not.toMatch(/\n\s+at /);
    }
  }, 90_000);
});
