import { beforeAll, describe, expect, it } from "vitest";
import { tokenizeDatasetText } from "../../../../worker/engine/data/dataset.ts";
import { DataFormatError, type Example, IGNORE_INDEX } from "../../../../worker/engine/data/formats.ts";
import { tokenizeExample, truncate } from "../../../../worker/engine/data/tokenize.ts";
import { qwen3TokenizerDir } from "../../../../worker/engine/model/init.ts";
import type { Tokenizer } from "../../../../worker/engine/model/types.ts";
import { loadTokenizer } from "../../../../worker/engine/tokenizer/tokenizer.ts";

let tok: Tokenizer;

beforeAll(async () => {
  tok = await loadTokenizer(qwen3TokenizerDir());
});

const trainedText = (ids: number[], labels: number[]) =>
  tok.decode(ids.filter((_, i) => labels[i] !== IGNORE_INDEX));

describe("tokenizing examples with Qwen3's tokenizer and chat template", () => {
  const chat: Example = {
    format: "chat",
    messages: [
      { role: "system", content: "Be brief." },
      { role: "user", content: "Hi" },
      { role: "assistant", content: "Hello there!" },
      { role: "user", content: "What is 2+2?" },
      { role: "assistant", content: "4" },
    ],
  };

  it("trains on every assistant turn and its end-of-turn token, nothing else", () => {
    const { inputIds, labels } = tokenizeExample(chat, tok, 1);
    expect(tok.decode(inputIds)).toBe(tok.applyChatTemplate(chat.messages));
    // Segment-wise encoding gives the same tokens as encoding the whole conversation.
    expect(inputIds).toEqual(tok.encode(tok.applyChatTemplate(chat.messages), { addSpecialTokens: false }));
    expect(trainedText(inputIds, labels)).toBe("Hello there!<|im_end|><think>\n\n</think>\n\n4<|im_end|>");
    labels.forEach((l, i) => {
      if (l !== IGNORE_INDEX) expect(l).toBe(inputIds[i]);
    });
  });

  it("leaves an assistant turn with weight 0 out of the loss", () => {
    const weighted: Example = {
      format: "chat",
      messages: chat.messages.map((m, i) => (i === 2 ? { ...m, weight: 0 as const } : m)),
    };
    const { inputIds, labels } = tokenizeExample(weighted, tok, 1);
    expect(trainedText(inputIds, labels)).toBe("<think>\n\n</think>\n\n4<|im_end|>");
  });

  it("trains on the completion (and EOS) of prompt/completion, and on all tokens of text", () => {
    const pc = tokenizeExample({ format: "prompt_completion", prompt: "Q: 1+1 =", completion: " 2" }, tok, 1);
    expect(tok.decode(pc.inputIds)).toBe("Q: 1+1 = 2<|im_end|>");
    expect(trainedText(pc.inputIds, pc.labels)).toBe(" 2<|im_end|>");
    const text = tokenizeExample({ format: "text", text: "The cat sat." }, tok, 1);
    expect(text.labels).toEqual(text.inputIds);
    expect(tok.decode(text.inputIds)).toBe("The cat sat.");
  });

  it("keeps pre-tokenized labels, -100 included, and truncates to max_seq_len", () => {
    const ex = tokenizeExample(
      { format: "tokens", input_ids: [5, 6, 7, 8], labels: [-100, 6, -100, 8] },
      tok,
      1,
    );
    expect(ex).toEqual({ inputIds: [5, 6, 7, 8], labels: [-100, 6, -100, 8] });
    expect(truncate(ex, 3)).toEqual({ inputIds: [5, 6, 7], labels: [-100, 6, -100] });
  });

  it("reads a chat JSONL file and names a bad line", () => {
    const good = JSON.stringify({
      messages: [
        { role: "user", content: "a" },
        { role: "assistant", content: "b" },
      ],
    });
    const d = tokenizeDatasetText([good, good].join("\n"), { tokenizer: tok, maxSeqLen: 64 });
    expect(d.examples).toHaveLength(2);
    expect(d.format).toBe("chat");
    const bad = JSON.stringify({ messages: [{ role: "user", content: "a" }] });
    let caught: unknown;
    try {
      tokenizeDatasetText([good, good, bad].join("\n"), { tokenizer: tok, maxSeqLen: 64 });
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(DataFormatError);
    expect((caught as DataFormatError).line).toBe(3);
    expect((caught as Error).message).toMatch(/no assistant message to train on/);
    expect(() =>
      tokenizeDatasetText([good, JSON.stringify({ text: "x" })].join("\n"), {
        tokenizer: tok,
        maxSeqLen: 64,
      }),
    ).toThrowError(/^line 2: format "text" differs/);
  });
});
