// Scoring: mean next-token cross-entropy (nats) of a model, optionally with a LoRA adapter, over a JSONL file.
// The predicted tokens are those the format trains on (all tokens of "text", the completion of
// prompt/completion, assistant turns of chat, labels other than -100 of pre-tokenized lines).
import { initBackend } from "../backend.ts";
import { sequentialBatches } from "../data/batches.ts";
import { loadDataset } from "../data/dataset.ts";
import { loadModel } from "../model/loader.ts";
import { loadPeftAdapter } from "../model/peft-adapter.ts";
import { evaluateLoss } from "./evaluate.ts";
import { loadTokenizerIfPresent } from "./model-files.ts";
import type { BackendName } from "./types.ts";

export interface ScoreOptions {
  modelDir: string;
  dataFile: string;
  adapterDir?: string;
  /** Default: the model's max_position_embeddings. */
  maxSeqLen?: number;
  batchSize?: number;
  backend?: BackendName;
}

export interface ScoreResult {
  /** Mean cross-entropy in nats per predicted token. */
  loss: number;
  /** Predicted tokens counted. */
  tokens: number;
}

export async function score(opts: ScoreOptions): Promise<ScoreResult> {
  await initBackend(opts.backend ?? "auto");
  const tokenizer = await loadTokenizerIfPresent(opts.modelDir);
  const model = await loadModel(opts.modelDir);
  try {
    if (opts.adapterDir) await loadPeftAdapter(model, opts.adapterDir);
    const data = await loadDataset(opts.dataFile, {
      maxSeqLen: opts.maxSeqLen ?? model.config.max_position_embeddings,
      vocabSize: model.config.vocab_size,
      ...(tokenizer ? { tokenizer } : {}),
    });
    const batches = sequentialBatches(data.examples, opts.batchSize ?? 8, tokenizer?.padTokenId ?? 0);
    return await evaluateLoss(model, batches);
  } finally {
    model.dispose();
  }
}
