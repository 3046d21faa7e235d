// Trains the base model's tokenizer with SentencePiece (Debian's `sentencepiece` package: spm_train and
// spm_export_vocab, needed at build time only): BPE with byte fallback, so any UTF-8 text round-trips, written
// out as a Hugging Face tokenizer.json with a ChatML chat template in tokenizer_config.json.
import { execFile } from "node:child_process";
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { promisify } from "node:util";
import { parseSentencePieceVocab, sentencePieceToHfTokenizer } from "../../worker/engine/index.ts";
import type { BaseModelRecipe } from "./recipe.ts";

const run = promisify(execFile);

export const CHATML_TEMPLATE =
  "{% for message in messages %}{{ '<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n' }}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}";

/** The spm_train arguments: Llama's settings (identity normalisation, whitespace kept, digits split). */
export function spmTrainArgs(
  input: string,
  prefix: string,
  t: BaseModelRecipe["tokenizer"],
  seedSentences: number,
): string[] {
  return [
    `--input=${input}`,
    `--model_prefix=${prefix}`,
    "--model_type=bpe",
    `--vocab_size=${t.vocabSize}`,
    `--character_coverage=${t.characterCoverage}`,
    "--byte_fallback=true",
    "--split_digits=true",
    "--remove_extra_whitespaces=false",
    "--normalization_rule_name=identity",
    "--max_sentence_length=65536",
    `--input_sentence_size=${seedSentences}`,
    "--shuffle_input_sentence=true",
    "--num_threads=2",
    "--unk_id=0",
    "--bos_id=1",
    "--eos_id=2",
    "--pad_id=-1",
    `--control_symbols=${t.chatTokens.join(",")}`,
    "--minloglevel=1",
  ];
}

/** Trains on `sentencesFile` (one paragraph a line) and writes tokenizer.json + tokenizer_config.json into `outDir`. */
export async function trainTokenizer(
  sentencesFile: string,
  workDir: string,
  outDir: string,
  t: BaseModelRecipe["tokenizer"],
  maxLength: number,
): Promise<void> {
  const prefix = join(workDir, "spm");
  await run("spm_train", spmTrainArgs(sentencesFile, prefix, t, 10_000_000), { maxBuffer: 1 << 26 });
  const { stdout } = await run("spm_export_vocab", [`--model=${prefix}.model`], { maxBuffer: 1 << 26 });
  const entries = parseSentencePieceVocab(stdout);
  if (entries.length !== t.vocabSize)
    throw new Error(`spm_train made ${entries.length} pieces, expected ${t.vocabSize}`);
  const specials = [t.unkToken, t.bosToken, t.eosToken, ...t.chatTokens];
  const tokenizer = sentencePieceToHfTokenizer(entries, { specialTokens: specials, unkToken: t.unkToken });
  await writeFile(join(outDir, "tokenizer.json"), `${JSON.stringify(tokenizer, null, 1)}\n`);
  const ids = new Map(entries.map((e, i) => [e.piece, i]));
  const config = {
    tokenizer_class: "PreTrainedTokenizerFast",
    add_bos_token: false,
    add_eos_token: false,
    bos_token: t.bosToken,
    eos_token: t.eosToken,
    unk_token: t.unkToken,
    pad_token: t.eosToken,
    model_max_length: maxLength,
    clean_up_tokenization_spaces: false,
    chat_template: CHATML_TEMPLATE,
    added_tokens_decoder: Object.fromEntries(
      specials.map((content) => [
        String(ids.get(content)),
        { content, lstrip: false, normalized: false, rstrip: false, single_word: false, special: true },
      ]),
    ),
  };
  await writeFile(join(outDir, "tokenizer_config.json"), `${JSON.stringify(config, null, 2)}\n`);
}

export async function readTokenizerJson(dir: string): Promise<Record<string, unknown>> {
  return JSON.parse(await readFile(join(dir, "tokenizer.json"), "utf8")) as Record<string, unknown>;
}
