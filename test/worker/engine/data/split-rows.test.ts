import { describe, expect, it } from "vitest";
import { collate } from "../../../../worker/engine/data/batches.ts";
import { IGNORE_INDEX } from "../../../../worker/engine/data/formats.ts";
import { splitRows } from "../../../../worker/engine/data/split-rows.ts";

/** Five examples of different lengths; the second one's prompt is not a target. */
const EXAMPLES = [
  { inputIds: [1, 2, 3], labels: [1, 2, 3] },
  { inputIds: [4, 5, 6, 7], labels: [IGNORE_INDEX, IGNORE_INDEX, 6, 7] },
  { inputIds: [8, 9], labels: [8, 9] },
  { inputIds: [10, 11, 12, 13, 14], labels: [10, 11, 12, 13, 14] },
  { inputIds: [15], labels: [15] },
];

describe("splitRows", () => {
  const batch = collate(EXAMPLES, 0, [10, 11, 12, 13, 14]);

  it("cuts a batch into consecutive rows, the first parts taking the extra rows, each padded as the whole", () => {
    const parts = splitRows(batch, 2);
    expect(parts.map((p) => p.batchSize)).toEqual([3, 2]);
    expect(parts.map((p) => p.seqLen)).toEqual([5, 5]);
    expect(parts.map((p) => p.indices)).toEqual([
      [10, 11, 12],
      [13, 14],
    ]);
    expect(Array.from(parts[1]!.inputIds)).toEqual([10, 11, 12, 13, 14, 15, 0, 0, 0, 0]);
    expect(Array.from(parts[1]!.attentionMask)).toEqual([1, 1, 1, 1, 1, 1, 0, 0, 0, 0]);
  });

  it("counts each part's targets and tokens as collate counts them for the same rows", () => {
    for (const n of [1, 2, 3, 5]) {
      const parts = splitRows(batch, n);
      let row = 0;
      for (const p of parts) {
        const alone = collate(EXAMPLES.slice(row, row + p.batchSize), 0);
        row += p.batchSize;
        expect([p.targets, p.tokens]).toEqual([alone.targets, alone.tokens]);
      }
      expect(parts.reduce((s, p) => s + p.targets, 0)).toBe(batch.targets);
      expect(parts.reduce((s, p) => s + p.tokens, 0)).toBe(batch.tokens);
    }
  });

  it("gives no empty part when asked for more parts than rows", () => {
    expect(splitRows(batch, 8).map((p) => p.batchSize)).toEqual([1, 1, 1, 1, 1]);
  });
});
