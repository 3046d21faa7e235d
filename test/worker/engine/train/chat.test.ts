import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { initTinyModel } from "../../../../worker/engine/model/init.ts";
import { score } from "../../../../worker/engine/train/score.ts";
import { train } from "../../../../worker/engine/train/train.ts";
import type { TrainEvent } from "../../../../worker/engine/train/types.ts";
import { makeTempDir } from "../support/tmp-dir.ts";
import { baseSpec } from "./support/fixtures.ts";

let root: string;
let cleanup: () => Promise<void>;

const conversations = [
  ["What is the capital of France?", "Paris."],
  ["Name a primary color.", "Red."],
  ["How many legs does a cat have?", "Four."],
  ["Say hello.", "Hello!"],
].map(([q, a]) =>
  JSON.stringify({
    messages: [
      { role: "user", content: q },
      { role: "assistant", content: a },
    ],
  }),
);

beforeAll(async () => {
  ({ dir: root, cleanup } = await makeTempDir("grades-chat-"));
  // A qwen3-tiny model with Qwen3's real tokenizer and chat template (vocabulary 151669).
  await initTinyModel(join(root, "model"), {
    preset: "qwen3-tiny",
    seed: 2,
    overrides: {
      hidden_size: 32,
      intermediate_size: 64,
      num_hidden_layers: 1,
      head_dim: 8,
      num_attention_heads: 4,
    },
  });
  await writeFile(join(root, "train.jsonl"), `${conversations.join("\n")}\n`);
});

afterAll(async () => {
  await cleanup();
});

describe("training on chat data with a real tokenizer", () => {
  it("trains on the assistant turns and scores the same tokens", async () => {
    const events: TrainEvent[] = [];
    const summary = await train(
      baseSpec(root, { maxSteps: 4, batchSize: 4, maxSeqLen: 64, learningRate: 5e-2 }),
      { onEvent: (e) => void events.push(e) },
    );
    expect(summary.stopReason).toBe("max_steps");
    const losses = events.flatMap((e) => (e.type === "step" ? [e.trainLoss] : []));
    // Uniform-ish start over 151669 tokens: about ln(151669) = 11.9.
    expect(losses[0]).toBeGreaterThan(11);
    expect(losses[3]).toBeLessThan(losses[0]!);
    const base = await score({
      modelDir: join(root, "model"),
      dataFile: join(root, "train.jsonl"),
      backend: "wasm",
    });
    const tuned = await score({
      modelDir: join(root, "model"),
      dataFile: join(root, "train.jsonl"),
      adapterDir: join(root, "out"),
      backend: "wasm",
    });
    // Each assistant turn is "<think>\n\n</think>\n\n" + answer + "<|im_end|>": its tokens are the targets.
    expect(base.tokens).toBe(tuned.tokens);
    expect(base.tokens).toBeGreaterThan(4 * 6);
    expect(base.tokens).toBeLessThan(4 * 12);
    expect(base.loss).toBeCloseTo(losses[0]!, 4);
    expect(tuned.loss).toBeLessThan(base.loss);
  });
});
