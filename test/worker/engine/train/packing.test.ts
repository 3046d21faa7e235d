import { copyFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BUILTIN_MODEL_DIR } from "../../../../models/builtin.ts";
import { initBackend } from "../../../../worker/engine/backend.ts";
import { initTinyModel } from "../../../../worker/engine/model/init.ts";
import { loadTokenizer } from "../../../../worker/engine/tokenizer/tokenizer.ts";
import { train } from "../../../../worker/engine/train/train.ts";
import type { TrainEvent } from "../../../../worker/engine/train/types.ts";
import { makeTempDir } from "../support/tmp-dir.ts";
import { baseSpec } from "./support/fixtures.ts";

let root: string;
let cleanup: () => Promise<void>;
const texts = [
  "The President spoke to the Congress about the state of the Union.",
  "Call me Ishmael.",
  "The jury said it did not find any evidence of fraud in the election, which was held in September.",
  "It was the best of times.",
];

beforeAll(async () => {
  ({ dir: root, cleanup } = await makeTempDir("grades-packing-"));
  await initBackend("wasm", { threads: 1 });
  const model = join(root, "model");
  await initTinyModel(model, {
    preset: "qwen3-tiny",
    withTokenizer: false,
    overrides: { vocab_size: 8192, hidden_size: 32, intermediate_size: 64, bos_token_id: 1, eos_token_id: 2 },
  });
  for (const f of ["tokenizer.json", "tokenizer_config.json"])
    await copyFile(join(BUILTIN_MODEL_DIR, f), join(model, f));
  await writeFile(join(root, "text.jsonl"), `${texts.map((text) => JSON.stringify({ text })).join("\n")}\n`);
  await writeFile(join(root, "chat.jsonl"), `${JSON.stringify({ prompt: "a", completion: "b" })}\n`);
});
afterAll(async () => cleanup());

describe("fine-tuning with packing", () => {
  it("trains on full blocks of max_seq_len tokens, with no padding", async () => {
    const tok = await loadTokenizer(BUILTIN_MODEL_DIR);
    const stream = texts.reduce((n, t) => n + tok.encode(t).length + 1, 0);
    const blocks = Math.floor(stream / 8);
    const events: TrainEvent[] = [];
    const summary = await train(
      baseSpec(root, {
        trainFile: join(root, "text.jsonl"),
        outputDir: join(root, "out"),
        maxSeqLen: 8,
        packing: true,
        batchSize: blocks,
        maxSteps: 2,
      }),
      { onEvent: (e) => void events.push(e) },
    );
    const steps = events.flatMap((e) => (e.type === "step" ? [e.tokens] : []));
    // One batch holds every block: each step trains on exactly blocks × 8 real tokens.
    expect(steps).toEqual([blocks * 8, blocks * 8]);
    expect(summary.trainedTokens).toBe(2 * blocks * 8);
  });

  it("refuses packing for a dataset that is not plain text, naming the option", async () => {
    await expect(
      train(
        baseSpec(root, { trainFile: join(root, "chat.jsonl"), outputDir: join(root, "bad"), packing: true }),
      ),
    ).rejects.toThrow(/packing: needs \{"text"\} examples, the training file has "prompt_completion"/);
  });
});
