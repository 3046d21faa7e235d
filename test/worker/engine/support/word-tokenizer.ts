// A small real tokenizer for model folders in tests: word-level, one token per whitespace-separated word, with
// `</s>` as its end-of-sequence token. It loads in @huggingface/tokenizers exactly as a model's own would.
import { writeFile } from "node:fs/promises";
import { join } from "node:path";

export async function writeWordTokenizer(dir: string, words = ["hello", "world"]): Promise<void> {
  const vocab: Record<string, number> = { "<unk>": 0, "</s>": 1 };
  for (const w of words) vocab[w] = Object.keys(vocab).length;
  const tokenizer = {
    version: "1.0",
    added_tokens: [
      {
        id: 1,
        content: "</s>",
        single_word: false,
        lstrip: false,
        rstrip: false,
        normalized: false,
        special: true,
      },
    ],
    normalizer: null,
    pre_tokenizer: { type: "Whitespace" },
    post_processor: null,
    decoder: null,
    model: { type: "WordLevel", vocab, unk_token: "<unk>" },
  };
  await writeFile(join(dir, "tokenizer.json"), JSON.stringify(tokenizer));
  await writeFile(
    join(dir, "tokenizer_config.json"),
    JSON.stringify({ eos_token: "</s>", model_max_length: 4096 }),
  );
}
