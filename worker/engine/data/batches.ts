// Batching: each epoch is a seeded shuffle, grouped into windows of many batches that are sorted by length
// (so a batch holds similar lengths and little padding) and the batches' order shuffled again. An epoch never
// starts with the batch the previous one ended with (see epochOrder). An epoch's batches depend only on
// (seed, epoch), so the data position {epoch, batch} is all a checkpoint needs.

import { Rng } from "../train/rng.ts";
import { IGNORE_INDEX } from "./formats.ts";
import type { TokenizedExample } from "./tokenize.ts";

/** Batches sorted together by length: this many batches' worth of examples. */
const LENGTH_WINDOW_BATCHES = 16;

export interface Batch {
  /** [B * T] row-major. */
  inputIds: Int32Array;
  labels: Int32Array;
  attentionMask: Int32Array;
  batchSize: number;
  seqLen: number;
  /** Target positions (labels after the shift that are not -100). */
  targets: number;
  /** Real (non-padding) tokens. */
  tokens: number;
  /**
   * Each row's index in the training data (example, or packed block): what the activation cache keys on.
   * Absent for batches that are not drawn from a training set.
   */
  indices?: number[];
}

export interface DataPosition {
  epoch: number;
  /** Index of the next batch within the epoch. */
  batch: number;
}

/** The batches (lists of example indices) of one epoch. */
export function epochBatches(lengths: number[], batchSize: number, seed: number, epoch: number): number[][] {
  const rng = new Rng((Math.imul(seed >>> 0, 0x9e3779b1) ^ Math.imul(epoch + 1, 0x85ebca6b)) >>> 0);
  const order = rng.shuffle(lengths.map((_, i) => i));
  const batches: number[][] = [];
  const window = batchSize * LENGTH_WINDOW_BATCHES;
  for (let w = 0; w < order.length; w += window) {
    // A stable sort: examples of equal length stay in their shuffled order, so they meet other partners each
    // epoch (ordering ties by index would put them in the same batches every epoch).
    const chunk = order.slice(w, w + window).sort((a, b) => lengths[b]! - lengths[a]!);
    for (let b = 0; b < chunk.length; b += batchSize) batches.push(chunk.slice(b, b + batchSize));
  }
  return rng.shuffle(batches);
}

function sameBatch(a: number[], b: number[]): boolean {
  if (a.length !== b.length) return false;
  const x = [...a].sort((p, q) => p - q);
  const y = [...b].sort((p, q) => p - q);
  return x.every((v, i) => v === y[i]);
}

/**
 * If `batches` (one epoch) would start with `previousLast`, the batch the previous epoch ended with, swaps that
 * batch with a later one. GradES measures ||grad_t - grad_(t-1)||_1: the same batch at two consecutive steps
 * makes that change collapse to the effect of one update, and on a tiny dataset every matrix would freeze at
 * once. With three or more batches the swap partner is drawn (seeded) among all but the last, so the epoch's
 * last batch is never moved; with two it can only be the other one; with one nothing can be done.
 */
function avoidRepeat(
  batches: number[][],
  previousLast: number[] | undefined,
  seed: number,
  epoch: number,
): number[][] {
  const n = batches.length;
  if (n < 2 || !previousLast || !sameBatch(batches[0]!, previousLast)) return batches;
  const j = n === 2 ? 1 : 1 + new Rng((Math.imul(seed >>> 0, 0x27d4eb2f) ^ epoch) >>> 0).int(n - 2);
  const first = batches[0]!;
  batches[0] = batches[j]!;
  batches[j] = first;
  return batches;
}

/**
 * The batches of one epoch as the stream serves them: epochBatches, with avoidRepeat applied against the
 * previous epoch as served. Since avoidRepeat moves an epoch's last batch only when there are two batches, the
 * previous epoch's last batch is found with one extra shuffle; with two batches the epochs are replayed from
 * the first (a tiny dataset: cheap).
 */
