import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BUILTIN_MODEL_DIR } from "../../../../models/builtin.ts";
import { BlockBatchStream, BlockFile, writeBlockFile } from "../../../../worker/engine/data/block-file.ts";
import { DataFormatError } from "../../../../worker/engine/data/formats.ts";
import { BlockPacker, packExamples, packTextFile } from "../../../../worker/engine/data/pack.ts";
import { loadTokenizer } from "../../../../worker/engine/tokenizer/tokenizer.ts";
import { makeTempDir } from "../support/tmp-dir.ts";

const EOS = 99;
let root: string;
let cleanup: () => Promise<void>;

beforeAll(async () => {
  ({ dir: root, cleanup } = await makeTempDir("grades-pack-"));
});
afterAll(async () => cleanup());

describe("packing", () => {
  it("joins documents with EOS into blocks of exactly the block size, dropping only the last partial block", () => {
    const docs = [[1, 2, 3], [4, 5], [6, 7, 8, 9, 10, 11], [12]];
    const blocks = packExamples(
      docs.map((d) => ({ inputIds: d, labels: d })),
      4,
      EOS,
    );
    // The stream is 1 2 3 E 4 5 E 6 7 8 9 10 11 E 12 E (16 tokens): four full blocks, nothing left over.
    expect(blocks.map((b) => b.inputIds)).toEqual([
      [1, 2, 3, EOS],
      [4, 5, EOS, 6],
      [7, 8, 9, 10],
      [11, EOS, 12, EOS],
    ]);
    // Every position is a target: labels are the inputs (the loss shifts them).
    for (const b of blocks) expect(b.labels).toEqual(b.inputIds);
    const packer = new BlockPacker(4, EOS);
    expect(packer.push([1, 2])).toEqual([]);
    expect(packer.pending).toBe(3);
    expect(packer.push([3, 4, 5]).map((b) => Array.from(b))).toEqual([[1, 2, EOS, 3]]);
    expect(packer.pending).toBe(3);
  });

  it("streams a text JSONL file through the tokenizer into full blocks with EOS between documents", async () => {
    const tok = await loadTokenizer(BUILTIN_MODEL_DIR);
    const texts = ["The President spoke.", "Call me Ishmael.", "It was a dark night, and the sea was high."];
    const file = join(root, "docs.jsonl");
    await writeFile(file, `${texts.map((text) => JSON.stringify({ text })).join("\n")}\n\n`);
    const blocks: Int32Array[] = [];
    for await (const b of packTextFile(file, tok, 8)) blocks.push(b);
    const stream = texts.flatMap((t) => [...tok.encode(t), tok.eosTokenId]);
    expect(blocks.length).toBe(Math.floor(stream.length / 8));
    expect(blocks.every((b) => b.length === 8)).toBe(true);
    expect(blocks.flatMap((b) => Array.from(b))).toEqual(stream.slice(0, blocks.length * 8));
    expect(stream.filter((id) => id === tok.eosTokenId)).toHaveLength(texts.length);
  });

  it("names the line of a non-text example", async () => {
    const tok = await loadTokenizer(BUILTIN_MODEL_DIR);
    const file = join(root, "mixed.jsonl");
    await writeFile(
      file,
      `${JSON.stringify({ text: "fine" })}\n${JSON.stringify({ prompt: "a", completion: "b" })}\n`,
    );
    const drain = async () => {
      for await (const _ of packTextFile(file, tok, 4)) void _;
    };
    await expect(drain()).rejects.toThrow(DataFormatError);
    await expect(drain()).rejects.toThrow(/line 2: packing reads \{"text": \.\.\.\} examples/);
  });
});

describe("block files", () => {
  it("store blocks compactly and serve resumable, seeded batches of whole blocks", async () => {
    const path = join(root, "train.blocks");
    const blocks = Array.from({ length: 10 }, (_, i) => Int32Array.from({ length: 6 }, (_, t) => i * 10 + t));
    const header = await writeBlockFile(path, blocks, 6, 8192);
    expect(header).toEqual({ blockSize: 6, blocks: 10, dtype: "uint16" });
    const file = await BlockFile.open(path);
    expect(Array.from(file.block(7))).toEqual(Array.from(blocks[7]!));
    const eval2 = file.sequentialBatches(4, 0, 6);
    expect(eval2.map((b) => b.batchSize)).toEqual([4, 2]);
    expect(eval2[0]!.targets).toBe(4 * 5);
    expect(Array.from(eval2[0]!.attentionMask).every((m) => m === 1)).toBe(true);

    const stream = new BlockBatchStream(file, 3, 42);
    expect(stream.batchesPerEpoch).toBe(3);
    const firstEpoch = [stream.next(), stream.next(), stream.next()];
    const seen = firstEpoch.flatMap((b) => Array.from({ length: 3 }, (_, r) => b.inputIds[r * 6]! / 10));
    expect(new Set(seen).size).toBe(9);
    // Each row names its block, as the activation cache keys packed data.
    expect(firstEpoch.flatMap((b) => b.indices)).toEqual(seen);
    const position = stream.position;
    const next = [stream.next(), stream.next()];
    const resumed = new BlockBatchStream(file, 3, 42, position);
    expect([resumed.next(), resumed.next()].map((b) => Array.from(b.inputIds))).toEqual(
      next.map((b) => Array.from(b.inputIds)),
    );
    expect(stream.position.epoch).toBe(1);
    file.close();
  });
});
