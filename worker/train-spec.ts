// Maps a job's stored configuration onto the engine's TrainSpec.
import type { JobConfig } from "../db/queue/job-config.ts";
import type { BackendName, Projection, TrainSpec } from "./engine/index.ts";

export interface SpecPaths {
  modelDir: string;
  trainFile: string;
  validationFile?: string | undefined;
  outputDir: string;
  checkpointDir: string;
  resumeFrom?: string | undefined;
}

export function trainSpecFor(
  config: JobConfig,
  seed: number,
  paths: SpecPaths,
  backend: BackendName,
  baseModelName: string,
  threads?: number,
): TrainSpec {
  const g = config.grades;
  const es = config.early_stopping;
  return {
    modelDir: paths.modelDir,
    trainFile: paths.trainFile,
    ...(paths.validationFile ? { validationFile: paths.validationFile } : {}),
    outputDir: paths.outputDir,
    trainingType: config.training_type,
    lora: {
      r: config.lora.r,
      alpha: config.lora.alpha,
      dropout: config.lora.dropout,
      targetModules: config.lora.target_modules as Projection[],
      useRslora: config.lora.use_rslora,
    },
    grades: {
      enabled: g.enabled,
      tau: g.tau,
      alpha: g.alpha,
      metric: g.metric,
      normalize: g.normalize,
      ...(g.relative_tau !== null ? { relativeTau: g.relative_tau } : {}),
      interval: g.interval,
      maxFrozenRatio: g.max_frozen_ratio,
    },
    ...(es
      ? { earlyStopping: { patience: es.patience, evalInterval: es.eval_interval, minDelta: es.min_delta } }
      : {}),
    nEpochs: config.hyperparameters.n_epochs,
    batchSize: config.hyperparameters.batch_size,
    gradientAccumulationSteps: 1,
    learningRate: config.learning_rate,
    weightDecay: 0,
    warmupRatio: 0.03,
    lrScheduler: "cosine",
    maxGradNorm: 1,
    maxSeqLen: config.max_seq_len,
    ...(config.max_steps !== null ? { maxSteps: config.max_steps } : {}),
    seed,
    checkpointDir: paths.checkpointDir,
    checkpointEvery: config.checkpoint_every,
    ...(paths.resumeFrom ? { resumeFrom: paths.resumeFrom } : {}),
    backend,
    ...(threads !== undefined ? { threads } : {}),
    baseModelName,
  };
}
