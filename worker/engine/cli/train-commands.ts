// `grades train` and `grades score`: the training engine from the command line.
import { type Command, InvalidArgumentError, Option } from "commander";
import { PROJECTIONS, type Projection } from "../model/types.ts";
import { score } from "../train/score.ts";
import { train } from "../train/train.ts";
import type { BackendName, TrainEvent, TrainSpec } from "../train/types.ts";
import { backendOption } from "./backend-option.ts";
import { reporting } from "./errors.ts";
import { ProgressBar } from "./progress.ts";

export function num(flag: string, check: (v: number) => boolean, what: string) {
  return (raw: string): number => {
    const v = Number(raw);
    if (raw.trim() === "" || !Number.isFinite(v) || !check(v)) {
      throw new InvalidArgumentError(`${flag} must be ${what}, got ${JSON.stringify(raw)}`);
    }
    return v;
  };
}

export const positiveInt = (flag: string) =>
  num(flag, (v) => Number.isInteger(v) && v > 0, "a positive integer");
export const nonNegative = (flag: string) => num(flag, (v) => v >= 0, "a number >= 0");
export const positive = (flag: string) => num(flag, (v) => v > 0, "a positive number");
export const fraction = (flag: string) => num(flag, (v) => v >= 0 && v <= 1, "a number in [0, 1]");

function targets(raw: string): Projection[] {
  const list = raw
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean);
  for (const t of list) {
    if (!PROJECTIONS.includes(t as Projection)) {
      throw new InvalidArgumentError(
        `--lora-targets: ${JSON.stringify(t)} is not one of ${PROJECTIONS.join(", ")}`,
      );
    }
  }
  if (list.length === 0) throw new InvalidArgumentError("--lora-targets must name at least one module");
  return list as Projection[];
}

interface TrainFlags {
  model: string;
  train: string;
  validation?: string;
  out: string;
  full?: boolean;
  loraR: number;
  loraAlpha: number;
  loraDropout: number;
  loraTargets: Projection[];
  rslora?: boolean;
  grades: boolean;
  gradesTau: number;
  gradesAlpha: number;
  gradesMetric: "grad_change" | "weight_change";
  gradesNormalize: "sum" | "mean";
  gradesRelativeTau?: number;
  gradesInterval: number;
  gradesMaxFrozenRatio: number;
  earlyStoppingPatience?: number;
  evalInterval: number;
  minDelta: number;
  epochs: number;
  batchSize: number;
  gradAccum: number;
  lr: number;
  weightDecay: number;
  warmupRatio: number;
  scheduler: "cosine" | "linear" | "constant";
  maxGradNorm: number;
  maxSteps?: number;
  seqLen: number;
  packing?: boolean;
  seed: number;
  checkpointDir?: string;
  checkpointEvery?: number;
  resume?: string;
  backend: BackendName;
  events?: boolean;
}

export function specFromFlags(f: TrainFlags): TrainSpec {
  return {
    modelDir: f.model,
    trainFile: f.train,
    ...(f.validation ? { validationFile: f.validation } : {}),
    outputDir: f.out,
    trainingType: f.full ? "full" : "lora",
    lora: {
      r: f.loraR,
      alpha: f.loraAlpha,
      dropout: f.loraDropout,
      targetModules: f.loraTargets,
      useRslora: f.rslora ?? false,
    },
    grades: {
      enabled: f.grades,
      tau: f.gradesTau,
      alpha: f.gradesAlpha,
      metric: f.gradesMetric,
      normalize: f.gradesNormalize,
      ...(f.gradesRelativeTau !== undefined ? { relativeTau: f.gradesRelativeTau } : {}),
      interval: f.gradesInterval,
      maxFrozenRatio: f.gradesMaxFrozenRatio,
    },
    ...(f.earlyStoppingPatience !== undefined
      ? {
          earlyStopping: {
            patience: f.earlyStoppingPatience,
            evalInterval: f.evalInterval,
            minDelta: f.minDelta,
          },
        }
      : {}),
    nEpochs: f.epochs,
    batchSize: f.batchSize,
    gradientAccumulationSteps: f.gradAccum,
    learningRate: f.lr,
    weightDecay: f.weightDecay,
    warmupRatio: f.warmupRatio,
    lrScheduler: f.scheduler,
    maxGradNorm: f.maxGradNorm,
    ...(f.maxSteps !== undefined ? { maxSteps: f.maxSteps } : {}),
    maxSeqLen: f.seqLen,
    ...(f.packing ? { packing: true } : {}),
    seed: f.seed,
    ...(f.checkpointDir ? { checkpointDir: f.checkpointDir } : {}),
    ...(f.checkpointEvery !== undefined ? { checkpointEvery: f.checkpointEvery } : {}),
    ...(f.resume ? { resumeFrom: f.resume } : {}),
    backend: f.backend,
  };
}

