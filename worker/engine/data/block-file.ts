// Packed blocks on disk: a flat little-endian array of token ids (uint16 when the vocabulary fits, else int32)
// with a JSON header beside it. Training reads one batch of blocks at a time at its offset, so a corpus larger
// than memory trains as well as a small one, and the data position {epoch, batch} is all a resume needs.
import { closeSync, openSync, readSync } from "node:fs";
import { open, readFile, rename, writeFile } from "node:fs/promises";
import { Rng } from "../train/rng.ts";
import type { Batch, DataPosition } from "./batches.ts";

export interface BlockFileHeader {
  blockSize: number;
  blocks: number;
  dtype: "uint16" | "int32";
}

const headerPath = (path: string) => `${path}.json`;

/** Writes the blocks of `source` to `path` (+ `path`.json); returns the header. Atomic: a crash leaves no file. */
export async function writeBlockFile(
  path: string,
  source: AsyncIterable<Int32Array> | Iterable<Int32Array>,
  blockSize: number,
  vocabSize: number,
  /** Extra header fields (e.g. what the blocks were packed from). */
  extra: Record<string, unknown> = {},
): Promise<BlockFileHeader> {
  const dtype = vocabSize <= 65536 ? "uint16" : "int32";
  const tmp = `${path}.tmp`;
  const file = await open(tmp, "w");
  let blocks = 0;
  try {
    for await (const block of source) {
      if (block.length !== blockSize)
        throw new Error(`block of ${block.length} tokens, expected ${blockSize}`);
      const data = dtype === "uint16" ? Uint16Array.from(block) : block;
      await file.write(new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
      blocks++;
    }
  } finally {
    await file.close();
  }
  const header: BlockFileHeader = { blockSize, blocks, dtype };
  await rename(tmp, path);
  await writeFile(headerPath(path), `${JSON.stringify({ ...header, ...extra })}\n`);
  return header;
}

export async function readBlockFileHeader(path: string): Promise<BlockFileHeader> {
  return JSON.parse(await readFile(headerPath(path), "utf8")) as BlockFileHeader;
}

/** A packed batch: every position is a real token and a target. `indices`: the blocks' indices in their file. */
export function blocksToBatch(blocks: Int32Array[], indices?: number[]): Batch {
  const seqLen = blocks[0]!.length;
  const inputIds = new Int32Array(blocks.length * seqLen);
  blocks.forEach((b, i) => {
    inputIds.set(b, i * seqLen);
  });
  return {
    inputIds,
    labels: inputIds.slice(),
    attentionMask: new Int32Array(inputIds.length).fill(1),
    batchSize: blocks.length,
    seqLen,
    targets: blocks.length * (seqLen - 1),
    tokens: inputIds.length,
    ...(indices ? { indices } : {}),
  };
}

/** Random access to the blocks of a block file. */
export class BlockFile {
  private readonly fd: number;
  private readonly bytesPerToken: number;

  constructor(
    path: string,
    readonly header: BlockFileHeader,
  ) {
    this.fd = openSync(path, "r");
    this.bytesPerToken = header.dtype === "uint16" ? 2 : 4;
  }

  static async open(path: string): Promise<BlockFile> {
    return new BlockFile(path, await readBlockFileHeader(path));
  }

  block(index: number): Int32Array {
    const { blockSize, blocks } = this.header;
    if (index < 0 || index >= blocks) throw new Error(`block ${index} out of range (${blocks} blocks)`);
    const bytes = new Uint8Array(blockSize * this.bytesPerToken);
    readSync(this.fd, bytes, 0, bytes.length, index * bytes.length);
    return this.header.dtype === "uint16"
      ? Int32Array.from(new Uint16Array(bytes.buffer))
      : new Int32Array(bytes.buffer);
  }

  /** Blocks [start, start + count) as fixed-order batches (evaluation). */
  sequentialBatches(batchSize: number, start = 0, count = this.header.blocks - start): Batch[] {
    const out: Batch[] = [];
    const end = Math.min(this.header.blocks, start + count);
    for (let b = start; b < end; b += batchSize) {
      const ids = Array.from({ length: Math.min(batchSize, end - b) }, (_, k) => b + k);
      out.push(blocksToBatch(ids.map((i) => this.block(i))));
    }
    return out;
  }

  close(): void {
    closeSync(this.fd);
  }
}

/**
 * An endless stream of batches over a block file: each epoch is a seeded shuffle of the blocks, cut into batches
 * (a last short batch is dropped so every step sees the same number of tokens).
 */
export class BlockBatchStream {
  private order: number[];
  private pos: DataPosition;

  constructor(
    private readonly file: BlockFile,
    private readonly batchSize: number,
    private readonly seed: number,
    start: DataPosition = { epoch: 0, batch: 0 },
  ) {
    if (file.header.blocks < batchSize)
      throw new Error(`the corpus has ${file.header.blocks} blocks, fewer than one batch of ${batchSize}`);
    this.pos = { ...start };
    this.order = this.epochOrder(start.epoch);
  }

  private epochOrder(epoch: number): number[] {
    const rng = new Rng((Math.imul(this.seed >>> 0, 0x9e3779b1) ^ Math.imul(epoch + 1, 0x85ebca6b)) >>> 0);
    return rng.shuffle(Array.from({ length: this.file.header.blocks }, (_, i) => i));
  }

  get batchesPerEpoch(): number {
    return Math.floor(this.file.header.blocks / this.batchSize);
  }

  get position(): DataPosition {
    return { ...this.pos };
  }

  get epochProgress(): number {
    return this.pos.epoch + this.pos.batch / this.batchesPerEpoch;
  }

  next(): Batch {
    if (this.pos.batch >= this.batchesPerEpoch) {
      this.pos = { epoch: this.pos.epoch + 1, batch: 0 };
      this.order = this.epochOrder(this.pos.epoch);
    }
    const first = this.pos.batch * this.batchSize;
    const ids = this.order.slice(first, first + this.batchSize);
    this.pos = { epoch: this.pos.epoch, batch: this.pos.batch + 1 };
    return blocksToBatch(
      ids.map((i) => this.file.block(i)),
      ids,
    );
  }
}
