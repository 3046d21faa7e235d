// The dataset formats the engine trains on, one JSON object per JSONL line.
// Pure parsing and validation (no tensors): the API validates uploads with the same code the worker trains with,
// so a file that is accepted is a file that trains.
import { InputError } from "../errors.ts";

export type ChatRole = "system" | "developer" | "user" | "assistant" | "tool";

export interface ChatMessage {
  role: ChatRole;
  content: string;
  /** Only for assistant turns: 0 leaves the turn out of the loss (OpenAI's fine-tuning format). */
  weight?: 0 | 1;
}

export type Example =
  | { format: "chat"; messages: ChatMessage[] }
  | { format: "prompt_completion"; prompt: string; completion: string }
  | { format: "text"; text: string }
  | { format: "tokens"; input_ids: number[]; labels?: number[] };

export type ExampleFormat = Example["format"];

/** Label value that Hugging Face (and we) leave out of the loss. */
export const IGNORE_INDEX = -100;

/** A problem with one line of a dataset; `line` is 1-based, as editors count. */
export class DataFormatError extends InputError {
  constructor(
    readonly line: number,
    readonly problem: string,
  ) {
    super(`line ${line}: ${problem}`);
    this.name = "DataFormatError";
  }
}

const ROLES: ReadonlySet<string> = new Set(["system", "developer", "user", "assistant", "tool"]);

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** OpenAI allows content as a string or as an array of `{type: "text", text}` parts; we accept text parts only. */
function messageText(content: unknown, where: string, line: number): string {
  if (typeof content === "string") return content;
  if (content === null || content === undefined) return "";
  if (Array.isArray(content)) {
    return content
      .map((part, i) => {
        if (!isObject(part) || part.type !== "text" || typeof part.text !== "string") {
          throw new DataFormatError(
            line,
            `${where}.content[${i}] must be a text part {"type": "text", "text": "..."}`,
          );
        }
        return part.text;
      })
      .join("");
  }
  throw new DataFormatError(line, `${where}.content must be a string or an array of text parts`);
}

function parseChat(obj: Record<string, unknown>, line: number): Example {
  const raw = obj.messages;
  if (!Array.isArray(raw) || raw.length === 0) {
    throw new DataFormatError(line, `"messages" must be a non-empty array`);
  }
  let trained = 0;
  const messages = raw.map((m, i): ChatMessage => {
    const where = `messages[${i}]`;
    if (!isObject(m)) throw new DataFormatError(line, `${where} must be an object`);
    if (typeof m.role !== "string" || !ROLES.has(m.role)) {
      throw new DataFormatError(line, `${where}.role must be one of ${[...ROLES].join(", ")}`);
    }
    const role = m.role as ChatRole;
    const content = messageText(m.content, where, line);
    const msg: ChatMessage = { role, content };
    if (m.weight !== undefined) {
      if (role !== "assistant")
        throw new DataFormatError(line, `${where}.weight is only allowed on assistant messages`);
      if (m.weight !== 0 && m.weight !== 1) throw new DataFormatError(line, `${where}.weight must be 0 or 1`);
      msg.weight = m.weight;
    }
    if (role === "assistant" && msg.weight !== 0) {
      if (content.length === 0 && m.tool_calls === undefined) {
        throw new DataFormatError(line, `${where} is an assistant message with empty content`);
      }
      trained++;
    }
    return msg;
  });
  if (trained === 0) {
    throw new DataFormatError(
      line,
      `"messages" has no assistant message to train on (with weight other than 0)`,
    );
  }
  return { format: "chat", messages };
}

function isTokenArray(v: unknown, allowIgnore: boolean): v is number[] {
  return (
    Array.isArray(v) &&
    v.every((t) => Number.isInteger(t) && ((t as number) >= 0 || (allowIgnore && t === IGNORE_INDEX)))
  );
}

