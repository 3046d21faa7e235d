// `grades eval --choices`: classification accuracy by label log-likelihood (see eval/choices.ts).
import { readFile } from "node:fs/promises";
import { type Command, InvalidArgumentError } from "commander";
import { evalChoicesFile, parseChoiceExamples } from "../eval/eval-file.ts";
import type { BackendName } from "../train/types.ts";
import { backendOption } from "./backend-option.ts";
import { reporting } from "./errors.ts";

/** A JSON array of strings, or a comma-separated list taken verbatim (spaces are part of a label). */
export function parseChoices(raw: string): string[] {
  let list: unknown;
  if (raw.trim().startsWith("[")) {
    try {
      list = JSON.parse(raw);
    } catch (err) {
      throw new InvalidArgumentError(`--choices is not a valid JSON array (${(err as Error).message})`);
    }
    if (!Array.isArray(list) || !list.every((c) => typeof c === "string" && c.length > 0))
      throw new InvalidArgumentError("--choices must be a JSON array of non-empty strings");
  } else {
    list = raw.split(",");
    if ((list as string[]).some((c) => c.length === 0))
      throw new InvalidArgumentError("--choices has an empty label");
  }
  const choices = list as string[];
  if (choices.length < 2) throw new InvalidArgumentError("--choices needs at least two labels");
  if (new Set(choices).size !== choices.length) throw new InvalidArgumentError("--choices repeats a label");
  return choices;
}

interface EvalFlags {
  model: string;
  data: string;
  choices: string[] | true;
  adapter?: string;
  batchSize: number;
  backend: BackendName;
}

export function registerEvalCommand(program: Command): void {
  program
    .command("eval")
    .description(
      "classification accuracy: each line's prompt is scored with every label's log-likelihood, the best label is the prediction",
    )
    .requiredOption("--model <dir>", "Hugging Face model folder (with tokenizer.json)")
    .requiredOption("--data <file>", "JSONL of {prompt, completion} lines; the completion is the gold label")
    .requiredOption(
      "--choices [labels]",
      "the labels: a JSON array or a comma-separated list, verbatim (no value: the file's distinct completions)",
      parseChoices,
    )
    .option("--adapter <dir>", "PEFT LoRA adapter folder")
    .option(
      "--batch-size <n>",
      "sequences per forward pass",
      (v) => {
        const n = Number(v);
        if (!Number.isInteger(n) || n <= 0)
          throw new InvalidArgumentError("--batch-size must be a positive integer");
        return n;
      },
      16,
    )
    .addOption(backendOption())
    .action((flags: EvalFlags) =>
      reporting("eval", async () => {
        const choices =
          flags.choices === true
            ? [...new Set(parseChoiceExamples(await readFile(flags.data, "utf8")).map((e) => e.label))].sort()
            : flags.choices;
        const result = await evalChoicesFile({
          modelDir: flags.model,
          dataFile: flags.data,
          choices,
          batchSize: flags.batchSize,
          backend: flags.backend,
          ...(flags.adapter ? { adapterDir: flags.adapter } : {}),
        });
        const { predictions: _, ...report } = result;
        process.stdout.write(`${JSON.stringify({ choices, ...report })}\n`);
      }),
    );
}
