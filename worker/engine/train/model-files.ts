// Loads the tokenizer a training or scoring run needs from a model folder, when the folder has one
// (a folder without tokenizer.json trains on pre-tokenized data only).
import { access } from "node:fs/promises";
import { join } from "node:path";
import type { Tokenizer } from "../model/types.ts";
import { loadTokenizer } from "../tokenizer/tokenizer.ts";

export async function loadTokenizerIfPresent(dir: string): Promise<Tokenizer | undefined> {
  try {
    await access(join(dir, "tokenizer.json"));
  } catch {
    return undefined;
  }
  return loadTokenizer(dir);
}
