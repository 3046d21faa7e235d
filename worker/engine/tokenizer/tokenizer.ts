// Tokenizers from a Hugging Face folder: tokenizer.json through @huggingface/tokenizers, the chat template of
// tokenizer_config.json through @huggingface/jinja, eos/pad ids from tokenizer_config.json (then config.json).
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { Template } from "@huggingface/jinja";
import { Tokenizer as HfTokenizer } from "@huggingface/tokenizers";
import { InputError } from "../errors.ts";
import type { ChatTemplateMessage, Tokenizer } from "../model/types.ts";

export class TokenizerLoadError extends InputError {
  override name = "TokenizerLoadError";
}

type TokenSpec = string | { content: string } | null | undefined;

function tokenContent(t: TokenSpec): string | undefined {
  if (typeof t === "string") return t;
  if (t && typeof t === "object" && typeof t.content === "string") return t.content;
  return undefined;
}

async function readJson(
  path: string,
  what: string,
  required: boolean,
): Promise<Record<string, unknown> | undefined> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch {
    if (required) throw new TokenizerLoadError(`the model folder has no ${what}`);
    return undefined;
  }
  try {
    return JSON.parse(text) as Record<string, unknown>;
  } catch (err) {
    throw new TokenizerLoadError(`${what} is not valid JSON (${(err as Error).message})`);
  }
}

function pickTemplate(raw: unknown): string | undefined {
  if (typeof raw === "string") return raw;
  // Some tokenizer configs hold several named templates; "default" is the chat one.
  if (Array.isArray(raw)) {
    const named = raw as { name?: string; template?: string }[];
    return (named.find((t) => t.name === "default") ?? named[0])?.template;
  }
  return undefined;
}

class HfFolderTokenizer implements Tokenizer {
  private readonly template: Template | undefined;

  constructor(
    private readonly tok: HfTokenizer,
    readonly vocabSize: number,
    readonly eosTokenId: number,
    readonly padTokenId: number,
    private readonly specialTokens: Record<string, string>,
    templateSource: string | undefined,
  ) {
    this.template = templateSource ? new Template(templateSource) : undefined;
  }

  encode(text: string, opts: { addSpecialTokens?: boolean } = {}): number[] {
    return this.tok.encode(text, { add_special_tokens: opts.addSpecialTokens ?? true }).ids;
  }

  decode(ids: number[], opts: { skipSpecialTokens?: boolean } = {}): string {
    return this.tok.decode(ids, { skip_special_tokens: opts.skipSpecialTokens ?? false });
  }

  applyChatTemplate(messages: ChatTemplateMessage[], opts: { addGenerationPrompt?: boolean } = {}): string {
    if (!this.template) throw new TokenizerLoadError("tokenizer_config.json has no chat_template");
    return this.template.render({
      messages,
      add_generation_prompt: opts.addGenerationPrompt ?? false,
      ...this.specialTokens,
    });
  }
}

/** Loads `dir/tokenizer.json` (+ tokenizer_config.json, config.json for fallbacks). */
export async function loadTokenizer(dir: string): Promise<Tokenizer> {
  const tokenizerJson = await readJson(join(dir, "tokenizer.json"), "tokenizer.json", true);
  const tokConfig =
    (await readJson(join(dir, "tokenizer_config.json"), "tokenizer_config.json", false)) ?? {};
  const modelConfig = (await readJson(join(dir, "config.json"), "config.json", false)) ?? {};
  let tok: HfTokenizer;
  try {
    tok = new HfTokenizer(tokenizerJson!, tokConfig);
  } catch (err) {
    throw new TokenizerLoadError(`tokenizer.json could not be loaded (${(err as Error).message})`);
  }
  const vocab = tok.get_vocab(true);
  let vocabSize = 0;
  for (const id of vocab.values()) vocabSize = Math.max(vocabSize, id + 1);

  const idOf = (field: string): number | undefined => {
    const content = tokenContent(tokConfig[field] as TokenSpec);
    if (content === undefined) return undefined;
    const id = tok.token_to_id(content);
    if (id === undefined)
      throw new TokenizerLoadError(
        `tokenizer_config.json: ${field} ${JSON.stringify(content)} is not in the vocabulary`,
      );
    return id;
  };
  const cfgEos = modelConfig.eos_token_id;
  const eos =
    idOf("eos_token") ??
    (typeof cfgEos === "number"
      ? cfgEos
      : Array.isArray(cfgEos) && typeof cfgEos[0] === "number"
        ? cfgEos[0]
        : undefined);
  if (eos === undefined) {
    throw new TokenizerLoadError(
      "no eos token: tokenizer_config.json has no eos_token and config.json no eos_token_id",
    );
  }
  const pad =
    idOf("pad_token") ?? (typeof modelConfig.pad_token_id === "number" ? modelConfig.pad_token_id : eos);

  const specialTokens: Record<string, string> = {};
  for (const field of ["bos_token", "eos_token", "pad_token", "unk_token"]) {
    const content = tokenContent(tokConfig[field] as TokenSpec);
    if (content !== undefined) specialTokens[field] = content;
  }
  return new HfFolderTokenizer(
    tok,
    vocabSize,
    eos,
    pad,
    specialTokens,
    pickTemplate(tokConfig.chat_template),
  );
}
