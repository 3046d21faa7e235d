// Pretraining from raw text: `{"text"}` JSONL files are packed (streamed, tokenized line by line) into block
// files beside the checkpoints, and every weight of the model folder is trained on the blocks with the same
// trainer as full fine-tuning (GradES off), for a fixed token budget. Resumes from a checkpoint.
import { createHash } from "node:crypto";
import { mkdir, readFile, rm } from "node:fs/promises";
import { join, relative } from "node:path";
import { initBackend } from "../backend.ts";
import { BlockBatchStream, BlockFile, type BlockFileHeader, writeBlockFile } from "../data/block-file.ts";
import { packTextFile } from "../data/pack.ts";
import { loadModel } from "../model/loader.ts";
import { PROJECTIONS } from "../model/types.ts";
import { loadTokenizer } from "../tokenizer/tokenizer.ts";
import { TrainSpecError } from "./spec-error.ts";
import { checkTrainSpec } from "./spec-options.ts";
import { Trainer } from "./trainer.ts";
import { type BackendName, GRADES_OFF, type TrainHooks, type TrainSpec, type TrainSummary } from "./types.ts";

export interface PretrainSpec {
  /** A model folder (config.json, model.safetensors, tokenizer files), e.g. a fresh random initialisation. */
  modelDir: string;
  /** `{"text"}` JSONL: one document per line. */
  trainFile: string;
  validationFile?: string;
  outputDir: string;
  /** Tokens per block (the sequence length trained on). */
  blockSize: number;
  /** Blocks per micro-batch. */
  batchSize: number;
  gradientAccumulationSteps: number;
  /** Training stops after the step that reaches this many tokens. */
  maxTokens: number;
  learningRate: number;
  weightDecay: number;
  warmupRatio: number;
  lrScheduler: TrainSpec["lrScheduler"];
  maxGradNorm: number;
  seed: number;
  /** Evaluate on the first `evalBlocks` validation blocks every `evalInterval` steps (and at the end). */
  evalInterval?: number;
  evalBlocks?: number;
  /** Checkpoints (and the packed block files) go here; only the newest checkpoint is kept. */
  checkpointDir?: string;
  checkpointEvery?: number;
  resumeFrom?: string;
  backend?: BackendName;
  /** Threads the wasm backend computes with (default: every core). The losses do not depend on it. */
  threads?: number;
}

/** Steps for a token budget: each step trains batchSize * accumulation blocks. */
export function pretrainSteps(
  spec: Pick<PretrainSpec, "maxTokens" | "blockSize" | "batchSize" | "gradientAccumulationSteps">,
): number {
  return Math.max(
    1,
    Math.ceil(spec.maxTokens / (spec.blockSize * spec.batchSize * spec.gradientAccumulationSteps)),
  );
}

/** What a packing depends on: the source file's and the tokenizer's contents, and the block size. */
interface PackKey {
  source: string;
  blockSize: number;
  tokenizer: string;
}

async function sha256Of(path: string): Promise<string> {
  return createHash("sha256")
    .update(await readFile(path))
    .digest("hex");
}

/** Packs `file` into `dir`, reusing an earlier packing of the same file with the same tokenizer and block size. */
async function packedBlocks(
  file: string,
  dir: string,
  name: string,
  modelDir: string,
  blockSize: number,
): Promise<BlockFile> {
  const tokenizer = await loadTokenizer(modelDir);
  const key: PackKey = {
    source: await sha256Of(file),
    blockSize,
    tokenizer: await sha256Of(join(modelDir, "tokenizer.json")),
  };
  const path = join(dir, `${name}.blocks`);
  try {
    const header = JSON.parse(await readFile(`${path}.json`, "utf8")) as BlockFileHeader & { key?: PackKey };
    if (JSON.stringify(header.key) === JSON.stringify(key)) return await BlockFile.open(path);
  } catch {
    // not packed yet
  }
  await mkdir(dir, { recursive: true });
  await writeBlockFile(path, packTextFile(file, tokenizer, blockSize), blockSize, tokenizer.vocabSize, {
    key,
  });
  return BlockFile.open(path);
}

