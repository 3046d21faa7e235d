// The training entry point the worker and the CLI call.

import { totalmem } from "node:os";
import { backendLabel, hasCompiledKernels, initBackend, wasmStartedThreads } from "../backend.ts";
import { type LoadDatasetOptions, type LoadedDataset, loadDataset } from "../data/dataset.ts";
import { DataFormatError } from "../data/formats.ts";
import { packExamples } from "../data/pack.ts";
import { estimateTrainingMemory, neededBytes } from "../memory/estimate.ts";
import { checkTrainingFits, memoryShapeOf } from "../memory/fit-check.ts";
import { readModelConfig } from "../model/config.ts";
import { loadModel } from "../model/loader.ts";
import { resolveThreadCount, threadPlan } from "../parallel/threads.ts";
import { loadTokenizerIfPresent } from "./model-files.ts";
import { TrainSpecError } from "./spec-error.ts";
import { checkTrainSpec } from "./spec-options.ts";
import { Trainer } from "./trainer.ts";
import type { TrainHooks, TrainSpec, TrainSummary } from "./types.ts";

/** Loads the validation file; its errors say which file the line is in. */
async function loadValidation(path: string, opts: LoadDatasetOptions): Promise<LoadedDataset> {
  try {
    return await loadDataset(path, opts);
  } catch (err) {
    if (err instanceof DataFormatError)
      throw new DataFormatError(err.line, `validation file: ${err.problem}`);
    throw err;
  }
}

/** A text dataset packed into full blocks; other formats and too-short datasets are the caller's mistake. */
function packedDataset(data: LoadedDataset, blockSize: number, eos: number, what: string): LoadedDataset {
  if (data.format !== "text")
    throw new TrainSpecError("packing", `needs {"text"} examples, the ${what} file has "${data.format}"`);
  const examples = packExamples(data.examples, blockSize, eos);
  if (examples.length === 0)
    throw new TrainSpecError("packing", `the ${what} file has fewer than max_seq_len ${blockSize} tokens`);
  return { examples, format: data.format, dropped: 0 };
}

/**
 * Runs a training job described by `spec`: writes the adapter (LoRA) or model folder (full) and summary.json
 * into spec.outputDir, and returns the summary. Throws DataFormatError for a bad dataset line, TrainSpecError
 * for a bad option, and the loaders' errors for a bad model folder or checkpoint.
 */
export async function train(spec: TrainSpec, hooks: TrainHooks = {}): Promise<TrainSummary> {
  checkTrainSpec(spec);
  const config = await readModelConfig(spec.modelDir);
  const plan = threadPlan(
    resolveThreadCount(spec.threads),
    spec.batchSize,
    neededBytes(estimateTrainingMemory(memoryShapeOf(config, spec))),
    totalmem(),
  );
  // Without a thread count asked for, a wasm backend already started in this thread keeps its own.
  const started = spec.threads === undefined ? wasmStartedThreads() : undefined;
  const backendName = await initBackend(spec.backend ?? "auto", {
    threads: started ?? plan.threadsPerReplica,
  });
  // Memory hook: a job the backend cannot hold fails here, before any weight is loaded.
  checkTrainingFits(config, spec, backendName, hasCompiledKernels());
  // Replicas are wasm's: a native backend runs its kernels on every core itself.
  const replicas = backendName === "wasm" ? plan.replicas - 1 : 0;
  const backend = backendLabel(backendName);
  const tokenizer = await loadTokenizerIfPresent(spec.modelDir);
  const model = await loadModel(spec.modelDir);
  let trainer: Trainer | undefined;
  try {
    const vocabSize = model.config.vocab_size;
    // Packed examples are cut into blocks after tokenizing, so nothing is truncated before.
    const maxSeqLen = spec.packing ? Number.MAX_SAFE_INTEGER : spec.maxSeqLen;
    const opts = { maxSeqLen, vocabSize, ...(tokenizer ? { tokenizer } : {}) };
    const eos = tokenizer?.eosTokenId ?? 0;
    const load = async (file: string, what: string, loader: typeof loadDataset) => {
      const data = await loader(file, opts);
      return spec.packing ? packedDataset(data, spec.maxSeqLen, eos, what) : data;
    };
    const trainData = await load(spec.trainFile, "training", loadDataset);
    const validation = spec.validationFile
      ? await load(spec.validationFile, "validation", loadValidation)
      : undefined;
    trainer = new Trainer({
      spec,
      model,
      train: trainData,
      ...(validation ? { validation } : {}),
      padId: tokenizer?.padTokenId ?? 0,
      backend,
      ...(replicas > 0
        ? {
            replicas: {
              count: replicas,
              threads: plan.threadsPerReplica,
              ...(spec.replicaMinSeconds !== undefined ? { minSeconds: spec.replicaMinSeconds } : {}),
            },
          }
        : {}),
    });
    if (spec.resumeFrom) await trainer.restore(spec.resumeFrom);
    return await trainer.run(hooks);
  } finally {
    trainer?.dispose();
    model.dispose();
  }
}
