// `npm run build:base-model`: builds the built-in base model from the corpus packages, in stages whose outputs
// live under the build folder (default .build/base-model), so an interrupted build resumes: finished stages are
// skipped and pretraining continues from its newest checkpoint.
//   corpus → tokenizer → init → pretrain → export (BF16) → evaluate (held-out loss, bigram baseline) → card
import { existsSync } from "node:fs";
import { mkdir, readdir, readFile, writeFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { initTinyModel, pretrain, type PretrainSpec } from "../../worker/engine/index.ts";
import { type CorpusManifest, writeCorpusFiles } from "./corpus-files.ts";
import { BASE_MODEL_RECIPE } from "./recipe.ts";
import { trainTokenizer } from "./tokenizer.ts";

const { values: flags } = parseArgs({
  options: {
    "build-dir": { type: "string", default: ".build/base-model" },
    "out-dir": { type: "string" },
    /** A smaller budget, for measuring speed; the shipped model uses the recipe's. */
    "max-tokens": { type: "string" },
    backend: { type: "string", default: "auto" },
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
  await trainTokenizer(paths.sentences, paths.tokenizerWork, paths.init, recipe.tokenizer, recipe.train.blockSize);
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
    ...(resumeFrom ? { resumeFrom } : {}),
  };
  log(`pretrain: ${resumeFrom ? `resuming from ${resumeFrom}` : "from the random initialisation"}`);
  const started = performance.now();
  let tokens = 0;
  const summary = await pretrain(spec, {
    onEvent: (e) => {
      if (e.type === "step") {
        tokens += e.tokens;
        const tps = tokens / ((performance.now() - started) / 1000);
        if (e.step % 10 === 0 || e.step === 1)
          log(
            `step ${e.step}/${e.totalSteps} loss ${e.trainLoss.toFixed(4)} lr ${e.learningRate.toExponential(2)} ${tps.toFixed(0)} tok/s`,
          );
      } else if (e.type === "eval") log(`eval step ${e.step} held-out loss ${e.validLoss.toFixed(4)}`);
      else if (e.type === "checkpoint") log(`checkpoint ${e.dir}`);
    },
  });
  log(`pretrain: done, ${summary.trainedTokens} tokens, final train loss ${summary.finalTrainLoss}`);
}

async function main(): Promise<void> {
  const startedAt = new Date();
  log(`build ${recipe.name} into ${outDir} (work folder ${buildDir})`);
  await stageCorpus();
  await stageTokenizer();
  await stageInit();
  await stagePretrain();
  log(`built in ${((Date.now() - startedAt.getTime()) / 1000).toFixed(0)} s`);
}

await main();