function parseTokens(obj: Record<string, unknown>, line: number): Example {
  const ids = obj.input_ids;
  if (!isTokenArray(ids, false) || ids.length < 2) {
    throw new DataFormatError(line, `"input_ids" must be an array of at least 2 non-negative integers`);
  }
  if (obj.labels === undefined) return { format: "tokens", input_ids: ids };
  const labels = obj.labels;
  if (!isTokenArray(labels, true)) {
    throw new DataFormatError(line, `"labels" must be an array of non-negative integers or ${IGNORE_INDEX}`);
  }
  if (labels.length !== ids.length) {
    throw new DataFormatError(
      line,
      `"labels" has ${labels.length} entries but "input_ids" has ${ids.length}; they must be the same length`,
    );
  }
  if (labels.slice(1).every((t) => t === IGNORE_INDEX)) {
    throw new DataFormatError(line, `"labels" leaves no token to train on (all are ${IGNORE_INDEX})`);
  }
  return { format: "tokens", input_ids: ids, labels };
}

/**
 * Parses one JSONL line into an Example. `vocabSize`, when given, bounds pre-tokenized ids.
 * Throws DataFormatError naming the line and the problem.
 */
export function parseExampleLine(text: string, line: number, vocabSize?: number): Example {
  let obj: unknown;
  try {
    // Editors on Windows start UTF-8 files with a byte-order mark; it is not part of the first line's JSON.
    obj = JSON.parse(line === 1 && text.startsWith("\uFEFF") ? text.slice(1) : text);
  } catch (err) {
    throw new DataFormatError(line, `invalid JSON (${(err as Error).message})`);
  }
  if (!isObject(obj)) throw new DataFormatError(line, "each line must be a JSON object");

  if ("messages" in obj) return parseChat(obj, line);
  if ("input_ids" in obj) {
    const ex = parseTokens(obj, line);
    if (vocabSize !== undefined && ex.format === "tokens") {
      const bad = ex.input_ids.find((t) => t >= vocabSize);
      if (bad !== undefined)
        throw new DataFormatError(line, `token id ${bad} is outside the vocabulary (size ${vocabSize})`);
    }
    return ex;
  }
  if ("prompt" in obj || "completion" in obj) {
    if (typeof obj.prompt !== "string") throw new DataFormatError(line, `"prompt" must be a string`);
    if (typeof obj.completion !== "string" || obj.completion.length === 0) {
      throw new DataFormatError(line, `"completion" must be a non-empty string`);
    }
    return { format: "prompt_completion", prompt: obj.prompt, completion: obj.completion };
  }
  if ("text" in obj) {
    if (typeof obj.text !== "string" || obj.text.length === 0) {
      throw new DataFormatError(line, `"text" must be a non-empty string`);
    }
    return { format: "text", text: obj.text };
  }
  throw new DataFormatError(
    line,
    `unknown format: expected "messages" (chat), "prompt" and "completion", "text", or "input_ids"`,
  );
}

export interface DatasetCheck {
  examples: number;
  format: ExampleFormat | undefined;
  errors: DataFormatError[];
}

/**
 * Checks a whole dataset, line by line, without keeping examples: used on uploads of any size.
 * Blank lines are skipped; formats may not be mixed; collects at most `maxErrors` problems.
 */
export async function checkDatasetLines(
  lines: AsyncIterable<string> | Iterable<string>,
  opts: { maxErrors?: number; vocabSize?: number } = {},
): Promise<DatasetCheck> {
  const maxErrors = opts.maxErrors ?? 10;
  const errors: DataFormatError[] = [];
  let format: ExampleFormat | undefined;
  let examples = 0;
  let n = 0;
  for await (const raw of lines) {
    n++;
    if (raw.trim().length === 0) continue;
    try {
      const ex = parseExampleLine(raw, n, opts.vocabSize);
      if (format === undefined) format = ex.format;
      else if (ex.format !== format) {
        throw new DataFormatError(
          n,
          `format "${ex.format}" differs from the file's first example ("${format}")`,
        );
      }
      examples++;
    } catch (err) {
      if (!(err instanceof DataFormatError)) throw err;
      if (errors.length < maxErrors) errors.push(err);
    }
  }
  if (examples === 0 && errors.length === 0)
    errors.push(new DataFormatError(Math.max(n, 1), "the file has no examples"));
  return { examples, format, errors };
}