function describeEvent(e: TrainEvent): string | undefined {
  if (e.type === "freeze") return `step ${e.step}: froze ${e.component} (G = ${e.metric.toExponential(3)})`;
  if (e.type === "eval") return `step ${e.step}: validation loss ${e.validLoss.toFixed(4)}`;
  if (e.type === "checkpoint") return `step ${e.step}: checkpoint ${e.dir}`;
  if (e.type === "stop") return `stopped at step ${e.step}: ${e.reason}`;
  return undefined;
}

async function runTrain(flags: TrainFlags): Promise<void> {
  const spec = specFromFlags(flags);
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
      })}\n`,
    );
  } finally {
    process.off("SIGINT", onSignal);
  }
}

export function registerTrainCommands(program: Command): void {
  program
    .command("train")
    .description("fine-tune a model folder on a JSONL dataset (LoRA by default) with GradES")
    .requiredOption("--model <dir>", "Hugging Face model folder")
    .requiredOption("--train <file>", "training data (JSONL)")
    .option("--validation <file>", "validation data (JSONL)")
    .requiredOption(
      "--out <dir>",
      "output folder: PEFT adapter (LoRA) or model folder (--full), and summary.json",
    )
    .option("--full", "full fine-tuning of the target projections instead of LoRA")
    .option("--lora-r <n>", "LoRA rank", positiveInt("--lora-r"), 8)
    .option("--lora-alpha <x>", "LoRA alpha (scaling alpha / r)", positive("--lora-alpha"), 16)
    .option("--lora-dropout <p>", "LoRA dropout", fraction("--lora-dropout"), 0.05)
    .option("--lora-targets <list>", "comma-separated projections", targets, [...PROJECTIONS])
    .option("--rslora", "rank-stabilised LoRA: scaling alpha / sqrt(r)")
    .option("--no-grades", "disable GradES (train for the full budget)")
    .option("--grades-tau <x>", "GradES freeze threshold on G", nonNegative("--grades-tau"), 1e-4)
    .option(
      "--grades-alpha <f>",
      "GradES grace period as a fraction of total steps",
      fraction("--grades-alpha"),
      0.5,
    )
    .addOption(
      new Option("--grades-metric <m>", "what G measures")
        .choices(["grad_change", "weight_change"])
        .default("grad_change"),
    )
    .addOption(
      new Option("--grades-normalize <n>", "sum: plain L1; mean: L1 per element")
        .choices(["sum", "mean"])
        .default("mean"),
    )
    .option(
      "--grades-relative-tau <f>",
      "freeze below this fraction of the component's G at the end of the grace period (replaces tau)",
      positive("--grades-relative-tau"),
    )
    .option("--grades-interval <n>", "measure every n steps", positiveInt("--grades-interval"), 1)
    .option(
      "--grades-max-frozen-ratio <f>",
      "stop when this fraction of components is frozen",
      fraction("--grades-max-frozen-ratio"),
      1,
    )
    .option(
      "--early-stopping-patience <n>",
      "validation-loss early stopping patience",
      positiveInt("--early-stopping-patience"),
    )
    .option(
      "--eval-interval <n>",
      "evaluate every n steps (early stopping)",
      positiveInt("--eval-interval"),
      50,
    )
    .option("--min-delta <x>", "minimum validation-loss improvement", nonNegative("--min-delta"), 0)
    .option("--epochs <n>", "epochs", positiveInt("--epochs"), 3)
    .option("--batch-size <n>", "batch size", positiveInt("--batch-size"), 4)
    .option("--grad-accum <n>", "gradient accumulation steps", positiveInt("--grad-accum"), 1)
    .option("--lr <x>", "peak learning rate", positive("--lr"), 2e-4)
    .option("--weight-decay <x>", "AdamW weight decay", nonNegative("--weight-decay"), 0)
    .option("--warmup-ratio <f>", "warmup steps as a fraction of total", fraction("--warmup-ratio"), 0.03)
    .addOption(
      new Option("--scheduler <s>", "learning-rate decay")
        .choices(["cosine", "linear", "constant"])
        .default("cosine"),
    )
    .option(
      "--max-grad-norm <x>",
      "clip gradients to this global norm (0: no clipping)",
      nonNegative("--max-grad-norm"),
      1,
    )
    .option("--max-steps <n>", "cap on optimizer steps", positiveInt("--max-steps"))
    .option("--seq-len <n>", "truncate examples to n tokens", positiveInt("--seq-len"), 512)
    .option("--packing", "join text examples with EOS into full blocks of --seq-len tokens (TRL's packing)")
    .option("--seed <n>", "random seed", num("--seed", Number.isInteger, "an integer"), 42)
    .option("--checkpoint-dir <dir>", "write checkpoints to dir/step-N")
    .option("--checkpoint-every <n>", "checkpoint every n steps", positiveInt("--checkpoint-every"))
    .option("--resume <dir>", "resume from a checkpoint folder")
    .addOption(backendOption())
    .option("--events", "print every event as a JSON line on stdout")
    .action((flags: TrainFlags) => reporting("train", () => runTrain(flags)));

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
