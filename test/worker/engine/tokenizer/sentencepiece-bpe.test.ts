import { Tokenizer as HfTokenizer } from "@huggingface/tokenizers";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BUILTIN_MODEL_DIR } from "../../../../models/builtin.ts";
import type { Tokenizer } from "../../../../worker/engine/model/types.ts";
import {
  parseSentencePieceVocab,
  sentencePieceToHfTokenizer,
} from "../../../../worker/engine/tokenizer/sentencepiece-bpe.ts";
import { loadTokenizer } from "../../../../worker/engine/tokenizer/tokenizer.ts";

/** A hand-made SentencePiece vocabulary: specials, the 256 byte pieces, then pieces by descending score. */
function tinyVocab(): string {
  const lines = ["<unk>\t0", "<s>\t0", "</s>\t0"];
  for (let b = 0; b < 256; b++) lines.push(`<0x${b.toString(16).toUpperCase().padStart(2, "0")}>\t0`);
  const pieces = ["▁t", "he", "▁the", "▁a", "▁", "t", "h", "e", "a"];
  for (const [i, p] of pieces.entries()) lines.push(`${p}\t${-i}`);
  return `${lines.join("\n")}\n`;
}

describe("SentencePiece BPE as tokenizer.json", () => {
  it("rebuilds merges from the vocabulary by score, as transformers' converter does", () => {
    const json = sentencePieceToHfTokenizer(parseSentencePieceVocab(tinyVocab()), {
      specialTokens: ["<unk>", "<s>", "</s>"],
      unkToken: "<unk>",
    }) as { model: { merges: string[] } };
    // "▁t" (score 0) first, then "he", then "▁the" = "▁t"+"he" (its only split into two pieces), then "▁a".
    expect(json.model.merges).toEqual(["▁ t", "h e", "▁t he", "▁ a"]);
    const tok = new HfTokenizer(json as never, {});
    expect(tok.encode("the ate").tokens).toEqual(["▁the", "▁a", "t", "e"]);
    // A character outside the vocabulary falls back to its UTF-8 bytes.
    expect(tok.encode("é").tokens).toEqual(["▁", "<0xC3>", "<0xA9>"]);
    expect(tok.decode(tok.encode("the é").ids)).toBe("the é");
  });

  it("refuses a vocabulary without the 256 byte pieces", () => {
    const entries = parseSentencePieceVocab(tinyVocab()).filter((e) => e.piece !== "<0x41>");
    expect(() =>
      sentencePieceToHfTokenizer(entries, { specialTokens: ["<unk>"], unkToken: "<unk>" }),
    ).toThrow(/expected 256 byte-fallback pieces, found 255/);
  });
});

describe("the built-in model's tokenizer", () => {
  let tok: Tokenizer;
  beforeAll(async () => {
    tok = await loadTokenizer(BUILTIN_MODEL_DIR);
  });
  afterAll(() => undefined);

  it("has at most 8192 tokens, with EOS and the ChatML markers as special tokens", () => {
    expect(tok.vocabSize).toBe(8192);
    expect(tok.decode([tok.eosTokenId])).toBe("</s>");
    expect(tok.encode("<|im_start|>user\nhi<|im_end|>").at(0)).toBe(3);
    expect(tok.encode("<|im_start|>user\nhi<|im_end|>").at(-1)).toBe(4);
  });

  it.each([
    ["English", "The President of the United States, in 1862."],
    ["emoji", "Whales 🐋🐳 and a family: 👩‍👩‍👧‍👦!"],
    ["CJK", "白鯨記 は メルヴィル の 小説 です。한국어도."],
    ["control characters", "a\u0000b\u0001c\u001f\td\r\ne\u007f"],
    ["runs of spaces", "  leading,   inner  and trailing   "],
  ])("round-trips %s exactly", (_name, text) => {
    expect(tok.decode(tok.encode(text))).toBe(text);
  });

  it("encodes running English compactly (not byte by byte)", () => {
    const text =
      "Call me Ishmael. Some years ago, never mind how long precisely, I thought I would sail about.";
    expect(tok.encode(text).length).toBeLessThan(text.length / 3);
  });

  it("renders chat with the ChatML template", () => {
    expect(tok.applyChatTemplate([{ role: "user", content: "Hello" }], { addGenerationPrompt: true })).toBe(
      "<|im_start|>user\nHello<|im_end|>\n<|im_start|>assistant\n",
    );
  });
});
