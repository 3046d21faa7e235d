// Turns parsed Examples into token ids and labels (unshifted, -100 = not trained, as in Hugging Face).
// Chat: the conversation is rendered once with the tokenizer's chat template; each trained assistant turn's
// span is found by rendering the conversation up to that turn with the generation prompt (where the turn's
// text starts) and by the template's end-of-turn marker (where it ends, marker included so the model learns
// to stop). The text is then encoded segment by segment, so labels line up with tokens exactly.
import type { Tokenizer } from "../model/types.ts";
import { DataFormatError, type Example, IGNORE_INDEX } from "./formats.ts";

export interface TokenizedExample {
  inputIds: number[];
  labels: number[];
}

interface Segment {
  text: string;
  trained: boolean;
}

const PROBE = "\u2063probe\u2063";
const turnEndCache = new WeakMap<Tokenizer, string>();

/** The text a chat template puts after an assistant message's content (e.g. "<|im_end|>"), trimmed. */
function turnEndMarker(tok: Tokenizer): string {
  let marker = turnEndCache.get(tok);
  if (marker === undefined) {
    const probe = tok.applyChatTemplate([
      { role: "user", content: "hello" },
      { role: "assistant", content: PROBE },
    ]);
    const at = probe.lastIndexOf(PROBE);
    marker = at < 0 ? "" : probe.slice(at + PROBE.length).trim();
    turnEndCache.set(tok, marker);
  }
  return marker;
}

function chatSegments(ex: Extract<Example, { format: "chat" }>, tok: Tokenizer, line: number): Segment[] {
  const messages = ex.messages.map((m) => ({ role: m.role, content: m.content }));
  const full = tok.applyChatTemplate(messages);
  const marker = turnEndMarker(tok);
  const segments: Segment[] = [];
  let cursor = 0;
  ex.messages.forEach((m, i) => {
    if (m.role !== "assistant" || m.weight === 0) return;
    const prefix = tok.applyChatTemplate(messages.slice(0, i), { addGenerationPrompt: true });
    let start: number;
    if (full.startsWith(prefix)) start = prefix.length;
    else {
      // Templates that re-render earlier turns differently: fall back to the turn's content.
      start = full.indexOf(m.content, cursor);
      if (start < 0)
        throw new DataFormatError(line, `messages[${i}]: the chat template does not reproduce its content`);
    }
    start = Math.max(start, cursor);
    let end: number;
    const contentEnd = full.indexOf(m.content, start);
    const searchFrom = contentEnd >= 0 ? contentEnd + m.content.length : start;
    const markerAt = marker ? full.indexOf(marker, searchFrom) : -1;
    if (markerAt >= 0) end = markerAt + marker.length;
    else end = contentEnd >= 0 ? contentEnd + m.content.length : full.length;
    if (start > cursor) segments.push({ text: full.slice(cursor, start), trained: false });
    segments.push({ text: full.slice(start, end), trained: true });
    cursor = end;
  });
  if (cursor < full.length) segments.push({ text: full.slice(cursor), trained: false });
  return segments;
}

function encodeSegments(segments: Segment[], tok: Tokenizer): TokenizedExample {
  const inputIds: number[] = [];
  const labels: number[] = [];
  for (const s of segments) {
    if (s.text.length === 0) continue;
    const ids = tok.encode(s.text, { addSpecialTokens: false });
    for (const id of ids) {
      inputIds.push(id);
      labels.push(s.trained ? id : IGNORE_INDEX);
    }
  }
  return { inputIds, labels };
}

/** Token ids and labels of one example; `line` names it in errors. */
export function tokenizeExample(ex: Example, tok: Tokenizer | undefined, line: number): TokenizedExample {
  if (ex.format === "tokens") {
    return { inputIds: [...ex.input_ids], labels: ex.labels ? [...ex.labels] : [...ex.input_ids] };
  }
  if (!tok) {
    throw new DataFormatError(
      line,
      `the model has no tokenizer: only pre-tokenized "input_ids" examples can be used`,
    );
  }
  if (ex.format === "text") {
    const ids = tok.encode(ex.text, { addSpecialTokens: true });
    return { inputIds: ids, labels: [...ids] };
  }
  if (ex.format === "prompt_completion") {
    const prompt = ex.prompt.length > 0 ? tok.encode(ex.prompt, { addSpecialTokens: true }) : [];
    // The completion ends with EOS so the model learns where to stop.
    const completion = [...tok.encode(ex.completion, { addSpecialTokens: false }), tok.eosTokenId];
    return {
      inputIds: [...prompt, ...completion],
      labels: [...prompt.map(() => IGNORE_INDEX), ...completion],
    };
  }
  return encodeSegments(chatSegments(ex, tok, line), tok);
}

/** Keeps the first `maxSeqLen` tokens. */
export function truncate(ex: TokenizedExample, maxSeqLen: number): TokenizedExample {
  if (ex.inputIds.length <= maxSeqLen) return ex;
  return { inputIds: ex.inputIds.slice(0, maxSeqLen), labels: ex.labels.slice(0, maxSeqLen) };
}

/** Whether at least one position after the first is a target (the first token is never predicted). */
export function hasTargets(ex: TokenizedExample): boolean {
  for (let i = 1; i < ex.labels.length; i++) if (ex.labels[i] !== IGNORE_INDEX) return true;
  return false;
}