export function epochOrder(lengths: number[], batchSize: number, seed: number, epoch: number): number[][] {
  const n = Math.ceil(lengths.length / batchSize);
  let previousLast: number[] | undefined;
  for (let e = n === 2 ? 0 : Math.max(0, epoch - 1); e < epoch; e++) {
    previousLast = avoidRepeat(epochBatches(lengths, batchSize, seed, e), previousLast, seed, e).at(-1);
  }
  return avoidRepeat(epochBatches(lengths, batchSize, seed, epoch), previousLast, seed, epoch);
}

/**
 * Right-pads a batch to its longest example; padding has label -100 and attention mask 0. `indices`: the
 * examples' indices in their dataset.
 */
export function collate(examples: TokenizedExample[], padId: number, indices?: number[]): Batch {
  const batchSize = examples.length;
  const seqLen = Math.max(...examples.map((e) => e.inputIds.length));
  const inputIds = new Int32Array(batchSize * seqLen).fill(padId);
  const labels = new Int32Array(batchSize * seqLen).fill(IGNORE_INDEX);
  const attentionMask = new Int32Array(batchSize * seqLen);
  let targets = 0;
  let tokens = 0;
  examples.forEach((e, b) => {
    const row = b * seqLen;
    e.inputIds.forEach((id, t) => {
      inputIds[row + t] = id;
      labels[row + t] = e.labels[t]!;
      attentionMask[row + t] = 1;
      if (t > 0 && e.labels[t] !== IGNORE_INDEX) targets++;
    });
    tokens += e.inputIds.length;
  });
  return {
    inputIds,
    labels,
    attentionMask,
    batchSize,
    seqLen,
    targets,
    tokens,
    ...(indices ? { indices } : {}),
  };
}

/** What the trainer draws batches from: endless, and resumable from its position. */
export interface BatchSource {
  next(): Batch;
  readonly position: DataPosition;
  /** Fractional epochs consumed so far. */
  readonly epochProgress: number;
  readonly batchesPerEpoch: number;
}

/** A batch source starting at `start` (the beginning when absent). */
export type BatchSourceFactory = (start?: DataPosition) => BatchSource;

/** An endless stream of batches over epochs, resumable from a DataPosition. */
export class BatchStream implements BatchSource {
  private readonly lengths: number[];
  private current: number[][];
  private pos: DataPosition;

  constructor(
    private readonly examples: TokenizedExample[],
    private readonly batchSize: number,
    private readonly seed: number,
    private readonly padId: number,
    start: DataPosition = { epoch: 0, batch: 0 },
  ) {
    this.lengths = examples.map((e) => e.inputIds.length);
    this.pos = { ...start };
    this.current = epochOrder(this.lengths, batchSize, seed, start.epoch);
  }

  get batchesPerEpoch(): number {
    return Math.ceil(this.examples.length / this.batchSize);
  }

  get position(): DataPosition {
    return { ...this.pos };
  }

  /** Fractional epochs consumed so far. */
  get epochProgress(): number {
    return this.pos.epoch + this.pos.batch / this.batchesPerEpoch;
  }

  next(): Batch {
    if (this.pos.batch >= this.current.length) {
      const previousLast = this.current.at(-1);
      this.pos = { epoch: this.pos.epoch + 1, batch: 0 };
      const raw = epochBatches(this.lengths, this.batchSize, this.seed, this.pos.epoch);
      this.current = avoidRepeat(raw, previousLast, this.seed, this.pos.epoch);
    }
    const indices = this.current[this.pos.batch]!;
    this.pos = { epoch: this.pos.epoch, batch: this.pos.batch + 1 };
    return collate(
      indices.map((i) => this.examples[i]!),
      this.padId,
      indices,
    );
  }
}

/** Fixed-order batches over all examples (evaluation and scoring). */
export function sequentialBatches(examples: TokenizedExample[], batchSize: number, padId: number): Batch[] {
  const order = examples
    .map((_, i) => i)
    .sort((a, b) => examples[b]!.inputIds.length - examples[a]!.inputIds.length);
  const out: Batch[] = [];
  for (let b = 0; b < order.length; b += batchSize) {
    out.push(
      collate(
        order.slice(b, b + batchSize).map((i) => examples[i]!),
        padId,
      ),
    );
  }
  return out;
}
