import { describe, expect, it } from "vitest";
import { BatchStream, collate, epochBatches } from "../../../worker/engine/data/batches.ts";
import { tokenizeDatasetText } from "../../../worker/engine/data/dataset.ts";
import { DataFormatError } from "../../../worker/engine/data/formats.ts";
import type { TokenizedExample } from "../../../worker/engine/data/tokenize.ts";

const ex = (n: number, start = 1): TokenizedExample => {
  const ids = Array.from({ length: n }, (_, i) => start + i);
  return { inputIds: ids, labels: ids };
};

describe("batching", () => {
  it("pads to the longest example with label -100 and attention mask 0", () => {
    const b = collate([ex(3), { inputIds: [7, 8], labels: [-100, 8] }], 0);
    expect(b.seqLen).toBe(3);
    expect(Array.from(b.inputIds)).toEqual([1, 2, 3, 7, 8, 0]);
    expect(Array.from(b.labels)).toEqual([1, 2, 3, -100, 8, -100]);
    expect(Array.from(b.attentionMask)).toEqual([1, 1, 1, 1, 1, 0]);
    expect(b.targets).toBe(3);
    expect(b.tokens).toBe(5);
  });

  it("covers every example once per epoch, groups similar lengths, and depends only on (seed, epoch)", () => {
    const lengths = Array.from({ length: 64 }, (_, i) => 2 + ((i * 37) % 50));
    const a = epochBatches(lengths, 4, 7, 0);
    expect(a.flat().sort((x, y) => x - y)).toEqual(lengths.map((_, i) => i));
    expect(epochBatches(lengths, 4, 7, 0)).toEqual(a);
    expect(epochBatches(lengths, 4, 7, 1)).not.toEqual(a);
    expect(epochBatches(lengths, 4, 8, 0)).not.toEqual(a);
    // Within a batch, lengths are close: much closer than in a random batch.
    const spread = a.map(
      (b) => Math.max(...b.map((i) => lengths[i]!)) - Math.min(...b.map((i) => lengths[i]!)),
    );
    expect(Math.max(...spread)).toBeLessThan(15);
  });

  it("resumes from a saved position with the same batches as the uninterrupted stream", () => {
    const data = Array.from({ length: 10 }, (_, i) => ex(2 + (i % 4), i * 10));
    const whole = new BatchStream(data, 3, 5, 0);
    const seq = Array.from({ length: 9 }, () => Array.from(whole.next().inputIds));
    const first = new BatchStream(data, 3, 5, 0);
    for (let i = 0; i < 5; i++) first.next();
    const resumed = new BatchStream(data, 3, 5, 0, first.position);
    expect(first.position).toEqual({ epoch: 1, batch: 1 });
    expect(Array.from({ length: 4 }, () => Array.from(resumed.next().inputIds))).toEqual(seq.slice(5));
  });
});

describe("dataset files", () => {
  it("reads pre-tokenized lines, truncates to max_seq_len and drops examples left without targets", () => {
    const text = [
      JSON.stringify({ input_ids: [1, 2, 3, 4, 5] }),
      "",
      JSON.stringify({ input_ids: [1, 2, 3, 4], labels: [-100, -100, -100, 4] }),
    ].join("\n");
    const d = tokenizeDatasetText(text, { maxSeqLen: 3 });
    expect(d.examples).toEqual([{ inputIds: [1, 2, 3], labels: [1, 2, 3] }]);
    expect(d.dropped).toBe(1);
  });

  it("names the bad line", () => {
    const text = [JSON.stringify({ input_ids: [1, 2] }), "{not json"].join("\n");
    expect(() => tokenizeDatasetText(text, { maxSeqLen: 8 })).toThrowError(DataFormatError);
    expect(() => tokenizeDatasetText(text, { maxSeqLen: 8 })).toThrowError(/^line 2: invalid JSON/);
    expect(() =>
      tokenizeDatasetText(JSON.stringify({ input_ids: [1, 99] }), { maxSeqLen: 8, vocabSize: 50 }),
    ).toThrowError(/line 1: token id 99/);
    expect(() => tokenizeDatasetText(JSON.stringify({ text: "hi" }), { maxSeqLen: 8 })).toThrowError(
      /line 1: the model has no tokenizer/,
    );
  });
});
