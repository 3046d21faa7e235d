// `grades train` and `grades score`: the training engine from the command line.
import { readFile } from "node:fs/promises";
import type { Command } from "commander";
import { readModelConfig } from "../model/config.ts";
import { resolveTrainOptions } from "../train/options.ts";
import { score } from "../train/score.ts";
import { trainSpecFrom } from "../train/spec-options.ts";
import { train } from "../train/train.ts";
import type { BackendName, TrainEvent, TrainSpec } from "../train/types.ts";
import { backendOption, threadsOption } from "./backend-option.ts";
import { reporting } from "./errors.ts";
import { num, positiveInt } from "./number-args.ts";
import { ProgressBar } from "./progress.ts";
import { optionsFromFlags, trainFlagOptions } from "./train-flags.ts";

/** The flags that are not training options: where things are, the seed, the backend, the output. */
interface RunFlags {
  model: string;
  train: string;
  validation?: string;
  out: string;
  seed: number;
  checkpointDir?: string;
  resume?: string;
  backend: BackendName;
  threads?: number;
  events?: boolean;
}

/** Examples in a JSONL file (its non-blank lines), from which "auto" hyperparameters are resolved. */
async function countExamples(path: string): Promise<number> {
  const text = await readFile(path, "utf8");
  return text.split("\n").filter((line) => line.trim() !== "").length;
}

/** The spec a `grades train` command line describes: the same options-to-spec mapping a job goes through. */
export async function specFromFlags(flags: RunFlags & Record<string, unknown>): Promise<TrainSpec> {
  const model = await readModelConfig(flags.model);
  const options = resolveTrainOptions(
    optionsFromFlags(flags),
    await countExamples(flags.train),
    model.grades_finetune,
  );
  return trainSpecFrom(options, {
    modelDir: flags.model,
    trainFile: flags.train,
    validationFile: flags.validation,
    outputDir: flags.out,
    checkpointDir: flags.checkpointDir,
    resumeFrom: flags.resume,
    seed: flags.seed,
    backend: flags.backend,
    threads: flags.threads,
  });
}

function describeEvent(e: TrainEvent): string | undefined {
  if (e.type === "freeze") return `step ${e.step}: froze ${e.component} (G = ${e.metric.toExponential(3)})`;
  if (e.type === "eval") return `step ${e.step}: validation loss ${e.validLoss.toFixed(4)}`;
  if (e.type === "checkpoint") return `step ${e.step}: checkpoint ${e.dir}`;
  if (e.type === "stop") return `stopped at step ${e.step}: ${e.reason}`;
  return undefined;
}

async function runTrain(flags: RunFlags & Record<string, unknown>): Promise<void> {
  const spec = await specFromFlags(flags);
  const bar = new ProgressBar(process.stderr);
  const controller = new AbortController();
  const onSignal = () => controller.abort();
  process.once("SIGINT", onSignal);
  try {
    const summary = await train(spec, {
      signal: controller.signal,
      onEvent: (e) => {
        if (flags.events) process.stdout.write(`${JSON.stringify(e)}\n`);
        if (e.type === "step") {
          bar.update(
            e.step,
            e.totalSteps,
            `loss ${e.trainLoss.toFixed(4)}  frozen ${(e.frozenFraction * 100).toFixed(0)}%  ${e.tokensPerSecond.toFixed(0)} tok/s`,
          );
        } else {
          const text = describeEvent(e);
          if (text) bar.log(text);
        }
      },
    });
    bar.done();
    // Loaded here, not at start: the plotting libraries are large and only `train` needs them.
    const { writeTrainPlots } = await import("../plot/train-plots.ts");
    const plots = await writeTrainPlots(spec.outputDir, summary, spec.grades.enabled);
    process.stdout.write(
      `${JSON.stringify({
        stopReason: summary.stopReason,
        stepsCompleted: summary.stepsCompleted,
        totalSteps: summary.totalSteps,
        finalTrainLoss: summary.finalTrainLoss,
        finalValidLoss: summary.finalValidLoss,
        frozenFraction: summary.frozenFraction,
        estimatedComputeSaved: summary.estimatedComputeSaved,
        backend: summary.backend,
        outputDir: spec.outputDir,
        plots,
      })}\n`,
    );
  } finally {
    process.off("SIGINT", onSignal);
  }
}

export function registerTrainCommands(program: Command): void {
  const trainCommand = program
    .command("train")
    .description("fine-tune a model folder on a JSONL dataset (LoRA by default) with GradES")
    .requiredOption("--model <dir>", "Hugging Face model folder")
    .requiredOption("--train <file>", "training data (JSONL)")
    .option("--validation <file>", "validation data (JSONL)")
    .requiredOption(
      "--out <dir>",
      "output folder: PEFT adapter (LoRA) or model folder (--full), and summary.json",
    )
    .option("--seed <n>", "random seed", num("--seed", Number.isInteger, "an integer"), 42)
    .option("--checkpoint-dir <dir>", "write checkpoints to dir/step-N")
    .option("--resume <dir>", "resume from a checkpoint folder")
    .addOption(backendOption())
    .addOption(threadsOption())
    .option("--events", "print every event as a JSON line on stdout");
  for (const option of trainFlagOptions()) trainCommand.addOption(option);
  trainCommand.action((flags: RunFlags & Record<string, unknown>) =>
    reporting("train", () => runTrain(flags)),
  );

  program
    .command("score")
    .description(
      "mean next-token cross-entropy (nats) of a model, optionally with an adapter, over a JSONL file",
    )
    .requiredOption("--model <dir>", "Hugging Face model folder")
    .requiredOption("--data <file>", "JSONL data")
    .option("--adapter <dir>", "PEFT LoRA adapter folder")
    .option(
      "--seq-len <n>",
      "truncate examples to n tokens (default: the model's context)",
      positiveInt("--seq-len"),
    )
    .option("--batch-size <n>", "batch size", positiveInt("--batch-size"), 8)
    .addOption(backendOption())
    .action(
      async (flags: {
        model: string;
        data: string;
        adapter?: string;
        seqLen?: number;
        batchSize: number;
        backend: BackendName;
      }) =>
        reporting("score", async () => {
          const result = await score({
            modelDir: flags.model,
            dataFile: flags.data,
            batchSize: flags.batchSize,
            backend: flags.backend,
            ...(flags.adapter ? { adapterDir: flags.adapter } : {}),
            ...(flags.seqLen ? { maxSeqLen: flags.seqLen } : {}),
          });
          process.stdout.write(`${JSON.stringify({ loss: result.loss, tokens: result.tokens })}\n`);
        }),
    );
}
