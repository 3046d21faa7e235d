// A small llama-shaped Hugging Face folder to register as a model, with a small real (word-level) tokenizer: the
// service loads the tokenizer when it checks a folder.

import { writeWordTokenizer } from "../../../test/worker/engine/support/word-tokenizer.ts";
import { initTinyModel } from "../../../worker/engine/index.ts";

export async function writeModelFolder(dir: string): Promise<void> {
  await initTinyModel(dir, {
    preset: "llama-tiny",
    seed: 7,
    withTokenizer: false,
    overrides: { vocab_size: 300 },
  });
  await writeWordTokenizer(dir);
}
