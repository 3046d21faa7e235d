// A batch cut into consecutive groups of rows, one per data-parallel replica. Each part keeps the batch's
// padded length, so every row is computed exactly as it is in the whole batch.
import type { Batch } from "./batches.ts";
import { IGNORE_INDEX } from "./formats.ts";

/** Targets in a row: its labels after the first position that are not ignored (as collate() counts them). */
function rowTargets(labels: Int32Array, row: number, seqLen: number): number {
  let n = 0;
  for (let t = row * seqLen + 1; t < (row + 1) * seqLen; t++) if (labels[t] !== IGNORE_INDEX) n++;
  return n;
}

/** Rows [from, to) of a batch as a batch of their own. */
export function batchRows(batch: Batch, from: number, to: number): Batch {
  const T = batch.seqLen;
  const mask = batch.attentionMask.slice(from * T, to * T);
  const labels = batch.labels.slice(from * T, to * T);
  let targets = 0;
  for (let r = 0; r < to - from; r++) targets += rowTargets(labels, r, T);
  return {
    inputIds: batch.inputIds.slice(from * T, to * T),
    labels,
    attentionMask: mask,
    batchSize: to - from,
    seqLen: T,
    targets,
    tokens: mask.reduce((n, m) => n + m, 0),
    ...(batch.indices ? { indices: batch.indices.slice(from, to) } : {}),
  };
}

/** The batch in `parts` groups of consecutive rows, as even as they go (the first ones take the extra rows). */
export function splitRows(batch: Batch, parts: number): Batch[] {
  const n = Math.min(parts, batch.batchSize);
  const out: Batch[] = [];
  let from = 0;
  for (let p = 0; p < n; p++) {
    const rows = Math.floor(batch.batchSize / n) + (p < batch.batchSize % n ? 1 : 0);
    out.push(batchRows(batch, from, from + rows));
    from += rows;
  }
  return out;
}
