// The bar the base model must clear: an add-k smoothed bigram model, counted on the same training blocks and
// scored on the same held-out blocks with the same tokenizer. Like the model, it predicts every position of a
// block from the one before (the first token of a block is not scored).
import type { BlockFile } from "../../worker/engine/index.ts";

export interface BigramCounts {
  vocabSize: number;
  unigram: Float64Array;
  /** Pair counts keyed previous * vocabSize + next. */
  pairs: Map<number, number>;
}

export function countBigrams(file: BlockFile, vocabSize: number): BigramCounts {
  const unigram = new Float64Array(vocabSize);
  const pairs = new Map<number, number>();
  for (let b = 0; b < file.header.blocks; b++) {
    const block = file.block(b);
    for (let t = 1; t < block.length; t++) {
      const prev = block[t - 1]!;
      unigram[prev]! += 1;
      const key = prev * vocabSize + block[t]!;
      pairs.set(key, (pairs.get(key) ?? 0) + 1);
    }
  }
  return { vocabSize, unigram, pairs };
}

/** Mean negative log-likelihood (nats per token) of the held-out blocks under add-k smoothing. */
export function bigramLoss(
  counts: BigramCounts,
  file: BlockFile,
  k: number,
): { loss: number; tokens: number } {
  const V = counts.vocabSize;
  let sum = 0;
  let tokens = 0;
  for (let b = 0; b < file.header.blocks; b++) {
    const block = file.block(b);
    for (let t = 1; t < block.length; t++) {
      const prev = block[t - 1]!;
      const c = counts.pairs.get(prev * V + block[t]!) ?? 0;
      sum -= Math.log((c + k) / (counts.unigram[prev]! + k * V));
      tokens++;
    }
  }
  return { loss: sum / tokens, tokens };
}

/** The k of `grid` with the lowest held-out loss: the baseline gets its best setting. */
export function bestBigram(
  counts: BigramCounts,
  file: BlockFile,
  grid: readonly number[],
): { k: number; loss: number; tokens: number } {
  let best: { k: number; loss: number; tokens: number } | undefined;
  for (const k of grid) {
    const r = bigramLoss(counts, file, k);
    if (!best || r.loss < best.loss) best = { k, ...r };
  }
  return best!;
}
