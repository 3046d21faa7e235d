// Writes a task's benchmark files (subsampled splits as prompt/completion JSONL) and computes its reference rows.
import { createHash } from "node:crypto";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { loadDataset } from "../../data/dataset.ts";
import { loadTokenizer } from "../../tokenizer/tokenizer.ts";
import { MODEL_DEFAULTS_KEY } from "../../train/options.ts";
import { majorityClass, naiveBayes } from "./baselines.ts";
import type { References } from "./report.ts";
import { loadSplits, SPLIT_SEED, subsample } from "./tasks/split.ts";
import type { ClassificationTask, TaskExample } from "./tasks/types.ts";

export interface Sizes {
  train: number;
  validation: number;
  test: number;
}

export interface PreparedTask {
  task: ClassificationTask;
  trainFile: string;
  validationFile: string;
  testFile: string;
  trainExamples: number;
  /** Tokens of the validation file: the cost of one early-stopping evaluation. */
  validationTokens: number;
  refs: References;
}

async function writeJsonl(path: string, examples: TaskExample[]): Promise<void> {
  const lines = examples.map((e) => JSON.stringify({ prompt: e.prompt, completion: e.label }));
  await writeFile(path, `${lines.join("\n")}\n`);
}

export async function prepareTask(
  task: ClassificationTask,
  sizes: Sizes,
  modelDir: string,
  root: string,
): Promise<PreparedTask> {
  const splits = await loadSplits(task);
  const train = subsample(splits.train, sizes.train, SPLIT_SEED + 1);
  const validation = subsample(splits.validation, sizes.validation, SPLIT_SEED + 2);
  const test = subsample(splits.test, sizes.test, SPLIT_SEED + 3);
  const dir = join(root, "data", task.name);
  await mkdir(dir, { recursive: true });
  const files = {
    trainFile: join(dir, "train.jsonl"),
    validationFile: join(dir, "validation.jsonl"),
    testFile: join(dir, "test.jsonl"),
  };
  await writeJsonl(files.trainFile, train);
  await writeJsonl(files.validationFile, validation);
  await writeJsonl(files.testFile, test);
  const tokenizer = await loadTokenizer(modelDir);
  const valid = await loadDataset(files.validationFile, { tokenizer, maxSeqLen: 1 << 20 });
  return {
    task,
    ...files,
    trainExamples: train.length,
    validationTokens: valid.examples.reduce((n, e) => n + e.inputIds.length, 0),
    refs: {
      majority: majorityClass(train, test, task.choices),
      naiveBayes: naiveBayes(train, test, task.choices),
      naiveBayesFullSplit: naiveBayes(splits.train, test, task.choices),
    },
  };
}

/** A short hash of the model's weights and config: results of another model are not reused. */
export async function modelFingerprint(modelDir: string): Promise<string> {
  const h = createHash("sha256");
  // Without the training defaults a model carries: they change no weight, and the multiplier a run used is part
  // of its setup key anyway. The rest is hashed as the build writes config.json (2-space JSON and a newline).
  const config = JSON.parse(await readFile(join(modelDir, "config.json"), "utf8")) as Record<string, unknown>;
  delete config[MODEL_DEFAULTS_KEY];
  h.update(`${JSON.stringify(config, null, 2)}\n`);
  h.update(await readFile(join(modelDir, "model.safetensors")));
  return h.digest("hex").slice(0, 12);
}
