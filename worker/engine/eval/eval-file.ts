// `grades eval --choices`: label-log-likelihood accuracy of a model (optionally with a LoRA adapter) on a JSONL
// file of prompt/completion lines whose completion is the gold label.
import { readFile } from "node:fs/promises";
import { initBackend } from "../backend.ts";
import { DataFormatError, parseExampleLine } from "../data/formats.ts";
import { loadModel } from "../model/loader.ts";
import { loadPeftAdapter } from "../model/peft-adapter.ts";
import { loadTokenizer } from "../tokenizer/tokenizer.ts";
import type { BackendName } from "../train/types.ts";
import { type ChoiceEvaluation, type ChoiceExample, evaluateChoices } from "./choices.ts";

export interface EvalChoicesOptions {
  modelDir: string;
  dataFile: string;
  choices: string[];
  adapterDir?: string;
  batchSize?: number;
  backend?: BackendName;
}

/** Reads prompt/completion lines (blank lines skipped); a line of another format, or an empty prompt, is refused. */
export function parseChoiceExamples(text: string): ChoiceExample[] {
  const out: ChoiceExample[] = [];
  text.split(/\r?\n/).forEach((raw, i) => {
    if (raw.trim().length === 0) return;
    const ex = parseExampleLine(raw, i + 1);
    if (ex.format !== "prompt_completion")
      throw new DataFormatError(i + 1, `eval needs "prompt" and "completion" lines, got ${ex.format}`);
    if (ex.prompt.length === 0) throw new DataFormatError(i + 1, `"prompt" must not be empty`);
    out.push({ prompt: ex.prompt, label: ex.completion });
  });
  if (out.length === 0) throw new DataFormatError(1, "the file has no examples");
  return out;
}

export async function evalChoicesFile(opts: EvalChoicesOptions): Promise<ChoiceEvaluation> {
  await initBackend(opts.backend ?? "auto");
  const examples = parseChoiceExamples(await readFile(opts.dataFile, "utf8"));
  const tokenizer = await loadTokenizer(opts.modelDir);
  const model = await loadModel(opts.modelDir);
  try {
    if (opts.adapterDir) await loadPeftAdapter(model, opts.adapterDir);
    return await evaluateChoices(model, tokenizer, examples, opts.choices, opts.batchSize);
  } finally {
    model.dispose();
  }
}
