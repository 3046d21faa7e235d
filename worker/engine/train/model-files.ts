// Loads what a training or scoring run needs from a model folder: the decoder and, when the folder has one,
// the tokenizer (a folder without tokenizer.json trains on pre-tokenized data only).
import { access } from "node:fs/promises";
import { join } from "node:path";
import type { Tokenizer } from "../model/types.ts";

export async function loadTokenizerIfPresent(dir: string): Promise<Tokenizer | undefined> {
  try {
    await access(join(dir, "tokenizer.json"));
  } catch {
    return undefined;
  }
  const { loadTokenizer } = await import("../tokenizer/tokenizer.ts");
  return loadTokenizer(dir);
}
