// Packing, as TRL's packing=True and nanoGPT's pretraining do: documents are joined with EOS into one token
// stream that is cut into blocks of exactly `blockSize` tokens. No padding; a document may span blocks; the
// last, partial block is dropped. Every token is a target.
import { createReadStream } from "node:fs";
import { createInterface } from "node:readline";
import type { Tokenizer } from "../model/types.ts";
import { DataFormatError, parseExampleLine } from "./formats.ts";
import type { TokenizedExample } from "./tokenize.ts";

/** Accumulates documents' tokens and hands out each block as soon as it is full. */
export class BlockPacker {
  private buffer: Int32Array;
  private filled = 0;

  constructor(
    readonly blockSize: number,
    readonly eosId: number,
  ) {
    if (!Number.isInteger(blockSize) || blockSize < 2)
      throw new Error(`block size must be an integer >= 2, got ${blockSize}`);
    this.buffer = new Int32Array(blockSize);
  }

  /** Appends one document and its EOS; returns the blocks this completed. */
  push(ids: ArrayLike<number>): Int32Array[] {
    const out: Int32Array[] = [];
    const put = (id: number) => {
      this.buffer[this.filled++] = id;
      if (this.filled === this.blockSize) {
        out.push(this.buffer);
        this.buffer = new Int32Array(this.blockSize);
        this.filled = 0;
      }
    };
    for (let i = 0; i < ids.length; i++) put(ids[i]!);
    put(this.eosId);
    return out;
  }

  /** Tokens held back in the unfinished block (dropped when the stream ends). */
  get pending(): number {
    return this.filled;
  }
}

/** Packs already-tokenized documents (e.g. a text dataset's examples when fine-tuning with packing). */
export function packExamples(
  examples: TokenizedExample[],
  blockSize: number,
  eosId: number,
): TokenizedExample[] {
  const packer = new BlockPacker(blockSize, eosId);
  const blocks = examples.flatMap((e) => packer.push(e.inputIds));
  return blocks.map((b) => ({ inputIds: Array.from(b), labels: Array.from(b) }));
}

/** The texts of a `{"text": ...}` JSONL file, one line at a time; any other format is an error naming the line. */
export async function* readTextLines(path: string): AsyncGenerator<string> {
  const lines = createInterface({
    input: createReadStream(path, "utf8"),
    crlfDelay: Number.POSITIVE_INFINITY,
  });
  let n = 0;
  for await (const raw of lines) {
    n++;
    if (raw.trim().length === 0) continue;
    const ex = parseExampleLine(raw, n);
    if (ex.format !== "text")
      throw new DataFormatError(n, `packing reads {"text": ...} examples, this line is "${ex.format}"`);
    yield ex.text;
  }
}

/** Streams a `{"text"}` JSONL file into packed blocks: tokenized line by line, never held whole. */
export async function* packTextFile(
  path: string,
  tokenizer: Tokenizer,
  blockSize: number,
): AsyncGenerator<Int32Array> {
  const packer = new BlockPacker(blockSize, tokenizer.eosTokenId);
  for await (const text of readTextLines(path)) {
    yield* packer.push(tokenizer.encode(text, { addSpecialTokens: true }));
  }
}
