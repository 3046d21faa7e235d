// `grades pretrain`: trains every weight of a model on raw text, packed into full blocks. Starts from a random
// initialisation of a folder's config.json (--config, with its tokenizer files) or from existing weights
// (--model); checkpoints and resumes like `grades train`.
import { existsSync } from "node:fs";
import { join } from "node:path";
import { type Command, Option } from "commander";
import { initModelFromConfig } from "../model/init-from-config.ts";
import { type PretrainSpec, pretrain, pretrainSteps } from "../train/pretrain.ts";
import { TrainSpecError } from "../train/spec-error.ts";
import type { BackendName } from "../train/types.ts";
import { backendOption, threadsOption } from "./backend-option.ts";
import { reporting } from "./errors.ts";
import { fraction, nonNegative, num, positive, positiveInt } from "./number-args.ts";
import { ProgressBar } from "./progress.ts";

interface PretrainFlags {
  config?: string;
  model?: string;
  train: string;
  validation?: string;
  out: string;
  maxTokens: number;
  seqLen: number;
  batchSize: number;
  gradAccum: number;
  lr: number;
  weightDecay: number;
  warmupRatio: number;
  scheduler: PretrainSpec["lrScheduler"];
  maxGradNorm: number;
  seed: number;
  evalInterval?: number;
  evalBlocks: number;
  checkpointDir?: string;
  checkpointEvery?: number;
  resume?: string;
  backend: BackendName;
  threads?: number;
  events?: boolean;
}

async function runPretrain(f: PretrainFlags): Promise<void> {
  if ((f.config === undefined) === (f.model === undefined))
    throw new TrainSpecError(
      "--config/--model",
      "give exactly one: --config (random initialisation) or --model",
    );
  let modelDir = f.model!;
  if (f.config) {
    // The initialisation lives beside the outputs, so a resumed run starts from the same weights' folder.
    modelDir = join(f.out, "init");
    if (!existsSync(join(modelDir, "model.safetensors")))
      await initModelFromConfig(f.config, modelDir, f.seed);
  }
  const spec: PretrainSpec = {
    modelDir,
    trainFile: f.train,
    ...(f.validation ? { validationFile: f.validation } : {}),
    outputDir: f.out,
    blockSize: f.seqLen,
    batchSize: f.batchSize,
    gradientAccumulationSteps: f.gradAccum,
    maxTokens: f.maxTokens,
    learningRate: f.lr,
    weightDecay: f.weightDecay,
    warmupRatio: f.warmupRatio,
    lrScheduler: f.scheduler,
    maxGradNorm: f.maxGradNorm,
    seed: f.seed,
    evalBlocks: f.evalBlocks,
    ...(f.evalInterval ? { evalInterval: f.evalInterval } : {}),
    ...(f.checkpointDir ? { checkpointDir: f.checkpointDir } : {}),
    ...(f.checkpointEvery ? { checkpointEvery: f.checkpointEvery } : {}),
    ...(f.resume ? { resumeFrom: f.resume } : {}),
    backend: f.backend,
    ...(f.threads !== undefined ? { threads: f.threads } : {}),
  };
  const bar = new ProgressBar(process.stderr);
  const controller = new AbortController();
  process.once("SIGINT", () => controller.abort());
  const summary = await pretrain(spec, {
    signal: controller.signal,
    onEvent: (e) => {
      if (f.events) process.stdout.write(`${JSON.stringify(e)}\n`);
      if (e.type === "step")
        bar.update(
          e.step,
          e.totalSteps,
          `loss ${e.trainLoss.toFixed(4)}  ${e.tokensPerSecond.toFixed(0)} tok/s`,
        );
      else if (e.type === "eval") bar.log(`step ${e.step}: held-out loss ${e.validLoss.toFixed(4)}`);
      else if (e.type === "checkpoint") bar.log(`checkpoint ${e.dir}`);
    },
  });
  bar.done();
  const result = {
    out: f.out,
    stop_reason: summary.stopReason,
    steps: summary.stepsCompleted,
    total_steps: pretrainSteps(spec),
    trained_tokens: summary.trainedTokens,
    final_train_loss: summary.finalTrainLoss,
    final_valid_loss: summary.finalValidLoss,
  };
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

export function registerPretrainCommand(program: Command): void {
  program
    .command("pretrain")
    .description(
      'train every weight of a model on raw {"text"} JSONL, packed into full blocks with EOS between documents',
    )
    .option("--config <dir>", "random initialisation from this folder's config.json (tokenizer files copied)")
    .option("--model <dir>", "continue from this model folder's weights")
    .requiredOption("--train <file>", 'training text: one {"text": ...} document per line')
    .option("--validation <file>", "held-out text, same format")
    .requiredOption("--out <dir>", "output folder (the trained model, summary.json)")
    .requiredOption(
      "--max-tokens <n>",
      "token budget: train until this many tokens are seen",
      positiveInt("--max-tokens"),
    )
    .option("--seq-len <n>", "block size in tokens", positiveInt("--seq-len"), 128)
    .option("--batch-size <n>", "blocks per micro-batch", positiveInt("--batch-size"), 16)
    .option("--grad-accum <n>", "gradient accumulation steps", positiveInt("--grad-accum"), 1)
    .option("--lr <x>", "peak learning rate", positive("--lr"), 3e-3)
    .option(
      "--weight-decay <x>",
      "AdamW weight decay (none on norms and biases)",
      nonNegative("--weight-decay"),
      0.1,
    )
    .option("--warmup-ratio <f>", "warmup steps as a fraction of total", fraction("--warmup-ratio"), 0.03)
    .addOption(
      new Option("--scheduler <name>", "learning-rate schedule")
        .choices(["cosine", "linear", "constant"])
        .default("cosine"),
    )
    .option("--max-grad-norm <x>", "gradient clipping (0 disables)", nonNegative("--max-grad-norm"), 1)
    .option(
      "--seed <n>",
      "random seed (initialisation and data order)",
      num("--seed", Number.isInteger, "an integer"),
      0,
    )
    .option("--eval-interval <n>", "held-out loss every n steps", positiveInt("--eval-interval"))
    .option("--eval-blocks <n>", "held-out blocks scored per evaluation", positiveInt("--eval-blocks"), 64)
    .option("--checkpoint-dir <dir>", "write checkpoints (and the packed blocks) here")
    .option("--checkpoint-every <n>", "checkpoint every n steps", positiveInt("--checkpoint-every"))
    .option("--resume <dir>", "resume from a checkpoint folder")
    .addOption(backendOption())
    .addOption(threadsOption())
    .option("--events", "print every event as a JSON line on stdout")
    .action((flags: PretrainFlags) => reporting("pretrain", () => runPretrain(flags)));
}