/** The trainer's spec for a pretraining run: full training of every weight, GradES off. */
function trainSpecFor(spec: PretrainSpec): TrainSpec {
  return {
    modelDir: spec.modelDir,
    trainFile: spec.trainFile,
    outputDir: spec.outputDir,
    trainingType: "full",
    lora: { r: 8, alpha: 16, dropout: 0, targetModules: [...PROJECTIONS], useRslora: false },
    grades: { ...GRADES_OFF },
    ...(spec.validationFile ? { validationFile: spec.validationFile } : {}),
    // Held-out loss at an interval, through the trainer's early-stopping evaluation with the schema's largest
    // patience: more evaluations without improvement than a pretraining run makes.
    ...(spec.evalInterval
      ? { earlyStopping: { patience: 1000, evalInterval: spec.evalInterval, minDelta: 0 } }
      : {}),
    nEpochs: 1,
    batchSize: spec.batchSize,
    gradientAccumulationSteps: spec.gradientAccumulationSteps,
    learningRate: spec.learningRate,
    weightDecay: spec.weightDecay,
    warmupRatio: spec.warmupRatio,
    lrScheduler: spec.lrScheduler,
    maxGradNorm: spec.maxGradNorm,
    maxSeqLen: spec.blockSize,
    maxSteps: pretrainSteps(spec),
    seed: spec.seed,
    ...(spec.checkpointDir ? { checkpointDir: spec.checkpointDir } : {}),
    ...(spec.checkpointEvery ? { checkpointEvery: spec.checkpointEvery } : {}),
  };
}

export async function pretrain(spec: PretrainSpec, hooks: TrainHooks = {}): Promise<TrainSummary> {
  const trainSpec = trainSpecFor(spec);
  checkTrainSpec(trainSpec);
  if (!(spec.maxTokens > 0)) throw new TrainSpecError("maxTokens", `must be positive, got ${spec.maxTokens}`);
  const backend = await initBackend(spec.backend ?? "auto", { threads: spec.threads });
  const work = spec.checkpointDir ?? join(spec.outputDir, "blocks");
  const trainBlocks = await packedBlocks(spec.trainFile, work, "train", spec.modelDir, spec.blockSize);
  const validBlocks = spec.validationFile
    ? await packedBlocks(spec.validationFile, work, "validation", spec.modelDir, spec.blockSize)
    : undefined;
  const model = await loadModel(spec.modelDir);
  let trainer: Trainer | undefined;
  try {
    trainer = new Trainer({
      spec: trainSpec,
      model,
      train: (start) => new BlockBatchStream(trainBlocks, spec.batchSize, spec.seed, start),
      ...(validBlocks
        ? { validation: validBlocks.sequentialBatches(spec.batchSize, 0, spec.evalBlocks) }
        : {}),
      padId: 0,
      backend,
    });
    if (spec.resumeFrom) await trainer.restore(spec.resumeFrom);
    const inCheckpointDir = (dir: string | undefined) =>
      dir !== undefined &&
      spec.checkpointDir !== undefined &&
      !relative(spec.checkpointDir, dir).startsWith("..");
    let previous = inCheckpointDir(spec.resumeFrom) ? spec.resumeFrom : undefined;
    return await trainer.run({
      ...(hooks.signal ? { signal: hooks.signal } : {}),
      onEvent: async (e) => {
        // Only the newest checkpoint is kept: a pretraining checkpoint holds the weights and both Adam moments.
        if (e.type === "checkpoint") {
          if (previous && previous !== e.dir) await rm(previous, { recursive: true, force: true });
          previous = e.dir;
        }
        await hooks.onEvent?.(e);
      },
    });
  } finally {
    trainer?.dispose();
    model.dispose();
    trainBlocks.close();
    validBlocks?.close();
  }
}
