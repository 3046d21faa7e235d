// Reads a JSONL file into tokenized, truncated examples. Every line is parsed with the same code that validates
// uploads; a bad line throws a DataFormatError naming it.
import { readFile } from "node:fs/promises";
import type { Tokenizer } from "../model/types.ts";
import { DataFormatError, type ExampleFormat, parseExampleLine } from "./formats.ts";
import { hasTargets, type TokenizedExample, tokenizeExample, truncate } from "./tokenize.ts";

export interface LoadedDataset {
  examples: TokenizedExample[];
  format: ExampleFormat;
  /** Examples left with no target after truncation (skipped). */
  dropped: number;
}

export interface LoadDatasetOptions {
  tokenizer?: Tokenizer;
  maxSeqLen: number;
  vocabSize?: number;
}

export function tokenizeDatasetText(text: string, opts: LoadDatasetOptions): LoadedDataset {
  const lines = text.split(/\r?\n/);
  const examples: TokenizedExample[] = [];
  let format: ExampleFormat | undefined;
  let dropped = 0;
  lines.forEach((raw, i) => {
    const n = i + 1;
    if (raw.trim().length === 0) return;
    const ex = parseExampleLine(raw, n, opts.vocabSize);
    if (format === undefined) format = ex.format;
    else if (ex.format !== format) {
      throw new DataFormatError(
        n,
        `format "${ex.format}" differs from the file's first example ("${format}")`,
      );
    }
    const tokens = truncate(tokenizeExample(ex, opts.tokenizer, n), opts.maxSeqLen);
    if (opts.vocabSize !== undefined) {
      const bad = tokens.inputIds.find((t) => t >= opts.vocabSize!);
      if (bad !== undefined) {
        throw new DataFormatError(
          n,
          `token id ${bad} is outside the model's vocabulary (size ${opts.vocabSize})`,
        );
      }
    }
    if (hasTargets(tokens)) examples.push(tokens);
    else dropped++;
  });
  if (format === undefined) throw new DataFormatError(Math.max(lines.length, 1), "the file has no examples");
  if (examples.length === 0) {
    throw new DataFormatError(1, `no example keeps a token to train on within max_seq_len ${opts.maxSeqLen}`);
  }
  return { examples, format, dropped };
}

export async function loadDataset(path: string, opts: LoadDatasetOptions): Promise<LoadedDataset> {
  return tokenizeDatasetText(await readFile(path, "utf8"), opts);
}
