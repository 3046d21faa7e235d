// Between the training options (the schema's names, worker/engine/train/options.ts) and the TrainSpec the
// trainer reads: the one mapping from options to a spec, and its inverse, with which a spec built by hand is
// checked against the same schema.
import type { Projection } from "../model/types.ts";
import { checkTrainOptions, TRAIN_DEFAULTS, type TrainOptions } from "./options.ts";
import { TrainSpecError } from "./spec-error.ts";
import type { BackendName, TrainSpec } from "./types.ts";

/** What a run needs besides the options: where its files are, its seed and backend. */
export interface RunSettings {
  modelDir: string;
  trainFile: string;
  validationFile?: string | undefined;
  outputDir: string;
  checkpointDir?: string | undefined;
  resumeFrom?: string | undefined;
  seed: number;
  backend?: BackendName | undefined;
  baseModelName?: string | undefined;
  /** Compute threads of the backend (a property of the worker, not of the job). */
  threads?: number | undefined;
}

export function trainSpecFrom(o: TrainOptions, run: RunSettings): TrainSpec {
  const g = o.grades;
  const es = o.early_stopping;
  return {
    modelDir: run.modelDir,
    trainFile: run.trainFile,
    ...(run.validationFile ? { validationFile: run.validationFile } : {}),
    outputDir: run.outputDir,
    trainingType: o.training_type,
    lora: {
      r: o.lora.r,
      alpha: o.lora.alpha,
      dropout: o.lora.dropout,
      targetModules: o.lora.target_modules as Projection[],
      useRslora: o.lora.use_rslora,
    },
    grades: {
      enabled: g.enabled,
      tau: g.tau,
      alpha: g.alpha,
      metric: g.metric,
      normalize: g.normalize,
      ...(g.relative_tau !== null ? { relativeTau: g.relative_tau } : {}),
      ...(g.relative_reference !== "grace_end" ? { relativeReference: g.relative_reference } : {}),
      ...(g.smoothing !== null ? { smoothing: g.smoothing } : {}),
      interval: g.interval,
      maxFrozenRatio: g.max_frozen_ratio,
      ...(g.weight_average !== null ? { weightAverage: g.weight_average } : {}),
    },
    ...(es
      ? { earlyStopping: { patience: es.patience, evalInterval: es.eval_interval, minDelta: es.min_delta } }
      : {}),
    nEpochs: o.hyperparameters.n_epochs,
    batchSize: o.hyperparameters.batch_size,
    gradientAccumulationSteps: o.gradient_accumulation_steps,
    learningRate: o.learning_rate,
    weightDecay: o.weight_decay,
    warmupRatio: o.warmup_ratio,
    lrScheduler: o.lr_scheduler,
    maxGradNorm: o.max_grad_norm,
    maxSeqLen: o.max_seq_len,
    ...(o.packing ? { packing: true } : {}),
    ...(o.max_steps !== null ? { maxSteps: o.max_steps } : {}),
    seed: run.seed,
    ...(run.checkpointDir ? { checkpointDir: run.checkpointDir } : {}),
    checkpointEvery: o.checkpoint_every,
    epochCheckpoints: o.epoch_checkpoints,
    activationCacheMb: o.activation_cache_mb,
    ...(run.resumeFrom ? { resumeFrom: run.resumeFrom } : {}),
    ...(run.backend ? { backend: run.backend } : {}),
    ...(run.baseModelName ? { baseModelName: run.baseModelName } : {}),
    ...(run.threads !== undefined ? { threads: run.threads } : {}),
  };
}

/** The options a spec stands for (the multiplier, which a spec does not keep, as 1). */
function optionsOfSpec(s: TrainSpec): unknown {
  const g = s.grades;
  const es = s.earlyStopping;
  return {
    training_type: s.trainingType,
    hyperparameters: { n_epochs: s.nEpochs, batch_size: s.batchSize, learning_rate_multiplier: 1 },
    learning_rate: s.learningRate,
    warmup_ratio: s.warmupRatio,
    lr_scheduler: s.lrScheduler,
    weight_decay: s.weightDecay,
    max_grad_norm: s.maxGradNorm,
    gradient_accumulation_steps: s.gradientAccumulationSteps,
    max_seq_len: s.maxSeqLen,
    packing: s.packing ?? false,
    max_steps: s.maxSteps ?? null,
    checkpoint_every: s.checkpointEvery ?? TRAIN_DEFAULTS.checkpoint_every,
    epoch_checkpoints: s.epochCheckpoints ?? 0,
    activation_cache_mb: s.activationCacheMb ?? TRAIN_DEFAULTS.activation_cache_mb,
    lora: {
      r: s.lora.r,
      alpha: s.lora.alpha,
      dropout: s.lora.dropout,
      target_modules: s.lora.targetModules,
      use_rslora: s.lora.useRslora,
    },
    grades: {
      enabled: g.enabled,
      tau: g.tau,
      alpha: g.alpha,
      metric: g.metric,
      normalize: g.normalize,
      relative_tau: g.relativeTau ?? null,
      relative_reference: g.relativeReference ?? "grace_end",
      smoothing: g.smoothing ?? null,
      interval: g.interval,
      max_frozen_ratio: g.maxFrozenRatio,
      weight_average: g.weightAverage ?? null,
    },
    early_stopping: es
      ? { patience: es.patience, eval_interval: es.evalInterval, min_delta: es.minDelta }
      : null,
  };
}

/** Checks a spec before any work starts; the TrainSpecError names the option by its path in the options. */
export function checkTrainSpec(spec: TrainSpec): void {
  checkTrainOptions(optionsOfSpec(spec));
  if (spec.earlyStopping && !spec.validationFile) {
    throw new TrainSpecError("early_stopping", "needs a validation file to measure validation loss on");
  }
  if (!Number.isInteger(spec.seed)) throw new TrainSpecError("seed", `must be an integer, got ${spec.seed}`);
}
