// The training entry point the worker and the CLI call.

import { initBackend } from "../backend.ts";
import { type LoadDatasetOptions, type LoadedDataset, loadDataset } from "../data/dataset.ts";
import { DataFormatError } from "../data/formats.ts";
import { loadModel } from "../model/loader.ts";
import { loadTokenizerIfPresent } from "./model-files.ts";
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

/**
 * Runs a training job described by `spec`: writes the adapter (LoRA) or model folder (full) and summary.json
 * into spec.outputDir, and returns the summary. Throws DataFormatError for a bad dataset line, TrainSpecError
 * for a bad option, and the loaders' errors for a bad model folder or checkpoint.
 */
export async function train(spec: TrainSpec, hooks: TrainHooks = {}): Promise<TrainSummary> {
  checkTrainSpec(spec);
  const backend = await initBackend(spec.backend ?? "auto");
  const tokenizer = await loadTokenizerIfPresent(spec.modelDir);
  const model = await loadModel(spec.modelDir);
  let trainer: Trainer | undefined;
  try {
    const vocabSize = model.config.vocab_size;
    const opts = { maxSeqLen: spec.maxSeqLen, vocabSize, ...(tokenizer ? { tokenizer } : {}) };
    const trainData = await loadDataset(spec.trainFile, opts);
    const validation = spec.validationFile ? await loadValidation(spec.validationFile, opts) : undefined;
    trainer = new Trainer({
      spec,
      model,
      train: trainData,
      ...(validation ? { validation } : {}),
      padId: tokenizer?.padTokenId ?? 0,
      backend,
    });
    if (spec.resumeFrom) await trainer.restore(spec.resumeFrom);
    return await trainer.run(hooks);
  } finally {
    trainer?.dispose();
    model.dispose();
  }
}
