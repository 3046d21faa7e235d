import { describe, expect, it } from "vitest";
import {
  type Batch,
  BatchStream,
  collate,
  epochBatches,
  epochOrder,
} from "../../../../worker/engine/data/batches.ts";
import { tokenizeDatasetText } from "../../../../worker/engine/data/dataset.ts";
import { DataFormatError } from "../../../../worker/engine/data/formats.ts";
import type { TokenizedExample } from "../../../../worker/engine/data/tokenize.ts";

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

  it("puts examples of equal length with other partners from one epoch to the next", () => {
    const lengths = Array.from({ length: 16 }, () => 5);
    const partition = (epoch: number) =>
      epochBatches(lengths, 4, 7, epoch)
        .map((b) => [...b].sort((x, y) => x - y).join(","))
        .sort();
    expect(partition(1)).not.toEqual(partition(0));
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

  it("tells each row's index in the dataset, which the activation cache keys on", () => {
    const data = Array.from({ length: 10 }, (_, i) => ex(2 + (i % 4), i * 10));
    const stream = new BatchStream(data, 3, 5, 0);
    for (let step = 0; step < 8; step++) {
      const b = stream.next();
      expect(b.indices).toHaveLength(b.batchSize);
      b.indices!.forEach((index, row) => {
        expect(b.inputIds[row * b.seqLen]).toBe(index * 10);
      });
    }
  });
});

/** The examples of a batch, by their first token (the tests give every example a distinct one). */
const firstTokens = (b: Batch) =>
  Array.from({ length: b.batchSize }, (_, r) => b.inputIds[r * b.seqLen]!).sort((x, y) => x - y);

describe("epoch boundaries", () => {
  // 2, 3 and 5 batches per epoch; every example has its own length, so the length sort fixes the partition
  // and every epoch has the same batches in another order: when a repeat at the boundary is likeliest.
  const cases = [
    { examples: 8, batchSize: 4 },
    { examples: 9, batchSize: 3 },
    { examples: 10, batchSize: 2 },
  ];

  it("never serves the batch an epoch ended with as the next epoch's first, and still covers every example", () => {
    let rawRepeats = 0;
    for (const { examples, batchSize } of cases) {
      const data = Array.from({ length: examples }, (_, i) => ex(2 + i, 100 * i));
      const lengths = data.map((e) => e.inputIds.length);
      const perEpoch = Math.ceil(examples / batchSize);
      for (let seed = 0; seed < 8; seed++) {
        for (let e = 1; e < 12; e++) {
          const a = epochBatches(lengths, batchSize, seed, e - 1);
          const b = epochBatches(lengths, batchSize, seed, e);
          if (JSON.stringify(a.at(-1)) === JSON.stringify(b[0])) rawRepeats++;
        }
        const stream = new BatchStream(data, batchSize, seed, 0);
        const served = Array.from({ length: 12 * perEpoch }, () => firstTokens(stream.next()));
        for (let i = 1; i < served.length; i++) expect(served[i]).not.toEqual(served[i - 1]);
        for (let e = 0; e < 12; e++) {
          const epoch = served.slice(e * perEpoch, (e + 1) * perEpoch).flat();
          expect(epoch.sort((x, y) => x - y)).toEqual(data.map((_, i) => 100 * i));
        }
      }
    }
    // The plain shuffle does repeat a batch across the boundary in these cases: the check above is not vacuous.
    expect(rawRepeats).toBeGreaterThan(10);
  });

  it("resumes at any epoch with the batches of the uninterrupted stream, and epochOrder agrees with it", () => {
    for (const { examples, batchSize } of cases) {
      const data = Array.from({ length: examples }, (_, i) => ex(2 + i, 100 * i));
      const lengths = data.map((e) => e.inputIds.length);
      const perEpoch = Math.ceil(examples / batchSize);
      const whole = new BatchStream(data, batchSize, 11, 0);
      const served = Array.from({ length: 10 * perEpoch }, () => firstTokens(whole.next()));
      for (let e = 0; e < 10; e++) {
        const order = epochOrder(lengths, batchSize, 11, e).map((b) =>
          b.map((i) => 100 * i).sort((x, y) => x - y),
        );
        expect(order).toEqual(served.slice(e * perEpoch, (e + 1) * perEpoch));
      }
      for (const at of [perEpoch * 3, perEpoch * 5 + 1, perEpoch * 7 - 1]) {
        const resumed = new BatchStream(data, batchSize, 11, 0, {
          epoch: Math.floor(at / perEpoch),
          batch: at % perEpoch,
        });
        const rest = Array.from({ length: served.length - at }, () => firstTokens(resumed.next()));
        expect(rest).toEqual(served.slice(at));
      }
    }
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
