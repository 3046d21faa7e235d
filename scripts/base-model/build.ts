// `npm run build:base-model`: builds the built-in base model from the corpus packages, in stages whose outputs
// live under the build folder (default .build/base-model), so an interrupted build resumes: finished stages are
// skipped and pretraining continues from its newest checkpoint.
//   corpus → tokenizer → init → pretrain → export (BF16) → evaluate (held-out loss, bigram baseline) → card
import { createHash } from "node:crypto";
import { existsSync } from "node:fs";
import { appendFile, copyFile, mkdir, readdir, readFile, writeFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { BUILTIN_MODEL_TRAINING_DEFAULTS } from "../../models/builtin.ts";
import {
  BlockFile,
  initTinyModel,
  type PretrainSpec,
  pretrain,
  readSafetensors,
  type TrainSummary,
  writeSafetensors,
} from "../../worker/engine/index.ts";
import { BUILD_COMMAND, type BuildRecord, modelCard, type PretrainRecord } from "./card.ts";
import { type CorpusManifest, writeCorpusFiles } from "./corpus-files.ts";
import { evaluateBaseModel } from "./evaluate.ts";
import { BASE_MODEL_RECIPE } from "./recipe.ts";
import { trainTokenizer } from "./tokenizer.ts";

const { values: flags } = parseArgs({
  options: {
    "build-dir": { type: "string", default: ".build/base-model" },
    "out-dir": { type: "string" },
    /** A smaller budget, for measuring speed; the shipped model uses the recipe's. */
    "max-tokens": { type: "string" },
    backend: { type: "string", default: "auto" },
    /** wasm threads for pretraining (default every core); the losses do not depend on it. */
    threads: { type: "string" },
  },
});

const recipe = BASE_MODEL_RECIPE;
const buildDir = resolve(flags["build-dir"]!);
const outDir = resolve(flags["out-dir"] ?? join("models", recipe.name));
const paths = {
  train: join(buildDir, "corpus", "train.jsonl"),
  validation: join(buildDir, "corpus", "validation.jsonl"),
  sentences: join(buildDir, "corpus", "sentences.txt"),
  manifest: join(buildDir, "corpus", "manifest.json"),
  tokenizerWork: join(buildDir, "tokenizer"),
  init: join(buildDir, "init"),
  checkpoints: join(buildDir, "checkpoints"),
  pretrained: join(buildDir, "pretrained"),
  /** One line per pretraining run (a resumed build has several): its steps, tokens and step seconds. */
  runs: join(buildDir, "pretrain-runs.jsonl"),
  /** Wall-clock seconds of every build invocation so far. */
  buildTime: join(buildDir, "build-seconds.jsonl"),
};

function log(msg: string): void {
  console.log(`[${new Date().toISOString()}] ${msg}`);
}

async function stageCorpus(): Promise<CorpusManifest> {
  if (existsSync(paths.manifest)) return JSON.parse(await readFile(paths.manifest, "utf8")) as CorpusManifest;
  log("corpus: reading the corpus packages");
  await mkdir(join(buildDir, "corpus"), { recursive: true });
  const manifest = await writeCorpusFiles(recipe, paths);
  await writeFile(paths.manifest, `${JSON.stringify(manifest, null, 2)}\n`);
  log(`corpus: inputs hash ${manifest.inputsHash}`);
  return manifest;
}

async function stageTokenizer(): Promise<void> {
  if (existsSync(join(paths.init, "tokenizer_config.json"))) return;
  log("tokenizer: spm_train");
  await mkdir(paths.tokenizerWork, { recursive: true });
  await mkdir(paths.init, { recursive: true });
  await trainTokenizer(
    paths.sentences,
    paths.tokenizerWork,
    paths.init,
    recipe.tokenizer,
    recipe.train.blockSize,
  );
}

async function stageInit(): Promise<void> {
  if (existsSync(join(paths.init, "model.safetensors"))) return;
  log("init: random weights");
  await initTinyModel(paths.init, {
    preset: "qwen3-tiny",
    seed: recipe.seed,
    overrides: { ...recipe.model, bos_token_id: 1, eos_token_id: 2 },
    withTokenizer: false,
  });
  const chatEnd = 4; // <|im_end|>: after <unk> <s> </s> <|im_start|>
  await writeFile(
    join(paths.init, "generation_config.json"),
    `${JSON.stringify({ bos_token_id: 1, eos_token_id: [2, chatEnd], pad_token_id: 2 }, null, 2)}\n`,
  );
}

async function newestCheckpoint(): Promise<string | undefined> {
  if (!existsSync(paths.checkpoints)) return undefined;
  const steps = (await readdir(paths.checkpoints))
    .map((d) => /^step-(\d+)$/.exec(d))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => Number(m[1]))
    .sort((a, b) => b - a);
  return steps.length > 0 ? join(paths.checkpoints, `step-${steps[0]}`) : undefined;
}

