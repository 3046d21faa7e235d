import { copyFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { QWEN3_TOKENIZER_SIZE, qwen3TokenizerDir } from "../../../../worker/engine/model/init.ts";
import type { Tokenizer } from "../../../../worker/engine/model/types.ts";
import { loadTokenizer } from "../../../../worker/engine/tokenizer/tokenizer.ts";
import { makeTempDir } from "../support/tmp-dir.ts";

describe("Qwen3 tokenizer (from the tokenizer.json/tokenizer_config.json shipped offline)", () => {
  let tok: Tokenizer;
  let dir: string;
  let cleanup: () => Promise<void>;
  beforeAll(async () => {
    tok = await loadTokenizer(qwen3TokenizerDir());
    ({ dir, cleanup } = await makeTempDir());
  });
  afterAll(() => cleanup());

  it("knows its vocabulary size and special ids", () => {
    expect(tok.vocabSize).toBe(QWEN3_TOKENIZER_SIZE);
    expect(tok.eosTokenId).toBe(151645); // <|im_end|>
    expect(tok.padTokenId).toBe(151643); // <|endoftext|>
  });

  it("encodes known text to Qwen's ids and decodes it back", () => {
    // "Hello world" is ["Hello", "Ġworld"] in Qwen's byte-level BPE.
    expect(tok.encode("Hello world")).toEqual([9707, 1879]);
    for (const text of ["Grüße, 世界! 12345\n\tcode()", "  leading spaces", "emoji 🙂 ok"]) {
      expect(tok.decode(tok.encode(text))).toBe(text);
    }
  });

  it("treats special tokens as single ids and can skip them when decoding", () => {
    const ids = tok.encode("<|im_start|>user\nhi<|im_end|>");
    expect(ids[0]).toBe(151644);
    expect(ids.at(-1)).toBe(151645);
    expect(tok.decode(ids, { skipSpecialTokens: true })).toBe("user\nhi");
  });

  it("renders the chat template", () => {
    const text = tok.applyChatTemplate(
      [
        { role: "system", content: "Be brief." },
        { role: "user", content: "2+2?" },
        { role: "assistant", content: "4" },
      ],
      { addGenerationPrompt: false },
    );
    expect(text).toContain(
      "<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\n2+2?<|im_end|>\n<|im_start|>assistant\n",
    );
    expect(text).toMatch(/4<\|im_end\|>\n$/);
    const prompt = tok.applyChatTemplate([{ role: "user", content: "hi" }], { addGenerationPrompt: true });
    expect(prompt).toBe("<|im_start|>user\nhi<|im_end|>\n<|im_start|>assistant\n");
  });

  it("falls back to config.json for eos and names a missing tokenizer.json", async () => {
    await copyFile(join(qwen3TokenizerDir(), "tokenizer.json"), join(dir, "tokenizer.json"));
    await writeFile(join(dir, "config.json"), JSON.stringify({ eos_token_id: [151643, 151645] }));
    const t = await loadTokenizer(dir);
    expect(t.eosTokenId).toBe(151643);
    expect(t.padTokenId).toBe(151643);
    expect(() => t.applyChatTemplate([{ role: "user", content: "x" }])).toThrow(/no chat_template/);
    await expect(loadTokenizer(join(dir, "nope"))).rejects.toThrow(/no tokenizer\.json/);
  });
});
