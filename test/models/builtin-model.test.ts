// The shipped base model against its own record (build.json, written by `npm run build:base-model`): the weights
// are the ones recorded, the corpus is the one they were built from, and the held-out loss recomputed here on a
// slice of the held-out documents matches the model card.
import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  BUILTIN_MODEL_DIR,
  BUILTIN_MODEL_NAME,
  BUILTIN_MODEL_TRAINING_DEFAULTS,
} from "../../models/builtin.ts";
import type { BuildRecord } from "../../scripts/base-model/card.ts";
import { corpusDocuments } from "../../scripts/base-model/corpus.ts";
import { BASE_MODEL_RECIPE } from "../../scripts/base-model/recipe.ts";
import { isHeldOut } from "../../scripts/base-model/split.ts";
import { initBackend } from "../../worker/engine/backend.ts";
import { blocksToBatch } from "../../worker/engine/data/block-file.ts";
import { BlockPacker } from "../../worker/engine/data/pack.ts";
import type { DecoderModel } from "../../worker/engine/model/causal-lm.ts";
import { loadModel } from "../../worker/engine/model/loader.ts";
import type { Tokenizer } from "../../worker/engine/model/types.ts";
import { loadTokenizer } from "../../worker/engine/tokenizer/tokenizer.ts";
import { evaluateLoss } from "../../worker/engine/train/evaluate.ts";

let record: BuildRecord;
let model: DecoderModel;
let tokenizer: Tokenizer;

beforeAll(async () => {
  record = JSON.parse(await readFile(join(BUILTIN_MODEL_DIR, "build.json"), "utf8")) as BuildRecord;
  await initBackend("wasm");
  model = await loadModel(BUILTIN_MODEL_DIR);
  tokenizer = await loadTokenizer(BUILTIN_MODEL_DIR);
});
afterAll(() => model?.dispose());

/** The first `count` packed blocks of the held-out documents, as the build packed them. */
async function heldOutBlocks(count: number): Promise<Int32Array[]> {
  const { seed, validationFraction, train } = BASE_MODEL_RECIPE;
  const packer = new BlockPacker(train.blockSize, tokenizer.eosTokenId);
  const blocks: Int32Array[] = [];
  for await (const doc of corpusDocuments()) {
    if (!isHeldOut(doc.id, seed, validationFraction)) continue;
    blocks.push(...packer.push(tokenizer.encode(doc.text, { addSpecialTokens: true })));
    if (blocks.length >= count) break;
  }
  return blocks.slice(0, count);
}

describe(`the built-in model ${BUILTIN_MODEL_NAME}`, () => {
  it("ships the weights its build recorded, built from this recipe", async () => {
    const weights = await readFile(join(BUILTIN_MODEL_DIR, "model.safetensors"));
    expect(createHash("sha256").update(weights).digest("hex")).toBe(record.weightsSha256);
    expect(record.recipe).toEqual(BASE_MODEL_RECIPE);
    expect(record.name).toBe(BUILTIN_MODEL_NAME);
    const config = JSON.parse(await readFile(join(BUILTIN_MODEL_DIR, "config.json"), "utf8"));
    expect(config).toMatchObject({
      ...BASE_MODEL_RECIPE.model,
      torch_dtype: "bfloat16",
      grades_finetune: BUILTIN_MODEL_TRAINING_DEFAULTS,
    });
  });

  it("was built from the corpus the installed packages hold (the inputs hash)", async () => {
    const hash = createHash("sha256").update(JSON.stringify(BASE_MODEL_RECIPE));
    for await (const doc of corpusDocuments()) hash.update(`\u0000${doc.id}\u0000${doc.text}`);
    expect(hash.digest("hex")).toBe(record.inputsHash);
  });

  it("has the held-out loss on a slice of held-out documents that its model card gives, within 1%", async () => {
    const slice = record.evaluation.testSlice;
    const blocks = await heldOutBlocks(slice.blocks);
    expect(blocks).toHaveLength(slice.blocks);
    const batches = [];
    for (let b = 0; b < blocks.length; b += BASE_MODEL_RECIPE.train.batchSize)
      batches.push(blocksToBatch(blocks.slice(b, b + BASE_MODEL_RECIPE.train.batchSize)));
    const { loss, tokens } = await evaluateLoss(model, batches);
    expect(tokens).toBe(slice.tokens);
    expect(Math.abs(loss - slice.loss) / slice.loss).toBeLessThan(0.01);
    const card = await readFile(join(BUILTIN_MODEL_DIR, "README.md"), "utf8");
    expect(card).toContain(`loss ${slice.loss.toFixed(4)}`);
    expect(card).toContain(`**${record.evaluation.heldOut.loss.toFixed(3)}**`);
    expect(card).toContain(record.inputsHash);
  });

  // The bar of a base model worth fine-tuning: clearly below an add-k bigram on the same held-out blocks and
  // tokenizer (by a tenth of a nat per token at least, not by rounding).
  it("beats the add-k bigram baseline on the held-out documents", () => {
    const { heldOut, bigram } = record.evaluation;
    expect(heldOut.tokens).toBe(bigram.tokens);
    expect(heldOut.loss).toBeLessThan(bigram.loss - 0.1);
  });
});