async function stagePretrain(): Promise<void> {
  if (existsSync(join(paths.pretrained, "summary.json"))) return;
  const resumeFrom = await newestCheckpoint();
  const t = recipe.train;
  const spec: PretrainSpec = {
    modelDir: paths.init,
    trainFile: paths.train,
    validationFile: paths.validation,
    outputDir: paths.pretrained,
    blockSize: t.blockSize,
    batchSize: t.batchSize,
    gradientAccumulationSteps: t.gradientAccumulationSteps,
    maxTokens: flags["max-tokens"] ? Number(flags["max-tokens"]) : t.maxTokens,
    learningRate: t.learningRate,
    weightDecay: t.weightDecay,
    warmupRatio: t.warmupRatio,
    lrScheduler: t.lrScheduler,
    maxGradNorm: t.maxGradNorm,
    seed: recipe.seed,
    evalInterval: t.evalInterval,
    evalBlocks: t.evalBlocks,
    checkpointDir: paths.checkpoints,
    checkpointEvery: t.checkpointEvery,
    backend: flags.backend as PretrainSpec["backend"],
    ...(flags.threads ? { threads: Number(flags.threads) } : {}),
    ...(resumeFrom ? { resumeFrom } : {}),
  };
  log(`pretrain: ${resumeFrom ? `resuming from ${resumeFrom}` : "from the random initialisation"}`);
  let tokens = 0;
  let seconds = 0;
  let steps = 0;
  const record = async () => {
    if (steps > 0) await appendFile(paths.runs, `${JSON.stringify({ steps, tokens, seconds })}\n`);
    steps = 0;
    tokens = 0;
    seconds = 0;
  };
  const summary = await pretrain(spec, {
    onEvent: async (e) => {
      if (e.type === "step") {
        tokens += e.tokens;
        steps++;
        if (e.tokensPerSecond > 0) seconds += e.tokens / e.tokensPerSecond;
        const tps = tokens / seconds;
        if (e.step % 10 === 0 || e.step === 1)
          log(
            `step ${e.step}/${e.totalSteps} loss ${e.trainLoss.toFixed(4)} lr ${e.learningRate.toExponential(2)} ${tps.toFixed(0)} tok/s`,
          );
      } else if (e.type === "eval") log(`eval step ${e.step} held-out loss ${e.validLoss.toFixed(4)}`);
      else if (e.type === "checkpoint") {
        // Timing is recorded with each checkpoint: a run killed later resumes from here, so its steps after
        // the checkpoint are done again and counted then.
        await record();
        log(`checkpoint ${e.dir}`);
      }
    },
  });
  await record();
  log(`pretrain: done, ${summary.trainedTokens} tokens, final train loss ${summary.finalTrainLoss}`);
}

async function readJsonLines<T>(path: string): Promise<T[]> {
  if (!existsSync(path)) return [];
  return (await readFile(path, "utf8"))
    .split("\n")
    .filter((l) => l.length > 0)
    .map((l) => JSON.parse(l) as T);
}

const MODEL_FILES = ["tokenizer.json", "tokenizer_config.json", "generation_config.json"];

/** The shipped folder: BF16 weights, config.json saying so, the tokenizer and generation files. */
async function stageExport(): Promise<void> {
  log(`export: BF16 weights into ${outDir}`);
  await mkdir(outDir, { recursive: true });
  const tensors = await readSafetensors(join(paths.pretrained, "model.safetensors"));
  await writeSafetensors(join(outDir, "model.safetensors"), tensors, {
    dtype: "BF16",
    metadata: { format: "pt" },
  });
  const config = JSON.parse(await readFile(join(paths.pretrained, "config.json"), "utf8")) as Record<
    string,
    unknown
  >;
  config.torch_dtype = "bfloat16";
  config.grades_finetune = BUILTIN_MODEL_TRAINING_DEFAULTS;
  await writeFile(join(outDir, "config.json"), `${JSON.stringify(config, null, 2)}\n`);
  for (const f of MODEL_FILES) await copyFile(join(paths.pretrained, f), join(outDir, f));
}

async function stageCard(manifest: CorpusManifest, buildSeconds: number): Promise<void> {
  log("evaluate: held-out loss, bigram baseline, samples");
  const blockFiles = {
    train: join(paths.checkpoints, "train.blocks"),
    validation: join(paths.checkpoints, "validation.blocks"),
  };
  const evaluation = await evaluateBaseModel(outDir, blockFiles, recipe, flags.backend!);
  const summary = JSON.parse(await readFile(join(paths.pretrained, "summary.json"), "utf8")) as TrainSummary;
  const runs = await readJsonLines<{ steps: number; tokens: number; seconds: number }>(paths.runs);
  const stepSeconds = runs.reduce((n, r) => n + r.seconds, 0);
  const timedTokens = runs.reduce((n, r) => n + r.tokens, 0);
  const pretrainRecord: PretrainRecord = {
    steps: summary.stepsCompleted,
    tokens: summary.trainedTokens,
    finalTrainLoss: summary.finalTrainLoss,
    stepSeconds,
    tokensPerSecond: stepSeconds > 0 ? timedTokens / stepSeconds : 0,
    backend: summary.backend,
  };
  const weights = await readFile(join(outDir, "model.safetensors"));
  const tensors = await readSafetensors(join(outDir, "model.safetensors"));
  let parameters = 0;
  for (const t of tensors.values()) parameters += t.data.length;
  const train = await BlockFile.open(blockFiles.train);
  const validation = await BlockFile.open(blockFiles.validation);
  const record: BuildRecord = {
    name: recipe.name,
    command: BUILD_COMMAND,
    inputsHash: manifest.inputsHash,
    weightsSha256: createHash("sha256").update(weights).digest("hex"),
    parameters,
    recipe,
    corpus: manifest.sources,
    blocks: {
      train: train.header.blocks,
      validation: validation.header.blocks,
      blockSize: recipe.train.blockSize,
    },
    pretrain: pretrainRecord,
    evaluation,
    buildSeconds,
  };
  train.close();
  validation.close();
  await writeFile(join(outDir, "build.json"), `${JSON.stringify(record, null, 2)}\n`);
  await writeFile(join(outDir, "README.md"), modelCard(record));
  log(
    `held-out loss ${evaluation.heldOut.loss.toFixed(4)} (ppl ${evaluation.heldOut.perplexity.toFixed(1)}), bigram ${evaluation.bigram.loss.toFixed(4)} (k ${evaluation.bigram.k})`,
  );
}

async function main(): Promise<void> {
  const startedAt = Date.now();
  log(`build ${recipe.name} into ${outDir} (work folder ${buildDir})`);
  const manifest = await stageCorpus();
  await stageTokenizer();
  await stageInit();
  await stagePretrain();
  await stageExport();
  const before = (await readJsonLines<number>(paths.buildTime)).reduce((a, b) => a + b, 0);
  const seconds = (Date.now() - startedAt) / 1000;
  await stageCard(manifest, before + seconds);
  await appendFile(paths.buildTime, `${(Date.now() - startedAt) / 1000}\n`);
  log(`built in ${((Date.now() - startedAt) / 1000).toFixed(0)} s`);
}

await main();
